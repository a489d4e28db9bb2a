# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Time and peak memory of the drift check for 10^4, 10^5 and 10^6 logged requests.

    .venv/bin/python bench/drift.py [--sizes 10000 100000 1000000] [--batch 1]

The shipped configuration's model is fitted once; its train split gives the baseline and
the KS reference. The log (one scored /predict request per line, rows drawn from the data
set, written by the serving logger through the serving validator) is generated first,
outside the timing. Each size is then measured in a fresh interpreter: wall time of
scan + verdict, the resident set after the imports, and the peak resident set while
scanning (Linux ``VmHWM``, reset after the imports; ``ru_maxrss`` elsewhere), so the
difference is what reading the log cost.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO)  # the repository root instead of bench/, as for the tests
SIZES = (10_000, 100_000, 1_000_000)
SEED = 7
MODEL_NAME = "bench-model"
VERSION = "1"


def _status_mib(key: str) -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{key} not in /proc/self/status")


def reset_peak() -> bool:
    """Linux: restart the peak-RSS high-water mark from the current RSS (clear_refs 5),
    so the peak measured afterwards is the scan's, not the imports' transient."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def prepare(work: Path, largest: int, batch: int) -> None:
    """Baseline, reference rows and the largest log; smaller logs are its first lines."""
    import numpy as np
    from serving.logs import ModelRef, RequestLogger, RequestRecord
    from serving.validation import to_matrix

    from modelgate.governance import load_config
    from training.baseline import feature_baseline
    from training.train import fit_and_evaluate, positive_probability

    config = load_config(REPO / "governance.yml")
    fitted = fit_and_evaluate(config)
    ds, split = fitted.dataset, fitted.split
    X_train = ds.X[split.train]
    p_train = positive_probability(fitted.pipeline, X_train, ds.features)
    (work / "baseline.json").write_text(json.dumps(feature_baseline(X_train, ds.features,
                                                                    p_train)))
    np.save(work / "reference.npy", X_train)
    rng = np.random.default_rng(SEED)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    tick = iter(range(10**9))

    def clock() -> datetime:
        return start + timedelta(milliseconds=next(tick))

    names, feature_set = ds.features, frozenset(ds.features)
    t0 = time.perf_counter()
    with (work / "serving.log").open("w", encoding="utf-8") as fh:
        def sink(line: str) -> None:
            fh.write(line + "\n")

        logger = RequestLogger(sink, clock, log_features=True)
        done = 0
        while done < largest:
            n = min(50_000, largest - done)
            rows = ds.X[rng.integers(0, len(ds.X), n)]
            probs = positive_probability(fitted.pipeline, rows, names).tolist()
            listed = rows.tolist()
            for i in range(0, n, batch):
                rec = RequestRecord(f"r{done + i}", "POST", "/predict",
                                    ModelRef(MODEL_NAME, VERSION, "production"))
                rec.status, rec.validation = 200, "passed"
                rec.probabilities = probs[i:i + batch]
                rec.predictions = [1 if p >= 0.5 else 0 for p in rec.probabilities]
                rec.feature_names = names
                rec.features = to_matrix([dict(zip(names, r, strict=True))
                                          for r in listed[i:i + batch]],
                                         names, feature_set, float("inf"), single=False)
                logger.request(rec, 1.0)
            done += n
    print(f"generated {largest} requests in {time.perf_counter() - t0:.1f} s "
          f"({(work / 'serving.log').stat().st_size / 2**20:.0f} MiB)", flush=True)


def measure(work: Path, log: Path) -> dict[str, float | str]:
    """One measurement, in this (fresh) interpreter."""
    import numpy as np
    import scipy.stats  # noqa: F401  (loaded before the after-imports RSS reading)

    from bot.drift.stats import (
        Baseline,
        LogScan,
        ModelVersionRef,
        Reference,
        SourceInfo,
        assess,
        file_lines,
    )
    from modelgate.governance import DriftSection

    baseline = Baseline.from_json(json.loads((work / "baseline.json").read_text()), "bench")
    reference = Reference(np.load(work / "reference.npy"), "train split")
    rss_imports = _status_mib("VmRSS")
    reset = reset_peak()
    t0 = time.perf_counter()
    scan = LogScan(baseline, model_name=MODEL_NAME, model_version=VERSION)
    scan.feed(str(log), file_lines(log))
    result = assess(scan, ModelVersionRef(MODEL_NAME, VERSION, "run"), DriftSection(),
                    source=SourceInfo("files", (str(log),)), reference=reference,
                    generated_at=datetime.now(UTC), threshold=0.5)
    seconds = time.perf_counter() - t0
    peak = _status_mib("VmHWM") if reset else resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_imports_mib": rss_imports, "rss_peak_mib": peak,
            "records": result.counts.scored_records, "outcome": result.outcome}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--batch", type=int, default=1, help="records per logged request")
    parser.add_argument("--measure", nargs=2, metavar=("WORK", "LOG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]))))
        return
    work = Path(tempfile.mkdtemp(prefix="modelgate-bench-drift-"))
    try:
        prepare(work, max(args.sizes), args.batch)
        rows = []
        for size in sorted(args.sizes):
            log = work / f"serving-{size}.log"
            with (work / "serving.log").open("rb") as src, log.open("wb") as dst:
                dst.writelines(islice(src, -(-size // args.batch)))
            done = subprocess.run([sys.executable, __file__, "--measure", str(work), str(log)],
                                  check=True, capture_output=True, text=True, cwd=REPO)
            m = json.loads(done.stdout.strip().splitlines()[-1])
            rows.append((size, log.stat().st_size / 2**20, m))
            log.unlink()
            print(f"measured {size}: {m['seconds']:.1f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("| logged requests | log MiB | scan + verdict s | requests/s | RSS after imports "
          "MiB | peak RSS while scanning MiB | growth MiB |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for size, mib, m in rows:
        seconds = float(m["seconds"])
        print(f"| {size:,} | {mib:,.0f} | {seconds:.1f} | {size / seconds:,.0f} | "
              f"{m['rss_imports_mib']:.0f} | {m['rss_peak_mib']:.0f} | "
              f"{float(m['rss_peak_mib']) - float(m['rss_imports_mib']):.1f} |")


if __name__ == "__main__":
    main()

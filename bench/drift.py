# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Time and peak memory of the drift check for 10^4, 10^5 and 10^6 logged requests.

    .venv/bin/python bench/drift.py [--sizes 10000 100000 1000000] [--batch 1]
        [--rounds 3] [--engines read_json duckdb scan spark spark_warm]

The shipped configuration's model is fitted once; its train split gives the baseline and
the KS reference. The log (one scored /predict request per line, rows drawn from the data
set, written by the serving logger through the serving validator) is generated first,
outside the timing. Each size is then measured in a fresh interpreter: wall time of
scan + verdict, the resident set after the imports, and the peak resident set while
scanning (Linux ``VmHWM``, reset after the imports; ``ru_maxrss`` elsewhere), so the
difference is what reading the log cost. The engines, interleaved round by round: DuckDB
``read_json`` loading the log into a table (the bound), the DuckDB SQL engine
(``modelgate.bot.drift.sql``), the streaming scan (``modelgate.bot.drift.stats``) and, when
``--engines`` names them, Spark in local mode (``sql.spark_statistics``, ``local[2]``: the
JVM starts before the clock, as a cluster would be up; ``spark`` times the JVM's first
query, compilation and JIT warm-up included, ``spark_warm`` a second run after an untimed
first; the memory columns are this interpreter's, not the JVM's). Ratios are against the
bound measured in the same run, and the engines' bin counts are compared by digest.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
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

    from modelgate.governance import load_config
    from modelgate.serving.logs import ModelRef, RequestLogger, RequestRecord
    from modelgate.serving.validation import to_matrix
    from modelgate.training.baseline import feature_baseline
    from modelgate.training.train import fit_and_evaluate, positive_probability

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


ENGINES = ("read_json", "duckdb", "scan", "spark", "spark_warm")
DEFAULT_ENGINES = ENGINES[:3]  # Spark's rounds take minutes: asked for by name
SPARK_CONF = {"spark.ui.enabled": "false", "spark.ui.showConsoleProgress": "false",
              "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
              "spark.sql.shuffle.partitions": "2", "spark.driver.memory": "1g"}


def _spark() -> object:
    """A local Spark session (``local[2]``) on the JVM scripts/java.sh finds."""
    import os

    java = subprocess.run(["bash", str(REPO / "scripts" / "java.sh")], check=True,
                          capture_output=True, text=True)
    os.environ["JAVA_HOME"] = java.stdout.strip().splitlines()[-1]
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.master("local[2]").appName("modelgate-bench-drift")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _counts_digest(stats: object) -> str:
    import hashlib

    import numpy as np

    feature = stats.feature_counts()  # type: ignore[attr-defined]
    pred = stats.prediction_counts()  # type: ignore[attr-defined]
    blob = np.concatenate([*feature, pred]).astype(np.int64).tobytes()
    return hashlib.sha256(blob).hexdigest()[:16]


def measure(work: Path, log: Path, engine: str) -> dict[str, float | str]:
    """One measurement, in this (fresh) interpreter: ``read_json`` is DuckDB reading the
    whole log into a table (the bound), ``duckdb`` the SQL engine's statistics, ``scan``
    the streaming scan; both engines then judge drift the same way."""
    import duckdb
    import numpy as np
    import scipy.stats  # noqa: F401  (loaded before the after-imports RSS reading)

    from modelgate.bot.drift import sql
    from modelgate.bot.drift.stats import (
        Baseline,
        LogScan,
        ModelVersionRef,
        Reference,
        SourceInfo,
        Statistics,
        assess,
        file_lines,
    )
    from modelgate.governance import DriftSection

    baseline = Baseline.from_json(json.loads((work / "baseline.json").read_text()), "bench")
    reference = Reference(np.load(work / "reference.npy"), "train split")
    spark = _spark() if engine.startswith("spark") else None
    if engine == "spark_warm":
        sql.spark_statistics(spark, [log], baseline, model_name=MODEL_NAME,
                             model_version=VERSION)
    rss_imports = _status_mib("VmRSS")
    reset = reset_peak()
    t0 = time.perf_counter()
    digest, records, outcome = "-", 0, "-"
    if engine == "read_json":
        conn = duckdb.connect()
        conn.execute(f"CREATE TABLE t AS SELECT * FROM read_json('{log}', "  # nosec B608: our own temp file
                     "format = 'newline_delimited')")
        records = int(conn.execute("SELECT COUNT(*) FROM t").fetchone()[0])  # type: ignore[index]
        conn.close()
    else:
        stats: Statistics
        if engine == "duckdb":
            stats = sql.duckdb_statistics([log], baseline, model_name=MODEL_NAME,
                                          model_version=VERSION)
        elif spark is not None:
            stats = sql.spark_statistics(spark, [log], baseline, model_name=MODEL_NAME,
                                         model_version=VERSION)
        else:
            scan = LogScan(baseline, model_name=MODEL_NAME, model_version=VERSION)
            scan.feed(str(log), file_lines(log))
            stats = scan
        result = assess(stats, ModelVersionRef(MODEL_NAME, VERSION, "run"), DriftSection(),
                        source=SourceInfo("files", (str(log),)), reference=reference,
                        generated_at=datetime.now(UTC), threshold=0.5)
        records, outcome = result.counts.scored_records, result.outcome
        digest = _counts_digest(stats)
    seconds = time.perf_counter() - t0
    if spark is not None:
        spark.stop()  # type: ignore[attr-defined]
    peak = _status_mib("VmHWM") if reset else resource.getrusage(
        resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_imports_mib": rss_imports, "rss_peak_mib": peak,
            "records": records, "outcome": outcome, "counts": digest}


def _run(work: Path, log: Path, engine: str) -> dict[str, float | str]:
    done = subprocess.run([sys.executable, __file__, "--measure", str(work), str(log), engine],
                          check=True, capture_output=True, text=True, cwd=REPO)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--batch", type=int, default=1, help="records per logged request")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per engine and size")
    parser.add_argument("--engines", nargs="+", default=list(DEFAULT_ENGINES),
                        choices=ENGINES)
    parser.add_argument("--measure", nargs=3, metavar=("WORK", "LOG", "ENGINE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(Path(args.measure[0]), Path(args.measure[1]),
                                 args.measure[2])))
        return
    work = Path(tempfile.mkdtemp(prefix="modelgate-bench-drift-"))
    rows = []
    try:
        prepare(work, max(args.sizes), args.batch)
        for size in sorted(args.sizes):
            log = work / f"serving-{size}.log"
            with (work / "serving.log").open("rb") as src, log.open("wb") as dst:
                dst.writelines(islice(src, -(-size // args.batch)))
            runs: dict[str, list[dict[str, float | str]]] = {e: [] for e in args.engines}
            for _ in range(args.rounds):  # interleaved: every engine sees the same load
                for engine in args.engines:
                    runs[engine].append(_run(work, log, engine))
            rows.append((size, log.stat().st_size / 2**20, runs))
            log.unlink()
            print(f"measured {size}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("| logged requests | log MiB | engine | min s | median s | / read_json min | "
          "/ read_json median | peak growth MiB (max) | bin counts |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for size, mib, runs in rows:
        bound = [float(m["seconds"]) for m in runs.get("read_json", [])]
        for engine, ms in runs.items():
            secs = [float(m["seconds"]) for m in ms]
            growth = max(float(m["rss_peak_mib"]) - float(m["rss_imports_mib"]) for m in ms)
            ratio_min = f"{min(secs) / min(bound):.2f}x" if bound else "-"
            ratio_med = (f"{statistics.median(secs) / statistics.median(bound):.2f}x"
                         if bound else "-")
            digests = sorted({str(m["counts"]) for m in ms})
            print(f"| {size:,} | {mib:,.0f} | {engine} | {min(secs):.2f} | "
                  f"{statistics.median(secs):.2f} | {ratio_min} | {ratio_med} | "
                  f"{growth:.0f} | {', '.join(digests)} |")
    print("\n(bin counts: a digest of every feature's and the prediction's bin counts; "
          "the engines agree when the digests are equal)")


if __name__ == "__main__":
    main()

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bench: a bare fit beside a full governed run (fit + evaluate + log + register).

MLflow's import and its database set-up (schema migrations of a new SQLite store) are
reported apart, because they are paid once per process or once per store, not per run.
Everything is measured in one process, side by side, so the ratio is meaningful on a
shared, noisy machine. Usage: python bench/train.py [--runs N]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository root instead of bench/, as for the tests


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    t = time.perf_counter()
    import mlflow  # noqa: F401

    import_s = time.perf_counter() - t

    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter
    from tests.conftest import make_workspace
    from training import tracking
    from training.data import load_dataset, split_dataset
    from training.estimator import build_estimator
    from training.train import train

    with tempfile.TemporaryDirectory() as tmp:
        root = make_workspace(Path(tmp), fresh_store=True)
        config = load_config(root / "governance.yml")
        t = time.perf_counter()
        tracking.configure(config)
        db_setup_s = time.perf_counter() - t

        ds = load_dataset(config)
        split = split_dataset(ds, config.governance)
        bare = []
        for _ in range(max(args.runs, 20)):
            est = build_estimator(config.governance.estimator)
            t = time.perf_counter()
            est.fit(ds.X[split.train], ds.y[split.train])
            bare.append(time.perf_counter() - t)

        quiet = ConsoleReporter(io.StringIO())
        t = time.perf_counter()
        first = train(config, reporter=quiet)
        first_s = time.perf_counter() - t
        governed = []
        for _ in range(args.runs):
            t = time.perf_counter()
            train(config, reporter=quiet)
            governed.append(time.perf_counter() - t)

    bare_ms = statistics.median(bare) * 1000
    gov_ms = statistics.median(governed) * 1000
    print("| measure | value |")
    print("| --- | --- |")
    print(f"| import mlflow | {import_s:.2f} s |")
    print(f"| new SQLite store (migrations) | {db_setup_s:.2f} s |")
    print(f"| bare fit (median of {max(args.runs, 20)}) | {bare_ms:.1f} ms |")
    print(f"| first governed run in the process | {first_s * 1000:.0f} ms |")
    print(f"| governed run (median of {args.runs}) | {gov_ms:.0f} ms |")
    print(f"| ratio governed / bare fit | {gov_ms / bare_ms:.0f}x |")
    print(f"| steps of the last run | {first.timings} |")
    target = "met" if gov_ms < 1000 else "NOT met"
    print(f"\ntarget: a governed run under 1 s after import: {target} ({gov_ms:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

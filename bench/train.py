# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bench: a bare fit beside a full governed run (fit + evaluate + log + register).

MLflow's imports and a new SQLite store's set-up (from the shipped schema, see
``modelgate.training.tracking``) are reported apart, because they are paid once per process or once
per store, not per run; then the first governed run on a new store, after the imports.
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
    import matplotlib.pyplot  # noqa: F401
    import mlflow
    import mlflow.sklearn
    import skops.io  # noqa: F401
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: F401

    import_s = time.perf_counter() - t  # what the first run would otherwise import

    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter
    from modelgate.training import tracking
    from modelgate.training.data import load_dataset, split_dataset
    from modelgate.training.estimator import build_estimator
    from modelgate.training.train import train
    from tests.conftest import make_workspace

    with tempfile.TemporaryDirectory() as tmp:
        root = make_workspace(Path(tmp), fresh_store=True)
        config = load_config(root / "governance.yml")
        t = time.perf_counter()
        tracking.configure(config)  # a new store: created from the shipped schema
        db_setup_s = time.perf_counter() - t
        shipped_schema = tracking.schema_mlflow_version() == mlflow.__version__

        ds = load_dataset(config)
        split = split_dataset(ds, config.governance)
        bare = []
        for _ in range(max(args.runs, 20)):
            est = build_estimator(config.governance.estimator)
            t = time.perf_counter()
            est.fit(ds.X[split.train], ds.y[split.train])
            bare.append(time.perf_counter() - t)

        quiet = ConsoleReporter(io.StringIO())
        fresh = make_workspace(Path(tmp) / "fresh", fresh_store=True)
        fresh_config = load_config(fresh / "governance.yml")
        t = time.perf_counter()  # a new store and the process's first governed run
        first = train(fresh_config, reporter=quiet)
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
    how = "shipped schema" if shipped_schema else "MLflow migrations (schema of another MLflow)"
    print(f"| imports (mlflow, its sklearn flavour, skops, pyplot, the SQL store) | "
          f"{import_s:.2f} s |")
    print(f"| new SQLite store ({how}) | {db_setup_s:.2f} s |")
    print(f"| bare fit (min / median of {max(args.runs, 20)}) | {min(bare) * 1000:.1f} / "
          f"{bare_ms:.1f} ms |")
    print(f"| first governed run on a new store, after imports | {first_s * 1000:.0f} ms |")
    print(f"| governed run (min / median of {args.runs}) | {min(governed) * 1000:.0f} / "
          f"{gov_ms:.0f} ms |")
    print(f"| ratio governed / bare fit (min, median) | {min(governed) / min(bare):.0f}x, "
          f"{gov_ms / bare_ms:.0f}x |")
    print(f"| steps of the first run | {first.timings} |")
    target = "met" if first_s <= 0.5 else "NOT met"
    print(f"\ngoal: the first governed run on a new store <= 0.5 s after imports: {target} "
          f"({first_s * 1000:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

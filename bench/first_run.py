# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bench: the first governed run on a new SQLite store, after imports (issue 17: <= 0.5 s).

Each round is a new process (so nothing MLflow caches per process is warm) that imports
the modules a governed run uses (:data:`RUN_IMPORTS`: every module the run would otherwise
import on its way, so "after imports" leaves none in the measured time), copies a fresh
workspace (no store yet), fits the bare estimator on the same data (no tracking; the
bound, median of 20 fits), then runs ``modelgate.training.train.train`` once and prints its
time and step times. The parent prints min and median over rounds of the imports, the
bare fit, the first run and the first run's ratio to the bare fit. With ``--head`` every
round also runs the code committed at HEAD (``git archive``), interleaved: a change's
before/after from one run.

Usage: python bench/first_run.py [--rounds N] [--head]
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CODE_ENV = "MODELGATE_BENCH_CODE"  # the tree whose code a round runs (default: this one)
CODE = Path(os.environ.get(CODE_ENV) or ROOT)
# the code's root instead of bench/, as for the tests; its serving package too
sys.path[0:1] = [str(CODE), str(CODE / "lambda")]
GOAL_S = 0.5
# what a governed run imports on its way when nothing imported it before
RUN_IMPORTS = ("mlflow", "mlflow.sklearn", "mlflow.pyfunc", "mlflow.models",
               "mlflow.store.tracking.sqlalchemy_store",
               "mlflow.store.model_registry.sqlalchemy_store", "mlflow.tracing.provider",
               "mlflow.tracing.processor.base_mlflow",
               "mlflow.tracing.processor.otel", "sqlalchemy.dialects.sqlite", "skops.io",
               "narwhals._pandas_like.dataframe", "narwhals._pandas_like.namespace",
               "narwhals._interchange.dataframe", "pyarrow.pandas_compat", "PIL.Image",
               "PIL.ImageDraw", "PIL.PngImagePlugin", "PIL.BmpImagePlugin",
               "PIL.GifImagePlugin", "PIL.JpegImagePlugin", "PIL.PpmImagePlugin")


def child() -> None:
    """One round, in its own process: JSON on the last line of stdout."""
    import importlib

    t = time.perf_counter()
    for name in RUN_IMPORTS:
        importlib.import_module(name)
    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter
    from modelgate.training.data import load_dataset, split_dataset
    from modelgate.training.estimator import build_estimator
    from modelgate.training.train import train
    from tests.conftest import make_workspace

    import_s = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        root = make_workspace(Path(tmp) / "ws", fresh_store=True)
        config = load_config(root / "governance.yml")
        gov = config.governance
        ds = load_dataset(config)
        split = split_dataset(ds, gov)
        bare = []
        for _ in range(20):
            est = build_estimator(gov.estimator)
            t = time.perf_counter()
            est.fit(ds.X[split.train], ds.y[split.train])
            bare.append(time.perf_counter() - t)
        fresh = load_config(root / "governance.yml")  # nothing cached from the bare fits
        assert not (root / ".modelgate" / "mlflow.db").exists()
        t = time.perf_counter()
        result = train(fresh, reporter=ConsoleReporter(io.StringIO()))
        first_s = time.perf_counter() - t
    print(json.dumps({"import_s": import_s, "bare_s": statistics.median(bare),
                      "first_s": first_s, "steps": result.timings}))


def main() -> int:
    args = sys.argv[1:]
    if "--child" in args:
        child()
        return 0
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 5
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"this tree": ROOT}
        if "--head" in args:
            trees["HEAD (before)"] = _head_code(Path(tmp) / "head")
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in trees}
        for _ in range(rounds):  # interleaved, so every tree sees the same load
            for name, code in trees.items():
                results[name].append(_round(code))
    for name, rows in results.items():
        _print(name, rows, rounds)
    return 0


def _head_code(dest: Path) -> Path:
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def _round(code: Path) -> dict[str, Any]:
    # HEAD's copy reads the shared fixtures this checkout's tests read
    from demo.fixtures import FIXTURES

    env = {**os.environ, CODE_ENV: str(code), "MODELGATE_FIXTURES": str(FIXTURES)}
    done = subprocess.run([sys.executable, __file__, "--child"], capture_output=True,
                          text=True, check=False, cwd=ROOT, env=env)
    if done.returncode != 0:
        raise SystemExit(f"round failed ({done.returncode}):\n{done.stderr[-3000:]}")
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return row


def _print(name: str, rows: list[dict[str, Any]], rounds: int) -> None:
    first = [r["first_s"] for r in rows]
    bare = [r["bare_s"] for r in rows]
    ratio = [r["first_s"] / r["bare_s"] for r in rows]
    print(f"\n| {name}: first governed run, new SQLite store ({rounds} rounds, new "
          "process each) | min | median |")
    print("| --- | --- | --- |")
    print(f"| imports before the run (not counted) | {min(r['import_s'] for r in rows):.2f} s "
          f"| {statistics.median(r['import_s'] for r in rows):.2f} s |")
    print(f"| bare fit, same estimator and data, no tracking (the bound) | "
          f"{min(bare) * 1000:.1f} ms | {statistics.median(bare) * 1000:.1f} ms |")
    print(f"| first governed run after imports | {min(first):.3f} s "
          f"| {statistics.median(first):.3f} s |")
    print(f"| ratio first run / bare fit | {min(ratio):.0f}x | {statistics.median(ratio):.0f}x |")
    total = [r["import_s"] + r["first_s"] for r in rows]
    print(f"| imports + first run (not the goal; for the record) | {min(total):.2f} s "
          f"| {statistics.median(total):.2f} s |")
    median_row = sorted(rows, key=lambda r: r["first_s"])[len(rows) // 2]
    print(f"\nsteps of the median round: {median_row['steps']}")
    verdict = "met" if statistics.median(first) <= GOAL_S else "NOT met"
    print(f"goal: first governed run <= {GOAL_S} s after imports (median): {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())

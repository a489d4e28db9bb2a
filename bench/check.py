# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bench: the time of each audit and of the whole `modelgate check`, on a clean clone of
this repository (so the git, REUSE and bandit audits see exactly what is committed).

Then the pii audit on the shipped data, side by side with the implementation at HEAD
(``git show HEAD:bot/check/audits/pii.py`` loaded from a temporary file as a module in the
same process): min and median over rounds and the ratio new/HEAD, recognizers built
before the rounds start (the first-call cost is printed apart).

Usage: python bench/check.py [--pii-only] [--rounds N]
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository root instead of bench/, as for the tests


def _head_pii(tmp: Path) -> ModuleType:
    """Today's pii audit, as committed at HEAD, imported from a temporary file."""
    source = subprocess.run(["git", "show", "HEAD:bot/check/audits/pii.py"], cwd=ROOT,
                            check=True, capture_output=True, text=True).stdout
    path = tmp / "pii_head.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("pii_head", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def bench_pii(rounds: int) -> None:
    """Print the pii audit's time on the shipped data, this tree's against HEAD's."""
    from bot.check.audits import pii
    from bot.check.audits.base import AuditContext
    from modelgate.governance import load_config
    from training.data import load_dataset

    config = load_config(ROOT / "governance.yml")
    ctx = AuditContext(root=ROOT, config=config, commit="0" * 40, dataset=load_dataset(config))
    with tempfile.TemporaryDirectory() as tmp:
        impls = {"HEAD": _head_pii(Path(tmp)), "this tree": pii}
        first: dict[str, float] = {}
        times: dict[str, list[float]] = {name: [] for name in impls}
        statuses: dict[str, str] = {}
        for name, module in impls.items():
            t = time.perf_counter()
            statuses[name] = module.run(ctx).status
            first[name] = time.perf_counter() - t
        for _ in range(rounds):  # interleaved, so both see the same machine load
            for name, module in impls.items():
                t = time.perf_counter()
                module.run(ctx)
                times[name].append(time.perf_counter() - t)
    print(f"\n| pii audit, shipped data ({rounds} rounds) | status | first call s | min s "
          "| median s |")
    print("| --- | --- | --- | --- | --- |")
    for name in impls:
        print(f"| {name} | {statuses[name]} | {first[name]:.3f} | {min(times[name]):.3f} "
              f"| {statistics.median(times[name]):.3f} |")
    print("(HEAD's first call also imports presidio, which both implementations share)")
    ratio_min = min(times["this tree"]) / min(times["HEAD"])
    ratio_median = statistics.median(times["this tree"]) / statistics.median(times["HEAD"])
    print(f"ratio this tree / HEAD: min {ratio_min:.2f}x, median {ratio_median:.2f}x")


def main() -> int:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 7
    if "--pii-only" in args:
        bench_pii(rounds)
        return 0
    from bot.check.pipeline import run_check
    from demo.mlflow_store import mlflow_template_db
    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter

    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        (clone / ".modelgate").mkdir()
        shutil.copy2(mlflow_template_db(), clone / ".modelgate" / "mlflow.db")
        config = load_config(clone / "governance.yml")
        t = time.perf_counter()
        result = run_check(config, clone / "out", reporter=ConsoleReporter(io.StringIO()))
        total = time.perf_counter() - t
    report = result.report
    print("| step | status | seconds |")
    print("| --- | --- | --- |")
    train_s = sum((result.train.timings if result.train else {}).values())
    print(f"| train (load, fit, log, register) | - | {train_s:.2f} |")
    for audit in report.audits:
        print(f"| audit {audit.id} | {audit.status} | {audit.duration_s:.2f} |")
    print(f"| whole check (in-process, after imports) | {'pass' if report.passed else 'FAIL'} "
          f"| {total:.2f} |")
    bench_pii(rounds)
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

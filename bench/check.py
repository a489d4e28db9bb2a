# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bench: the time of each audit and of the whole `modelgate check`, on a clean clone of
this repository (so the git, REUSE and bandit audits see exactly what is committed).

Then the pii audit on the shipped data, side by side with the implementation at HEAD
(``git show HEAD:bot/check/audits/pii.py`` loaded from a temporary file as a module in the
same process): min and median over rounds and the ratio new/HEAD, recognizers built
before the rounds start (the first-call cost is printed apart).

First ``modelgate check`` as a user runs it (a new process on a fresh clone: no MLflow
store, no cache), min and median over rounds, beside the bound measured in the same run:
a bare fit script (pandas reads the CSV, scikit-learn fits the same pipeline) in a new
process; the ratio is the figure to watch. Then each step's time from one in-process
run, with its ratio to the bare fit. With ``--head``, the same cold check also runs with
the code committed at HEAD (``git archive`` first on ``PYTHONPATH``, so it shadows the
editable install), interleaved: the before/after of a speed change in one run.

Usage: python bench/check.py [--pii-only | --no-pii] [--head] [--rounds N] [--check-rounds N]
"""

from __future__ import annotations

import importlib.util
import io
import os
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
    from modelgate.bot.check.audits import pii
    from modelgate.bot.check.audits.base import AuditContext
    from modelgate.governance import load_config
    from modelgate.training.data import load_dataset

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


BARE_FIT = """
import sys
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

frame = pd.read_csv(sys.argv[1])
X = frame.drop(columns=["id", "diagnosis"]).to_numpy()
y = (frame["diagnosis"] == "B").to_numpy()
make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(X, y)
"""


def _timed(argv: list[str], cwd: Path, exits: list[int] | None = None,
           env: dict[str, str] | None = None) -> float:
    t = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, **(env or {})})
    seconds = time.perf_counter() - t
    if exits is not None:
        exits.append(done.returncode)  # a failing audit still times the whole check
    elif done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds


def _clone(dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(ROOT), str(dest)], check=True)
    return dest


def _head_code(dest: Path) -> dict[str, str]:
    """HEAD's code exported to ``dest``; the environment that makes ``modelgate`` run it."""
    dest.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return {"PYTHONPATH": os.pathsep.join((str(dest), str(dest / "lambda")))}


PR_CHANGE = "bot/check/report.py"  # the file the modelled pull request changes
PR_CHANGE_TEXT = "# a pull request's change (bench/check.py)\n"


def _pr_clone(dest: Path) -> Path:
    """A fresh clone with one more commit changing one Python file: what a pull request's
    check sees after the base branch's trusted jobs left their scan cache."""
    clone = _clone(dest)
    with (clone / PR_CHANGE).open("a", encoding="utf-8") as fh:
        fh.write(PR_CHANGE_TEXT)
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
                    "commit", "-q", "-am", "a pull request's change"], cwd=clone, check=True)
    return clone


def _cache_env(path: Path | str) -> dict[str, str]:
    """The cache for this tree's code (new name) and HEAD's (the old name)."""
    from modelgate.bot.check.audits._scan_cache import LEGACY_SCAN_CACHE_ENV, SCAN_CACHE_ENV

    return {SCAN_CACHE_ENV: str(path), LEGACY_SCAN_CACHE_ENV: str(path)}


def bench_check(rounds: int, head: bool = False) -> None:
    """``modelgate check`` on fresh clones beside the bare fit script, interleaved round by
    round: with no cache, and as CI runs it (a clone one commit ahead of the base branch,
    with the scan cache the base branch's trusted jobs left); then one in-process run for
    the step times."""
    from modelgate.bot.check.pipeline import run_check
    from modelgate.bot.check.tree_audits import TREE_AUDITS
    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter

    modelgate = str(Path(sys.executable).with_name("modelgate"))
    check = [modelgate, "check", "--out", "out"]
    times: dict[str, list[float]] = {"bare": [], "cold": [], "warm": [], "head": [],
                                     "head-warm": []}
    exits: dict[str, list[int]] = {k: [] for k in times}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        head_env = _head_code(work / "head-code") if head else {}
        script = work / "bare_fit.py"
        script.write_text(BARE_FIT, encoding="utf-8")
        data = ROOT / "data" / "breast_cancer.csv"
        # the trusted base branch's scan, as CI restores it (not timed): the base tree
        base = {"warm": work / "base-cache.json", "head-warm": work / "base-cache-head.json"}
        _timed(check, _clone(work / "base"), [], _cache_env(base["warm"]))
        if head:
            _timed(check, _clone(work / "base-head"), [],
                   {**_cache_env(base["head-warm"]), **head_env})

        def warm(key: str, i: int, env: dict[str, str]) -> float:
            cache = work / f"{key}-{i}.json"  # each run starts from the base's cache
            shutil.copyfile(base[key], cache)
            return _timed(check, _pr_clone(work / f"{key}-{i}"), exits[key],
                          {**_cache_env(cache), **env})

        for i in range(rounds):  # interleaved, so every variant sees the same load
            times["bare"].append(_timed([sys.executable, str(script), str(data)], work))
            times["cold"].append(_timed(check, _clone(work / f"cold-{i}"), exits["cold"],
                                        _cache_env("")))
            times["warm"].append(warm("warm", i, {}))
            if head:
                times["head"].append(_timed(check, _clone(work / f"head-{i}"), exits["head"],
                                            {**_cache_env(""), **head_env}))
                times["head-warm"].append(warm("head-warm", i, head_env))
        clone = _clone(work / "clone-steps")
        config = load_config(clone / "governance.yml")
        os.environ.update(_cache_env(""))
        t = time.perf_counter()
        result = run_check(config, clone / "out", reporter=ConsoleReporter(io.StringIO()))
        total = time.perf_counter() - t
    bare = times["bare"]
    bound = statistics.median(bare)
    print(f"load average (1, 5, 15 min) at the end: {os.getloadavg()}")
    print(f"| `modelgate check`, fresh clone ({rounds} rounds) | min s | median s |")
    print("| --- | --- | --- |")
    print(f"| bare fit script (python, pandas, sklearn; the bound) | {min(bare):.2f} "
          f"| {statistics.median(bare):.2f} |")
    variants = [("no cache", "cold"),
                ("one changed file, the base branch's scan cache", "warm")]
    if head:
        variants += [("HEAD's code, no cache", "head"),
                      ("HEAD's code, one changed file, the base's cache", "head-warm")]
    for name, key in variants:
        runs = times[key]
        print(f"| modelgate check, {name} (new process; exit {sorted(set(exits[key]))}) "
              f"| {min(runs):.2f} | {statistics.median(runs):.2f} |")
        print(f"| ratio to the bare fit (goal <= 4x) | {min(runs) / min(bare):.1f}x "
              f"| {statistics.median(runs) / statistics.median(bare):.1f}x |")
    report = result.report
    train_timings = result.train.timings if result.train else {}
    print("\n| step (one in-process run, no cache, after imports) | status | s | / bare fit |")
    print("| --- | --- | --- | --- |")
    for name, seconds in train_timings.items():
        print(f"| train: {name} | - | {seconds:.2f} | {seconds / bound:.2f}x |")
    early = {m.AUDIT_ID for m in TREE_AUDITS}
    for audit in report.audits:
        note = " (beside training)" if audit.id in early else ""
        print(f"| audit {audit.id}{note} | {audit.status} | {audit.duration_s:.2f} "
              f"| {audit.duration_s / bound:.2f}x |")
    print(f"| whole check | {'pass' if report.passed else 'FAIL'} | {total:.2f} "
          f"| {total / bound:.2f}x |")


def main() -> int:
    args = sys.argv[1:]
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 7
    if "--pii-only" in args:
        bench_pii(rounds)
        return 0
    check_rounds = int(args[args.index("--check-rounds") + 1]) if "--check-rounds" in args else 3
    bench_check(check_rounds, head="--head" in args)
    if "--no-pii" not in args:
        bench_pii(rounds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bench: the time of each audit and of the whole `modelgate check`, on a clean clone of
this repository (so the git, REUSE and bandit audits see exactly what is committed).

Usage: python bench/check.py
"""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # the repository root instead of bench/, as for the tests


def main() -> int:
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
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())

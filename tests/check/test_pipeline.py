# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""`modelgate check`: every audit runs with a time limit, fails closed, and the shipped
repository passes all of them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from demo.mlflow_store import mlflow_template_db
from modelgate.bot.check import pending, tree_audits
from modelgate.bot.check.audits import _scan_cache
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.bot.check.pipeline import VERSION_TAG_COMMIT, VERSION_TAG_PASSED, run_check
from modelgate.bot.check.report import AuditReport
from modelgate.governance import load_config
from modelgate.progress import ConsoleReporter
from tests.conftest import REPO, git, make_workspace

EXPECTED_IDS = ["pii", "ip_headers", "security", "leakage", "bias", "performance_gate",
                "servable", "lineage", "model_card"]


def _module(audit_id: str, run: Any) -> SimpleNamespace:
    return SimpleNamespace(AUDIT_ID=audit_id, TITLE=f"{audit_id} title", run=run)


def _raises(ctx: AuditContext) -> AuditResult:
    raise ZeroDivisionError("division by zero in the audit")


def _hangs(ctx: AuditContext) -> AuditResult:
    time.sleep(60)
    raise AssertionError("unreachable")


def _no_evidence(ctx: AuditContext) -> AuditResult:
    raise EvidenceMissing("the evaluation set artifact is gone")


def _lies(ctx: AuditContext) -> AuditResult:
    return AuditResult(id="someone_else", title="x", status="pass", summary="trust me")


def test_fail_closed_audits_are_failures_and_both_files_are_written(tmp_path: Path) -> None:
    """An audit that raises, hangs, misses evidence or returns another id fails the check,
    with the reason, and the report and checklist are still written."""
    root = make_workspace(tmp_path / "ws")
    audits = (_module("crashes", _raises), _module("hangs", _hangs),
              _module("blind", _no_evidence), _module("liar", _lies))
    started = time.monotonic()
    result = run_check(load_config(root / "governance.yml"), tmp_path, audits=audits,
                       timeout_s=1.0, reporter=ConsoleReporter(io.StringIO()))
    assert time.monotonic() - started < 45
    report = AuditReport.model_validate_json((tmp_path / "audit_report.json").read_bytes())
    assert report == result.report and report.passed is False
    by_id = {a.id: a for a in report.audits}
    assert by_id["crashes"].status == "error"
    assert "ZeroDivisionError: division by zero in the audit" in by_id["crashes"].summary
    assert by_id["hangs"].status == "error" and "timed out after 1 s" in by_id["hangs"].summary
    assert by_id["blind"].status == "fail"
    assert by_id["blind"].summary == "evidence missing: the evaluation set artifact is gone"
    assert by_id["liar"].status == "error" and "no valid result" in by_id["liar"].summary
    checklist = (tmp_path / "checklist.md").read_text()
    # the card built without performance or subgroup evidence fails its own audit too
    assert checklist.count("- [ ]") == 5 and "`model_card`" in checklist


def test_runner_survives_an_audit_returning_unserialisable_details() -> None:
    """Evidence with NaN or numpy values is made JSON-safe instead of crashing the report."""
    import numpy as np

    def odd(ctx: AuditContext) -> AuditResult:
        return AuditResult(id="odd", title="odd", status="pass", summary="ok",
                           details={"nan": float("nan"), "n": np.int64(3), "t": (1, 2)})

    entry = pending.run_audit(_module("odd", odd), ctx=None, timeout_s=5)  # type: ignore[arg-type]
    assert entry.details == {"nan": None, "n": 3, "t": [1, 2]}
    json.dumps(entry.model_dump())


@pytest.mark.slow
@pytest.mark.shipped_example
def test_shipped_repository_passes_every_audit(tmp_path: Path) -> None:
    """`modelgate check` on a clean clone of this repository passes all nine audits,
    writes report, checklist and card, and records the result on the model version."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--no-hardlinks", str(REPO), str(clone))
    (clone / ".modelgate").mkdir()
    import shutil

    shutil.copy2(mlflow_template_db(), clone / ".modelgate" / "mlflow.db")
    config = load_config(clone / "governance.yml")
    out = clone / "out"
    result = run_check(config, out, reporter=ConsoleReporter(io.StringIO()))
    report = result.report
    failing = {a.id: a.summary for a in report.audits if a.status != "pass"}
    assert failing == {}
    assert [a.id for a in report.audits] == EXPECTED_IDS
    assert report.commit == git(clone, "rev-parse", "HEAD")
    for name in ("audit_report.json", "checklist.md", "model_card.md", "model_card.json",
                 "model_card.mct.json"):
        assert (out / name).is_file(), name
    from mlflow import MlflowClient

    client = MlflowClient(config.tracking_uri())
    assert report.model_version is not None and report.run_id is not None
    tags = client.get_model_version(report.model_name, report.model_version).tags
    assert tags[VERSION_TAG_PASSED] == "true" and tags[VERSION_TAG_COMMIT] == report.commit
    artifacts = {a.path for a in client.list_artifacts(report.run_id, "audit")}
    assert "audit/audit_report.json" in artifacts


def test_tree_audits_run_beside_training_and_keep_their_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An audit that only reads the tree starts before training and runs beside it; a
    tree audit that hangs still times out; the report keeps the order of ``audits``."""
    from modelgate.training.train import train as trained

    events: list[str] = []

    def train(*args: Any, **kwargs: Any) -> Any:
        events.append("train starts")
        out = trained(*args, **kwargs)
        events.append("train ends")
        return out

    def reads_tree(ctx: AuditContext) -> AuditResult:
        events.append("tree audit starts")
        assert ctx.extra == {}  # MODELGATE_SECRET_SCAN_CACHE="" : no cache
        return AuditResult(id="tree", title="t", status="pass", summary="ok")

    tree, hung = _module("tree", reads_tree), _module("hung_tree", _hangs)
    late = _module("late", lambda ctx: AuditResult(id="late", title="l", status="pass",
                                                   summary="ok"))
    monkeypatch.setattr(tree_audits, "TREE_AUDITS", (tree, hung))
    monkeypatch.setattr("modelgate.bot.check.pipeline.train", train)
    monkeypatch.setenv(_scan_cache.SCAN_CACHE_ENV, "")
    root = make_workspace(tmp_path / "ws")
    result = run_check(load_config(root / "governance.yml"), tmp_path / "out",
                       audits=(late, tree, hung), timeout_s=20.0,
                       reporter=ConsoleReporter(io.StringIO()))
    assert events.index("tree audit starts") < events.index("train ends")
    assert [a.id for a in result.report.audits] == ["late", "tree", "hung_tree", "model_card"]
    by_id = {a.id: a for a in result.report.audits}
    assert by_id["tree"].status == "pass" and by_id["hung_tree"].status == "error"


def test_the_scan_cache_lives_outside_the_tree() -> None:
    """The secret scan's cache: the variable wins (empty: none), else the user cache."""

    assert _scan_cache.scan_cache_path({_scan_cache.SCAN_CACHE_ENV: ""}) is None
    assert _scan_cache.scan_cache_path({_scan_cache.SCAN_CACHE_ENV: "/c/s.json"}) == Path(
        "/c/s.json")
    assert _scan_cache.scan_cache_path({"XDG_CACHE_HOME": "/x"}) == Path(
        "/x/modelgate", _scan_cache.SCAN_CACHE_FILE)


def test_the_tree_audits_start_before_the_heavy_imports() -> None:
    """``tree_audits`` (what ``modelgate check`` starts first) and ``modelgate check``'s
    parser import neither scikit-learn, pandas, NumPy nor MLflow, so the tree audits'
    child processes overlap those imports."""
    script = ("import sys; import modelgate.bot.check.tree_audits, modelgate.bot.cli.main; "
              "print(' '.join(m for m in ('sklearn', 'pandas', 'numpy', 'mlflow', 'scipy') "
              "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, cwd=REPO)
    assert done.stdout.split() == []

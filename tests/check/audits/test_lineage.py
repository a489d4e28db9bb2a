# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Lineage resolves data -> run -> model version -> commit, and names a broken link."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

from modelgate.bot.check.audits import lineage
from modelgate.bot.check.audits.base import AuditContext


def _broken(result_details: dict[str, object]) -> list[str]:
    return [link["link"] for link in result_details["links"] if not link["ok"]]  # type: ignore[attr-defined]


def test_trained_run_has_complete_lineage(audit_context: AuditContext) -> None:
    """A governed run from a clean commit passes every link."""
    result = lineage.run(audit_context)
    assert result.status == "pass", result.summary
    assert _broken(result.details) == []
    assert result.details["commit"] == audit_context.commit


def test_deleted_artifact_fails(tmp_path: Path) -> None:
    """A run whose confusion matrix was deleted from the store fails, naming the artifact."""
    from modelgate.bot.check.pipeline import build_context
    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter
    from modelgate.training import tracking
    from modelgate.training.train import train
    from tests.conftest import make_workspace

    root = make_workspace(tmp_path / "ws")
    config = load_config(root / "governance.yml")
    result = train(config, reporter=ConsoleReporter(io.StringIO()))
    deleted = [p for p in (root / ".modelgate" / "artifacts").rglob("confusion_matrix.png")
               if result.run_id in str(p)]
    assert len(deleted) == 1
    deleted[0].unlink()
    ctx = build_context(config, result, tracking.configure(config), tmp_path / "evidence")
    outcome = lineage.run(ctx)
    assert outcome.status == "fail"
    assert _broken(outcome.details) == ["run artifacts"]
    assert "confusion_matrix.png" in outcome.summary


def test_other_commit_fails(audit_context: AuditContext) -> None:
    """Auditing a commit other than the one that trained the model fails."""
    result = lineage.run(dataclasses.replace(audit_context, commit="f" * 40))
    assert result.status == "fail"
    assert _broken(result.details) == ["run -> commit"]


def test_changed_data_fails(audit_context: AuditContext) -> None:
    """A run tag that disagrees with the data file breaks the data link."""
    assert audit_context.run is not None
    tags = dict(audit_context.run.tags, data_sha256="0" * 64)
    run = dataclasses.replace(audit_context.run, tags=tags)
    result = lineage.run(dataclasses.replace(audit_context, run=run))
    assert "manifest = run tag" in _broken(result.details)

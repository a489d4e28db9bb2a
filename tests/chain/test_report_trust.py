# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The App's gate posts only a report computed by the trusted verdict (``computed_by``);
the PR job's own, advisory report fails the head closed. The legacy gate still takes it,
with a warning in the comment."""

from __future__ import annotations

from typing import Any

import pytest

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401
from tests.bot_support import (
    APP_PERMISSIONS,
    REPO,
    Scene,
    artifact_files,
    make_metadata,
    make_report,
    zip_of,
)


def scene_of(app: bool, github_double: GitHubDouble, tmp_path: Any,  # noqa: F811
             monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Scene:
    return Scene(github_double, tmp_path, monkeypatch, capsys, app=app,
                 app_permissions={**APP_PERMISSIONS, "workflows": "write"})


def test_the_app_refuses_an_advisory_report(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """modelgate report exits 1, the check fails and the comment says why; approvals on
    that head do not merge it."""
    scene = scene_of(True, github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    head = scene.head(number)
    advisory = make_report(head, trusted=False)
    run = scene.report(number, files=artifact_files(head, number, report=advisory))
    assert run.code == 1, run.out
    assert "not computed by the trusted verdict" in run.out
    check = scene.check(number)
    assert check is not None and check["conclusion"] == "failure"
    assert "not computed by the trusted verdict" in scene.living(number)
    for who in ("dana", "mo", "cleo"):
        scene.say(who, number, "/approve")
    assert not scene.merged(number)


def test_the_app_refuses_it_from_the_audit_run_too(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The workflow_run path of modelgate handle refuses it the same way."""
    scene = scene_of(True, github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate PR check", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml")
    files = artifact_files(head, number, report=make_report(head, trusted=False),
                           metadata=make_metadata(head, pr=number, run_id=run_id))
    scene.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
    run = scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    assert run.code == 1, run.out
    check = scene.check(number)
    assert check is not None and check["conclusion"] == "failure"


def test_the_legacy_gate_takes_it_with_a_warning(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without the App the gate is not sound anyway: the report is posted, and the comment
    warns that it is the PR job's own."""
    scene = scene_of(False, github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    head = scene.head(number)
    advisory = make_report(head, trusted=False)
    run = scene.report(number, files=artifact_files(head, number, report=advisory))
    assert run.code == 0, run.out
    assert "the legacy gate accepts it" in scene.living(number)
    check = scene.check(number)
    assert check is None or check["conclusion"] != "failure"


def test_a_trusted_verdict_is_posted_without_a_warning(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scene = scene_of(True, github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    run = scene.report(number)
    assert run.code == 0, run.out
    assert "trusted verdict" not in scene.living(number)

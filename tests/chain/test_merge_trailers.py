# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The merge commit names each approval with its user id and source URL, and the PR's
author, so the release statement (modelgate.bot.release.statement) can carry them."""

from __future__ import annotations

from typing import Any

import pytest

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.release.statement import approvals_from_message, author_from_message
from tests.bot_support import APP_PERMISSIONS, AUTHOR, CS, DS, ML, REPO, Scene


def test_the_merge_commit_carries_ids_and_sources(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every Modelgate-Approved trailer is followed by its source trailer (user id, the
    comment's URL); one author trailer names the PR's author by id."""
    scene = Scene(github_double, tmp_path, monkeypatch, capsys, app=True,
                  app_permissions={**APP_PERMISSIONS, "workflows": "write"})
    number = scene.open_pr()
    scene.audit(number)
    comments = {who: scene.say(who, number, "/approve") for who in ("dana", "mo", "cleo")}
    assert scene.merged(number), scene.runs[-1].out
    pull = scene.gh.pull(REPO, number)
    message = scene.gh.state.repo_for_tests(REPO).commits[pull["merge_commit_sha"]].message
    # the statement reads https URLs only; the double serves plain http on a local port
    assert "Modelgate-Approval-Source: " in message
    approvals = approvals_from_message(message.replace("http://", "https://"))
    assert {(a.role, a.login) for a in approvals} == {(DS, "dana"), (ML, "mo"), (CS, "cleo")}
    for a in approvals:
        assert a.user_id == scene.gh.state.accounts[a.login].id, message
        assert a.url is not None and a.url.endswith(f"#issuecomment-{comments[a.login]}")
        assert a.on_commit == pull["head"]["sha"]
    author = author_from_message(message)
    assert author == {"login": AUTHOR, "userId": scene.gh.state.accounts[AUTHOR].id}
    assert message.count("Modelgate-Author:") == 1

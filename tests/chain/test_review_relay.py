# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Reviews reach the bot through the relay: pr-review.yml's run (no token, the PR's merge
ref) completes, and pr-commands.yml's trusted job handles that workflow_run by re-reading
the pull request's reviews."""

from __future__ import annotations

from typing import Any

import pytest

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401
from tests.bot_support import APP_PERMISSIONS, ML, REPO, Scene

RELAY = "modelgate review relay"


def relay(scene: Scene, number: int, *, with_pulls: bool = True,
          event: str = "pull_request_review") -> Any:
    run = scene.gh.add_workflow_run(REPO, name=RELAY, head_sha=scene.head(number),
                                    pull_number=number if with_pulls else None, event=event,
                                    workflow_file="pr-review.yml")
    return scene.handle(scene.gh.webhooks.workflow_run(REPO, run))


def make_scene(github_double: GitHubDouble, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
               capsys: pytest.CaptureFixture[str]) -> Scene:
    return Scene(github_double, tmp_path, monkeypatch, capsys, app=True, review_approves=True,
                 app_permissions={**APP_PERMISSIONS, "workflows": "write"})


@pytest.mark.parametrize("with_pulls", [True, False], ids=["pull_requests", "head sha"])
def test_a_relayed_review_approves(
    with_pulls: bool,
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An approving review, never delivered itself, counts once the relay's run completes;
    a fork's run (no pull_requests) is matched by its head sha."""
    scene = make_scene(github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    scene.gh.submit_review(REPO, number, as_user="mo", event="APPROVE")
    assert f"approved:{ML}" not in scene.labels(number)
    run = relay(scene, number, with_pulls=with_pulls)
    assert run.code == 0, run.out
    assert f"approved:{ML}" in scene.labels(number)


def test_a_relayed_dismissal_withdraws(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A dismissed approving review stops counting when its relay completes."""
    scene = make_scene(github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    hook = scene.gh.submit_review(REPO, number, as_user="mo", event="APPROVE")
    assert relay(scene, number).code == 0
    assert f"approved:{ML}" in scene.labels(number)
    scene.gh.dismiss_review(REPO, number, hook.payload["review"]["id"], as_user="cleo",
                            message="dismissed")
    assert relay(scene, number).code == 0
    assert f"approved:{ML}" not in scene.labels(number)


def test_a_relay_run_not_started_by_a_review_does_nothing(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The relay's name on a run some other event started (a copy dispatched by hand) is
    answered with a no-op."""
    scene = make_scene(github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    scene.gh.submit_review(REPO, number, as_user="mo", event="APPROVE")
    run = relay(scene, number, event="workflow_dispatch")
    assert run.code == 0, run.out
    assert "not by a review" in run.out
    assert f"approved:{ML}" not in scene.labels(number)

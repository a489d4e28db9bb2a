# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""GitHub failing under the bot: 403, 404, 422, 5xx and rate limits end in one clear log
line and never in a wrong label, comment or merge; only what GitHub documents as safe is
retried (reads, and anything refused by a secondary rate limit), after the wait it asks for."""

from __future__ import annotations

import pytest

from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.github.api import TEAM_FORBIDDEN_HINT
from tests.bot_support import BOT, CS, DS, ML, REPO, Scene

ALL = {f"approved:{DS}", f"approved:{ML}", f"approved:{CS}"}


class Sleeps:
    """Records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def ready_but_one(scene: Scene) -> tuple[int, int]:
    """A green pull request approved by dana and mo; cleo's /approve is written, not yet
    handled (its comment id is returned)."""
    number = scene.open_pr()
    assert scene.report(number).code == 0
    scene.say("dana", number, "/approve")
    scene.say("mo", number, "/approve")
    return number, scene.gh.comment_as("cleo", REPO, number, "/approve")


def writes(scene: Scene) -> list[str]:
    return [f"{c.method} {c.path}" for c in scene.gh.calls
            if c.login == BOT and c.method != "GET" and c.path != "/graphql"]


def test_a_403_on_labels_stops_before_the_comment_and_the_merge(scene: Scene) -> None:
    """The refusal is named; no label, no card update, no merge. Once GitHub accepts
    again, the same event finishes the job without repeating what was done."""
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("POST", f"/repos/{REPO}/issues/{number}/labels", 403)
    event = scene.gh.webhooks.issue_comment(REPO, comment_id)
    run = scene.handle(event)
    assert run.code == 4  # GitHub refused or failed
    assert "GitHub answered 403 to POST labels approved:clinical-safety on #1: Forbidden" \
        in run.out
    assert scene.labels(number) == {f"approved:{DS}", f"approved:{ML}"}
    assert not scene.merged(number) and scene.gh.dispatches(REPO) == []
    assert scene.handle(event).code == 0
    assert scene.labels(number) == ALL and scene.merged(number)
    # The reply step comes last and is never retried: its reaction may be lost, never doubled.
    assert len(scene.reactions(comment_id)) <= 1


def test_a_404_on_the_pull_request_writes_nothing(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("GET", f"/repos/{REPO}/pulls/{number}", 404)
    scene.gh.clear_calls()
    run = scene.handle(scene.gh.webhooks.issue_comment(REPO, comment_id))
    assert run.code == 4  # GitHub refused or failed
    assert f"GitHub answered 404 to GET pull request #{number}: Not Found" in run.out
    assert writes(scene) == []


def test_a_422_on_the_living_comment_comes_after_the_merge(scene: Scene) -> None:
    """The check, the labels and the merge come before the comment (issue 13): a comment
    GitHub refused is named, but the decision it only displays has been applied."""
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("PATCH", f"/repos/{REPO}/issues/comments/*", 422)
    run = scene.handle(scene.gh.webhooks.issue_comment(REPO, comment_id))
    assert run.code == 4  # GitHub refused or failed
    assert "GitHub answered 422 to PATCH comment" in run.out
    assert "Validation Failed" in run.out
    assert scene.merged(number) and len(scene.gh.dispatches(REPO)) == 1


def test_a_5xx_on_a_read_is_retried_with_backoff(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("GET", f"/repos/{REPO}/pulls/{number}", 502, times=2)
    sleeps = Sleeps()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=sleeps)
    assert run.code == 0, run.out
    assert sleeps.waits == [1.0, 2.0]
    assert "GitHub answered 502 to GET pull request #1: retrying in 1 s" in run.out
    assert scene.merged(number)


def test_a_read_that_keeps_failing_gives_up_without_writing(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("GET", f"/repos/{REPO}/pulls/{number}", 500, times=3)
    scene.gh.clear_calls()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=Sleeps())
    assert run.code == 4  # GitHub refused or failed
    assert "GitHub answered 500 to GET pull request #1: Server Error" in run.out
    assert writes(scene) == []


def test_a_5xx_on_a_reaction_is_not_retried_and_blocks_nothing(scene: Scene) -> None:
    """A reaction that failed with 500 may or may not exist: it is not sent again, and the
    labels and merge, written before it, stand."""
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("POST", f"/repos/{REPO}/issues/comments/{comment_id}/reactions", 500)
    sleeps = Sleeps()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=sleeps)
    assert run.code == 0, run.out
    assert sleeps.waits == []
    path = f"/repos/{REPO}/issues/comments/{comment_id}/reactions"
    assert len(scene.gh.calls_to("POST", path)) == 1
    assert "skipped, not retried" in run.out
    assert scene.labels(number) == ALL and scene.merged(number)


def test_a_5xx_on_the_merge_is_not_retried_and_nothing_is_released(scene: Scene) -> None:
    """After a failed merge request the bot reads the pull request back: not merged, so
    nothing is handed to release."""
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("PUT", f"/repos/{REPO}/pulls/{number}/merge", 502)
    sleeps = Sleeps()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=sleeps)
    assert run.code == 4  # GitHub refused or failed
    assert "the merge request failed" in run.out
    assert "nothing is handed to release" in run.out
    assert len(scene.gh.calls_to("PUT", f"/repos/{REPO}/pulls/{number}/merge")) == 1
    assert not scene.merged(number) and scene.gh.dispatches(REPO) == []


def test_a_secondary_rate_limit_is_waited_out_then_retried(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_secondary_rate_limit("POST", f"/repos/{REPO}/issues/{number}/labels",
                                         retry_after=7)
    sleeps = Sleeps()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=sleeps)
    assert run.code == 0, run.out
    assert sleeps.waits == [7.0]
    assert "secondary rate limit on POST labels" in run.out
    assert scene.labels(number) == ALL and scene.merged(number)


def test_a_secondary_rate_limit_asking_too_long_a_wait_is_an_error(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_secondary_rate_limit("POST", f"/repos/{REPO}/issues/{number}/labels",
                                         retry_after=3600)
    sleeps = Sleeps()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=sleeps)
    assert run.code == 4  # GitHub refused or failed
    assert sleeps.waits == []
    assert "secondary rate limit" in run.out
    assert not scene.merged(number)


def test_an_exhausted_primary_rate_limit_is_not_retried(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.set_rate_limit_remaining(BOT, 0)
    sleeps = Sleeps()
    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id), sleep=sleeps)
    assert run.code == 4  # GitHub refused or failed
    assert sleeps.waits == []
    assert "API rate limit exceeded" in run.out
    assert "used up until" in run.out
    assert not scene.merged(number)


def test_without_an_organisation_token_team_roles_fail_closed(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A GITHUB_TOKEN cannot read team membership: the bot says so and decides nothing."""
    monkeypatch.delenv("MODELGATE_ORG_TOKEN")
    number = scene.open_pr()
    comment_id = scene.gh.comment_as("tess", REPO, number, "/approve")
    scene.gh.clear_calls()
    run = scene.handle(scene.gh.webhooks.issue_comment(REPO, comment_id))
    assert run.code == 4  # GitHub refused or failed
    assert "403" in run.out and TEAM_FORBIDDEN_HINT.strip("; ") in run.out
    assert writes(scene) == []
    assert scene.reactions(comment_id) == []


def test_a_token_that_cannot_write_checks_is_named(scene: Scene) -> None:
    number = scene.gh.create_pull(REPO, "alice", head_ref="x", files={"train.py": "x\n"})
    scene.gh.inject_fault("POST", f"/repos/{REPO}/check-runs", 403,
                          message="You must authenticate via a GitHub App.")
    run = scene.handle(scene.gh.webhooks.pull_request(REPO, number, "opened", target=True))
    assert run.code == 4  # GitHub refused or failed
    assert "GitHub answered 403 to POST check run modelgate: You must authenticate" in run.out


def test_a_release_that_cannot_be_dispatched_says_how_to_start_it(scene: Scene) -> None:
    number, comment_id = ready_but_one(scene)
    scene.gh.inject_fault("POST", f"/repos/{REPO}/actions/workflows/*/dispatches", 500)
    run = scene.handle(scene.gh.webhooks.issue_comment(REPO, comment_id))
    assert run.code == 4  # GitHub refused or failed
    assert scene.merged(number)
    assert "the release could not be started" in run.out
    assert f"pr_number={number}" in run.out


def test_github_still_computing_mergeability_is_waited_for_once(scene: Scene) -> None:
    """GitHub answers ``mergeable: null`` until it has tried the merge; the bot waits once,
    reads again, and merges when the answer has come."""
    number, comment_id = ready_but_one(scene)
    scene.gh.set_mergeable(REPO, number, None)
    waits: list[float] = []

    def github_finishes_meanwhile(seconds: float) -> None:
        waits.append(seconds)
        scene.gh.set_mergeable(REPO, number, True)

    run = scene.handle_direct(scene.gh.webhooks.issue_comment(REPO, comment_id),
                              sleep=github_finishes_meanwhile)
    assert run.code == 0, run.out
    assert waits == [3.0]
    assert scene.merged(number)


def test_a_base_branch_without_governance_decides_nothing(scene: Scene) -> None:
    """The roles live on the base branch only; without them nothing is approved."""
    scene.gh.commit(REPO, "main", {"governance.yml": None}, message="remove governance")
    number = scene.gh.create_pull(REPO, "alice", head_ref="x",
                                  files={"governance.yml": "anything the PR likes\n"})
    comment_id = scene.gh.comment_as("dana", REPO, number, "/approve")
    scene.gh.clear_calls()
    run = scene.handle(scene.gh.webhooks.issue_comment(REPO, comment_id))
    assert run.code == 2  # the base branch's governance: configuration
    assert "governance.yml is not on the base branch main" in run.out
    assert writes(scene) == []


def test_an_invalid_governance_on_the_base_branch_is_named(scene: Scene) -> None:
    scene.gh.commit(REPO, "main", {"governance.yml": "approval: [1, 2\n"}, message="broken")
    number = scene.gh.create_pull(REPO, "alice", head_ref="x", files={"a": "1"})
    run = scene.handle(scene.gh.webhooks.pull_request(REPO, number, "opened", target=True))
    assert run.code == 2  # the base branch's governance: configuration
    assert "main:governance.yml: not valid YAML" in run.out

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The GitHub layer reads GitHub's real JSON shapes (PyGithub's recordings of api.github.com)
and the double's, and its PyGithub-backed calls behave as the bot relies on."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.github.api import (
    GHOST,
    CheckOutput,
    CommentInfo,
    CommitEntry,
    GitHubApiError,
    GitHubDataError,
    LabelEntry,
    PyGithubApi,
    parse_check_run,
    parse_pull,
    parse_timeline_entry,
)
from tests.bot_support import BOT, ORG_READER, REPO, Scene, zip_of
from tests.conftest import FIXTURES

REST = FIXTURES / "github-rest"


def recorded(name: str, exchange: int = 0) -> Any:
    """The JSON body of one exchange of a PyGithub replay recording."""
    lines = (REST / name).read_text(encoding="utf-8").split("\n")
    return json.loads(lines[exchange * 11 + 9])


def test_a_recorded_timeline_is_read_as_comments_labels_and_commits() -> None:
    """Real timeline rows: comments with their author and body, commits with the
    committer's date, labels with their actor; other rows are skipped."""
    rows = recorded("issue_timeline.list.on_pr.txt")
    entries = [e for row in rows if (e := parse_timeline_entry(row)) is not None]
    kinds = [type(e).__name__ for e in entries]
    assert kinds == ["CommitEntry"] * 3 + ["CommentInfo", "LabelEntry"]
    comment = next(e for e in entries if isinstance(e, CommentInfo))
    raw = next(r for r in rows if r["event"] == "commented")
    assert comment.author == raw["user"]["login"] != GHOST
    del raw["user"]  # a row naming only the actor is read the same way
    assert parse_timeline_entry(raw) == comment
    assert comment.body == raw["body"]
    commit = next(e for e in entries if isinstance(e, CommitEntry))
    assert commit.committed_at is not None and commit.committed_at.tzinfo is not None
    label = next(e for e in entries if isinstance(e, LabelEntry))
    assert label.added and label.actor == next(r for r in rows
                                               if r["event"] == "labeled")["actor"]["login"]


def test_a_recorded_pull_request_and_check_run_are_read() -> None:
    pull = parse_pull(recorded("pull_request.merge.with_commit_message.txt"))
    assert pull.number == 39 and pull.head_sha and pull.base_ref
    run = parse_check_run(recorded("check_run.create.completed.txt"))
    assert run.status == "completed" and run.conclusion and run.app_slug


def test_a_deleted_account_reads_as_the_ghost_user() -> None:
    row = {"event": "labeled", "actor": None, "label": {"name": "hold"},
           "created_at": "2026-01-05T09:00:00Z"}
    entry = parse_timeline_entry(row)
    assert isinstance(entry, LabelEntry) and entry.actor == GHOST


@pytest.mark.parametrize(
    "row",
    [
        {"event": "labeled", "actor": {"login": "x"}, "created_at": "2026-01-05T09:00:00Z"},
        {"event": "labeled", "label": {"name": "x"}, "created_at": "yesterday"},
        {"event": "commented", "body": "/approve"},
        "not an object",
    ],
)
def test_a_row_missing_what_the_bot_needs_is_an_error_not_a_guess(row: Any) -> None:
    with pytest.raises(GitHubDataError):
        parse_timeline_entry(row)


def api_for(scene: Scene, **kwargs: Any) -> PyGithubApi:
    return PyGithubApi(scene.gh.client(BOT), REPO, members=scene.gh.client(ORG_READER),
                       **kwargs)


def test_files_are_read_from_the_ref_asked_for(scene: Scene) -> None:
    number = scene.gh.create_pull(REPO, "alice", head_ref="x",
                                  files={"governance.yml": "changed by the PR\n"})
    api = api_for(scene)
    base = api.get_file("governance.yml", "main")
    assert base is not None and b"approval:" in base
    assert api.get_file("governance.yml", api.get_pull(number).head_ref) == b"changed by the PR\n"
    assert api.get_file("missing.yml", "main") is None


def test_team_membership_is_active_only(scene: Scene) -> None:
    api = api_for(scene)
    assert api.is_team_member("acme", "ml-reviewers", "tess") is True
    assert api.is_team_member("acme", "ml-reviewers", "penny") is False  # pending
    assert api.is_team_member("acme", "ml-reviewers", "mallory") is False  # not in it
    assert api.is_team_member("acme", "no-such-team", "tess") is False


def test_the_timeline_is_read_across_pages(scene: Scene) -> None:
    number = scene.gh.create_pull(REPO, "alice", head_ref="x", files={"a": "1"})
    for i in range(130):
        scene.gh.comment_as("dana", REPO, number, f"comment {i}")
    entries = api_for(scene).list_timeline(number)
    assert [e.body for e in entries if isinstance(e, CommentInfo)][-1] == "comment 129"
    assert len(entries) == 130
    assert len(scene.gh.calls_to("GET", f"/repos/{REPO}/issues/{number}/timeline")) == 2


def test_merge_answers_405_and_409_as_outcomes(scene: Scene) -> None:
    number = scene.gh.create_pull(REPO, "alice", head_ref="x", files={"a": "1"})
    api = api_for(scene)
    moved = api.merge(number, sha="0" * 40, method="merge", title="t")
    assert (moved.merged, moved.status) == (False, 409)
    scene.gh.set_mergeable(REPO, number, False)
    blocked = api.merge(number, sha=api.get_pull(number).head_sha, method="merge", title="t")
    assert (blocked.merged, blocked.status) == (False, 405)
    scene.gh.set_mergeable(REPO, number, True)
    done = api.merge(number, sha=api.get_pull(number).head_sha, method="squash", title="t")
    assert done.merged and done.sha == api.get_pull(number).merge_commit_sha


def test_an_artifact_download_stops_at_the_limit(scene: Scene) -> None:
    head = scene.gh.branch_sha(REPO, "main")
    run_id = scene.gh.add_workflow_run(REPO, name="audit", head_sha=head)
    data = zip_of({"big.bin": bytes(range(256)) * 4000})
    artifact_id = scene.gh.add_artifact(REPO, run_id, "modelgate-audit", data)
    api = api_for(scene)
    [listed] = api.list_artifacts(run_id, "modelgate-audit")
    assert (listed.id, listed.size, listed.head_sha) == (artifact_id, len(data), head)
    assert api.download_artifact(artifact_id, len(data)) == data
    with pytest.raises(GitHubApiError, match=r"over 1000 bytes|limit 1000"):
        api.download_artifact(artifact_id, 1000)


def test_an_expired_artifact_is_an_error(scene: Scene) -> None:
    head = scene.gh.branch_sha(REPO, "main")
    run_id = scene.gh.add_workflow_run(REPO, name="audit", head_sha=head)
    artifact_id = scene.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of({"a": b"1"}))
    scene.gh.expire_artifact(REPO, artifact_id)
    api = api_for(scene, sleep=lambda _: None)
    assert api.list_artifacts(run_id, "modelgate-audit")[0].expired
    with pytest.raises(GitHubApiError) as caught:
        api.download_artifact(artifact_id, 10_000)
    assert caught.value.status == 410


def test_check_runs_of_a_commit_are_listed_with_their_app(scene: Scene) -> None:
    head = scene.gh.branch_sha(REPO, "main")
    api = api_for(scene)
    made = api.create_check_run(head, "modelgate", status="in_progress", conclusion=None,
                                output=CheckOutput("t", "s"), details_url=None)
    done = api.update_check_run(made.id, status="completed", conclusion="success",
                                output=CheckOutput("t", "s", "x"), details_url=None)
    assert done.conclusion == "success"
    [listed] = api.list_check_runs(head, "modelgate")
    assert (listed.id, listed.app_slug) == (made.id, "github-actions")
    assert listed.started_at is not None and listed.started_at <= datetime.now(UTC)


def test_the_repository_name_is_checked() -> None:
    with pytest.raises(ValueError, match="owner/name"):
        PyGithubApi(None, "not a repo")  # type: ignore[arg-type]

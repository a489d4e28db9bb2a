# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate handle``: every captured webhook payload goes through it against the GitHub
double and ends in the expected action or a logged no-op, never a crash; payloads that are
not what they claim are one clear error; the same event twice changes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.github.events import (
    EventError,
    IssueCommentPayload,
    PullRequestPayload,
    WorkflowRunPayload,
    parse_event,
    read_event,
)
from tests.bot_support import BOT, DS, REPO, Scene
from tests.conftest import FIXTURES, load_fixture_json

WEBHOOKS = FIXTURES / "github-webhooks"
# file -> what `handle` must do with it (after pointing it at acme/model and PR #1)
EXPECTED = {
    "check_run.completed.json": "noop: check_run is not an event modelgate handles",
    "check_suite.completed.json": "noop: check_suite is not an event modelgate handles",
    "push.json": "noop: push is not an event modelgate handles",
    "issue_comment.created.on_issue.json": "noop: issue_comment on issue #1, which is not",
    "issue_comment.created.on_issue.with_installation.json": "noop: issue_comment on issue",
    "issue_comment.edited.on_issue.json": "noop: issue_comment on issue #1",
    "issue_comment.deleted.on_issue.json": "noop: issue_comment on issue #1",
    "issue_comment.created.on_pr.packit.json": "holds no /approve or /hold command",
    "issue_comment.created.on_pr.slash_build.go-playground.json": "holds no /approve or /hold",
    "issue_comment.created.on_pr.empty_body.packit.json": "holds no /approve or /hold command",
    "pull_request.opened.json": "sync: pull_request opened",
    "pull_request.opened.null_body.json": "sync: pull_request opened",
    "pull_request.reopened.json": "sync: pull_request reopened",
    "pull_request.synchronize.json": "sync: pull_request synchronize",
    "pull_request.closed.not_merged.json": "noop: #1 was closed without merging",
    "pull_request.closed.merged.create-issue-branch.json": "noop: #1 was closed and merged by",
    "pull_request.labeled.json": "noop: label 'bug' is not one the approval chain manages",
    "pull_request.labeled.multi_labels.pytorch.json": "noop: label 'ci/windows' is not one",
    "pull_request.unlabeled.json": "noop: label 'bug' is not one the approval chain manages",
    "pull_request.unlabeled.pytorch.json": "noop: label 'ciflow/test' is not one",
    "pull_request_review.submitted.commented.json": "sync: review submitted",
    "pull_request_review.submitted.approved.go-playground.json": "sync: review submitted",
    "workflow_run.completed.json": "noop: workflow run of 'test.yml' is not the audit workflow",
    "workflow_run.completed.with_pull_requests.json": "noop: workflow run of 'test.yml'",
    "workflow_run.requested.json": "noop: workflow_run requested: nothing to do",
}


def event_name(file: str) -> str:
    return file.split(".", 1)[0]


def pointed_at_the_double(file: str, number: int) -> dict[str, Any]:
    """The payload with its repository and pull request numbers rewritten to acme/model."""
    payload: dict[str, Any] = copy.deepcopy(load_fixture_json(f"github-webhooks/{file}"))
    payload["repository"]["full_name"] = REPO
    payload["repository"]["name"] = "model"
    payload["repository"]["owner"]["login"] = "acme"
    for key in ("pull_request", "issue"):
        if isinstance(payload.get(key), dict):
            payload[key]["number"] = number
    if "number" in payload:
        payload["number"] = number
    return payload


def test_every_fixture_is_covered() -> None:
    files = {p.name for p in WEBHOOKS.glob("*.json")}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_every_captured_payload_is_handled_or_a_logged_noop(scene: Scene, file: str) -> None:
    """Each real payload ends in its expected action or a no-op that says why, exit 0."""
    number = scene.gh.create_pull(REPO, "alice", head_ref="tune", files={"train.py": "x\n"})
    if file.startswith("issue_comment") and "on_issue" in file:
        scene.gh.create_issue(REPO, "alice", title="an issue")
    run = scene.handle((event_name(file), pointed_at_the_double(file, number)))
    assert run.code == 0, run.out
    assert EXPECTED[file] in run.out, run.out
    if EXPECTED[file].startswith("noop"):
        assert [c for c in scene.gh.calls if c.login == BOT] == []
    if "opened" in file or "synchronize" in file:
        assert [r["status"] for r in scene.checks()] == ["in_progress"]
        assert "Waiting for the audit report" in scene.living(number)


def test_a_captured_comment_on_a_pull_request_with_a_command_acts(scene: Scene) -> None:
    """The go-playground payload, its body turned into dana's /approve, approves."""
    number = scene.gh.create_pull(REPO, "alice", head_ref="tune", files={"train.py": "x\n"})
    scene.handle(scene.gh.webhooks.pull_request(REPO, number, "opened", target=True))
    comment_id = scene.gh.comment_as("dana", REPO, number, "/approve")
    file = "issue_comment.created.on_pr.slash_build.go-playground.json"
    payload = pointed_at_the_double(file, number)
    payload["comment"].update({"id": comment_id, "body": "/approve"})
    payload["comment"]["user"].update({"login": "dana"})
    run = scene.handle(("issue_comment", payload))
    assert run.code == 0, run.out
    assert scene.labels(number) == {f"approved:{DS}"}


def test_a_captured_label_event_on_a_managed_label_is_guarded(scene: Scene) -> None:
    """The octokit labeled payload, for approved:data-steward added by mallory, reverts it."""
    number = scene.gh.create_pull(REPO, "alice", head_ref="tune", files={"train.py": "x\n"})
    scene.gh.label_as("mallory", REPO, number, f"approved:{DS}")
    payload = pointed_at_the_double("pull_request.labeled.json", number)
    payload["label"]["name"] = f"approved:{DS}"
    payload["sender"]["login"] = "mallory"
    run = scene.handle(("pull_request_target", payload))
    assert run.code == 0, run.out
    assert scene.labels(number) == set()
    assert any("@mallory I removed the label" in r for r in scene.replies(number))


def test_handling_the_same_event_twice_changes_nothing(scene: Scene) -> None:
    """A redelivered event finds GitHub already as it should be: only reads happen."""
    number = scene.open_pr()
    comment_id = scene.gh.comment_as("dana", REPO, number, "/approve\n/hold")
    event = scene.gh.webhooks.issue_comment(REPO, comment_id)
    assert scene.handle(event).code == 0
    comments = scene.gh.comments(REPO, number)
    labels = scene.labels(number)
    scene.gh.clear_calls()
    assert scene.handle(event).code == 0
    assert scene.gh.comments(REPO, number) == comments
    assert scene.labels(number) == labels == {f"approved:{DS}", "hold"}
    assert {c.method for c in scene.gh.calls if c.path != "/graphql"} == {"GET"}  # reads


def test_a_refused_command_gets_one_reply_however_often_it_is_handled(scene: Scene) -> None:
    number = scene.open_pr()
    comment_id = scene.gh.comment_as("mallory", REPO, number, "/approve")
    event = scene.gh.webhooks.issue_comment(REPO, comment_id)
    for _ in range(3):
        assert scene.handle(event).code == 0
    assert len(scene.replies(number)) == 1
    assert scene.reactions(comment_id) == [(BOT, "confused")]


def test_a_reply_is_not_repeated_when_the_living_comment_was_deleted(scene: Scene) -> None:
    """The bot's replies carry their own marker, so losing its state repeats no reply."""
    number = scene.open_pr()
    comment_id = scene.say("mallory", number, "/approve")
    living = next(i for i, c in scene.gh.state.repo_for_tests(REPO).comments.items()
                  if c.author == BOT and "modelgate:card" in c.body)
    scene.gh.client(BOT).get_repo(REPO).get_issue(number).get_comment(living).delete()
    assert scene.handle(scene.gh.webhooks.issue_comment(REPO, comment_id)).code == 0
    assert len(scene.replies(number)) == 1
    assert "modelgate:card" in scene.living(number)


@pytest.mark.parametrize(
    ("name", "mutate", "message"),
    [
        ("pull_request", lambda p: p["pull_request"].pop("number"),
         "pull_request payload: field 'pull_request.number' is missing"),
        ("pull_request_target", lambda p: p["pull_request"].update(number="1"),
         "field 'pull_request.number' should be an integer, got str"),
        ("issue_comment", lambda p: p["comment"].update(body=5),
         "field 'comment.body' should be a string or null, got int"),
        ("issue_comment", lambda p: p.pop("comment"), "field 'comment.id' is missing"),
        ("workflow_run", lambda p: p["workflow_run"].update(pull_requests=None),
         "field 'workflow_run.pull_requests' should be an array"),
        ("pull_request", lambda p: p.pop("repository"), "field 'repository.full_name' is missing"),
    ],
)
def test_a_payload_that_is_not_what_it_claims_is_one_clear_error(
    scene: Scene, name: str, mutate: Any, message: str
) -> None:
    """Missing fields and wrong types stop the job with one message, before any call."""
    number = scene.gh.create_pull(REPO, "alice", head_ref="tune", files={"train.py": "x\n"})
    source = {
        "pull_request": "pull_request.opened.json",
        "pull_request_target": "pull_request.labeled.json",
        "issue_comment": "issue_comment.created.on_pr.packit.json",
        "workflow_run": "workflow_run.completed.json",
    }[name]
    payload = pointed_at_the_double(source, number)
    mutate(payload)
    run = scene.handle((name, payload))
    assert run.code == 2  # a payload that is not what it claims: bad input
    assert message in run.out
    assert "Traceback" not in run.out
    assert scene.gh.calls == []


def test_a_payload_for_another_repository_is_refused(scene: Scene) -> None:
    payload = load_fixture_json("github-webhooks/pull_request.opened.json")
    run = scene.handle(("pull_request", payload))
    assert run.code == 2  # a payload that is not what it claims: bad input
    assert "payload is for Codertocat/Hello-World, but GITHUB_REPOSITORY is acme/model" in run.out


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"[1, 2]", "expected a JSON object, got list"), (b"{not json", "not valid JSON"),
     (b"\xff\xfe", "not UTF-8")],
)
def test_an_unreadable_event_file_is_a_clear_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "event.json"
    path.write_bytes(content)
    with pytest.raises(EventError, match=message):
        read_event("pull_request", path)


def test_a_missing_event_file_or_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EventError, match="does not exist"):
        read_event("pull_request", tmp_path / "missing.json")
    with pytest.raises(EventError, match="GITHUB_EVENT_NAME is not set"):
        read_event("", tmp_path / "missing.json")


def test_the_environment_must_name_the_repository_and_token(
    scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    run = scene.handle(("push", {"repository": {"full_name": REPO}}))
    assert run.code == 2  # a payload that is not what it claims: bad input
    assert "GITHUB_TOKEN is not set" in run.out


def test_typed_views_read_the_fields_the_bot_uses() -> None:
    """Null bodies read as empty, PR comments are told from issue comments, and a
    workflow run's file is its base name."""
    comment = parse_event("issue_comment",
                          load_fixture_json(f"github-webhooks/{_file('empty_body')}")).payload
    assert isinstance(comment, IssueCommentPayload)
    assert comment.on_pull_request and comment.body == ""
    issue = parse_event("issue_comment",
                        load_fixture_json("github-webhooks/issue_comment.edited.on_issue.json"))
    assert isinstance(issue.payload, IssueCommentPayload)
    assert not issue.payload.on_pull_request
    assert issue.payload.previous_body != ""
    pull = parse_event("pull_request",
                       load_fixture_json("github-webhooks/pull_request.opened.null_body.json"))
    assert isinstance(pull.payload, PullRequestPayload) and pull.payload.number == 2
    run = parse_event("workflow_run",
                      load_fixture_json("github-webhooks/workflow_run.completed.json")).payload
    assert isinstance(run, WorkflowRunPayload)
    assert (run.workflow_file, run.workflow_name, run.pull_numbers) == ("test.yml", "test", ())
    merged = parse_event("pull_request", load_fixture_json(
        "github-webhooks/pull_request.closed.merged.create-issue-branch.json")).payload
    assert isinstance(merged, PullRequestPayload) and merged.merged


def _file(part: str) -> str:
    return next(name for name in EXPECTED if part in name)


def test_unknown_events_are_not_inspected() -> None:
    event = parse_event("deployment", {"anything": True})
    assert event.payload is None
    assert json.dumps(event.raw) == '{"anything": true}'

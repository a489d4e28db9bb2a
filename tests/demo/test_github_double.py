# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The GitHub double behaves like GitHub for real PyGithub, and holds itself to GitHub's
OpenAPI description and to the shapes of recorded GitHub traffic."""

from __future__ import annotations

import functools
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from github import Github, GithubException
from github.Artifact import Artifact
from github.ContentFile import ContentFile
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)
from github.PaginatedList import PaginatedList

from demo.github_double import ACTIONS_BOT, GitHubDouble, TickingClock
from demo.github_double.double import default_spec_path
from demo.github_double.errors import (
    HEAD_MODIFIED,
    LABEL_DOES_NOT_EXIST,
    MUST_AUTHENTICATE_AS_APP,
    MUST_HAVE_PUSH_FOR_PERMISSION,
    NOT_ACCESSIBLE_BY_INTEGRATION,
    NOT_MERGEABLE,
    REQUIRES_AUTHENTICATION,
    SECONDARY_RATE_LIMIT,
    VALIDATION_FAILED,
)
from demo.github_double.fixtures import checked_double, github_double  # noqa: F401
from demo.github_double.openapi import SUPPLEMENT_DIR, OpenApiSpec
from demo.github_double.state import BODY_TOO_LONG, IMPLICIT_LABEL_COLOR, LABEL_TOO_LONG
from demo.github_double.webhooks import schema_errors
from tests.conftest import FIXTURES, load_fixture_json

REPO = "acme/model"
BOT = ACTIONS_BOT
GOVERNANCE_BASE = "roles:\n  reviewer: [alice]\n"
GOVERNANCE_HEAD = "roles:\n  reviewer: [bob]\n"
SPECIAL_LABEL = "Label with spaces and strange characters (&*#$)"
REST = FIXTURES / "github-rest"


def make_scene(gh: GitHubDouble) -> int:
    """acme/model with a PR #1 by bob; alice maintains, carol only reads, the bot writes."""
    gh.add_user("alice", name="Alice Approver")
    gh.add_user("bob")
    gh.add_user("carol")
    gh.add_bot()
    gh.create_org("acme", members=["alice", "bob"])
    gh.create_repo(REPO, files={"governance.yml": GOVERNANCE_BASE, "train.py": "fit()\n"})
    gh.set_permission(REPO, "alice", "maintain")
    gh.set_permission(REPO, "bob", "write")
    gh.set_permission(REPO, "carol", "read")
    gh.set_permission(REPO, BOT, "write")
    return gh.create_pull(
        REPO,
        "bob",
        head_ref="tune-c",
        files={"governance.yml": GOVERNANCE_HEAD, "train.py": "fit(C=2)\n"},
        title="Tune C",
    )


@pytest.fixture
def gh(github_double: GitHubDouble) -> GitHubDouble:  # noqa: F811
    make_scene(github_double)
    return github_double


@pytest.fixture
def bot(gh: GitHubDouble) -> Github:
    return gh.client(BOT)


@functools.cache
def http() -> httpx.Client:
    """One client for the module's raw requests (building one per call costs ~50 ms)."""
    return httpx.Client(timeout=10, trust_env=False)


def raw(
    gh: GitHubDouble, login: str | None, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """A plain HTTP request, for what PyGithub hides (headers, exact statuses, bad bodies)."""
    headers = {"Authorization": f"token {gh.token_for(login)}"} if login else {}
    return http().request(method, f"{gh.base_url}{path}", headers=headers, **kwargs)


# -- comments ------------------------------------------------------------------------------


def test_comments_are_created_edited_and_listed_as_the_token_owner(
    gh: GitHubDouble, bot: Github
) -> None:
    """It records a comment under the bot's login, edits it in place and lists it."""
    pr = bot.get_repo(REPO).get_pull(1)
    comment = pr.create_issue_comment("<!-- modelgate -->\nfirst")
    comment.edit("<!-- modelgate -->\nsecond")

    listed = list(pr.get_issue_comments())
    assert [(c.id, c.body) for c in listed] == [(comment.id, "<!-- modelgate -->\nsecond")]
    assert listed[0].user.login == BOT
    assert listed[0].user.type == "Bot"
    assert listed[0].html_url == f"{gh.base_url}/{REPO}/pull/1#issuecomment-{comment.id}"
    assert listed[0].updated_at > listed[0].created_at
    assert gh.comments(REPO, 1) == [(BOT, "<!-- modelgate -->\nsecond")]


def test_a_human_comment_is_seen_with_its_author_and_cannot_be_edited_by_a_reader(
    gh: GitHubDouble,
) -> None:
    """It shows a comment made through the controls as alice's, and refuses carol's edit."""
    comment_id = gh.comment_as("alice", REPO, 1, "/approve")
    carol = gh.client("carol")
    comment = carol.get_repo(REPO).get_issue(1).get_comment(comment_id)
    assert (comment.user.login, comment.body) == ("alice", "/approve")

    with pytest.raises(GithubException) as refused:
        comment.edit("/approve reviewer")
    assert refused.value.status == 403
    assert gh.comments(REPO, 1) == [("alice", "/approve")]


def test_comments_paginate_with_link_headers(gh: GitHubDouble) -> None:
    """It pages 7 comments by 3 and PyGithub follows `Link: rel=next` through all of them."""
    for index in range(7):
        gh.comment_as("alice", REPO, 1, f"comment {index}")
    client = gh.client(BOT, per_page=3)
    bodies = [c.body for c in client.get_repo(REPO).get_issue(1).get_comments()]
    assert bodies == [f"comment {i}" for i in range(7)]
    pages = gh.calls_to("GET", f"/repos/{REPO}/issues/1/comments")
    assert [c.query.get("page") for c in pages] == [None, ["2"], ["3"]]

    first = raw(gh, BOT, "GET", f"/repos/{REPO}/issues/1/comments?per_page=3")
    assert 'rel="next"' in first.headers["link"]
    assert "page=3" in first.headers["link"].split(",")[1]


def test_a_comment_longer_than_github_allows_is_refused(gh: GitHubDouble, bot: Github) -> None:
    """It answers 422 for a body over 65536 characters, as GitHub does."""
    with pytest.raises(GithubException) as refused:
        bot.get_repo(REPO).get_issue(1).create_comment("x" * 65537)
    assert refused.value.status == 422
    assert refused.value.data["errors"][0]["message"] == BODY_TOO_LONG


def test_reactions_are_created_once_per_user_and_content(gh: GitHubDouble, bot: Github) -> None:
    """It answers 201 for a new reaction and 200 for the same one again, and lists it."""
    comment_id = gh.comment_as("alice", REPO, 1, "/approve")
    path = f"/repos/{REPO}/issues/comments/{comment_id}/reactions"
    assert raw(gh, BOT, "POST", path, json={"content": "+1"}).status_code == 201
    assert raw(gh, BOT, "POST", path, json={"content": "+1"}).status_code == 200
    comment = bot.get_repo(REPO).get_issue(1).get_comment(comment_id)
    assert [(r.content, r.user.login) for r in comment.get_reactions()] == [("+1", BOT)]


# -- labels --------------------------------------------------------------------------------


def test_labels_with_spaces_and_special_characters_round_trip(
    gh: GitHubDouble, bot: Github
) -> None:
    """It adds, lists and removes a label named with spaces and (&*#$), percent-encoded."""
    pr = bot.get_repo(REPO).get_pull(1)
    pr.add_to_labels(SPECIAL_LABEL, "approved:reviewer")
    assert [label.name for label in pr.get_labels()] == [SPECIAL_LABEL, "approved:reviewer"]

    pr.remove_from_labels(SPECIAL_LABEL)
    assert gh.labels(REPO, 1) == ["approved:reviewer"]
    deletes = gh.calls_to("DELETE", f"/repos/{REPO}/issues/1/labels/*")
    assert deletes[0].path.endswith(
        "Label%20with%20spaces%20and%20strange%20characters%20%28%26%2A%23%24%29"
    )
    assert deletes[0].status == 200


def test_labels_are_created_implicitly_with_a_color(gh: GitHubDouble, bot: Github) -> None:
    """It creates an unknown label on first use, with GitHub's default grey."""
    repo = bot.get_repo(REPO)
    repo.get_pull(1).add_to_labels("approved:reviewer")
    labels = {label.name: label.color for label in repo.get_labels()}
    assert labels == {"approved:reviewer": IMPLICIT_LABEL_COLOR}


def test_removing_a_label_that_is_not_on_the_issue_is_404(gh: GitHubDouble, bot: Github) -> None:
    """It answers 404 `Label does not exist` for a label the issue does not carry."""
    with pytest.raises(GithubException) as missing:
        bot.get_repo(REPO).get_pull(1).remove_from_labels("approved:reviewer")
    assert (missing.value.status, missing.value.data["message"]) == (404, LABEL_DOES_NOT_EXIST)


def test_label_names_over_fifty_characters_are_refused(gh: GitHubDouble, bot: Github) -> None:
    """It answers 422 for a label name GitHub would refuse as too long."""
    with pytest.raises(GithubException) as refused:
        bot.get_repo(REPO).get_pull(1).add_to_labels("approved:" + "x" * 42)
    assert refused.value.status == 422
    assert refused.value.data["errors"][0]["message"] == LABEL_TOO_LONG


def test_set_labels_replaces_and_records_each_change(gh: GitHubDouble, bot: Github) -> None:
    """It replaces labels and leaves one labeled/unlabeled event per change, by the bot."""
    gh.label_as("alice", REPO, 1, "hold")
    bot.get_repo(REPO).get_issue(1).set_labels("approved:reviewer")
    assert gh.labels(REPO, 1) == ["approved:reviewer"]
    assert gh.events(REPO, 1) == [
        ("labeled", "alice", "hold"),
        ("unlabeled", BOT, "hold"),
        ("labeled", BOT, "approved:reviewer"),
    ]


def test_a_reader_cannot_label(gh: GitHubDouble) -> None:
    """It refuses labels from a user without triage access."""
    carol = gh.client("carol")
    with pytest.raises(GithubException) as refused:
        carol.get_repo(REPO).get_issue(1).add_to_labels("approved:reviewer")
    assert refused.value.status == 403
    assert gh.labels(REPO, 1) == []


# -- history -------------------------------------------------------------------------------


def test_events_and_timeline_name_who_labeled_and_commented(gh: GitHubDouble, bot: Github) -> None:
    """It keeps the actor of each label change; the timeline adds comments and reviews."""
    gh.label_as("alice", REPO, 1, "approved:reviewer")
    gh.comment_as("carol", REPO, 1, "looks fine")
    gh.review_as("alice", REPO, 1, "APPROVED", "ship it")
    bot.get_repo(REPO).get_issue(1).remove_from_labels("approved:reviewer")

    issue = bot.get_repo(REPO).get_issue(1)
    events = [
        (e.event, e.actor.login, e.label.name if e.label else None) for e in issue.get_events()
    ]
    assert events == [
        ("labeled", "alice", "approved:reviewer"),
        ("unlabeled", BOT, "approved:reviewer"),
    ]

    timeline = [(t.event, t.actor.login if t.actor else None) for t in issue.get_timeline()]
    assert timeline == [
        ("labeled", "alice"),
        ("commented", "carol"),
        ("reviewed", None),
        ("unlabeled", BOT),
    ]
    reviewed = raw(gh, BOT, "GET", f"/repos/{REPO}/issues/1/timeline").json()[2]
    assert (reviewed["state"], reviewed["user"]["login"]) == ("approved", "alice")
    reviews = bot.get_repo(REPO).get_pull(1).get_reviews()
    assert [(r.state, r.user.login) for r in reviews] == [("APPROVED", "alice")]


def test_a_push_moves_the_head_and_shows_on_the_timeline(gh: GitHubDouble, bot: Github) -> None:
    """It records `committed` for a push and `head_ref_force_pushed` for a force push."""
    old_head = gh.pull(REPO, 1)["head"]["sha"]
    pushed = gh.push(REPO, 1, {"train.py": "fit(C=3)\n"})
    forced = gh.push(REPO, 1, {"train.py": "fit(C=4)\n"}, force=True, author="bob")

    pr = bot.get_repo(REPO).get_pull(1)
    assert pr.head.sha == forced != pushed != old_head
    timeline = raw(gh, BOT, "GET", f"/repos/{REPO}/issues/1/timeline").json()
    assert [(t["event"], t.get("sha") or t.get("commit_id")) for t in timeline] == [
        ("committed", pushed),
        ("head_ref_force_pushed", forced),
    ]
    assert [e.event for e in pr.as_issue().get_events()] == ["head_ref_force_pushed"]
    assert pr.commits == 1  # a force push replaces the branch's commits


def test_commit_lookups_find_the_pull_request_and_the_git_commit(gh: GitHubDouble) -> None:
    """It answers commits/{sha}/pulls with the PR and git/commits/{sha} with its parent."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    pulls = raw(gh, BOT, "GET", f"/repos/{REPO}/commits/{head}/pulls").json()
    assert [p["number"] for p in pulls] == [1]
    commit = raw(gh, BOT, "GET", f"/repos/{REPO}/git/commits/{head}").json()
    assert commit["parents"][0]["sha"] == gh.branch_sha(REPO, "main")
    assert commit["message"] == "Tune C"


# -- checks and statuses -------------------------------------------------------------------


def test_a_check_run_is_created_then_completed(gh: GitHubDouble) -> None:
    """It creates an in-progress check run and completes it with an output."""
    client = gh.client(BOT, lazy=True)
    repo = client.get_repo(REPO)
    head = gh.pull(REPO, 1)["head"]["sha"]
    run = repo.create_check_run("modelgate/audits", head, status="in_progress")
    assert (run.status, run.app.slug) == ("in_progress", "github-actions")
    assert run.raw_data["conclusion"] is None

    run.edit(conclusion="failure", output={"title": "1 audit failed", "summary": "pii: fail"})
    assert (run.status, run.conclusion, run.output.title) == (
        "completed",
        "failure",
        "1 audit failed",
    )
    assert run.completed_at is not None
    assert [p.number for p in run.pull_requests] == [1]

    listed = list(repo.get_commit(head).get_check_runs(check_name="modelgate/audits"))
    assert [(r.id, r.conclusion) for r in listed] == [(run.id, "failure")]


def test_only_the_latest_check_run_per_name_is_listed_by_default(gh: GitHubDouble) -> None:
    """It filters check runs to the latest per name unless `filter=all`."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    for conclusion in ("failure", "success"):
        body = {"name": "audits", "head_sha": head, "conclusion": conclusion}
        assert raw(gh, BOT, "POST", f"/repos/{REPO}/check-runs", json=body).status_code == 201
    latest = raw(gh, BOT, "GET", f"/repos/{REPO}/commits/{head}/check-runs").json()
    assert [r["conclusion"] for r in latest["check_runs"]] == ["success"]
    every = raw(gh, BOT, "GET", f"/repos/{REPO}/commits/{head}/check-runs?filter=all").json()
    assert every["total_count"] == 2


def test_a_personal_token_cannot_write_checks(gh: GitHubDouble) -> None:
    """It refuses check runs from a user token: only GitHub Apps may write them."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    reply = raw(
        gh, "alice", "POST", f"/repos/{REPO}/check-runs", json={"name": "x", "head_sha": head}
    )
    assert reply.status_code == 403
    assert reply.json()["message"] == MUST_AUTHENTICATE_AS_APP


def test_a_completed_check_run_needs_a_conclusion(gh: GitHubDouble) -> None:
    """It answers 422 to `status: completed` without a conclusion, on create and update."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    body = {"name": "x", "head_sha": head, "status": "completed"}
    assert raw(gh, BOT, "POST", f"/repos/{REPO}/check-runs", json=body).status_code == 422
    created = raw(
        gh, BOT, "POST", f"/repos/{REPO}/check-runs", json={"name": "x", "head_sha": head}
    )
    update = raw(
        gh,
        BOT,
        "PATCH",
        f"/repos/{REPO}/check-runs/{created.json()['id']}",
        json={"status": "completed"},
    )
    assert update.status_code == 422


def test_commit_statuses_combine_to_the_latest_per_context(gh: GitHubDouble) -> None:
    """It combines statuses: the latest per context counts, any failure fails."""
    repo = gh.client(BOT, lazy=True).get_repo(REPO)
    head = gh.pull(REPO, 1)["head"]["sha"]
    commit = repo.get_commit(head)
    commit.create_status("pending", context="modelgate/audits")
    commit.create_status("success", "https://ci.example/1", "all audits pass", "modelgate/audits")
    combined = commit.get_combined_status()
    assert (combined.state, combined.total_count) == ("success", 1)
    commit.create_status("failure", context="modelgate/approvals")
    assert commit.get_combined_status().state == "failure"
    assert [s["creator"]["login"] for s in gh.statuses(REPO)] == [BOT, BOT, BOT]


# -- people --------------------------------------------------------------------------------


def test_collaborator_permission_reports_role_name(gh: GitHubDouble, bot: Github) -> None:
    """It answers a maintainer as legacy `write` with `role_name: maintain`."""
    repo = bot.get_repo(REPO)
    assert repo.get_collaborator_permission("alice") == "write"
    reply = raw(gh, BOT, "GET", f"/repos/{REPO}/collaborators/alice/permission").json()
    assert (reply["permission"], reply["role_name"], reply["user"]["login"]) == (
        "write",
        "maintain",
        "alice",
    )
    carol = raw(gh, BOT, "GET", f"/repos/{REPO}/collaborators/carol/permission").json()
    assert (carol["permission"], carol["role_name"]) == ("read", "read")


def test_collaborator_permission_needs_push_access(gh: GitHubDouble) -> None:
    """It answers 403 with GitHub's message to a caller without push access."""
    with pytest.raises(GithubException) as refused:
        gh.client("carol").get_repo(REPO).get_collaborator_permission("alice")
    assert refused.value.status == 403
    assert refused.value.data["message"] == MUST_HAVE_PUSH_FOR_PERMISSION


def test_team_membership_is_active_pending_or_absent(gh: GitHubDouble) -> None:
    """It answers team membership as active or pending, and 404 for a non-member."""
    gh.add_team("acme", "model-risk", {"alice": "active", "carol": "pending"})
    org = gh.client("alice", lazy=True).get_organization("acme")
    team = org.get_team_by_slug("model-risk")
    assert team.get_team_membership("alice").state == "active"
    assert team.get_team_membership("carol").state == "pending"
    with pytest.raises(UnknownObjectException):
        team.get_team_membership("bob")
    with pytest.raises(UnknownObjectException):
        org.get_team_by_slug("nobody").get_team_membership("alice")


def test_a_github_token_cannot_read_team_membership(gh: GitHubDouble) -> None:
    """It refuses org membership to GITHUB_TOKEN, but not to a token granted `members: read`."""
    gh.add_team("acme", "model-risk", ["alice"])
    path = "/orgs/acme/teams/model-risk/memberships/alice"
    refused = raw(gh, BOT, "GET", path)
    assert (refused.status_code, refused.json()["message"]) == (403, NOT_ACCESSIBLE_BY_INTEGRATION)

    granted = gh.add_token(BOT, can_read_org_members=True)
    reply = http().get(f"{gh.base_url}{path}", headers={"Authorization": f"Bearer {granted}"})
    assert reply.json()["state"] == "active"


# -- merge ---------------------------------------------------------------------------------


def test_merge_refuses_an_unknown_pull_request(gh: GitHubDouble) -> None:
    """It answers 404 to a merge of a PR that does not exist."""
    reply = raw(gh, BOT, "PUT", f"/repos/{REPO}/pulls/99/merge", json={})
    assert reply.status_code == 404


def test_merge_refuses_a_pull_request_that_is_not_mergeable(gh: GitHubDouble, bot: Github) -> None:
    """It answers 405 while GitHub says the PR cannot be merged (conflicts, or unknown)."""
    pr = bot.get_repo(REPO).get_pull(1)
    for state in (False, None):
        gh.set_mergeable(REPO, 1, state)
        with pytest.raises(GithubException) as refused:
            pr.merge(sha=pr.head.sha)
        assert (refused.value.status, refused.value.data["message"]) == (405, NOT_MERGEABLE)
    assert not pr.is_merged()


def test_merge_refuses_a_head_that_moved(gh: GitHubDouble, bot: Github) -> None:
    """It answers 409 when the pinned sha is no longer the head (someone pushed)."""
    pr = bot.get_repo(REPO).get_pull(1)
    audited = pr.head.sha
    gh.push(REPO, 1, {"train.py": "fit(C=99)\n"})
    with pytest.raises(GithubException) as refused:
        pr.merge(sha=audited)
    assert (refused.value.status, refused.value.data["message"]) == (409, HEAD_MODIFIED)
    assert gh.file_at(REPO, "main", "train.py") == b"fit()\n"


def test_merge_lands_the_head_on_the_base_branch(gh: GitHubDouble, bot: Github) -> None:
    """It merges at the pinned sha: the base gets the PR's files, the PR closes, once."""
    pr = bot.get_repo(REPO).get_pull(1)
    assert not pr.is_merged()
    status = pr.merge(sha=pr.head.sha, merge_method="squash")
    assert status.merged
    assert pr.is_merged()

    merged = bot.get_repo(REPO).get_pull(1)
    assert (merged.state, merged.merged_by.login, merged.merge_commit_sha) == (
        "closed",
        BOT,
        status.sha,
    )
    assert gh.branch_sha(REPO, "main") == status.sha
    assert gh.file_at(REPO, "main", "governance.yml") == GOVERNANCE_HEAD.encode()
    assert [e.event for e in merged.as_issue().get_events()] == ["merged", "closed"]
    with pytest.raises(GithubException) as again:
        merged.merge(sha=merged.head.sha)
    assert again.value.status == 405


def test_merge_needs_write_access(gh: GitHubDouble) -> None:
    """It refuses a merge by a reader."""
    reply = raw(gh, "carol", "PUT", f"/repos/{REPO}/pulls/1/merge", json={})
    assert reply.status_code == 403


# -- contents and pulls --------------------------------------------------------------------


def test_contents_differ_between_the_base_branch_and_the_pr_head(
    gh: GitHubDouble, bot: Github
) -> None:
    """It serves governance.yml per ref: the base branch's copy is not the PR's."""
    repo = bot.get_repo(REPO)
    head = repo.get_pull(1).head.sha

    def governance(ref: str | None = None) -> bytes:
        found = (
            repo.get_contents("governance.yml", ref) if ref else repo.get_contents("governance.yml")
        )
        assert isinstance(found, ContentFile)
        return found.decoded_content

    assert governance() == governance("main") == GOVERNANCE_BASE.encode()
    assert governance(head) == governance("tune-c") == GOVERNANCE_HEAD.encode()


def test_contents_list_directories_and_refuse_unknown_paths(gh: GitHubDouble, bot: Github) -> None:
    """It lists a directory and answers 404 for a missing path or ref."""
    gh.commit(REPO, "main", {"data/a.csv": "x\n", "data/sub/b.csv": "y\n"})
    repo = bot.get_repo(REPO)
    listing = repo.get_contents("data")
    assert isinstance(listing, list)
    assert [(c.path, c.type) for c in listing] == [("data/a.csv", "file"), ("data/sub", "dir")]
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.yml")
    with pytest.raises(GithubException) as unknown_ref:
        repo.get_contents("governance.yml", ref="no-such-branch")
    assert unknown_ref.value.status == 404


def test_pull_request_files_and_listing(gh: GitHubDouble, bot: Github) -> None:
    """It lists the PR's changed files with counts, and lists open PRs by head branch."""
    repo = bot.get_repo(REPO)
    files = {f.filename: (f.status, f.additions, f.deletions) for f in repo.get_pull(1).get_files()}
    assert files == {"governance.yml": ("modified", 1, 1), "train.py": ("modified", 1, 1)}
    assert [p.number for p in repo.get_pulls(head="acme:tune-c")] == [1]
    assert list(repo.get_pulls(state="closed")) == []


def test_issues_can_be_opened_filtered_and_closed(gh: GitHubDouble, bot: Github) -> None:
    """It creates an issue, lists PRs among issues by label, and closes an issue."""
    repo = bot.get_repo(REPO)
    issue = repo.create_issue("Drift report", body="psi=0.3", labels=["drift"])
    assert issue.number == 2
    repo.get_pull(1).add_to_labels("drift")
    assert sorted(i.number for i in repo.get_issues(labels=["drift"])) == [1, 2]
    issue.edit(state="closed")
    assert [i.number for i in repo.get_issues(state="closed")] == [2]
    assert issue.closed_by is not None and issue.closed_by.login == BOT


def test_private_repositories_are_invisible_to_outsiders(gh: GitHubDouble) -> None:
    """It answers 404, not 403, to someone who cannot see a private repository."""
    gh.add_user("mallory")
    with pytest.raises(UnknownObjectException):
        gh.client("mallory").get_repo(REPO)
    assert gh.client("carol").get_repo(REPO).permissions.push is False


# -- actions -------------------------------------------------------------------------------


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_artifacts_are_listed_and_downloaded_through_a_redirect(gh: GitHubDouble) -> None:
    """It lists a run's artifacts and serves the zip through GitHub's 302 to a signed URL."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    run_id = gh.add_workflow_run(REPO, name="audit", head_sha=head, pull_number=1)
    payload = _zip({"audit_report.json": '{"schema_version": 1}'})
    gh.add_artifact(REPO, run_id, "audit-report", payload)
    gh.add_artifact(REPO, run_id, "model-card", _zip({"card.md": "# card"}))
    client = gh.client(BOT)

    artifacts = PaginatedList(
        Artifact,
        client.requester,
        f"/repos/{REPO}/actions/runs/{run_id}/artifacts",
        {"name": "audit-report"},
        list_item="artifacts",
    )
    (artifact,) = list(artifacts)
    assert (artifact.name, artifact.size_in_bytes) == ("audit-report", len(payload))
    assert artifact.raw_data["workflow_run"]["head_sha"] == head  # not top-level any more

    status, _, chunks = client.requester.getStream(artifact.archive_download_url)
    data = b"".join(chunks)
    assert status == 200  # after following the 302
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("audit_report.json") == b'{"schema_version": 1}'

    redirect = raw(gh, BOT, "GET", f"/repos/{REPO}/actions/artifacts/{artifact.id}/zip")
    assert redirect.status_code == 302
    assert http().get(redirect.headers["location"]).content == payload  # signed: no token


def test_a_signed_download_link_expires(gh: GitHubDouble) -> None:
    """It refuses a signed artifact link after a minute, like GitHub's."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    run_id = gh.add_workflow_run(REPO, name="audit", head_sha=head)
    artifact_id = gh.add_artifact(REPO, run_id, "audit-report", b"PK")
    location = raw(gh, BOT, "GET", f"/repos/{REPO}/actions/artifacts/{artifact_id}/zip").headers[
        "location"
    ]
    assert isinstance(gh.clock, TickingClock)
    gh.clock.advance(timedelta(minutes=2))
    assert http().get(location).status_code == 403


def test_an_expired_artifact_is_gone(gh: GitHubDouble) -> None:
    """It answers 410 for an expired artifact."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    run_id = gh.add_workflow_run(REPO, name="audit", head_sha=head)
    artifact_id = gh.add_artifact(REPO, run_id, "audit-report", b"PK")
    gh.expire_artifact(REPO, artifact_id)
    assert (
        raw(gh, BOT, "GET", f"/repos/{REPO}/actions/artifacts/{artifact_id}/zip").status_code == 410
    )


def test_dispatches_are_recorded(gh: GitHubDouble) -> None:
    """It records workflow and repository dispatches, and refuses an unknown ref."""
    repo = gh.client(BOT, lazy=True).get_repo(REPO)
    assert repo.get_workflow("release.yml").create_dispatch("main", {"pr": "1"})
    assert repo.create_repository_dispatch("release", {"pr": 1, "sha": "abc"})
    dispatches = gh.dispatches(REPO)
    assert [(d.kind, d.actor, d.workflow, d.ref, d.inputs) for d in dispatches[:1]] == [
        ("workflow_dispatch", BOT, "release.yml", "main", {"pr": "1"})
    ]
    assert (dispatches[1].event_type, dispatches[1].client_payload) == (
        "release",
        {"pr": 1, "sha": "abc"},
    )
    reply = raw(
        gh,
        BOT,
        "POST",
        f"/repos/{REPO}/actions/workflows/release.yml/dispatches",
        json={"ref": "nope"},
    )
    assert reply.status_code == 422


# -- contract ------------------------------------------------------------------------------


def test_a_body_that_breaks_the_schema_is_422_with_githubs_error_shape(gh: GitHubDouble) -> None:
    """It answers a wrong body with 422 `Validation Failed` and an `errors` list."""
    reply = raw(gh, BOT, "POST", f"/repos/{REPO}/issues/1/comments", json={"body": 5})
    assert reply.status_code == 422
    body = reply.json()
    assert body["message"] == VALIDATION_FAILED
    assert body["errors"][0]["resource"] == "IssueComment"
    assert body["errors"][0]["field"] == "body"
    assert body["documentation_url"].startswith("https://docs.github.com/rest/issues/comments")

    missing = raw(gh, BOT, "POST", f"/repos/{REPO}/check-runs", json={"name": "x"}).json()
    assert missing["errors"][0]["code"] == "missing_field"
    assert missing["errors"][0]["field"] == "head_sha"
    bad_enum = raw(gh, BOT, "POST", f"/repos/{REPO}/statuses/main", json={"state": "green"})
    assert bad_enum.status_code == 422


def test_a_body_that_is_not_json_is_400(gh: GitHubDouble) -> None:
    """It answers 400 `Problems parsing JSON` to a body that does not parse."""
    reply = raw(gh, BOT, "POST", f"/repos/{REPO}/issues/1/comments", content=b"{not json")
    assert reply.status_code == 400


def test_a_bad_canned_response_is_caught(gh: GitHubDouble, bot: Github) -> None:
    """It refuses to send a response GitHub's description forbids, and records why."""
    headless = {k: v for k, v in gh.pull(REPO, 1).items() if k != "head"}
    gh.inject_response("GET", f"/repos/{REPO}/pulls/1", 200, headless)
    with pytest.raises(GithubException) as failed:
        bot.get_repo(REPO).get_pull(1)
    assert failed.value.status == 500
    (violation,) = gh.take_violations()
    assert "GET /repos/{owner}/{repo}/pulls/{pull_number} -> 200" in violation
    assert "'head' is a required property" in violation


def test_a_valid_canned_response_is_served(gh: GitHubDouble, bot: Github) -> None:
    """It serves a canned answer that fits the description (GitHub still computing)."""
    pull = gh.pull(REPO, 1) | {"mergeable": None, "mergeable_state": "unknown"}
    gh.inject_response("GET", f"/repos/{REPO}/pulls/1", 200, pull)
    assert bot.get_repo(REPO).get_pull(1).mergeable is None
    assert bot.get_repo(REPO).get_pull(1).mergeable is True


def test_an_endpoint_outside_the_description_is_a_violation(gh: GitHubDouble) -> None:
    """It answers 404 to an endpoint it does not model and reports it, so tests notice."""
    reply = raw(gh, BOT, "GET", f"/repos/{REPO}/labels/bug")
    assert reply.status_code == 404
    assert gh.take_violations() == [f"unsupported endpoint: GET /repos/{REPO}/labels/bug"]


def test_the_fixture_fails_a_test_that_leaves_a_violation() -> None:
    """It fails the test at teardown when a violation was left behind, naming it."""
    run = checked_double()
    double = next(run)
    double.add_user("alice")
    raw(double, "alice", "GET", "/user")
    with pytest.raises(pytest.fail.Exception, match="unsupported endpoint: GET /user"):
        next(run, None)


def test_every_route_answers_an_operation_of_the_description(gh: GitHubDouble) -> None:
    """It implements each of the 42 operations of the subset and of its own supplements
    (`spec/pulls.json`, `spec/checks.json`), and only operations the description holds."""
    subset = OpenApiSpec.load(default_spec_path(), supplements=None)
    assert len(subset.operations) == 42
    assert set(subset.operations) <= gh.routed_operations
    for family in ("pulls", "checks"):
        document = json.loads((SUPPLEMENT_DIR / f"{family}.json").read_text(encoding="utf-8"))
        ops = {op["operationId"] for item in document["paths"].values()
               for key, op in item.items() if key != "parameters"}
        assert ops <= gh.routed_operations
    assert gh.routed_operations <= set(gh.spec.operations)


# -- auth, faults, rate limits, recording --------------------------------------------------


def test_requests_without_a_valid_token_are_401(gh: GitHubDouble) -> None:
    """It answers 401 without a token and `Bad credentials` for an unknown one."""
    reply = raw(gh, None, "GET", f"/repos/{REPO}")
    assert (reply.status_code, reply.json()["message"]) == (401, REQUIRES_AUTHENTICATION)
    stranger = Github(
        auth=__import__("github").Auth.Token("ghp_wrong"), base_url=gh.base_url, retry=None
    )
    with pytest.raises(BadCredentialsException):
        stranger.get_repo(REPO)


def test_faults_apply_to_the_next_matching_requests_only(gh: GitHubDouble, bot: Github) -> None:
    """It answers injected 502s to the next two matching calls, then recovers."""
    gh.inject_fault("GET", f"/repos/{REPO}/pulls/*", 502, times=2)
    repo = bot.get_repo(REPO)
    for _ in range(2):
        with pytest.raises(GithubException) as failed:
            repo.get_pull(1)
        assert failed.value.status == 502
    assert repo.get_pull(1).number == 1
    assert [c.status for c in gh.calls_to("GET", f"/repos/{REPO}/pulls/1")] == [502, 502, 200]


@pytest.mark.parametrize("status", [403, 404, 422, 500])
def test_error_faults_carry_githubs_error_shape(gh: GitHubDouble, status: int) -> None:
    """It shapes each injected error like GitHub's (and checks it against the description)."""
    gh.inject_fault("POST", f"/repos/{REPO}/issues/*/comments", status)
    reply = raw(gh, BOT, "POST", f"/repos/{REPO}/issues/1/comments", json={"body": "x"})
    assert reply.status_code == status
    assert set(reply.json()) >= {"message", "documentation_url"}
    assert gh.comments(REPO, 1) == []


def test_a_secondary_rate_limit_says_when_to_retry(gh: GitHubDouble, bot: Github) -> None:
    """It answers 403 with `retry-after` and GitHub's message, which PyGithub recognises."""
    gh.inject_secondary_rate_limit("POST", "*/comments", retry_after=30)
    with pytest.raises(RateLimitExceededException) as limited:
        bot.get_repo(REPO).get_issue(1).create_comment("hello")
    assert limited.value.status == 403
    assert (limited.value.headers or {})["retry-after"] == "30"
    assert limited.value.data["message"] == SECONDARY_RATE_LIMIT
    assert gh.comments(REPO, 1) == []


def test_the_primary_rate_limit_is_counted_and_enforced(gh: GitHubDouble, bot: Github) -> None:
    """It counts core requests per account in X-RateLimit headers and stops at zero."""
    first = raw(gh, BOT, "GET", f"/repos/{REPO}")
    second = raw(gh, BOT, "GET", f"/repos/{REPO}")
    assert int(first.headers["x-ratelimit-remaining"]) - 1 == int(
        second.headers["x-ratelimit-remaining"]
    )
    assert first.headers["x-ratelimit-limit"] == "5000"

    gh.set_rate_limit_remaining(BOT, 0)
    with pytest.raises(RateLimitExceededException):
        bot.get_repo(REPO)
    assert bot.get_rate_limit().resources.core.remaining == 0
    assert gh.client("alice").get_repo(REPO).name == "model"


def test_every_call_is_recorded_with_its_caller(gh: GitHubDouble, bot: Github) -> None:
    """It records method, path, query, body, status and login of each call."""
    gh.clear_calls()
    pr = bot.get_repo(REPO).get_pull(1)
    pr.create_issue_comment("one")
    pr.add_to_labels("hold")
    calls = [(c.method, c.path, c.status, c.login, c.operation_id) for c in gh.calls]
    assert calls == [
        ("GET", f"/repos/{REPO}", 200, BOT, "repos/get"),
        ("GET", f"/repos/{REPO}/pulls/1", 200, BOT, "pulls/get"),
        ("POST", f"/repos/{REPO}/issues/1/comments", 201, BOT, "issues/create-comment"),
        ("POST", f"/repos/{REPO}/issues/1/labels", 200, BOT, "issues/add-labels"),
    ]
    assert gh.calls[2].body == {"body": "one"}
    assert gh.calls[3].body == ["hold"]
    assert len(gh.calls_to("POST", "*/comments")) == 1


def test_timestamps_come_from_the_injected_clock() -> None:
    """It stamps objects with the injected clock's time."""
    start = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    with GitHubDouble(clock=TickingClock(current=start, step=timedelta(0))) as double:
        number = make_scene(double)
        comment = double.client(BOT).get_repo(REPO).get_issue(number).create_comment("x")
        assert comment.created_at == start
        double.assert_no_violations()


# -- shapes of recorded GitHub traffic -----------------------------------------------------


def replay_exchanges(name: str) -> list[dict[str, Any]]:
    """PyGithub's replay format: 10 lines per exchange, then a blank line."""
    lines = (REST / name).read_text(encoding="utf-8").split("\n")
    exchanges = []
    index = 0
    while index + 10 <= len(lines):
        if lines[index] not in ("http", "https"):
            index += 1
            continue
        chunk = lines[index : index + 10]
        body = json.loads(chunk[9]) if chunk[9].strip() else None
        exchanges.append(
            {"verb": chunk[1], "path": chunk[4], "status": int(chunk[7]), "body": body}
        )
        index += 11
    return exchanges


def _keys(value: Any) -> set[str]:
    item = value[0] if isinstance(value, list) else value
    return set(item) if isinstance(item, dict) else set()


def _double_answers(gh: GitHubDouble) -> dict[str, Any]:
    """The double's answer to each operation the recordings exercise, on the scene PR."""
    gh.label_as("alice", REPO, 1, "bug")
    gh.comment_as("alice", REPO, 1, "hello")
    gh.push(REPO, 1, {"train.py": "fit(C=5)\n"})
    gh.review_as("alice", REPO, 1, "COMMENTED", "hmm")
    head = gh.pull(REPO, 1)["head"]["sha"]

    def call(method: str, path: str, body: Any = None) -> Any:
        reply = raw(gh, BOT, method, path, json=body)
        assert reply.status_code < 300, reply.text
        return reply.json()

    pull = call("GET", f"/repos/{REPO}/pulls/1")
    return {
        "checks/create": call("POST", f"/repos/{REPO}/check-runs", {"name": "a", "head_sha": head}),
        "checks/update": call("POST", f"/repos/{REPO}/check-runs", {"name": "b", "head_sha": head}),
        "repos/get-collaborator-permission-level": call(
            "GET", f"/repos/{REPO}/collaborators/alice/permission"
        ),
        "repos/create-commit-status": call(
            "POST", f"/repos/{REPO}/statuses/{head}", {"state": "success"}
        ),
        "issues/create-comment": call("POST", f"/repos/{REPO}/issues/1/comments", {"body": "x"}),
        "issues/update-comment": call("GET", f"/repos/{REPO}/issues/1/comments")[0],
        "issues/list-comments": call("GET", f"/repos/{REPO}/issues/1/comments"),
        "issues/list-events": call("GET", f"/repos/{REPO}/issues/1/events"),
        "issues/list-events-for-timeline": call("GET", f"/repos/{REPO}/issues/1/timeline"),
        "issues/list-labels-on-issue": call("GET", f"/repos/{REPO}/issues/1/labels"),
        "issues/add-labels": call("POST", f"/repos/{REPO}/issues/1/labels", ["bug"]),
        "issues/remove-label": call("GET", f"/repos/{REPO}/issues/1/labels"),
        "pulls/get": pull,
        "pulls/merge": call("PUT", f"/repos/{REPO}/pulls/1/merge", {"sha": head}),
    }


def test_responses_carry_the_keys_of_recorded_github_responses(gh: GitHubDouble) -> None:
    """It answers each recorded operation with at least the keys GitHub sent, per object
    and per event type, and records nothing it cannot route."""
    answers = _double_answers(gh)
    compared = 0
    for recording in sorted(REST.glob("*.txt")):
        for exchange in replay_exchanges(recording.name):
            match = gh.spec.match(exchange["verb"], exchange["path"])
            if match is None or exchange["status"] >= 300 or exchange["body"] is None:
                continue  # `GET /labels/{name}`: PyGithub's lookup, outside the subset
            operation = match.operation.operation_id
            assert operation in answers, f"{recording.name}: no scene for {operation}"
            ours, theirs = answers[operation], exchange["body"]
            if operation.endswith(("list-events", "list-events-for-timeline")):
                by_event = {item["event"]: set(item) for item in ours}
                pairs = [(by_event[e["event"]], set(e)) for e in theirs if e["event"] in by_event]
                assert pairs, f"{recording.name}: no event type in common"
            else:
                pairs = [(_keys(ours), _keys(theirs))]
            for mine, recorded in pairs:
                assert recorded <= mine, f"{recording.name} {operation}: missing {recorded - mine}"
                compared += 1
            for nested in ("user", "actor", "app", "output", "head", "base"):
                item = theirs[0] if isinstance(theirs, list) else theirs
                mine_item = ours[0] if isinstance(ours, list) else ours
                if isinstance(item.get(nested), dict) and isinstance(mine_item.get(nested), dict):
                    assert set(item[nested]) <= set(mine_item[nested]), f"{recording.name} {nested}"
    assert compared >= 15


def test_a_recorded_403_matches_the_double_refusal(gh: GitHubDouble) -> None:
    """It refuses collaborator permission with the same status and message as recorded."""
    (recorded,) = replay_exchanges("collaborator_permission.forbidden_403.txt")
    reply = raw(gh, "carol", "GET", f"/repos/{REPO}/collaborators/alice/permission")
    assert reply.status_code == recorded["status"]
    assert reply.json()["message"] == recorded["body"]["message"]
    assert set(recorded["body"]) <= set(reply.json())


# -- webhooks ------------------------------------------------------------------------------


def test_pull_request_events_reflect_the_current_state(gh: GitHubDouble, tmp_path: Path) -> None:
    """It builds labeled/synchronize payloads from state, shaped like the real fixtures."""
    gh.label_as("alice", REPO, 1, "approved:reviewer")
    event = gh.webhooks.pull_request(
        REPO, 1, "labeled", label="approved:reviewer", sender="alice", target=True
    )
    assert event.name == "pull_request_target"
    payload = event.payload
    assert (payload["label"]["name"], payload["sender"]["login"]) == ("approved:reviewer", "alice")
    assert payload["pull_request"]["head"]["sha"] == gh.pull(REPO, 1)["head"]["sha"]
    assert [label["name"] for label in payload["pull_request"]["labels"]] == ["approved:reviewer"]
    fixture = load_fixture_json("github-webhooks/pull_request.labeled.json")
    assert set(payload) == set(fixture) - {"installation"} | {"organization"}

    before = gh.pull(REPO, 1)["head"]["sha"]
    after = gh.push(REPO, 1, {"train.py": "fit(C=7)\n"})
    sync = gh.webhooks.pull_request(REPO, 1, "synchronize").payload
    assert (sync["before"], sync["after"]) == (before, after)

    path = event.write(tmp_path)
    assert json.loads(path.read_text()) == payload
    assert event.env(path) == {
        "GITHUB_EVENT_NAME": "pull_request_target",
        "GITHUB_EVENT_PATH": str(path),
    }


def test_issue_comment_events_on_a_pr_carry_the_pull_request_link(gh: GitHubDouble) -> None:
    """It marks a PR comment's issue with `pull_request`, like the packit capture."""
    comment_id = gh.comment_as("alice", REPO, 1, "/approve")
    payload = gh.webhooks.issue_comment(REPO, comment_id).payload
    assert payload["issue"]["pull_request"]["url"].endswith(f"/repos/{REPO}/pulls/1")
    assert (payload["comment"]["body"], payload["comment"]["user"]["login"]) == (
        "/approve",
        "alice",
    )
    assert payload["comment"]["author_association"] == "MEMBER"

    gh.edit_comment_as("alice", REPO, comment_id, "/approve reviewer")
    edited = gh.webhooks.issue_comment(REPO, comment_id, action="edited", previous_body="/approve")
    assert edited.payload["changes"] == {"body": {"from": "/approve"}}


def test_workflow_run_events_point_at_the_run_and_its_pr(gh: GitHubDouble) -> None:
    """It builds a workflow_run payload whose PR head matches the run's head sha."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    run_id = gh.add_workflow_run(REPO, name="audit", head_sha=head, pull_number=1)
    run = gh.webhooks.workflow_run(REPO, run_id).payload["workflow_run"]
    assert (run["id"], run["head_sha"], run["event"], run["conclusion"]) == (
        run_id,
        head,
        "pull_request",
        "success",
    )
    assert run["pull_requests"][0]["head"]["sha"] == head
    assert run["artifacts_url"] == f"{gh.base_url}/repos/{REPO}/actions/runs/{run_id}/artifacts"


def test_webhook_payloads_satisfy_octokits_schemas(gh: GitHubDouble) -> None:
    """It keeps every built payload within octokit's event schemas (required fields, types)."""
    gh.label_as("alice", REPO, 1, "hold")
    comment_id = gh.comment_as("alice", REPO, 1, "/hold")
    run_id = gh.add_workflow_run(
        REPO, name="audit", head_sha=gh.pull(REPO, 1)["head"]["sha"], pull_number=1
    )
    events = [
        gh.webhooks.pull_request(REPO, 1, "opened"),
        gh.webhooks.pull_request(REPO, 1, "unlabeled", label="hold"),
        gh.webhooks.issue_comment(REPO, comment_id),
        gh.webhooks.workflow_run(REPO, run_id),
    ]
    gh.client(BOT).get_repo(REPO).get_pull(1).merge()
    events.append(gh.webhooks.pull_request(REPO, 1, "closed"))
    for event in events:
        assert schema_errors(event.name, event.payload) == []
    assert events[-1].payload["pull_request"]["merged"] is True
    broken = dict(events[0].payload)
    del broken["number"]
    assert schema_errors("pull_request", broken)

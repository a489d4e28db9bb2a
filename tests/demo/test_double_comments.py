# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Who may edit and delete comments, reviews and their dismissal, pushes and retargeting,
and what the webhooks and the timeline then say (real PyGithub against the double)."""

from __future__ import annotations

import pytest
from github import GithubException

from demo.github_double import GitHubDouble
from demo.github_double.errors import CANNOT_APPROVE_OWN, ApiError
from demo.github_double.fixtures import github_double  # noqa: F401

REPO = "acme/model"


@pytest.fixture
def gh(github_double: GitHubDouble) -> GitHubDouble:  # noqa: F811
    """acme/model; bob (write) opened PR #1; alice maintains; carol reads; dora triages."""
    gh = github_double
    for login in ("alice", "bob", "carol", "dora"):
        gh.add_user(login)
    gh.create_org("acme", members=["alice", "bob"])
    gh.create_repo(REPO, files={"train.py": "fit()\n"})
    gh.set_permission(REPO, "alice", "maintain")
    gh.set_permission(REPO, "bob", "write")
    gh.set_permission(REPO, "carol", "read")
    gh.set_permission(REPO, "dora", "triage")
    gh.create_pull(REPO, "bob", head_ref="tune", files={"train.py": "fit(C=2)\n"})
    return gh


# -- comments ------------------------------------------------------------------------------


def test_a_write_user_edits_anothers_comment_and_the_webhook_names_them(
    gh: GitHubDouble,
) -> None:
    """The attacker's move: bob rewrites alice's `/approve`; GitHub allows it and says so."""
    comment_id = gh.comment_as("alice", REPO, 1, "/approve reviewer")
    comment = gh.client("bob").get_repo(REPO).get_issue(1).get_comment(comment_id)
    before = comment.updated_at
    comment.edit("/approve reviewer and more")
    assert gh.comments(REPO, 1) == [("alice", "/approve reviewer and more")]
    (edit,) = gh.comment_edits(REPO, comment_id)
    assert (edit.editor, edit.previous_body) == ("bob", "/approve reviewer")
    event = gh.webhooks.issue_comment(
        REPO, comment_id, action="edited", previous_body=edit.previous_body, sender="bob"
    )
    assert event.payload["sender"]["login"] == "bob"
    assert event.payload["comment"]["user"]["login"] == "alice"
    assert event.payload["changes"] == {"body": {"from": "/approve reviewer"}}
    assert gh.client("bob").get_repo(REPO).get_issue(1).get_comment(comment_id).updated_at > before


def test_the_edit_control_follows_the_same_rules(gh: GitHubDouble) -> None:
    comment_id = gh.comment_as("alice", REPO, 1, "/approve reviewer")
    event = gh.edit_comment(REPO, comment_id, "nothing", as_user="bob")
    assert event.payload["sender"]["login"] == "bob"
    for reader in ("carol", "dora"):  # read and triage edit only their own
        with pytest.raises(ApiError) as refused:
            gh.edit_comment(REPO, comment_id, "x", as_user=reader)
        assert refused.value.status == 403
    own = gh.comment_as("carol", REPO, 1, "mine")
    gh.edit_comment(REPO, own, "still mine", as_user="carol")


def test_a_reader_cannot_edit_anothers_comment_through_the_api(gh: GitHubDouble) -> None:
    comment_id = gh.comment_as("alice", REPO, 1, "/approve reviewer")
    comment = gh.client("carol").get_repo(REPO).get_issue(1).get_comment(comment_id)
    with pytest.raises(GithubException) as refused:
        comment.edit("forged")
    assert refused.value.status == 403


def test_a_write_user_deletes_anothers_comment(gh: GitHubDouble) -> None:
    """The deleted event names the deleter as sender; the comment is gone from the API."""
    comment_id = gh.comment_as("alice", REPO, 1, "/hold")
    event = gh.delete_comment(REPO, comment_id, as_user="bob")
    assert (event.payload["action"], event.payload["sender"]["login"]) == ("deleted", "bob")
    assert event.payload["comment"]["body"] == "/hold"
    assert gh.comments(REPO, 1) == []
    assert gh.deleted_comments(REPO)[comment_id].deleted_by == "bob"


def test_a_job_token_with_issues_write_edits_any_comment(gh: GitHubDouble) -> None:
    """Every workflow's GITHUB_TOKEN may rewrite a person's comment (as github-actions)."""
    comment_id = gh.comment_as("alice", REPO, 1, "/approve reviewer")
    token = gh.add_job_token(REPO, permissions={"issues": "write", "pull-requests": "write"})
    issue = gh.client_for_token(token).get_repo(REPO).get_issue(1)
    issue.get_comment(comment_id).edit("/approve cancel")
    assert gh.comment_edits(REPO, comment_id)[0].editor == "github-actions[bot]"


# -- reviews -------------------------------------------------------------------------------


def test_reviews_are_bound_to_the_head_and_the_author_cannot_approve(gh: GitHubDouble) -> None:
    pull = gh.client("alice").get_repo(REPO).get_pull(1)
    head = pull.head.sha
    review = pull.create_review(body="ship it", event="APPROVE")
    assert (review.state, review.commit_id, review.body) == ("APPROVED", head, "ship it")
    assert [r.id for r in pull.get_reviews()] == [review.id]
    with pytest.raises(GithubException) as refused:
        gh.client("bob").get_repo(REPO).get_pull(1).create_review(event="APPROVE")
    assert refused.value.status == 422
    assert refused.value.data["errors"] == [CANNOT_APPROVE_OWN]


def test_a_github_token_cannot_approve_by_default(gh: GitHubDouble) -> None:
    token = gh.add_job_token(REPO, permissions={"pull-requests": "write"})
    pull = gh.client_for_token(token).get_repo(REPO).get_pull(1)
    with pytest.raises(GithubException) as refused:
        pull.create_review(event="APPROVE")
    assert refused.value.status == 422


def test_a_dismissal_names_its_actor(gh: GitHubDouble) -> None:
    """PUT .../dismissals needs write; the review is DISMISSED; timeline and webhook say who."""
    submitted = gh.submit_review(REPO, 1, as_user="alice", event="REQUEST_CHANGES", body="no")
    assert submitted.payload["review"]["state"] == "changes_requested"
    review_id = submitted.payload["review"]["id"]
    pull = gh.client("carol").get_repo(REPO).get_pull(1)
    with pytest.raises(GithubException) as refused:
        pull.get_review(review_id).dismiss("nope")
    assert refused.value.status == 403
    gh.client("bob").get_repo(REPO).get_pull(1).get_review(review_id).dismiss("stale")
    assert gh.client("bob").get_repo(REPO).get_pull(1).get_review(review_id).state == "DISMISSED"
    assert ("review_dismissed", "bob", None) in gh.events(REPO, 1)
    event = gh.webhooks.pull_request_review(REPO, 1, review_id, "dismissed", sender="bob")
    assert (event.payload["review"]["state"], event.payload["sender"]["login"]) == (
        "dismissed",
        "bob",
    )


# -- pushes and bases ----------------------------------------------------------------------


def test_pushes_record_who_pushed_and_force_pushes_back(gh: GitHubDouble) -> None:
    """synchronize carries sender/before/after; a force push back to an old head is seen."""
    first = gh.pull(REPO, 1)["head"]["sha"]
    second = gh.push(REPO, 1, {"train.py": "fit(C=3)\n"}, as_user="alice")
    event = gh.webhooks.pull_request(REPO, 1, "synchronize")
    assert (event.payload["sender"]["login"], event.payload["before"], event.payload["after"]) == (
        "alice",
        first,
        second,
    )
    gh.reset_head(REPO, 1, first, as_user="bob")
    event = gh.webhooks.pull_request(REPO, 1, "synchronize")
    assert (event.payload["sender"]["login"], event.payload["before"], event.payload["after"]) == (
        "bob",
        second,
        first,
    )
    assert ("head_ref_force_pushed", "bob", None) in gh.events(REPO, 1)
    timeline = list(gh.client("bob").get_repo(REPO).get_issue(1).get_timeline())
    assert [t.event for t in timeline][-2:] == ["committed", "head_ref_force_pushed"]


def test_a_reader_cannot_push(gh: GitHubDouble) -> None:
    with pytest.raises(ApiError):
        gh.push(REPO, 1, {"train.py": "x\n"}, as_user="carol")


def test_retargeting_the_base(gh: GitHubDouble) -> None:
    """The author makes a branch and points the PR at it: edited with changes.base."""
    gh.create_branch(REPO, "release-ish", as_user="bob", files={"train.py": "fit(C=2)\n"})
    event = gh.retarget(REPO, 1, "release-ish", as_user="bob")
    assert event.payload["changes"]["base"]["ref"] == {"from": "main"}
    assert event.payload["pull_request"]["base"]["ref"] == "release-ish"
    assert ("base_ref_changed", "bob", None) in gh.events(REPO, 1)
    pull = gh.client("alice").get_repo(REPO).get_pull(1)
    pull.edit(base="main")
    assert gh.pull(REPO, 1)["base"]["ref"] == "main"
    with pytest.raises(GithubException) as refused:
        gh.client("carol").get_repo(REPO).get_pull(1).edit(base="release-ish")
    assert refused.value.status == 403

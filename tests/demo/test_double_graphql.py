# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""POST /graphql on the double: comment edit history, reviews, timeline, and GitHub's
error shapes (raw HTTP, as a bot's GraphQL client sends it)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401

REPO = "acme/model"
COMMENTS = """
query($owner: String!, $name: String!, $number: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      comments(first: 2, after: $after) {
        nodes {
          databaseId author { login } body createdAt lastEditedAt editor { login }
          userContentEdits(first: 10) {
            nodes { editedAt editor { login } diff deletedAt deletedBy { login } }
          }
        }
        pageInfo { hasNextPage endCursor }
      }
      reviews(first: 10) {
        nodes { databaseId author { login } state body commit { oid } submittedAt }
      }
      timelineItems(first: 50, itemTypes: [HEAD_REF_FORCE_PUSHED_EVENT, REVIEW_DISMISSED_EVENT,
                                           BASE_REF_CHANGED_EVENT, PULL_REQUEST_COMMIT]) {
        nodes {
          __typename
          ... on HeadRefForcePushedEvent {
            actor { login } beforeCommit { oid } afterCommit { oid }
          }
          ... on ReviewDismissedEvent { actor { login } dismissalMessage previousReviewState }
          ... on BaseRefChangedEvent { actor { login } previousRefName currentRefName }
          ... on PullRequestCommit { commit { oid } }
        }
      }
    }
  }
}
"""


@pytest.fixture
def gh(github_double: GitHubDouble) -> GitHubDouble:  # noqa: F811
    gh = github_double
    for login in ("alice", "bob", "carol"):
        gh.add_user(login)
    gh.create_org("acme", members=["alice", "bob"])
    gh.create_repo(REPO, files={"train.py": "fit()\n"})
    gh.set_permission(REPO, "alice", "maintain")
    gh.set_permission(REPO, "bob", "write")
    gh.set_permission(REPO, "carol", "read")
    gh.create_pull(REPO, "bob", head_ref="tune", files={"train.py": "fit(C=2)\n"})
    return gh


def post(gh: GitHubDouble, token: str | None, body: Any) -> httpx.Response:
    headers = {"Authorization": f"bearer {token}"} if token else {}
    return httpx.post(f"{gh.base_url}/graphql", json=body, headers=headers, timeout=10)


def ask(gh: GitHubDouble, login: str, after: str | None = None) -> dict[str, Any]:
    variables = {"owner": "acme", "name": "model", "number": 1, "after": after}
    reply = post(gh, gh.token_for(login), {"query": COMMENTS, "variables": variables})
    assert reply.status_code == 200
    body: dict[str, Any] = reply.json()
    assert "errors" not in body, body
    pull: dict[str, Any] = body["data"]["repository"]["pullRequest"]
    return pull


def test_edit_history_names_every_editor(gh: GitHubDouble) -> None:
    """A comment alice wrote and bob rewrote: editor bob, revisions newest first."""
    comment_id = gh.comment_as("alice", REPO, 1, "/approve reviewer")
    gh.edit_comment(REPO, comment_id, "/approve cancel", as_user="bob")
    untouched = gh.comment_as("alice", REPO, 1, "/hold")
    (edited, plain) = ask(gh, "carol")["comments"]["nodes"]
    assert edited["databaseId"] == comment_id
    assert (edited["author"]["login"], edited["editor"]["login"]) == ("alice", "bob")
    assert edited["lastEditedAt"] is not None
    revisions = edited["userContentEdits"]["nodes"]
    assert [(r["editor"]["login"], r["diff"]) for r in revisions] == [
        ("bob", "/approve cancel"),
        ("alice", "/approve reviewer"),
    ]
    assert (plain["databaseId"], plain["editor"], plain["lastEditedAt"]) == (untouched, None, None)
    assert plain["userContentEdits"]["nodes"] == []


def test_comments_paginate_by_cursor(gh: GitHubDouble) -> None:
    ids = [gh.comment_as("alice", REPO, 1, f"c{i}") for i in range(3)]
    page = ask(gh, "bob")["comments"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = ask(gh, "bob", after=page["pageInfo"]["endCursor"])["comments"]
    assert [n["databaseId"] for n in page["nodes"] + rest["nodes"]] == ids
    assert rest["pageInfo"]["hasNextPage"] is False


def test_reviews_and_the_timeline(gh: GitHubDouble) -> None:
    """Reviews with their commit; force pushes, dismissals and base changes with actors."""
    first = gh.pull(REPO, 1)["head"]["sha"]
    event = gh.submit_review(REPO, 1, as_user="alice", event="APPROVE", body="ok")
    second = gh.push(REPO, 1, {"train.py": "fit(C=3)\n"}, as_user="bob")
    gh.reset_head(REPO, 1, first, as_user="bob")
    gh.dismiss_review(REPO, 1, event.payload["review"]["id"], as_user="bob", message="stale")
    gh.create_branch(REPO, "other", as_user="bob")
    gh.retarget(REPO, 1, "other", as_user="bob")
    pull = ask(gh, "carol")
    (review,) = pull["reviews"]["nodes"]
    assert (review["author"]["login"], review["state"], review["commit"]["oid"]) == (
        "alice",
        "DISMISSED",
        first,
    )
    items = pull["timelineItems"]["nodes"]
    assert [i["__typename"] for i in items] == [
        "PullRequestCommit",
        "HeadRefForcePushedEvent",
        "ReviewDismissedEvent",
        "BaseRefChangedEvent",
    ]
    forced = items[1]
    assert (forced["actor"]["login"], forced["beforeCommit"]["oid"]) == ("bob", second)
    assert forced["afterCommit"]["oid"] == first
    assert items[0]["commit"]["oid"] == second
    assert items[2]["actor"]["login"] == "bob"
    assert items[2]["previousReviewState"] == "APPROVED"
    assert (items[3]["previousRefName"], items[3]["currentRefName"]) == ("main", "other")


def test_bots_are_named_without_the_suffix(gh: GitHubDouble) -> None:
    token = gh.add_job_token(REPO, permissions={"pull-requests": "write"})
    gh.client_for_token(token).get_repo(REPO).get_pull(1).create_issue_comment("bot says")
    (node,) = ask(gh, "carol")["comments"]["nodes"]
    assert node["author"]["login"] == "github-actions"


def test_errors_come_back_as_github_sends_them(gh: GitHubDouble) -> None:
    token = gh.token_for("carol")
    unknown = post(gh, token, {"query": '{ repository(owner: "acme", name: "nope") { id } }'})
    assert unknown.status_code == 200
    (error,) = unknown.json()["errors"]
    assert (error["type"], error["path"]) == ("NOT_FOUND", ["repository"])
    assert unknown.json()["data"] == {"repository": None}
    invalid = post(gh, token, {"query": "{ viewer { login } }"})
    assert invalid.json()["errors"][0]["message"] == "Field 'viewer' doesn't exist on type 'Query'"
    unbounded = post(
        gh,
        token,
        {
            "query": '{ repository(owner: "acme", name: "model") '
            "{ pullRequest(number: 1) { comments { totalCount } } } }"
        },
    )
    assert unbounded.json()["errors"][0]["type"] == "MISSING_PAGINATION_BOUNDARIES"
    assert post(gh, None, {"query": "{ __typename }"}).status_code == 401


def test_a_job_token_without_pull_requests_read_is_forbidden(gh: GitHubDouble) -> None:
    token = gh.add_job_token(REPO, permissions={"contents": "read"})
    query = '{ repository(owner: "acme", name: "model") { pullRequest(number: 1) { number } } }'
    (error,) = post(gh, token, {"query": query}).json()["errors"]
    assert (error["type"], error["message"]) == (
        "FORBIDDEN",
        "Resource not accessible by integration",
    )

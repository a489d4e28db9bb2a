# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The double as strict as GitHub where the chain relies on it: ``mergeable_state``
``behind``, the compare endpoint (and its permission), faults on ``/graphql``, and the
``url`` of comments and reviews in GraphQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401

REPO = "acme/model"
QUERY = """
query($number: Int!) {
  repository(owner: "acme", name: "model") {
    pullRequest(number: $number) {
      comments(first: 10) { nodes { databaseId url } }
      reviews(first: 10) { nodes { databaseId url } }
    }
  }
}
"""


@pytest.fixture
def gh(github_double: GitHubDouble) -> GitHubDouble:  # noqa: F811
    gh = github_double
    for login in ("alice", "bob"):
        gh.add_user(login)
    gh.create_org("acme", members=["alice", "bob"])
    gh.create_repo(REPO, files={"train.py": "fit()\n"})
    gh.set_permission(REPO, "alice", "maintain")
    gh.set_permission(REPO, "bob", "write")
    gh.create_pull(REPO, "bob", head_ref="tune", files={"train.py": "fit(C=2)\n"})
    return gh


def graphql(gh: GitHubDouble, login: str, body: Any) -> httpx.Response:
    return httpx.post(f"{gh.base_url}/graphql", json=body, timeout=10,
                      headers={"Authorization": f"bearer {gh.token_for(login)}"})


def test_a_pull_request_is_behind_when_its_base_moves(gh: GitHubDouble) -> None:
    """clean until the base branch gets a commit the head lacks, then behind."""
    assert gh.pull(REPO, 1)["mergeable_state"] == "clean"
    gh.commit(REPO, "main", {"README.md": "moved\n"}, author="alice")
    assert gh.pull(REPO, 1)["mergeable_state"] == "behind"


def test_compare_says_how_head_stands_to_base(gh: GitHubDouble) -> None:
    """GET /repos/{owner}/{repo}/compare/{base}...{head}: ahead, then diverged."""
    repo = gh.client("bob").get_repo(REPO)
    ahead = repo.compare("main", "tune")
    assert (ahead.status, ahead.ahead_by, ahead.behind_by) == ("ahead", 1, 0)
    assert [c.sha for c in ahead.commits] == [gh.pull(REPO, 1)["head"]["sha"]]
    gh.commit(REPO, "main", {"README.md": "moved\n"}, author="alice")
    diverged = repo.compare("main", "tune")
    assert (diverged.status, diverged.ahead_by, diverged.behind_by) == ("diverged", 1, 1)
    assert repo.compare("tune", "tune").status == "identical"
    assert httpx.get(f"{gh.base_url}/repos/{REPO}/compare/main...nowhere", timeout=10,
                     headers={"Authorization": f"bearer {gh.token_for('bob')}"}
                     ).status_code == 404


def test_compare_needs_contents_read(gh: GitHubDouble) -> None:
    """A job token without contents: read is refused, as on GitHub."""
    none = gh.add_job_token(REPO, permissions={"pull-requests": "read"})
    read = gh.add_job_token(REPO, permissions={"contents": "read"})
    url = f"{gh.base_url}/repos/{REPO}/compare/main...tune"
    assert httpx.get(url, headers={"Authorization": f"bearer {none}"},
                     timeout=10).status_code == 403
    assert httpx.get(url, headers={"Authorization": f"bearer {read}"},
                     timeout=10).status_code == 200


def test_injected_faults_apply_to_graphql(gh: GitHubDouble) -> None:
    """A fault on POST /graphql answers once, then the query runs."""
    gh.inject_fault("POST", "/graphql", 502)
    body = {"query": QUERY, "variables": {"number": 1}}
    assert graphql(gh, "bob", body).status_code == 502
    assert graphql(gh, "bob", body).status_code == 200


def test_comments_and_reviews_have_their_url(gh: GitHubDouble) -> None:
    """IssueComment.url and PullRequestReview.url are the permalinks on the PR's page."""
    comment = gh.comment_as("alice", REPO, 1, "/approve")
    hook = gh.submit_review(REPO, 1, as_user="alice", event="APPROVE")
    review = hook.payload["review"]["id"]
    data = graphql(gh, "bob", {"query": QUERY, "variables": {"number": 1}}).json()
    pull = data["data"]["repository"]["pullRequest"]
    page = f"{gh.base_url}/{REPO}/pull/1"
    assert pull["comments"]["nodes"] == [{"databaseId": comment,
                                          "url": f"{page}#issuecomment-{comment}"}]
    assert pull["reviews"]["nodes"] == [{"databaseId": review,
                                         "url": f"{page}#pullrequestreview-{review}"}]

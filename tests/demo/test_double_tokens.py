# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The double's token kinds, check-run ownership, required checks and the workflows rule,
through real PyGithub: what GitHub allows an attacker, and what it refuses."""

from __future__ import annotations

import pytest
from github import GithubException

from demo.github_double import GitHubDouble
from demo.github_double.errors import (
    INVALID_APP_FOR_CHECK_RUN,
    MUST_AUTHENTICATE_AS_APP,
    NOT_ACCESSIBLE_BY_INTEGRATION,
    ApiError,
)
from demo.github_double.fixtures import github_double  # noqa: F401
from demo.github_double.state import ACTIONS_APP_ID

REPO = "acme/model"
APP_ID = 901234
APP = "modelgate-acme"


@pytest.fixture
def gh(github_double: GitHubDouble) -> GitHubDouble:  # noqa: F811
    """acme/model; bob (write) opened PR #1; carol reads; the team's App is installed."""
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


def _app_token(gh: GitHubDouble, **permissions: str) -> str:
    granted = {"checks": "write", "contents": "write", "pull_requests": "write", **permissions}
    return gh.install_app(REPO, APP, APP_ID, permissions=granted)


# -- token kinds -------------------------------------------------------------------------


def test_a_job_token_holds_only_its_permissions(gh: GitHubDouble) -> None:
    """A GITHUB_TOKEN with `contents: read` reads but cannot comment: 403 as an integration."""
    token = gh.add_job_token(REPO, permissions={"contents": "read", "pull-requests": "read"})
    pull = gh.client_for_token(token).get_repo(REPO).get_pull(1)
    assert pull.title == "Update the model"
    with pytest.raises(GithubException) as refused:
        pull.create_issue_comment("hi")
    assert refused.value.status == 403
    assert refused.value.data["message"] == NOT_ACCESSIBLE_BY_INTEGRATION
    assert "docs.github.com" in str(refused.value.data["documentation_url"])


def test_a_job_token_with_pull_requests_write_comments_on_a_pr(gh: GitHubDouble) -> None:
    """On a PR, `pull-requests: write` is enough to comment, as the github-actions bot."""
    token = gh.add_job_token(REPO, permissions={"pull-requests": "write"})
    gh.client_for_token(token).get_repo(REPO).get_pull(1).create_issue_comment("hi")
    assert gh.comments(REPO, 1) == [("github-actions[bot]", "hi")]


def test_a_job_token_never_holds_workflows() -> None:
    """`workflows` is not a GITHUB_TOKEN scope."""
    with GitHubDouble() as gh:
        gh.add_user("bob")
        gh.create_repo("bob/x")
        with pytest.raises(ValueError, match="workflows"):
            gh.add_job_token("bob/x", permissions={"workflows": "write"})


def test_a_job_token_reaches_only_its_repository(gh: GitHubDouble) -> None:
    """Another private repository is 404 to it."""
    gh.create_repo("acme/other")
    token = gh.add_job_token(REPO, permissions="write-all")
    with pytest.raises(GithubException) as hidden:
        gh.client_for_token(token).get_repo("acme/other")
    assert hidden.value.status == 404


def test_an_app_token_without_issues_write_cannot_comment_on_an_issue(gh: GitHubDouble) -> None:
    """`pull_requests: write` covers PR conversations, not plain issues."""
    number = gh.create_issue(REPO, "alice", title="bug")
    api = gh.client_for_token(_app_token(gh)).get_repo(REPO)
    api.get_pull(1).create_issue_comment("on the PR")
    with pytest.raises(GithubException) as refused:
        api.get_issue(number).create_comment("on the issue")
    assert refused.value.status == 403


# -- check runs ----------------------------------------------------------------------------


def test_check_runs_carry_the_app_that_made_them(gh: GitHubDouble) -> None:
    """The App's run names the App; any job's GITHUB_TOKEN makes runs as github-actions."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    ours = gh.client_for_token(_app_token(gh)).get_repo(REPO)
    ours.create_check_run("modelgate", head, status="completed", conclusion="failure")
    forged = gh.add_job_token(REPO, permissions={"checks": "write"})
    theirs = gh.client_for_token(forged).get_repo(REPO)
    theirs.create_check_run("modelgate", head, status="completed", conclusion="success")
    lazy = gh.client_for_token(forged, lazy=True).get_repo(REPO).get_commit(head)
    runs = list(lazy.get_check_runs())
    assert {(r.name, r.app.slug, r.app.id, r.conclusion) for r in runs} == {
        ("modelgate", APP, APP_ID, "failure"),
        ("modelgate", "github-actions", ACTIONS_APP_ID, "success"),
    }
    assert len({r.raw_data["check_suite"]["id"] for r in runs}) == 2  # one suite per App
    suites = list(lazy.get_check_suites())
    assert sorted(s.app.slug for s in suites) == ["github-actions", APP]


def test_only_the_creating_app_updates_a_check_run(gh: GitHubDouble) -> None:
    """Another App gets 403 naming the creator's app id."""
    head = gh.pull(REPO, 1)["head"]["sha"]
    run = gh.client_for_token(_app_token(gh)).get_repo(REPO).create_check_run("modelgate", head)
    forged = gh.add_job_token(REPO, permissions={"checks": "write"})
    other = gh.client_for_token(forged).get_repo(REPO).get_check_run(run.id)
    with pytest.raises(GithubException) as refused:
        other.edit(status="completed", conclusion="success")
    assert refused.value.status == 403
    assert refused.value.data["message"] == INVALID_APP_FOR_CHECK_RUN.format(app_id=APP_ID)


def test_a_person_cannot_create_a_check_run(gh: GitHubDouble) -> None:
    head = gh.pull(REPO, 1)["head"]["sha"]
    with pytest.raises(GithubException) as refused:
        gh.client("bob").get_repo(REPO).create_check_run("modelgate", head)
    assert refused.value.data["message"] == MUST_AUTHENTICATE_AS_APP


# -- required checks -----------------------------------------------------------------------


def _complete(gh: GitHubDouble, token: str, conclusion: str) -> None:
    head = gh.pull(REPO, 1)["head"]["sha"]
    api = gh.client_for_token(token).get_repo(REPO)
    api.create_check_run("modelgate", head, status="completed", conclusion=conclusion)


def test_a_ruleset_refuses_the_merge_until_its_app_reports_success(gh: GitHubDouble) -> None:
    """405 while the App's run is missing; github-actions' forged success does not count."""
    app = _app_token(gh)
    gh.add_ruleset(REPO, required_checks=[("modelgate", APP_ID)])
    _complete(gh, gh.add_job_token(REPO, permissions={"checks": "write"}), "success")
    pull = gh.client("bob").get_repo(REPO).get_pull(1)
    with pytest.raises(GithubException) as refused:
        pull.merge()
    assert refused.value.status == 405
    assert refused.value.data["message"].startswith("Repository rule violations found")
    assert 'Required status check "modelgate" is expected.' in refused.value.data["message"]
    with pytest.raises(ApiError):  # the Merge button obeys the same rules
        gh.merge(REPO, 1, as_user="bob")
    _complete(gh, app, "success")
    assert gh.merge(REPO, 1, as_user="bob")


def test_the_newest_run_from_the_app_decides(gh: GitHubDouble) -> None:
    app = _app_token(gh)
    gh.protect_branch(REPO, "main", required_checks=[("modelgate", APP_ID)])
    _complete(gh, app, "success")
    _complete(gh, app, "failure")
    with pytest.raises(ApiError) as refused:
        gh.merge(REPO, 1, as_user="alice")
    assert (refused.value.status, refused.value.message) == (
        405,
        'Required status check "modelgate" is expected.',
    )


def test_strict_checks_refuse_a_pull_request_behind_its_base(gh: GitHubDouble) -> None:
    app = _app_token(gh)
    gh.add_ruleset(REPO, required_checks=[("modelgate", APP_ID)], strict=True)
    _complete(gh, app, "success")
    gh.commit(REPO, "main", {"README.md": "new\n"})
    with pytest.raises(ApiError) as refused:
        gh.merge(REPO, 1, as_user="bob")
    assert refused.value.status == 405
    gh.update_branch(REPO, 1, as_user="bob")
    _complete(gh, app, "success")
    assert gh.merge(REPO, 1, as_user="bob")


# -- workflows -----------------------------------------------------------------------------


def test_merging_workflow_changes_needs_the_workflows_permission(gh: GitHubDouble) -> None:
    """A GITHUB_TOKEN cannot merge a PR touching .github/workflows/; an App with it can."""
    gh.create_pull(REPO, "bob", head_ref="ci", files={".github/workflows/x.yml": "on: push\n"})
    job = gh.add_job_token(REPO, permissions="write-all")
    with pytest.raises(GithubException) as refused:
        gh.client_for_token(job).get_repo(REPO).get_pull(2).merge()
    assert (refused.value.status, refused.value.data["message"]) == (
        403,
        NOT_ACCESSIBLE_BY_INTEGRATION,
    )
    app = _app_token(gh, workflows="write")
    assert gh.client_for_token(app).get_repo(REPO).get_pull(2).merge().merged

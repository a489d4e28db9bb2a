# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Pull requests: read, list, files, reviews, the commit->PR lookup, and the merge."""

from __future__ import annotations

from typing import Any

from demo.github_double.errors import (
    ACTIONS_CANNOT_APPROVE,
    MERGED,
    NOT_ACCESSIBLE_BY_INTEGRATION,
    UNPROCESSABLE,
    ApiError,
    not_found,
)
from demo.github_double.permissions import holds
from demo.github_double.routes.base import (
    Context,
    Page,
    Request,
    Response,
    RouteTable,
    commit_sha,
    require,
    sort_items,
    visible_repo,
)
from demo.github_double.state import ACTIONS_APP_SLUG, GitHubState, Issue, PullData, Repo, Token

route = RouteTable()
MAX_PULL_FILES = 3000
WORKFLOWS_DIR = ".github/workflows/"
REVIEW_EVENTS = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
NO_NEW_COMMITS = "There are no new commits on the base branch."
UPDATING_BRANCH = "Updating pull request branch."


def touches_workflows(state: GitHubState, repo: Repo, pull: PullData) -> list[str]:
    return [
        f.filename for f in state.pull_files(repo, pull) if f.filename.startswith(WORKFLOWS_DIR)
    ]


def check_workflows_permission(
    state: GitHubState, repo: Repo, pull: PullData, token: Token
) -> None:
    """An App (GITHUB_TOKEN included) may not merge changes to `.github/workflows/`
    without `workflows: write`, which no GITHUB_TOKEN can hold: 403 `Resource not
    accessible by integration` (chdsbd/kodiak#641, from the merge endpoint; the push form
    is "refusing to allow a GitHub App to create or update workflow ... without
    `workflows` permission", peter-evans/create-pull-request#1713). Docs:
    https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps#repository-permissions-for-workflows"""
    if token.permissions is None or holds(token, "workflows", "write"):
        return
    if touches_workflows(state, repo, pull):
        raise ApiError(403, NOT_ACCESSIBLE_BY_INTEGRATION)


def _pull(ctx: Context, req: Request) -> tuple[Repo, Issue, PullData]:
    repo = visible_repo(ctx, req)
    issue, pull = repo.pull(int(req.path["pull_number"]))
    return repo, issue, pull


@route("pulls/list", resource="PullRequest")
def list_pulls(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    state = req.query["state"]
    head = req.query.get("head")
    base = req.query.get("base")
    pulls = [
        issue
        for issue in repo.issues.values()
        if issue.pull is not None
        and (state == "all" or issue.state == state)
        and (head is None or f"{repo.owner.login}:{issue.pull.head_ref}" == head)
        and (base is None or issue.pull.base_ref == base)
    ]
    sort = str(req.query["sort"])
    attr = {"created": "created_at", "updated": "updated_at"}.get(sort, "number")
    # "Default: desc when sort is created or sort is not specified, otherwise asc."
    direction = req.query.get("direction") or ("desc" if sort == "created" else "asc")
    pulls = sort_items(pulls, lambda i: getattr(i, attr), str(direction))
    return Page([ctx.render.pull(repo, issue, full=False) for issue in pulls])


@route("pulls/get", resource="PullRequest")
def get_pull(ctx: Context, req: Request) -> Response:
    repo, issue, _ = _pull(ctx, req)
    return Response(200, ctx.render.pull(repo, issue))


@route("pulls/list-files", resource="PullRequest")
def list_files(ctx: Context, req: Request) -> Page:
    repo, _, pull = _pull(ctx, req)
    files = ctx.state.pull_files(repo, pull)[:MAX_PULL_FILES]
    return Page([ctx.render.pull_file(repo, pull, entry) for entry in files])


@route("pulls/list-reviews", resource="PullRequestReview")
def list_reviews(ctx: Context, req: Request) -> Page:
    repo, issue, pull = _pull(ctx, req)
    return Page([ctx.render.review(repo, issue, review) for review in pull.reviews])


@route("pulls/check-if-merged", resource="PullRequest")
def check_merged(ctx: Context, req: Request) -> Response:
    _, _, pull = _pull(ctx, req)
    if not pull.merged:
        raise not_found()  # with GitHub's error JSON, as recorded
    return Response(204)


@route("pulls/update", resource="PullRequest")
def update_pull(ctx: Context, req: Request) -> Response:
    """Title, body, state, and `base` (retargeting: a `base_ref_changed` timeline event)."""
    repo, issue, _ = _pull(ctx, req)
    if req.login != issue.author:
        require(repo, req, "write")
    if req.field("title") is not None:
        issue.title = str(req.field("title"))
    if isinstance(req.body, dict) and "body" in req.body:
        issue.body = req.body["body"]
    if req.field("state") is not None:
        ctx.state.set_state(issue, str(req.field("state")), req.login, None)
    base = req.field("base")
    if base is not None and issue.pull is not None and base != issue.pull.base_ref:
        ctx.state.retarget(repo, issue, str(base), req.login)
    issue.updated_at = ctx.now()
    return Response(200, ctx.render.pull(repo, issue))


@route("pulls/create-review", resource="PullRequestReview")
def create_review(ctx: Context, req: Request) -> Response:
    """A review bound to `commit_id` (default: the head now). Nobody approves or requests
    changes on their own PR; a GITHUB_TOKEN may not approve unless the repository allows it."""
    repo, issue, _ = _pull(ctx, req)
    event = req.field("event")
    state = REVIEW_EVENTS.get(str(event), "PENDING") if event else "PENDING"
    app = ctx.state.app_of_token(req.token)
    if (
        state == "APPROVED"
        and app is not None
        and app.slug == ACTIONS_APP_SLUG
        and not repo.actions_can_approve_reviews
    ):
        raise ApiError(422, UNPROCESSABLE, errors=[ACTIONS_CANNOT_APPROVE])
    commit_id = req.field("commit_id")
    if commit_id is not None and commit_id not in repo.commits:
        raise not_found()
    review = ctx.state.submit_review(
        repo, issue, req.login, state, str(req.field("body") or ""), commit_id
    )
    return Response(200, ctx.render.review(repo, issue, review))


def _review(repo: Repo, pull: PullData, req: Request) -> Any:
    found = next((r for r in pull.reviews if r.id == int(req.path["review_id"])), None)
    if found is None:
        raise not_found()
    return found


@route("pulls/get-review", resource="PullRequestReview")
def get_review(ctx: Context, req: Request) -> Response:
    repo, issue, pull = _pull(ctx, req)
    return Response(200, ctx.render.review(repo, issue, _review(repo, pull, req)))


@route("pulls/dismiss-review", resource="PullRequestReview")
def dismiss_review(ctx: Context, req: Request) -> Response:
    """Needs write; the review becomes DISMISSED and the timeline names who dismissed it.
    https://docs.github.com/en/rest/pulls/reviews#dismiss-a-review-for-a-pull-request"""
    repo, issue, pull = _pull(ctx, req)
    require(repo, req, "write")
    review = _review(repo, pull, req)
    ctx.state.dismiss_review(repo, issue, review, req.login, str(req.field("message")))
    return Response(200, ctx.render.review(repo, issue, review))


@route("pulls/update-branch", resource="PullRequest")
def update_branch(ctx: Context, req: Request) -> Response:
    """Merge the base into the head ("Update branch"); 422 when nothing is new on the base."""
    repo, issue, pull = _pull(ctx, req)
    if req.login != issue.author:
        require(repo, req, "write")
    expected = req.field("expected_head_sha")
    if expected is not None and expected != pull.head_sha:
        raise ApiError(422, "expected_head_sha must match the head of the pull request")
    if not ctx.state.is_behind(repo, pull):
        raise ApiError(422, NO_NEW_COMMITS)
    ctx.state.update_branch(repo, issue, req.login)
    url = f"{ctx.render.repo_html(repo)}/pull/{issue.number}"
    return Response(202, {"message": UPDATING_BRANCH, "url": url})


@route("pulls/merge", resource="PullRequest")
def merge(ctx: Context, req: Request) -> Response:
    repo, issue, pull = _pull(ctx, req)
    require(repo, req, "write")
    check_workflows_permission(ctx.state, repo, pull, req.token)
    commit = ctx.state.merge(
        repo,
        issue,
        req.login,
        sha=req.field("sha"),
        method=str(req.field("merge_method") or "merge"),
        title=req.field("commit_title"),
        message=req.field("commit_message"),
    )
    return Response(200, {"sha": commit.sha, "merged": True, "message": MERGED})


@route("repos/list-pull-requests-associated-with-commit", resource="PullRequest")
def pulls_for_commit(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    sha = commit_sha(repo, str(req.path["commit_sha"]), "Commit")
    if sha not in repo.commits:
        raise not_found()
    found = [
        issue
        for issue in repo.issues.values()
        if issue.pull is not None
        and (sha in issue.pull.commits or sha in (issue.pull.head_sha, issue.pull.merge_commit_sha))
    ]
    return Page([ctx.render.pull(repo, issue, full=False) for issue in found])

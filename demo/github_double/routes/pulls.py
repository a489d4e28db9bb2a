# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Pull requests: read, list, files, reviews, the commit->PR lookup, and the merge."""

from __future__ import annotations

from demo.github_double.errors import MERGED, not_found
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
from demo.github_double.state import Issue, PullData, Repo

route = RouteTable()
MAX_PULL_FILES = 3000


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


@route("pulls/merge", resource="PullRequest")
def merge(ctx: Context, req: Request) -> Response:
    repo, issue, _ = _pull(ctx, req)
    require(repo, req, "write")
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

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Repository metadata, file contents per ref, git commits, people, and the rate limit."""

from __future__ import annotations

from demo.github_double.errors import (
    MUST_HAVE_PUSH_FOR_PERMISSION,
    NOT_ACCESSIBLE_BY_INTEGRATION,
    ApiError,
    not_found,
)
from demo.github_double.routes.base import (
    JSON,
    Context,
    Request,
    Response,
    RouteTable,
    require,
    visible_repo,
)
from demo.github_double.state import Repo

route = RouteTable()
RATE_RESOURCES = {
    "search": 30,
    "graphql": 5000,
    "integration_manifest": 5000,
    "code_search": 10,
}


@route("repos/get", resource="Repository")
def get_repo(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    return Response(200, ctx.render.repository(repo, req.login, full=True))


@route("repos/get-content", resource="Content")
def get_content(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    ref = str(req.query.get("ref") or repo.default_branch)
    sha = repo.resolve_ref(ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    tree = repo.commits[sha].tree
    path = str(req.path["path"]).strip("/")
    if path in tree:
        return Response(200, ctx.render.content_file(repo, ref, path, tree[path]))
    prefix = f"{path}/"
    children: dict[str, tuple[str, bytes]] = {}
    for name, content in tree.items():
        if name.startswith(prefix):
            rest = name[len(prefix) :]
            child = rest.split("/", 1)[0]
            kind = "dir" if "/" in rest else "file"
            children[child] = (kind, content if kind == "file" else b"")
    if not children:
        raise not_found()
    entries = [
        ctx.render.content_entry(repo, ref, f"{prefix}{child}", kind, content)
        for child, (kind, content) in sorted(children.items())
    ]
    return Response(200, entries)


@route("git/get-commit", resource="Commit")
def get_git_commit(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    commit = repo.commits.get(str(req.path["commit_sha"]))
    if commit is None:
        raise not_found()
    return Response(200, ctx.render.git_commit(repo, commit))


@route("repos/get-collaborator-permission-level", resource="Collaborator")
def collaborator_permission(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write", MUST_HAVE_PUSH_FOR_PERMISSION)
    username = str(req.path["username"])
    if username not in ctx.state.accounts:
        raise not_found()
    return Response(200, ctx.render.collaborator_permission(repo, username))


@route("teams/get-membership-for-user-in-org", resource="TeamMembership")
def team_membership(ctx: Context, req: Request) -> Response:
    org = ctx.state.orgs.get(str(req.path["org"]))
    if org is None:
        raise not_found()
    if not req.token.can_read_org_members:
        raise ApiError(403, NOT_ACCESSIBLE_BY_INTEGRATION)
    if req.caller.kind == "User" and req.login not in org.members:
        raise not_found()  # teams of an organisation are hidden from outsiders
    team = org.teams.get(str(req.path["team_slug"]))
    username = str(req.path["username"])
    if team is None or username not in team.members:
        raise not_found()
    return Response(200, ctx.render.team_membership(team, username))


@route("rate-limit/get", resource="RateLimit")
def rate_limit(ctx: Context, req: Request) -> Response:
    window = ctx.rate_window(req.login)
    reset = int(window.reset.timestamp())
    core = {
        "limit": window.limit,
        "used": window.used,
        "remaining": window.remaining,
        "reset": reset,
    }
    resources = {"core": core}
    for name, limit in RATE_RESOURCES.items():
        resources[name] = {"limit": limit, "used": 0, "remaining": limit, "reset": reset}
    return Response(200, {"resources": resources, "rate": core})


@route("repos/compare-commits-with-basehead", resource="Commit")
def compare(ctx: Context, req: Request) -> Response:
    """``GET /repos/{owner}/{repo}/compare/{base}...{head}``: how ``head`` stands to
    ``base`` (``ahead``/``behind``/``diverged``/``identical``) and the commits ``base`` lacks,
    oldest first; ``files`` only as far as the double keeps trees (whole-file changes)."""
    repo = visible_repo(ctx, req)
    base_ref, sep, head_ref = str(req.path["basehead"]).partition("...")
    if not sep:
        raise not_found()
    base, head = repo.resolve_ref(base_ref), repo.resolve_ref(head_ref)
    if base is None or head is None:
        raise not_found()
    state = ctx.state
    head_seen, base_seen = state.ancestors(repo, head), state.ancestors(repo, base)
    ahead = head_seen - base_seen
    behind = base_seen - head_seen
    common = head_seen & base_seen
    merge_base = max(common, key=lambda s: (len(state.ancestors(repo, s)), s)) if common else base
    status = ("identical" if not ahead and not behind else "ahead" if not behind
              else "behind" if not ahead else "diverged")
    commits = sorted((repo.commits[s] for s in ahead), key=lambda c: (c.created_at, c.sha))
    render = ctx.render
    url = f"{render.repo_url(repo)}/compare/{base_ref}...{head_ref}"
    html = f"{render.repo_html(repo)}/compare/{base_ref}...{head_ref}"
    return Response(200, {
        "url": url,
        "html_url": html,
        "permalink_url": f"{render.repo_html(repo)}/compare/{base[:7]}...{head[:7]}",
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "base_commit": _rest_commit(ctx, repo, base),
        "merge_base_commit": _rest_commit(ctx, repo, merge_base),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [_rest_commit(ctx, repo, c.sha) for c in commits],
        "files": [],
    })


def _rest_commit(ctx: Context, repo: Repo, sha: str) -> JSON:
    """A commit as the REST ``commit`` schema draws it (no verification, no stats)."""
    git = ctx.render.git_commit(repo, repo.commits[sha])
    account = ctx.state.accounts.get(repo.commits[sha].author)
    user = ctx.render.user(account.login) if account is not None else None
    api = f"{ctx.render.repo_url(repo)}/commits/{sha}"
    return {
        "url": api,
        "sha": sha,
        "node_id": git["node_id"],
        "html_url": git["html_url"],
        "comments_url": f"{api}/comments",
        "commit": {
            "url": git["url"],
            "author": git["author"],
            "committer": git["committer"],
            "message": git["message"],
            "comment_count": 0,
            "tree": git["tree"],
        },
        "author": user,
        "committer": user,
        "parents": [{"sha": p["sha"], "url": f"{ctx.render.repo_url(repo)}/commits/{p['sha']}",
                     "html_url": p["html_url"]} for p in git["parents"]],
    }

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Issues (PRs are issues too), their comments, reactions, labels and history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.github_double.errors import not_found
from demo.github_double.routes.base import (
    Context,
    Page,
    Request,
    Response,
    RouteTable,
    require,
    sort_items,
    visible_repo,
)
from demo.github_double.state import Comment, Issue, IssueEvent, Reaction, Repo

route = RouteTable()


def _issue(ctx: Context, req: Request) -> tuple[Repo, Issue]:
    repo = visible_repo(ctx, req)
    return repo, repo.issue(int(req.path["issue_number"]))


def _comment(ctx: Context, req: Request) -> tuple[Repo, Comment]:
    repo = visible_repo(ctx, req)
    comment = repo.comments.get(int(req.path["comment_id"]))
    if comment is None:
        raise not_found()
    return repo, comment


def _since(req: Request) -> datetime | None:
    raw = req.query.get("since")
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None


def _may_edit(repo: Repo, req: Request, author: str) -> None:
    """Authors edit or delete their own text; anyone with write access may edit or delete
    anyone's ("Anyone with write access to a repository can edit, hide, and delete
    comments": https://docs.github.com/en/communities/moderating-comments-and-conversations/managing-disruptive-comments;
    roles: https://docs.github.com/en/organizations/managing-user-access-to-your-organizations-repositories/managing-repository-roles/repository-roles-for-an-organization).
    A GITHUB_TOKEN or App with `issues: write` (or `pull_requests: write` on a PR) may too."""
    if req.login != author:
        require(repo, req, "write")


# -- issues ------------------------------------------------------------------------------


@route("issues/list-for-repo", resource="Issue")
def list_issues(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    state = req.query["state"]
    wanted = [n for n in str(req.query.get("labels") or "").split(",") if n]
    since = _since(req)
    issues = [
        i
        for i in repo.issues.values()
        if (state == "all" or i.state == state)
        and all(i.label_named(name) for name in wanted)
        and (not req.query.get("creator") or i.author == req.query["creator"])
        and (since is None or i.updated_at >= since)
    ]
    sort_field = {"created": "created_at", "updated": "updated_at", "comments": "number"}
    attr = sort_field[str(req.query["sort"])]
    issues = sort_items(issues, lambda i: getattr(i, attr), str(req.query["direction"]))
    return Page([ctx.render.issue(repo, issue) for issue in issues])


@route("issues/create", resource="Issue")
def create_issue(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    now = ctx.now()
    number = max(repo.issues, default=0) + 1
    issue = Issue(
        number=number,
        id=ctx.state.next_id("issue"),
        title=str(req.field("title")),
        body=req.field("body"),
        author=req.login,
        created_at=now,
        updated_at=now,
    )
    repo.issues[number] = issue
    labels = [_label_name(item) for item in req.field("labels") or []]
    if labels and repo.can(req.login, "write"):  # "silently dropped otherwise"
        ctx.state.add_labels(repo, issue, labels, req.login)
    rendered = ctx.render.issue(repo, issue)
    return Response(201, rendered, {"location": rendered["url"]})


@route("issues/get", resource="Issue")
def get_issue(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    return Response(200, ctx.render.issue(repo, issue))


@route("issues/update", resource="Issue")
def update_issue(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    if req.login != issue.author:
        require(repo, req, "triage")
    if req.field("title") is not None:
        issue.title = str(req.field("title"))
    if isinstance(req.body, dict) and "body" in req.body:
        issue.body = req.body["body"]
    if req.field("state") is not None:
        ctx.state.set_state(issue, str(req.field("state")), req.login, req.field("state_reason"))
    if req.field("labels") is not None and repo.can(req.login, "triage"):
        names = [_label_name(item) for item in req.field("labels")]
        ctx.state.set_labels(repo, issue, names, req.login)
    issue.updated_at = ctx.now()
    return Response(200, ctx.render.issue(repo, issue))


# -- comments ----------------------------------------------------------------------------


@route("issues/list-comments", resource="IssueComment")
def list_comments(ctx: Context, req: Request) -> Page:
    repo, issue = _issue(ctx, req)
    since = _since(req)
    comments = [
        c
        for c in repo.comments.values()
        if c.issue_number == issue.number and (since is None or c.updated_at >= since)
    ]
    comments.sort(key=lambda c: (c.created_at, c.id))
    return Page([ctx.render.comment(repo, c) for c in comments])


@route("issues/create-comment", resource="IssueComment")
def create_comment(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    if issue.locked:
        require(repo, req, "write")
    comment = ctx.state.add_comment(repo, issue, str(req.field("body")), req.login)
    rendered = ctx.render.comment(repo, comment)
    return Response(201, rendered, {"location": rendered["url"]})


@route("issues/get-comment", resource="IssueComment")
def get_comment(ctx: Context, req: Request) -> Response:
    repo, comment = _comment(ctx, req)
    return Response(200, ctx.render.comment(repo, comment))


@route("issues/update-comment", resource="IssueComment")
def update_comment(ctx: Context, req: Request) -> Response:
    repo, comment = _comment(ctx, req)
    _may_edit(repo, req, comment.author)
    ctx.state.edit_comment(comment, str(req.field("body")), req.login)
    return Response(200, ctx.render.comment(repo, comment))


@route("issues/delete-comment", resource="IssueComment")
def delete_comment(ctx: Context, req: Request) -> Response:
    repo, comment = _comment(ctx, req)
    _may_edit(repo, req, comment.author)
    ctx.state.delete_comment(repo, comment, req.login)
    return Response(204)


@route("reactions/list-for-issue-comment", resource="Reaction")
def list_reactions(ctx: Context, req: Request) -> Page:
    _, comment = _comment(ctx, req)
    wanted = req.query.get("content")
    reactions = [r for r in comment.reactions if wanted is None or r.content == wanted]
    return Page([ctx.render.reaction(r) for r in reactions])


@route("reactions/create-for-issue-comment", resource="Reaction")
def create_reaction(ctx: Context, req: Request) -> Response:
    _, comment = _comment(ctx, req)
    content = str(req.field("content"))
    for reaction in comment.reactions:
        if reaction.user == req.login and reaction.content == content:
            return Response(200, ctx.render.reaction(reaction))
    reaction = Reaction(ctx.state.next_id("reaction"), req.login, content, ctx.now())
    comment.reactions.append(reaction)
    return Response(201, ctx.render.reaction(reaction))


# -- labels ------------------------------------------------------------------------------


def _label_name(item: Any) -> str:
    return str(item["name"]) if isinstance(item, dict) else str(item)


def _body_label_names(body: Any) -> list[str]:
    """Every body form GitHub takes: `["a"]`, `{"labels": ["a"]}`, `{"labels": [{"name"}]}`."""
    if body is None:
        return []
    items = body.get("labels", []) if isinstance(body, dict) else body
    return [_label_name(item) for item in items]


def _issue_labels(ctx: Context, repo: Repo, issue: Issue) -> Response:
    return Response(200, [ctx.render.label(repo, label) for label in issue.labels])


@route("issues/list-labels-on-issue", resource="Label")
def list_issue_labels(ctx: Context, req: Request) -> Page:
    repo, issue = _issue(ctx, req)
    return Page([ctx.render.label(repo, label) for label in issue.labels])


@route("issues/add-labels", resource="Label")
def add_labels(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    require(repo, req, "triage")
    ctx.state.add_labels(repo, issue, _body_label_names(req.body), req.login)
    return _issue_labels(ctx, repo, issue)


@route("issues/set-labels", resource="Label")
def set_labels(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    require(repo, req, "triage")
    ctx.state.set_labels(repo, issue, _body_label_names(req.body), req.login)
    return _issue_labels(ctx, repo, issue)


@route("issues/remove-all-labels", resource="Label")
def remove_all_labels(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    require(repo, req, "triage")
    ctx.state.set_labels(repo, issue, [], req.login)
    return Response(204)


@route("issues/remove-label", resource="Label")
def remove_label(ctx: Context, req: Request) -> Response:
    repo, issue = _issue(ctx, req)
    require(repo, req, "triage")
    ctx.state.remove_label(repo, issue, str(req.path["name"]), req.login)
    return _issue_labels(ctx, repo, issue)


@route("issues/list-labels-for-repo", resource="Label")
def list_repo_labels(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    labels = sorted(repo.labels.values(), key=lambda label: label.id)
    return Page([ctx.render.label(repo, label) for label in labels])


@route("issues/create-label", resource="Label")
def create_label(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    color = req.field("color")
    label = ctx.state.create_label(
        repo,
        str(req.field("name")),
        None if color is None else str(color).lstrip("#"),
        req.field("description"),
    )
    rendered = ctx.render.label(repo, label)
    return Response(201, rendered, {"location": rendered["url"]})


# -- history -----------------------------------------------------------------------------


def _visible_events(issue: Issue) -> list[IssueEvent]:
    return [e for e in issue.events if e.event not in IssueEvent.TIMELINE_ONLY]


@route("issues/list-events", resource="IssueEvent")
def list_events(ctx: Context, req: Request) -> Page:
    repo, issue = _issue(ctx, req)
    return Page([ctx.render.event(repo, event) for event in _visible_events(issue)])


@route("issues/list-events-for-timeline", resource="TimelineEvent")
def list_timeline(ctx: Context, req: Request) -> Page:
    repo, issue = _issue(ctx, req)
    excluded = {name for name in str(req.query.get("exclude") or "").split(",") if name}
    items = [
        ctx.render.timeline_item(repo, issue, event)
        for event in issue.events
        if event.event not in excluded
    ]
    return Page(items)

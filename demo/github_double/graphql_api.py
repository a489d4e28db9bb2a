# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""`POST /graphql`: the reads a bot makes to learn who edited what.

Every query is parsed and validated against a subset of GitHub's published schema
(`spec/schema.subset.graphql`, see its header) with graphql-core, then run against the
double's state. As GitHub does, answers are 200 with `data` and/or `errors` (each error
with GitHub's `type`, `path`, `locations`, `message`); a missing or unknown token is 401.

What GitHub does that the double copies, because a bot relies on it:
- Bots are `Bot` with the login without `[bot]` (`github-actions`, not `github-actions[bot]`).
- `lastEditedAt`/`editor` are null until the first edit; then `editor` is the last editor.
- `userContentEdits` lists revisions newest first, the original text last, each with its
  `editor` and the full text in `diff`
  (https://docs.github.com/en/graphql/reference/objects#usercontentedit).
- Connections need `first` or `last` (at most 100).
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from graphql import GraphQLError, GraphQLSchema, build_schema, graphql_sync, parse, validate

from demo.github_double.errors import NOT_ACCESSIBLE_BY_INTEGRATION
from demo.github_double.permissions import holds
from demo.github_double.render import iso
from demo.github_double.state import (
    Comment,
    GitHubState,
    Issue,
    IssueEvent,
    PullData,
    Repo,
    Review,
    Token,
    node_id,
)

SCHEMA_PATH = Path(__file__).parent / "spec" / "schema.subset.graphql"
DOCS = "https://docs.github.com/graphql"
MAX_PAGE = 100
JSON = dict[str, Any]
TIMELINE_TYPES: Mapping[str, str] = {
    "committed": "PULL_REQUEST_COMMIT",
    "head_ref_force_pushed": "HEAD_REF_FORCE_PUSHED_EVENT",
    "base_ref_changed": "BASE_REF_CHANGED_EVENT",
    "review_dismissed": "REVIEW_DISMISSED_EVENT",
    "commented": "ISSUE_COMMENT",
    "reviewed": "PULL_REQUEST_REVIEW",
    "labeled": "LABELED_EVENT",
    "unlabeled": "UNLABELED_EVENT",
}


@functools.cache
def schema() -> GraphQLSchema:
    return build_schema(SCHEMA_PATH.read_text(encoding="utf-8"))


class GraphQLFailure(GraphQLError):
    """A resolver's refusal, with GitHub's error `type` (NOT_FOUND, FORBIDDEN, ...)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message, extensions={"type": kind})


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _index(cursor: str) -> int:
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError) as error:
        raise GraphQLFailure(
            "INVALID_CURSOR_ARGUMENTS", f"`{cursor}` does not appear to be a valid cursor."
        ) from error


def connection(name: str, items: Sequence[JSON], args: Mapping[str, Any]) -> JSON:
    """Cursor pagination as GitHub does it; `first` or `last` is required, at most 100."""
    first, last = args.get("first"), args.get("last")
    if first is None and last is None:
        raise GraphQLFailure(
            "MISSING_PAGINATION_BOUNDARIES",
            "You must provide a `first` or `last` value to properly paginate the "
            f"`{name}` connection.",
        )
    for key, value in (("first", first), ("last", last)):
        if value is not None and value > MAX_PAGE:
            raise GraphQLFailure(
                "EXCESSIVE_PAGINATION",
                f"Requesting {value} records on the `{name}` connection exceeds the "
                f"`{key}` limit of {MAX_PAGE} records.",
            )
    start, end = 0, len(items)
    if args.get("after"):
        start = _index(str(args["after"])) + 1
    if args.get("before"):
        end = min(end, _index(str(args["before"])))
    window = list(range(start, max(start, end)))
    if first is not None:
        window = window[:first]
    if last is not None:
        window = window[-last:] if last else []
    nodes = [items[i] for i in window]
    return {
        "nodes": nodes,
        "totalCount": len(items),
        "filteredCount": len(items),
        "pageInfo": {
            "startCursor": _cursor(window[0]) if window else None,
            "endCursor": _cursor(window[-1]) if window else None,
            "hasNextPage": (bool(window) and window[-1] < end - 1) or (not window and start < end),
            "hasPreviousPage": bool(window) and window[0] > 0,
        },
    }


def _paged(name: str, build: Callable[[Mapping[str, Any]], Sequence[JSON]]) -> Callable[..., JSON]:
    def resolve(_info: Any, **args: Any) -> JSON:
        return connection(name, build(args), args)

    return resolve


class Resolver:
    """Draws the double's state as GraphQL objects for one request (caller `token`)."""

    def __init__(self, state: GitHubState, token: Token, html: str = "") -> None:
        self.state = state
        self.token = token
        self.html = html.rstrip("/")  # the web base of `url` fields (the double's own)

    def comment_url(self, comment: Comment) -> str:
        """``IssueComment.url``: the comment's permalink on the pull request's page."""
        repo = next(r for r in self.state.repos.values() if comment.id in r.comments)
        return (f"{self.html}/{repo.full_name}/pull/{comment.issue_number}"
                f"#issuecomment-{comment.id}")

    def review_url(self, review: Review) -> str:
        """``PullRequestReview.url``: the review's permalink on the pull request's page."""
        for repo in self.state.repos.values():
            for issue in repo.issues.values():
                if issue.pull is not None and any(r.id == review.id for r in issue.pull.reviews):
                    return (f"{self.html}/{repo.full_name}/pull/{issue.number}"
                            f"#pullrequestreview-{review.id}")
        raise KeyError(f"review {review.id} belongs to no pull request")

    # -- accounts ------------------------------------------------------------------------

    def actor(self, login: str | None) -> JSON | None:
        if login is None:
            return None
        account = self.state.account(login)
        kind = {"Bot": "Bot", "Organization": "Organization"}.get(account.kind, "User")
        shown = login.removesuffix("[bot]") if kind == "Bot" else login
        return {
            "__typename": kind,
            "login": shown,
            "databaseId": account.id,
            "id": node_id({"Bot": "BOT", "Organization": "O"}.get(kind, "U"), account.id),
        }

    # -- the root ------------------------------------------------------------------------

    def root(self) -> JSON:
        return {"repository": self.repository}

    def repository(self, _info: Any, owner: str, name: str, **_: Any) -> JSON:
        repo = self.state.repos.get(f"{owner}/{name}".casefold())
        visible = repo is not None and (
            self.token.reaches(repo)
            if self.token.permissions is not None
            else repo.can(self.token.login, "read")
        )
        if repo is None or not visible:
            raise GraphQLFailure(
                "NOT_FOUND", f"Could not resolve to a Repository with the name '{owner}/{name}'."
            )
        return {
            "databaseId": repo.id,
            "id": node_id("R", repo.id),
            "name": repo.name,
            "nameWithOwner": repo.full_name,
            "owner": self.actor(repo.owner.login),
            "pullRequest": lambda _i, number: self.pull_request(repo, number),
        }

    def pull_request(self, repo: Repo, number: int) -> JSON:
        if self.token.permissions is not None and not holds(self.token, "pull_requests", "read"):
            raise GraphQLFailure("FORBIDDEN", NOT_ACCESSIBLE_BY_INTEGRATION)
        issue = repo.issues.get(number)
        if issue is None or issue.pull is None:
            raise GraphQLFailure(
                "NOT_FOUND", f"Could not resolve to a PullRequest with the number of {number}."
            )
        pull = issue.pull
        comments = sorted(
            (c for c in repo.comments.values() if c.issue_number == number),
            key=lambda c: (c.created_at, c.id),
        )
        return {
            "id": node_id("PR", issue.id),
            "databaseId": issue.id + 7000000,
            "number": issue.number,
            "title": issue.title,
            "body": issue.body or "",
            "state": "MERGED" if pull.merged else issue.state.upper(),
            "merged": pull.merged,
            "author": self.actor(issue.author),
            "createdAt": iso(issue.created_at),
            "updatedAt": iso(issue.updated_at),
            "lastEditedAt": None,
            "editor": None,
            "baseRefName": pull.base_ref,
            "baseRefOid": pull.base_sha,
            "headRefName": pull.head_ref,
            "headRefOid": pull.head_sha,
            "comments": _paged("comments", lambda _a: [self.comment(c) for c in comments]),
            "reviews": _paged("reviews", lambda a: self.reviews(pull, a)),
            "timelineItems": _paged("timelineItems", lambda a: self.timeline(repo, issue, a)),
        }

    # -- comments and their edits --------------------------------------------------------

    def comment(self, comment: Comment) -> JSON:
        edits = comment.edits
        revisions: list[JSON] = []
        if edits:  # the original text is a revision too, once there is an edit
            revisions.append(
                self._revision(
                    comment.id, 0, comment.author, comment.created_at, edits[0].previous_body
                )
            )
            for order, edit in enumerate(edits, start=1):
                revisions.append(
                    self._revision(comment.id, order, edit.editor, edit.edited_at, edit.body)
                )
            revisions.reverse()  # newest first
        return {
            "__typename": "IssueComment",
            "id": node_id("IC", comment.id),
            "databaseId": comment.id,
            "author": self.actor(comment.author),
            "body": comment.body,
            "createdAt": iso(comment.created_at),
            "updatedAt": iso(comment.updated_at),
            "url": self.comment_url(comment),
            "lastEditedAt": iso(edits[-1].edited_at) if edits else None,
            "editor": self.actor(edits[-1].editor) if edits else None,
            "userContentEdits": _paged("userContentEdits", lambda _a: revisions),
        }

    def _revision(self, comment_id: int, order: int, editor: str, at: Any, body: str) -> JSON:
        return {
            "id": node_id("UCE", comment_id * 1000 + order),
            "editedAt": iso(at),
            "editor": self.actor(editor),
            "diff": body,
            "deletedAt": None,
            "deletedBy": None,
        }

    # -- reviews -------------------------------------------------------------------------

    def review(self, review: Review) -> JSON:
        return {
            "__typename": "PullRequestReview",
            "id": node_id("PRR", review.id),
            "databaseId": review.id,
            "author": self.actor(review.user),
            "state": review.state,
            "body": review.body,
            "commit": {"oid": review.commit_id},
            "submittedAt": None if review.state == "PENDING" else iso(review.submitted_at),
            "createdAt": iso(review.submitted_at),
            "updatedAt": iso(review.dismissed_at or review.submitted_at),
            "url": self.review_url(review),
            "lastEditedAt": None,
            "editor": None,
            "userContentEdits": _paged("userContentEdits", lambda _a: []),
        }

    def reviews(self, pull: PullData, args: Mapping[str, Any]) -> list[JSON]:
        states = set(args.get("states") or [])
        author = args.get("author")
        return [
            self.review(r)
            for r in pull.reviews
            if (not states or r.state in states)
            and (author is None or r.user.removesuffix("[bot]") == author)
        ]

    # -- timeline ------------------------------------------------------------------------

    def timeline(self, repo: Repo, issue: Issue, args: Mapping[str, Any]) -> list[JSON]:
        wanted = set(args.get("itemTypes") or TIMELINE_TYPES.values())
        items: list[JSON] = []
        forced = [c for c in issue.pull.head_changes if c.forced] if issue.pull else []
        for event in issue.events:
            kind = TIMELINE_TYPES.get(event.event)
            if kind is None or kind not in wanted:
                continue
            item = self._timeline_item(repo, issue, event, forced)
            if item is not None:
                items.append(item)
        return items

    def _timeline_item(
        self, repo: Repo, issue: Issue, event: IssueEvent, forced: list[Any]
    ) -> JSON | None:
        base: JSON = {"id": node_id("E", event.id), "createdAt": iso(event.created_at)}
        actor = self.actor(event.actor)
        if event.event == "commented" and event.comment_id in repo.comments:
            return self.comment(repo.comments[event.comment_id])
        if event.event == "reviewed" and issue.pull is not None:
            review = next((r for r in issue.pull.reviews if r.id == event.review_id), None)
            return None if review is None else self.review(review)
        if event.event == "committed":
            return {**base, "__typename": "PullRequestCommit", "commit": {"oid": event.commit_id}}
        if event.event == "head_ref_force_pushed":
            change = next((c for c in forced if c.after == event.commit_id), None)
            if change is not None:
                forced.remove(change)
            return {
                **base,
                "__typename": "HeadRefForcePushedEvent",
                "actor": actor,
                "beforeCommit": {"oid": change.before} if change else None,
                "afterCommit": {"oid": event.commit_id},
            }
        if event.event == "base_ref_changed":
            return {
                **base,
                "__typename": "BaseRefChangedEvent",
                "databaseId": event.id,
                "actor": actor,
                "previousRefName": event.from_ref,
                "currentRefName": event.to_ref,
            }
        if event.event == "review_dismissed" and issue.pull is not None:
            review = next(r for r in issue.pull.reviews if r.id == event.review_id)
            return {
                **base,
                "__typename": "ReviewDismissedEvent",
                "databaseId": event.id,
                "actor": actor,
                "dismissalMessage": review.dismissal_message,
                "previousReviewState": review.state_before_dismissal,
                "review": self.review(review),
            }
        if event.event in ("labeled", "unlabeled") and event.label is not None:
            label = {"id": node_id("LA", event.label.id), "name": event.label.name}
            kind = "LabeledEvent" if event.event == "labeled" else "UnlabeledEvent"
            return {**base, "__typename": kind, "actor": actor, "label": label}
        return None


def _github_error(error: GraphQLError) -> JSON:
    """graphql-core's error in GitHub's shape: `type` at the top, not in `extensions`."""
    out: JSON = {}
    kind = (error.extensions or {}).get("type")
    if kind:
        out["type"] = kind
    if error.path:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    message = error.message
    if message.startswith("Cannot query field "):
        # graphql-ruby's wording: "Field 'x' doesn't exist on type 'Y'"
        parts = message.split("'")
        if len(parts) >= 4:
            message = f"Field '{parts[1]}' doesn't exist on type '{parts[3]}'"
            out["extensions"] = {
                "code": "undefinedField",
                "typeName": parts[3],
                "fieldName": parts[1],
            }
    out["message"] = message
    return out


def execute(state: GitHubState, token: Token, body: Any, html: str = "") -> JSON:
    """One GraphQL request: parse, validate against the subset, run."""
    if not isinstance(body, Mapping) or not isinstance(body.get("query"), str):
        return {
            "errors": [{"message": "A query attribute must be specified and must be a string."}]
        }
    try:
        document = parse(body["query"])
    except GraphQLError as error:
        return {"errors": [_github_error(error)]}
    problems = validate(schema(), document)
    if problems:
        return {"errors": [_github_error(e) for e in problems]}
    result = graphql_sync(
        schema(),
        body["query"],
        root_value=Resolver(state, token, html).root(),
        variable_values=body.get("variables") or None,
        operation_name=body.get("operationName"),
    )
    out: JSON = {}
    if result.errors:
        out["errors"] = [_github_error(e) for e in result.errors]
    if result.data is not None or not result.errors:
        out["data"] = result.data
    return out

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What every route module shares: the request a handler sees, what it may return, and
GitHub's access rules.

A handler is a plain function `(ctx, req) -> Response | Page`, registered against the
OpenAPI `operationId` it implements; the server does authentication, validation,
pagination and recording around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from demo.github_double.errors import (
    MUST_HAVE_PUSH_ACCESS,
    NOT_ACCESSIBLE_BY_INTEGRATION,
    ApiError,
    not_found,
    validation_failed,
)
from demo.github_double.openapi import Operation
from demo.github_double.render import Renderer
from demo.github_double.state import Account, GitHubState, Repo, Token
from demo.github_double.traffic import RateWindow

JSON = dict[str, Any]


class Context(Protocol):
    """The parts of the double a handler may use."""

    state: GitHubState
    render: Renderer

    def signed_download(self, data: bytes, content_type: str) -> str:
        """A short-lived URL on the double that serves `data` without authentication."""
        ...

    def now(self) -> datetime: ...

    def rate_window(self, login: str) -> RateWindow: ...


@dataclass(frozen=True)
class Request:
    """A validated request: coerced path and query parameters, parsed JSON body, caller."""

    operation: Operation
    path: Mapping[str, Any]
    query: Mapping[str, Any]
    body: Any
    caller: Account
    token: Token

    @property
    def login(self) -> str:
        return self.caller.login

    def field(self, name: str, default: Any = None) -> Any:
        if isinstance(self.body, Mapping):
            return self.body.get(name, default)
        return default


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Page:
    """A list the server slices by `per_page`/`page`; `key` wraps it (`check_runs`)."""

    items: list[JSON]
    key: str | None = None
    extra: JSON = field(default_factory=dict)


Handler = Callable[[Context, Request], "Response | Page"]


@dataclass(frozen=True)
class Route:
    operation_id: str
    handler: Handler
    resource: str


class RouteTable:
    """One module's routes; `__init__` merges the tables, as bedevere merges routers."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}

    def __call__(self, operation_id: str, resource: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            if operation_id in self.routes:
                raise ValueError(f"two handlers for {operation_id}")
            self.routes[operation_id] = Route(operation_id, handler, resource)
            return handler

        return register


# -- access rules ------------------------------------------------------------------------


def visible_repo(ctx: Context, req: Request) -> Repo:
    """The repository in the path; private ones are 404 to callers who cannot read them."""
    repo = ctx.state.repo(str(req.path["owner"]), str(req.path["repo"]))
    if req.token.permissions is not None:  # installation tokens: the repos they were issued for
        if not req.token.reaches(repo):
            raise not_found()
        return repo
    if not repo.can(req.login, "read"):
        raise not_found()
    return repo


def require(repo: Repo, req: Request, role: str, message: str | None = None) -> None:
    """403 unless the caller holds `role`; the text depends on who asks, like GitHub's.

    Scoped tokens (a job's GITHUB_TOKEN, an App installation) were already judged by their
    permission map before the handler ran (`permissions.enforce`)."""
    if req.token.permissions is not None:
        return
    if repo.can(req.login, role):
        return
    if message is None:
        bot = req.caller.kind == "Bot"
        message = NOT_ACCESSIBLE_BY_INTEGRATION if bot else MUST_HAVE_PUSH_ACCESS
    raise ApiError(403, message)


def commit_sha(repo: Repo, ref: str, resource: str) -> str:
    sha = repo.resolve_ref(ref)
    if sha is None:
        raise validation_failed(resource, "sha", "invalid", f"No commit found for SHA: {ref}")
    return sha


def sort_items(items: list[Any], key: Callable[[Any], Any], direction: str) -> list[Any]:
    return sorted(items, key=key, reverse=direction == "desc")

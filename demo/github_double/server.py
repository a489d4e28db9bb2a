# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The request pipeline and its HTTP front door.

`Dispatcher.handle` is the whole life of one request, in GitHub's order: match the
operation, authenticate, apply injected faults, charge the rate limit, validate path,
query and body against the OpenAPI description, run the handler, paginate, and check the
response against the description before it leaves. Every request is recorded.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from demo.github_double import graphql_api
from demo.github_double.errors import (
    BAD_CREDENTIALS,
    GRAPHQL_REQUIRES_AUTHENTICATION,
    LINK_EXPIRED,
    PRIMARY_RATE_LIMIT,
    PROBLEMS_PARSING_JSON,
    REQUIRES_AUTHENTICATION,
    UNSUPPORTED_BY_DOUBLE,
    VALIDATION_FAILED,
    ApiError,
    not_found,
)
from demo.github_double.openapi import Match, OpenApiSpec, SpecViolation
from demo.github_double.permissions import REQUIRED, UNMETERED_BY_PERMISSION, enforce
from demo.github_double.render import Renderer
from demo.github_double.routes import Page, Request, Route, all_routes
from demo.github_double.state import GitHubState, Token
from demo.github_double.traffic import Call, FaultBook, RateLimits, RateWindow

INTERNAL_PREFIX = "/_double/"
DOWNLOAD_PREFIX = "/_double/downloads/"
RAW_PREFIX = "/_double/raw/"
DOWNLOAD_LIFETIME = timedelta(minutes=1)
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
API_VERSION = "2022-11-28"
JSON_TYPE = "application/json; charset=utf-8"
UNMETERED = frozenset({"rate-limit/get"})  # GitHub does not charge /rate_limit
GRAPHQL_PATH = "/graphql"


@dataclass
class HttpReply:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class _Download:
    data: bytes
    content_type: str
    expires_at: datetime


class Dispatcher:
    """Turns one HTTP request into one reply, holding the state lock throughout."""

    def __init__(
        self,
        state: GitHubState,
        spec: OpenApiSpec,
        base_url: str,
        on_violation: Callable[[str], None],
    ) -> None:
        self.state = state
        self.spec = spec
        self.base_url = base_url
        self.render = Renderer(state, base_url)
        self.routes: dict[str, Route] = all_routes()
        self.faults = FaultBook()
        self.rates = RateLimits()
        self.calls: list[Call] = []
        self._on_violation = on_violation
        self._downloads: dict[str, _Download] = {}
        self._request_ids = iter(range(1, 1 << 62))
        missing = sorted(set(self.routes) - set(spec.operations))
        if missing:
            raise SpecViolation(f"routes for operations the description lacks: {missing}")

    # -- Context for handlers ------------------------------------------------------------

    def now(self) -> datetime:
        return self.state.clock.now()

    def rate_window(self, login: str) -> RateWindow:
        return self.rates.window(login, self.now())

    def signed_download(self, data: bytes, content_type: str) -> str:
        token = secrets.token_urlsafe(24)
        self._downloads[token] = _Download(data, content_type, self.now() + DOWNLOAD_LIFETIME)
        return f"{self.base_url}{DOWNLOAD_PREFIX}{token}"

    # -- the pipeline --------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], raw: bytes) -> HttpReply:
        split = urlsplit(target)
        path, query = split.path, parse_qs(split.query, keep_blank_values=True)
        with self.state.lock:
            if path.startswith(INTERNAL_PREFIX):
                reply = self._internal(method, path)
                self._record(method, path, query, None, reply.status, None, None)
                return reply
            if path == GRAPHQL_PATH:
                return self._graphql(method, path, query, headers, raw)
            match = self.spec.match(method, path)
            login: str | None = None
            window: RateWindow | None = None
            extra: dict[str, str] = {}
            body_in: Any = None
            try:
                token = self._authenticate(headers)
                login = token.login
                window = self.rates.window(login, self.now())
                fault = self.faults.take(method, path)
                if fault is not None:
                    status, body_out, extra = fault.status, fault.body, dict(fault.headers)
                else:
                    body_in, present = self._parse_body(raw)
                    status, body_out, extra = self._run(
                        match, method, path, query, body_in, present, token, window
                    )
            except ApiError as error:
                status = error.status
                body_out = error.body(match.operation.documentation_url if match else "")
                extra = dict(error.headers)
            if window is not None:
                extra = {**window.headers(), **extra}
            reply = self._reply(match, status, body_out, extra)
            op_id = match.operation.operation_id if match else None
            self._record(method, path, query, body_in, reply.status, login, op_id)
            return reply

    def _graphql(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        headers: Mapping[str, str],
        raw: bytes,
    ) -> HttpReply:
        """`POST /graphql`: 401 as GitHub words it for GraphQL, else always 200."""
        login: str | None = None
        body_in: Any = None
        try:
            if method != "POST":
                raise ApiError(404, "Not Found")
            token = self._authenticate(headers)
            login = token.login
            fault = self.faults.take(method, path)
            if fault is not None:
                # an injected 5xx, 403 secondary limit or the like, as on any REST route
                reply = self._reply(None, fault.status, fault.body, dict(fault.headers))
                self._record(method, path, query, None, reply.status, login, "graphql")
                return reply
            body_in, _ = self._parse_body(raw)
            status, body_out = 200, graphql_api.execute(self.state, token, body_in,
                                                              self.render.html)
        except ApiError as error:
            status = error.status
            message = error.message
            if message == REQUIRES_AUTHENTICATION:
                message = GRAPHQL_REQUIRES_AUTHENTICATION
            body_out = {"message": message, "documentation_url": graphql_api.DOCS}
        reply = self._reply(None, status, body_out, {})
        self._record(method, path, query, body_in, status, login, "graphql")
        return reply

    def _authenticate(self, headers: Mapping[str, str]) -> Token:
        value = headers.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        if not credential or scheme.lower() not in ("token", "bearer"):
            raise ApiError(401, REQUIRES_AUTHENTICATION)
        token = self.state.tokens.get(credential.strip())
        if token is None:
            raise ApiError(401, BAD_CREDENTIALS)
        return token

    @staticmethod
    def _parse_body(raw: bytes) -> tuple[Any, bool]:
        if not raw.strip():
            return None, False
        try:
            return json.loads(raw), True
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ApiError(400, PROBLEMS_PARSING_JSON) from error

    def _run(
        self,
        match: Match | None,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        body: Any,
        present: bool,
        token: Token,
        window: RateWindow,
    ) -> tuple[int, Any, dict[str, str]]:
        if match is None:
            self._violation(f"unsupported endpoint: {method} {path}")
            raise ApiError(404, UNSUPPORTED_BY_DOUBLE)
        operation = match.operation
        route = self.routes.get(operation.operation_id)
        if route is None:
            self._violation(f"endpoint {operation.operation_id} is not implemented by the double")
            raise ApiError(404, UNSUPPORTED_BY_DOUBLE)
        if operation.operation_id not in UNMETERED:
            if window.remaining == 0:
                account = self.state.account(token.login)
                raise ApiError(403, PRIMARY_RATE_LIMIT.format(user_id=account.id))
            window.used += 1
        op_id = operation.operation_id
        unruled = op_id not in REQUIRED and op_id not in UNMETERED_BY_PERMISSION
        if token.permissions is not None and unruled:
            self._violation(f"no App permission rule for {op_id}")
        enforce(self.state, token, operation.operation_id, match.path_params)
        if self.spec.path_errors(operation, match.path_params):
            raise not_found()
        values, query_errors = self.spec.query(operation, query)
        problems = query_errors + self.spec.body_errors(operation, body, present)
        if problems:
            errors = [p.as_github(route.resource) for p in problems]
            raise ApiError(422, VALIDATION_FAILED, errors=errors)
        request = Request(
            operation=operation,
            path=self.spec.coerce_path(operation, match.path_params),
            query=values,
            body=body,
            caller=self.state.account(token.login),
            token=token,
        )
        result = route.handler(self, request)
        if isinstance(result, Page):
            return self._paginate(result, path, query, values)
        return result.status, result.body, result.headers

    def _paginate(
        self,
        page: Page,
        path: str,
        query: Mapping[str, list[str]],
        values: Mapping[str, Any],
    ) -> tuple[int, Any, dict[str, str]]:
        per_page = min(max(int(values.get("per_page") or DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
        number = max(int(values.get("page") or 1), 1)
        last = max(math.ceil(len(page.items) / per_page), 1)
        items = page.items[(number - 1) * per_page : number * per_page]
        links: list[str] = []

        def link(target: int, rel: str) -> str:
            params = {k: v[-1] for k, v in query.items()}
            params["page"] = str(target)
            return f'<{self.base_url}{path}?{urlencode(params)}>; rel="{rel}"'

        if number < last:
            links += [link(number + 1, "next"), link(last, "last")]
        if number > 1:
            links += [link(1, "first"), link(min(number - 1, last), "prev")]
        headers = {"link": ", ".join(links)} if links else {}
        body: Any = items if page.key is None else {**page.extra, page.key: items}
        return 200, body, headers

    def _reply(
        self, match: Match | None, status: int, body: Any, headers: Mapping[str, str]
    ) -> HttpReply:
        if match is not None:
            try:
                self.spec.check_response(match.operation, status, body, headers)
            except SpecViolation as violation:
                self._violation(str(violation))
                status, body = 500, {"message": f"github double: {violation}"}
        out = {
            "x-github-request-id": f"DOUBLE:{next(self._request_ids):08X}",
            "x-github-api-version-selected": API_VERSION,
            "x-github-media-type": "github.v3; format=json",
            **{k.lower(): v for k, v in headers.items() if v is not None},
        }
        payload = b""
        if body is not None:
            payload = json.dumps(body).encode()
            out["content-type"] = JSON_TYPE
        return HttpReply(status, out, payload)

    def _internal(self, method: str, path: str) -> HttpReply:
        """What GitHub serves outside the API: signed artifact downloads and raw files."""
        if method != "GET":
            return HttpReply(405)
        if path.startswith(DOWNLOAD_PREFIX):
            download = self._downloads.get(path.removeprefix(DOWNLOAD_PREFIX))
            if download is None or self.now() >= download.expires_at:
                return HttpReply(403, {"content-type": "text/plain"}, LINK_EXPIRED.encode())
            return HttpReply(200, {"content-type": download.content_type}, download.data)
        if path.startswith(RAW_PREFIX):
            return self._raw(path.removeprefix(RAW_PREFIX))
        return HttpReply(404, {"content-type": "text/plain"}, b"Not Found")

    def _raw(self, rest: str) -> HttpReply:
        parts = rest.split("/", 3)
        if len(parts) < 4:
            return HttpReply(404)
        owner, name, ref, file_path = parts
        repo = self.state.repos.get(f"{owner}/{name}".casefold())
        sha = repo.resolve_ref(unquote(ref)) if repo else None
        if repo is None or sha is None:
            return HttpReply(404)
        content = repo.commits[sha].tree.get(unquote(file_path))
        if content is None:
            return HttpReply(404)
        return HttpReply(200, {"content-type": "text/plain; charset=utf-8"}, content)

    def _violation(self, message: str) -> None:
        self._on_violation(message)

    def _record(
        self,
        method: str,
        path: str,
        query: Mapping[str, list[str]],
        body: Any,
        status: int,
        login: str | None,
        operation_id: str | None,
    ) -> None:
        self.calls.append(
            Call(method, path, dict(query), body, status, login, operation_id, self.now())
        )


class _Handler(BaseHTTPRequestHandler):
    """Adapts http.server to the dispatcher; quiet, HTTP/1.1 with keep-alive."""

    protocol_version = "HTTP/1.1"
    server: DoubleHttpServer
    timeout = 30
    # Headers and body go out in two writes; with Nagle on, delayed ACKs cost 40 ms each.
    disable_nagle_algorithm = True

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        reply = self.server.dispatcher.handle(self.command, self.path, headers, raw)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging; the call log is the record."""


class DoubleHttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, dispatcher_factory: Callable[[str], Dispatcher], port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        host, port = self.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self.dispatcher = dispatcher_factory(self.base_url)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("the GitHub double is already running")
        self._thread = threading.Thread(
            target=self.serve_forever, name="github-double", kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
        self._thread = None

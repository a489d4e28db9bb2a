# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Every GitHub call the bot makes, through PyGithub, behind one narrow interface.

:class:`GitHubApi` lists only the calls the bot needs (as Prow's approve plugin declares
its client), so the orchestration in :mod:`bot.chain.sync` can be read without PyGithub in
mind. :class:`PyGithubApi` implements it over a PyGithub client created once at the
entry point; every request goes through PyGithub's requester (authentication, base URL,
error mapping), and every answer is turned into a small typed value here, so that GitHub's
JSON shapes stop at this module.

Retries follow GitHub's own guidance: a secondary rate limit is waited out (the
``retry-after`` header, else one minute) for any request, because GitHub rejected the
request without acting on it; a 5xx or a dropped connection is retried with backoff only
for ``GET``, because a write that timed out may still have happened. Everything else is
raised as :class:`GitHubApiError` with the status and GitHub's message.
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException

from modelgate.errors import ModelgateError

Sleep = Callable[[float], None]
Log = Callable[[str], None]

MAX_ATTEMPTS = 3
TIMEOUT_S = 30
DEFAULT_REQUEST_INTERVAL = 0.25  # PyGithub's default pacing, kind to secondary limits
DEFAULT_WRITE_INTERVAL = 1.0  # GitHub asks integrations to space out writes
BACKOFF_S = (1.0, 2.0, 4.0)
SECONDARY_DEFAULT_WAIT_S = 60.0
MAX_WAIT_S = 300.0
PER_PAGE = 100
MAX_PAGES = 50
DOWNLOAD_CHUNK = 64 * 1024
GHOST = "ghost"  # GitHub shows deleted accounts as this user
NEXT_LINK_RE = re.compile(r'<[^>]*[?&]page=(\d+)[^>]*>;\s*rel="next"')
SECONDARY_RE = re.compile(r"secondary rate limit|abuse detection", re.IGNORECASE)

RETRY_SECONDARY = "GitHub's secondary rate limit on {action}: waiting {wait:.0f} s, then retrying"
RETRY_SERVER = "GitHub answered {status} to {action}: retrying in {wait:.0f} s (a safe GET)"
NO_ANSWER = "no answer from GitHub ({error})"
TEAM_FORBIDDEN_HINT = (
    "; the token cannot read organisation teams (a GITHUB_TOKEN never can): give the bot "
    "a token with members:read in MODELGATE_ORG_TOKEN"
)
PRIMARY_LIMIT = "the API rate limit of this token is used up until {reset}"


class GitHubApiError(ModelgateError):
    """GitHub refused or failed a request; ``status`` is ``None`` when nothing answered."""

    def __init__(self, action: str, status: int | None, message: str) -> None:
        self.action = action
        self.status = status
        self.message = message
        where = f"GitHub answered {status}" if status is not None else "GitHub did not answer"
        super().__init__(f"{where} to {action}: {message}")


class GitHubDataError(ModelgateError):
    """GitHub answered with JSON this layer cannot read (a field missing or mistyped)."""


# ------------------------------------------------------------------------- values


@dataclass(frozen=True)
class PullInfo:
    number: int
    title: str
    author: str
    head_sha: str
    head_ref: str
    base_ref: str
    state: str
    merged: bool
    mergeable: bool | None
    draft: bool
    labels: tuple[str, ...]
    created_at: datetime
    html_url: str
    merge_commit_sha: str | None = None


@dataclass(frozen=True)
class CommentInfo:
    id: int
    author: str
    author_type: str
    body: str
    created_at: datetime
    updated_at: datetime  # GitHub moves it when the body is edited
    html_url: str


@dataclass(frozen=True)
class CommitEntry:
    """A ``committed`` timeline entry: the date is the committer's clock, never trusted."""

    sha: str
    parents: tuple[str, ...]
    committed_at: datetime | None
    author: str


@dataclass(frozen=True)
class ForcePushEntry:
    """A ``head_ref_force_pushed`` event: GitHub's own time, the new head when known."""

    sha: str | None
    at: datetime
    actor: str


@dataclass(frozen=True)
class LabelEntry:
    name: str
    added: bool
    actor: str
    actor_type: str
    at: datetime


TimelineEntry = CommentInfo | CommitEntry | ForcePushEntry | LabelEntry


@dataclass(frozen=True)
class CheckRunInfo:
    id: int
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    app_slug: str | None
    html_url: str


@dataclass(frozen=True)
class CheckOutput:
    """What a check run shows; :mod:`bot.chain.check_run` fits the sizes before they get here."""

    title: str
    summary: str
    text: str = ""


@dataclass(frozen=True)
class MergeOutcome:
    merged: bool
    status: int
    message: str
    sha: str | None = None  # the merge commit when merged


@dataclass(frozen=True)
class IssueInfo:
    """An issue (never a pull request) as the drift check reads it."""

    number: int
    title: str
    author: str
    body: str
    state: str
    labels: tuple[str, ...]
    html_url: str


@dataclass(frozen=True)
class ArtifactInfo:
    id: int
    name: str
    size: int
    expired: bool
    head_sha: str | None


# ---------------------------------------------------------------------- interface


class GitHubApi(Protocol):
    """The calls the bot makes, and nothing more (``repo`` is ``owner/name``)."""

    repo: str

    def get_pull(self, number: int) -> PullInfo: ...

    def list_timeline(self, number: int) -> list[TimelineEntry]: ...

    def get_file(self, path: str, ref: str) -> bytes | None: ...

    def is_team_member(self, org: str, slug: str, login: str) -> bool: ...

    def list_check_runs(self, sha: str, name: str) -> list[CheckRunInfo]: ...

    def create_check_run(
        self,
        sha: str,
        name: str,
        *,
        status: str,
        conclusion: str | None,
        output: CheckOutput,
        details_url: str | None,
    ) -> CheckRunInfo: ...

    def update_check_run(
        self,
        check_id: int,
        *,
        status: str,
        conclusion: str | None,
        output: CheckOutput,
        details_url: str | None,
    ) -> CheckRunInfo: ...

    def create_reaction(self, comment_id: int, content: str) -> None: ...

    def create_comment(self, number: int, body: str) -> CommentInfo: ...

    def edit_comment(self, comment_id: int, body: str) -> None: ...

    def delete_comment(self, comment_id: int) -> None: ...

    def add_labels(self, number: int, labels: Sequence[str]) -> None: ...

    def remove_label(self, number: int, label: str) -> None: ...

    def merge(self, number: int, *, sha: str, method: str, title: str,
              message: str = "") -> MergeOutcome: ...

    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str]) -> None: ...

    def open_pulls_for_commit(self, sha: str) -> list[int]: ...

    def list_artifacts(self, run_id: int, name: str) -> list[ArtifactInfo]: ...

    def download_artifact(self, artifact_id: int, limit: int) -> bytes: ...

    def list_issues(self, *, creator: str, labels: Sequence[str] = ()) -> list[IssueInfo]: ...

    def create_issue(self, title: str, body: str, labels: Sequence[str]) -> IssueInfo: ...

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None,
                   state_reason: str | None = None) -> IssueInfo: ...


# ------------------------------------------------------------------ JSON reading


def _need(data: Any, key: str, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise GitHubDataError(f"{what}: GitHub's answer has no {key!r}")
    value = data[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise GitHubDataError(f"{what}: {key!r} is {type(value).__name__}, not as documented")
    return value


def _time(value: Any, what: str) -> datetime:
    if not isinstance(value, str):
        raise GitHubDataError(f"{what}: a timestamp is missing")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise GitHubDataError(f"{what}: {value!r} is not an ISO 8601 timestamp") from exc
    if parsed.tzinfo is None:
        raise GitHubDataError(f"{what}: {value!r} has no time zone")
    return parsed


def _optional_time(value: Any, what: str) -> datetime | None:
    return None if value is None else _time(value, what)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _login(user: Any) -> tuple[str, str]:
    """(login, type) of a user object; a deleted account (``null``) is GitHub's ghost."""
    if not isinstance(user, dict):
        return GHOST, "User"
    login = user.get("login")
    kind = user.get("type")
    return (login if isinstance(login, str) and login else GHOST), (
        kind if isinstance(kind, str) else "User"
    )


def parse_pull(data: Any) -> PullInfo:
    what = "pull request"
    head = _need(data, "head", dict, what)
    base = _need(data, "base", dict, what)
    author, _ = _login(data.get("user"))
    mergeable = data.get("mergeable")
    labels = _need(data, "labels", list, what) if "labels" in _dict(data) else []
    return PullInfo(
        number=_need(data, "number", int, what),
        title=str(data.get("title") or ""),
        author=author,
        head_sha=_need(head, "sha", str, "pull request head"),
        head_ref=_need(head, "ref", str, "pull request head"),
        base_ref=_need(base, "ref", str, "pull request base"),
        state=_need(data, "state", str, what),
        merged=bool(data.get("merged")),
        mergeable=mergeable if isinstance(mergeable, bool) else None,
        draft=bool(data.get("draft")),
        labels=tuple(_need(label, "name", str, "label") for label in labels),
        created_at=_time(data.get("created_at"), what),
        html_url=str(data.get("html_url") or ""),
        merge_commit_sha=_str_or_none(data.get("merge_commit_sha")),
    )


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_comment(data: Any) -> CommentInfo:
    """An issue comment, or a ``commented`` timeline row (``user``, else ``actor``)."""
    what = "issue comment"
    raw = _dict(data)
    author, kind = _login(raw.get("user") if raw.get("user") is not None else raw.get("actor"))
    body = data.get("body") if isinstance(data, dict) else None
    created = _time(data.get("created_at") if isinstance(data, dict) else None, what)
    return CommentInfo(
        id=_need(data, "id", int, what),
        author=author,
        author_type=kind,
        body=body if isinstance(body, str) else "",
        created_at=created,
        updated_at=_optional_time(data.get("updated_at"), what) or created,
        html_url=str(data.get("html_url") or ""),
    )


def parse_timeline_entry(data: Any) -> TimelineEntry | None:
    """One timeline row as the bot reads it; rows of other kinds are ``None``."""
    if not isinstance(data, dict):
        raise GitHubDataError("timeline: a row is not an object")
    event = data.get("event")
    if event == "commented":
        return parse_comment(data)
    if event == "committed":
        committer = _dict(data.get("committer"))
        author = _dict(data.get("author"))
        raw_parents = data.get("parents")
        parents: list[Any] = raw_parents if isinstance(raw_parents, list) else []
        return CommitEntry(
            sha=_need(data, "sha", str, "committed"),
            parents=tuple(str(p.get("sha")) for p in parents if isinstance(p, dict)),
            committed_at=_optional_time(committer.get("date"), "committed"),
            author=str(author.get("name") or GHOST),
        )
    if event == "head_ref_force_pushed":
        actor, _ = _login(data.get("actor"))
        commit = data.get("commit_id")
        return ForcePushEntry(
            sha=commit if isinstance(commit, str) and commit else None,
            at=_time(data.get("created_at"), "head_ref_force_pushed"),
            actor=actor,
        )
    if event in ("labeled", "unlabeled"):
        actor, kind = _login(data.get("actor"))
        label = _need(data, "label", dict, str(event))
        return LabelEntry(
            name=_need(label, "name", str, str(event)),
            added=event == "labeled",
            actor=actor,
            actor_type=kind,
            at=_time(data.get("created_at"), str(event)),
        )
    return None


def parse_issue(data: Any) -> IssueInfo:
    what = "issue"
    author, _ = _login(_dict(data).get("user"))
    body = _dict(data).get("body")
    return IssueInfo(
        number=_need(data, "number", int, what),
        title=str(data.get("title") or ""),
        author=author,
        body=body if isinstance(body, str) else "",
        state=_need(data, "state", str, what),
        labels=tuple(_need(label, "name", str, "label")
                     for label in _need(data, "labels", list, what)),
        html_url=str(data.get("html_url") or ""),
    )


def parse_check_run(data: Any) -> CheckRunInfo:
    what = "check run"
    app = data.get("app") if isinstance(data, dict) else None
    slug = app.get("slug") if isinstance(app, dict) else None
    conclusion = data.get("conclusion") if isinstance(data, dict) else None
    return CheckRunInfo(
        id=_need(data, "id", int, what),
        name=_need(data, "name", str, what),
        head_sha=_need(data, "head_sha", str, what),
        status=_need(data, "status", str, what),
        conclusion=conclusion if isinstance(conclusion, str) else None,
        started_at=_optional_time(data.get("started_at"), what),
        app_slug=slug if isinstance(slug, str) else None,
        html_url=str(data.get("html_url") or ""),
    )


# --------------------------------------------------------------- implementation


def _retry_after(headers: Mapping[str, Any]) -> float | None:
    raw = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    try:
        return max(float(raw), 0.0) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _message(exc: GithubException) -> str:
    data = exc.data
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        text: str = data["message"]
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            details = [
                str(e.get("message") or e.get("code")) if isinstance(e, dict) else str(e)
                for e in errors[:3]
            ]
            text += " (" + "; ".join(details) + ")"
        return text
    return exc.message or "no message"


class PyGithubApi:
    """:class:`GitHubApi` over PyGithub; ``members`` is an optional second client whose
    token may read organisation teams (a GITHUB_TOKEN cannot)."""

    def __init__(
        self,
        github: Github,
        repo: str,
        *,
        members: Github | None = None,
        sleep: Sleep = time.sleep,
        log: Log = lambda _: None,
        max_wait_s: float = MAX_WAIT_S,
    ) -> None:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise ValueError(f"repository must be written owner/name, got {repo!r}")
        self.repo = repo
        self._gh = github
        self._members = members or github
        self._sleep = sleep
        self._log = log
        self._max_wait_s = max_wait_s
        self._base = f"/repos/{repo}"

    @classmethod
    def connect(
        cls,
        repo: str,
        token: str,
        *,
        api_url: str,
        org_token: str | None = None,
        request_interval: float = DEFAULT_REQUEST_INTERVAL,
        write_interval: float = DEFAULT_WRITE_INTERVAL,
        sleep: Sleep = time.sleep,
        log: Log = lambda _: None,
    ) -> PyGithubApi:
        """The adapter over a PyGithub client made once here (a second one for teams when
        ``org_token`` is given), so no other module needs PyGithub. PyGithub's own retries
        are off: this class retries only what is safe; the intervals (0 disables) pace
        requests and writes as GitHub asks integrations to."""

        def client(secret: str) -> Github:
            return Github(
                auth=Auth.Token(secret),
                base_url=api_url,
                timeout=TIMEOUT_S,
                retry=None,
                seconds_between_requests=request_interval or None,
                seconds_between_writes=write_interval or None,
            )

        members = client(org_token) if org_token else None
        return cls(client(token), repo, members=members, sleep=sleep, log=log)

    # -- the request loop

    def _request(
        self,
        verb: str,
        url: str,
        *,
        action: str,
        client: Github | None = None,
        params: dict[str, Any] | None = None,
        body: Any = None,
    ) -> tuple[dict[str, Any], Any]:
        requester = (client or self._gh).requester
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            try:
                return requester.requestJsonAndCheck(verb, url, parameters=params, input=body)
            except GithubException as exc:
                wait = self._wait_for(exc, verb, action, attempt)
                if wait is None or last:
                    raise GitHubApiError(action, exc.status, self._explain(exc)) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if verb != "GET" or last:
                    raise GitHubApiError(action, None, NO_ANSWER.format(error=exc)) from exc
                wait = BACKOFF_S[attempt - 1]
                self._log(RETRY_SERVER.format(status="nothing", action=action, wait=wait))
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_for(self, exc: GithubException, verb: str, action: str, attempt: int) -> float | None:
        """How long to wait before retrying, or ``None`` when retrying is not safe."""
        headers = exc.headers or {}
        message = _message(exc)
        lowered = {k.lower(): v for k, v in headers.items()}
        if exc.status in (403, 429):
            retry_after = _retry_after(headers)
            secondary = retry_after is not None or SECONDARY_RE.search(message) is not None
            if lowered.get("x-ratelimit-remaining") == "0" and retry_after is None:
                return None  # the primary limit: the reset can be an hour away
            if not secondary:
                return None
            wait = SECONDARY_DEFAULT_WAIT_S if retry_after is None else retry_after
            if wait > self._max_wait_s:
                return None
            self._log(RETRY_SECONDARY.format(action=action, wait=wait))
            return wait
        if exc.status >= 500 and verb == "GET":
            wait = BACKOFF_S[attempt - 1]
            self._log(RETRY_SERVER.format(status=exc.status, action=action, wait=wait))
            return wait
        return None

    @staticmethod
    def _explain(exc: GithubException) -> str:
        message = _message(exc)
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status in (403, 429) and headers.get("x-ratelimit-remaining") == "0":
            reset = headers.get("x-ratelimit-reset", "the next window")
            return f"{message} ({PRIMARY_LIMIT.format(reset=reset)})"
        return message

    def _pages(self, url: str, action: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
        page = 1
        while True:
            query = {**(params or {}), "per_page": PER_PAGE, "page": page}
            headers, data = self._request("GET", url, action=action, params=query)
            items = data if isinstance(data, list) else None
            if items is None:
                raise GitHubDataError(f"{action}: expected a list")
            yield from items
            match = NEXT_LINK_RE.search(str({k.lower(): v for k, v in headers.items()}
                                             .get("link", "")))
            if match is None:
                return
            page = int(match.group(1))
            if page > MAX_PAGES:
                raise GitHubDataError(f"{action}: more than {MAX_PAGES} pages; refusing to guess")

    # -- reads

    def get_pull(self, number: int) -> PullInfo:
        _, data = self._request(
            "GET", f"{self._base}/pulls/{number}", action=f"GET pull request #{number}"
        )
        return parse_pull(data)

    def list_timeline(self, number: int) -> list[TimelineEntry]:
        action = f"GET the timeline of #{number}"
        rows = self._pages(f"{self._base}/issues/{number}/timeline", action)
        return [entry for row in rows if (entry := parse_timeline_entry(row)) is not None]

    def get_file(self, path: str, ref: str) -> bytes | None:
        action = f"GET {path} at {ref}"
        try:
            _, data = self._request(
                "GET", f"{self._base}/contents/{quote(path)}", action=action, params={"ref": ref}
            )
        except GitHubApiError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict) or data.get("type") != "file":
            raise GitHubDataError(f"{action}: not a file")
        if data.get("encoding") != "base64":
            raise GitHubDataError(f"{action}: the file is too large for the contents API")
        try:
            return base64.b64decode(str(data.get("content") or ""), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise GitHubDataError(f"{action}: content is not base64") from exc

    def is_team_member(self, org: str, slug: str, login: str) -> bool:
        action = f"GET the membership of {login} in team {org}/{slug}"
        url = f"/orgs/{quote(org)}/teams/{quote(slug)}/memberships/{quote(login, safe='')}"
        try:
            _, data = self._request("GET", url, action=action, client=self._members)
        except GitHubApiError as exc:
            if exc.status == 404:
                return False
            if exc.status == 403:
                raise GitHubApiError(action, 403, exc.message + TEAM_FORBIDDEN_HINT) from exc
            raise
        return isinstance(data, dict) and data.get("state") == "active"

    def list_check_runs(self, sha: str, name: str) -> list[CheckRunInfo]:
        action = f"GET the {name} check runs of {sha[:12]}"
        url = f"{self._base}/commits/{sha}/check-runs"
        page = 1
        runs: list[CheckRunInfo] = []
        while True:
            params = {"check_name": name, "filter": "all", "per_page": PER_PAGE, "page": page}
            _, data = self._request("GET", url, action=action, params=params)
            items = _need(data, "check_runs", list, action)
            runs += [parse_check_run(item) for item in items]
            total = _need(data, "total_count", int, action)
            if len(runs) >= total or not items or page >= MAX_PAGES:
                return runs
            page += 1

    def open_pulls_for_commit(self, sha: str) -> list[int]:
        action = f"GET the pull requests of commit {sha[:12]}"
        rows = self._pages(f"{self._base}/commits/{sha}/pulls", action)
        numbers = []
        for row in rows:
            head = row.get("head") if isinstance(row, dict) else None
            if isinstance(head, dict) and head.get("sha") == sha and row.get("state") == "open":
                numbers.append(_need(row, "number", int, action))
        return numbers

    def list_artifacts(self, run_id: int, name: str) -> list[ArtifactInfo]:
        action = f"GET the artifacts of workflow run {run_id}"
        _, data = self._request(
            "GET",
            f"{self._base}/actions/runs/{run_id}/artifacts",
            action=action,
            params={"name": name, "per_page": PER_PAGE},
        )
        found = []
        for item in _need(data, "artifacts", list, action):
            run = item.get("workflow_run") if isinstance(item, dict) else None
            head = run.get("head_sha") if isinstance(run, dict) else None
            found.append(
                ArtifactInfo(
                    id=_need(item, "id", int, action),
                    name=_need(item, "name", str, action),
                    size=_need(item, "size_in_bytes", int, action),
                    expired=bool(item.get("expired")),
                    head_sha=head if isinstance(head, str) else None,
                )
            )
        return found

    def download_artifact(self, artifact_id: int, limit: int) -> bytes:
        """The artifact's zip, read no further than ``limit`` bytes."""
        action = f"GET artifact {artifact_id}"
        url = f"{self._base}/actions/artifacts/{artifact_id}/zip"
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                return self._download(url, limit, action)
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else None
                if status is None or status < 500 or attempt == MAX_ATTEMPTS:
                    raise GitHubApiError(action, status, str(exc)) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == MAX_ATTEMPTS:
                    raise GitHubApiError(action, None, NO_ANSWER.format(error=exc)) from exc
            wait = BACKOFF_S[attempt - 1]
            self._log(RETRY_SERVER.format(status="an error", action=action, wait=wait))
            self._sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def list_issues(self, *, creator: str, labels: Sequence[str] = ()) -> list[IssueInfo]:
        """Open and closed issues ``creator`` opened (pull requests left out), oldest first."""
        action = f"GET the issues of {creator}"
        params: dict[str, Any] = {"state": "all", "creator": creator, "sort": "created",
                                  "direction": "asc"}
        if labels:
            params["labels"] = ",".join(labels)
        rows = self._pages(f"{self._base}/issues", action, params)
        return [parse_issue(row) for row in rows
                if isinstance(row, dict) and row.get("pull_request") is None]

    def _download(self, url: str, limit: int, action: str) -> bytes:
        status, headers, chunks = self._gh.requester.getStream(url, chunk_size=DOWNLOAD_CHUNK)
        del status
        declared = {k.lower(): v for k, v in headers.items()}.get("content-length")
        if declared is not None and str(declared).isdigit() and int(declared) > limit:
            raise GitHubApiError(action, None, f"the artifact is {declared} bytes; limit {limit}")
        data = bytearray()
        for chunk in chunks:
            data += chunk
            if len(data) > limit:
                raise GitHubApiError(action, None, f"the artifact is over {limit} bytes")
        return bytes(data)

    # -- writes

    def create_check_run(
        self,
        sha: str,
        name: str,
        *,
        status: str,
        conclusion: str | None,
        output: CheckOutput,
        details_url: str | None,
    ) -> CheckRunInfo:
        body = _check_body(status, conclusion, output, details_url) | {
            "name": name,
            "head_sha": sha,
        }
        _, data = self._request(
            "POST", f"{self._base}/check-runs", action=f"POST check run {name}", body=body
        )
        return parse_check_run(data)

    def update_check_run(
        self,
        check_id: int,
        *,
        status: str,
        conclusion: str | None,
        output: CheckOutput,
        details_url: str | None,
    ) -> CheckRunInfo:
        body = _check_body(status, conclusion, output, details_url)
        _, data = self._request(
            "PATCH",
            f"{self._base}/check-runs/{check_id}",
            action=f"PATCH check run {check_id}",
            body=body,
        )
        return parse_check_run(data)

    def create_reaction(self, comment_id: int, content: str) -> None:
        self._request(
            "POST",
            f"{self._base}/issues/comments/{comment_id}/reactions",
            action=f"POST reaction {content} on comment {comment_id}",
            body={"content": content},
        )

    def create_comment(self, number: int, body: str) -> CommentInfo:
        _, data = self._request(
            "POST",
            f"{self._base}/issues/{number}/comments",
            action=f"POST a comment on #{number}",
            body={"body": body},
        )
        return parse_comment(data)

    def edit_comment(self, comment_id: int, body: str) -> None:
        self._request(
            "PATCH",
            f"{self._base}/issues/comments/{comment_id}",
            action=f"PATCH comment {comment_id}",
            body={"body": body},
        )

    def delete_comment(self, comment_id: int) -> None:
        self._request(
            "DELETE",
            f"{self._base}/issues/comments/{comment_id}",
            action=f"DELETE comment {comment_id}",
        )

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        self._request(
            "POST",
            f"{self._base}/issues/{number}/labels",
            action=f"POST labels {', '.join(labels)} on #{number}",
            body={"labels": list(labels)},
        )

    def remove_label(self, number: int, label: str) -> None:
        self._request(
            "DELETE",
            f"{self._base}/issues/{number}/labels/{quote(label, safe='')}",
            action=f"DELETE label {label} from #{number}",
        )

    def merge(self, number: int, *, sha: str, method: str, title: str,
              message: str = "") -> MergeOutcome:
        """Merge pinned to ``sha``; 405 and 409 are answers, not errors."""
        action = f"PUT merge of #{number} at {sha[:12]}"
        body = {"sha": sha, "merge_method": method, "commit_title": title}
        if message:
            body["commit_message"] = message
        try:
            _, data = self._request(
                "PUT", f"{self._base}/pulls/{number}/merge", action=action, body=body
            )
        except GitHubApiError as exc:
            if exc.status in (405, 409):
                return MergeOutcome(False, exc.status, exc.message)
            raise
        merged = isinstance(data, dict) and data.get("merged") is True
        commit = data.get("sha") if isinstance(data, dict) else None
        message = str(data.get("message") or "") if isinstance(data, dict) else ""
        return MergeOutcome(merged, 200, message, commit if isinstance(commit, str) else None)

    def create_issue(self, title: str, body: str, labels: Sequence[str]) -> IssueInfo:
        """A new issue; GitHub silently drops ``labels`` when the token may not push."""
        _, data = self._request(
            "POST",
            f"{self._base}/issues",
            action=f"POST issue {title!r}",
            body={"title": title, "body": body, "labels": list(labels)},
        )
        return parse_issue(data)

    def edit_issue(self, number: int, *, body: str | None = None, state: str | None = None,
                   state_reason: str | None = None) -> IssueInfo:
        """Change what is given (``state`` ``closed`` with a reason closes it)."""
        fields = {"body": body, "state": state, "state_reason": state_reason}
        _, data = self._request(
            "PATCH",
            f"{self._base}/issues/{number}",
            action=f"PATCH issue #{number}",
            body={k: v for k, v in fields.items() if v is not None},
        )
        return parse_issue(data)

    def dispatch_workflow(self, workflow: str, ref: str, inputs: Mapping[str, str]) -> None:
        self._request(
            "POST",
            f"{self._base}/actions/workflows/{quote(workflow, safe='')}/dispatches",
            action=f"POST workflow_dispatch of {workflow} on {ref}",
            body={"ref": ref, "inputs": dict(inputs)},
        )


def _check_body(
    status: str, conclusion: str | None, output: CheckOutput, details_url: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": status,
        "output": {"title": output.title, "summary": output.summary},
    }
    if output.text:
        body["output"]["text"] = output.text
    if conclusion is not None:
        body["conclusion"] = conclusion
    if details_url:
        body["details_url"] = details_url
    return body

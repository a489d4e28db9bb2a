# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Every GitHub call the bot makes, through PyGithub, behind one narrow interface.

:class:`GitHubApi` lists only the calls the bot needs (as Prow's approve plugin declares
its client), so the orchestration in :mod:`modelgate.bot.chain.sync` can be read without PyGithub in
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

from modelgate.errors import GitHubError

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


class GitHubApiError(GitHubError):
    """GitHub refused or failed a request; ``status`` is ``None`` when nothing answered."""

    def __init__(self, action: str, status: int | None, message: str) -> None:
        self.action = action
        self.status = status
        self.message = message
        where = f"GitHub answered {status}" if status is not None else "GitHub did not answer"
        super().__init__(f"{where} to {action}: {message}")


class GitHubDataError(GitHubError):
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
    author_id: int | None = None
    base_sha: str | None = None
    mergeable_state: str | None = None  # "behind" when the head is out of date
    default_branch: str | None = None  # of the base repository


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
    app_id: int | None = None
    title: str = ""
    summary: str = ""
    text: str = ""


# ------------------------------------------------------- history (GraphQL values)


@dataclass(frozen=True)
class UserRef:
    """An account as GraphQL names it; a bot's login gets GitHub's ``[bot]`` suffix back."""

    login: str
    id: int | None
    type: str = "User"


@dataclass(frozen=True)
class BodyRevision:
    """One version of a body (``userContentEdits``): who wrote it, when, the full text."""

    editor: UserRef
    at: datetime
    body: str


@dataclass(frozen=True)
class BodyRecord:
    """A comment or a review with every version of its body, oldest first (the first is
    the original; empty when never edited). ``complete`` is ``False`` when GitHub listed
    fewer versions than it holds."""

    id: int
    author: UserRef
    body: str
    created_at: datetime
    last_edited_at: datetime | None
    revisions: tuple[BodyRevision, ...]
    complete: bool
    url: str
    state: str = ""  # reviews: APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED
    commit_id: str = ""  # reviews: the commit it was given on


@dataclass(frozen=True)
class HistoryEvent:
    """A timeline event the chain reads: ``base_ref_changed`` (``detail`` = from, ``to``),
    ``review_dismissed`` (``detail`` = review id, ``to`` = its state before),
    ``head_ref_force_pushed`` (``detail`` = before, ``to`` = after), ``labeled``/``unlabeled``
    (``detail`` = label)."""

    kind: str
    actor: UserRef
    at: datetime
    detail: str = ""
    to: str = ""


@dataclass(frozen=True)
class PullHistory:
    comments: tuple[BodyRecord, ...]
    reviews: tuple[BodyRecord, ...]
    events: tuple[HistoryEvent, ...]
    commits: tuple[str, ...]


@dataclass(frozen=True)
class CheckOutput:
    """What a check run shows; :mod:`modelgate.bot.chain.check_run` fits the sizes before they
    get here."""

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

    def read_history(self, number: int, html_url: str) -> PullHistory: ...

    def list_pull_files(self, number: int) -> list[str]: ...

    def branch_tip(self, ref: str) -> str | None: ...

    def commit_parents(self, sha: str) -> list[str]: ...

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
    user = _dict(data.get("user"))
    author_id = user.get("id")
    state = data.get("mergeable_state")
    base_sha = base.get("sha")
    default = _dict(base.get("repo")).get("default_branch")
    return PullInfo(
        default_branch=default if isinstance(default, str) and default else None,
        author_id=author_id if isinstance(author_id, int) else None,
        base_sha=base_sha if isinstance(base_sha, str) else None,
        mergeable_state=state if isinstance(state, str) else None,
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


# ------------------------------------------------------------------ GraphQL history

ACTOR_FIELDS = "__typename login ... on User { databaseId } ... on Bot { databaseId }"
EDIT_FIELDS = (
    f"lastEditedAt userContentEdits(first: 100) {{ totalCount nodes {{ editedAt diff "
    f"deletedAt editor {{ {ACTOR_FIELDS} }} }} }}"
)
HISTORY_PARTS = {
    "comments": (
        "comments(first: 100, after: $after_comments) { pageInfo { hasNextPage endCursor } "
        f"nodes {{ databaseId url body createdAt author {{ {ACTOR_FIELDS} }} {EDIT_FIELDS} }} }}"
    ),
    "reviews": (
        "reviews(first: 100, after: $after_reviews) { pageInfo { hasNextPage endCursor } "
        f"nodes {{ databaseId url body state submittedAt createdAt commit {{ oid }} "
        f"author {{ {ACTOR_FIELDS} }} {EDIT_FIELDS} }} }}"
    ),
    "timelineItems": (
        "timelineItems(first: 100, after: $after_timelineItems, itemTypes: "
        "[BASE_REF_CHANGED_EVENT, REVIEW_DISMISSED_EVENT, HEAD_REF_FORCE_PUSHED_EVENT, "
        "LABELED_EVENT, UNLABELED_EVENT, "
        "PULL_REQUEST_COMMIT]) { pageInfo { hasNextPage endCursor } nodes { __typename "
        f"... on BaseRefChangedEvent {{ createdAt previousRefName currentRefName "
        f"actor {{ {ACTOR_FIELDS} }} }} "
        f"... on ReviewDismissedEvent {{ createdAt previousReviewState "
        f"actor {{ {ACTOR_FIELDS} }} review {{ databaseId }} }} "
        f"... on HeadRefForcePushedEvent {{ createdAt actor {{ {ACTOR_FIELDS} }} "
        "beforeCommit { oid } afterCommit { oid } } "
        f"... on LabeledEvent {{ createdAt label {{ name }} actor {{ {ACTOR_FIELDS} }} }} "
        f"... on UnlabeledEvent {{ createdAt label {{ name }} actor {{ {ACTOR_FIELDS} }} }} "
        "... on PullRequestCommit { commit { oid } } } }"
    ),
}


def history_query(parts: Sequence[str]) -> str:
    """One query for the named connections of a pull request (each paged by its cursor)."""
    args = "".join(f", $after_{part}: String" for part in parts)
    body = " ".join(HISTORY_PARTS[part] for part in parts)
    return (
        f"query($owner: String!, $name: String!, $number: Int!{args}) {{ "
        f"repository(owner: $owner, name: $name) {{ pullRequest(number: $number) {{ {body} }} }} }}"
    )


def parse_actor(data: Any) -> UserRef:
    """GraphQL's actor; ``null`` (a deleted account) is GitHub's ghost."""
    if not isinstance(data, dict) or not isinstance(data.get("login"), str):
        return UserRef(GHOST, None)
    kind = str(data.get("__typename") or "User")
    login: str = data["login"]
    if kind == "Bot" and not login.endswith("[bot]"):
        login += "[bot]"
    ident = data.get("databaseId")
    return UserRef(login, ident if isinstance(ident, int) else None, kind)


def parse_body_record(data: Any, url: str, *, review: bool = False) -> BodyRecord:
    """A comment or review with its history; ``url`` is GitHub's own permalink when the
    node gives one, else the one built from the pull request's page."""
    what = "review" if review else "comment"
    given = data.get("url")
    url = given if isinstance(given, str) and given else url
    created = _time(data.get("submittedAt") or data.get("createdAt"), what)
    edits = _dict(data.get("userContentEdits"))
    nodes = [n for n in (edits.get("nodes") or []) if isinstance(n, dict)]
    revisions = tuple(
        BodyRevision(parse_actor(n.get("editor")), _time(n.get("editedAt"), what),
                     str(n.get("diff") or ""))
        for n in reversed(nodes)  # GitHub lists the newest first
    )
    total = edits.get("totalCount")
    complete = (
        isinstance(total, int)
        and total == len(nodes)
        and all(n.get("diff") is not None and n.get("deletedAt") is None for n in nodes)
    )
    commit = _dict(data.get("commit")).get("oid")
    return BodyRecord(
        id=_need(data, "databaseId", int, what),
        author=parse_actor(data.get("author")),
        body=str(data.get("body") or ""),
        created_at=created,
        last_edited_at=_optional_time(data.get("lastEditedAt"), what),
        revisions=revisions,
        complete=complete,
        url=url,
        state=str(data.get("state") or ""),
        commit_id=commit if isinstance(commit, str) else "",
    )


def parse_history_item(data: Any) -> HistoryEvent | str | None:
    """A timeline node: an event, a commit's oid, or ``None`` for other kinds."""
    if not isinstance(data, dict):
        return None
    kind = data.get("__typename")
    if kind == "PullRequestCommit":
        oid = _dict(data.get("commit")).get("oid")
        return oid if isinstance(oid, str) else None
    at = _optional_time(data.get("createdAt"), str(kind))
    if at is None:
        return None
    actor = parse_actor(data.get("actor"))
    if kind == "BaseRefChangedEvent":
        return HistoryEvent("base_ref_changed", actor, at, str(data.get("previousRefName") or ""),
                            str(data.get("currentRefName") or ""))
    if kind == "ReviewDismissedEvent":
        review = _dict(data.get("review")).get("databaseId")
        previous = str(data.get("previousReviewState") or "")
        return HistoryEvent("review_dismissed", actor, at, str(review or ""), previous)
    if kind == "HeadRefForcePushedEvent":
        before = _dict(data.get("beforeCommit")).get("oid")
        after = _dict(data.get("afterCommit")).get("oid")
        return HistoryEvent("head_ref_force_pushed", actor, at, str(before or ""), str(after or ""))
    if kind in ("LabeledEvent", "UnlabeledEvent"):
        name = _dict(data.get("label")).get("name")
        event = "labeled" if kind == "LabeledEvent" else "unlabeled"
        return HistoryEvent(event, actor, at, str(name or ""))
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
    app_id = app.get("id") if isinstance(app, dict) else None
    output = _dict(data.get("output")) if isinstance(data, dict) else {}
    return CheckRunInfo(
        app_id=app_id if isinstance(app_id, int) else None,
        title=str(output.get("title") or ""),
        summary=str(output.get("summary") or ""),
        text=str(output.get("text") or ""),
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
        read_only: bool = False,
    ) -> tuple[dict[str, Any], Any]:
        """``read_only`` marks a POST that only reads (GraphQL queries): retried as a GET."""
        requester = (client or self._gh).requester
        for attempt in range(1, MAX_ATTEMPTS + 1):
            last = attempt == MAX_ATTEMPTS
            try:
                return requester.requestJsonAndCheck(verb, url, parameters=params, input=body)
            except GithubException as exc:
                wait = self._wait_for(exc, "GET" if read_only else verb, action, attempt)
                if wait is None or last:
                    raise GitHubApiError(action, exc.status, self._explain(exc)) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if not (verb == "GET" or read_only) or last:
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

    def read_history(self, number: int, html_url: str) -> PullHistory:
        """Comments and reviews with every version of their bodies, and the timeline
        events the chain needs: one GraphQL query, more only when a list has more pages."""
        owner, name = self.repo.split("/", 1)
        found: dict[str, list[Any]] = {part: [] for part in HISTORY_PARTS}
        cursors: dict[str, str | None] = dict.fromkeys(HISTORY_PARTS)
        pending = list(HISTORY_PARTS)
        for _ in range(MAX_PAGES):
            if not pending:
                break
            variables: dict[str, Any] = {"owner": owner, "name": name, "number": number}
            variables |= {f"after_{part}": cursors[part] for part in pending}
            pull = self._graphql(history_query(pending), variables, number)
            still = []
            for part in pending:
                connection = _dict(pull.get(part))
                found[part] += [n for n in connection.get("nodes") or [] if n is not None]
                info = _dict(connection.get("pageInfo"))
                if info.get("hasNextPage") is True:
                    cursors[part] = str(info.get("endCursor"))
                    still.append(part)
            pending = still
        else:
            raise GitHubDataError(f"the history of #{number}: more than {MAX_PAGES} pages")
        comments = tuple(parse_body_record(n, f"{html_url}#issuecomment-{n.get('databaseId')}")
                         for n in found["comments"])
        reviews = tuple(
            parse_body_record(n, f"{html_url}#pullrequestreview-{n.get('databaseId')}",
                              review=True)
            for n in found["reviews"] if n.get("state") != "PENDING"
        )
        items = [parse_history_item(n) for n in found["timelineItems"]]
        return PullHistory(
            comments=comments,
            reviews=reviews,
            events=tuple(i for i in items if isinstance(i, HistoryEvent)),
            commits=tuple(i for i in items if isinstance(i, str)),
        )

    def _graphql(self, query: str, variables: dict[str, Any], number: int) -> dict[str, Any]:
        action = f"POST graphql (the history of #{number})"
        url = self._gh.requester.graphql_url
        _, data = self._request("POST", url, action=action, read_only=True,
                                body={"query": query, "variables": variables})
        errors = _dict(data).get("errors")
        if errors:
            first = errors[0] if isinstance(errors, list) and errors else {}
            kind = _dict(first).get("type")
            status = 404 if kind == "NOT_FOUND" else 403 if kind == "FORBIDDEN" else 400
            raise GitHubApiError(action, status, str(_dict(first).get("message") or errors))
        pull = _dict(_dict(_dict(data).get("data")).get("repository")).get("pullRequest")
        if not isinstance(pull, dict):
            raise GitHubDataError(f"{action}: no pullRequest in the answer")
        return pull

    def list_pull_files(self, number: int) -> list[str]:
        """Every path the pull request changes (a rename counts both names)."""
        action = f"GET the files of #{number}"
        paths: list[str] = []
        for row in self._pages(f"{self._base}/pulls/{number}/files", action):
            paths.append(_need(row, "filename", str, action))
            previous = _dict(row).get("previous_filename")
            if isinstance(previous, str) and previous:
                paths.append(previous)
        return paths

    def branch_tip(self, ref: str) -> str | None:
        """The commit a branch points at now (the combined status names it), or ``None``."""
        action = f"GET the tip of {ref}"
        try:
            _, data = self._request("GET", f"{self._base}/commits/{quote(ref, safe='')}/status",
                                    action=action, params={"per_page": 1})
        except GitHubApiError as exc:
            if exc.status in (404, 422):
                return None
            raise
        sha = _dict(data).get("sha")
        return sha if isinstance(sha, str) and sha else None

    def commit_parents(self, sha: str) -> list[str]:
        action = f"GET commit {sha[:12]}"
        _, data = self._request("GET", f"{self._base}/git/commits/{sha}", action=action)
        parents = _dict(data).get("parents")
        return [str(p.get("sha")) for p in parents or [] if isinstance(p, dict) and p.get("sha")]

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
        """Merge pinned to ``sha``; GitHub's refusals (403 for a token that may not touch
        workflows, 405 for rules, 409 for a moved head, 422) are answers, not errors."""
        action = f"PUT merge of #{number} at {sha[:12]}"
        body = {"sha": sha, "merge_method": method, "commit_title": title}
        if message:
            body["commit_message"] = message
        try:
            _, data = self._request(
                "PUT", f"{self._base}/pulls/{number}/merge", action=action, body=body
            )
        except GitHubApiError as exc:
            if exc.status in (403, 405, 409, 422) and not _rate_limited(exc.message):
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


def _rate_limited(message: str) -> bool:
    return SECONDARY_RE.search(message) is not None or "rate limit" in message.lower()


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

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Webhook payloads as GitHub Actions hands them over, wrapped in typed read-only views.

As Powertools does for Lambda events, each view keeps the raw dict and exposes the few
fields the bot reads as properties. Unlike a plain dict lookup, a view is checked when it
is made: every field the bot will read is present with the documented type, so a payload
that is not what its event name claims fails once, with one message naming the field,
instead of half-way through handling it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.errors import UsageError

MAX_EVENT_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB


class EventError(UsageError):
    """The event payload is unreadable or not what its name says."""


_MISSING = object()


def _walk(data: Any, path: str) -> Any:
    value = data
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", int: "an integer", bool: "a boolean", dict: "an object",
             list: "an array", type(None): "null"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


class Payload:
    """A read-only view of one event payload; ``event`` names it in error messages."""

    event: str = "event"
    required: tuple[tuple[str, type | tuple[type, ...]], ...] = ()

    def __init__(self, raw: Mapping[str, Any], name: str | None = None) -> None:
        self._raw = raw
        if name is not None:
            self.event = name
        for path, kind in (("repository.full_name", str), *self.required):
            self._field(path, kind)

    @property
    def raw(self) -> Mapping[str, Any]:
        return self._raw

    def _field(self, path: str, kind: type | tuple[type, ...]) -> Any:
        value = _walk(self._raw, path)
        if value is _MISSING:
            raise EventError(f"{self.event} payload: field '{path}' is missing")
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is int)
        if not ok:
            raise EventError(
                f"{self.event} payload: field '{path}' should be {_type_name(kind)}, "
                f"got {type(value).__name__}"
            )
        return value

    @property
    def action(self) -> str:
        """The action (``opened``, ``created``…), empty for events that have none."""
        value = self._raw.get("action")
        return value if isinstance(value, str) else ""

    @property
    def repository(self) -> str:
        """``owner/name`` of the repository the event happened in."""
        value: str = self._field("repository.full_name", str)
        return value

    @property
    def sender(self) -> str:
        """Who caused the event (a deleted account reads as ``ghost``)."""
        value = _walk(self._raw, "sender.login")
        return value if isinstance(value, str) else "ghost"

    @property
    def sender_id(self) -> int | None:
        """The immutable user id of who caused the event."""
        return _int_or_none(_walk(self._raw, "sender.id"))


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class PullRequestPayload(Payload):
    """``pull_request`` and ``pull_request_target``."""

    event = "pull_request"
    required = (
        ("action", str),
        ("pull_request.number", int),
        ("pull_request.head.sha", str),
        ("pull_request.base.ref", str),
        ("pull_request.state", str),
    )

    @property
    def number(self) -> int:
        """The pull request's number."""
        value: int = self._field("pull_request.number", int)
        return value

    @property
    def head_sha(self) -> str:
        """The head commit as the event saw it (the bot reads the current one from GitHub)."""
        value: str = self._field("pull_request.head.sha", str)
        return value

    @property
    def before(self) -> str | None:
        """``synchronize``: the head before the push."""
        value = _walk(self._raw, "before")
        return value if isinstance(value, str) and value else None

    @property
    def after(self) -> str | None:
        """``synchronize``: the head the push made."""
        value = _walk(self._raw, "after")
        return value if isinstance(value, str) and value else None

    @property
    def merged(self) -> bool:
        """Whether a ``closed`` pull request was merged."""
        return _walk(self._raw, "pull_request.merged") is True

    @property
    def merged_by(self) -> str | None:
        value = _walk(self._raw, "pull_request.merged_by.login")
        return value if isinstance(value, str) else None

    @property
    def label(self) -> str | None:
        """The label of a ``labeled``/``unlabeled`` event."""
        if self.action not in ("labeled", "unlabeled"):
            return None
        value: str = self._field("label.name", str)
        return value


class IssueCommentPayload(Payload):
    """``issue_comment``: on an issue or on a pull request (``issue.pull_request``)."""

    event = "issue_comment"
    required = (
        ("action", str),
        ("issue.number", int),
        ("comment.id", int),
        ("comment.body", (str, type(None))),
        ("comment.user", (dict, type(None))),
    )

    @property
    def number(self) -> int:
        value: int = self._field("issue.number", int)
        return value

    @property
    def on_pull_request(self) -> bool:
        """GitHub marks comments on pull requests with an ``issue.pull_request`` object."""
        return isinstance(_walk(self._raw, "issue.pull_request"), dict)

    @property
    def comment_id(self) -> int:
        value: int = self._field("comment.id", int)
        return value

    @property
    def body(self) -> str:
        """The comment's text; a ``null`` body reads as empty."""
        value = _walk(self._raw, "comment.body")
        return value if isinstance(value, str) else ""

    @property
    def previous_body(self) -> str:
        """The text before an edit (``changes.body.from``), empty when not given."""
        value = _walk(self._raw, "changes.body.from")
        return value if isinstance(value, str) else ""

    @property
    def author(self) -> str:
        value = _walk(self._raw, "comment.user.login")
        return value if isinstance(value, str) else "ghost"

    @property
    def author_type(self) -> str:
        value = _walk(self._raw, "comment.user.type")
        return value if isinstance(value, str) else "User"

    @property
    def author_id(self) -> int | None:
        return _int_or_none(_walk(self._raw, "comment.user.id"))

    @property
    def html_url(self) -> str | None:
        value = _walk(self._raw, "comment.html_url")
        return value if isinstance(value, str) else None


class PullRequestReviewPayload(Payload):
    event = "pull_request_review"
    required = (("action", str), ("pull_request.number", int), ("review.state", str))

    @property
    def number(self) -> int:
        value: int = self._field("pull_request.number", int)
        return value

    @property
    def state(self) -> str:
        """``approved``, ``commented``… (lower case in webhooks, unlike the REST API)."""
        value: str = self._field("review.state", str)
        return value.lower()


class WorkflowRunPayload(Payload):
    event = "workflow_run"
    required = (
        ("action", str),
        ("workflow_run.id", int),
        ("workflow_run.head_sha", str),
        ("workflow_run.path", str),
        ("workflow_run.event", str),
        ("workflow_run.html_url", str),
        ("workflow_run.pull_requests", list),
    )

    @property
    def run_id(self) -> int:
        value: int = self._field("workflow_run.id", int)
        return value

    @property
    def head_sha(self) -> str:
        value: str = self._field("workflow_run.head_sha", str)
        return value

    @property
    def workflow_file(self) -> str:
        """The workflow's file name (``.github/workflows/x.yml`` -> ``x.yml``)."""
        value: str = self._field("workflow_run.path", str)
        return value.rsplit("/", 1)[-1].split("@", 1)[0]

    @property
    def workflow_name(self) -> str:
        """The workflow's name; octokit samples leave ``workflow_run.name`` empty."""
        for path in ("workflow.name", "workflow_run.name"):
            value = _walk(self._raw, path)
            if isinstance(value, str) and value:
                return value
        return ""

    @property
    def trigger(self) -> str:
        """The event that started the run (``pull_request`` for the audit job)."""
        value: str = self._field("workflow_run.event", str)
        return value

    @property
    def conclusion(self) -> str | None:
        value = _walk(self._raw, "workflow_run.conclusion")
        return value if isinstance(value, str) else None

    @property
    def html_url(self) -> str:
        value: str = self._field("workflow_run.html_url", str)
        return value

    @property
    def pull_numbers(self) -> tuple[int, ...]:
        """Pull requests GitHub associated with the run (empty for forks)."""
        items = self._field("workflow_run.pull_requests", list)
        numbers = []
        for index, item in enumerate(items):
            number = _walk(item, "number")
            if not isinstance(number, int) or isinstance(number, bool):
                raise EventError(
                    f"workflow_run payload: field 'workflow_run.pull_requests.{index}.number' "
                    "should be an integer"
                )
            numbers.append(number)
        return tuple(numbers)


VIEWS: dict[str, type[Payload]] = {
    "pull_request": PullRequestPayload,
    "pull_request_target": PullRequestPayload,
    "issue_comment": IssueCommentPayload,
    "pull_request_review": PullRequestReviewPayload,
    "workflow_run": WorkflowRunPayload,
}


@dataclass(frozen=True)
class Event:
    """An event name with its checked payload; ``payload`` is ``None`` for events the
    bot does not handle (their payloads are not checked beyond being a JSON object)."""

    name: str
    raw: Mapping[str, Any]
    payload: Payload | None


def read_event(name: str, path: Path) -> Event:
    """Read ``GITHUB_EVENT_PATH`` and wrap it in the view for ``GITHUB_EVENT_NAME``."""
    if not name:
        raise EventError("GITHUB_EVENT_NAME is not set")
    try:
        size = path.stat().st_size
        if size > MAX_EVENT_BYTES:
            raise EventError(f"{path}: {size} bytes is larger than any GitHub event")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EventError(f"{path}: the event file does not exist") from None
    except UnicodeDecodeError as exc:
        raise EventError(f"{path}: not UTF-8 ({exc.reason})") from exc
    except OSError as exc:
        raise EventError(f"{path}: cannot read the event: {exc.strerror}") from exc
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise EventError(f"{path}: not valid JSON: {exc}") from exc
    return parse_event(name, raw)


def parse_event(name: str, raw: Any) -> Event:
    if not isinstance(raw, dict):
        raise EventError(f"{name} payload: expected a JSON object, got {type(raw).__name__}")
    view = VIEWS.get(name)
    if view is None:
        return Event(name, raw, None)
    return Event(name, raw, view(raw, name))

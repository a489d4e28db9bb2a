# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What the bot saw happen and cannot read back from GitHub, kept where only it writes.

GitHub does not keep who pushed a head and when (a ``synchronize`` webhook says so once),
nor a deleted comment (the ``deleted`` webhook names the deleter once). The bot records
them in a *ledger*: a fenced, compressed block at the end of its own ``modelgate`` check
run's ``output.text``. Only the App that created a check run can change it, and the ledger
is read back only from runs whose ``app.id`` is the App's, so nobody else can write it —
unlike a comment body, which anyone with write access can edit.

A record made by this event has no time yet (``at`` is ``None``): it is written into a
*new* check run, and takes that run's ``started_at`` (GitHub's clock, never earlier than
the event) when read back. On a push the ledger is carried to the new head's run.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from modelgate.bot.github.api import CheckRunInfo

LEDGER_VERSION = 1
FENCE = "```modelgate-ledger"
LEDGER_RE = re.compile(r"```modelgate-ledger v(\d+)\n([A-Za-z0-9+/=\n]+)\n```")
MAX_LEDGER_CHARS = 60_000  # inside output.text's 65,535
MAX_JSON = 4_000_000
MAX_ANSWERED = 2_000
MAX_DELETED_BODY = 2_000
SHA_RE = re.compile(r"^[0-9a-f]{40,64}$")


@dataclass(frozen=True)
class PushRecord:
    """The head became ``sha`` (from ``before``), pushed by ``pusher``."""

    sha: str
    before: str | None
    pusher: str
    pusher_id: int | None
    at: datetime | None
    forced: bool = False
    seen: str = "webhook"  # "webhook", "opened", or "noticed" (its pusher is not known)


@dataclass(frozen=True)
class DeletionRecord:
    comment_id: int
    deleter: str
    deleter_id: int | None
    author: str | None
    author_id: int | None
    body: str | None  # the command lines it held (bounded)
    url: str | None
    at: datetime | None


@dataclass(frozen=True)
class AuditRecord:
    """The audits' conclusion on one head, and what the check showed of them."""

    sha: str
    conclusion: str
    title: str
    summary: str
    table: str = ""
    run_url: str | None = None


@dataclass(frozen=True)
class ReleaseInputs:
    """The audit workflow run (and its artifact) the release will read for ``sha``."""

    sha: str
    run_id: int
    artifact_id: int | None = None


@dataclass(frozen=True)
class Ledger:
    pushes: tuple[PushRecord, ...] = ()
    deletions: tuple[DeletionRecord, ...] = ()
    answered: tuple[str, ...] = ()  # CommentResponse.key values already answered
    reverts: tuple[str, ...] = ()  # LabelItem.key values already explained
    audit: AuditRecord | None = None
    release: ReleaseInputs | None = None
    card: dict[str, Any] | None = None
    report_sha: str | None = None
    run_url: str | None = None
    card_notes: tuple[str, ...] = ()
    members: tuple[tuple[str, bool], ...] = ()
    members_head: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def pending(self) -> bool:
        """Holds a record that still needs its time (a new check run must be made)."""
        return any(p.at is None for p in self.pushes) or any(d.at is None for d in self.deletions)

    def timed(self, at: datetime) -> Ledger:
        """Every record without a time gets ``at`` (the run's ``started_at``)."""
        return replace(
            self,
            pushes=tuple(p if p.at is not None else replace(p, at=at) for p in self.pushes),
            deletions=tuple(
                d if d.at is not None else replace(d, at=at) for d in self.deletions
            ),
        )

    def for_head(self, head: str) -> Ledger:
        """What carries to a new head: history yes; the audits and release inputs no."""
        audit = self.audit if self.audit is not None and self.audit.sha == head else None
        release = self.release if self.release is not None and self.release.sha == head else None
        return replace(self, audit=audit, release=release)


# ------------------------------------------------------------------------ encoding


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def to_json(ledger: Ledger) -> dict[str, Any]:
    return {
        "v": LEDGER_VERSION,
        "pushes": [[p.sha, p.before, p.pusher, p.pusher_id, _iso(p.at), p.forced, p.seen]
                   for p in ledger.pushes],
        "deletions": [[d.comment_id, d.deleter, d.deleter_id, d.author, d.author_id, d.body,
                       d.url, _iso(d.at)] for d in ledger.deletions],
        "answered": list(ledger.answered[-MAX_ANSWERED:]),
        "reverts": list(ledger.reverts[-MAX_ANSWERED:]),
        "audit": None if ledger.audit is None else {
            "sha": ledger.audit.sha, "conclusion": ledger.audit.conclusion,
            "title": ledger.audit.title, "summary": ledger.audit.summary,
            "table": ledger.audit.table, "run_url": ledger.audit.run_url},
        "release": None if ledger.release is None else [
            ledger.release.sha, ledger.release.run_id, ledger.release.artifact_id],
        "card": ledger.card,
        "report_sha": ledger.report_sha,
        "run_url": ledger.run_url,
        "card_notes": list(ledger.card_notes),
        "members": [[k, v] for k, v in ledger.members],
        "members_head": ledger.members_head,
    }


def encode(ledger: Ledger) -> str:
    """The fenced block; the card is left out first, then old answers, to fit."""
    for attempt in (ledger, replace(ledger, card=None, card_notes=()),
                    replace(ledger, card=None, card_notes=(), answered=ledger.answered[-200:],
                            reverts=ledger.reverts[-200:])):
        raw = json.dumps(to_json(attempt), separators=(",", ":"), sort_keys=True).encode()
        packed = base64.b64encode(zlib.compress(raw, 9)).decode("ascii")
        lines = "\n".join(packed[i:i + 76] for i in range(0, len(packed), 76))
        block = f"{FENCE} v{LEDGER_VERSION}\n{lines}\n```"
        if len(block) <= MAX_LEDGER_CHARS:
            return block
    raise ValueError("the ledger does not fit in a check run")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def decode(text: str, started_at: datetime | None) -> Ledger | None:
    """The ledger in a check run's text (records without a time get ``started_at``)."""
    found = LEDGER_RE.findall(text)
    if not found or found[-1][0] != str(LEDGER_VERSION):
        return None
    packed = found[-1][1].replace("\n", "")
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(packed, validate=True), MAX_JSON)
        if inflater.unconsumed_tail:
            return None
        data = json.loads(raw)
    except (binascii.Error, zlib.error, ValueError):
        return None
    if not isinstance(data, dict) or data.get("v") != LEDGER_VERSION:
        return None
    try:
        ledger = _from_json(data)
    except (TypeError, ValueError, IndexError):
        return None
    return ledger.timed(started_at) if started_at is not None else ledger


def _from_json(data: dict[str, Any]) -> Ledger:
    pushes = tuple(
        PushRecord(str(p[0]), _str(p[1]), str(p[2]), _int(p[3]), _time(p[4]), bool(p[5]),
                   str(p[6]))
        for p in data.get("pushes") or [] if isinstance(p, list) and SHA_RE.match(str(p[0]))
    )
    deletions = tuple(
        DeletionRecord(int(d[0]), str(d[1]), _int(d[2]), _str(d[3]), _int(d[4]), _str(d[5]),
                       _str(d[6]), _time(d[7]))
        for d in data.get("deletions") or [] if isinstance(d, list)
    )
    audit_data = data.get("audit")
    audit = None
    if isinstance(audit_data, dict) and SHA_RE.match(str(audit_data.get("sha"))):
        audit = AuditRecord(str(audit_data["sha"]), str(audit_data.get("conclusion")),
                            str(audit_data.get("title") or ""),
                            str(audit_data.get("summary") or ""),
                            str(audit_data.get("table") or ""), _str(audit_data.get("run_url")))
    release_data = data.get("release")
    release = None
    if isinstance(release_data, list) and len(release_data) == 3 and _int(release_data[1]):
        release = ReleaseInputs(str(release_data[0]), int(release_data[1]), _int(release_data[2]))
    card = data.get("card")
    return Ledger(
        pushes=pushes,
        deletions=deletions,
        answered=tuple(k for k in data.get("answered") or [] if isinstance(k, str)),
        reverts=tuple(k for k in data.get("reverts") or [] if isinstance(k, str)),
        audit=audit,
        release=release,
        card=card if isinstance(card, dict) else None,
        report_sha=_str(data.get("report_sha")),
        run_url=_str(data.get("run_url")),
        card_notes=tuple(n for n in data.get("card_notes") or [] if isinstance(n, str))[:20],
        members=tuple((m[0], m[1]) for m in data.get("members") or []
                      if isinstance(m, list) and len(m) == 2 and isinstance(m[0], str)
                      and isinstance(m[1], bool)),
        members_head=_str(data.get("members_head")),
    )


# ------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Trust:
    """Which check runs are the bot's: the App's id (sound), or legacy the App's slug."""

    app_id: int | None
    app_slug: str | None

    def trusts(self, run: CheckRunInfo) -> bool:
        if self.app_id is not None:
            return run.app_id == self.app_id
        return self.app_slug is None or run.app_slug == self.app_slug


def split_runs(
    runs: Sequence[CheckRunInfo], trust: Trust, sha: str
) -> tuple[list[CheckRunInfo], list[CheckRunInfo]]:
    """(the bot's runs on ``sha``, oldest first; runs of the same name by anyone else)."""
    on_head = [r for r in runs if r.head_sha == sha]
    mine = sorted((r for r in on_head if trust.trusts(r)), key=lambda r: r.id)
    others = sorted((r for r in on_head if not trust.trusts(r)), key=lambda r: r.id)
    return mine, others


def merge_ledgers(first: Ledger, other: Ledger | None) -> Ledger:
    """Two ledgers of one pull request (an earlier head's may know a push the head's run
    does not, after a force push back): their records together, ``first``'s card."""
    if other is None:
        return first

    def union(a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(dict.fromkeys((*a, *b)))

    pushes = union(first.pushes, other.pushes)
    pushes = tuple(sorted(pushes, key=lambda p: (p.at is None, p.at or datetime.max)))
    deletions = {d.comment_id: d for d in (*other.deletions, *first.deletions)}
    return replace(
        first,
        pushes=pushes,
        deletions=tuple(deletions.values()),
        answered=union(first.answered, other.answered),
        reverts=union(first.reverts, other.reverts),
        audit=first.audit or other.audit,
        release=first.release or other.release,
    )


def newest_ledger(runs: Sequence[CheckRunInfo]) -> Ledger | None:
    """The ledger of the newest trusted run that holds one."""
    for run in sorted(runs, key=lambda r: r.id, reverse=True):
        ledger = decode(run.text, run.started_at)
        if ledger is not None:
            return ledger
    return None

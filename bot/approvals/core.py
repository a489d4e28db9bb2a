# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The approval chain's decisions, computed from a pull request's history alone.

:func:`evaluate` is pure: facts, timeline, roles and the audit conclusion in, an
:class:`ApprovalState` out; the rules and the choices behind them are in
docs/design/approval-chain.md.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, TypeVar

from modelgate.bot.approvals.commands import Command, CommandKind, parse_commands
from modelgate.bot.approvals.evidence import (
    Actor,
    BaseChange,
    Comment,
    CommentDeletion,
    CommentEdit,
    Review,
    ReviewDismissal,
    Revision,
    RoleHolder,
    RoleSpec,
    Source,
    TamperFinding,
    TamperKind,
    comment_source,
    deletion_finding,
    need_aware,
    review_source,
    revisions,
    same_person,
)
from modelgate.bot.approvals.replies import (
    MAX_OUTCOMES,
    MAX_QUOTED_LINE,
    MAX_REPLY_CHARS,
    REPLY_FOOTER,
    REPLY_HEADER,
    REPLY_ITEM,
    CommandOutcome,
    collapse,
    refusal_reply,
)
from modelgate.bot.approvals.replies import code as _code
from modelgate.bot.approvals.replies import names as _names
from modelgate.governance import APPROVED_LABEL_PREFIX, Role

__all__ = [
    "MAX_OUTCOMES",
    "MAX_QUOTED_LINE",
    "MAX_REPLY_CHARS",
    "REPLY_FOOTER",
    "REPLY_HEADER",
    "REPLY_ITEM",
    "Actor",
    "ApprovalState",
    "BaseChange",
    "CommandOutcome",
    "Comment",
    "CommentDeletion",
    "CommentEdit",
    "Review",
    "ReviewDismissal",
    "RoleHolder",
    "RoleSpec",
    "Source",
    "TamperFinding",
    "TamperKind",
    "evaluate",
]

SCHEMA_VERSION = 2  # 2: sources, hold entries, tamper findings, base (additive)
HOLD_LABEL = "hold"
BOT_LOGIN_SUFFIX = "[bot]"
BOT_USER_TYPE = "Bot"
AUDIT_SUCCESS = "success"
REACTION_ACCEPTED = "+1"
REACTION_REFUSED = "confused"
MAX_REASON_FINDINGS = 3
# Why a command was refused (the reply lists them, one per refused command).
REFUSE_AUTHOR = "the author of a pull request cannot approve it"
REFUSE_UNKNOWN_ROLE = "there is no role {role}; the roles are {roles}"
REFUSE_NOT_HOLDER = "you do not hold the role {role}"
REFUSE_NO_ROLE = "you hold none of the roles {roles}"
REFUSE_ONE_ROLE = (
    "you already approved as {filled} on this commit, and one person fills one role "
    "(`/approve cancel` first to switch)"
)
REFUSE_AMBIGUOUS = (
    "you hold several roles that still need approval ({roles}); name one with `/approve <role>`"
)
REFUSE_ALL_FILLED = (
    "every role you hold is already approved ({roles}); "
    "name one with `/approve <role>` to add your approval"
)
REFUSE_NOTHING_TO_CANCEL = "you have no approval on this commit to withdraw"
REFUSE_NO_HEAD = "the commit this comment was made on is not known, so nothing was approved"
REFUSE_NOT_HELD = "the pull request is not on hold"
REFUSE_UNHOLD = "the hold was placed by {holders}; only they or an approver can lift it"
REFUSE_INVALID_APPROVE = "write `/approve`, `/approve <role>` or `/approve cancel`, one per line"
REFUSE_INVALID_UNHOLD = "write `/unhold` (or `/hold cancel`) on a line of its own"
REFUSE_INVALID_REMOVE = "write `/remove-approve` (or `/approve cancel`) on a line of its own"

# Notes on accepted commands (kept in the outcomes and the history, never replied).
NOTE_APPROVED = "approved as {role}"
NOTE_ALREADY = "already approved as {role}"
NOTE_CANCELLED = "withdrew the approval as {role}"
NOTE_HELD = "held"
NOTE_ALREADY_HELD = "already holding"
NOTE_UNHELD = "lifted the hold by {holders}"

# Replies to label changes made by hand (the label is put back as the comments say).
LABEL_NOT_HOLDER = (
    "@{actor} I removed the label `{label}`: you do not hold the role `{role}`. "
    "Holders approve with `/approve {role}`."
)
LABEL_USE_COMMAND = (
    "@{actor} I removed the label `{label}`: approvals are given with a `/approve {role}` "
    "comment, so that they are tied to the commit they were given on."
)
LABEL_NO_ROLE = "@{actor} I removed the label `{label}`: there is no role `{role}`."
LABEL_RESTORED = (
    "@{actor} I restored the label `{label}`: it records the approval by {approvers} on "
    "this commit. An approver withdraws with `/approve cancel`."
)
LABEL_HOLD_RESTORED = (
    "@{actor} I restored the label `hold`: the pull request is held by {holders}. "
    "Lift the hold with `/unhold`."
)

# Why the pull request is not merged yet (the card and the logs list them).
REASON_MERGED = "the pull request is already merged"
REASON_NOT_OPEN = "the pull request is {state}"
REASON_DRAFT = "the pull request is a draft"
REASON_NOT_MERGEABLE = "GitHub reports that the pull request cannot be merged"
REASON_MERGEABLE_UNKNOWN = "GitHub has not yet computed whether the pull request can be merged"
REASON_HELD = "on hold by {holders}"
REASON_ROLE_PENDING = "role {role}: {count} of {required} approval(s) on head {sha}"
REASON_NO_AUDIT = "no audit result for head {sha}"
REASON_AUDIT_OLD = "the audits ran on {audit_sha}, not on head {sha}"
REASON_AUDIT_RED = "the audits concluded {conclusion!r} on head {sha}"

REFUSE_PUSHER = "you pushed commits to this pull request, so you cannot approve it"
REFUSE_PINNED = (
    "the role {role} names the login {login} pinned to another GitHub account; "
    "this account does not hold it"
)
REFUSE_EDITED_AFTER_PUSH = (
    "this was edited after the pull request moved on (push or retarget) from where it was "
    "written, so it does not approve or lift a hold now; write a new comment"
)
REFUSE_HISTORY_UNKNOWN = (
    "the edit history of this text is not known, so only `/hold` and `/approve cancel` in it count"
)
REFUSE_REVIEW_COMMIT = "this review is on commit {commit}, not on the head {sha}"
REFUSE_UNHOLD_CHANGES = (
    "changes were requested by {holders}; only they (by approving or `/unhold`) or a "
    "dismissal of the review lift that"
)
REFUSE_DISMISSAL = (
    "the dismissal by {actor} does not lift the changes requested by {author}: only the "
    "reviewer or an approver who is neither the author nor a pusher may"
)

NOTE_CHANGES_REQUESTED = "requested changes (holds until they approve or it is dismissed)"
NOTE_REVIEW_APPROVED = "approved in review {id}"
NOTE_CHANGES_LIFTED = "lifted the changes requested by {login}"
NOTE_WITHDRAWN = "the {kind} {id} that gave it was {how}"
NOTE_HOLD_KEPT = "removed `/hold` from {kind} {id}; the hold stays until `/unhold`"
NOTE_TAMPER_ANSWERED = "answered tamper finding: {detail}"

REASON_HELD = "on hold by {holders}"
REASON_BASE = "the pull request targets {base}, not the release branch {release}"
REASON_BASE_UNKNOWN = "the base branch or the release branch is not known"
REASON_TAMPER = "{count} tamper finding(s) await a role holder acting again: {details}"

RESET_BY_PUSH = "reset by push {sha}"
RESET_UNSEEN_PUSH = "reset by push {sha} (the head moved; its push is not in the timeline yet)"
RESET_BY_BASE = "reset by retargeting to {base}"
RESET_UNSEEN_BASE = "reset: the base is now {base} (its change is not in the timeline yet)"
HOLD_BY_LABEL = "added the label `hold`"

TeamMembership = Callable[[str, str, str], bool]
"""``is_team_member(org, team_slug, login)``: ``True`` only for an active member."""


class HistoryEvent(StrEnum):
    APPROVED = "approved"
    CANCELLED = "cancelled"
    RESET = "reset"
    REFUSED = "refused"
    HELD = "held"
    UNHELD = "unheld"
    TAMPERED = "tampered"
    ANSWERED = "answered"


_need_aware = need_aware


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PullRequestFacts:
    """What GitHub says about the pull request now.

    ``base_ref`` is the branch it targets; ``release_branch`` the protected branch that
    alone may receive a merge (read from the default branch's ``governance.yml``)."""

    number: int
    author: str
    head_sha: str
    state: str  # "open" or "closed"
    mergeable: bool | None  # None while GitHub is still computing it
    merged: bool
    draft: bool = False
    labels: frozenset[str] = frozenset()  # the labels on the pull request now
    author_id: int | None = None
    base_ref: str | None = None
    release_branch: str | None = None

    def __post_init__(self) -> None:
        if not self.head_sha:
            raise ValueError("PullRequestFacts.head_sha must not be empty")


@dataclass(frozen=True)
class PushItem:
    """The head became ``sha`` (opening, push or force-push), pushed by ``actor``."""

    sha: str
    at: datetime
    actor: str
    actor_id: int | None = None
    forced: bool = False

    def __post_init__(self) -> None:
        _need_aware(self.at, f"push {self.sha} at")
        if not self.sha:
            raise ValueError("PushItem.sha must not be empty")


@dataclass(frozen=True)
class LabelItem:
    """A label added to or removed from the pull request, and by whom."""

    name: str
    added: bool
    actor: str
    actor_type: str
    at: datetime
    actor_id: int | None = None

    def __post_init__(self) -> None:
        _need_aware(self.at, f"label {self.name!r} at")

    @property
    def key(self) -> str:
        """Identifies this change, so that the layer can tell whether it was answered."""
        action = "added" if self.added else "removed"
        return f"{self.name.casefold()}|{action}|{self.actor.casefold()}|{_iso(self.at)}"


TimelineItem = PushItem | LabelItem | Comment | CommentDeletion | Review | BaseChange


@dataclass(frozen=True)
class AuditStatus:
    """The audits' overall conclusion (GitHub check conclusion) and the commit they ran on."""

    sha: str
    conclusion: str


# ---------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Approval:
    login: str
    at: datetime
    sha: str
    comment_id: int  # the comment or review that gave it
    source: Source | None = None
    user_id: int | None = None
    via: Literal["command", "review"] = "command"


@dataclass(frozen=True)
class RoleState:
    """One row of the card's approval table."""

    name: str
    required: int
    approvers: tuple[Approval, ...]
    satisfied: bool
    status: Literal["approved", "partial", "pending"]
    status_text: str  # "approved", "pending" or "partial 1 of 2"


HoldKind = Literal["command", "label", "changes_requested"]


@dataclass(frozen=True)
class HoldEntry:
    login: str
    user_id: int | None
    at: datetime
    kind: HoldKind
    source: Source | None


@dataclass(frozen=True)
class HoldState:
    held: bool
    by: tuple[str, ...]
    since: datetime | None
    entries: tuple[HoldEntry, ...] = ()


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None  # None only for a reset whose push is not in the timeline yet
    event: HistoryEvent
    actor: str
    detail: str
    role: str | None = None
    sha: str | None = None
    comment_id: int | None = None
    source: Source | None = None


@dataclass(frozen=True)
class CommentResponse:
    """What the bot answers to one body: a reaction, and a bounded reply when it refused.

    ``key`` names the revision answered (``comment:<id>#<n>``, ``review:<id>#<n>``); a
    reply to a review or to an edit cannot be a reaction alone, so the layer replies."""

    comment_id: int
    reaction: str
    reply: str | None
    outcomes: tuple[CommandOutcome, ...]
    key: str = ""
    subject: Literal["comment", "review"] = "comment"
    revision: int = 0
    omitted: int = 0  # commands beyond MAX_OUTCOMES distinct outcomes


@dataclass(frozen=True)
class LabelRevert:
    """A hand-made label change to undo, and the reply that explains it."""

    label: str
    action: Literal["add", "remove"]
    actor: str
    at: datetime
    key: str  # LabelItem.key of the change being reverted
    reply: str


@dataclass(frozen=True)
class MergeDecision:
    action: Literal["merge", "not_ready"]
    sha: str | None  # the head to pin the merge to (``sha`` of the merge API)
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalState:
    """Everything the bot decided for one pull request at one moment."""

    pr_number: int
    head_sha: str
    roles: tuple[RoleState, ...]
    hold: HoldState
    history: tuple[HistoryEntry, ...]
    desired_labels: tuple[str, ...]
    labels_to_add: tuple[str, ...]
    labels_to_remove: tuple[str, ...]
    responses: tuple[CommentResponse, ...]
    label_reverts: tuple[LabelRevert, ...]
    merge: MergeDecision
    findings: tuple[TamperFinding, ...] = ()
    head_source: Source | None = None  # the push that made the head arrive last
    base_ref: str | None = None
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 UTC), as the card and artifact embed it."""
        result = _jsonable(self)
        assert isinstance(result, dict)
        return result

    @property
    def open_findings(self) -> tuple[TamperFinding, ...]:
        return tuple(f for f in self.findings if f.answered_by is None)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _jsonable(value: object) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, tuple | list):
        return [_jsonable(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    return value


# ---------------------------------------------------------------------------- helpers


def _approved_label(role: str) -> str:
    return APPROVED_LABEL_PREFIX + role


def _is_managed_label(name: str) -> bool:
    folded = name.casefold()
    return folded == HOLD_LABEL or folded.startswith(APPROVED_LABEL_PREFIX)


@dataclass(frozen=True)
class _Speech:
    """One body that takes effect at one moment: a revision of a comment or review."""

    actor: Actor
    at: datetime
    body: str
    source: Source
    subject_id: int
    number: int
    restrictive: bool = False
    review: Review | None = None

    @property
    def key(self) -> str:
        return f"{self.source.kind}:{self.source.id}#{self.number}"


@dataclass(frozen=True)
class _ReviewVerdict:
    """A review's state taking effect (after its body's commands)."""

    review: Review


@dataclass(frozen=True)
class _Dismissed:
    review: Review
    dismissal: ReviewDismissal


@dataclass(frozen=True)
class _Withdraw:
    """The author removed a body (deleted it): what it gave goes."""

    source: Source
    actor: Actor
    at: datetime
    how: str


_Event = _Speech | _ReviewVerdict | _Dismissed | _Withdraw | PushItem | LabelItem | BaseChange


def _event_key(event: _Event) -> tuple[datetime, int, str]:
    if isinstance(event, _Speech):
        kind = "c" if event.source.kind == "comment" else "r"
        return (event.at, 0, f"{kind}{event.subject_id:020d}:{event.number:06d}:0")
    if isinstance(event, _ReviewVerdict):
        return (event.review.submitted_at, 0, f"r{event.review.id:020d}:000000:1")
    if isinstance(event, _Withdraw):
        return (event.at, 0, f"w{event.source.id}")
    if isinstance(event, _Dismissed):
        return (event.dismissal.at, 1, f"d{event.review.id:020d}")
    if isinstance(event, LabelItem):
        return (event.at, 1, event.key)
    if isinstance(event, PushItem):
        return (event.at, 2, event.sha)
    return (event.at, 2, f"~base:{event.to_ref}")


@dataclass
class _Inputs:
    events: list[_Event]
    findings: list[TamperFinding]
    first_base: str | None


_Body = TypeVar("_Body", Comment, Review)


def _fuller(seen: _Body | None, item: _Body) -> _Body:
    """Of two snapshots of one body, the one that knows more of its history."""
    if seen is None:
        return item

    def weight(x: Comment | Review) -> tuple[int, datetime, bool, str]:
        last = x.edited_at or (x.edits[-1].at if x.edits else datetime.min.replace(tzinfo=UTC))
        return (len(x.edits), last, not x.history_complete, x.body)

    return max(seen, item, key=weight)


def _speeches(
    revs: Sequence[Revision], subject_id: int, review: Review | None = None
) -> list[_Speech]:
    return [
        _Speech(
            r.author, r.at, r.body, r.source, subject_id, r.number, r.restrictive, review=review
        )
        for r in revs
    ]


def _prepare(timeline: Iterable[TimelineItem]) -> _Inputs:
    """Deduplicated events in replay order, and the findings, whatever the layer sends."""
    comments: dict[int, Comment] = {}
    reviews: dict[int, Review] = {}
    deletions: dict[int, CommentDeletion] = {}
    others: set[PushItem | LabelItem | BaseChange] = set()
    for item in timeline:
        if isinstance(item, Comment):
            comments[item.id] = _fuller(comments.get(item.id), item)
        elif isinstance(item, Review):
            reviews[item.id] = _fuller(reviews.get(item.id), item)
        elif isinstance(item, CommentDeletion):
            seen_deletion = deletions.get(item.comment_id)
            if seen_deletion is None or item.at < seen_deletion.at:
                deletions[item.comment_id] = item
        else:
            others.add(item)
    events: list[_Event] = list(others)
    findings: list[TamperFinding] = []
    for comment in comments.values():
        revs, found = revisions(
            comment_source(comment.id, comment.url),
            comment.author,
            comment.created_at,
            comment.body,
            comment.edits,
            edited_at=comment.edited_at,
            history_complete=comment.history_complete,
        )
        events += _speeches(revs, comment.id)
        findings += found
    for deletion in deletions.values():
        record = comments.get(deletion.comment_id)
        finding = deletion_finding(deletion, record)
        url = deletion.url or (record.url if record is not None else None)
        source = comment_source(deletion.comment_id, url)
        if finding is None:
            author = record.author if record else deletion.author
            assert author is not None
            events.append(_Withdraw(source, author, deletion.at, "deleted by its author"))
            continue
        findings.append(finding)
        if record is None and deletion.body is not None and deletion.author is not None:
            # Known only from the deletion: when it was written is not known, so only
            # what blocks counts, from the moment it was deleted.
            events.append(
                _Speech(
                    deletion.author,
                    deletion.at,
                    deletion.body,
                    source,
                    deletion.comment_id,
                    0,
                    restrictive=True,
                )
            )
    for review in reviews.values():
        source = review_source(review)
        revs, found = revisions(
            source,
            review.author,
            review.submitted_at,
            review.body,
            review.edits,
            edited_at=review.edited_at,
            history_complete=review.history_complete,
        )
        events += _speeches(revs, review.id, review)
        findings += found
        events.append(_ReviewVerdict(review))
        if review.dismissal is not None:
            events.append(_Dismissed(review, review.dismissal))
    bases = sorted((e for e in others if isinstance(e, BaseChange)), key=lambda b: b.at)
    events.sort(key=_event_key)
    findings.sort(key=lambda f: (f.at, f.source.kind, f.source.id))
    return _Inputs(events, findings, bases[0].from_ref if bases else None)


@dataclass
class _Outcome:
    accepted: bool
    note: str


def _accept(note: str) -> _Outcome:
    return _Outcome(True, note)


def _refuse(note: str) -> _Outcome:
    return _Outcome(False, note)


PERMISSIVE = frozenset({CommandKind.APPROVE, CommandKind.APPROVE_ROLE, CommandKind.UNHOLD})
APPROVING = frozenset({CommandKind.APPROVE, CommandKind.APPROVE_ROLE})


# -------------------------------------------------------------------------- evaluation


_CHANGES: tuple[HoldKind, ...] = ("changes_requested",)


@dataclass
class _Hold:
    actor: Actor
    at: datetime
    kind: HoldKind
    source: Source | None


@dataclass
class _Evaluation:
    """The replay of one timeline; every method handles one kind of event or command."""

    pr: PullRequestFacts
    roles: dict[str, RoleSpec]
    bot_login: str
    is_team_member: TeamMembership
    answered: Collection[str]
    answered_comments: Collection[int]
    review_approves: bool
    findings: list[TamperFinding]
    base: str | None
    head: str | None = None
    epoch: int = 0
    head_source: Source | None = None
    pushers: list[Actor] = field(default_factory=list)
    approvals: dict[str, list[Approval]] = field(default_factory=dict)
    holds: list[_Hold] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    responses: dict[str, CommentResponse | None] = field(default_factory=dict)
    created_epoch: dict[str, int] = field(default_factory=dict)
    label_events: dict[str, tuple[int, LabelItem]] = field(default_factory=dict)
    label_changed: dict[str, int] = field(default_factory=dict)
    membership: dict[tuple[str, str, str], bool] = field(default_factory=dict)
    author: Actor = field(init=False)

    def __post_init__(self) -> None:
        self.approvals = {name: [] for name in self.roles}
        self.author = Actor(self.pr.author, self.pr.author_id)

    # --- who is who

    def is_self(self, login: str) -> bool:
        return login.casefold() == self.bot_login.casefold()

    def is_bot(self, actor: Actor) -> bool:
        folded = actor.login.casefold()
        return (
            actor.type == BOT_USER_TYPE
            or folded.endswith(BOT_LOGIN_SUFFIX)
            or self.is_self(actor.login)
        )

    def is_author(self, actor: Actor) -> bool:
        return same_person(actor, self.author)

    def is_pusher(self, actor: Actor) -> bool:
        return any(same_person(actor, pusher) for pusher in self.pushers)

    def holds_role(self, role: RoleSpec, actor: Actor) -> bool:
        if role.named_holder(actor):
            return True
        return any(self.in_team(team, actor.login) for team in role.teams)

    def eligible_holder(self, actor: Actor) -> bool:
        """May approve and lift holds: holds a role, not the author, never pushed."""
        if self.is_author(actor) or self.is_pusher(actor) or self.is_bot(actor):
            return False
        return any(self.holds_role(role, actor) for role in self.roles.values())

    def in_team(self, team: str, login: str) -> bool:
        org, slug = team.split("/", 1)
        key = (org.casefold(), slug.casefold(), login.casefold())
        if key not in self.membership:
            self.membership[key] = self.is_team_member(org, slug, login) is True
        return self.membership[key]

    def role_filled_by(self, actor: Actor) -> str | None:
        for name, approvals in self.approvals.items():
            if any(self.approver_is(a, actor) for a in approvals):
                return name
        return None

    @staticmethod
    def approver_is(approval: Approval, actor: Actor) -> bool:
        return same_person(Actor(approval.login, approval.user_id), actor)

    def satisfied(self, name: str) -> bool:
        return len(self.approvals[name]) >= self.roles[name].required

    def desired_labels(self) -> set[str]:
        labels = {_approved_label(name) for name in self.roles if self.satisfied(name)}
        if self.holds:
            labels.add(HOLD_LABEL)
        return labels

    # --- the replay loop

    def replay(self, events: Sequence[_Event]) -> None:
        for index, event in enumerate(events):
            before = self.desired_labels()
            if isinstance(event, _Speech):
                self.on_speech(event)
            elif isinstance(event, PushItem):
                self.on_push(event)
            elif isinstance(event, BaseChange):
                self.on_base(event)
            elif isinstance(event, LabelItem):
                self.on_label(index, event)
            elif isinstance(event, _ReviewVerdict):
                self.on_verdict(event.review)
            elif isinstance(event, _Dismissed):
                self.on_dismissed(event)
            else:
                self.withdraw(
                    event.source,
                    event.at,
                    NOTE_WITHDRAWN.format(
                        kind=event.source.kind, id=event.source.id, how=event.how
                    ),
                )
            for label in before ^ self.desired_labels():
                self.label_changed[label] = index
        if self.head != self.pr.head_sha:
            self.reset(None, RESET_UNSEEN_PUSH.format(sha=self.pr.head_sha))
            self.head = self.pr.head_sha
        if self.pr.base_ref is not None and self.base is not None and self.base != self.pr.base_ref:
            self.reset(None, RESET_UNSEEN_BASE.format(base=self.pr.base_ref))

    def reset(self, at: datetime | None, why: str) -> None:
        """A new arrival drops every approval."""
        for name, approvals in self.approvals.items():
            for approval in approvals:
                self.record(
                    at, HistoryEvent.RESET, approval.login, why, role=name, sha=approval.sha
                )
            approvals.clear()

    def on_push(self, item: PushItem) -> None:
        """A new head resets every approval, whoever pushed it; the pusher never approves."""
        pusher = Actor(item.actor, item.actor_id)
        self.pushers.append(pusher)
        if item.sha == self.head:
            # Nothing new arrived, but a pusher never approves: their approvals go.
            for name, approvals in self.approvals.items():
                for approval in [a for a in approvals if self.approver_is(a, pusher)]:
                    approvals.remove(approval)
                    self.record(
                        item.at,
                        HistoryEvent.RESET,
                        approval.login,
                        RESET_BY_PUSH.format(sha=item.sha),
                        role=name,
                        sha=approval.sha,
                    )
            return
        self.reset(item.at, RESET_BY_PUSH.format(sha=item.sha))
        self.head = item.sha
        self.epoch += 1
        self.head_source = Source("push", f"{item.sha}@{_iso(item.at)}")

    def on_base(self, item: BaseChange) -> None:
        if self.base is not None and item.to_ref == self.base:
            return
        self.reset(item.at, RESET_BY_BASE.format(base=item.to_ref))
        self.base = item.to_ref
        self.epoch += 1

    def on_label(self, index: int, item: LabelItem) -> None:
        if not _is_managed_label(item.name):
            return
        name = item.name.casefold()
        self.label_events[name] = (index, item)
        actor = Actor(item.actor, item.actor_id, item.actor_type)
        if name != HOLD_LABEL or not item.added or self.is_self(item.actor):
            return
        if any(h.kind != "changes_requested" and same_person(h.actor, actor) for h in self.holds):
            return
        source = Source("label", item.key)
        self.holds.append(_Hold(actor, item.at, "label", source))
        self.record(item.at, HistoryEvent.HELD, item.actor, HOLD_BY_LABEL, source=source)

    # --- bodies

    def on_speech(self, speech: _Speech) -> None:
        if self.is_bot(speech.actor):
            return
        if speech.number == 0:
            self.created_epoch[speech.key.rsplit("#", 1)[0]] = self.epoch
        else:
            # An author's edit: what the body gave goes first, then the new body counts.
            self.withdraw(speech.source, speech.at, None, via="command")
        commands = parse_commands(speech.body)
        if not commands:
            self.respond(speech, ())
            return
        outcomes = [self.on_command(speech, command) for command in commands]
        self.respond(speech, outcomes)

    def respond(self, speech: _Speech, outcomes: Sequence[CommandOutcome]) -> None:
        subject = speech.key.rsplit("#", 1)[0]
        if not outcomes:
            if subject in self.responses:
                self.responses[subject] = None  # the latest revision says nothing
            return
        answered = speech.key in self.answered or (
            speech.number == 0
            and speech.source.kind == "comment"
            and speech.subject_id in self.answered_comments
        )
        self.responses[subject] = None if answered else _response(speech, outcomes)

    def edit_refusal(self, speech: _Speech, command: Command) -> _Outcome | None:
        if speech.restrictive and command.kind in PERMISSIVE | {CommandKind.INVALID}:
            return _refuse(REFUSE_HISTORY_UNKNOWN)
        subject = speech.key.rsplit("#", 1)[0]
        moved = self.created_epoch.get(subject, -1) != self.epoch
        if speech.number > 0 and moved and command.kind in PERMISSIVE:
            return _refuse(REFUSE_EDITED_AFTER_PUSH)
        review = speech.review
        if review is not None and command.kind in APPROVING and review.commit_id != self.head:
            return _refuse(REFUSE_REVIEW_COMMIT.format(commit=review.commit_id, sha=self.head))
        return None

    def on_command(self, speech: _Speech, command: Command) -> CommandOutcome:
        handlers: dict[CommandKind, Callable[[_Speech, Command], _Outcome]] = {
            CommandKind.APPROVE: self.approve_any,
            CommandKind.APPROVE_ROLE: self.approve_role,
            CommandKind.APPROVE_CANCEL: self.approve_cancel,
            CommandKind.HOLD: self.hold,
            CommandKind.UNHOLD: self.unhold,
            CommandKind.INVALID: self.invalid,
        }
        outcome = self.edit_refusal(speech, command) or handlers[command.kind](speech, command)
        if outcome.accepted and command.kind in APPROVING:
            self.lift_changes(speech.actor, speech.at, speech.source)
        if outcome.accepted and command.kind in PERMISSIVE and not speech.restrictive:
            self.answer_findings(speech.actor, speech.at, speech.source)
        if not outcome.accepted:
            self.refused(speech, f"{command.line}: {outcome.note}")
        return CommandOutcome(
            command.line, command.line_number, command.kind, outcome.accepted, outcome.note
        )

    def refused(self, speech: _Speech, detail: str) -> None:
        """Record a refusal once per body and reason, and never more than a few per body."""
        mine = [
            e
            for e in self.history[-MAX_OUTCOMES:]
            if e.event == HistoryEvent.REFUSED and e.source == speech.source and e.at == speech.at
        ]
        if any(e.detail == detail for e in mine) or len(mine) >= MAX_OUTCOMES:
            return
        self.log(speech, HistoryEvent.REFUSED, detail)

    def record(
        self,
        at: datetime | None,
        event: HistoryEvent,
        actor: str,
        detail: str,
        *,
        role: str | None = None,
        sha: str | None = None,
        comment_id: int | None = None,
        source: Source | None = None,
    ) -> None:
        self.history.append(HistoryEntry(at, event, actor, detail, role, sha, comment_id, source))

    def log(
        self, speech: _Speech, event: HistoryEvent, detail: str, role: str | None = None
    ) -> None:
        """Record what a body did, on the head it was written on."""
        self.record(
            speech.at,
            event,
            speech.actor.login,
            detail,
            role=role,
            sha=self.head,
            comment_id=speech.subject_id,
            source=speech.source,
        )

    # --- tamper findings

    def answer_findings(self, actor: Actor, at: datetime, source: Source) -> None:
        if not self.eligible_holder(actor):
            return
        for index, finding in enumerate(self.findings):
            if finding.answered_by is not None or finding.at >= at:
                continue
            tamperer = Actor(finding.actor, finding.actor_id) if finding.actor else None
            if tamperer is not None and same_person(tamperer, actor):
                continue
            self.findings[index] = replace(finding, answered_by=actor.login, answered_at=at)
            self.record(
                at,
                HistoryEvent.ANSWERED,
                actor.login,
                NOTE_TAMPER_ANSWERED.format(detail=finding.detail),
                source=source,
            )

    # --- commands

    def approver_refusal(self, actor: Actor) -> _Outcome | None:
        if self.is_author(actor):
            return _refuse(REFUSE_AUTHOR)
        if self.is_pusher(actor):
            return _refuse(REFUSE_PUSHER)
        if self.head is None:
            return _refuse(REFUSE_NO_HEAD)
        return None

    def approve_any(self, speech: _Speech, command: Command) -> _Outcome:
        return self.approve_bare(speech.actor, speech, "command")

    def approve_bare(
        self,
        actor: Actor,
        speech: _Speech | None,
        via: Literal["command", "review"],
        review: Review | None = None,
    ) -> _Outcome:
        refusal = self.approver_refusal(actor)
        if refusal is not None:
            return refusal
        filled = self.role_filled_by(actor)
        if filled is not None:
            return _accept(NOTE_ALREADY.format(role=filled))
        held = [name for name, role in self.roles.items() if self.holds_role(role, actor)]
        if not held:
            return _refuse(REFUSE_NO_ROLE.format(roles=_names(self.roles)))
        open_roles = [name for name in held if not self.satisfied(name)]
        if not open_roles:
            return _refuse(REFUSE_ALL_FILLED.format(roles=_names(held)))
        if len(open_roles) > 1:
            return _refuse(REFUSE_AMBIGUOUS.format(roles=_names(open_roles)))
        return self.add_approval(open_roles[0], actor, speech, via, review)

    def approve_role(self, speech: _Speech, command: Command) -> _Outcome:
        actor = speech.actor
        role = self.roles.get(command.argument)
        if role is None:
            return _refuse(
                REFUSE_UNKNOWN_ROLE.format(role=_code(command.argument), roles=_names(self.roles))
            )
        refusal = self.approver_refusal(actor)
        if refusal is not None:
            return refusal
        if not self.holds_role(role, actor):
            if role.pinned_elsewhere(actor):
                return _refuse(
                    REFUSE_PINNED.format(role=_code(role.name), login=_code(actor.login))
                )
            return _refuse(REFUSE_NOT_HOLDER.format(role=_code(role.name)))
        filled = self.role_filled_by(actor)
        if filled == role.name:
            return _accept(NOTE_ALREADY.format(role=role.name))
        if filled is not None:
            return _refuse(REFUSE_ONE_ROLE.format(filled=_code(filled)))
        return self.add_approval(role.name, actor, speech, "command")

    def add_approval(
        self,
        role: str,
        actor: Actor,
        speech: _Speech | None,
        via: Literal["command", "review"],
        review: Review | None = None,
    ) -> _Outcome:
        assert self.head is not None
        if speech is not None:
            at, subject_id, source = speech.at, speech.subject_id, speech.source
        else:
            assert review is not None
            at, subject_id, source = review.submitted_at, review.id, review_source(review)
        self.approvals[role].append(
            Approval(actor.login, at, self.head, subject_id, source, actor.id, via)
        )
        self.record(
            at,
            HistoryEvent.APPROVED,
            actor.login,
            NOTE_APPROVED.format(role=role),
            role=role,
            sha=self.head,
            comment_id=subject_id,
            source=source,
        )
        return _accept(NOTE_APPROVED.format(role=role))

    def cancel_for(self, actor: Actor, at: datetime, source: Source | None) -> list[str]:
        withdrawn: list[str] = []
        for name, approvals in self.approvals.items():
            kept = [a for a in approvals if not self.approver_is(a, actor)]
            if len(kept) != len(approvals):
                withdrawn.append(name)
                self.approvals[name] = kept
                self.record(
                    at,
                    HistoryEvent.CANCELLED,
                    actor.login,
                    NOTE_CANCELLED.format(role=name),
                    role=name,
                    sha=self.head,
                    comment_id=int(source.id) if source else None,
                    source=source,
                )
        return withdrawn

    def approve_cancel(self, speech: _Speech, command: Command) -> _Outcome:
        withdrawn = self.cancel_for(speech.actor, speech.at, speech.source)
        if not withdrawn:
            return _refuse(REFUSE_NOTHING_TO_CANCEL)
        return _accept("; ".join(NOTE_CANCELLED.format(role=name) for name in withdrawn))

    def withdraw(
        self, source: Source, at: datetime, detail: str | None, via: str | None = None
    ) -> None:
        """Drop the approvals a body gave (``via`` narrows to command or review state)."""
        for name, approvals in self.approvals.items():
            gone = [a for a in approvals if a.source == source and (via is None or a.via == via)]
            for approval in gone:
                approvals.remove(approval)
                self.record(
                    at,
                    HistoryEvent.CANCELLED,
                    approval.login,
                    detail or NOTE_CANCELLED.format(role=name),
                    role=name,
                    sha=approval.sha,
                    comment_id=approval.comment_id,
                    source=source,
                )

    def own_holds(self, actor: Actor, kinds: Collection[HoldKind]) -> list[_Hold]:
        return [h for h in self.holds if h.kind in kinds and same_person(h.actor, actor)]

    def hold(self, speech: _Speech, command: Command) -> _Outcome:
        if self.own_holds(speech.actor, ("command", "label")):
            return _accept(NOTE_ALREADY_HELD)
        self.holds.append(_Hold(speech.actor, speech.at, "command", speech.source))
        detail = f"{NOTE_HELD}: {command.argument}" if command.argument else NOTE_HELD
        self.log(speech, HistoryEvent.HELD, detail)
        return _accept(detail)

    def unhold(self, speech: _Speech, command: Command) -> _Outcome:
        if not self.holds:
            return _refuse(REFUSE_NOT_HELD)
        actor = speech.actor
        lifted = self.own_holds(actor, ("command", "label", "changes_requested"))
        if self.eligible_holder(actor):
            lifted += [h for h in self.holds if h.kind != "changes_requested" and h not in lifted]
        if not lifted:
            changes = [h.actor.login for h in self.holds if h.kind == "changes_requested"]
            others = [h.actor.login for h in self.holds if h.kind != "changes_requested"]
            if others:
                return _refuse(REFUSE_UNHOLD.format(holders=_names(_unique(others))))
            return _refuse(REFUSE_UNHOLD_CHANGES.format(holders=_names(_unique(changes))))
        note = NOTE_UNHELD.format(holders=", ".join(_unique(h.actor.login for h in lifted)))
        self.holds = [h for h in self.holds if h not in lifted]
        self.log(speech, HistoryEvent.UNHELD, note)
        return _accept(note)

    def invalid(self, speech: _Speech, command: Command) -> _Outcome:
        if command.verb == "approve":
            return _refuse(REFUSE_INVALID_APPROVE)
        if command.verb == "remove-approve":
            return _refuse(REFUSE_INVALID_REMOVE)
        return _refuse(REFUSE_INVALID_UNHOLD)

    # --- reviews

    def lift_changes(self, actor: Actor, at: datetime, source: Source) -> None:
        lifted = self.own_holds(actor, _CHANGES)
        if not lifted:
            return
        self.holds = [h for h in self.holds if h not in lifted]
        self.record(
            at,
            HistoryEvent.UNHELD,
            actor.login,
            NOTE_CHANGES_LIFTED.format(login=actor.login),
            source=source,
        )

    def on_verdict(self, review: Review) -> None:
        actor = review.author
        if self.is_bot(actor) or review.state == "COMMENTED":
            return
        source = review_source(review)
        at = review.submitted_at
        if review.state == "CHANGES_REQUESTED":
            self.cancel_for(actor, at, source)
            earlier = self.own_holds(actor, _CHANGES)
            self.holds = [h for h in self.holds if h not in earlier]
            self.holds.append(_Hold(actor, at, "changes_requested", source))
            self.record(
                at,
                HistoryEvent.HELD,
                actor.login,
                NOTE_CHANGES_REQUESTED,
                sha=review.commit_id,
                comment_id=review.id,
                source=source,
            )
            return
        self.lift_changes(actor, at, source)
        if not self.review_approves:
            return
        if review.commit_id != self.head:
            outcome = _refuse(REFUSE_REVIEW_COMMIT.format(commit=review.commit_id, sha=self.head))
        else:
            outcome = self.approve_bare(actor, None, "review", review)
        if outcome.accepted:
            self.answer_findings(actor, at, source)
        else:
            self.record(
                at,
                HistoryEvent.REFUSED,
                actor.login,
                f"{NOTE_REVIEW_APPROVED.format(id=review.id)}: {outcome.note}",
                sha=self.head,
                comment_id=review.id,
                source=source,
            )

    def on_dismissed(self, event: _Dismissed) -> None:
        review, dismissal = event.review, event.dismissal
        source = review_source(review)
        self.withdraw(
            source,
            dismissal.at,
            NOTE_WITHDRAWN.format(
                kind="review", id=review.id, how=f"dismissed by {dismissal.actor.login}"
            ),
        )
        lifted = [h for h in self.holds if h.kind == "changes_requested" and h.source == source]
        if not lifted:
            return
        actor = dismissal.actor
        if not (same_person(actor, review.author) or self.eligible_holder(actor)):
            self.record(
                dismissal.at,
                HistoryEvent.REFUSED,
                actor.login,
                REFUSE_DISMISSAL.format(actor=actor.login, author=review.author.login),
                comment_id=review.id,
                source=source,
            )
            return
        self.holds = [h for h in self.holds if h not in lifted]
        self.record(
            dismissal.at,
            HistoryEvent.UNHELD,
            actor.login,
            NOTE_CHANGES_LIFTED.format(login=review.author.login),
            source=source,
        )

    # --- results

    def role_states(self) -> tuple[RoleState, ...]:
        return tuple(_role_state(role, self.approvals[name]) for name, role in self.roles.items())

    def hold_state(self) -> HoldState:
        if not self.holds:
            return HoldState(False, (), None)
        holds = sorted(self.holds, key=lambda h: (h.at, h.actor.login))
        entries = tuple(HoldEntry(h.actor.login, h.actor.id, h.at, h.kind, h.source) for h in holds)
        return HoldState(True, tuple(_unique(h.actor.login for h in holds)), holds[0].at, entries)

    def label_reverts(self, answered: Collection[str]) -> tuple[LabelRevert, ...]:
        desired = self.desired_labels()
        reverts = []
        for name, (index, event) in sorted(self.label_events.items()):
            if self.is_self(event.actor) or event.added == (name in desired):
                continue
            if self.label_changed.get(name, -1) > index or event.key in answered:
                continue  # the state moved on since: the plain label sync settles it
            action: Literal["add", "remove"] = "remove" if event.added else "add"
            reverts.append(
                LabelRevert(
                    name, action, event.actor, event.at, event.key, self.revert_reply(name, event)
                )
            )
        return tuple(reverts)

    def revert_reply(self, name: str, event: LabelItem) -> str:
        if name == HOLD_LABEL:
            holders = _names(_unique(h.actor.login for h in self.holds))
            return LABEL_HOLD_RESTORED.format(actor=event.actor, holders=holders)
        role_name = name[len(APPROVED_LABEL_PREFIX) :]
        role = self.roles.get(role_name)
        # The label's name is anyone's text: no backtick may close the code span around it.
        values = {
            "actor": event.actor,
            "label": name.replace("`", "'"),
            "role": role_name.replace("`", "'"),
        }
        if not event.added:
            approvers = _names(a.login for a in self.approvals.get(role_name, []))
            return LABEL_RESTORED.format(approvers=approvers, **values)
        if role is None:
            return LABEL_NO_ROLE.format(**values)
        if self.holds_role(role, Actor(event.actor, event.actor_id)):
            return LABEL_USE_COMMAND.format(**values)
        return LABEL_NOT_HOLDER.format(**values)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return list(seen.values())


def _role_state(role: RoleSpec, approvals: Sequence[Approval]) -> RoleState:
    count = len(approvals)
    if count >= role.required:
        status: Literal["approved", "partial", "pending"] = "approved"
        text = "approved"
    elif count == 0:
        status = text = "pending"
    else:
        status = "partial"
        text = f"partial {count} of {role.required}"
    return RoleState(
        role.name, role.required, tuple(approvals), count >= role.required, status, text
    )


def _response(speech: _Speech, outcomes: Sequence[CommandOutcome]) -> CommentResponse:
    kept, omitted = collapse(outcomes)
    reply = refusal_reply(speech.actor.login, kept, omitted)
    subject: Literal["comment", "review"] = "review" if speech.review is not None else "comment"
    reaction = REACTION_ACCEPTED if reply is None else REACTION_REFUSED
    return CommentResponse(
        speech.subject_id, reaction, reply, kept, speech.key, subject, speech.number, omitted
    )


def _pr_reasons(pr: PullRequestFacts) -> list[str]:
    if pr.merged:
        return [REASON_MERGED]
    reasons = []
    if pr.state != "open":
        reasons.append(REASON_NOT_OPEN.format(state=pr.state))
    if pr.draft:
        reasons.append(REASON_DRAFT)
    if pr.mergeable is None:
        reasons.append(REASON_MERGEABLE_UNKNOWN)
    elif not pr.mergeable:
        reasons.append(REASON_NOT_MERGEABLE)
    if pr.base_ref is None and pr.release_branch is None:
        return reasons  # legacy facts: the layer has not said which branch is the target
    if pr.base_ref is None or pr.release_branch is None:
        reasons.append(REASON_BASE_UNKNOWN)
    elif pr.base_ref != pr.release_branch:
        reasons.append(
            REASON_BASE.format(base=_code(pr.base_ref), release=_code(pr.release_branch))
        )
    return reasons


def _audit_reasons(audit: AuditStatus | None, head: str) -> list[str]:
    if audit is None:
        return [REASON_NO_AUDIT.format(sha=head)]
    if audit.sha != head:
        return [REASON_AUDIT_OLD.format(audit_sha=audit.sha, sha=head)]
    if audit.conclusion != AUDIT_SUCCESS:
        return [REASON_AUDIT_RED.format(conclusion=audit.conclusion, sha=head)]
    return []


def _tamper_reasons(findings: Sequence[TamperFinding]) -> list[str]:
    open_findings = [f for f in findings if f.answered_by is None]
    if not open_findings:
        return []
    details = "; ".join(f.detail for f in open_findings[:MAX_REASON_FINDINGS])
    if len(open_findings) > MAX_REASON_FINDINGS:
        details += f"; and {len(open_findings) - MAX_REASON_FINDINGS} more"
    return [REASON_TAMPER.format(count=len(open_findings), details=details)]


def _merge_decision(
    pr: PullRequestFacts,
    roles: Sequence[RoleState],
    hold: HoldState,
    audit: AuditStatus | None,
    findings: Sequence[TamperFinding],
) -> MergeDecision:
    reasons = _pr_reasons(pr)
    reasons += [
        REASON_ROLE_PENDING.format(
            role=r.name, count=len(r.approvers), required=r.required, sha=pr.head_sha
        )
        for r in roles
        if not r.satisfied
    ]
    reasons += _audit_reasons(audit, pr.head_sha)
    if hold.held:
        reasons.append(REASON_HELD.format(holders=", ".join(hold.by)))
    reasons += _tamper_reasons(findings)
    if reasons:
        return MergeDecision("not_ready", None, tuple(reasons))
    return MergeDecision("merge", pr.head_sha, ())


def _role_table(roles: Sequence[Role | RoleSpec]) -> dict[str, RoleSpec]:
    if not roles:
        raise ValueError("the approval chain needs at least one role")
    table: dict[str, RoleSpec] = {}
    for role in roles:
        if role.name in table:
            raise ValueError(f"role {role.name!r} is listed more than once")
        table[role.name] = RoleSpec.of(role)
    return table


def evaluate(
    pr: PullRequestFacts,
    timeline: Iterable[TimelineItem],
    roles: Sequence[Role | RoleSpec],
    *,
    bot_login: str,
    is_team_member: TeamMembership,
    audit: AuditStatus | None,
    answered_comments: Collection[int] = frozenset(),
    answered_reverts: Collection[str] = frozenset(),
    answered: Collection[str] = frozenset(),
    review_approves: bool = False,
) -> ApprovalState:
    """Replay the pull request's history and decide labels, replies and the merge.

    ``roles`` must come from ``governance.yml`` on the release branch (a :class:`RoleSpec`
    pins holders by user id). ``answered_comments`` holds the ids of comments the bot
    already reacted to (their first revision); ``answered`` the
    :attr:`CommentResponse.key` of any revision already answered; ``answered_reverts``
    the :attr:`LabelItem.key` of label changes already explained. ``review_approves``
    makes an ``APPROVE`` review count as ``/approve`` (governance
    ``approval.review_approves``, default off).
    """
    if not bot_login:
        raise ValueError("bot_login must name the bot's own GitHub login")
    inputs = _prepare(timeline)
    run = _Evaluation(
        pr,
        _role_table(roles),
        bot_login,
        is_team_member,
        frozenset(answered),
        frozenset(answered_comments),
        review_approves,
        list(inputs.findings),
        inputs.first_base if inputs.first_base is not None else pr.base_ref,
    )
    run.replay(inputs.events)
    for finding in run.findings:
        run.record(
            finding.at,
            HistoryEvent.TAMPERED,
            finding.actor or "(unknown)",
            finding.detail,
            source=finding.source,
        )
    role_states = run.role_states()
    hold = run.hold_state()
    desired = run.desired_labels()
    current = {label.casefold(): label for label in pr.labels}
    return ApprovalState(
        pr_number=pr.number,
        head_sha=pr.head_sha,
        roles=role_states,
        hold=hold,
        history=tuple(sorted(run.history, key=_history_key)),
        desired_labels=tuple(sorted(desired)),
        labels_to_add=tuple(sorted(desired - current.keys())),
        labels_to_remove=tuple(
            sorted(
                label
                for key, label in current.items()
                if _is_managed_label(key) and key not in desired
            )
        ),
        responses=tuple(r for r in run.responses.values() if r is not None),
        label_reverts=run.label_reverts(answered_reverts),
        merge=_merge_decision(pr, role_states, hold, audit, run.findings),
        findings=tuple(run.findings),
        head_source=run.head_source,
        base_ref=pr.base_ref,
    )


def _history_key(entry: HistoryEntry) -> tuple[int, datetime]:
    """Time order; the resets for a push not yet in the timeline come last."""
    if entry.at is None:
        return (1, datetime.min.replace(tzinfo=UTC))
    return (0, entry.at)

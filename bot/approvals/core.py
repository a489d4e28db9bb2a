# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The approval chain's decisions, computed from a pull request's history alone.

:func:`evaluate` is pure: facts about the pull request, its timeline (comments, pushes,
label changes), the roles from ``governance.yml`` *on the base branch*, and the audit
conclusion go in; an :class:`ApprovalState` comes out. The GitHub layer fetches the
inputs and applies the decisions (reactions, replies, labels, merge); nothing here calls
GitHub, except through the injected ``is_team_member``.

As in Prow's approve plugin, the state is recomputed from the whole current history on
every event, so a missed, repeated or reordered event cannot corrupt it.

Rules and the choices made where the issue left them open:

* The timeline is replayed in time order; at equal timestamps comments come before label
  changes and label changes before pushes, so an approval in the same second as a push
  is reset by it (fail closed). The layer must include a :class:`PushItem` for the head
  the pull request was opened with; commands before any known push are refused.
* An edited comment takes effect at its edit time (``updated_at``), with its current body
  and the head at edit time. Prow also reads the current body; using the edit time means
  an approval added by an edit is given on the commit the approver saw when editing,
  never back-dated onto an older commit, and a later edit outranks earlier commands.
  A deleted comment's commands vanish.
* One person fills one role per head commit. A bare ``/approve`` fills the one role the
  commenter holds that still needs approvers; if several qualify it asks the commenter
  to name one, because choosing which role a person speaks for is a governance decision
  the approver should make, not the bot.
* Anyone but a bot may ``/hold`` (so may the author: a brake should be easy to pull),
  and adding the ``hold`` label by hand also holds. ``/unhold`` (or ``/hold cancel``)
  lifts every hold when it comes from a role holder who is not the author; anyone else
  lifts only their own hold.
* Labels are derived from the comments: ``approved:<role>`` for each satisfied role and
  ``hold`` while held. Any label change by someone other than the bot is reverted with a
  reply, except a human adding ``hold`` (honoured as a hold). Every ``approved:*`` label
  belongs to the bot, so one naming no role is removed.
* Team membership is asked of ``is_team_member`` once per (team, login) per evaluation;
  only a plain ``True`` counts, so pending memberships must answer ``False``. An
  exception from it propagates: better no decision than one on a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from bot.approvals.commands import Command, CommandKind, parse_commands
from modelgate.governance import APPROVED_LABEL_PREFIX, Role

SCHEMA_VERSION = 1
HOLD_LABEL = "hold"
BOT_LOGIN_SUFFIX = "[bot]"
BOT_USER_TYPE = "Bot"
AUDIT_SUCCESS = "success"
REACTION_ACCEPTED = "+1"
REACTION_REFUSED = "confused"
MAX_QUOTED_LINE = 120

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

# Notes on accepted commands (kept in the outcomes and the history, never replied).
NOTE_APPROVED = "approved as {role}"
NOTE_ALREADY = "already approved as {role}"
NOTE_CANCELLED = "withdrew the approval as {role}"
NOTE_HELD = "held"
NOTE_ALREADY_HELD = "already holding"
NOTE_UNHELD = "lifted the hold by {holders}"

REPLY_HEADER = "@{login} I did not act on {count} command(s) in this comment:"
REPLY_ITEM = "- {line}: {reason}"
REPLY_FOOTER = "Roles and their holders are read from `governance.yml` on the base branch."

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

RESET_BY_PUSH = "reset by push {sha}"
RESET_UNSEEN_PUSH = "reset by push {sha} (the head moved; its push is not in the timeline yet)"
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


def _need_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


# ----------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class PullRequestFacts:
    """What GitHub says about the pull request now."""

    number: int
    author: str
    head_sha: str
    state: str  # "open" or "closed"
    mergeable: bool | None  # None while GitHub is still computing it
    merged: bool
    draft: bool = False
    labels: frozenset[str] = frozenset()  # the labels on the pull request now

    def __post_init__(self) -> None:
        if not self.head_sha:
            raise ValueError("PullRequestFacts.head_sha must not be empty")


@dataclass(frozen=True)
class CommentItem:
    """A pull-request conversation comment with its current body.

    ``updated_at`` must be when the body was last edited (``created_at`` if never): an
    edit takes effect then, on the head of that moment, so a time moved by anything else
    would carry an approval onto a later commit.
    """

    id: int
    author: str
    author_type: str  # GitHub's user.type: "User", "Bot", "Organization"
    body: str
    created_at: datetime
    updated_at: datetime
    deleted: bool = False

    def __post_init__(self) -> None:
        _need_aware(self.created_at, f"comment {self.id} created_at")
        _need_aware(self.updated_at, f"comment {self.id} updated_at")

    @property
    def at(self) -> datetime:
        """When the current body took effect: the last edit, or the creation."""
        return max(self.created_at, self.updated_at)


@dataclass(frozen=True)
class PushItem:
    """The head of the pull request became ``sha`` (opening, push or force-push)."""

    sha: str
    at: datetime
    actor: str

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

    def __post_init__(self) -> None:
        _need_aware(self.at, f"label {self.name!r} at")

    @property
    def key(self) -> str:
        """Identifies this change, so that the layer can tell whether it was answered."""
        action = "added" if self.added else "removed"
        return f"{self.name.casefold()}|{action}|{self.actor.casefold()}|{_iso(self.at)}"


TimelineItem = CommentItem | PushItem | LabelItem


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
    comment_id: int


@dataclass(frozen=True)
class RoleState:
    """One row of the card's approval table."""

    name: str
    required: int
    approvers: tuple[Approval, ...]
    satisfied: bool
    status: Literal["approved", "partial", "pending"]
    status_text: str  # "approved", "pending" or "partial 1 of 2"


@dataclass(frozen=True)
class HoldState:
    held: bool
    by: tuple[str, ...]
    since: datetime | None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None  # None only for a reset whose push is not in the timeline yet
    event: HistoryEvent
    actor: str
    detail: str
    role: str | None = None
    sha: str | None = None
    comment_id: int | None = None


@dataclass(frozen=True)
class CommandOutcome:
    line: str
    line_number: int
    kind: CommandKind
    accepted: bool
    note: str  # what happened, or why it was refused


@dataclass(frozen=True)
class CommentResponse:
    """What the bot answers to one comment: a reaction, and a reply when it refused."""

    comment_id: int
    reaction: str
    reply: str | None
    outcomes: tuple[CommandOutcome, ...]


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
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO 8601 UTC), as the card and artifact embed it."""
        result = _jsonable(self)
        assert isinstance(result, dict)
        return result


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


def _code(text: str) -> str:
    """Inline code that no backtick in ``text`` can close; mentions in it notify no one."""
    text = text if len(text) <= MAX_QUOTED_LINE else text[: MAX_QUOTED_LINE - 1] + "…"
    run = 1
    while "`" * run in text:
        run += 1
    ticks = "`" * run
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _names(values: Iterable[str]) -> str:
    return ", ".join(_code(v) for v in values) or "(none)"


def _approved_label(role: str) -> str:
    return APPROVED_LABEL_PREFIX + role


def _is_managed_label(name: str) -> bool:
    folded = name.casefold()
    return folded == HOLD_LABEL or folded.startswith(APPROVED_LABEL_PREFIX)


def _sort_key(item: TimelineItem) -> tuple[datetime, int, str]:
    if isinstance(item, CommentItem):
        return (item.at, 0, f"{item.id:020d}")
    if isinstance(item, LabelItem):
        return (item.at, 1, item.key)
    return (item.at, 2, item.sha)


def _ordered(timeline: Iterable[TimelineItem]) -> list[TimelineItem]:
    """Deduplicated and in replay order, whatever order and repeats the layer sends."""
    comments: dict[int, CommentItem] = {}
    others: set[PushItem | LabelItem] = set()
    for item in timeline:
        if not isinstance(item, CommentItem):
            others.add(item)
            continue
        seen = comments.get(item.id)
        if seen is None:
            comments[item.id] = item
            continue
        newest = max(seen, item, key=lambda c: (c.updated_at, c.deleted, c.body))
        comments[item.id] = replace(newest, deleted=seen.deleted or item.deleted)
    return sorted([*comments.values(), *others], key=_sort_key)


@dataclass
class _Outcome:
    accepted: bool
    note: str


def _accept(note: str) -> _Outcome:
    return _Outcome(True, note)


def _refuse(note: str) -> _Outcome:
    return _Outcome(False, note)


# -------------------------------------------------------------------------- evaluation


@dataclass
class _Hold:
    login: str
    at: datetime


@dataclass
class _Evaluation:
    """The replay of one timeline; every method handles one kind of event or command."""

    pr: PullRequestFacts
    roles: dict[str, Role]
    bot_login: str
    is_team_member: TeamMembership
    answered_comments: Collection[int]
    head: str | None = None
    approvals: dict[str, list[Approval]] = field(default_factory=dict)
    holds: dict[str, _Hold] = field(default_factory=dict)
    history: list[HistoryEntry] = field(default_factory=list)
    responses: list[CommentResponse] = field(default_factory=list)
    label_events: dict[str, tuple[int, LabelItem]] = field(default_factory=dict)
    label_changed: dict[str, int] = field(default_factory=dict)
    membership: dict[tuple[str, str, str], bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.approvals = {name: [] for name in self.roles}

    # --- who is who

    def is_self(self, login: str) -> bool:
        return login.casefold() == self.bot_login.casefold()

    def is_bot(self, login: str, user_type: str) -> bool:
        folded = login.casefold()
        return (
            user_type == BOT_USER_TYPE or folded.endswith(BOT_LOGIN_SUFFIX) or self.is_self(login)
        )

    def is_author(self, login: str) -> bool:
        return login.casefold() == self.pr.author.casefold()

    def holds_role(self, role: Role, login: str) -> bool:
        folded = login.casefold()
        if any(user.casefold() == folded for user in role.users):
            return True
        return any(self.in_team(team, login) for team in role.teams)

    def in_team(self, team: str, login: str) -> bool:
        org, slug = team.split("/", 1)
        key = (org.casefold(), slug.casefold(), login.casefold())
        if key not in self.membership:
            self.membership[key] = self.is_team_member(org, slug, login) is True
        return self.membership[key]

    def role_filled_by(self, login: str) -> str | None:
        folded = login.casefold()
        for name, approvals in self.approvals.items():
            if any(a.login.casefold() == folded for a in approvals):
                return name
        return None

    def satisfied(self, name: str) -> bool:
        return len(self.approvals[name]) >= self.roles[name].required

    def desired_labels(self) -> set[str]:
        labels = {_approved_label(name) for name in self.roles if self.satisfied(name)}
        if self.holds:
            labels.add(HOLD_LABEL)
        return labels

    # --- the replay loop

    def replay(self, items: Sequence[TimelineItem]) -> None:
        for index, item in enumerate(items):
            before = self.desired_labels()
            if isinstance(item, CommentItem):
                self.on_comment(item)
            elif isinstance(item, PushItem):
                self.on_push(item.sha, item.at, RESET_BY_PUSH)
            else:
                self.on_label(index, item)
            for label in before ^ self.desired_labels():
                self.label_changed[label] = index
        if self.head != self.pr.head_sha:
            self.on_push(self.pr.head_sha, None, RESET_UNSEEN_PUSH)

    def on_push(self, sha: str, at: datetime | None, why: str) -> None:
        """A new head resets every approval, whoever pushed it."""
        if sha == self.head:
            return
        for name, approvals in self.approvals.items():
            for approval in approvals:
                self.record(
                    at,
                    HistoryEvent.RESET,
                    approval.login,
                    why.format(sha=sha),
                    role=name,
                    sha=approval.sha,
                )
            approvals.clear()
        self.head = sha

    def on_label(self, index: int, item: LabelItem) -> None:
        if not _is_managed_label(item.name):
            return
        name = item.name.casefold()
        self.label_events[name] = (index, item)
        holder = item.actor.casefold()
        if name != HOLD_LABEL or not item.added or self.is_self(item.actor) or holder in self.holds:
            return
        self.holds[holder] = _Hold(item.actor, item.at)
        self.record(item.at, HistoryEvent.HELD, item.actor, HOLD_BY_LABEL)

    def on_comment(self, comment: CommentItem) -> None:
        if comment.deleted or self.is_bot(comment.author, comment.author_type):
            return
        commands = parse_commands(comment.body)
        if not commands:
            return
        outcomes = tuple(self.on_command(comment, command) for command in commands)
        if comment.id not in self.answered_comments:
            self.responses.append(_response(comment, outcomes))

    def on_command(self, comment: CommentItem, command: Command) -> CommandOutcome:
        handlers: dict[CommandKind, Callable[[CommentItem, Command], _Outcome]] = {
            CommandKind.APPROVE: self.approve_any,
            CommandKind.APPROVE_ROLE: self.approve_role,
            CommandKind.APPROVE_CANCEL: self.approve_cancel,
            CommandKind.HOLD: self.hold,
            CommandKind.UNHOLD: self.unhold,
            CommandKind.INVALID: self.invalid,
        }
        outcome = handlers[command.kind](comment, command)
        if not outcome.accepted:
            self.log(comment, HistoryEvent.REFUSED, f"{command.line}: {outcome.note}")
        return CommandOutcome(
            command.line, command.line_number, command.kind, outcome.accepted, outcome.note
        )

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
    ) -> None:
        self.history.append(HistoryEntry(at, event, actor, detail, role, sha, comment_id))

    def log(
        self, comment: CommentItem, event: HistoryEvent, detail: str, role: str | None = None
    ) -> None:
        """Record what a comment did, on the head it was made on."""
        self.record(
            comment.at,
            event,
            comment.author,
            detail,
            role=role,
            sha=self.head,
            comment_id=comment.id,
        )

    # --- commands

    def approver_refusal(self, login: str) -> _Outcome | None:
        if self.is_author(login):
            return _refuse(REFUSE_AUTHOR)
        if self.head is None:
            return _refuse(REFUSE_NO_HEAD)
        return None

    def approve_any(self, comment: CommentItem, command: Command) -> _Outcome:
        login = comment.author
        refusal = self.approver_refusal(login)
        if refusal is not None:
            return refusal
        filled = self.role_filled_by(login)
        if filled is not None:
            return _accept(NOTE_ALREADY.format(role=filled))
        held = [name for name, role in self.roles.items() if self.holds_role(role, login)]
        if not held:
            return _refuse(REFUSE_NO_ROLE.format(roles=_names(self.roles)))
        open_roles = [name for name in held if not self.satisfied(name)]
        if not open_roles:
            return _refuse(REFUSE_ALL_FILLED.format(roles=_names(held)))
        if len(open_roles) > 1:
            return _refuse(REFUSE_AMBIGUOUS.format(roles=_names(open_roles)))
        return self.add_approval(open_roles[0], comment)

    def approve_role(self, comment: CommentItem, command: Command) -> _Outcome:
        login = comment.author
        role = self.roles.get(command.argument)
        if role is None:
            return _refuse(
                REFUSE_UNKNOWN_ROLE.format(role=_code(command.argument), roles=_names(self.roles))
            )
        refusal = self.approver_refusal(login)
        if refusal is not None:
            return refusal
        if not self.holds_role(role, login):
            return _refuse(REFUSE_NOT_HOLDER.format(role=_code(role.name)))
        filled = self.role_filled_by(login)
        if filled == role.name:
            return _accept(NOTE_ALREADY.format(role=role.name))
        if filled is not None:
            return _refuse(REFUSE_ONE_ROLE.format(filled=_code(filled)))
        return self.add_approval(role.name, comment)

    def add_approval(self, role: str, comment: CommentItem) -> _Outcome:
        assert self.head is not None
        self.approvals[role].append(Approval(comment.author, comment.at, self.head, comment.id))
        self.log(comment, HistoryEvent.APPROVED, NOTE_APPROVED.format(role=role), role)
        return _accept(NOTE_APPROVED.format(role=role))

    def approve_cancel(self, comment: CommentItem, command: Command) -> _Outcome:
        folded = comment.author.casefold()
        withdrawn: list[str] = []
        for name, approvals in self.approvals.items():
            kept = [a for a in approvals if a.login.casefold() != folded]
            if len(kept) != len(approvals):
                withdrawn.append(name)
                self.approvals[name] = kept
                self.log(comment, HistoryEvent.CANCELLED, NOTE_CANCELLED.format(role=name), name)
        if not withdrawn:
            return _refuse(REFUSE_NOTHING_TO_CANCEL)
        return _accept("; ".join(NOTE_CANCELLED.format(role=name) for name in withdrawn))

    def hold(self, comment: CommentItem, command: Command) -> _Outcome:
        folded = comment.author.casefold()
        if folded in self.holds:
            return _accept(NOTE_ALREADY_HELD)
        self.holds[folded] = _Hold(comment.author, comment.at)
        detail = f"{NOTE_HELD}: {command.argument}" if command.argument else NOTE_HELD
        self.log(comment, HistoryEvent.HELD, detail)
        return _accept(detail)

    def unhold(self, comment: CommentItem, command: Command) -> _Outcome:
        if not self.holds:
            return _refuse(REFUSE_NOT_HELD)
        folded = comment.author.casefold()
        if self.may_lift_all(comment.author):
            lifted = list(self.holds)
        elif folded in self.holds:
            lifted = [folded]
        else:
            holders = _names(h.login for h in self.holds.values())
            return _refuse(REFUSE_UNHOLD.format(holders=holders))
        note = NOTE_UNHELD.format(holders=", ".join(self.holds[k].login for k in lifted))
        for key in lifted:
            del self.holds[key]
        self.log(comment, HistoryEvent.UNHELD, note)
        return _accept(note)

    def may_lift_all(self, login: str) -> bool:
        if self.is_author(login):
            return False
        return any(self.holds_role(role, login) for role in self.roles.values())

    def invalid(self, comment: CommentItem, command: Command) -> _Outcome:
        if command.verb == "approve":
            return _refuse(REFUSE_INVALID_APPROVE)
        return _refuse(REFUSE_INVALID_UNHOLD)

    # --- results

    def role_states(self) -> tuple[RoleState, ...]:
        return tuple(_role_state(role, self.approvals[name]) for name, role in self.roles.items())

    def hold_state(self) -> HoldState:
        if not self.holds:
            return HoldState(False, (), None)
        holds = sorted(self.holds.values(), key=lambda h: (h.at, h.login))
        return HoldState(True, tuple(h.login for h in holds), holds[0].at)

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
            holders = _names(h.login for h in self.holds.values())
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
        if self.holds_role(role, event.actor):
            return LABEL_USE_COMMAND.format(**values)
        return LABEL_NOT_HOLDER.format(**values)


def _role_state(role: Role, approvals: Sequence[Approval]) -> RoleState:
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


def _response(comment: CommentItem, outcomes: tuple[CommandOutcome, ...]) -> CommentResponse:
    refused = [o for o in outcomes if not o.accepted]
    if not refused:
        return CommentResponse(comment.id, REACTION_ACCEPTED, None, outcomes)
    lines = [REPLY_HEADER.format(login=comment.author, count=len(refused)), ""]
    lines += [REPLY_ITEM.format(line=_code(o.line), reason=o.note) for o in refused]
    lines += ["", REPLY_FOOTER]
    return CommentResponse(comment.id, REACTION_REFUSED, "\n".join(lines), outcomes)


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
    return reasons


def _audit_reasons(audit: AuditStatus | None, head: str) -> list[str]:
    if audit is None:
        return [REASON_NO_AUDIT.format(sha=head)]
    if audit.sha != head:
        return [REASON_AUDIT_OLD.format(audit_sha=audit.sha, sha=head)]
    if audit.conclusion != AUDIT_SUCCESS:
        return [REASON_AUDIT_RED.format(conclusion=audit.conclusion, sha=head)]
    return []


def _merge_decision(
    pr: PullRequestFacts, roles: Sequence[RoleState], hold: HoldState, audit: AuditStatus | None
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
    if reasons:
        return MergeDecision("not_ready", None, tuple(reasons))
    return MergeDecision("merge", pr.head_sha, ())


def _role_table(roles: Sequence[Role]) -> dict[str, Role]:
    if not roles:
        raise ValueError("the approval chain needs at least one role")
    table: dict[str, Role] = {}
    for role in roles:
        if role.name in table:
            raise ValueError(f"role {role.name!r} is listed more than once")
        table[role.name] = role
    return table


def evaluate(
    pr: PullRequestFacts,
    timeline: Iterable[TimelineItem],
    roles: Sequence[Role],
    *,
    bot_login: str,
    is_team_member: TeamMembership,
    audit: AuditStatus | None,
    answered_comments: Collection[int] = frozenset(),
    answered_reverts: Collection[str] = frozenset(),
) -> ApprovalState:
    """Replay the pull request's history and decide labels, replies and the merge.

    ``roles`` must come from ``governance.yml`` on the base branch. ``answered_comments``
    holds the ids of comments the bot already reacted to; ``answered_reverts`` the
    :attr:`LabelItem.key` of label changes it already explained. An answered comment that
    is edited later still counts with its new body but is not answered again.
    """
    if not bot_login:
        raise ValueError("bot_login must name the bot's own GitHub login")
    run = _Evaluation(pr, _role_table(roles), bot_login, is_team_member, answered_comments)
    run.replay(_ordered(timeline))
    role_states = run.role_states()
    hold = run.hold_state()
    desired = run.desired_labels()
    current = {label.casefold(): label for label in pr.labels}
    return ApprovalState(
        pr_number=pr.number,
        head_sha=pr.head_sha,
        roles=role_states,
        hold=hold,
        history=tuple(run.history),
        desired_labels=tuple(sorted(desired)),
        labels_to_add=tuple(sorted(desired - current.keys())),
        labels_to_remove=tuple(
            sorted(
                label
                for key, label in current.items()
                if _is_managed_label(key) and key not in desired
            )
        ),
        responses=tuple(run.responses),
        label_reverts=run.label_reverts(answered_reverts),
        merge=_merge_decision(pr, role_states, hold, audit),
    )

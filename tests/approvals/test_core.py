# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The approval chain's core: a pull request's history in, approvals, labels and merge out.

Most behaviour is one table: each row is a timeline and what a reviewer expects to see
afterwards (who fills which role, labels, reactions and replies, the merge decision).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelgate.bot.approvals.core import (
    LABEL_HOLD_RESTORED,
    LABEL_NO_ROLE,
    LABEL_NOT_HOLDER,
    LABEL_RESTORED,
    LABEL_USE_COMMAND,
    REACTION_ACCEPTED,
    REACTION_REFUSED,
    REASON_AUDIT_OLD,
    REASON_AUDIT_RED,
    REASON_DRAFT,
    REASON_HELD,
    REASON_MERGEABLE_UNKNOWN,
    REASON_MERGED,
    REASON_NO_AUDIT,
    REASON_NOT_MERGEABLE,
    REASON_NOT_OPEN,
    REASON_ROLE_PENDING,
    REFUSE_ALL_FILLED,
    REFUSE_AMBIGUOUS,
    REFUSE_AUTHOR,
    REFUSE_INVALID_APPROVE,
    REFUSE_INVALID_UNHOLD,
    REFUSE_NO_HEAD,
    REFUSE_NO_ROLE,
    REFUSE_NOT_HELD,
    REFUSE_NOT_HOLDER,
    REFUSE_NOTHING_TO_CANCEL,
    REFUSE_ONE_ROLE,
    REFUSE_UNHOLD,
    REFUSE_UNKNOWN_ROLE,
    RESET_BY_PUSH,
    RESET_UNSEEN_PUSH,
    ApprovalState,
    AuditStatus,
    HistoryEvent,
    LabelItem,
    PullRequestFacts,
    PushItem,
    TimelineItem,
    evaluate,
)
from modelgate.bot.approvals.evidence import Actor, Comment, CommentDeletion
from modelgate.governance import Role, load_config
from tests.conftest import fixture_config, load_fixture_json

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHA_A = "a" * 40
SHA_B = "b" * 40
AUTHOR = "alice"
BOT = "modelgate[bot]"
DS, ML, CS = "data-steward", "ml-reviewer", "clinical-safety"

ROLES = (
    Role(name=DS, users=["dana", "pat"]),
    Role(name=ML, users=["mo", "review-robot[bot]"], teams=["acme/ml-reviewers"]),
    Role(name=CS, users=["cleo", "pat"]),
)
TWO_PERSON = (
    Role(name=DS, users=["dana"]),
    Role(name=CS, users=["cleo", "carl", "pat"], required=2),
)
TEAMS = {("acme", "ml-reviewers"): {"tess": "active", "penny": "pending"}}


def is_team_member(org: str, slug: str, login: str) -> bool:
    """The GitHub layer's contract: only an active membership is a membership."""
    return TEAMS.get((org, slug), {}).get(login) == "active"


def t(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def say(
    cid: int,
    author: str,
    body: str,
    minute: float,
    *,
    edited: float | None = None,
    user_type: str = "User",
) -> Comment:
    """A comment as its body now, with no edit history: an ``edited`` one is the body that
    took effect when it was last edited."""
    return Comment(cid, Actor(author, None, user_type), body,
                   t(minute if edited is None else edited))


def push(sha: str, minute: float) -> PushItem:
    return PushItem(sha, t(minute), AUTHOR)


def label(name: str, added: bool, actor: str, minute: float, actor_type: str = "User") -> LabelItem:
    return LabelItem(name, added, actor, actor_type, t(minute))


def code(text: str) -> str:
    return f"`{text}`"


def approved(role: str) -> str:
    return f"approved:{role}"


OPENED = push(SHA_A, 0)
ALL_APPROVED: tuple[TimelineItem, ...] = (
    OPENED,
    say(1, "dana", "/approve", 1),
    say(2, "mo", "/approve", 2),
    say(3, "cleo", "/approve", 3),
)
ALL_APPROVERS = {DS: ("dana",), ML: ("mo",), CS: ("cleo",)}
ALL_OK = {1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED, 3: REACTION_ACCEPTED}
GREEN_A = AuditStatus(SHA_A, "success")
GREEN_B = AuditStatus(SHA_B, "success")
# A Markdown code span: a run of backticks closed by a run of the same length.
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
ROLE_NAMES = ", ".join(code(r.name) for r in ROLES)


@dataclass(frozen=True)
class Case:
    """One row: a timeline and what must hold afterwards.

    ``approvers``, ``reactions``, ``held_by`` and ``reverts`` are checked exactly (an empty
    value means "none"); the other fields only when given."""

    name: str
    timeline: tuple[TimelineItem, ...]
    approvers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    merge: bool = False
    reactions: Mapping[int, str] = field(default_factory=dict)
    replies: Mapping[int, str] = field(default_factory=dict)  # comment id -> text in reply
    held_by: tuple[str, ...] = ()
    reverts: tuple[tuple[str, str, str], ...] = ()  # (label, action, text in reply)
    history: tuple[tuple[HistoryEvent, str, str], ...] = ()  # in order: event, actor, detail
    reasons: tuple[str, ...] = ()  # each must be one of the not-ready reasons
    status: Mapping[str, str] = field(default_factory=dict)  # role -> status_text
    labels_to_add: tuple[str, ...] | None = None
    labels_to_remove: tuple[str, ...] | None = None
    roles: tuple[Role, ...] = ROLES
    audit: AuditStatus | None = GREEN_A
    head: str = SHA_A
    pr: Mapping[str, Any] = field(default_factory=dict)
    answered: frozenset[int] = frozenset()


def pending(role: str, sha: str = SHA_A, count: int = 0, required: int = 1) -> str:
    return REASON_ROLE_PENDING.format(role=role, count=count, required=required, sha=sha)


CASES = [
    # --- the happy path and who may approve
    Case(
        "all roles approved and audits green: merge pinned to the head",
        ALL_APPROVED,
        ALL_APPROVERS,
        merge=True,
        reactions=ALL_OK,
        labels_to_add=(approved(CS), approved(DS), approved(ML)),
    ),
    Case(
        "the author cannot approve, even holding the role",
        (OPENED, say(1, "dana", "/approve data-steward", 1), say(2, "dana", "/approve", 2)),
        reactions={1: REACTION_REFUSED, 2: REACTION_REFUSED},
        replies={1: REFUSE_AUTHOR, 2: REFUSE_AUTHOR},
        history=((HistoryEvent.REFUSED, "dana", REFUSE_AUTHOR),),
        reasons=(pending(DS),),
        pr={"author": "dana"},
    ),
    Case(
        "one person cannot fill two roles",
        (
            OPENED,
            say(1, "pat", "/approve data-steward", 1),
            say(2, "pat", "/approve clinical-safety", 2),
        ),
        {DS: ("pat",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_REFUSED},
        replies={2: REFUSE_ONE_ROLE.format(filled=code(DS))},
        reasons=(pending(ML), pending(CS)),
    ),
    Case(
        "a bare /approve from someone holding two open roles asks to name one",
        (OPENED, say(1, "pat", "/approve", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_AMBIGUOUS.format(roles=f"{code(DS)}, {code(CS)}")},
    ),
    Case(
        "a bare /approve fills the one held role that is still open",
        (OPENED, say(1, "dana", "/approve", 1), say(2, "pat", "/approve", 2)),
        {DS: ("dana",), CS: ("pat",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED},
        history=(
            (HistoryEvent.APPROVED, "dana", "approved as data-steward"),
            (HistoryEvent.APPROVED, "pat", "approved as clinical-safety"),
        ),
    ),
    Case(
        "a bare /approve when every held role is already approved is refused",
        (
            OPENED,
            say(1, "dana", "/approve", 1),
            say(2, "cleo", "/approve", 2),
            say(3, "pat", "/approve", 3),
        ),
        {DS: ("dana",), CS: ("cleo",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED, 3: REACTION_REFUSED},
        replies={3: REFUSE_ALL_FILLED.format(roles=f"{code(DS)}, {code(CS)}")},
    ),
    Case(
        "a holder may add an approval to a role already approved",
        (OPENED, say(1, "dana", "/approve", 1), say(2, "pat", "/approve data-steward", 2)),
        {DS: ("dana", "pat")},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED},
    ),
    Case(
        "a non-holder cannot approve a role",
        (OPENED, say(1, "mallory", "/approve data-steward", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NOT_HOLDER.format(role=code(DS))},
    ),
    Case(
        "a bare /approve from someone who holds no role is refused",
        (OPENED, say(1, "mallory", "/approve", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NO_ROLE.format(roles=ROLE_NAMES)},
    ),
    Case(
        "an active team member approves the team's role",
        (OPENED, say(1, "tess", "/approve", 1)),
        {ML: ("tess",)},
        reactions={1: REACTION_ACCEPTED},
    ),
    Case(
        "someone outside the team cannot approve the team's role",
        (OPENED, say(1, "zed", "/approve ml-reviewer", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NOT_HOLDER.format(role=code(ML))},
    ),
    Case(
        "a pending team membership does not count",
        (OPENED, say(1, "penny", "/approve ml-reviewer", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NOT_HOLDER.format(role=code(ML))},
    ),
    Case(
        "logins compare without regard to case",
        (OPENED, say(1, "Dana", "/approve", 1), say(2, "ALICE", "/approve ml-reviewer", 2)),
        {DS: ("Dana",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_REFUSED},
        replies={2: REFUSE_AUTHOR},
    ),
    Case(
        "an unknown role is refused with the list of roles",
        (OPENED, say(1, "dana", "/approve data-stewart", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_UNKNOWN_ROLE.format(role=code("data-stewart"), roles=ROLE_NAMES)},
    ),
    Case(
        "/approve with extra words is refused, not guessed",
        (OPENED, say(1, "dana", "/approve data-steward lgtm", 1), say(2, "dana", "/unhold now", 2)),
        reactions={1: REACTION_REFUSED, 2: REACTION_REFUSED},
        replies={1: REFUSE_INVALID_APPROVE, 2: REFUSE_INVALID_UNHOLD},
    ),
    # --- pushes and the head commit
    Case(
        "a push resets every approval, and the history names the push",
        (*ALL_APPROVED, push(SHA_B, 10)),
        reactions=ALL_OK,
        history=(
            (HistoryEvent.APPROVED, "dana", "approved as data-steward"),
            (HistoryEvent.RESET, "dana", RESET_BY_PUSH.format(sha=SHA_B)),
            (HistoryEvent.RESET, "mo", RESET_BY_PUSH.format(sha=SHA_B)),
            (HistoryEvent.RESET, "cleo", RESET_BY_PUSH.format(sha=SHA_B)),
        ),
        reasons=(pending(DS, SHA_B),),
        head=SHA_B,
        audit=GREEN_B,
        pr={"labels": frozenset({approved(DS), approved(ML), approved(CS)})},
        labels_to_remove=(approved(CS), approved(DS), approved(ML)),
    ),
    Case(
        "approvals given after the push count on the new head",
        (
            *ALL_APPROVED,
            push(SHA_B, 10),
            say(11, "dana", "/approve", 11),
            say(12, "tess", "/approve", 12),
            say(13, "cleo", "/approve", 13),
        ),
        {DS: ("dana",), ML: ("tess",), CS: ("cleo",)},
        merge=True,
        reactions={**ALL_OK, 11: REACTION_ACCEPTED, 12: REACTION_ACCEPTED, 13: REACTION_ACCEPTED},
        head=SHA_B,
        audit=GREEN_B,
    ),
    Case(
        "a push event for the same head resets nothing",
        (*ALL_APPROVED, push(SHA_A, 10)),
        ALL_APPROVERS,
        merge=True,
        reactions=ALL_OK,
    ),
    Case(
        "a force-push back to an earlier commit still resets",
        (OPENED, say(1, "dana", "/approve", 1), push(SHA_B, 2), push(SHA_A, 3)),
        reactions={1: REACTION_ACCEPTED},
        history=((HistoryEvent.RESET, "dana", RESET_BY_PUSH.format(sha=SHA_B)),),
    ),
    Case(
        "an approval in the same second as a push is reset by it",
        (OPENED, say(1, "dana", "/approve", 5), push(SHA_B, 5)),
        reactions={1: REACTION_ACCEPTED},
        history=((HistoryEvent.RESET, "dana", RESET_BY_PUSH.format(sha=SHA_B)),),
        head=SHA_B,
        audit=GREEN_B,
    ),
    Case(
        "a command before the head is known is refused",
        (say(1, "dana", "/approve", 1), push(SHA_A, 2)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NO_HEAD},
    ),
    Case(
        "the head moved between approval and merge: approvals on the old commit do not count",
        ALL_APPROVED,
        reactions=ALL_OK,
        history=((HistoryEvent.RESET, "dana", RESET_UNSEEN_PUSH.format(sha=SHA_B)),),
        reasons=(pending(DS, SHA_B), pending(ML, SHA_B), pending(CS, SHA_B)),
        head=SHA_B,
        audit=GREEN_B,
    ),
    # --- cancel and hold
    Case(
        "/approve cancel withdraws the commenter's approval",
        (OPENED, say(1, "dana", "/approve", 1), say(2, "dana", "/approve cancel", 2)),
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED},
        history=(
            (HistoryEvent.APPROVED, "dana", "approved as data-steward"),
            (HistoryEvent.CANCELLED, "dana", "withdrew the approval as data-steward"),
        ),
    ),
    Case(
        "/approve cancel with nothing to withdraw is refused",
        (OPENED, say(1, "mo", "/approve cancel", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NOTHING_TO_CANCEL},
    ),
    Case(
        "the latest command wins",
        (
            OPENED,
            say(1, "dana", "/approve", 1),
            say(2, "dana", "/approve cancel", 2),
            say(3, "dana", "/approve", 3),
        ),
        {DS: ("dana",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED, 3: REACTION_ACCEPTED},
    ),
    Case(
        "/hold blocks the merge and sets the hold label",
        (*ALL_APPROVED, say(4, "mallory", "/hold waiting for legal", 4)),
        ALL_APPROVERS,
        reactions={**ALL_OK, 4: REACTION_ACCEPTED},
        held_by=("mallory",),
        history=((HistoryEvent.HELD, "mallory", "held: waiting for legal"),),
        reasons=(REASON_HELD.format(holders="mallory"),),
        labels_to_add=(approved(CS), approved(DS), approved(ML), "hold"),
    ),
    Case(
        "/hold then /unhold lets the merge go ahead",
        (*ALL_APPROVED, say(4, "cleo", "/hold", 4), say(5, "cleo", "/unhold", 5)),
        ALL_APPROVERS,
        merge=True,
        reactions={**ALL_OK, 4: REACTION_ACCEPTED, 5: REACTION_ACCEPTED},
        history=(
            (HistoryEvent.HELD, "cleo", "held"),
            (HistoryEvent.UNHELD, "cleo", "lifted the hold by cleo"),
        ),
    ),
    Case(
        "/hold cancel lifts one's own hold",
        (*ALL_APPROVED, say(4, "mallory", "/hold", 4), say(5, "mallory", "/hold cancel", 5)),
        ALL_APPROVERS,
        merge=True,
        reactions={**ALL_OK, 4: REACTION_ACCEPTED, 5: REACTION_ACCEPTED},
    ),
    Case(
        "the author cannot lift a reviewer's hold",
        (*ALL_APPROVED, say(4, "cleo", "/hold", 4), say(5, AUTHOR, "/unhold", 5)),
        ALL_APPROVERS,
        reactions={**ALL_OK, 4: REACTION_ACCEPTED, 5: REACTION_REFUSED},
        replies={5: REFUSE_UNHOLD.format(holders=code("cleo"))},
        held_by=("cleo",),
    ),
    Case(
        "an approver lifts everyone's hold",
        (*ALL_APPROVED, say(4, "mallory", "/hold", 4), say(5, "tess", "/unhold", 5)),
        ALL_APPROVERS,
        merge=True,
        reactions={**ALL_OK, 4: REACTION_ACCEPTED, 5: REACTION_ACCEPTED},
    ),
    Case(
        "/unhold without a hold is refused",
        (OPENED, say(1, "mo", "/unhold", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_NOT_HELD},
    ),
    Case(
        "a hold survives a push",
        (OPENED, say(1, "cleo", "/hold", 1), push(SHA_B, 2)),
        reactions={1: REACTION_ACCEPTED},
        held_by=("cleo",),
        head=SHA_B,
        audit=GREEN_B,
    ),
    # --- what counts as a command
    Case(
        "a command inside a fenced code block is ignored",
        (OPENED, say(1, "dana", "Type this:\n```\n/approve\n```", 1)),
    ),
    Case(
        "a command inside a ~~~ fence is ignored", (OPENED, say(1, "dana", "~~~\n/approve\n~~~", 1))
    ),
    Case(
        "a command in an indented code block is ignored",
        (OPENED, say(1, "dana", "To approve, write:\n\n    /approve", 1)),
    ),
    Case(
        "a command in a quote is ignored",
        (OPENED, say(1, "dana", "> /approve\n\nNot yet.", 1)),
    ),
    Case(
        "a command in an HTML comment is ignored",
        (OPENED, say(1, "dana", "<!--\n/approve\n-->\nStill reading.", 1)),
    ),
    Case(
        "/APPROVE in capitals counts",
        (OPENED, say(1, "dana", "/APPROVE", 1)),
        {DS: ("dana",)},
        reactions={1: REACTION_ACCEPTED},
    ),
    Case(
        "/approve in the middle of a line is ignored",
        (OPENED, say(1, "dana", "I will /approve once the audits pass", 1)),
    ),
    Case(
        "two commands in one comment both apply",
        (OPENED, say(1, "cleo", "Approving, but wait for Monday.\n/approve\n/hold", 1)),
        {CS: ("cleo",)},
        reactions={1: REACTION_ACCEPTED},
        held_by=("cleo",),
    ),
    Case(
        "one refused command in a comment earns a confused reaction and a reply",
        (OPENED, say(1, "dana", "/hold\n/approve data-stewart", 1)),
        reactions={1: REACTION_REFUSED},
        replies={1: REFUSE_UNKNOWN_ROLE.format(role=code("data-stewart"), roles=ROLE_NAMES)},
        held_by=("dana",),
    ),
    Case(
        "an edited comment that adds /approve counts on the head at edit time",
        (OPENED, say(1, "dana", "/approve", 1, edited=6), push(SHA_B, 4)),
        {DS: ("dana",)},
        reactions={1: REACTION_ACCEPTED},
        head=SHA_B,
        audit=GREEN_B,
    ),
    Case(
        "an edit after a cancel outranks the cancel",
        (OPENED, say(1, "dana", "/approve", 1, edited=5), say(2, "dana", "/approve cancel", 3)),
        {DS: ("dana",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_REFUSED},
        replies={2: REFUSE_NOTHING_TO_CANCEL},
    ),
    Case(
        "a deleted comment's approval disappears",
        # GitHub no longer lists it: only the bot's record of its deletion is left
        (OPENED, CommentDeletion(1, Actor("dana"), t(2), Actor("dana"), "/approve")),
    ),
    Case(
        "another bot's /approve never counts, even from a listed login",
        (
            OPENED,
            say(1, "review-robot[bot]", "/approve", 1),
            say(2, "dana", "/approve", 2, user_type="Bot"),
        ),
    ),
    Case(
        "the bot's own comment quoting /approve is ignored",
        (
            OPENED,
            say(1, BOT, "Commands:\n/approve\n/hold", 1, user_type="Bot"),
            say(2, "ModelGate[bot]", "/approve", 2),
        ),
    ),
    # --- labels changed by hand
    Case(
        "approved:<role> added by a non-holder is removed again",
        (OPENED, label(approved(DS), True, "mallory", 2)),
        reverts=(
            (
                approved(DS),
                "remove",
                LABEL_NOT_HOLDER.format(actor="mallory", label=approved(DS), role=DS),
            ),
        ),
        pr={"labels": frozenset({approved(DS)})},
        labels_to_remove=(approved(DS),),
    ),
    Case(
        "approved:<role> added by a holder is removed too: approvals are comments",
        (OPENED, label(approved(DS), True, "dana", 2)),
        reverts=(
            (
                approved(DS),
                "remove",
                LABEL_USE_COMMAND.format(actor="dana", label=approved(DS), role=DS),
            ),
        ),
        pr={"labels": frozenset({approved(DS)})},
        labels_to_remove=(approved(DS),),
    ),
    Case(
        "an approved: label naming no role is removed",
        (OPENED, label("approved:legal", True, "mallory", 2)),
        reverts=(
            (
                "approved:legal",
                "remove",
                LABEL_NO_ROLE.format(actor="mallory", label="approved:legal", role="legal"),
            ),
        ),
        pr={"labels": frozenset({"approved:legal", "bug"})},
        labels_to_remove=("approved:legal",),
    ),
    Case(
        "approved:<role> removed by a human while approved is restored",
        (
            *ALL_APPROVED,
            label(approved(DS), True, BOT, 3.5, "Bot"),
            label(approved(DS), False, "mallory", 4),
        ),
        ALL_APPROVERS,
        merge=True,
        reactions=ALL_OK,
        reverts=(
            (
                approved(DS),
                "add",
                LABEL_RESTORED.format(actor="mallory", label=approved(DS), approvers=code("dana")),
            ),
        ),
        pr={"labels": frozenset({approved(ML), approved(CS)})},
        labels_to_add=(approved(DS),),
        labels_to_remove=(),
    ),
    Case(
        "the hold label removed by a human while held is restored",
        (
            OPENED,
            say(1, "cleo", "/hold", 1),
            label("hold", True, BOT, 1.5, "Bot"),
            label("hold", False, "mo", 2),
        ),
        reactions={1: REACTION_ACCEPTED},
        held_by=("cleo",),
        reverts=(("hold", "add", LABEL_HOLD_RESTORED.format(actor="mo", holders=code("cleo"))),),
        labels_to_add=("hold",),
    ),
    Case(
        "the hold label added by hand holds the pull request",
        (*ALL_APPROVED, label("hold", True, "mallory", 4)),
        ALL_APPROVERS,
        reactions=ALL_OK,
        held_by=("mallory",),
        history=((HistoryEvent.HELD, "mallory", "added the label `hold`"),),
        reasons=(REASON_HELD.format(holders="mallory"),),
    ),
    Case(
        "a hand-made label the comments have since caught up with is not reverted",
        (
            OPENED,
            label(approved(DS), True, "dana", 1),
            say(2, "dana", "/approve", 2),
            label("hold", True, "mallory", 3),
            say(4, "mo", "/unhold", 4),
        ),
        {DS: ("dana",)},
        reactions={2: REACTION_ACCEPTED, 4: REACTION_ACCEPTED},
        pr={"labels": frozenset({approved(DS), "hold"})},
        labels_to_remove=("hold",),
    ),
    Case(
        "labels changed by the bot itself are never reverted",
        (OPENED, label(approved(DS), True, BOT, 1, "Bot"), label("hold", False, BOT, 2, "Bot")),
    ),
    # --- merge readiness
    Case(
        "all approved but the audits are red: no merge",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_AUDIT_RED.format(conclusion="failure", sha=SHA_A),),
        audit=AuditStatus(SHA_A, "failure"),
    ),
    Case(
        "audits green on an older commit: no merge",
        (
            OPENED,
            push(SHA_B, 1),
            say(2, "dana", "/approve", 2),
            say(3, "mo", "/approve", 3),
            say(4, "cleo", "/approve", 4),
        ),
        ALL_APPROVERS,
        reactions={2: REACTION_ACCEPTED, 3: REACTION_ACCEPTED, 4: REACTION_ACCEPTED},
        reasons=(REASON_AUDIT_OLD.format(audit_sha=SHA_A, sha=SHA_B),),
        head=SHA_B,
        audit=GREEN_A,
    ),
    Case(
        "no audit result: no merge",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_NO_AUDIT.format(sha=SHA_A),),
        audit=None,
    ),
    Case(
        "a closed pull request is not merged",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_NOT_OPEN.format(state="closed"),),
        pr={"state": "closed"},
    ),
    Case(
        "an already merged pull request is not merged again",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_MERGED,),
        pr={"state": "closed", "merged": True},
    ),
    Case(
        "a pull request GitHub cannot merge is not merged",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_NOT_MERGEABLE,),
        pr={"mergeable": False},
    ),
    Case(
        "mergeability not computed yet: wait",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_MERGEABLE_UNKNOWN,),
        pr={"mergeable": None},
    ),
    Case(
        "a draft is not merged",
        ALL_APPROVED,
        ALL_APPROVERS,
        reactions=ALL_OK,
        reasons=(REASON_DRAFT,),
        pr={"draft": True},
    ),
    # --- roles that need two people
    Case(
        "required 2 with one approver is partial",
        (OPENED, say(1, "dana", "/approve", 1), say(2, "cleo", "/approve", 2)),
        {DS: ("dana",), CS: ("cleo",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED},
        reasons=(pending(CS, count=1, required=2),),
        status={DS: "approved", CS: "partial 1 of 2"},
        roles=TWO_PERSON,
    ),
    Case(
        "required 2 approved twice by the same person stays partial",
        (OPENED, say(1, "cleo", "/approve", 1), say(2, "cleo", "/approve clinical-safety", 2)),
        {CS: ("cleo",)},
        reactions={1: REACTION_ACCEPTED, 2: REACTION_ACCEPTED},
        status={DS: "pending", CS: "partial 1 of 2"},
        roles=TWO_PERSON,
    ),
    Case(
        "required 2 with two distinct holders is satisfied",
        (
            OPENED,
            say(1, "dana", "/approve", 1),
            say(2, "cleo", "/approve", 2),
            say(3, "carl", "/approve", 3),
        ),
        {DS: ("dana",), CS: ("cleo", "carl")},
        merge=True,
        reactions=ALL_OK,
        status={DS: "approved", CS: "approved"},
        roles=TWO_PERSON,
    ),
    # --- idempotence
    Case(
        "a comment already answered gets no second reaction, but still counts",
        ALL_APPROVED,
        ALL_APPROVERS,
        merge=True,
        reactions={3: REACTION_ACCEPTED},
        answered=frozenset({1, 2}),
    ),
    Case(
        "the same events delivered twice give the same state",
        ALL_APPROVED + ALL_APPROVED + (say(2, "mo", "/approve", 2),),
        ALL_APPROVERS,
        merge=True,
        reactions=ALL_OK,
    ),
]


def run(case: Case) -> ApprovalState:
    facts: dict[str, Any] = {
        "number": 7,
        "author": AUTHOR,
        "head_sha": case.head,
        "state": "open",
        "mergeable": True,
        "merged": False,
    }
    facts.update(case.pr)
    return evaluate(
        PullRequestFacts(**facts),
        case.timeline,
        case.roles,
        bot_login=BOT,
        is_team_member=is_team_member,
        audit=case.audit,
        answered_comments=case.answered,
    )


def check_history(
    state: ApprovalState, expected: tuple[tuple[HistoryEvent, str, str], ...]
) -> None:
    entries = iter(state.history)
    for event, actor, detail in expected:
        assert any(e.event == event and e.actor == actor and detail in e.detail for e in entries), (
            f"history lacks {event} by {actor}: {detail!r} (in order) in {state.history}"
        )


def check_merge(state: ApprovalState, case: Case) -> None:
    if case.merge:
        assert state.merge.action == "merge", state.merge.reasons
        assert state.merge.sha == case.head
        assert state.merge.reasons == ()
        return
    assert state.merge.action == "not_ready"
    assert state.merge.sha is None
    assert state.merge.reasons, "a pull request that is not merged must say why"
    for reason in case.reasons:
        assert reason in state.merge.reasons


def check_labels(state: ApprovalState, case: Case) -> None:
    roles = {r.name: r.required for r in case.roles}
    satisfied = {approved(n) for n, who in case.approvers.items() if len(who) >= roles[n]}
    assert set(state.desired_labels) == satisfied | ({"hold"} if case.held_by else set())
    if case.labels_to_add is not None:
        assert state.labels_to_add == case.labels_to_add
    if case.labels_to_remove is not None:
        assert state.labels_to_remove == case.labels_to_remove
    reverts = [(r.label, r.action) for r in state.label_reverts]
    assert reverts == [(name, action) for name, action, _ in case.reverts]
    for revert, (_, _, text) in zip(state.label_reverts, case.reverts, strict=True):
        assert text in revert.reply


def check_responses(state: ApprovalState, case: Case) -> None:
    assert {r.comment_id: r.reaction for r in state.responses} == dict(case.reactions)
    for response in state.responses:
        if response.reaction == REACTION_ACCEPTED:
            assert response.reply is None
        else:
            assert response.reply is not None
    replies = {r.comment_id: r.reply for r in state.responses}
    for cid, text in case.replies.items():
        reply = replies[cid]
        assert reply is not None and text in reply, reply


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_approval_chain(case: Case) -> None:
    """It reaches the state a reviewer expects from the pull request's history."""
    state = run(case)
    got = {r.name: tuple(a.login for a in r.approvers) for r in state.roles if r.approvers}
    assert got == dict(case.approvers)
    assert all(a.sha == case.head for r in state.roles for a in r.approvers)
    assert state.head_sha == case.head
    assert state.hold.by == case.held_by
    assert state.hold.held == bool(case.held_by)
    for role in state.roles:
        if role.name in case.status:
            assert role.status_text == case.status[role.name]
    check_merge(state, case)
    check_labels(state, case)
    check_responses(state, case)
    check_history(state, case.history)


def test_enough_scenarios() -> None:
    """It keeps the table at thirty scenarios or more, each with a distinct name."""
    assert len(CASES) >= 30
    assert len({c.name for c in CASES}) == len(CASES)


# ---------------------------------------------------------------- beyond the table


BUSY: tuple[TimelineItem, ...] = (
    *ALL_APPROVED,
    say(4, "mallory", "/hold\n/approve data-steward", 4),
    push(SHA_B, 5),
    label(approved(DS), False, "mallory", 6),
    say(7, "dana", "/approve", 7, edited=8),
    say(9, "pat", "/approve", 9),
)


def busy_state(timeline: tuple[TimelineItem, ...] = BUSY) -> ApprovalState:
    return evaluate(
        PullRequestFacts(7, AUTHOR, SHA_B, "open", True, False, labels=frozenset({"hold"})),
        timeline,
        ROLES,
        bot_login=BOT,
        is_team_member=is_team_member,
        audit=GREEN_B,
    )


def test_same_timeline_twice_same_state() -> None:
    """It decides the same thing every time, whatever order or repeats the events come in."""
    first = busy_state()
    assert busy_state() == first
    shuffled = [*BUSY, *BUSY]
    random.Random(4).shuffle(shuffled)
    assert busy_state(tuple(shuffled)) == first
    assert first.to_json() == busy_state(tuple(reversed(BUSY))).to_json()


def test_json_output_for_card_and_artifact() -> None:
    """It serialises to plain JSON the card can draw its approval table from."""
    state = busy_state()
    document = json.loads(json.dumps(state.to_json()))
    assert document["schema_version"] == 2
    assert document["head_sha"] == SHA_B
    rows = {r["name"]: r for r in document["roles"]}
    assert rows[DS]["status_text"] == "approved"
    assert rows[DS]["approvers"] == [
        {
            "login": "dana",
            "at": "2026-11-23T09:08:00Z",
            "sha": SHA_B,
            "comment_id": 7,
            "source": {"kind": "comment", "id": "7", "url": None},
            "user_id": None,
            "via": "command",
        }
    ]
    assert rows[ML]["status"] == "pending"
    assert rows[CS]["approvers"][0]["login"] == "pat"
    hold = {k: v for k, v in document["hold"].items() if k != "entries"}
    assert hold == {"held": True, "by": ["mallory"], "since": "2026-11-23T09:04:00Z"}
    assert [e["kind"] for e in document["hold"]["entries"]] == ["command"]
    assert document["findings"] == []
    events = [(h["event"], h["actor"]) for h in document["history"]]
    assert ("reset", "cleo") in events and ("refused", "mallory") in events
    assert document["merge"]["action"] == "not_ready"


def test_team_membership_asked_once_per_evaluation() -> None:
    """It asks GitHub about a (team, login) pair once per evaluation, not once per command."""
    calls: list[tuple[str, str, str]] = []

    def counting(org: str, slug: str, login: str) -> bool:
        calls.append((org, slug, login))
        return is_team_member(org, slug, login)

    timeline = (
        OPENED,
        say(1, "tess", "/approve", 1),
        say(2, "tess", "/approve cancel", 2),
        say(3, "tess", "/approve ml-reviewer", 3),
        say(4, "zed", "/approve ml-reviewer", 4),
        say(5, "zed", "/approve", 5),
    )
    facts = PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False)
    state = evaluate(facts, timeline, ROLES, bot_login=BOT, is_team_member=counting, audit=None)
    assert sorted(calls) == [("acme", "ml-reviewers", "tess"), ("acme", "ml-reviewers", "zed")]
    assert [a.login for r in state.roles for a in r.approvers] == ["tess"]


def test_only_a_plain_true_is_membership() -> None:
    """It fails closed when the membership check answers anything but True."""
    facts = PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False)
    state = evaluate(
        facts,
        (OPENED, say(1, "tess", "/approve ml-reviewer", 1)),
        ROLES,
        bot_login=BOT,
        is_team_member=lambda org, slug, login: "pending",  # type: ignore[arg-type,return-value]
        audit=None,
    )
    assert all(not r.approvers for r in state.roles)


def test_membership_errors_propagate() -> None:
    """It makes no decision when team membership cannot be checked."""

    def broken(org: str, slug: str, login: str) -> bool:
        raise ConnectionError("GitHub is down")

    facts = PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False)
    with pytest.raises(ConnectionError):
        evaluate(
            facts,
            (OPENED, say(1, "tess", "/approve", 1)),
            ROLES,
            bot_login=BOT,
            is_team_member=broken,
            audit=None,
        )


def test_reply_cannot_ping_or_break_out() -> None:
    """It quotes the refused line as code, so mentions in it notify no one."""
    body = "/approve @acme/everyone`s-role"
    state = evaluate(
        PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False),
        (OPENED, say(1, "mallory", body, 1)),
        ROLES,
        bot_login=BOT,
        is_team_member=is_team_member,
        audit=None,
    )
    [response] = state.responses
    assert response.reply is not None
    assert response.reply.startswith("@mallory ")
    assert "``/approve @acme/everyone`s-role``" in response.reply
    outside_code = CODE_SPAN_RE.sub("", response.reply)
    assert "@acme" not in outside_code
    assert "`" not in outside_code.replace("`governance.yml`", "")


def test_answered_label_revert_is_not_explained_twice() -> None:
    """It leaves out the reply to a label change it already explained, but still fixes the label."""
    change = label(approved(DS), True, "mallory", 2)
    facts = PullRequestFacts(
        7, AUTHOR, SHA_A, "open", True, False, labels=frozenset({approved(DS)})
    )
    kwargs: dict[str, Any] = {"bot_login": BOT, "is_team_member": is_team_member, "audit": None}
    first = evaluate(facts, (OPENED, change), ROLES, **kwargs)
    assert [r.key for r in first.label_reverts] == [change.key]
    again = evaluate(facts, (OPENED, change), ROLES, answered_reverts={change.key}, **kwargs)
    assert again.label_reverts == ()
    assert again.labels_to_remove == (approved(DS),)


def test_unmanaged_labels_are_left_alone() -> None:
    """It never touches labels outside its own (``hold`` and ``approved:*``)."""
    payload = load_fixture_json("github-webhooks/pull_request.labeled.multi_labels.pytorch.json")
    names = frozenset(item["name"] for item in payload["pull_request"]["labels"])
    sender = payload["sender"]
    changes = tuple(
        LabelItem(name, True, sender["login"], sender["type"], t(1)) for name in sorted(names)
    )
    facts = PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False, labels=names)
    state = evaluate(
        facts,
        (OPENED, *changes),
        ROLES,
        bot_login=BOT,
        is_team_member=is_team_member,
        audit=GREEN_A,
    )
    assert names and not any(n == "hold" or n.startswith("approved:") for n in names)
    assert state.labels_to_remove == ()
    assert state.label_reverts == ()


def test_real_comment_payload_maps_to_an_item() -> None:
    """It accepts a comment built from a real issue_comment webhook payload."""
    payload = load_fixture_json("github-webhooks/issue_comment.created.on_pr.packit.json")
    comment = payload["comment"]
    login = comment["user"]["login"]
    created = datetime.fromisoformat(comment["created_at"])
    item = Comment(
        comment["id"],
        Actor(login, comment["user"]["id"], comment["user"]["type"]),
        comment["body"].replace("/packit help", "/approve"),
        max(created, datetime.fromisoformat(comment["updated_at"])),
    )
    roles = (Role(name=DS, users=[login]),)
    facts = PullRequestFacts(payload["issue"]["number"], AUTHOR, SHA_A, "open", True, False)
    opened = PushItem(SHA_A, created - timedelta(hours=1), AUTHOR)
    state = evaluate(
        facts, (opened, item), roles, bot_login=BOT, is_team_member=is_team_member, audit=GREEN_A
    )
    assert state.merge.action == "merge"
    assert state.roles[0].approvers[0].comment_id == comment["id"]


def test_roles_from_the_shipped_governance_file() -> None:
    """It runs the chain on the roles that governance.yml declares, with no names built in."""
    roles = load_config(fixture_config()).governance.approval.roles
    holders = [role.users[0] for role in roles]
    timeline: list[TimelineItem] = [OPENED]
    timeline += [say(i, who, "/approve", i) for i, who in enumerate(holders, start=1)]
    facts = PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False)
    state = evaluate(
        facts, timeline, roles, bot_login=BOT, is_team_member=is_team_member, audit=GREEN_A
    )
    assert state.merge.action == "merge"
    assert set(state.desired_labels) == {approved(role.name) for role in roles}


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Comment(1, Actor("d"), "", datetime(2026, 1, 1)), "timezone-aware"),
        (lambda: PushItem("", t(0), AUTHOR), "sha must not be empty"),
        (lambda: PullRequestFacts(7, AUTHOR, "", "open", True, False), "head_sha"),
    ],
)
def test_bad_input_is_refused_clearly(build: Any, message: str) -> None:
    """It refuses naive timestamps and empty commits with a message naming the problem."""
    with pytest.raises(ValueError, match=message):
        build()


@pytest.mark.parametrize(
    ("roles", "bot", "message"),
    [
        ((), BOT, "at least one role"),
        ((ROLES[0], ROLES[0]), BOT, "more than once"),
        (ROLES, "", "bot_login"),
    ],
)
def test_bad_configuration_is_refused(roles: tuple[Role, ...], bot: str, message: str) -> None:
    """It refuses an empty or duplicated role list and a missing bot login."""
    facts = PullRequestFacts(7, AUTHOR, SHA_A, "open", True, False)
    with pytest.raises(ValueError, match=message):
        evaluate(facts, (OPENED,), roles, bot_login=bot, is_team_member=is_team_member, audit=None)

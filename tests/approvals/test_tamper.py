# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Issue 13: the approval chain cannot be beaten by anyone it gates.

Each story is an attack (or its honest twin) on the evidence the core decides from:
comments edited or deleted by someone else, histories that are unknown, pushes and
retargets, reviews and dismissals, renamed logins, pushers approving, and oversized
comments. Each row says what the decision is and what the state must say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelgate.bot.approvals.core import (
    MAX_REPLY_CHARS,
    REASON_BASE,
    REASON_BASE_UNKNOWN,
    REFUSE_AUTHOR,
    REFUSE_DISMISSAL,
    REFUSE_EDITED_AFTER_PUSH,
    REFUSE_HISTORY_UNKNOWN,
    REFUSE_ONE_ROLE,
    REFUSE_PINNED,
    REFUSE_PUSHER,
    REFUSE_REVIEW_COMMIT,
    REFUSE_UNHOLD_CHANGES,
    REFUSE_UNKNOWN_ROLE,
    Actor,
    ApprovalState,
    AuditStatus,
    BaseChange,
    Comment,
    CommentDeletion,
    CommentEdit,
    HistoryEvent,
    PullRequestFacts,
    PushItem,
    Review,
    ReviewDismissal,
    RoleHolder,
    RoleSpec,
    TamperKind,
    TimelineItem,
    evaluate,
)
from modelgate.bot.approvals.evidence import ReviewState
from modelgate.governance import Role

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHA_A, SHA_B, SHA_C = "a" * 40, "b" * 40, "c" * 40
BOT = "modelgate[bot]"
DS, ML, CS = "data-steward", "ml-reviewer", "clinical-safety"
URL = "https://github.com/acme/models/pull/7#issuecomment-{id}"

ALICE = Actor("alice", 1)  # the author
DANA = Actor("dana", 11)
MO = Actor("mo", 12)
CLEO = Actor("cleo", 13)
PAT = Actor("pat", 14)
BOB = Actor("bob", 21)  # holds data-steward, and pushes
MALLORY = Actor("mallory", 66)
SQUATTER = Actor("dana", 99)  # took the login "dana" after the real dana renamed
DANA_RENAMED = Actor("dana-new", 11)
ACTIONS = Actor("github-actions[bot]", 41898282, "Bot")

ROLES = (
    RoleSpec(DS, (RoleHolder("dana", 11), RoleHolder("bob", 21))),
    RoleSpec(ML, (RoleHolder("mo", 12),)),
    RoleSpec(CS, (RoleHolder("cleo", 13), RoleHolder("pat", 14))),
)
LOGIN_ONLY = (
    Role(name=DS, users=["dana"]),
    Role(name=ML, users=["mo"]),
    Role(name=CS, users=["cleo"]),
)


def t(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def edit(editor: Actor, minute: float, before: str | None, after: str) -> CommentEdit:
    return CommentEdit(editor, t(minute), before, after)


def say(
    cid: int,
    who: Actor,
    body: str,
    minute: float,
    *edits: CommentEdit,
    complete: bool = True,
    edited_at: float | None = None,
) -> Comment:
    current = edits[-1].after if edits else body
    return Comment(
        cid,
        who,
        current,
        t(minute),
        tuple(edits),
        None if edited_at is None else t(edited_at),
        complete,
        URL.format(id=cid),
    )


def push(sha: str, minute: float, who: Actor = ALICE, forced: bool = False) -> PushItem:
    return PushItem(sha, t(minute), who.login, who.id, forced)


def deleted(
    cid: int, by: Actor, minute: float, author: Actor | None = None, body: str | None = None
) -> CommentDeletion:
    return CommentDeletion(cid, by, t(minute), author, body)


def review(
    rid: int,
    who: Actor,
    state: ReviewState,
    minute: float,
    *,
    commit: str = SHA_A,
    body: str = "",
    dismissed: tuple[Actor, float] | None = None,
    edits: tuple[CommentEdit, ...] = (),
) -> Review:
    dismissal = None if dismissed is None else ReviewDismissal(dismissed[0], t(dismissed[1]))
    current = edits[-1].after if edits else body
    return Review(
        rid,
        who,
        state,
        commit,
        current,
        t(minute),
        dismissal,
        edits,
        url=f"https://github.com/acme/models/pull/7#pullrequestreview-{rid}",
    )


def retarget(old: str, new: str, minute: float, who: Actor = ALICE) -> BaseChange:
    return BaseChange(old, new, who, t(minute))


OPENED = push(SHA_A, 0)
APPROVED_BY_ALL: tuple[TimelineItem, ...] = (
    OPENED,
    say(1, DANA, "/approve", 1),
    say(2, MO, "/approve", 2),
    say(3, CLEO, "/approve", 3),
)
ALL = {DS: ("dana",), ML: ("mo",), CS: ("cleo",)}
HARMLESS = "Looks reasonable, reading the card now."


@dataclass(frozen=True)
class Story:
    """An attack or its honest twin, and what the state must say afterwards.

    ``approvers`` and ``findings`` are checked exactly; ``findings`` lists
    (kind, tamperer, answered_by) in time order. ``refused`` lists texts that must appear
    in a refused history entry, ``reasons`` texts that must appear in a merge reason."""

    name: str
    timeline: tuple[TimelineItem, ...]
    merge: bool = False
    approvers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    findings: tuple[tuple[TamperKind, str, str | None], ...] = ()
    refused: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    held_by: tuple[str, ...] = ()
    head: str = SHA_A
    pr: Mapping[str, Any] = field(default_factory=dict)
    roles: tuple[RoleSpec | Role, ...] = ROLES
    review_approves: bool = False


STORIES = [
    # --- the honest path, with sources
    Story("all roles approve in comments: merge", APPROVED_BY_ALL, True, ALL),
    Story(
        "login-only roles (the shipped governance.yml) still work with user ids",
        APPROVED_BY_ALL,
        True,
        ALL,
        roles=LOGIN_ONLY,
    ),
    # --- edits by someone else
    Story(
        "the author edits three approvers' harmless comments into /approve",
        (
            OPENED,
            say(1, DANA, HARMLESS, 1, edit(ALICE, 9, HARMLESS, "/approve")),
            say(2, MO, HARMLESS, 2, edit(ALICE, 9, HARMLESS, "/approve")),
            say(3, CLEO, HARMLESS, 3, edit(ALICE, 9, HARMLESS, "/approve")),
        ),
        findings=((TamperKind.EDITED_BY_OTHER, "alice", None),) * 3,
        reasons=("3 tamper finding(s)", "alice edited comment 1 written by dana"),
    ),
    Story(
        "another approver edits a colleague's comment into /approve",
        (*APPROVED_BY_ALL[:3], say(3, CLEO, HARMLESS, 3, edit(MO, 4, HARMLESS, "/approve"))),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.EDITED_BY_OTHER, "mo", None),),
    ),
    Story(
        "the victim acting again after the tamper answers it",
        (
            *APPROVED_BY_ALL[:3],
            say(3, CLEO, HARMLESS, 3, edit(ALICE, 4, HARMLESS, "/approve")),
            say(4, CLEO, "/approve", 5),
        ),
        True,
        ALL,
        findings=((TamperKind.EDITED_BY_OTHER, "alice", "cleo"),),
    ),
    Story(
        "the tamperer acting again does not answer his own tamper",
        (
            *APPROVED_BY_ALL,
            say(4, PAT, HARMLESS, 4, edit(MO, 5, HARMLESS, "/hold cancel")),
            say(5, MO, "/approve", 6),
        ),
        approvers=ALL,
        findings=((TamperKind.EDITED_BY_OTHER, "mo", None),),
    ),
    Story(
        "approvals given before the tamper do not answer it",
        (*APPROVED_BY_ALL, say(4, PAT, "/hold", 4, edit(ALICE, 5, "/hold", "ok"))),
        approvers=ALL,
        findings=((TamperKind.EDITED_BY_OTHER, "alice", None),),
        held_by=("pat",),
    ),
    Story(
        "the author's own later comment does not answer a tamper",
        (
            *APPROVED_BY_ALL[:3],
            say(3, CLEO, HARMLESS, 3, edit(ALICE, 4, HARMLESS, "/approve")),
            say(4, ALICE, "/approve", 5),
        ),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.EDITED_BY_OTHER, "alice", None),),
        refused=(REFUSE_AUTHOR,),
    ),
    Story(
        "the author edits away a reviewer's /hold: the hold stands",
        (*APPROVED_BY_ALL, say(4, MALLORY, "/hold", 4, edit(ALICE, 5, "/hold", "nvm"))),
        approvers=ALL,
        findings=((TamperKind.EDITED_BY_OTHER, "alice", None),),
        held_by=("mallory",),
    ),
    Story(
        "the author edits away an approver's /approve cancel: the cancel stands",
        (
            *APPROVED_BY_ALL,
            say(4, DANA, "/approve cancel", 4, edit(ALICE, 5, "/approve cancel", "thanks!")),
        ),
        approvers={ML: ("mo",), CS: ("cleo",)},
        findings=((TamperKind.EDITED_BY_OTHER, "alice", None),),
    ),
    Story(
        "the workflow token (github-actions) editing a comment is tampering too",
        (*APPROVED_BY_ALL[:3], say(3, CLEO, HARMLESS, 3, edit(ACTIONS, 4, HARMLESS, "/approve"))),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.EDITED_BY_OTHER, "github-actions[bot]", None),),
    ),
    Story(
        "someone else fixing formatting in plain chatter is not a finding",
        (*APPROVED_BY_ALL, say(4, PAT, "lgtm", 4, edit(MO, 5, "lgtm", "LGTM"))),
        True,
        ALL,
    ),
    # --- the author's own edits
    Story(
        "several edits by the author on the same head: the last one counts",
        (
            OPENED,
            say(
                1,
                DANA,
                "reading",
                1,
                edit(DANA, 2, "reading", "still reading"),
                edit(DANA, 3, "still reading", "/approve"),
            ),
            say(2, MO, "/approve", 4),
            say(3, CLEO, "/approve", 5),
        ),
        True,
        ALL,
    ),
    Story(
        "an approver fixing a typo in an old /approve after a push does not re-approve",
        (
            *APPROVED_BY_ALL,
            push(SHA_B, 5),
            say(4, MO, "/approve", 6),
            say(5, CLEO, "/approve", 6),
            say(1, DANA, "/approve", 1, edit(DANA, 7, "/approve", "/approve\nnice wrok")),
        ),
        approvers={ML: ("mo",), CS: ("cleo",)},
        refused=(REFUSE_EDITED_AFTER_PUSH,),
        head=SHA_B,
    ),
    Story(
        "an edit that adds /approve to a comment written before the push is refused",
        (OPENED, say(1, DANA, "hm", 1, edit(DANA, 3, "hm", "/approve")), push(SHA_B, 2)),
        refused=(REFUSE_EDITED_AFTER_PUSH,),
        head=SHA_B,
    ),
    Story(
        "an edit after a push may still hold",
        (OPENED, say(1, DANA, "hm", 1, edit(DANA, 3, "hm", "/hold")), push(SHA_B, 2)),
        held_by=("dana",),
        head=SHA_B,
    ),
    Story(
        "the author of a comment removing /approve by editing withdraws it",
        (*APPROVED_BY_ALL[:3], say(3, CLEO, "/approve", 3, edit(CLEO, 4, "/approve", "wait"))),
        approvers={DS: ("dana",), ML: ("mo",)},
    ),
    Story(
        "removing /hold by editing does not lift it",
        (*APPROVED_BY_ALL, say(4, CLEO, "/hold", 4, edit(CLEO, 5, "/hold", "fine"))),
        approvers=ALL,
        held_by=("cleo",),
    ),
    # --- deletions
    Story(
        "the author deletes a reviewer's /hold: the hold stands, and is a finding",
        (*APPROVED_BY_ALL, say(4, MALLORY, "/hold", 4), deleted(4, ALICE, 5, MALLORY, "/hold")),
        approvers=ALL,
        findings=((TamperKind.DELETED_BY_OTHER, "alice", None),),
        held_by=("mallory",),
    ),
    Story(
        "the author deletes an approver's /approve cancel: the cancel stands",
        (
            *APPROVED_BY_ALL,
            say(4, DANA, "/approve cancel", 4),
            deleted(4, ALICE, 5, DANA, "/approve cancel"),
        ),
        approvers={ML: ("mo",), CS: ("cleo",)},
        findings=((TamperKind.DELETED_BY_OTHER, "alice", None),),
    ),
    Story(
        "a deletion by someone else after merge-readiness blocks the merge",
        (*APPROVED_BY_ALL, deleted(3, ALICE, 9, CLEO, "/approve")),
        approvers=ALL,
        findings=((TamperKind.DELETED_BY_OTHER, "alice", None),),
        reasons=("alice deleted comment 3 written by cleo",),
    ),
    Story(
        "a deletion by someone else is answered by a role holder approving again",
        (*APPROVED_BY_ALL, deleted(3, ALICE, 9, CLEO, "/approve"), say(5, MO, "/approve", 10)),
        True,
        ALL,
        findings=((TamperKind.DELETED_BY_OTHER, "alice", "mo"),),
    ),
    Story(
        "an approver deleting their own /approve withdraws it, and is no finding",
        (*APPROVED_BY_ALL, deleted(3, CLEO, 9, CLEO, "/approve")),
        approvers={DS: ("dana",), ML: ("mo",)},
    ),
    Story(
        "a moderator deleting chatter with no command is no finding",
        (*APPROVED_BY_ALL, say(4, MALLORY, "spam", 4), deleted(4, MO, 5, MALLORY, "spam")),
        True,
        ALL,
    ),
    Story(
        "a deleted /hold known only from the webhook still holds",
        (*APPROVED_BY_ALL, deleted(8, ALICE, 5, PAT, "/hold")),
        approvers=ALL,
        findings=((TamperKind.DELETED_BY_OTHER, "alice", None),),
        held_by=("pat",),
    ),
    Story(
        "a deletion whose author and body are unknown fails closed",
        (*APPROVED_BY_ALL, deleted(8, ALICE, 5)),
        approvers=ALL,
        findings=((TamperKind.DELETED_BY_OTHER, "alice", None),),
    ),
    # --- histories that cannot be trusted
    Story(
        "an edit history that is unknown: /approve does not count",
        (*APPROVED_BY_ALL[:3], say(3, CLEO, "/approve", 3, complete=False, edited_at=4)),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.HISTORY_UNKNOWN, "", None),),
        refused=(REFUSE_HISTORY_UNKNOWN,),
    ),
    Story(
        "an edit history that is unknown: /hold still holds",
        (*APPROVED_BY_ALL, say(4, PAT, "/hold", 4, complete=False, edited_at=5)),
        approvers=ALL,
        findings=((TamperKind.HISTORY_UNKNOWN, "", None),),
        held_by=("pat",),
    ),
    Story(
        "an edit later than the last one listed means the history is not complete",
        (*APPROVED_BY_ALL[:3], say(3, CLEO, "/approve", 3, edited_at=4)),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.HISTORY_UNKNOWN, "", None),),
    ),
    Story(
        "an edit history that does not add up is a finding",
        (
            *APPROVED_BY_ALL[:3],
            say(3, CLEO, "hm", 3, edit(CLEO, 4, "hm", "hmm"), edit(CLEO, 5, "other", "/approve")),
        ),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.HISTORY_INCONSISTENT, "", None),),
    ),
    # --- head identity and pushes
    Story(
        "a force push back to an earlier head does not revive its approvals",
        (*APPROVED_BY_ALL, push(SHA_B, 5), push(SHA_A, 6, forced=True)),
    ),
    Story(
        "approvals given after the head came back count",
        (
            *APPROVED_BY_ALL,
            push(SHA_B, 5),
            push(SHA_A, 6, forced=True),
            say(4, DANA, "/approve", 7),
            say(5, MO, "/approve", 7),
            say(6, CLEO, "/approve", 7),
        ),
        True,
        ALL,
    ),
    Story(
        "a push during review drops the approvals given before it",
        (*APPROVED_BY_ALL[:3], push(SHA_B, 4), say(3, CLEO, "/approve", 5)),
        approvers={CS: ("cleo",)},
        head=SHA_B,
    ),
    Story(
        "the head moved and its push is not recorded: nothing counts",
        APPROVED_BY_ALL,
        head=SHA_B,
    ),
    # --- who counts
    Story(
        "the last pusher cannot approve the commits they pushed",
        (OPENED, push(SHA_B, 1, BOB), say(1, BOB, "/approve data-steward", 2)),
        refused=(REFUSE_PUSHER,),
        head=SHA_B,
    ),
    Story(
        "any earlier pusher cannot approve either",
        (OPENED, push(SHA_B, 1, BOB), push(SHA_C, 2), say(1, BOB, "/approve", 3)),
        refused=(REFUSE_PUSHER,),
        head=SHA_C,
    ),
    Story(
        "an approver who pushes later loses the approval, even by a no-op push",
        (*APPROVED_BY_ALL, push(SHA_A, 5, DANA)),
        approvers={ML: ("mo",), CS: ("cleo",)},
    ),
    Story(
        "a squatter on a renamed approver's old login does not count",
        (OPENED, say(1, SQUATTER, "/approve data-steward", 1)),
        refused=(REFUSE_PINNED.format(role=f"`{DS}`", login="`dana`"),),
    ),
    Story(
        "the renamed approver still holds the role by user id",
        (
            OPENED,
            say(1, DANA_RENAMED, "/approve", 1),
            say(2, MO, "/approve", 2),
            say(3, CLEO, "/approve", 3),
        ),
        True,
        {DS: ("dana-new",), ML: ("mo",), CS: ("cleo",)},
    ),
    Story(
        "one person under two logins still fills one role",
        (
            OPENED,
            say(1, PAT, "/approve clinical-safety", 1),
            say(2, Actor("pat-old", 14), "/approve clinical-safety", 2),
            say(3, DANA, "/approve", 3),
        ),
        approvers={CS: ("pat",), DS: ("dana",)},
    ),
    Story(
        "one person fills one role across roles",
        (
            OPENED,
            say(1, PAT, "/approve clinical-safety", 1),
            say(2, PAT, "/approve data-steward", 2),
        ),
        approvers={CS: ("pat",)},
        refused=(REFUSE_ONE_ROLE.format(filled=f"`{CS}`"),),
        roles=(RoleSpec(DS, (RoleHolder("pat", 14),)), ROLES[1], ROLES[2]),
    ),
    # --- reviews
    Story(
        "a changes-requested review holds",
        (*APPROVED_BY_ALL, review(1, PAT, "CHANGES_REQUESTED", 4)),
        approvers=ALL,
        held_by=("pat",),
    ),
    Story(
        "a changes-requested review withdraws the reviewer's own approval",
        (*APPROVED_BY_ALL, review(1, MO, "CHANGES_REQUESTED", 4)),
        approvers={DS: ("dana",), CS: ("cleo",)},
        held_by=("mo",),
    ),
    Story(
        "the same reviewer approving by command lifts their changes-requested",
        (*APPROVED_BY_ALL, review(1, MO, "CHANGES_REQUESTED", 4), say(4, MO, "/approve", 5)),
        True,
        ALL,
    ),
    Story(
        "the same reviewer approving in a review lifts their changes-requested",
        (
            *APPROVED_BY_ALL,
            review(1, PAT, "CHANGES_REQUESTED", 4),
            review(2, PAT, "APPROVED", 5),
        ),
        True,
        ALL,
    ),
    Story(
        "an approver's /unhold does not lift someone's changes-requested",
        (*APPROVED_BY_ALL, review(1, PAT, "CHANGES_REQUESTED", 4), say(4, MO, "/unhold", 5)),
        approvers=ALL,
        held_by=("pat",),
        refused=(REFUSE_UNHOLD_CHANGES.format(holders="`pat`"),),
    ),
    Story(
        "the author dismissing a changes-requested review does not lift it",
        (*APPROVED_BY_ALL, review(1, PAT, "CHANGES_REQUESTED", 4, dismissed=(ALICE, 5))),
        approvers=ALL,
        held_by=("pat",),
        refused=(REFUSE_DISMISSAL.format(actor="alice", author="pat"),),
    ),
    Story(
        "an approver dismissing a changes-requested review lifts it",
        (*APPROVED_BY_ALL, review(1, PAT, "CHANGES_REQUESTED", 4, dismissed=(MO, 5))),
        True,
        ALL,
    ),
    Story(
        "an approving review counts when governance says so",
        (*APPROVED_BY_ALL[:3], review(1, CLEO, "APPROVED", 3)),
        True,
        ALL,
        review_approves=True,
    ),
    Story(
        "an approving review does not count when governance does not say so",
        (*APPROVED_BY_ALL[:3], review(1, CLEO, "APPROVED", 3)),
        approvers={DS: ("dana",), ML: ("mo",)},
    ),
    Story(
        "an approving review on an older commit does not count",
        (*APPROVED_BY_ALL[:3], push(SHA_B, 2.5), review(1, CLEO, "APPROVED", 3)),
        head=SHA_B,
        review_approves=True,
        refused=(REFUSE_REVIEW_COMMIT.format(commit=SHA_A, sha=SHA_B),),
    ),
    Story(
        "dismissing an approving review withdraws its approval",
        (*APPROVED_BY_ALL[:3], review(1, CLEO, "APPROVED", 3, dismissed=(ALICE, 4))),
        approvers={DS: ("dana",), ML: ("mo",)},
        review_approves=True,
    ),
    Story(
        "/hold in a review body holds",
        (*APPROVED_BY_ALL, review(1, MALLORY, "COMMENTED", 4, body="/hold legal")),
        approvers=ALL,
        held_by=("mallory",),
    ),
    Story(
        "/approve in a review body on the head counts",
        (*APPROVED_BY_ALL[:3], review(1, CLEO, "COMMENTED", 4, body="/approve")),
        True,
        ALL,
    ),
    Story(
        "a review body edited by someone else into /approve is a finding",
        (
            *APPROVED_BY_ALL[:3],
            review(1, CLEO, "COMMENTED", 4, body="hm", edits=(edit(ALICE, 5, "hm", "/approve"),)),
        ),
        approvers={DS: ("dana",), ML: ("mo",)},
        findings=((TamperKind.EDITED_BY_OTHER, "alice", None),),
    ),
    Story(
        "/remove-approve withdraws like /approve cancel",
        (*APPROVED_BY_ALL, say(4, MO, "/remove-approve", 4)),
        approvers={DS: ("dana",), CS: ("cleo",)},
    ),
    # --- the base branch
    Story(
        "retargeted to another branch after approval: no merge there",
        (*APPROVED_BY_ALL, retarget("main", "dev", 5)),
        pr={"base_ref": "dev"},
        reasons=(REASON_BASE.format(base="`dev`", release="`main`"),),
    ),
    Story(
        "retargeted away and back: approvals from before do not count",
        (*APPROVED_BY_ALL, retarget("main", "dev", 5), retarget("dev", "main", 6)),
    ),
    Story(
        "retargeted away and back, then approved again: merge",
        (
            *APPROVED_BY_ALL,
            retarget("main", "dev", 5),
            retarget("dev", "main", 6),
            say(4, DANA, "/approve", 7),
            say(5, MO, "/approve", 7),
            say(6, CLEO, "/approve", 7),
        ),
        True,
        ALL,
    ),
    Story(
        "a pull request into a branch the author created never merges",
        APPROVED_BY_ALL,
        approvers=ALL,
        pr={"base_ref": "alice-release"},
        reasons=(REASON_BASE.format(base="`alice-release`", release="`main`"),),
    ),
    Story(
        "an unknown base fails closed",
        APPROVED_BY_ALL,
        approvers=ALL,
        pr={"base_ref": None},
        reasons=(REASON_BASE_UNKNOWN,),
    ),
    Story(
        "the base changed and its change is not recorded: nothing counts",
        (retarget("dev", "main", 0.5), *APPROVED_BY_ALL, retarget("main", "dev", 5)),
        pr={"base_ref": "main"},
    ),
    # --- size
    Story(
        "/approve repeated 7,000 times approves once",
        (OPENED, say(1, DANA, "\n".join(["/approve"] * 7000), 1), *APPROVED_BY_ALL[2:]),
        True,
        ALL,
    ),
]


def run(story: Story) -> ApprovalState:
    facts: dict[str, Any] = {
        "number": 7,
        "author": ALICE.login,
        "author_id": ALICE.id,
        "head_sha": story.head,
        "state": "open",
        "mergeable": True,
        "merged": False,
        "base_ref": "main",
        "release_branch": "main",
    }
    facts.update(story.pr)
    return evaluate(
        PullRequestFacts(**facts),
        story.timeline,
        story.roles,
        bot_login=BOT,
        is_team_member=lambda org, slug, login: False,
        audit=AuditStatus(story.head, "success"),
        review_approves=story.review_approves,
    )


@pytest.mark.parametrize("story", STORIES, ids=[s.name for s in STORIES])
def test_story(story: Story) -> None:
    """It decides each attack fail-closed and says why, and lets each honest twin merge."""
    state = run(story)
    approvers = {r.name: tuple(a.login for a in r.approvers) for r in state.roles if r.approvers}
    assert approvers == dict(story.approvers)
    found = [(f.kind, f.actor, f.answered_by) for f in state.findings]
    assert found == list(story.findings)
    assert state.hold.by == story.held_by
    if story.merge:
        assert state.merge.action == "merge", state.merge.reasons
        assert state.merge.sha == story.head
    else:
        assert state.merge.action == "not_ready"
        assert state.merge.reasons
        if state.open_findings:
            assert any("tamper finding" in r for r in state.merge.reasons)
    for text in story.reasons:
        assert any(text in r for r in state.merge.reasons), state.merge.reasons
    refusals = [e.detail for e in state.history if e.event == HistoryEvent.REFUSED]
    for text in story.refused:
        assert any(text in r for r in refusals), refusals
    for role in state.roles:
        for approval in role.approvers:
            assert approval.source is not None and approval.source.kind in {"comment", "review"}
            assert approval.sha == story.head
    for finding in state.findings:
        assert finding.source.id and finding.detail


def test_enough_stories() -> None:
    """It keeps at least forty adversarial stories."""
    assert len(STORIES) >= 40


def test_sources_link_back() -> None:
    """It names where each approval and each tamper finding came from, with the URL."""
    state = run(STORIES[3])
    [finding] = state.findings
    assert finding.source.kind == "comment" and finding.source.id == "3"
    assert finding.source.url == URL.format(id=3)
    assert finding.at == t(4) and finding.author == "cleo"
    dana = state.roles[0].approvers[0]
    assert dana.source is not None and dana.source.url == URL.format(id=1)
    assert dana.user_id == 11
    tampered = [e for e in state.history if e.event == HistoryEvent.TAMPERED]
    assert [e.actor for e in tampered] == ["mo"]


def test_tampered_reply_stays_silent_but_refusals_are_replied() -> None:
    """It replies to an edit that was refused after a push, so it is never silent."""
    state = run(STORIES[13])
    [reply] = [r for r in state.responses if r.comment_id == 1]
    assert reply.revision == 1 and reply.key == "comment:1#1"
    assert reply.reply is not None and REFUSE_EDITED_AFTER_PUSH in reply.reply


@pytest.mark.parametrize(
    ("body", "items"),
    [
        ("\n".join(["/approve data-stewart"] * 7000), 1),
        ("\n".join(f"/approve role-{n}" for n in range(7000)), 10),
        ("\n".join(f"/approve {'x' * 300}{n}" for n in range(7000)), 10),
    ],
)
def test_replies_are_bounded(body: str, items: int) -> None:
    """It answers a comment of thousands of refused commands with a short summary."""
    state = run(Story("big", (OPENED, say(1, MALLORY, body, 1))))
    [response] = state.responses
    assert response.reply is not None
    assert len(response.reply) <= MAX_REPLY_CHARS
    assert response.reply.count("\n- ") <= items + 1
    assert "7000 command(s)" in response.reply
    assert len(response.outcomes) <= 20
    assert sum(o.count for o in response.outcomes) + response.omitted == 7000
    refusals = [e for e in state.history if e.event == HistoryEvent.REFUSED]
    assert len(refusals) <= 20
    if items == 1:
        assert REFUSE_UNKNOWN_ROLE.split("{")[0] in response.reply and "(×7000)" in response.reply


def test_same_history_same_state_in_any_order() -> None:
    """It decides the same whatever order or repeats the new evidence arrives in."""
    story = STORIES[5]
    shuffled = replace(story, timeline=tuple(reversed(story.timeline * 2)))
    assert run(shuffled) == run(story)

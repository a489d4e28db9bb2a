# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Property: whatever happens on a pull request, the core says "merge" only when an
independent reading of the raw history says every condition of issue 13 holds.

The oracle below reads the generated history directly (it uses no helper of the core):
for the current head, each role has an untampered approval from a distinct person who is
neither the author nor a pusher, given after the head's latest arrival (push or
retarget); no hold stands (command, label or changes requested); every tampering was
answered later by an eligible role holder; the base is the release branch. It checks
necessary conditions only, so it may allow what the core refuses, never the reverse.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelgate.bot.approvals.core import (
    Actor,
    AuditStatus,
    BaseChange,
    Comment,
    CommentDeletion,
    CommentEdit,
    LabelItem,
    PullRequestFacts,
    PushItem,
    Review,
    ReviewDismissal,
    RoleHolder,
    RoleSpec,
    TimelineItem,
    evaluate,
)
from modelgate.bot.approvals.evidence import ReviewState

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHAS = ("a" * 40, "b" * 40, "c" * 40)
RELEASE = "main"
ALICE = Actor("alice", 1)
PEOPLE = (
    ALICE,
    Actor("dana", 11),
    Actor("mo", 12),
    Actor("cleo", 13),
    Actor("pat", 14),
    Actor("bob", 21),
    Actor("mallory", 66),
    Actor("dana", 99),  # a squatter on an old login
    Actor("dana-new", 11),  # the real dana, renamed
    Actor("github-actions[bot]", 41898282, "Bot"),
)
HONEST = (
    (Actor("dana", 11), Actor("mo", 12), Actor("cleo", 13)),
    (Actor("bob", 21), Actor("mo", 12), Actor("pat", 14)),
    (Actor("dana-new", 11), Actor("mo", 12), Actor("cleo", 13)),
)
PUSHERS = (ALICE, Actor("bob", 21), Actor("mallory", 66), Actor("dana", 11))
ROLE_IDS = {"data-steward": {11, 21}, "ml-reviewer": {12}, "clinical-safety": {13, 14}}
ROLES = (
    RoleSpec("data-steward", (RoleHolder("dana", 11), RoleHolder("bob", 21))),
    RoleSpec("ml-reviewer", (RoleHolder("mo", 12),)),
    RoleSpec("clinical-safety", (RoleHolder("cleo", 13), RoleHolder("pat", 14))),
)
BODIES = (
    "/approve",
    "/approve data-steward",
    "/approve clinical-safety",
    "/approve cancel",
    "/remove-approve",
    "/hold",
    "/unhold",
    "/hold cancel",
    "lgtm",
    "/approve\n/hold",
)
APPROVE_LINES = {"/approve", "/approve data-steward", "/approve clinical-safety"}
UNHOLD_LINES = {"/unhold", "/hold cancel"}


def t(slot: float) -> datetime:
    return T0 + timedelta(minutes=slot)


def lines(body: str) -> set[str]:
    return set(body.splitlines())


def commanding(body: str) -> bool:
    return any(line.startswith("/") for line in body.splitlines())


# ------------------------------------------------------------------------- generation


@dataclass(frozen=True)
class History:
    items: tuple[TimelineItem, ...]
    head: str
    base: str
    review_approves: bool


@st.composite
def histories(draw: st.DrawFn) -> History:
    count = draw(st.integers(1, 14))
    # Most histories end with each role approving, so that "merge" is often on the table.
    honest = draw(st.integers(0, 3))
    approvals = draw(st.integers(1, count + 1)) if honest else count + 10
    tail = draw(st.integers(0, 3)) if honest else 0
    items: list[TimelineItem] = [PushItem(SHAS[0], t(0), ALICE.login, ALICE.id)]
    head, base = SHAS[0], RELEASE
    for i in range(1, count + tail + 1):
        at = 10 * i
        if i == approvals:
            holders = draw(st.sampled_from(HONEST))
            items += [
                Comment(1000 + n, who, "/approve", t(at + n)) for n, who in enumerate(holders)
            ]
            continue
        kind = draw(st.sampled_from(["comment"] * 4 + ["review", "push", "label", "base"]))
        if kind == "push":
            head = draw(st.sampled_from(SHAS))
            who = draw(st.sampled_from(PUSHERS))
            items.append(PushItem(head, t(at), who.login, who.id, draw(st.booleans())))
        elif kind == "base":
            new = draw(st.sampled_from((RELEASE, "dev")))
            who = draw(st.sampled_from(PEOPLE))
            items.append(BaseChange(base, new, who, t(at)))
            base = new
        elif kind == "label":
            who = draw(st.sampled_from(PEOPLE))
            added = draw(st.booleans())
            items.append(LabelItem("hold", added, who.login, who.type, t(at), who.id))
        elif kind == "comment":
            items += draw(comment(i, at))
        else:
            items.append(draw(review(i, at, head)))
    return History(tuple(items), head, base, draw(st.booleans()))


def edits_of(draw: st.DrawFn, i: int, body: str, at: int) -> tuple[tuple[CommentEdit, ...], str]:
    slots = sorted(set(draw(st.lists(st.integers(i, i + 6), max_size=2))))
    edits = []
    current = body
    for slot in slots:
        editor = draw(st.sampled_from(PEOPLE))
        after = draw(st.sampled_from(BODIES))
        edits.append(CommentEdit(editor, t(10 * slot + 3), current, after))
        current = after
    return tuple(edits), current


@st.composite
def comment(draw: st.DrawFn, i: int, at: int) -> list[TimelineItem]:
    author = draw(st.sampled_from(PEOPLE))
    body = draw(st.sampled_from(BODIES))
    edits, current = edits_of(draw, i, body, at)
    complete = draw(st.sampled_from((True, True, True, False)))
    edited_at = edits[-1].at if edits else None
    made = Comment(i, author, current, t(at), edits if complete else (), edited_at, complete)
    out: list[TimelineItem] = [made]
    if draw(st.integers(0, 4)) == 0:
        deleter = draw(st.sampled_from(PEOPLE))
        slot = draw(st.integers(i, i + 6))
        out.append(CommentDeletion(i, deleter, t(10 * slot + 6), author, current))
    return out


@st.composite
def review(draw: st.DrawFn, i: int, at: int, head: str) -> Review:
    author = draw(st.sampled_from(PEOPLE[1:]))  # GitHub: no review of one's own PR
    states: tuple[ReviewState, ...] = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED")
    state = draw(st.sampled_from(states))
    commit = draw(st.sampled_from((head, *SHAS)))
    body = draw(st.sampled_from(("", *BODIES)))
    edits, current = edits_of(draw, i, body, at)
    dismissal = None
    if draw(st.integers(0, 3)) == 0:
        slot = draw(st.integers(i, i + 6))
        dismissal = ReviewDismissal(draw(st.sampled_from(PEOPLE)), t(10 * slot + 6))
    return Review(i, author, state, commit, current, t(at), dismissal, edits)


# ----------------------------------------------------------------------------- oracle


def same(a: Actor, b: Actor) -> bool:
    return a.id == b.id if a.id is not None and b.id is not None else a.login == b.login


def is_bot(a: Actor) -> bool:
    return a.type == "Bot" or a.login.endswith("[bot]")


@dataclass(frozen=True)
class Said:
    """A body as its author wrote it, at the time it was written (the oracle's view)."""

    author: Actor
    at: datetime
    body: str
    created: datetime
    subject: str
    last: bool  # no later author revision of the same body
    commit: str | None  # the review's commit, for review bodies
    dismissed: bool


def authored(h: History) -> list[Said]:
    """Author-written revisions up to the first edit by anyone else; none when the
    history is unknown (the oracle trusts nothing there)."""
    out: list[Said] = []
    for item in h.items:
        if not isinstance(item, Comment | Review):
            continue
        if isinstance(item, Comment) and not item.history_complete:
            continue
        created = item.created_at if isinstance(item, Comment) else item.submitted_at
        first = item.edits[0].before if item.edits else item.body
        assert first is not None
        revisions = [(created, first)]
        for e in item.edits:
            if not same(e.editor, item.author):
                break
            revisions.append((e.at, e.after))
        commit = item.commit_id if isinstance(item, Review) else None
        dismissed = isinstance(item, Review) and item.dismissal is not None
        kind = "c" if isinstance(item, Comment) else "r"
        for n, (at, body) in enumerate(revisions):
            out.append(
                Said(
                    item.author,
                    at,
                    body,
                    created,
                    f"{kind}{item.id}",
                    n == len(revisions) - 1,
                    commit,
                    dismissed,
                )
            )
    return out


def oracle_allows(h: History) -> bool:  # noqa: C901 - one condition per paragraph
    if h.base != RELEASE:
        return False
    pushers = [Actor(p.actor, p.actor_id) for p in h.items if isinstance(p, PushItem)]
    arrival = t(0)
    current_head, current_base = None, RELEASE
    for change in sorted(
        (i for i in h.items if isinstance(i, PushItem | BaseChange)), key=lambda i: i.at
    ):
        if isinstance(change, PushItem) and change.sha != current_head:
            current_head, arrival = change.sha, change.at
        elif isinstance(change, BaseChange) and change.to_ref != current_base:
            current_base, arrival = change.to_ref, change.at

    def eligible(a: Actor) -> bool:
        return (
            not is_bot(a)
            and not same(a, ALICE)
            and not any(same(a, p) for p in pushers)
            and any(a.id in ids for ids in ROLE_IDS.values())
        )

    said = authored(h)
    deleted_by_author = {
        f"c{d.comment_id}"
        for d in h.items
        if isinstance(d, CommentDeletion) and d.author is not None and same(d.author, d.deleter)
    }

    # Approvals: the last author revision approves, after the arrival, on the head.
    approvers: dict[int, set[str]] = {}
    for s in said:
        if not (s.last and lines(s.body) & APPROVE_LINES and eligible(s.author)):
            continue
        if s.at <= arrival or s.created <= arrival or s.subject in deleted_by_author:
            continue
        if s.commit is not None and (s.commit != h.head or s.dismissed):
            continue
        assert s.author.id is not None
        approvers.setdefault(s.author.id, set()).update(
            r for r, ids in ROLE_IDS.items() if s.author.id in ids
        )
    if h.review_approves:
        for r in h.items:
            if (
                isinstance(r, Review)
                and r.state == "APPROVED"
                and r.dismissal is None
                and r.commit_id == h.head
                and r.submitted_at > arrival
                and eligible(r.author)
            ):
                assert r.author.id is not None
                approvers.setdefault(r.author.id, set()).update(
                    name for name, ids in ROLE_IDS.items() if r.author.id in ids
                )
    roles = list(ROLE_IDS)
    people = list(approvers)
    if not any(
        all(role in approvers[p] for role, p in zip(roles, chosen, strict=True))
        for chosen in itertools.permutations(people, len(roles))
    ):
        return False

    # Holds: each must be lifted later, by its holder or by an eligible role holder.
    def lifted_after(holder: Actor, at: datetime) -> bool:
        return any(
            s.at > at
            and lines(s.body) & UNHOLD_LINES
            and (same(s.author, holder) or eligible(s.author))
            for s in said
        )

    for s in said:
        if not is_bot(s.author) and "/hold" in lines(s.body) and not lifted_after(s.author, s.at):
            return False
    for lab in h.items:
        if isinstance(lab, LabelItem) and lab.added and lab.actor_type != "Bot":
            who = Actor(lab.actor, lab.actor_id)
            if not lifted_after(who, lab.at):
                return False
    for r in h.items:
        if not isinstance(r, Review) or r.state != "CHANGES_REQUESTED":
            continue
        if r.dismissal is not None and (
            same(r.dismissal.actor, r.author) or eligible(r.dismissal.actor)
        ):
            continue
        later = [s for s in said if same(s.author, r.author) and s.at > r.submitted_at]
        reviewed = any(
            isinstance(o, Review)
            and same(o.author, r.author)
            and o.state == "APPROVED"
            and o.submitted_at > r.submitted_at
            for o in h.items
        )
        if not reviewed and not any(lines(s.body) & (APPROVE_LINES | UNHOLD_LINES) for s in later):
            return False

    # Tampering: answered by a later approve or unhold from an eligible role holder.
    def answered(at: datetime, tamperer: Actor | None) -> bool:
        return any(
            s.at > at
            and lines(s.body) & (APPROVE_LINES | UNHOLD_LINES)
            and eligible(s.author)
            and (tamperer is None or not same(s.author, tamperer))
            for s in said
        ) or (
            h.review_approves
            and any(
                isinstance(r, Review)
                and r.state == "APPROVED"
                and r.submitted_at > at
                and eligible(r.author)
                and (tamperer is None or not same(r.author, tamperer))
                for r in h.items
            )
        )

    for item in h.items:
        if isinstance(item, Comment | Review):
            unknown = isinstance(item, Comment) and not item.history_complete
            if unknown and item.edited_at and not answered(item.edited_at, None):
                return False
            for e in item.edits:
                if not same(e.editor, item.author):
                    bearing = commanding(e.before or "/") or commanding(e.after)
                    if bearing and not answered(e.at, e.editor):
                        return False
                    break
        if isinstance(item, CommentDeletion) and item.author is not None:
            record = [c for c in h.items if isinstance(c, Comment) and c.id == item.comment_id]
            bodies = [item.body or "/"]
            for c in record:
                bodies += [c.body, *(e.after for e in c.edits), *(e.before or "/" for e in c.edits)]
                bodies += [] if c.history_complete else ["/"]
            if (
                not same(item.author, item.deleter)
                and any(commanding(b) for b in bodies)
                and not answered(item.at, item.deleter)
            ):
                return False
    return True


# --------------------------------------------------------------------------- property

SEEN: Counter[str] = Counter()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_never_merges_what_the_oracle_forbids(h: History) -> None:
    """It says "merge" only when every condition of the trust model holds."""
    facts = PullRequestFacts(
        7,
        ALICE.login,
        h.head,
        "open",
        True,
        False,
        author_id=ALICE.id,
        base_ref=h.base,
        release_branch=RELEASE,
    )
    state = evaluate(
        facts,
        h.items,
        ROLES,
        bot_login="modelgate[bot]",
        is_team_member=lambda org, slug, login: False,
        audit=AuditStatus(h.head, "success"),
        review_approves=h.review_approves,
    )
    SEEN[state.merge.action] += 1
    if state.merge.action == "merge":
        assert oracle_allows(h), state
        assert state.merge.sha == h.head
        assert not state.hold.held and not state.open_findings
    for response in state.responses:
        assert response.reply is None or len(response.reply) <= 4000


def test_the_oracle_is_not_vacuous() -> None:
    """It allows an honest history and refuses the same history tampered with."""
    opened = PushItem(SHAS[0], t(0), ALICE.login, ALICE.id)
    honest: list[TimelineItem] = [
        opened,
        Comment(1, PEOPLE[1], "/approve", t(10)),
        Comment(2, PEOPLE[2], "/approve", t(20)),
        Comment(3, PEOPLE[3], "/approve", t(30)),
    ]
    assert oracle_allows(History(tuple(honest), SHAS[0], RELEASE, False))
    forged = Comment(
        3, PEOPLE[3], "/approve", t(30), (CommentEdit(ALICE, t(33), "hi", "/approve"),)
    )
    tampered = (*honest[:3], forged)
    assert not oracle_allows(History(tampered, SHAS[0], RELEASE, False))
    assert not oracle_allows(History(tuple(honest), SHAS[0], "dev", False))

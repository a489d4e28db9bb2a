# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one place where what the adapter read becomes what the approval core judges.

Comments and reviews come with every version of their body (GraphQL), label and base
changes and dismissals from GitHub's timeline, pushes and deletions from the bot's own
ledger (and force pushes, which GitHub records with their pusher, from the timeline).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Literal

from modelgate.bot.approvals.core import (
    Actor,
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
)
from modelgate.bot.chain.ledger import Ledger
from modelgate.bot.github.api import BodyRecord, PullHistory, PullInfo, UserRef
from modelgate.governance import Role

UNKNOWN_PUSHER = "(unknown pusher)"
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED")


def actor(user: UserRef) -> Actor:
    return Actor(user.login, user.id, user.type)


def _edits(record: BodyRecord) -> tuple[tuple[CommentEdit, ...], bool]:
    """The edits between the versions GitHub listed; ``False`` when the original is not
    among them (more versions than one page), so the history is not whole."""
    versions = record.revisions
    if not versions:
        return (), record.complete
    edits = tuple(
        CommentEdit(actor(later.editor), later.at, earlier.body, later.body)
        for earlier, later in pairwise(versions)
    )
    return edits, record.complete


def comment(record: BodyRecord) -> Comment:
    edits, complete = _edits(record)
    return Comment(
        id=record.id,
        author=actor(record.author),
        body=record.body,
        created_at=record.created_at,
        edits=edits,
        edited_at=record.last_edited_at,
        history_complete=complete,
        url=record.url,
    )


def review(record: BodyRecord, history: PullHistory) -> Review:
    dismissal = next(
        (e for e in history.events if e.kind == "review_dismissed" and e.detail == str(record.id)),
        None,
    )
    state = record.state
    if state == "DISMISSED":
        # What it was before: a dismissed review whose state is unknown holds (fail closed).
        state = dismissal.to if dismissal is not None and dismissal.to else "CHANGES_REQUESTED"
    if state not in REVIEW_STATES:
        state = "COMMENTED"
    edits, complete = _edits(record)
    review_state: Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED"] = (
        "APPROVED" if state == "APPROVED"
        else "CHANGES_REQUESTED" if state == "CHANGES_REQUESTED" else "COMMENTED"
    )
    return Review(
        id=record.id,
        author=actor(record.author),
        state=review_state,
        commit_id=record.commit_id,
        body=record.body,
        submitted_at=record.created_at,
        dismissal=ReviewDismissal(actor(dismissal.actor), dismissal.at) if dismissal else None,
        edits=edits,
        edited_at=record.last_edited_at,
        history_complete=complete,
        url=record.url,
    )


def timeline(history: PullHistory, ledger: Ledger) -> list[TimelineItem]:
    """Everything the core replays: bodies with their histories, labels, base changes,
    dismissals (inside reviews), pushes and deletions."""
    items: list[TimelineItem] = [comment(c) for c in history.comments]
    items += [review(r, history) for r in history.reviews]
    for event in history.events:
        who = actor(event.actor)
        if event.kind in ("labeled", "unlabeled"):
            items.append(LabelItem(event.detail, event.kind == "labeled", who.login, who.type,
                                   event.at, who.id))
        elif event.kind == "base_ref_changed":
            items.append(BaseChange(event.detail, event.to, who, event.at))
        elif event.kind == "head_ref_force_pushed" and event.to:
            items.append(PushItem(event.to, event.at, who.login, who.id, forced=True))
    for push in ledger.pushes:
        if push.at is not None:
            items.append(PushItem(push.sha, push.at, push.pusher, push.pusher_id, push.forced))
    for deletion in ledger.deletions:
        if deletion.at is None:
            continue
        author = Actor(deletion.author, deletion.author_id) if deletion.author else None
        items.append(CommentDeletion(deletion.comment_id,
                                     Actor(deletion.deleter, deletion.deleter_id), deletion.at,
                                     author, deletion.body, deletion.url))
    return items


def role_specs(roles: Sequence[Role]) -> list[RoleSpec]:
    """Governance roles with their pinned user ids."""
    return [
        RoleSpec(
            role.name,
            tuple(RoleHolder(login, role.user_ids.get(login)) for login in role.users),
            tuple(role.teams),
            role.required,
        )
        for role in roles
    ]


def pull_request_facts(pr: PullInfo, release_branch: str | None) -> PullRequestFacts:
    return PullRequestFacts(
        number=pr.number,
        author=pr.author,
        head_sha=pr.head_sha,
        state=pr.state,
        mergeable=pr.mergeable,
        merged=pr.merged,
        draft=pr.draft,
        labels=frozenset(pr.labels),
        author_id=pr.author_id,
        base_ref=pr.base_ref,
        release_branch=release_branch,
    )

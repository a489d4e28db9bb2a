# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The evidence the approval core may trust, and how tampering with it is recognised.

On GitHub anyone with write access can edit or delete anyone's comment, so a comment's
current body proves nothing about what its author said. The layer therefore hands the
core each comment and review *with its whole edit history* (who edited, when, the body
before and after), the deletions the bot saw as they happened, and the pushes and base
changes it recorded as they happened. This module turns that history into *revisions*:
the bodies that their author wrote, each at the moment it was written, and *findings*
for everything else (an edit by another person, a deletion by another person, a history
that is unknown or does not add up).

Identity: a person is their GitHub user id when both sides know it, their login
otherwise (:func:`same_person`). A role entry pinned to an id is held only by that
account, whatever its login is now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from modelgate.bot.approvals.commands import parse_commands
from modelgate.governance import Role

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED"]
SourceKind = Literal["comment", "review", "push", "label", "base_change", "deletion"]

FINDING_EDITED = "{actor} edited {kind} {id} written by {author}"
FINDING_DELETED = "{actor} deleted {kind} {id} written by {author}"
FINDING_UNKNOWN = "the edit history of {kind} {id} by {author} is not known"
FINDING_INCONSISTENT = "the edit history of {kind} {id} by {author} does not add up"
FINDING_DISMISSED = "{actor} dismissed the changes-requested review {id} by {author}"


def need_aware(value: datetime, name: str) -> None:
    """Refuse a naive datetime: history from several sources is compared in time."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


@dataclass(frozen=True)
class Actor:
    """A GitHub account: its login now, its immutable user id when known, its type."""

    login: str
    id: int | None = None
    type: str = "User"  # GitHub's user.type: "User", "Bot", "Organization"

    def __post_init__(self) -> None:
        if not self.login:
            raise ValueError("Actor.login must not be empty")


def same_person(a: Actor, b: Actor) -> bool:
    """Two accounts are one person: same id when both ids are known, else same login."""
    if a.id is not None and b.id is not None:
        return a.id == b.id
    return a.login.casefold() == b.login.casefold()


@dataclass(frozen=True)
class Source:
    """Where a piece of evidence came from, for the comment to link."""

    kind: SourceKind
    id: str
    url: str | None = None

    def describe(self) -> str:
        return f"{self.kind} {self.id}" + (f" ({self.url})" if self.url else "")


@dataclass(frozen=True)
class CommentEdit:
    """One edit of a comment or review body (GraphQL ``userContentEdits``)."""

    editor: Actor
    at: datetime
    before: str | None  # None: the body before this edit is not known
    after: str

    def __post_init__(self) -> None:
        need_aware(self.at, "edit at")


@dataclass(frozen=True)
class Comment:
    """A pull-request conversation comment with its full edit history.

    ``body`` is the body now. ``edits`` are in time order; the body at creation is the
    first edit's ``before`` (``body`` when never edited). ``edited_at`` is GitHub's
    ``lastEditedAt``: an edit later than the last one listed means the history is not
    complete. ``history_complete=False`` says the layer could not read it.
    """

    id: int
    author: Actor
    body: str
    created_at: datetime
    edits: tuple[CommentEdit, ...] = ()
    edited_at: datetime | None = None
    history_complete: bool = True
    url: str | None = None

    def __post_init__(self) -> None:
        need_aware(self.created_at, f"comment {self.id} created_at")
        if self.edited_at is not None:
            need_aware(self.edited_at, f"comment {self.id} edited_at")


@dataclass(frozen=True)
class CommentDeletion:
    """A comment deleted, as the bot recorded it when it happened (webhook ``sender``)."""

    comment_id: int
    deleter: Actor
    at: datetime
    author: Actor | None = None  # None when the bot does not know who wrote it
    body: str | None = None  # the body when deleted, when known
    url: str | None = None

    def __post_init__(self) -> None:
        need_aware(self.at, f"deletion of comment {self.comment_id} at")


@dataclass(frozen=True)
class ReviewDismissal:
    actor: Actor
    at: datetime

    def __post_init__(self) -> None:
        need_aware(self.at, "review dismissal at")


@dataclass(frozen=True)
class Review:
    """A submitted pull-request review, bound to the commit it was given on."""

    id: int
    author: Actor
    state: ReviewState
    commit_id: str
    body: str
    submitted_at: datetime
    dismissal: ReviewDismissal | None = None
    edits: tuple[CommentEdit, ...] = ()
    edited_at: datetime | None = None
    history_complete: bool = True
    url: str | None = None

    def __post_init__(self) -> None:
        need_aware(self.submitted_at, f"review {self.id} submitted_at")
        if self.edited_at is not None:
            need_aware(self.edited_at, f"review {self.id} edited_at")


@dataclass(frozen=True)
class BaseChange:
    """The pull request was retargeted from one base branch to another."""

    from_ref: str
    to_ref: str
    actor: Actor
    at: datetime

    def __post_init__(self) -> None:
        need_aware(self.at, f"base change to {self.to_ref!r} at")


@dataclass(frozen=True)
class RoleHolder:
    """One named holder of a role; ``id`` pins the role to that account."""

    login: str
    id: int | None = None


@dataclass(frozen=True)
class RoleSpec:
    """A role as the core reads it: ``Role`` from governance, with user ids when pinned."""

    name: str
    users: tuple[RoleHolder, ...] = ()
    teams: tuple[str, ...] = ()
    required: int = 1

    @classmethod
    def of(cls, role: Role | RoleSpec) -> RoleSpec:
        if isinstance(role, RoleSpec):
            return role
        users = tuple(RoleHolder(login) for login in role.users)
        return cls(role.name, users, tuple(role.teams), role.required)

    def named_holder(self, actor: Actor) -> bool:
        """Held by name: an id-pinned entry matches the id only, an unpinned one the login."""
        for holder in self.users:
            if holder.id is not None:
                if actor.id == holder.id:
                    return True
            elif holder.login.casefold() == actor.login.casefold():
                return True
        return False

    def pinned_elsewhere(self, actor: Actor) -> bool:
        """The login is listed, but pinned to another (or an unknown) account id."""
        return any(
            h.id is not None and h.login.casefold() == actor.login.casefold() and actor.id != h.id
            for h in self.users
        )


class TamperKind(StrEnum):
    EDITED_BY_OTHER = "edited_by_other"
    DELETED_BY_OTHER = "deleted_by_other"
    HISTORY_UNKNOWN = "history_unknown"
    HISTORY_INCONSISTENT = "history_inconsistent"
    DISMISSED_BY_GATED = "dismissed_by_gated"


@dataclass(frozen=True)
class TamperFinding:
    """Evidence that someone other than its author changed or removed it.

    The decision fails closed while any finding is unanswered; ``answered_by`` names the
    role holder whose later command answered it (see ``core``)."""

    kind: TamperKind
    actor: str  # who tampered ("" when unknown)
    actor_id: int | None
    author: str  # whose words were changed or removed
    at: datetime
    source: Source
    detail: str
    answered_by: str | None = None
    answered_at: datetime | None = None


@dataclass(frozen=True)
class Revision:
    """A body its author wrote, at the moment it took effect."""

    source: Source
    author: Actor
    at: datetime
    body: str
    number: int  # 0: as created; n: the n-th edit
    created_at: datetime
    restrictive: bool = False  # history unknown: only /hold and /approve cancel apply


def _has_commands(body: str | None) -> bool:
    return body is None or bool(parse_commands(body))


def _finding(
    kind: TamperKind, actor: Actor | None, author: Actor, at: datetime, source: Source, text: str
) -> TamperFinding:
    detail = text.format(
        actor=actor.login if actor else "someone",
        kind=source.kind,
        id=source.id,
        author=author.login,
    )
    return TamperFinding(
        kind,
        actor.login if actor else "",
        actor.id if actor else None,
        author.login,
        at,
        source,
        detail,
    )


def revisions(
    source: Source,
    author: Actor,
    created_at: datetime,
    body: str,
    edits: Sequence[CommentEdit],
    *,
    edited_at: datetime | None,
    history_complete: bool,
) -> tuple[list[Revision], list[TamperFinding]]:
    """The author's own revisions of a body, and findings for everything else.

    * An edit by another person is a finding when either side of it holds a command (or is
      unknown); the body stays as its author last wrote it, and nothing later counts.
    * A history that is not complete, or whose ``before`` does not match the previous
      body, keeps the revisions known to be whole and adds one restrictive revision with
      the current body (only commands that block apply) and a finding.
    """
    ordered = sorted(edits, key=lambda e: e.at)
    first = ordered[0].before if ordered else body
    last_listed = ordered[-1].at if ordered else created_at
    complete = (
        history_complete
        and first is not None
        and (not ordered or ordered[-1].after == body)
        and (edited_at is None or edited_at <= last_listed)
    )
    if first is None or not history_complete:
        at = max(edited_at or created_at, last_listed)
        restricted = Revision(source, author, at, body, 0, created_at, restrictive=True)
        found = _finding(TamperKind.HISTORY_UNKNOWN, None, author, at, source, FINDING_UNKNOWN)
        return [restricted], [found]
    out = [Revision(source, author, created_at, first, 0, created_at)]
    current = first
    broken = False
    for number, edit in enumerate(ordered, start=1):
        if edit.before is not None and edit.before != current:
            complete = False
            broken = True
            break
        if not same_person(edit.editor, author):
            if _has_commands(current) or _has_commands(edit.after):
                found = _finding(
                    TamperKind.EDITED_BY_OTHER,
                    edit.editor,
                    author,
                    edit.at,
                    source,
                    FINDING_EDITED,
                )
                return out, [found]
            current = edit.after
            continue
        out.append(Revision(source, author, edit.at, edit.after, number, created_at))
        current = edit.after
    if complete:
        return out, []
    at = max(edited_at or last_listed, last_listed)
    out.append(Revision(source, author, at, body, len(out), created_at, restrictive=True))
    unknown = not broken and (not ordered or ordered[-1].after == body)
    text = FINDING_UNKNOWN if unknown else FINDING_INCONSISTENT
    kind = TamperKind.HISTORY_UNKNOWN if unknown else TamperKind.HISTORY_INCONSISTENT
    return out, [_finding(kind, None, author, at, source, text)]


def comment_source(comment_id: int, url: str | None) -> Source:
    return Source("comment", str(comment_id), url)


def review_source(review: Review) -> Source:
    return Source("review", str(review.id), review.url)


def deletion_finding(deletion: CommentDeletion, comment: Comment | None) -> TamperFinding | None:
    """A deletion by anyone but the author is a finding, unless the whole history is
    known and no version of the comment held a command (moderating chatter is fine)."""
    author = comment.author if comment is not None else deletion.author
    if author is not None and same_person(author, deletion.deleter):
        return None
    if comment is not None and deletion.body is not None:
        bodies = [comment.body, deletion.body, *(e.after for e in comment.edits)]
        bodies += [e.before for e in comment.edits if e.before is not None]
        if comment.history_complete and not any(_has_commands(b) for b in bodies):
            return None
    url = deletion.url or (comment.url if comment else None)
    source = Source("comment", str(deletion.comment_id), url)
    who = author or Actor("(unknown author)")
    return _finding(
        TamperKind.DELETED_BY_OTHER, deletion.deleter, who, deletion.at, source, FINDING_DELETED
    )

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bounded answers: what the bot says about a body's commands never grows with the body.

A comment may repeat a command thousands of times. Outcomes are collapsed (identical
command, same result: one entry with a count), at most :data:`MAX_OUTCOMES` distinct
entries are kept, a reply lists at most :data:`MAX_REPLY_ITEMS` of them, and no reply is
longer than :data:`MAX_REPLY_CHARS`, whatever the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from modelgate.bot.approvals.commands import CommandKind

MAX_QUOTED_LINE = 120
MAX_OUTCOMES = 20
MAX_REPLY_ITEMS = 10
MAX_REPLY_CHARS = 4000

REPLY_HEADER = "@{login} I did not act on {count} command(s) in this comment:"
REPLY_ITEM = "- {line}: {reason}"
REPLY_REPEATED = " (×{count})"
REPLY_MORE = "- … and {count} more refused command(s), not listed"
REPLY_FOOTER = "Roles and their holders are read from `governance.yml` on the base branch."


@dataclass(frozen=True)
class CommandOutcome:
    """What one command (or ``count`` identical commands) in a body came to."""

    line: str
    line_number: int  # of the first occurrence
    kind: CommandKind
    accepted: bool
    note: str  # what happened, or why it was refused
    count: int = 1


def code(text: str) -> str:
    """Inline code that no backtick in ``text`` can close; mentions in it notify no one."""
    text = text if len(text) <= MAX_QUOTED_LINE else text[: MAX_QUOTED_LINE - 1] + "…"
    run = 1
    while "`" * run in text:
        run += 1
    ticks = "`" * run
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def names(values: Iterable[str]) -> str:
    return ", ".join(code(v) for v in values) or "(none)"


def collapse(outcomes: Iterable[CommandOutcome]) -> tuple[tuple[CommandOutcome, ...], int]:
    """Identical outcomes merged with a count; at most :data:`MAX_OUTCOMES` kept.

    Returns the kept outcomes and how many commands the dropped ones stood for."""
    merged: dict[tuple[str, CommandKind, bool, str], CommandOutcome] = {}
    omitted = 0
    for outcome in outcomes:
        key = (outcome.line, outcome.kind, outcome.accepted, outcome.note)
        seen = merged.get(key)
        if seen is not None:
            merged[key] = CommandOutcome(
                seen.line,
                seen.line_number,
                seen.kind,
                seen.accepted,
                seen.note,
                seen.count + outcome.count,
            )
        elif len(merged) < MAX_OUTCOMES:
            merged[key] = outcome
        else:
            omitted += outcome.count
    return tuple(merged.values()), omitted


def refusal_reply(login: str, outcomes: Sequence[CommandOutcome], omitted: int) -> str | None:
    """The reply to a body whose commands were (partly) refused, or ``None``."""
    refused = [o for o in outcomes if not o.accepted]
    total = sum(o.count for o in refused) + omitted
    if not total:
        return None
    header = [REPLY_HEADER.format(login=login, count=total), ""]
    footer = ["", REPLY_FOOTER]
    # Whole lines only: cutting inside a code span would let a quoted mention ping.
    budget = MAX_REPLY_CHARS - sum(len(line) + 1 for line in header + footer)
    budget -= len(REPLY_MORE.format(count=total)) + 1
    items: list[str] = []
    listed = 0
    for outcome in refused[:MAX_REPLY_ITEMS]:
        item = REPLY_ITEM.format(line=code(outcome.line), reason=outcome.note)
        if outcome.count > 1:
            item += REPLY_REPEATED.format(count=outcome.count)
        if len(item) + 1 > budget:
            break
        budget -= len(item) + 1
        items.append(item)
        listed += outcome.count
    if total > listed:
        items.append(REPLY_MORE.format(count=total - listed))
    return "\n".join(header + items + footer)

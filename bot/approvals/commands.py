# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Slash commands in pull-request comments and review bodies (``/approve``, ``/hold``,
their variants, and Prow's ``/remove-approve``), read as CommonMark shows them: only at
the start of a line of ordinary text (docs/design/approval-chain.md says which rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

# The line starts the command: up to three spaces, the verb, then whitespace or the end.
COMMAND_RE = re.compile(
    r"^ {0,3}/(?P<verb>approve|remove-approve|hold|unhold)(?:[ \t]+(?P<rest>.*?))?[ \t]*$",
    re.IGNORECASE,
)
LINE_BREAK_RE = re.compile(r"\r\n|\r|\n")
FENCE_OPEN_RE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
FENCE_CLOSE_RE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")
QUOTE_RE = re.compile(r"^ {0,3}>")
QUOTE_MARKERS_RE = re.compile(r"^(?: {0,3}> ?)+")
# Lines that start a new block end a lazily continued quote (headings, breaks, lists).
BLOCK_START_RE = re.compile(
    r"^ {0,3}(?:#{1,6}(?:[ \t]|$)|(?:[-*_][ \t]*){3,}$|[-+*][ \t]|\d{1,9}[.)][ \t])"
)
ROLE_ARGUMENT_RE = re.compile(r"^\S+$")
COMMENT_OPEN = "<!--"
COMMENT_CLOSE = "-->"
# Stands where an HTML comment was, so that text after it is not at the start of a line.
HIDDEN = "\ufffc"
CANCEL = "cancel"


class CommandKind(StrEnum):
    """What a command asks for; ``INVALID`` is a known verb with arguments it does not take."""

    APPROVE = "approve"
    APPROVE_ROLE = "approve_role"
    APPROVE_CANCEL = "approve_cancel"
    HOLD = "hold"
    UNHOLD = "unhold"
    INVALID = "invalid"


@dataclass(frozen=True)
class Command:
    """One command, with the line it came from so that replies can quote it."""

    kind: CommandKind
    verb: str  # "approve", "remove-approve", "hold" or "unhold", lower case
    line: str  # the line as written, without surrounding whitespace
    line_number: int  # 1-based, within the comment body
    argument: str = ""  # the role (lower case) for APPROVE_ROLE, the reason for HOLD,
    # the unparsed rest for INVALID; empty otherwise


def _classify(verb: str, rest: str) -> tuple[CommandKind, str]:
    if verb == "approve":
        if not rest:
            return CommandKind.APPROVE, ""
        if rest.lower() == CANCEL:
            return CommandKind.APPROVE_CANCEL, ""
        if ROLE_ARGUMENT_RE.match(rest):
            return CommandKind.APPROVE_ROLE, rest.lower()
        return CommandKind.INVALID, rest
    if verb == "remove-approve":  # Prow's spelling of `/approve cancel`
        return (CommandKind.INVALID, rest) if rest else (CommandKind.APPROVE_CANCEL, "")
    if verb == "hold":
        if rest.lower() == CANCEL:
            return CommandKind.UNHOLD, ""
        # Anything else after /hold is the reason: a hold must never be lost to wording.
        return CommandKind.HOLD, rest
    if rest:
        return CommandKind.INVALID, rest
    return CommandKind.UNHOLD, ""


def _match_command(text: str, original: str, line_number: int) -> Command | None:
    match = COMMAND_RE.match(text)
    if match is None:
        return None
    verb = match["verb"].lower()
    # A comment after the command (`/approve <!-- note -->`) is not an argument.
    rest = (match["rest"] or "").replace(HIDDEN, " ").strip()
    kind, argument = _classify(verb, rest)
    return Command(kind, verb, original.strip(), line_number, argument)


def _opens_fence(line: str) -> tuple[str, int] | None:
    match = FENCE_OPEN_RE.match(line)
    if match is None:
        return None
    fence = match["fence"]
    if fence[0] == "`" and "`" in match["info"]:
        return None  # an inline code span, not a fence (CommonMark 4.5)
    return fence[0], len(fence)


class _Scanner:
    """Walks a comment line by line, keeping the Markdown context that hides text."""

    def __init__(self) -> None:
        self.fence: tuple[str, int] | None = None
        self.in_comment = False
        self.quote_paragraph = False

    def visible(self, line: str) -> str | None:
        """The line as it may hold a command, or ``None`` when Markdown hides it."""
        if self.in_comment:
            end = line.find(COMMENT_CLOSE)
            if end < 0:
                return None
            self.in_comment = False
            line = HIDDEN + line[end + len(COMMENT_CLOSE) :]
        if self.fence is not None:
            self._close_fence(line)
            return None
        line = self._strip_comments(line)
        fence = _opens_fence(line)
        if fence is not None:
            self.fence = fence
            self.quote_paragraph = False
            return None
        return None if self._quoted(line) else line

    def _close_fence(self, line: str) -> None:
        match = FENCE_CLOSE_RE.match(line)
        if match is None or self.fence is None:
            return
        char, length = self.fence
        if match["fence"][0] == char and len(match["fence"]) >= length:
            self.fence = None

    def _strip_comments(self, line: str) -> str:
        start = line.find(COMMENT_OPEN)
        while start >= 0:
            end = line.find(COMMENT_CLOSE, start + len(COMMENT_OPEN))
            if end < 0:
                self.in_comment = True
                return line[:start]
            line = line[:start] + HIDDEN + line[end + len(COMMENT_CLOSE) :]
            start = line.find(COMMENT_OPEN, start + 1)
        return line

    def _quoted(self, line: str) -> bool:
        if QUOTE_RE.match(line):
            content = QUOTE_MARKERS_RE.sub("", line, count=1)
            self.quote_paragraph = bool(content.strip()) and _opens_fence(content) is None
            return True
        if not line.strip() or BLOCK_START_RE.match(line):
            self.quote_paragraph = False
            return False
        return self.quote_paragraph


def parse_commands(body: str) -> list[Command]:
    """Every command in a comment body, in order; never raises on any text."""
    scanner = _Scanner()
    commands: list[Command] = []
    for number, original in enumerate(LINE_BREAK_RE.split(body), start=1):
        text = scanner.visible(original)
        if text is None:
            continue
        command = _match_command(text, original, number)
        if command is not None:
            commands.append(command)
    return commands

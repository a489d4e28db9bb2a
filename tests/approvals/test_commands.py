# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The slash-command parser: what counts as a command in a pull-request comment."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelgate.bot.approvals.commands import LINE_BREAK_RE, CommandKind, parse_commands
from tests.conftest import load_fixture_json

K = CommandKind


def kinds(body: str) -> list[tuple[CommandKind, str]]:
    return [(c.kind, c.argument) for c in parse_commands(body)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/approve", [(K.APPROVE, "")]),
        ("/approve data-steward", [(K.APPROVE_ROLE, "data-steward")]),
        ("/approve cancel", [(K.APPROVE_CANCEL, "")]),
        ("/hold", [(K.HOLD, "")]),
        ("/hold cancel", [(K.UNHOLD, "")]),
        ("/unhold", [(K.UNHOLD, "")]),
        ("/APPROVE", [(K.APPROVE, "")]),
        ("/Approve Data-Steward", [(K.APPROVE_ROLE, "data-steward")]),
        ("/approve CANCEL", [(K.APPROVE_CANCEL, "")]),
        ("/HOLD Cancel", [(K.UNHOLD, "")]),
        ("   /approve", [(K.APPROVE, "")]),
        ("/approve   \t", [(K.APPROVE, "")]),
        ("/hold waiting for the clinical review", [(K.HOLD, "waiting for the clinical review")]),
        ("/approve data-steward please", [(K.INVALID, "data-steward please")]),
        ("/unhold now", [(K.INVALID, "now")]),
    ],
)
def test_each_command_form(body: str, expected: list[tuple[CommandKind, str]]) -> None:
    """It recognises every documented form, whatever the case, and refuses extra words."""
    assert kinds(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        "please /approve",
        "LGTM /approve",
        "/approved",
        "/approver data-steward",
        "/holdup",
        "//approve",
        "`/approve`",
        "- /approve",
        "\\/approve",
    ],
)
def test_not_a_command(body: str) -> None:
    """It ignores a command that does not start the line, or a longer word."""
    assert parse_commands(body) == []


def test_several_commands_with_their_lines() -> None:
    """It returns every command of a comment in order, with the line it came from."""
    body = "Looks good to me.\r\n\r\n/approve ml-reviewer\r\n  /hold until Monday\n/unhold"
    commands = parse_commands(body)
    assert [(c.kind, c.line_number, c.line) for c in commands] == [
        (K.APPROVE_ROLE, 3, "/approve ml-reviewer"),
        (K.HOLD, 4, "/hold until Monday"),
        (K.UNHOLD, 5, "/unhold"),
    ]


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("backtick fence", "Try this:\n```\n/approve\n```"),
        ("tilde fence", "~~~text\n/approve\n~~~"),
        ("longer fence closed only by a long enough one", "````\n```\n/approve\n````"),
        ("unclosed fence runs to the end", "```\n/approve\n\nmore text\n/hold"),
        ("indented code, four spaces", "Example:\n\n    /approve"),
        ("indented code, a tab", "\t/approve"),
        ("quote", "> /approve"),
        ("nested quote", "> > /approve"),
        ("indented quote", "  > /approve"),
        ("lazy quote continuation", "> Did you check calibration?\n/approve"),
        ("HTML comment on one line", "<!-- /approve -->"),
        ("HTML comment across lines", "<!--\n/approve\n/hold\n-->"),
        ("text after a closing comment", "<!-- note --> /approve\n<!--\n-->/hold"),
        ("unclosed HTML comment", "<!-- draft\n/approve"),
    ],
)
def test_hidden_by_markdown(name: str, body: str) -> None:
    """It ignores commands that GitHub renders as code, quotes or hidden comments."""
    assert parse_commands(body) == [], name


@pytest.mark.parametrize(
    ("name", "body", "expected"),
    [
        ("after a closed fence", "```\n/hold\n```\n/approve", [K.APPROVE]),
        ("fence closed by the same character only", "```\n~~~\n/hold\n```\n/approve", [K.APPROVE]),
        ("after a quote and a blank line", "> quoted\n\n/approve", [K.APPROVE]),
        ("after an empty quote line", ">\n/approve", [K.APPROVE]),
        ("after a heading ends the quote", "> quoted\n# Verdict\n/approve", [K.APPROVE]),
        ("after a closed HTML comment", "<!-- note -->\n/approve", [K.APPROVE]),
        ("before an HTML comment", "/approve <!-- cleo asked -->", [K.APPROVE]),
        ("inline code span is not a fence", "```/hold``` text\n/approve", [K.APPROVE]),
        ("three spaces of indent", "   /approve", [K.APPROVE]),
    ],
)
def test_visible_again(name: str, body: str, expected: list[CommandKind]) -> None:
    """It reads commands again once the code block, quote or comment has ended."""
    assert [c.kind for c in parse_commands(body)] == expected, name


def test_real_pr_comment_payloads() -> None:
    """It reads the bodies of real issue_comment payloads: one slash command, one empty."""
    slash = load_fixture_json("github-webhooks/issue_comment.created.on_pr.packit.json")
    empty = load_fixture_json("github-webhooks/issue_comment.created.on_pr.empty_body.packit.json")
    assert slash["comment"]["body"].startswith("/packit")
    assert parse_commands(slash["comment"]["body"]) == []
    assert parse_commands(empty["comment"]["body"]) == []
    assert kinds(slash["comment"]["body"].replace("/packit help", "/approve")) == [(K.APPROVE, "")]


LINES = st.lists(st.text(max_size=40), max_size=12)


def _starts_with_slash(line: str) -> bool:
    return line.lstrip(" ").startswith("/")


@given(st.text())
def test_never_raises(body: str) -> None:
    """It parses any text without raising, and every command it finds starts its line."""
    lines = LINE_BREAK_RE.split(body)
    for command in parse_commands(body):
        assert _starts_with_slash(lines[command.line_number - 1])
        assert command.line == lines[command.line_number - 1].strip()


@given(st.text())
def test_no_slash_no_command(body: str) -> None:
    """It finds nothing in text where no line starts with a slash."""
    if any(_starts_with_slash(line) for line in LINE_BREAK_RE.split(body)):
        body = re.sub(r"(?m)^( *)/", r"\1x", body.replace("\r", "\n"))
    assert parse_commands(body) == []


@given(LINES)
def test_quoted_text_is_never_a_command(lines: list[str]) -> None:
    """It finds nothing in a comment made only of quoted lines."""
    body = "\n".join("> " + LINE_BREAK_RE.sub(" ", line) for line in lines)
    assert parse_commands(body) == []


@given(LINES)
def test_fenced_text_is_never_a_command(lines: list[str]) -> None:
    """It finds nothing inside a fence that the content cannot close."""
    inner = "\n".join(LINE_BREAK_RE.sub(" ", line).replace("~", "-") for line in lines)
    assert parse_commands(f"~~~\n{inner}\n~~~") == []


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("/remove-approve", CommandKind.APPROVE_CANCEL),
        ("/REMOVE-APPROVE", CommandKind.APPROVE_CANCEL),
        ("/remove-approve now", CommandKind.INVALID),
        ("/hold cancel", CommandKind.UNHOLD),
    ],
)
def test_prow_spellings(body: str, kind: CommandKind) -> None:
    """It reads Prow's ``/remove-approve`` as ``/approve cancel``, and nothing after it."""
    [command] = parse_commands(body)
    assert command.kind == kind

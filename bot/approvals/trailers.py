# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Approval trailers: one line per approval in the merge commit message, so the approvals
live in git itself, next to the code they approved, and the release can record them on
the model version for ``modelgate trace``."""

from __future__ import annotations

import re

APPROVAL_TRAILER = "Modelgate-Approved"
_TRAILER_RE = re.compile(
    rf"^{APPROVAL_TRAILER}: (?P<role>[a-z0-9][a-z0-9_-]*) by @(?P<login>[A-Za-z0-9-]+(?:\[bot\])?)"
    r" at (?P<at>\S+) on (?P<sha>[0-9a-f]{40})$",
    re.MULTILINE,
)


def approval_trailer(role: str, login: str, at: str, sha: str) -> str:
    return f"{APPROVAL_TRAILER}: {role} by @{login} at {at} on {sha}"


def approvals_from_message(message: str) -> list[dict[str, str]]:
    return [m.groupdict() for m in _TRAILER_RE.finditer(message)]

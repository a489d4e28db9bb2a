# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Which roles a pull request needs: every role, and the gate role only when it changes
the gate itself (``governance.yml`` ``gate.paths``).

Pure: the chain lists the pull request's files (renames with both names) and asks here.
Patterns are globs on repository paths: ``*`` and ``?`` stay inside one folder, ``**``
crosses folders (``bot/**`` is everything under ``bot/``), and a pattern matches the
whole path (``governance.yml`` is the root file only). Paths are compared as GitHub
spells them, case-sensitively, so ``Bot/x.py`` is not ``bot/x.py`` (git agrees).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


_R = TypeVar("_R", bound=_Named)


@functools.cache
def _compile(pattern: str) -> re.Pattern[str]:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        index += 1
    return re.compile("".join(out), re.DOTALL)


def path_matches(path: str, pattern: str) -> bool:
    return _compile(pattern.lstrip("/")).fullmatch(path.lstrip("/")) is not None


def gate_paths(files: Iterable[str], patterns: Sequence[str]) -> tuple[str, ...]:
    """The changed paths that touch the gate, in the order given."""
    return tuple(f for f in files if any(path_matches(f, p) for p in patterns))


def required_roles(roles: Sequence[_R], gate_role: str | None, touched: bool) -> list[_R]:
    """Every role, except the gate role when the gate is not touched."""
    if gate_role is None or touched:
        return list(roles)
    return [r for r in roles if r.name != gate_role]

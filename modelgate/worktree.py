# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Whether the git working tree holds uncommitted changes, ignoring modelgate's own output.

A run from a dirty tree cannot be traced to a commit, so ``train`` and ``check`` ask this
before they train (and refuse), not after a version is registered.
"""

from __future__ import annotations

import subprocess  # nosec B404 - fixed git argv, no shell
from collections.abc import Iterable
from pathlib import Path

SHOWN = 10  # changed paths named in a refusal


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(  # nosec B603 B607 - git with fixed arguments
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _paths(porcelain_z: str) -> list[str]:
    """Paths from ``git status --porcelain=v1 -z`` (a rename's source skipped)."""
    fields = porcelain_z.split("\0")
    paths: list[str] = []
    i = 0
    while i < len(fields):
        entry = fields[i]
        i += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":  # the next field is the rename's or copy's source
            i += 1
    return paths


def uncommitted(root: Path, ignore: Iterable[Path] = ()) -> list[str] | None:
    """Changed and untracked paths (relative to the repository's top) of the working tree
    holding ``root``, except those under ``ignore``; ``None`` when ``root`` is in no git
    working tree (nothing to refuse: the run is recorded as unversioned)."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top is None or not top.strip():
        return None
    top_dir = Path(top.strip()).resolve()
    status = _git(top_dir, "status", "--porcelain=v1", "-z", "--untracked-files=normal")
    if status is None:
        return None
    prefixes = []
    for path in ignore:
        try:
            rel = path.resolve().relative_to(top_dir).as_posix()
        except ValueError:
            continue  # outside the repository: git does not report it
        prefixes.append(rel.rstrip("/"))
    return [p for p in _paths(status)
            if not any(p.rstrip("/") == pre or p.startswith(pre + "/") for pre in prefixes)]


def describe(paths: list[str], shown: int = SHOWN) -> str:
    """The first ``shown`` paths, one per line, and how many more."""
    lines = [f"  {p}" for p in paths[:shown]]
    if len(paths) > shown:
        lines.append(f"  … and {len(paths) - shown} more")
    return "\n".join(lines)

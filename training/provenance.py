# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the code and its environment came from: commit, dirtiness, lock and config hashes."""

from __future__ import annotations

import subprocess  # nosec B404 - fixed git argv, no shell
from dataclasses import dataclass
from pathlib import Path

from modelgate.hashing import sha256_file

LOCK_FILES = ("uv.lock", "requirements.lock", "requirements.txt")
NO_COMMIT = "unversioned"


@dataclass(frozen=True)
class Provenance:
    commit: str
    dirty: bool
    tree: str
    lock_file: str
    lock_sha256: str


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(  # nosec B603 B607 - git with fixed arguments
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def collect(root: Path) -> Provenance:
    commit = _git(root, "rev-parse", "HEAD") or NO_COMMIT
    status = _git(root, "status", "--porcelain")
    tree = _git(root, "rev-parse", "HEAD^{tree}") or ""
    lock_name, lock_hash = "", ""
    for name in LOCK_FILES:
        path = root / name
        if path.is_file():
            lock_name, lock_hash = name, sha256_file(path)
            break
    return Provenance(
        commit=commit,
        dirty=status is None or status != "",
        tree=tree,
        lock_file=lock_name,
        lock_sha256=lock_hash,
    )

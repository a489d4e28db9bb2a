# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Per-file results of the security audit's scanners (bandit, detect-secrets), kept
between runs so that a file whose bytes were scanned before is not scanned again.

A result is stored under ``sha256(scanner identity, path, bytes)``: it is the scanner's
verdict on exactly those bytes at that path, whoever supplied them, so it can be shared
by every job that trusts the code which computed it. The file lives outside the audited
tree and CI restores it only from the default branch's trusted jobs (docs/github-setup.md).
An unreadable file, another schema or an entry of the wrong shape is a miss (the file is
scanned), never a pass. The current tree's results are written back first, then the
most recent earlier ones, up to two trees' worth, so the file never grows past that.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

CACHE_SCHEMA = 2
SCAN_CACHE_ENV = "MODELGATE_SCAN_CACHE"
LEGACY_SCAN_CACHE_ENV = "MODELGATE_SECRET_SCAN_CACHE"  # its first name, still read
SCAN_CACHE_FILE = "scan-cache.json"
KEEP_TREES = 2  # the file holds at most this many times the current tree's entries


def scan_cache_path(env: Mapping[str, str] | None = None) -> Path | None:
    """Where the scanners keep their per-file results, outside the audited tree so that
    the tree cannot plant entries: ``$MODELGATE_SCAN_CACHE`` (or its old name
    ``$MODELGATE_SECRET_SCAN_CACHE``; empty: no cache), else the user's cache directory.
    CI restores it only from jobs it trusts (the default branch's), so a pull request
    scans just the files it changed."""
    env = os.environ if env is None else env
    for name in (SCAN_CACHE_ENV, LEGACY_SCAN_CACHE_ENV):
        if name in env:
            return Path(env[name]) if env[name] else None
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "modelgate" / SCAN_CACHE_FILE


def key(scanner: str, name: str, data: bytes) -> str:
    """The result of ``scanner`` for exactly these bytes at this path."""
    h = hashlib.sha256(scanner.encode())
    h.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()


def _load(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}  # no cache, or an unreadable one: scan everything
    if not isinstance(doc, dict) or doc.get("schema_version") != CACHE_SCHEMA:
        return {}  # another modelgate's layout: not ours to read
    results = doc.get("results")
    return results if isinstance(results, dict) else {}


class ScanCache:
    """The cache file at ``path`` (``None``: remember nothing). Thread-safe: bandit and
    the secret scan read and fill it side by side; :meth:`save` writes once, after both."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._known = _load(path)
        self._current: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, k: str, valid: Callable[[Any], bool]) -> Any | None:
        """The stored result for key ``k`` when it has the shape ``valid`` accepts."""
        with self._lock:
            value = self._known.get(k)
        if value is None or not valid(value):
            return None
        with self._lock:
            self._current[k] = value
        return value

    def put(self, k: str, value: Any) -> None:
        with self._lock:
            self._current[k] = value

    def save(self) -> None:
        """Write this tree's results (hits and new ones) first, then the file's earlier
        entries up to as many again: two trees' worth, so a release still finds the files
        its pull request changed after another pull request's verdict saved. A cache that
        cannot be written costs the next run time, never a verdict: it is skipped."""
        if self.path is None:
            return
        with self._lock:
            results = dict(self._current)
            room = KEEP_TREES * len(self._current)
            for k, value in self._known.items():
                if len(results) >= room:
                    break
                results.setdefault(k, value)
            doc = {"schema_version": CACHE_SCHEMA, "results": results}
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(doc), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)

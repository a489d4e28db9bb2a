# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""GitHub's Actions cache, as strict as GitHub: `actions/cache/restore` and
`actions/cache/save` steps for the road.

The rules, from GitHub's "Dependency caching reference"
(https://docs.github.com/en/actions/reference/workflows-and-actions/dependency-caching):

- "Restrictions for accessing a cache": a workflow run can restore caches created in its
  own branch (its ref) or in the default branch. A run for a pull request lives in
  ``refs/pull/N/merge``: what it saves only that PR's re-runs can restore, never the
  default branch nor another PR. Runs of `workflow_run`, `issue_comment`,
  `pull_request_target`, `workflow_dispatch` on the default branch and pushes to it run
  in the default branch.
- "Matching a cache key": in the run's own ref first, an exact match of ``key``, then a
  prefix match of ``key``, then each of ``restore-keys`` in order as a prefix; several
  prefix matches: the most recently created. Nothing in the own ref: the same sequence in
  the default branch. A hit also needs the same cache version (GitHub's version hashes
  the ``path`` input and the compression), so a restore of other paths misses.
- "You cannot change the contents of an existing cache": a key saved once in a scope is
  not overwritten (the save warns and the step passes, as the action does); a new key
  makes a new cache.
- ``cache-hit`` is ``true`` only for an exact match of ``key``; ``cache-matched-key`` names
  the key restored, ``cache-primary-key`` the key asked for.

The archive is a tar of the ``path`` entries (one per line; relative ones are in the
workspace), kept in memory: the double's side of the cache service. On GitHub every job's
RUNNER_TEMP and workspace are the same paths (``/home/runner/work/_temp``, ...); the road
gives each job folders of its own, so paths under them are kept relative to them (in the
archive and in the version), as if they were the same paths.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import tarfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_BRANCH_REF = "refs/heads/main"
MAX_KEY = 512  # "Keys have a maximum length of 512 characters"
MSG_KEY_TAKEN = ("Failed to save: Unable to reserve cache with key {key}, another job may be "
                 "creating this cache.")
MSG_NOTHING_TO_SAVE = ("Path Validation Error: Path(s) specified in the action for caching "
                       "do(es) not exist, hence no cache is being saved.")
MSG_KEY_TOO_LONG = "Key Validation Error: {key} cannot be larger than 512 characters."
MSG_KEY_COMMA = "Key Validation Error: {key} cannot contain commas."


class CacheInputError(ValueError):
    """A cache step's inputs GitHub's action refuses (the step fails)."""


@dataclass(frozen=True)
class Entry:
    key: str
    version: str
    scope: str  # the ref the run that saved it ran in
    created: int  # creation order (newest = highest)
    data: bytes


@dataclass(frozen=True)
class Restored:
    entry: Entry | None
    exact: bool


def paths_of(path_input: str) -> list[str]:
    return [p.strip() for p in path_input.splitlines() if p.strip()]


def version_of(paths: list[str]) -> str:
    """The cache version: the paths and the compression, as the action hashes them."""
    return hashlib.sha256("|".join([*paths, "gzip", "1.0"]).encode()).hexdigest()


def _check_key(key: str) -> None:
    if len(key) > MAX_KEY:
        raise CacheInputError(MSG_KEY_TOO_LONG.format(key=key))
    if "," in key:
        raise CacheInputError(MSG_KEY_COMMA.format(key=key))


@dataclass
class ActionsCache:
    """One repository's caches, by scope (ref)."""

    default_ref: str = DEFAULT_BRANCH_REF
    entries: list[Entry] = field(default_factory=list)
    _order: itertools.count[int] = field(default_factory=itertools.count)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def scopes(self, ref: str) -> list[str]:
        """The scopes a run in ``ref`` may restore from, in the order searched."""
        return [ref] if ref == self.default_ref else [ref, self.default_ref]

    def save(self, ref: str, key: str, paths: list[str], data: bytes) -> bool:
        """Create the cache ``key`` in ``ref``'s scope; False if the key is taken there."""
        _check_key(key)
        version = version_of(paths)
        with self._lock:
            if any(e.scope == ref and e.key == key and e.version == version
                   for e in self.entries):
                return False
            self.entries.append(Entry(key, version, ref, next(self._order), data))
            return True

    def restore(self, ref: str, key: str, restore_keys: list[str],
                paths: list[str]) -> Restored:
        """The entry a run in ``ref`` restores ("Matching a cache key"), if any."""
        for k in (key, *restore_keys):
            _check_key(k)
        version = version_of(paths)
        with self._lock:
            for scope in self.scopes(ref):
                mine = [e for e in self.entries if e.scope == scope and e.version == version]
                exact = [e for e in mine if e.key == key]
                if exact:
                    return Restored(exact[-1], exact=True)
                for prefix in (key, *restore_keys):
                    found = [e for e in mine if e.key.startswith(prefix)]
                    if found:
                        return Restored(max(found, key=lambda e: e.created), exact=False)
        return Restored(None, exact=False)


Roots = dict[str, Path]  # a job's folders by name: WORKSPACE, RUNNER_TEMP


def portable(name: str, roots: Roots) -> str:
    """``name`` as every job would write it: under a root, ``ROOT/relative``."""
    path = Path(name).expanduser()
    if not path.is_absolute():
        return f"WORKSPACE/{path.as_posix()}"
    for root, folder in roots.items():
        if path.is_relative_to(folder):
            return f"{root}/{path.relative_to(folder).as_posix()}"
    return f"ABS{path.as_posix()}"


def local(name: str, roots: Roots) -> Path:
    """Where a :func:`portable` name is in this job."""
    head, _, rest = name.partition("/")
    if head == "ABS":
        return Path("/" + rest)
    if head in roots:
        return roots[head] / rest
    raise CacheInputError(f"not a path this cache wrote: {name!r}")


def pack(roots: Roots, paths: list[str]) -> bytes | None:
    """A tar.gz of the ``paths`` that exist (None: none does, nothing is saved)."""
    buf = io.BytesIO()
    found = False
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in paths:
            portable_name = portable(name, roots)
            source = local(portable_name, roots)
            if source.exists():
                found = True
                tar.add(source, arcname=portable_name)
    return buf.getvalue() if found else None


def _checked_members(tar: tarfile.TarFile, roots: Roots) -> list[tarfile.TarInfo]:
    """Files and folders only, each renamed to where :func:`local` puts it."""
    members = tar.getmembers()
    for member in members:
        if not (member.isfile() or member.isdir()) or ".." in Path(member.name).parts:
            raise CacheInputError(f"the cache holds {member.name!r}: only files and "
                                  "folders inside the job's own folders are restored")
        target = local(member.name, roots)
        member.name = str(target.relative_to(target.anchor))
    return members


def unpack(roots: Roots, data: bytes) -> None:
    """tarfile's ``data`` filter too where this Python has it (3.11.4 and later; Debian's
    3.11.2, which CI's plain PATH finds, has not)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall("/", members=_checked_members(tar, roots), filter="data")
        else:
            tar.extractall("/", members=_checked_members(tar, roots))


def job_ref(event_name: str, pull_number: int | None, default_ref: str = DEFAULT_BRANCH_REF,
            *, ref: str | None = None) -> str:
    """The ref a run lives in: a `pull_request` run in its PR's merge ref; a `push` or
    `workflow_dispatch` run in the ref it ran on (``ref``, GITHUB_REF: someone with write
    access can push a branch of their own, whose runs save into that branch's scope);
    workflow_run, issue_comment, pull_request_target and schedule runs in the default
    branch."""
    if event_name == "pull_request":
        if pull_number is None:
            raise ValueError("a pull_request run needs its PR number")
        return f"refs/pull/{pull_number}/merge"
    if event_name in ("push", "workflow_dispatch") and ref:
        return ref
    return default_ref


Say = Callable[[str], None]


def emulators(cache: ActionsCache, ref_of: Callable[[Any], str],
              roots_of: Callable[[Any], Roots], outputs_of: Callable[[Any], dict[str, Any]],
              say: Say) -> dict[str, Callable[[dict[str, Any], dict[str, str], Any], int]]:
    """`actions/cache/restore` and `actions/cache/save` for a job runner: ``ref_of(job)``
    the run's ref, ``roots_of(job)`` its folders (WORKSPACE, RUNNER_TEMP),
    ``outputs_of(job)`` the dict the step's outputs go to (``steps.<id>.outputs``)."""

    def restore(inputs: dict[str, Any], env: dict[str, str], job: Any) -> int:
        paths = paths_of(str(inputs.get("path", "")))
        key = str(inputs.get("key", "")).strip()
        keys = paths_of(str(inputs.get("restore-keys", "")))
        try:
            if not paths or not key:
                raise CacheInputError("Input required and not supplied: "
                                      + ("path" if not paths else "key"))
            roots = roots_of(job)
            found = cache.restore(ref_of(job), key, keys, [portable(p, roots) for p in paths])
        except CacheInputError as exc:
            say(f"       {exc}")
            return 1
        outputs = outputs_of(job)
        outputs.update({"cache-hit": "true" if found.exact else "false",
                        "cache-primary-key": key,
                        "cache-matched-key": found.entry.key if found.entry else ""})
        if found.entry is None:
            if str(inputs.get("fail-on-cache-miss", "false")).lower() == "true":
                say(f"       Failed to restore cache entry. Exiting as fail-on-cache-miss is "
                    f"set. Input key: {key}")
                return 1
            say(f"       Cache not found for input keys: {', '.join([key, *keys])}")
            return 0
        if str(inputs.get("lookup-only", "false")).lower() != "true":
            unpack(roots, found.entry.data)
        say(f"       Cache restored from key: {found.entry.key} "
            f"(saved in {found.entry.scope})")
        return 0

    def save(inputs: dict[str, Any], env: dict[str, str], job: Any) -> int:
        paths = paths_of(str(inputs.get("path", "")))
        key = str(inputs.get("key", "")).strip()
        try:
            if not paths or not key:
                raise CacheInputError("Input required and not supplied: "
                                      + ("path" if not paths else "key"))
            roots = roots_of(job)
            data = pack(roots, paths)
            if data is None:
                say(f"       Warning: {MSG_NOTHING_TO_SAVE}")
                return 0
            ref = ref_of(job)
            if not cache.save(ref, key, [portable(p, roots) for p in paths], data):
                say(f"       Warning: {MSG_KEY_TAKEN.format(key=key)}")
                return 0
        except CacheInputError as exc:
            say(f"       {exc}")
            return 1
        say(f"       Cache saved with key: {key} (in {ref})")
        return 0

    return {"actions/cache/restore": restore, "actions/cache/save": save}

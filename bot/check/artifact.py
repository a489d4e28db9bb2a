# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The audit artifact, read in the trusted job as the untrusted input it is.

The PR job runs the pull request's own code, so everything it uploads may be hostile:
a zip with ``../`` or absolute names, symlinks, duplicate names, a bomb that inflates to
gigabytes, JSON that is not UTF-8 or not what it claims. This module reads only the three
files the report needs (``audit_report.json``, ``run_metadata.json``, ``model_card.json``),
never extracts anything to disk, counts real decompressed bytes while reading, validates
each document against its model, and checks that the artifact belongs to this repository,
this pull request and its current head. Markdown the PR job wrote is never read: the
trusted side renders everything again from the validated data.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelgate.bot.check.card import CardError, ModelCard, load_card_json
from modelgate.bot.check.report import (
    CARD_JSON_FILE,
    EVAL_ROWS_FILE,
    METADATA_FILE,
    PREDICTIONS_FILE,
    REPORT_FILE,
    AuditReport,
)
from modelgate.errors import ModelgateError

RUN_METADATA_SCHEMA_VERSION: Literal[1] = 1
MAX_FILES = 64
MAX_MEMBER_BYTES = 4 * 1024 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024
MAX_ZIP_BYTES = 24 * 1024 * 1024
READ_CHUNK = 64 * 1024
NEEDED = (REPORT_FILE, METADATA_FILE, CARD_JSON_FILE)
OPTIONAL = (EVAL_ROWS_FILE, PREDICTIONS_FILE)  # read (same limits) for the trusted jobs
READ = NEEDED + OPTIONAL
ALLOWED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
WINDOWS_DRIVE_RE = re.compile(r"^[A-Za-z]:")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

Sha = Annotated[str, Field(pattern=r"^([0-9a-f]{40}|[0-9a-f]{64})$")]


class ArtifactError(ModelgateError):
    """The artifact cannot be used; the message says which file and why."""


class StaleArtifact(ArtifactError):
    """A well-formed artifact for an earlier head of this pull request."""


class RunMetadata(BaseModel):
    """``run_metadata.json``: which repository, pull request and commit the PR job audited.

    Written by the PR job from ``github.event.pull_request`` (never from ``GITHUB_SHA``,
    which is the test merge commit there) and checked against GitHub by the report job.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    schema_version: Literal[1] = RUN_METADATA_SCHEMA_VERSION
    kind: Literal["modelgate.run_metadata"] = "modelgate.run_metadata"
    repository: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")]
    pr_number: Annotated[int, Field(ge=1, le=10**9)]
    head_sha: Sha
    base_ref: Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\s~^:?*\[\\]+$")]
    tree_sha: Sha  # git tree of head_sha: release checks that the merge kept it
    workflow_run_id: Annotated[int, Field(ge=1)]
    workflow_run_attempt: Annotated[int, Field(ge=1, le=1000)] = 1


@dataclass(frozen=True)
class Limits:
    files: int = MAX_FILES
    member_bytes: int = MAX_MEMBER_BYTES
    total_bytes: int = MAX_TOTAL_BYTES
    zip_bytes: int = MAX_ZIP_BYTES


@dataclass(frozen=True)
class AuditArtifact:
    """The three validated documents of one audit artifact."""

    report: AuditReport
    metadata: RunMetadata
    card: ModelCard
    # every member as read (size-capped, unvalidated): evidence for the trusted jobs
    files: Mapping[str, bytes] = field(default_factory=dict, repr=False, compare=False)

    def check_belongs(self, *, repository: str, pr_number: int, head_sha: str) -> None:
        """Refuse an artifact for another repository, pull request or commit."""
        meta = self.metadata
        if meta.repository.casefold() != repository.casefold():
            raise ArtifactError(
                f"the artifact is for repository {meta.repository}, not {repository}"
            )
        if meta.pr_number != pr_number:
            raise ArtifactError(
                f"the artifact is for pull request #{meta.pr_number}, not #{pr_number}"
            )
        if meta.head_sha != head_sha:
            raise StaleArtifact(
                f"the artifact is for commit {meta.head_sha[:12]}, but the head of "
                f"#{pr_number} is now {head_sha[:12]}"
            )


# --------------------------------------------------------------------- documents


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"key {key!r} appears twice")
        seen[key] = value
    return seen


def parse_json(name: str, data: bytes) -> Any:
    """Strict JSON: UTF-8 without BOM, no NaN/Infinity, no repeated keys."""
    if data.startswith(b"\xef\xbb\xbf"):
        raise ArtifactError(f"{name}: starts with a byte-order mark; write plain UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArtifactError(f"{name}: not UTF-8 (byte {exc.start})") from exc
    try:
        return json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicate_keys
        )
    except RecursionError as exc:
        raise ArtifactError(f"{name}: nested too deeply") from exc
    except ValueError as exc:
        raise ArtifactError(f"{name}: not valid JSON: {exc}") from exc


def _validation_message(name: str, exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(top level)"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{name}: invalid at {where}: {first['msg']}{more}"


def validate_documents(files: dict[str, bytes]) -> AuditArtifact:
    """The three documents validated and cross-checked against each other."""
    missing = [name for name in NEEDED if name not in files]
    if missing:
        raise ArtifactError(f"the artifact lacks {', '.join(missing)}")
    try:
        report = AuditReport.model_validate(parse_json(REPORT_FILE, files[REPORT_FILE]))
    except ValidationError as exc:
        raise ArtifactError(_validation_message(REPORT_FILE, exc)) from exc
    try:
        metadata = RunMetadata.model_validate(parse_json(METADATA_FILE, files[METADATA_FILE]))
    except ValidationError as exc:
        raise ArtifactError(_validation_message(METADATA_FILE, exc)) from exc
    parse_json(CARD_JSON_FILE, files[CARD_JSON_FILE])  # the same strictness as the others
    try:
        card = load_card_json(files[CARD_JSON_FILE])
    except CardError as exc:
        raise ArtifactError(f"{CARD_JSON_FILE}: {exc}") from exc
    if report.commit != metadata.head_sha:
        raise ArtifactError(
            f"{REPORT_FILE} audited {report.commit[:12]} but {METADATA_FILE} names "
            f"{metadata.head_sha[:12]}"
        )
    if card.lineage.commit != report.commit:
        raise ArtifactError(
            f"{CARD_JSON_FILE} is for commit {card.lineage.commit[:12]}, the report for "
            f"{report.commit[:12]}"
        )
    if card.overview.name != report.model_name:
        raise ArtifactError(
            f"{CARD_JSON_FILE} describes {card.overview.name!r}, the report {report.model_name!r}"
        )
    return AuditArtifact(report=report, metadata=metadata, card=card, files=dict(files))


# ------------------------------------------------------------------------ reading


def _check_name(name: str) -> str:
    """A member name as a plain relative path, or an error naming the problem."""
    if "\\" in name or CONTROL_RE.search(name):
        raise ArtifactError(
            f"member {name!r}: backslashes and control characters are not allowed in names"
        )
    if name.startswith("/") or WINDOWS_DRIVE_RE.match(name):
        raise ArtifactError(f"member {name!r}: absolute paths are not allowed")
    parts = PurePosixPath(name).parts
    if any(part == ".." for part in parts):
        raise ArtifactError(f"member {name!r}: '..' would leave the artifact")
    return "/".join(p for p in parts if p != ".")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    """Decompress one member, counting real bytes: the declared size may lie."""
    out = bytearray()
    with archive.open(info) as fh:
        while chunk := fh.read(READ_CHUNK):
            out += chunk
            if len(out) > limits.member_bytes:
                raise ArtifactError(
                    f"member {info.filename!r} inflates past {limits.member_bytes} bytes"
                )
    return bytes(out)


def _check_member(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """The member's clean name, ``None`` for a directory, or an error."""
    name = _check_name(info.filename)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ArtifactError(f"member {info.filename!r} is a symbolic link")
    if info.is_dir():
        return None
    if info.flag_bits & 0x1:
        raise ArtifactError(f"member {info.filename!r} is encrypted")
    if info.compress_type not in ALLOWED_METHODS:
        raise ArtifactError(f"member {info.filename!r} uses an unsupported compression")
    if info.file_size > limits.member_bytes:
        raise ArtifactError(
            f"member {info.filename!r} is {info.file_size} bytes; at most {limits.member_bytes}"
        )
    return name


def _select(infos: list[zipfile.ZipInfo], limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Check every member (names, kinds, sizes) and pick the needed documents."""
    if len(infos) > limits.files:
        raise ArtifactError(f"the archive holds {len(infos)} entries; at most {limits.files}")
    seen: set[str] = set()
    declared = 0
    wanted: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        folded = _check_name(info.filename).casefold().rstrip("/")
        if folded in seen:
            raise ArtifactError(f"member {info.filename!r} appears twice")
        seen.add(folded)
        name = _check_member(info, limits)
        if name is None:
            continue
        declared += info.file_size
        if declared > limits.total_bytes:
            raise ArtifactError(f"the archive inflates past {limits.total_bytes} bytes")
        if name in READ:
            wanted[name] = info
    return wanted


def read_zip(source: bytes | BinaryIO, limits: Limits = Limits()) -> dict[str, bytes]:
    """The needed documents from a zip (as the artifacts API serves it)."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArtifactError(f"not a zip archive: {exc}") from exc
    files: dict[str, bytes] = {}
    with archive:
        total = 0
        for name, info in _select(archive.infolist(), limits).items():
            try:
                files[name] = _read_member(archive, info, limits)
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
                    RuntimeError, zlib.error) as exc:  # RuntimeError: encrypted data
                raise ArtifactError(f"member {name!r} cannot be read: {exc}") from exc
            total += len(files[name])
            if total > limits.total_bytes:
                raise ArtifactError(f"the archive inflates past {limits.total_bytes} bytes")
    return files


def read_directory(root: Path, limits: Limits = Limits()) -> dict[str, bytes]:
    """The needed documents from a directory (as ``actions/download-artifact`` leaves it)."""
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as exc:
        raise ArtifactError(f"{root}: cannot list the artifact directory: {exc.strerror}") from exc
    if len(entries) > limits.files:
        raise ArtifactError(f"{root} holds {len(entries)} entries; at most {limits.files}")
    files: dict[str, bytes] = {}
    total = 0
    for entry in entries:
        if entry.name not in READ:
            continue
        info = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(info.st_mode):
            raise ArtifactError(f"{entry.name} is a symbolic link")
        if not stat.S_ISREG(info.st_mode):
            raise ArtifactError(f"{entry.name} is not a regular file")
        if info.st_size > limits.member_bytes:
            raise ArtifactError(
                f"{entry.name} is {info.st_size} bytes; at most {limits.member_bytes}"
            )
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(entry.path, flags)
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(limits.member_bytes + 1)
        if len(data) > limits.member_bytes:
            raise ArtifactError(f"{entry.name} grew past {limits.member_bytes} bytes")
        total += len(data)
        if total > limits.total_bytes:
            raise ArtifactError(f"the artifact is over {limits.total_bytes} bytes")
        files[entry.name] = data
    return files


def load_artifact(path: Path, limits: Limits = Limits()) -> AuditArtifact:
    """A zip file or a directory, read, validated and cross-checked."""
    try:
        info = path.lstat()
    except OSError as exc:
        raise ArtifactError(f"{path}: {exc.strerror or exc}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise ArtifactError(f"{path} is a symbolic link")
    if stat.S_ISDIR(info.st_mode):
        return validate_documents(read_directory(path, limits))
    if info.st_size > limits.zip_bytes:
        raise ArtifactError(f"{path} is {info.st_size} bytes; at most {limits.zip_bytes}")
    return load_artifact_bytes(path.read_bytes(), limits)


def load_artifact_bytes(data: bytes, limits: Limits = Limits()) -> AuditArtifact:
    if len(data) > limits.zip_bytes:
        raise ArtifactError(f"the artifact is {len(data)} bytes; at most {limits.zip_bytes}")
    return validate_documents(read_zip(data, limits))

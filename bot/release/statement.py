# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The release statement: an in-toto Statement v1 over every file of the bundle, with the
predicate ``https://modelgate.dev/release/v1`` (docs/release-statement.md), signed as a
DSSE envelope inside a Sigstore-bundle-shaped JSON.

Subjects are the bundle's files by sha256 (``manifest.json`` and every file it lists),
as in the OpenSSF Model Signing format; the predicate is ours (model signing's own
predicate only lists file digests). The two release files are written into the bundle
directory, beside ``manifest.json`` and outside its file list:
``release.intoto.json`` (the payload, in clear) and ``release.sigstore.json``.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelgate.bot.release.signing import Signer
from modelgate.hashing import sha256_bytes
from modelgate.serving.attestation import (
    BUNDLE_MEDIA_TYPE,
    PAYLOAD_TYPE,
    PREDICATE_TYPE,
    SIGNATURE_FILE,
    STATEMENT_FILE,
    STATEMENT_TYPE,
    file_digests,
    pae,
)
from modelgate.serving.manifest import MANIFEST_NAME

PREDICATE_SCHEMA_VERSION = 1
APPROVAL_TRAILER = "Modelgate-Approved"
SOURCE_TRAILER = "Modelgate-Approval-Source"
AUTHOR_TRAILER = "Modelgate-Author"
_APPROVED_RE = re.compile(
    rf"^{APPROVAL_TRAILER}: (?P<role>[a-z0-9][a-z0-9_-]*) by @(?P<login>[A-Za-z0-9-]+(?:\[bot\])?)"
    r" at (?P<at>\S+) on (?P<sha>[0-9a-f]{40})$", re.MULTILINE)
# backwards-compatible extension: one more trailer per approval, the first line unchanged
_SOURCE_RE = re.compile(
    rf"^{SOURCE_TRAILER}: (?P<role>[a-z0-9][a-z0-9_-]*) @(?P<login>[A-Za-z0-9-]+(?:\[bot\])?)"
    r" id (?P<user_id>[0-9]{1,20}) url (?P<url>https://\S+)$", re.MULTILINE)
_AUTHOR_RE = re.compile(
    rf"^{AUTHOR_TRAILER}: @(?P<login>[A-Za-z0-9-]+(?:\[bot\])?)"
    r"(?: id (?P<user_id>[0-9]{1,20}))?$", re.MULTILINE)


@dataclass(frozen=True)
class Approval:
    """One approval as the statement records it."""

    role: str
    login: str
    at: str
    on_commit: str
    user_id: int | None = None
    url: str | None = None


def approval_source_trailer(role: str, login: str, user_id: int, url: str) -> str:
    """The extension trailer the merge writes after each ``Modelgate-Approved`` line."""
    return f"{SOURCE_TRAILER}: {role} @{login} id {user_id} url {url}"


def author_trailer(login: str, user_id: int | None = None) -> str:
    return f"{AUTHOR_TRAILER}: @{login}" + (f" id {user_id}" if user_id is not None else "")


def approvals_from_message(message: str) -> list[Approval]:
    """Approvals from a merge commit message: the original trailers, completed with user id
    and source URL where the extension trailer is present."""
    sources = {(m["role"], m["login"].casefold()): m for m in _SOURCE_RE.finditer(message)}
    out = []
    for m in _APPROVED_RE.finditer(message):
        src = sources.get((m["role"], m["login"].casefold()))
        out.append(Approval(role=m["role"], login=m["login"], at=m["at"], on_commit=m["sha"],
                            user_id=int(src["user_id"]) if src else None,
                            url=src["url"] if src else None))
    return out


def author_from_message(message: str) -> dict[str, Any] | None:
    m = _AUTHOR_RE.search(message)
    if m is None:
        return None
    return {"login": m["login"], "userId": int(m["user_id"]) if m["user_id"] else None}


@dataclass(frozen=True)
class ReleaseFacts:
    """Everything the predicate holds, gathered by the release."""

    repository: str
    pull_request: int
    audited_head: str
    merge_commit: str
    tree: str
    governance_ref: str
    governance_sha256: str
    audit_report_sha256: str
    audit_passed: bool
    audit_commit: str
    verdicts: dict[str, str]
    model_name: str
    model_version: str
    alias: str
    run_id: str
    data_sha256: str
    lock_sha256: str
    model_fingerprint: str
    released_at: str
    approvals: list[Approval] = field(default_factory=list)
    author: dict[str, Any] | None = None
    gate_change: bool | None = None  # did the PR touch governance.yml gate: paths


def predicate(facts: ReleaseFacts) -> dict[str, Any]:
    """The ``https://modelgate.dev/release/v1`` predicate (docs/release-statement.md)."""
    return {
        "schemaVersion": PREDICATE_SCHEMA_VERSION,
        "model": {"name": facts.model_name, "version": facts.model_version,
                  "alias": facts.alias},
        "source": {"repository": facts.repository, "pullRequest": facts.pull_request,
                   "auditedHead": facts.audited_head, "mergeCommit": facts.merge_commit,
                   "tree": facts.tree, "author": facts.author,
                   "gateChange": facts.gate_change},
        "governance": {"path": "governance.yml", "ref": facts.governance_ref,
                       "sha256": facts.governance_sha256},
        "approvals": [{"role": a.role, "login": a.login, "userId": a.user_id, "at": a.at,
                       "url": a.url, "onCommit": a.on_commit} for a in facts.approvals],
        "audit": {"reportSha256": facts.audit_report_sha256, "passed": facts.audit_passed,
                  "commit": facts.audit_commit, "verdicts": dict(sorted(facts.verdicts.items()))},
        "training": {"runId": facts.run_id, "modelVersion": facts.model_version,
                     "dataSha256": facts.data_sha256, "lockSha256": facts.lock_sha256,
                     "modelFingerprint": facts.model_fingerprint},
        "releasedAt": facts.released_at,
    }


def bundle_files(bundle_dir: Path) -> dict[str, str]:
    """name -> sha256 of ``manifest.json`` and every file it lists."""
    manifest = json.loads((bundle_dir / MANIFEST_NAME).read_bytes())
    names = [MANIFEST_NAME, *sorted(f["path"] for f in manifest["files"])]
    return file_digests(bundle_dir, names)


def statement(files: dict[str, str], pred: dict[str, Any]) -> dict[str, Any]:
    return {"_type": STATEMENT_TYPE,
            "subject": [{"name": n, "digest": {"sha256": d}} for n, d in sorted(files.items())],
            "predicateType": PREDICATE_TYPE, "predicate": pred}


def encode(doc: dict[str, Any]) -> bytes:
    """The payload bytes: sorted keys, two-space indent, a final newline (readable as is)."""
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def sign(payload: bytes, signer: Signer) -> dict[str, Any]:
    """The Sigstore-bundle-shaped JSON holding the DSSE envelope for ``payload``."""
    sig = signer.sign(pae(PAYLOAD_TYPE, payload))
    return {
        "mediaType": BUNDLE_MEDIA_TYPE,
        "verificationMaterial": signer.verification_material(),
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode("ascii"),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(sig).decode("ascii"),
                            "keyid": signer.keyid}],
        },
    }


@dataclass(frozen=True)
class WrittenStatement:
    """The release files written into a bundle directory."""

    digest: str
    statement_path: str
    signature_path: str
    keyid: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def attest(bundle_dir: Path, facts: ReleaseFacts, signer: Signer) -> WrittenStatement:
    """Write ``release.intoto.json`` and ``release.sigstore.json`` into ``bundle_dir``."""
    payload = encode(statement(bundle_files(bundle_dir), predicate(facts)))
    envelope = sign(payload, signer)
    (bundle_dir / STATEMENT_FILE).write_bytes(payload)
    (bundle_dir / SIGNATURE_FILE).write_text(json.dumps(envelope, indent=2) + "\n",
                                             encoding="utf-8")
    return WrittenStatement(digest=sha256_bytes(payload),
                            statement_path=str(bundle_dir / STATEMENT_FILE),
                            signature_path=str(bundle_dir / SIGNATURE_FILE), keyid=signer.keyid)

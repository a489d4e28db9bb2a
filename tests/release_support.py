# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Signed release bundles for tests: a locally generated P-256 key, offline."""

from __future__ import annotations

import base64
import json
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from modelgate.bot.release import statement as st
from modelgate.bot.release.signing import KeySigner
from modelgate.serving.attestation import SIGNATURE_FILE, STATEMENT_FILE

HEAD = "a" * 40
MERGE = "b" * 40
BASE = "c" * 40


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@lru_cache(maxsize=1)
def release_key() -> ec.EllipticCurvePrivateKey:
    return new_key()


def public_pem(key: ec.EllipticCurvePrivateKey | None = None) -> str:
    key = key or release_key()
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def write_private_pem(path: Path, key: ec.EllipticCurvePrivateKey | None = None) -> Path:
    key = key or release_key()
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return path


def facts(**changes: Any) -> st.ReleaseFacts:
    approvals = [
        st.Approval("data-steward", "dana-steward", "2026-12-01T09:00:00Z", HEAD, 1001,
                    "https://github.com/acme/clinic-models/pull/42#issuecomment-1"),
        st.Approval("ml-reviewer", "mo-reviewer", "2026-12-01T09:10:00Z", HEAD, 1002,
                    "https://github.com/acme/clinic-models/pull/42#pullrequestreview-2"),
        st.Approval("clinical-safety", "cleo-clinician", "2026-12-01T09:20:00Z", HEAD, 1003,
                    "https://github.com/acme/clinic-models/pull/42#issuecomment-3"),
    ]
    values: dict[str, Any] = {
        "repository": "acme/clinic-models", "pull_request": 42, "audited_head": HEAD,
        "merge_commit": MERGE, "tree": "d" * 40, "governance_ref": BASE,
        "governance_sha256": "e" * 64, "audit_report_sha256": "f" * 64, "audit_passed": True,
        "audit_commit": HEAD, "verdicts": {"pii": "pass", "security": "pass", "lineage": "pass"},
        "model_name": "breast-cancer-classifier", "model_version": "7", "alias": "production",
        "run_id": "0" * 32, "data_sha256": "1" * 64, "lock_sha256": "2" * 64,
        "model_fingerprint": "3" * 64, "released_at": "2026-12-01T10:00:00+00:00",
        "approvals": approvals, "author": {"login": "ana-author", "userId": 1000},
        "gate_change": False}
    values.update(changes)
    return st.ReleaseFacts(**values)


def sign_bundle(bundle_dir: Path, key: ec.EllipticCurvePrivateKey | None = None,
                **changes: Any) -> st.WrittenStatement:
    return st.attest(bundle_dir, facts(**changes), KeySigner(key or release_key()))


def copy_bundle(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def tamper_payload(bundle_dir: Path, edit: Any) -> None:
    """Edit the signed payload in the envelope (not re-signing), as an attacker would."""
    path = bundle_dir / SIGNATURE_FILE
    doc = json.loads(path.read_text())
    statement = json.loads(base64.b64decode(doc["dsseEnvelope"]["payload"]))
    edit(statement)
    doc["dsseEnvelope"]["payload"] = base64.b64encode(st.encode(statement)).decode()
    path.write_text(json.dumps(doc))


def tamper_clear(bundle_dir: Path, edit: Any) -> None:
    path = bundle_dir / STATEMENT_FILE
    statement = json.loads(path.read_bytes())
    edit(statement)
    path.write_bytes(st.encode(statement))


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0x01
    path.write_bytes(bytes(data))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate verify``: a bundle and its signed release statement, checked offline.

The chain printed is the one deploy, the Lambda and ``trace`` rely on: every bundle file's
digest equals its subject, the signature verifies with a trusted key, the approvals
satisfy the default branch's ``governance.yml`` (roles, required counts, distinct people,
not the author), and the predicate names the governance digest, run, data and commit.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.errors import ModelgateError
from modelgate.governance import Governance
from modelgate.serving.attestation import (
    SIGNATURE_FILE,
    StatementError,
    TrustedKey,
    VerifiedStatement,
    load_public_keys,
)
from modelgate.serving.bundle import BundleError, download_s3_bundle, verify_bundle_dir


class VerifyError(ModelgateError):
    """The bundle or its statement does not hold; the message names what differs."""


def trusted_keys(pem: str | bytes) -> list[TrustedKey]:
    try:
        return load_public_keys(pem)
    except StatementError as exc:
        raise VerifyError(str(exc)) from None


def kms_public_pem(kms_client: Any, key_id: str) -> str:
    """The PEM of a KMS key's public half (what deploy puts in the function's environment)."""
    from cryptography.hazmat.primitives import serialization

    der = kms_client.get_public_key(KeyId=key_id)["PublicKey"]
    key = serialization.load_der_public_key(der)
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def governance_reasons(pred: dict[str, Any], gov: Governance) -> list[str]:
    """Why the statement's approvals do not satisfy ``gov`` (empty: they do)."""
    reasons: list[str] = []
    approvals = [a for a in pred.get("approvals") or [] if isinstance(a, dict)]
    author = ((pred.get("source") or {}).get("author") or {}).get("login")
    by_person: dict[str, str] = {}
    for a in approvals:
        login, role_name = str(a.get("login", "")), str(a.get("role", ""))
        key = login.casefold()
        if author and key == str(author).casefold():
            reasons.append(f"approval {role_name} by @{login}: the author cannot approve")
        if key in by_person and by_person[key] != role_name:
            reasons.append(f"@{login} approved both {by_person[key]} and {role_name}: one person "
                           "fills one role")
        by_person.setdefault(key, role_name)
    gate_change = (pred.get("source") or {}).get("gateChange") is not False
    for role in gov.approval.roles:
        if role.name == gov.gate.role and not gate_change:
            continue  # the gate role is required only when the PR touched the gate
        holders = {u.casefold() for u in role.users}
        pinned = {k.casefold(): v for k, v in role.user_ids.items()}
        for a in approvals:
            login = str(a.get("login", "")).casefold()
            if a.get("role") == role.name and login in pinned and a.get("userId") != pinned[login]:
                reasons.append(f"approval {role.name} by @{login}: user id {a.get('userId')} is "
                               f"not the pinned {pinned[login]}")
        given = {str(a.get("login", "")).casefold() for a in approvals
                 if a.get("role") == role.name}
        valid = {g for g in given if g in holders or (role.teams and g not in holders)}
        for g in sorted(given - valid):
            reasons.append(f"approval {role.name} by @{g}: not a holder of {role.name} in "
                           "governance.yml")
        valid -= {str(author).casefold()} if author else set()
        if len(valid) < role.required:
            reasons.append(f"role {role.name} needs {role.required} distinct approver(s), the "
                           f"statement has {len(valid)}")
    known = {r.name for r in gov.approval.roles}
    for a in approvals:
        if a.get("role") not in known:
            reasons.append(f"approval for unknown role {a.get('role')!r}")
    return reasons


@dataclass(frozen=True)
class Verified:
    """A bundle whose statement checked out, and what the statement says."""

    source: str
    manifest_sha256: str
    statement: VerifiedStatement
    files: dict[str, str]
    governance_problems: list[str]


def verify(source: str, keys: Sequence[TrustedKey], *, governance: Governance | None = None,
           statement_file: Path | None = None, s3_client: Any = None) -> Verified:
    """Verify a bundle directory or ``s3://`` prefix against its (or the given) statement."""
    with tempfile.TemporaryDirectory(prefix="modelgate-verify-") as tmp:
        work = Path(tmp) / "bundle"
        work.mkdir()
        try:
            if source.startswith("s3://"):
                download_s3_bundle(s3_client, source, work)
            else:
                src = Path(source)
                if not src.is_dir():
                    raise VerifyError(f"{source} is not a bundle directory or s3:// prefix")
                for entry in src.iterdir():
                    if entry.is_file() and not entry.is_symlink():
                        shutil.copyfile(entry, work / entry.name)
            if statement_file is not None:
                shutil.copyfile(statement_file, work / SIGNATURE_FILE)
                (work / "release.intoto.json").unlink(missing_ok=True)
            checked = verify_bundle_dir(work, trusted_keys=keys)
        except BundleError as exc:
            raise VerifyError(f"{source}: {exc}") from None
    assert checked.statement is not None
    files = {s["name"]: s["digest"]["sha256"] for s in checked.statement.statement["subject"]}
    problems = governance_reasons(checked.statement.predicate, governance) if governance else []
    if problems:
        raise VerifyError(f"{source}: the statement's approvals do not satisfy governance.yml: "
                          + "; ".join(problems))
    return Verified(source=source, manifest_sha256=checked.manifest_sha256,
                    statement=checked.statement, files=files, governance_problems=problems)


def render(v: Verified) -> str:
    """The chain, one link per line."""
    p = v.statement.predicate
    src, gov, audit, train = (p.get(k) or {} for k in ("source", "governance", "audit",
                                                        "training"))
    model = p.get("model") or {}
    lines = [f"bundle     {v.source}"]
    lines += [f"subject    {name:<28} sha256 {digest[:16]}… ok" for name, digest in
              sorted(v.files.items())]
    lines += [
        f"signature  ok, key {v.statement.keyid[:16]}… (ECDSA P-256, DSSE)",
        f"statement  sha256 {v.statement.digest}",
        f"model      {model.get('name')} v{model.get('version')} (alias {model.get('alias')})",
    ]
    lines += [f"approval   {a.get('role')}: @{a.get('login')} (id {a.get('userId')}) at "
              f"{a.get('at')} {a.get('url') or ''}".rstrip() for a in p.get("approvals") or []]
    lines += [
        f"governance {gov.get('path')} sha256 {gov.get('sha256')} at {gov.get('ref')}",
        f"audits     {'passed' if audit.get('passed') else 'FAILED'} report sha256 "
        f"{str(audit.get('reportSha256'))[:16]}…: "
        + ", ".join(f"{k} {s}" for k, s in (audit.get("verdicts") or {}).items()),
        f"run        {train.get('runId')} (fingerprint {str(train.get('modelFingerprint'))[:16]}…)",
        f"data       sha256 {train.get('dataSha256')}",
        f"lock       sha256 {train.get('lockSha256')}",
        f"commit     {src.get('mergeCommit')} (PR #{src.get('pullRequest')} of "
        f"{src.get('repository')}, audited head {src.get('auditedHead')}, tree {src.get('tree')})",
    ]
    return "\n".join(lines)


ENV_PUBKEY = "MODELGATE_STATEMENT_PUBKEY"
ENV_KMS_KEY = "MODELGATE_KMS_KEY_ID"
MSG_NO_KEY = (f"no trusted key for the release statement: pass its PEM public key "
              f"(--key / --statement-key) or --kms-key ID, or set {ENV_PUBKEY} (PEM text) or "
              f"{ENV_KMS_KEY}")


def resolve_trusted_pem(key_path: Path | None, kms_key: str | None, *, env: dict[str, str],
                        kms_client: Any = None) -> str:
    """The trusted public key(s) as PEM: a file, the environment, or a KMS key's public
    half; raise :class:`VerifyError` when none is given."""
    if key_path is not None:
        try:
            return key_path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise VerifyError(f"cannot read the trusted key {key_path}: {exc}") from None
    if env.get(ENV_PUBKEY, "").strip():
        return env[ENV_PUBKEY].strip().replace("\\n", "\n")
    kms_key = kms_key or env.get(ENV_KMS_KEY) or None
    if kms_key and kms_client is not None:
        return kms_public_pem(kms_client, kms_key)
    raise VerifyError(MSG_NO_KEY)

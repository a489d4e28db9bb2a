# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Verify a bundle's signed release statement: the tiny verifier the Lambda runs at init.

A released bundle directory holds, next to ``manifest.json`` and the files it lists:

* ``release.sigstore.json``: a Sigstore-bundle-shaped JSON (media type
  ``application/vnd.dev.sigstore.bundle.v0.3+json``) whose ``dsseEnvelope`` carries the
  in-toto Statement v1 as its payload and one ECDSA P-256 / SHA-256 signature over the
  DSSE pre-authentication encoding (PAE) of that payload;
* ``release.intoto.json``: the same statement in clear, byte for byte the signed payload.

The statement's subjects are every other file of the bundle by sha256 (``manifest.json``
included). :func:`verify_statement` checks, in this order: the envelope's shape, the
signature against the trusted public keys, that the clear copy equals the signed payload
(naming the JSON paths that differ), the statement's types, and that the subjects are
exactly the bundle's files with the same digests (naming the file that differs). The
statement digest (sha256 of the signed payload) is what ``/model-info``, every request log
line, the ledger and ``modelgate trace`` use to name a release.

Only the standard library and :mod:`modelgate.serving.p256` (a pure-Python ECDSA P-256 verifier):
serving ships alone in the Lambda zip, and ``cryptography`` would push it past 50 MiB.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.serving.p256 import KeyFormatError, PublicKey

SIGNATURE_FILE = "release.sigstore.json"
STATEMENT_FILE = "release.intoto.json"
RELEASE_FILES = frozenset({SIGNATURE_FILE, STATEMENT_FILE})
BUNDLE_MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://modelgate.dev/release/v1"
MAX_STATEMENT_BYTES = 1 << 20
MAX_DIFFS = 5


class StatementError(Exception):
    """A release statement that does not hold; the message names what differs."""


@dataclass(frozen=True)
class TrustedKey:
    """A public key the verifier accepts, with its key id (sha256 of its DER SPKI)."""

    key: PublicKey
    keyid: str


@dataclass(frozen=True)
class VerifiedStatement:
    """A statement whose signature, clear copy and subjects checked out."""

    digest: str
    statement: dict[str, Any]
    keyid: str
    payload: bytes

    @property
    def predicate(self) -> dict[str, Any]:
        value = self.statement.get("predicate")
        return value if isinstance(value, dict) else {}


def key_id(spki_der: bytes) -> str:
    """sha256 of a key's DER SubjectPublicKeyInfo, hex: the Sigstore ``publicKey.hint``."""
    return hashlib.sha256(spki_der).hexdigest()


def load_public_keys(pem: str | bytes) -> list[TrustedKey]:
    """Every P-256 public key in a PEM text (several may be concatenated, for rotation)."""
    text = pem.decode("ascii", "replace") if isinstance(pem, bytes) else pem
    marker = "-----END PUBLIC KEY-----"
    blocks = [b + marker for b in text.split(marker) if "-----BEGIN PUBLIC KEY-----" in b]
    if not blocks:
        raise StatementError("no PEM public key found (expected -----BEGIN PUBLIC KEY-----)")
    keys = []
    for block in blocks:
        try:
            key = PublicKey.from_pem(block)
        except KeyFormatError as exc:
            raise StatementError(f"a trusted public key cannot be read: {exc}") from None
        keys.append(TrustedKey(key, key.keyid))
    return keys


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 pre-authentication encoding: what is actually signed."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _b64(value: Any, what: str) -> bytes:
    if not isinstance(value, str):
        raise StatementError(f"{SIGNATURE_FILE}: {what} is not a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise StatementError(f"{SIGNATURE_FILE}: {what} is not valid base64") from None


def _read_json(raw: bytes, name: str) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StatementError(f"{name} is not valid JSON: {exc}") from None


def json_diff(a: Any, b: Any, path: str = "") -> list[str]:
    """JSON paths (``predicate.approvals[1].login``) where two documents differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(a.keys() | b.keys()):
            sub = f"{path}.{key}" if path else str(key)
            out += [sub] if (key in a) != (key in b) else json_diff(a[key], b[key], sub)
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True))
                for p in json_diff(x, y, f"{path}[{i}]")]
    return [] if a == b and type(a) is type(b) else [path or "(the whole document)"]


def _paths(diffs: Sequence[str]) -> str:
    more = len(diffs) - MAX_DIFFS
    return ", ".join(diffs[:MAX_DIFFS]) + (f" (and {more} more)" if more > 0 else "")


def open_envelope(raw: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """(payload, [(keyid, signature)]) from a Sigstore bundle's DSSE envelope."""
    if len(raw) > MAX_STATEMENT_BYTES:
        raise StatementError(f"{SIGNATURE_FILE} is larger than {MAX_STATEMENT_BYTES} bytes")
    doc = _read_json(raw, SIGNATURE_FILE)
    if not isinstance(doc, dict) or doc.get("mediaType") != BUNDLE_MEDIA_TYPE:
        raise StatementError(f"{SIGNATURE_FILE} is not a {BUNDLE_MEDIA_TYPE} document")
    env = doc.get("dsseEnvelope")
    if not isinstance(env, dict) or env.get("payloadType") != PAYLOAD_TYPE:
        raise StatementError(f"{SIGNATURE_FILE} holds no DSSE envelope of {PAYLOAD_TYPE}")
    payload = _b64(env.get("payload"), "the payload")
    sigs = env.get("signatures")
    if not isinstance(sigs, list) or not sigs:
        raise StatementError(f"{SIGNATURE_FILE}: the envelope carries no signature")
    pairs = [(str(s.get("keyid", "")) if isinstance(s, dict) else "",
              _b64(s.get("sig") if isinstance(s, dict) else None, "a signature")) for s in sigs]
    return payload, pairs


def check_signature(payload: bytes, signatures: Sequence[tuple[str, bytes]],
                    keys: Sequence[TrustedKey]) -> str:
    """The key id of the trusted key whose signature verifies; raise otherwise."""
    message = pae(PAYLOAD_TYPE, payload)
    for key in keys:
        for _, sig in signatures:
            if key.key.verify(sig, message):
                return key.keyid
    named = sorted({kid for kid, _ in signatures if kid}) or ["(no key id)"]
    trusted = {k.keyid for k in keys}
    if not set(named) & trusted:
        raise StatementError(
            f"the statement is signed by key {', '.join(k[:16] for k in named)}, which is not a "
            f"trusted key ({', '.join(sorted(t[:16] for t in trusted))})")
    raise StatementError(f"the signature by key {named[0][:16]} does not verify over the "
                         "statement: the statement was altered after signing")


def check_subjects(statement: Mapping[str, Any], files: Mapping[str, str]) -> None:
    """The subjects must be exactly ``files`` (name -> sha256); name the first that differs."""
    subjects = statement.get("subject")
    if not isinstance(subjects, list):
        raise StatementError("the statement has no subject list")
    listed: dict[str, str] = {}
    for s in subjects:
        digest = s.get("digest") if isinstance(s, dict) else None
        if not isinstance(digest, dict) or not isinstance(s.get("name"), str):
            raise StatementError("a statement subject has no name or digest")
        listed[str(s["name"])] = str(digest.get("sha256", ""))
    for name in sorted(files):
        if name not in listed:
            raise StatementError(f"bundle file {name} is not a subject of the statement")
        if listed[name] != files[name]:
            raise StatementError(f"{name} sha256 {files[name]} differs from the statement's "
                                 f"subject {listed[name]}")
    extra = sorted(set(listed) - set(files))
    if extra:
        raise StatementError(f"the statement names {extra}, which the bundle lacks")


def verify_statement(signature_raw: bytes, statement_raw: bytes | None,
                     files: Mapping[str, str], keys: Sequence[TrustedKey]) -> VerifiedStatement:
    """Check a statement's signature, clear copy, types and subjects (module docstring)."""
    payload, signatures = open_envelope(signature_raw)
    signed = _read_json(payload, "the signed statement")
    clear = None if statement_raw is None else _read_json(statement_raw, STATEMENT_FILE)
    diffs = [] if clear is None or statement_raw == payload else json_diff(signed, clear)
    if statement_raw is not None and statement_raw != payload and not diffs:
        diffs = ["(formatting only)"]
    try:
        keyid = check_signature(payload, signatures, keys)
    except StatementError as exc:
        if diffs:
            raise StatementError(f"{exc}; the signed payload differs from {STATEMENT_FILE} "
                                 f"at {_paths(diffs)}") from None
        raise
    if diffs:
        raise StatementError(f"{STATEMENT_FILE} differs from the signed statement at "
                             f"{_paths(diffs)}")
    if not isinstance(signed, dict) or signed.get("_type") != STATEMENT_TYPE:
        raise StatementError(f"the signed payload is not an in-toto {STATEMENT_TYPE}")
    if signed.get("predicateType") != PREDICATE_TYPE:
        raise StatementError(f"the statement's predicateType is "
                             f"{signed.get('predicateType')!r}, not {PREDICATE_TYPE}")
    check_subjects(signed, files)
    return VerifiedStatement(digest=hashlib.sha256(payload).hexdigest(), statement=signed,
                             keyid=keyid, payload=payload)


def file_digests(directory: Path, names: Sequence[str]) -> dict[str, str]:
    """sha256 of each named file in ``directory``."""
    out: dict[str, str] = {}
    for name in names:
        digest = hashlib.sha256()
        with (directory / name).open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        out[name] = digest.hexdigest()
    return out


def verify_directory(directory: Path, files: Mapping[str, str],
                     keys: Sequence[TrustedKey]) -> VerifiedStatement:
    """Read the two release files of a bundle directory and :func:`verify_statement`."""
    sig_path, st_path = directory / SIGNATURE_FILE, directory / STATEMENT_FILE
    if sig_path.is_symlink() or not sig_path.is_file():
        raise StatementError(f"the bundle has no signed release statement ({SIGNATURE_FILE})")
    clear = st_path.read_bytes() if st_path.is_file() and not st_path.is_symlink() else None
    return verify_statement(sig_path.read_bytes(), clear, files, keys)

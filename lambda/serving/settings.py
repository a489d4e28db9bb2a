# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Serving settings, read once from the environment and refused when unsafe.

| variable | default | meaning |
| --- | --- | --- |
| ``MODELGATE_BUNDLE_URI`` | (required) | bundle directory, or ``s3://bucket/prefix`` |
| ``MODELGATE_BUNDLE_SHA256`` | (none) | pin: the sha256 ``manifest.json`` must have |
| ``MODELGATE_STATEMENT_PUBKEY`` | (none) | PEM key(s) the release statement must be signed by |

With ``MODELGATE_STATEMENT_PUBKEY`` set (deploy always sets it), a bundle whose signed
release statement is missing, signed by another key, or disagrees with any file is refused
at init, before the first request.
| ``MODELGATE_LOG_FEATURES`` | ``true`` | log each request's input features (drift) |
| ``MODELGATE_MAX_BATCH`` | ``1000`` | most records in one ``/predict`` request |
| ``MODELGATE_MAX_BODY_BYTES`` | ``4194304`` | largest request body accepted |

The body limit may not exceed 6 MiB, Lambda's synchronous payload limit: a larger value
would only promise what Lambda cannot deliver. A value that cannot be read is an error,
never a silent default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from modelgate.serving.attestation import TrustedKey

ENV_BUNDLE_URI = "MODELGATE_BUNDLE_URI"
ENV_BUNDLE_SHA256 = "MODELGATE_BUNDLE_SHA256"
ENV_LOG_FEATURES = "MODELGATE_LOG_FEATURES"
ENV_MAX_BATCH = "MODELGATE_MAX_BATCH"
ENV_MAX_BODY_BYTES = "MODELGATE_MAX_BODY_BYTES"
ENV_STATEMENT_PUBKEY = "MODELGATE_STATEMENT_PUBKEY"
PEM_MARKER = "-----BEGIN PUBLIC KEY-----"
MAX_PEM_CHARS = 2048

DEFAULT_MAX_BATCH = 1000
DEFAULT_MAX_BODY_BYTES = 4 << 20
MAX_BATCH_LIMIT = 100_000
MIN_BODY_BYTES = 1024
MAX_BODY_BYTES_LIMIT = 6 << 20  # Lambda's synchronous invocation payload limit
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})
DIGITS_RE = re.compile(r"^[0-9]{1,12}$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
S3_URI_RE = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/[^\s]+$")
SCHEME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


class SettingsError(ValueError):
    """An environment variable with a value serving refuses; the message names it."""


@dataclass(frozen=True)
class Settings:
    """What the serving app needs to know about its environment."""

    bundle_uri: str
    bundle_sha256: str | None = None
    log_features: bool = True
    max_batch: int = DEFAULT_MAX_BATCH
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    statement_pubkey: str | None = None

    def __post_init__(self) -> None:
        _check_uri(self.bundle_uri)
        if self.statement_pubkey is not None:
            pem = self.statement_pubkey
            if PEM_MARKER not in pem or len(pem) > MAX_PEM_CHARS:
                raise SettingsError(f"{ENV_STATEMENT_PUBKEY} must hold PEM public key(s) "
                                    f"({PEM_MARKER}), at most {MAX_PEM_CHARS} characters")
            self.trusted_keys()  # an unreadable key is a configuration error, said now
        if self.bundle_sha256 is not None and not SHA256_RE.fullmatch(self.bundle_sha256):
            raise SettingsError(
                f"{ENV_BUNDLE_SHA256} must be 64 lowercase hex digits, got {self.bundle_sha256!r}"
            )
        if not 1 <= self.max_batch <= MAX_BATCH_LIMIT:
            raise SettingsError(
                f"{ENV_MAX_BATCH} must be between 1 and {MAX_BATCH_LIMIT}, got {self.max_batch}"
            )
        if not MIN_BODY_BYTES <= self.max_body_bytes <= MAX_BODY_BYTES_LIMIT:
            raise SettingsError(
                f"{ENV_MAX_BODY_BYTES} must be between {MIN_BODY_BYTES} and "
                f"{MAX_BODY_BYTES_LIMIT} (Lambda's payload limit), got {self.max_body_bytes}"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read and check the ``MODELGATE_*`` variables; raise :class:`SettingsError`."""
        uri = env.get(ENV_BUNDLE_URI, "").strip()
        if not uri:
            raise SettingsError(f"{ENV_BUNDLE_URI} is not set (a bundle directory or s3:// URI)")
        sha = env.get(ENV_BUNDLE_SHA256, "").strip() or None
        return cls(
            bundle_uri=uri,
            bundle_sha256=sha,
            log_features=_bool(env, ENV_LOG_FEATURES, default=True),
            max_batch=_int(env, ENV_MAX_BATCH, default=DEFAULT_MAX_BATCH),
            max_body_bytes=_int(env, ENV_MAX_BODY_BYTES, default=DEFAULT_MAX_BODY_BYTES),
            statement_pubkey=env.get(ENV_STATEMENT_PUBKEY, "").strip().replace("\\n", "\n")
            or None,
        )

    def trusted_keys(self) -> tuple[TrustedKey, ...] | None:
        """The keys the release statement must be signed by (None: no statement checked)."""
        return None if self.statement_pubkey is None else _keys(self.statement_pubkey)


@lru_cache(maxsize=4)
def _keys(pem: str) -> tuple[TrustedKey, ...]:
    from modelgate.serving.attestation import StatementError, load_public_keys

    try:
        return tuple(load_public_keys(pem))
    except StatementError as exc:
        raise SettingsError(f"{ENV_STATEMENT_PUBKEY}: {exc}") from None


def _check_uri(uri: str) -> None:
    if uri.startswith("s3://"):
        if not S3_URI_RE.fullmatch(uri):
            raise SettingsError(f"{ENV_BUNDLE_URI} {uri!r} is not s3://bucket/prefix")
    elif SCHEME_RE.match(uri):
        raise SettingsError(
            f"{ENV_BUNDLE_URI} {uri!r}: only local paths and s3:// URIs are supported"
        )
    elif not uri or "\x00" in uri:
        raise SettingsError(f"{ENV_BUNDLE_URI} must name a bundle directory, got {uri!r}")


def _bool(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _int(env: Mapping[str, str], name: str, *, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    text = raw.strip()
    if not DIGITS_RE.fullmatch(text):
        raise SettingsError(f"{name} must be a positive whole number, got {raw!r}")
    return int(text)

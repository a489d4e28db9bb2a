# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Keyed pseudonyms for row ids that training writes into run artifacts.

When the dataset manifest says the ids are sensitive (``id_column_sensitive`` is not
``false``), ``evaluation/test_ids.json`` and ``evaluation/predictions.json`` hold
HMAC-SHA256 pseudonyms instead of the raw ids. The key comes from ``MODELGATE_ID_KEY``
(the CI secret) or, without it, from a random per-repository key kept in
``.modelgate/id_key`` (git-ignored, mode 0600): never from the data, so a pseudonym cannot
be reversed by hashing every possible SSN. Whoever holds the key maps data rows to the
pseudonyms again (:func:`pseudonymize` over the data's ids), as promotion must.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

KEY_VARIABLE = "MODELGATE_ID_KEY"
KEY_FILE = Path(".modelgate") / "id_key"
KEY_BYTES = 32
PREFIX = "hmac-sha256:"
SCHEME = "hmac-sha256"


def ids_sensitive(manifest: Mapping[str, Any]) -> bool:
    """Whether the manifest's ids must not leave the data: all but ``false`` means yes."""
    return manifest.get("id_column_sensitive") is not False


def id_key(root: Path, env: Mapping[str, str] | None = None) -> tuple[bytes, str]:
    """The pseudonym key and where it came from (``env`` or ``file``); the file is made
    with a fresh random key on first use."""
    value = (os.environ if env is None else env).get(KEY_VARIABLE, "")
    if value:
        return value.encode("utf-8"), "env"
    path = root / KEY_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(KEY_BYTES))
    return path.read_text(encoding="ascii").strip().encode("ascii"), "file"


def key_id(key: bytes) -> str:
    """A short public name of the key (an HMAC of a fixed label), to tell keys apart."""
    return hmac.new(key, b"modelgate id key", hashlib.sha256).hexdigest()[:12]


def pseudonym(value: str, key: bytes) -> str:
    """One id's pseudonym: ``hmac-sha256:`` and the hex digest."""
    return PREFIX + hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymize(ids: Iterable[object], key: bytes) -> list[str]:
    """Pseudonyms of ``ids``, in order."""
    return [pseudonym(str(i), key) for i in ids]


def artifact_ids(
    ids: Iterable[object],
    manifest: Mapping[str, Any],
    root: Path,
    env: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The ids to write into artifacts, and the fields that say how they were written
    (``{"id_scheme": "raw"}`` or ``{"id_scheme": "hmac-sha256", "id_key_id": ...}``)."""
    raw = [str(i) for i in ids]
    if not ids_sensitive(manifest):
        return raw, {"id_scheme": "raw"}
    key, _ = id_key(root, env)
    return pseudonymize(raw, key), {"id_scheme": SCHEME, "id_key_id": key_id(key)}

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""sha256 in one place: data fingerprints, bundle manifests, Lambda zips and S3 checksums
must agree byte for byte, so they are all computed here (``lambda/serving`` keeps its own
copy: it ships alone in the zip)."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

CHUNK_BYTES = 1 << 20  # files are read a mebibyte at a time, never whole


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks so a large zip or data file never sits in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def hex_to_base64(hex_digest: str) -> str:
    """A hex digest in the base64 form AWS wants (Lambda ``CodeSha256``, S3 ``ChecksumSHA256``)."""
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""detect-secrets over a list of files, as a child process of the security audit.

The audit starts a few of these side by side (detect-secrets is pure Python, so threads
would share one core) and reads their JSON; each child imports nothing but detect-secrets,
so it starts fast. A secret's value never leaves the child: only file, line and type.

    python -P -m modelgate.bot.check.audits._secret_scan ROOT FILE_LIST   (one path per line)
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# a hex string of a digest's length on a line that says it is a digest is not a secret
HASH_LENGTHS = frozenset({32, 40, 64, 128})
HASH_WORDS_RE = re.compile(r"sha(?:1|224|256|384|512)?|md5|hash|digest|checksum|commit", re.I)
HEX_ENTROPY_TYPE = "Hex High Entropy String"
# bump when what a scan reports for the same bytes changes (the cache key includes it)
FILTER_VERSION = "1"


def scanner_id() -> str:
    """What a cached result depends on besides the file: detect-secrets' version, its
    plugins and filters, and our own filtering."""
    from detect_secrets.__version__ import VERSION
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import default_settings, get_settings

    with default_settings():
        settings = get_settings().json()
    plugins = sorted(get_mapping_from_secret_type_to_class())
    doc = {"detect_secrets": VERSION, "settings": settings, "plugins": plugins,
           "filter": FILTER_VERSION}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def is_declared_hash(secret_type: str, value: str | None, line: str) -> bool:
    return (
        secret_type == HEX_ENTROPY_TYPE
        and value is not None
        and len(value) in HASH_LENGTHS
        and HASH_WORDS_RE.search(line) is not None
    )


def _line(path: Path, number: int) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, start=1):
                if i == number:
                    return text
    except OSError:
        return ""
    return ""


def scan(root: Path, files: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per file: its findings (file, line, type) and how many declared hashes were set
    aside. detect-secrets' default plugins and filters, one file after another."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    collection = SecretsCollection(root=str(root))
    with default_settings():
        for name in files:
            collection.scan_file(name)
    out: dict[str, dict[str, Any]] = {name: {"findings": [], "hashes": 0} for name in files}
    for name, secrets in collection.data.items():
        entry = out.setdefault(name, {"findings": [], "hashes": 0})
        for secret in secrets:
            line = _line(root / name, secret.line_number)
            if is_declared_hash(secret.type, secret.secret_value, line):
                entry["hashes"] += 1
                continue
            entry["findings"].append({"file": Path(name).as_posix(),
                                      "line": secret.line_number, "type": secret.type})
    return out


def main(argv: Sequence[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -P -m modelgate.bot.check.audits._secret_scan "
                         "ROOT FILE_LIST\n")
        return 2
    root = Path(argv[0])
    files = [n for n in Path(argv[1]).read_text(encoding="utf-8").split("\n") if n]
    sys.stdout.write(json.dumps(scan(root, files)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What every ``modelgate`` command that talks to AWS or writes a record does the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelgate.progress import Reporter

MSG_RECORD_WRITTEN = "record written to {path}"


def boto3_client(service: str, region: str) -> Any:
    """A boto3 client (imported late: most commands never need boto3)."""
    import boto3

    return boto3.client(service, region_name=region)


def write_record(path: Path | None, text: str, rep: Reporter) -> None:
    """The command's JSON record at ``--record``, when given."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    rep.info(MSG_RECORD_WRITTEN.format(path=path))

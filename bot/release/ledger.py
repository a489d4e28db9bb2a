# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The promotion ledger: every alias move (promote, deploy, rollback), hash-chained.

One S3 object per entry under ``<deploy.prefix>/ledger/<model>/<seq>.json`` (``seq``
zero-padded to 10 digits, so keys sort), written with ``IfNoneMatch='*'``: S3 refuses to
overwrite, so two writers racing for the same number cannot both win, and nothing already
written is replaced. Each entry holds the sha256 of the previous entry's bytes; reading
the ledger re-checks the chain. Bucket versioning keeps any deletion visible; teams that
enable S3 Object Lock (compliance mode) on the bucket make the entries undeletable for
the retention period. Each entry is mirrored to the registered model's MLflow tags
(``modelgate.ledger.<seq>`` and ``modelgate.ledger.head``) for people who look there.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from modelgate.errors import ModelgateError
from modelgate.hashing import sha256_bytes

SCHEMA_VERSION = 1
SEQ_DIGITS = 10
GENESIS = "0" * 64
TAG_HEAD = "modelgate.ledger.head"
TAG_ENTRY = "modelgate.ledger.{seq}"
Action = Literal["promote", "deploy", "rollback"]


class LedgerError(ModelgateError):
    """The ledger cannot be read or written, or its chain is broken."""


@dataclass(frozen=True)
class Entry:
    """One alias move."""

    seq: int
    prev_sha256: str
    action: Action
    target: str  # "mlflow:<alias>" or "lambda:<function>:<alias>"
    model_name: str
    model_version: str
    to: str  # what the alias now points at (MLflow version or Lambda version)
    previous: str | None
    statement_sha256: str | None
    actor: dict[str, str | None]
    at: str
    schema_version: int = SCHEMA_VERSION

    def encode(self) -> bytes:
        return (json.dumps(asdict(self), sort_keys=True, separators=(",", ":")) + "\n").encode()

    @property
    def sha256(self) -> str:
        return sha256_bytes(self.encode())


def mlflow_target(alias: str) -> str:
    return f"mlflow:{alias}"


def lambda_target(function: str, alias: str) -> str:
    return f"lambda:{function}:{alias}"


def caller_identity(sts_client: Any, env: dict[str, str] | None = None) -> dict[str, str | None]:
    """Who moves the alias: the AWS caller's ARN, and the GitHub actor and run when set."""
    env = dict(os.environ) if env is None else env
    arn: str | None = None
    if sts_client is not None:
        try:
            arn = str(sts_client.get_caller_identity()["Arn"])
        except Exception as exc:  # botocore raises many types; the move must say who
            raise LedgerError(f"cannot tell who moves the alias (STS GetCallerIdentity: "
                              f"{exc})") from None
    return {"aws_arn": arn, "github_actor": env.get("GITHUB_ACTOR") or None,
            "github_run_id": env.get("GITHUB_RUN_ID") or None}


class Ledger:
    """The ledger of one model in one bucket."""

    def __init__(self, s3_client: Any, bucket: str, prefix: str, model_name: str, *,
                 mlflow_client: Any = None) -> None:
        self.s3 = s3_client
        self.bucket = bucket
        self.prefix = "/".join(p for p in (prefix.strip("/"), "ledger", model_name) if p)
        self.model_name = model_name
        self.mlflow = mlflow_client

    def key(self, seq: int) -> str:
        return f"{self.prefix}/{seq:0{SEQ_DIGITS}d}.json"

    def entries(self) -> list[Entry]:
        """Every entry in order, the chain checked; raise :class:`LedgerError` if broken."""
        keys: list[str] = []
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + "/")
            for page in pages:
                keys += [str(o["Key"]) for o in page.get("Contents", [])]
        except Exception as exc:  # botocore raises many types
            raise LedgerError(f"cannot list s3://{self.bucket}/{self.prefix}: {exc}") from None
        out: list[Entry] = []
        prev = GENESIS
        for number, key in enumerate(sorted(keys)):
            if key != self.key(number):
                raise LedgerError(f"ledger entry {number} is missing (found {key})")
            raw = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            try:
                entry = Entry(**json.loads(raw))
            except (ValueError, TypeError) as exc:
                raise LedgerError(f"ledger entry {key} is not an entry: {exc}") from None
            if entry.encode() != raw or entry.seq != number:
                raise LedgerError(f"ledger entry {key} was not written by modelgate")
            if entry.prev_sha256 != prev:
                raise LedgerError(f"ledger entry {key} names previous {entry.prev_sha256[:16]}…, "
                                  f"but entry {number - 1} hashes to {prev[:16]}…: the chain "
                                  "is broken")
            prev = entry.sha256
            out.append(entry)
        return out

    def append(self, *, action: Action, target: str, model_version: str, to: str,
               previous: str | None, statement_sha256: str | None,
               actor: dict[str, str | None], at: datetime) -> Entry:
        """Write the next entry (never overwriting: ``IfNoneMatch='*'``), then mirror it."""
        from botocore.exceptions import ClientError

        for _attempt in range(3):
            chain = self.entries()
            entry = Entry(seq=len(chain), prev_sha256=chain[-1].sha256 if chain else GENESIS,
                          action=action, target=target, model_name=self.model_name,
                          model_version=model_version, to=to, previous=previous,
                          statement_sha256=statement_sha256, actor=actor, at=at.isoformat())
            try:
                self.s3.put_object(Bucket=self.bucket, Key=self.key(entry.seq),
                                   Body=entry.encode(), ContentType="application/json",
                                   IfNoneMatch="*")
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in ("PreconditionFailed", "ConditionalRequestConflict"):
                    continue  # someone wrote that number first: read again, take the next
                raise LedgerError(f"cannot write {self.key(entry.seq)}: {exc}") from None
            self._mirror(entry)
            return entry
        raise LedgerError(f"ledger {self.prefix} kept moving under three attempts to append")

    def _mirror(self, entry: Entry) -> None:
        if self.mlflow is None:
            return
        value = entry.encode().decode().strip()
        self.mlflow.set_registered_model_tag(self.model_name, TAG_ENTRY.format(seq=entry.seq),
                                             value[:5000])
        self.mlflow.set_registered_model_tag(self.model_name, TAG_HEAD,
                                             json.dumps({"seq": entry.seq,
                                                         "sha256": entry.sha256}))

    def head(self, target: str) -> Entry | None:
        """The latest entry for one alias."""
        found = [e for e in self.entries() if e.target == target]
        return found[-1] if found else None

    def at(self, when: datetime, target: str) -> Entry | None:
        """The entry in force for ``target`` at ``when`` (the last move at or before it)."""
        found = None
        for e in self.entries():
            if e.target == target and datetime.fromisoformat(e.at) <= when:
                found = e
        return found

    def statement_for(self, target: str, to: str) -> str | None:
        """The statement digest recorded when ``target`` last pointed at ``to``."""
        found = None
        for e in self.entries():
            if e.target == target and e.to == to:
                found = e.statement_sha256
        return found


def ledger_for(config: Any, s3_client: Any, mlflow_client: Any = None) -> Ledger:
    """The model's ledger in the deploy bucket (``governance.yml`` ``deploy:``)."""
    gov = config.governance
    return Ledger(s3_client, gov.deploy.bucket, gov.deploy.prefix, gov.model.name,
                  mlflow_client=mlflow_client)

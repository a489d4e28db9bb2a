# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The promotion ledger in S3 (moto): hash-chained, never overwritten, read back by
``history --at``; a hand-made alias move is an incident; KMS signs statements."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from modelgate.bot.release.history import registry_incidents, served_at
from modelgate.bot.release.ledger import (
    GENESIS,
    Ledger,
    LedgerError,
    caller_identity,
    lambda_target,
    mlflow_target,
)
from modelgate.bot.release.signing import KmsSigner
from modelgate.bot.release.statement import attest
from modelgate.bot.release.verify import kms_public_pem, trusted_keys, verify
from tests.release_support import facts
from tests.serving_support import export

REGION = "us-east-1"
BUCKET = "modelgate-ledger-test"
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
FUNCTION = "modelgate-serving"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield {"s3": s3, "sts": boto3.client("sts", region_name=REGION),
               "kms": boto3.client("kms", region_name=REGION)}


class FakeMlflow:
    """Records registered-model tags and answers one alias."""

    def __init__(self) -> None:
        self.tags: dict[str, str] = {}
        self.alias: dict[str, str] = {}

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self.tags[key] = value

    def get_model_version_by_alias(self, name: str, alias: str) -> Any:
        from mlflow.exceptions import MlflowException

        if alias not in self.alias:
            raise MlflowException("no alias")
        return type("MV", (), {"version": self.alias[alias]})()


class FakeLambda:
    def __init__(self, version: str) -> None:
        self.version = version

    def get_alias(self, **_: Any) -> Any:
        return {"FunctionVersion": self.version}

    def get_function_configuration(self, **_: Any) -> Any:
        return {"Environment": {"Variables": {}}}


def _moves(ledger: Ledger, actor: dict[str, str | None]) -> None:
    ledger.append(action="promote", target=mlflow_target("production"), model_version="1",
                  to="1", previous=None, statement_sha256="a" * 64, actor=actor, at=T0)
    ledger.append(action="deploy", target=lambda_target(FUNCTION, "live"), model_version="1",
                  to="3", previous=None, statement_sha256="a" * 64, actor=actor,
                  at=T0 + timedelta(minutes=5))
    ledger.append(action="promote", target=mlflow_target("production"), model_version="2",
                  to="2", previous="1", statement_sha256="b" * 64, actor=actor,
                  at=T0 + timedelta(hours=1))
    ledger.append(action="deploy", target=lambda_target(FUNCTION, "live"), model_version="2",
                  to="4", previous="3", statement_sha256="b" * 64, actor=actor,
                  at=T0 + timedelta(hours=1, minutes=5))


def test_entries_chain_by_hash_and_name_the_caller(aws: dict[str, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Each entry holds the previous entry's hash, the alias, version, statement and who."""
    monkeypatch.setenv("GITHUB_ACTOR", "release-bot")
    monkeypatch.setenv("GITHUB_RUN_ID", "77")
    mlflow = FakeMlflow()
    ledger = Ledger(aws["s3"], BUCKET, "models", "bcc", mlflow_client=mlflow)
    _moves(ledger, caller_identity(aws["sts"]))
    entries = ledger.entries()
    assert [e.seq for e in entries] == [0, 1, 2, 3]
    assert entries[0].prev_sha256 == GENESIS
    assert all(b.prev_sha256 == a.sha256 for a, b in itertools.pairwise(entries))
    assert entries[1].actor == {"aws_arn": "arn:aws:sts::123456789012:user/moto",
                                "github_actor": "release-bot", "github_run_id": "77"}
    assert aws["s3"].list_objects_v2(Bucket=BUCKET)["KeyCount"] == 4
    assert json.loads(mlflow.tags["modelgate.ledger.head"]) == {"seq": 3,
                                                                "sha256": entries[3].sha256}
    assert "modelgate.ledger.2" in mlflow.tags


def test_an_entry_is_never_overwritten(aws: dict[str, Any]) -> None:
    """IfNoneMatch='*': S3 refuses a second write of the same number."""
    from botocore.exceptions import ClientError

    ledger = Ledger(aws["s3"], BUCKET, "models", "bcc")
    _moves(ledger, caller_identity(None, env={}))
    with pytest.raises(ClientError, match="PreconditionFailed"):
        aws["s3"].put_object(Bucket=BUCKET, Key=ledger.key(1), Body=b"{}", IfNoneMatch="*")


def test_an_edited_entry_breaks_the_chain(aws: dict[str, Any]) -> None:
    ledger = Ledger(aws["s3"], BUCKET, "models", "bcc")
    _moves(ledger, caller_identity(None, env={}))
    first = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=ledger.key(1))["Body"].read())
    first["to"] = "9"
    aws["s3"].put_object(Bucket=BUCKET, Key=ledger.key(1),
                         Body=(json.dumps(first, sort_keys=True, separators=(",", ":"))
                               + "\n").encode())
    with pytest.raises(LedgerError, match=r"entry 1 hashes to .*the chain is broken"):
        ledger.entries()


def test_history_at_says_what_served_then(aws: dict[str, Any]) -> None:
    ledger = Ledger(aws["s3"], BUCKET, "models", "bcc")
    _moves(ledger, caller_identity(None, env={}))
    early = served_at(ledger, T0 + timedelta(minutes=30), function=FUNCTION, live_alias="live",
                      mlflow_alias="production")
    assert early.entry is not None and early.entry.model_version == "1"
    assert early.entry.statement_sha256 == "a" * 64 and early.entry.to == "3"
    late = served_at(ledger, T0 + timedelta(days=1), function=FUNCTION, live_alias="live",
                     mlflow_alias="production")
    assert late.entry is not None and late.entry.model_version == "2"
    assert "statement sha256 " + "b" * 64 in late.render()
    before = served_at(ledger, T0 - timedelta(days=1), function=FUNCTION, live_alias="live",
                       mlflow_alias="production")
    assert before.entry is None


def test_a_hand_made_alias_move_is_an_incident(aws: dict[str, Any]) -> None:
    """The MLflow alias or the Lambda alias moved outside modelgate: one line each, naming
    what moved, from what, to what."""
    ledger = Ledger(aws["s3"], BUCKET, "models", "bcc")
    _moves(ledger, caller_identity(None, env={}))
    mlflow = FakeMlflow()
    mlflow.alias["production"] = "2"
    assert registry_incidents(ledger, mlflow_client=mlflow, mlflow_alias="production",
                              lambda_client=FakeLambda("4"), function=FUNCTION) == []
    mlflow.alias["production"] = "1"
    lines = registry_incidents(ledger, mlflow_client=mlflow, mlflow_alias="production",
                               lambda_client=FakeLambda("3"), function=FUNCTION)
    assert lines == [
        "INCIDENT: MLflow alias bcc@production points at version 1, but the ledger's last move "
        "put it at version 2 (entry 2, promote by unknown at 2026-12-01T11:00:00+00:00): it was "
        "moved outside modelgate",
        "INCIDENT: Lambda alias modelgate-serving:live points at 3, but the ledger's last move "
        "put it at 4 (entry 3, deploy by unknown at 2026-12-01T11:05:00+00:00): it was moved "
        "outside modelgate"]


def test_kms_signs_a_statement_that_verifies(aws: dict[str, Any], tmp_path: Path) -> None:
    """KmsSigner (moto's KMS Sign, ECDSA_SHA_256); the trusted key is KMS's public half."""
    key = aws["kms"].create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    key_id = key["KeyMetadata"]["KeyId"]
    bundle = tmp_path / "bundle"
    export(bundle)
    attest(bundle, facts(), KmsSigner(aws["kms"], key_id))
    pem = kms_public_pem(aws["kms"], key_id)
    result = verify(str(bundle), trusted_keys(pem))
    assert result.statement.keyid == KmsSigner(aws["kms"], key_id).keyid

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate verify`` and ``modelgate history`` from the command line, offline (a local
key; moto for the ledger's S3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from modelgate.bot.cli.main import main
from modelgate.bot.release.ledger import Ledger, lambda_target
from modelgate.errors import ExitCode
from tests.conftest import fixture_config
from tests.release_support import copy_bundle, public_pem, sign_bundle, tamper_payload
from tests.serving_support import export

CONFIG = str(fixture_config())


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli-verify") / "bundle"
    export(out)
    sign_bundle(out)
    return out


@pytest.fixture
def pem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MODELGATE_STATEMENT_PUBKEY", raising=False)
    path = tmp_path / "release.pub"
    path.write_text(public_pem())
    return path


def test_verify_prints_the_chain_and_exits_0(signed: Path, pem: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", CONFIG, "verify", str(signed), "--key", str(pem)])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "signature  ok, key" in out and "approval   clinical-safety: @cleo-clinician" in out


def test_verify_names_an_edited_approval_and_exits_1(signed: Path, pem: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bundle = copy_bundle(signed, tmp_path / "b")

    def edit(doc: dict[str, object]) -> None:
        doc["predicate"]["approvals"][2]["login"] = "mallory"  # type: ignore[index]

    tamper_payload(bundle, edit)
    code = main(["--config", CONFIG, "verify", str(bundle), "--key", str(pem)])
    assert code == ExitCode.FAILED
    assert "predicate.approvals[2].login" in capsys.readouterr().err


def test_verify_without_a_key_says_how_to_give_one(signed: Path, pem: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", CONFIG, "verify", str(signed)]) == ExitCode.FAILED
    assert "no trusted key" in capsys.readouterr().err


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="modelgate-bundles")
        yield client


def test_history_at_names_the_version_and_its_statement(
        s3: object, capsys: pytest.CaptureFixture[str]) -> None:
    ledger = Ledger(s3, "modelgate-bundles", "breast-cancer-classifier",
                    "breast-cancer-classifier")
    ledger.append(action="deploy", target=lambda_target("modelgate-breast-cancer", "live"),
                  model_version="7", to="4", previous=None, statement_sha256="5" * 64,
                  actor={"aws_arn": "arn:x", "github_actor": "bot", "github_run_id": "9"},
                  at=datetime(2026, 12, 1, 10, tzinfo=UTC))
    code = main(["--config", CONFIG, "history", "--at", "2026-12-01T12:00:00Z"])
    out = capsys.readouterr().out
    assert code == ExitCode.OK
    assert "served breast-cancer-classifier v7 (lambda version 4), statement sha256 " \
        + "5" * 64 in out
    assert main(["--config", CONFIG, "history", "--at", "2026-11-01T00:00:00Z"]) == \
        ExitCode.FAILED

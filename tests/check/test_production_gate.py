# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The report job judges the gate again against the bundle the live alias serves (moto's
Lambda and S3, a real ONNX bundle), from the evaluation rows the PR job shipped as data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError, NoCredentialsError
from moto import mock_aws

from modelgate.bot.check.artifact import AuditArtifact, validate_documents
from modelgate.bot.check.evidence import evaluation_rows
from modelgate.bot.check.production_gate import NOT_DEPLOYED, rejudge
from modelgate.bot.check.report import EVAL_ROWS_FILE, PREDICTIONS_FILE, AuditEntry
from modelgate.governance import Governance, load_config
from modelgate.infra.bundle import upload_bundle
from modelgate.serving.manifest import MANIFEST_NAME
from modelgate.serving.settings import ENV_BUNDLE_SHA256, ENV_BUNDLE_URI
from tests.bot_support import artifact_files, make_report
from tests.conftest import fixture_config
from tests.infra_support import TRUST_POLICY, FittedBundle, fit_and_export, make_zip

HEAD = "c" * 40


@pytest.fixture(scope="module")
def gov() -> Governance:
    return load_config(fixture_config()).governance


@pytest.fixture(scope="module")
def rows() -> dict[str, Any]:
    return evaluation_rows(load_config(fixture_config()))


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> FittedBundle:
    return fit_and_export(tmp_path_factory.mktemp("prod") / "bundle", model_version="4")


@dataclass
class Live:
    lam: Any
    s3: Any
    bucket: str
    prefix: str
    tmp: Path

    def clients(self) -> tuple[Any, Any]:
        return self.lam, self.s3


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, gov: Governance, tmp_path: Path) -> Iterator[Live]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing"}.items():
        monkeypatch.setenv(name, value)
    region = gov.deploy.region
    with mock_aws():
        s3 = boto3.client("s3", region_name=region)
        s3.create_bucket(Bucket=gov.deploy.bucket)
        yield Live(boto3.client("lambda", region_name=region), s3, gov.deploy.bucket,
                   "models/bundles/v4/production", tmp_path)


def deploy(live: Live, gov: Governance, bundle: FittedBundle) -> str:
    """What `modelgate deploy` leaves behind: the live alias on a version whose
    environment names the bundle and its manifest's sha256."""
    uri = upload_bundle(live.s3, bundle.directory, live.bucket, live.prefix)
    sha = hashlib.sha256((bundle.directory / MANIFEST_NAME).read_bytes()).hexdigest()
    iam = boto3.client("iam", region_name=gov.deploy.region)
    role = iam.create_role(RoleName="serving",
                           AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    name = gov.deploy.function_name
    live.lam.create_function(
        FunctionName=name, Runtime="python3.12", Role=role,
        Handler="modelgate.serving.handler.handler",
        Code={"ZipFile": make_zip(live.tmp / "code.zip", marker="production").read_bytes()},
        Environment={"Variables": {ENV_BUNDLE_URI: uri, ENV_BUNDLE_SHA256: sha}})
    version = live.lam.publish_version(FunctionName=name)["Version"]
    live.lam.create_alias(FunctionName=name, Name=gov.deploy.live_alias, FunctionVersion=version)
    return uri


def artifact(rows: dict[str, Any], p_positive: list[float], *,
             drop: str | None = None, **changes: Any) -> AuditArtifact:
    """A PR job's artifact whose own gate passed against the baseline."""
    report = make_report(HEAD)
    baseline_gate = AuditEntry(id="performance_gate", title="Strictly better than production",
                               status="pass", summary="roc_auc 0.99 vs majority-class baseline")
    report = report.model_copy(update={"data_sha256": rows["data_sha256"],
                                       "audits": [*report.audits, baseline_gate]})
    files = artifact_files(HEAD, 7, report=report)
    files[EVAL_ROWS_FILE] = json.dumps({**rows, **changes}).encode()
    files[PREDICTIONS_FILE] = json.dumps({"ids": rows["ids"], "y_true": rows["y_true"],
                                          "p_positive": p_positive}).encode()
    if drop:
        del files[drop]
    return validate_documents(files)


def gate(art: AuditArtifact) -> AuditEntry:
    (entry,) = [a for a in art.report.audits if a.id == "performance_gate"]
    return entry


def test_a_candidate_equal_to_production_passes_as_unchanged_against_the_live_bundle(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle) -> None:
    """Production v4's own scores: a settings-only change, which passes as such."""
    uri = deploy(aws, gov, bundle)
    same = [float(p) for p in bundle.expected_p]
    judged, note = rejudge(artifact(rows, same), gov, aws.clients)
    entry = gate(judged)
    assert entry.status == "pass", entry.summary
    assert entry.summary.startswith("unchanged model")
    assert entry.details["unchanged_model"] is True
    assert entry.details["reference"]["version"] == "4" and entry.details["bundle_uri"] == uri
    assert abs(entry.details["delta"]) < 1e-9
    assert judged.card.performance.reference_name == "production v4"
    assert note.startswith("performance gate judged against production v4")


def test_a_changed_candidate_no_better_than_production_fails_against_the_live_bundle(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle) -> None:
    """Other scores with the same ranking (p squared: the same roc_auc) are a changed model
    that is not strictly better, and the report, the card and its checklist all say so."""
    uri = deploy(aws, gov, bundle)
    squared = [float(p) ** 2 for p in bundle.expected_p]
    judged, note = rejudge(artifact(rows, squared), gov, aws.clients)
    entry = gate(judged)
    assert entry.status == "fail" and "is not above production v4" in entry.summary
    assert entry.details["unchanged_model"] is False
    assert entry.details["reference"]["version"] == "4" and entry.details["bundle_uri"] == uri
    assert abs(entry.details["delta"]) < 1e-9
    assert judged.report.passed is False
    assert judged.card.performance.reference_name == "production v4"
    assert [c.status for c in judged.card.checklist if c.id == "performance_gate"] == ["fail"]
    assert note.startswith("performance gate judged against production v4")


def test_a_better_candidate_passes_with_the_delta_and_its_ci(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle) -> None:
    deploy(aws, gov, bundle)
    perfect = [0.9 if y == 1 else 0.1 for y in rows["y_true"]]
    judged, _ = rejudge(artifact(rows, perfect), gov, aws.clients)
    entry = gate(judged)
    assert entry.status == "pass", entry.summary
    assert entry.details["delta"] > 0 and entry.details["bootstrap"]["ci95"][1] > 0
    assert judged.report.passed is True
    assert judged.card.performance.delta == pytest.approx(entry.details["delta"])


def test_with_nothing_deployed_the_pr_jobs_gate_stands(
        aws: Live, gov: Governance, rows: dict[str, Any]) -> None:
    original = artifact(rows, [0.5] * len(rows["ids"]))
    judged, note = rejudge(original, gov, aws.clients)
    assert judged is original
    assert note == NOT_DEPLOYED.format(function=gov.deploy.function_name,
                                       alias=gov.deploy.live_alias)


class Denied:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def get_alias(self, **_: Any) -> Any:
        raise self.exc


@pytest.mark.parametrize("exc", [
    NoCredentialsError(),
    ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetAlias"),
])
def test_without_read_access_the_gate_fails_closed_saying_what_to_set(
        gov: Governance, rows: dict[str, Any], exc: Exception) -> None:
    judged, note = rejudge(artifact(rows, [0.5] * len(rows["ids"])), gov,
                           lambda: (Denied(exc), None))
    entry = gate(judged)
    assert entry.status == "error" and judged.report.passed is False
    assert "AWS_READ_ROLE_ARN" in entry.summary and entry.summary == note


def test_a_tampered_production_bundle_fails_closed(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle) -> None:
    deploy(aws, gov, bundle)
    key = f"{aws.prefix}/model.onnx"
    aws.s3.put_object(Bucket=aws.bucket, Key=key, Body=b"not the model")
    judged, _ = rejudge(artifact(rows, [0.5] * len(rows["ids"])), gov, aws.clients)
    entry = gate(judged)
    assert entry.status == "error" and "production bundle s3://" in entry.summary
    assert "was refused" in entry.summary


@pytest.mark.parametrize(("drop", "changes", "message"), [
    (EVAL_ROWS_FILE, {}, "evaluation_rows.json is unusable: missing from the artifact"),
    (None, {"ids": ["x"] * 114}, "candidate_predictions.json does not match evaluation_rows"),
    (None, {"data_sha256": "0" * 64}, "does not match the report: another data sha256"),
    (None, {"X": [[float("inf")] * 30] * 114}, "unusable"),
    (None, {"y_true": [1] * 114}, "only one class"),
])
def test_unusable_evidence_fails_closed_with_its_reason(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle,
        drop: str | None, changes: dict[str, Any], message: str) -> None:
    deploy(aws, gov, bundle)
    judged, _ = rejudge(artifact(rows, [0.5] * 114, drop=drop, **changes), gov, aws.clients)
    entry = gate(judged)
    assert entry.status == "error" and message in entry.summary, entry.summary


def test_rows_without_a_feature_production_needs_cannot_be_compared(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle) -> None:
    deploy(aws, gov, bundle)
    fewer = {"features": rows["features"][1:], "X": [r[1:] for r in rows["X"]]}
    judged, _ = rejudge(artifact(rows, [0.5] * 114, **fewer), gov, aws.clients)
    entry = gate(judged)
    assert entry.status == "error"
    assert f"production v4 needs the features {rows['features'][0]}" in entry.summary


def test_rows_in_another_column_order_are_scored_in_production_order(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle) -> None:
    """A PR that reorders (or adds) features is still compared on the same rows."""
    deploy(aws, gov, bundle)
    X = np.asarray(rows["X"])
    order = list(reversed(range(X.shape[1])))
    moved = {"features": [rows["features"][i] for i in order], "X": X[:, order].tolist()}
    same = [float(p) for p in bundle.expected_p]
    entry = gate(rejudge(artifact(rows, same, **moved), gov, aws.clients)[0])
    assert entry.status == "pass" and entry.details["unchanged_model"] is True
    assert abs(entry.details["delta"]) < 1e-9
    squared = [float(p) ** 2 for p in bundle.expected_p]
    entry = gate(rejudge(artifact(rows, squared, **moved), gov, aws.clients)[0])
    assert entry.status == "fail" and abs(entry.details["delta"]) < 1e-9


def test_nothing_is_written_outside_a_temporary_folder(
        aws: Live, gov: Governance, rows: dict[str, Any], bundle: FittedBundle,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deploy(aws, gov, bundle)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    rejudge(artifact(rows, [0.5] * 114), gov, aws.clients)
    assert list(cwd.iterdir()) == []


def test_the_evidence_files_survive_loading_the_artifact_from_disk_and_zip(
        rows: dict[str, Any], tmp_path: Path) -> None:
    """What actions/download-artifact leaves (a folder) or the API serves (a zip) carries
    the evaluation rows and predictions through to the trusted job."""
    from modelgate.bot.check.artifact import load_artifact, load_artifact_bytes
    from tests.bot_support import write_dir, zip_of

    files = dict(artifact(rows, [0.5] * 114).files)
    for loaded in (load_artifact(write_dir(tmp_path / "a", files)),
                   load_artifact_bytes(zip_of(files))):
        assert set(loaded.files) >= {EVAL_ROWS_FILE, PREDICTIONS_FILE}
        assert loaded.files[EVAL_ROWS_FILE] == files[EVAL_ROWS_FILE]

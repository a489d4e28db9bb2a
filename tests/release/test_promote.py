# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Promotion: what it refuses (each reason named, the alias untouched), what a promotion
leaves in MLflow and S3 (moto), and a served prediction traced back to its data and commit."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import mlflow.sklearn
import numpy as np
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from modelgate.bot.check.pipeline import VERSION_TAG_PASSED, run_check
from modelgate.bot.release.promote import (
    ALIAS_STATE,
    R_AUDIT_COMMIT,
    R_AUDIT_FAILED,
    R_AUDIT_NONE,
    R_CONFIG_CHANGED,
    R_MISSING_ARTIFACTS,
    R_NO_VERSION,
    R_REPORT_FIELD,
    R_REPORT_NOT_PASSED,
    R_REPORT_SHA,
    R_STAGE,
    R_STAGING_FIRST,
    TAG_PROMOTED,
    PromotionFailed,
    PromotionRecord,
    PromotionRefused,
    bundle_prefix,
    parse_promoted_tag,
    promote,
)
from modelgate.infra.bundle import PARITY_TOLERANCE
from modelgate.progress import ConsoleReporter
from modelgate.serving import bundle as bundles
from modelgate.serving.app import create_app
from modelgate.serving.bundle import download_s3_bundle, verify_bundle_dir
from modelgate.serving.handler import make_handler
from modelgate.serving.manifest import MANIFEST_NAME
from modelgate.serving.settings import Settings
from modelgate.training.data import load_dataset
from modelgate.training.train import TrainResult, positive_probability, train
from tests.conftest import git
from tests.promote_support import (
    REGION,
    Workspace,
    aws_env,
    governed_workspace,
    local_artifact,
    open_workspace,
    record_audit,
    ticking,
)
from tests.serving_support import FakeContext, LogLines, http_event, response_headers, response_json

EXPECTED_AUDITS = ["pii", "ip_headers", "security", "leakage", "bias", "performance_gate",
                   "servable", "lineage", "model_card"]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return open_workspace(governed_workspace(tmp_path_factory.mktemp("promote") / "ws"))


@pytest.fixture(scope="module")
def s3(ws: Workspace) -> Iterator[Any]:
    with aws_env(), mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=ws.config.governance.deploy.bucket)
        yield client


@pytest.fixture(scope="module")
def trained(ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> TrainResult:
    """A governed run whose version carries a passing audit record."""
    result = ws.train()
    record_audit(ws.client, result, tmp_path_factory.mktemp("audit"))
    return result


@pytest.fixture(scope="module")
def staged(ws: Workspace, s3: Any, trained: TrainResult,
           tmp_path_factory: pytest.TempPathFactory) -> PromotionRecord:
    return promote(ws.client, ws.config, version=trained.version, alias="staging",
                   s3_client=s3, out_dir=tmp_path_factory.mktemp("staged"), clock=ticking())


def fresh(ws: Workspace, tmp_path: Path, **audit: Any) -> TrainResult:
    """A new version of the model with an audit report recorded on it."""
    result = ws.train()
    record_audit(ws.client, result, tmp_path / "audit", **audit)
    return result


def s3_keys(s3: Any, ws: Workspace, version: str, alias: str) -> list[str]:
    prefix = bundle_prefix(ws.config, version, alias) + "/"
    listing = s3.list_objects_v2(Bucket=ws.config.governance.deploy.bucket, Prefix=prefix)
    return [str(o["Key"]) for o in listing.get("Contents", [])]


def refused(ws: Workspace, s3: Any, version: str, tmp_path: Path, *, alias: str = "staging",
            config: Any = None, exists: bool = True, **options: Any) -> PromotionRefused:
    """Promote, expect a refusal, and check that nothing moved or was written."""
    before = ws.aliases()
    with pytest.raises(PromotionRefused) as caught:
        promote(ws.client, config or ws.config, version=version, alias=alias, s3_client=s3,
                out_dir=tmp_path / "out", clock=ticking(), **options)
    assert ws.aliases() == before
    if not exists:  # nothing to look up for a version or alias that is not there
        return caught.value
    assert not [t for t in ws.version_tags(version) if t.startswith("modelgate.promoted.")]
    assert s3_keys(s3, ws, version, alias) == []
    assert not (tmp_path / "out" / "promotion.json").exists()
    return caught.value


# --- refusals ---------------------------------------------------------------------------


def test_a_failed_audit_is_refused_with_the_failing_audit_named(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """It refuses a version whose recorded audit report failed, naming the failing audit,
    and leaves the alias where it was."""
    result = fresh(ws, tmp_path, failing=("bias",))
    error = refused(ws, s3, result.version, tmp_path)
    assert error.reasons == [
        R_AUDIT_FAILED.format(version=result.version, tag=VERSION_TAG_PASSED, value="false"),
        R_REPORT_NOT_PASSED.format(audits="bias (fail)"),
    ]
    state = ALIAS_STATE.format(alias="staging", state=f"still version {staged.version}")
    assert str(error).endswith(state)


def test_an_audit_recorded_for_another_commit_is_refused(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """It refuses a version trained at commit B whose passing audit report was made at
    commit A: the audit must have passed on the commit that produced the model."""
    audited_commit = git(ws.root, "rev-parse", "HEAD")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(ws.root), str(clone))
    (clone / "NOTES.txt").write_text("a later change\n")
    git(clone, "add", "NOTES.txt")
    git(clone, "commit", "-q", "-m", "later")
    later = git(clone, "rev-parse", "HEAD")
    from modelgate.governance import load_config

    result = train(load_config(clone / "governance.yml"),
                   tracking_uri=ws.config.tracking_uri(), reporter=ConsoleReporter(io.StringIO()))
    assert result.commit == later != audited_commit
    record_audit(ws.client, result, tmp_path / "audit", commit=audited_commit)

    error = refused(ws, s3, result.version, tmp_path)
    assert error.reasons == [
        R_AUDIT_COMMIT.format(audited=audited_commit, version=result.version, commit=later),
        R_REPORT_FIELD.format(field="commit", actual=audited_commit, expected=later),
    ]


def test_a_tampered_audit_report_is_refused_by_its_sha256(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """It refuses a version whose recorded audit_report.json was edited after it was
    recorded: the sha256 on the version no longer matches."""
    result = fresh(ws, tmp_path)
    path = local_artifact(ws.client, result.run_id, "audit/audit_report.json")
    report = json.loads(path.read_bytes())
    report["audits"][0]["summary"] = "looks fine to me"
    path.write_text(json.dumps(report, indent=2))
    tampered = hashlib.sha256(path.read_bytes()).hexdigest()
    recorded = ws.version_tags(result.version)["modelgate.audit.report_sha256"]

    error = refused(ws, s3, result.version, tmp_path)
    assert error.reasons == [R_REPORT_SHA.format(path="audit/audit_report.json", actual=tampered,
                                                 version=result.version, expected=recorded)]


def test_a_missing_evaluation_artifact_is_refused_by_name(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """It refuses a version whose source run lost an evaluation artifact, naming it."""
    result = fresh(ws, tmp_path)
    local_artifact(ws.client, result.run_id, "evaluation/predictions.json").unlink()

    error = refused(ws, s3, result.version, tmp_path)
    assert error.reasons == [R_MISSING_ARTIFACTS.format(names=["evaluation/predictions.json"])]


def test_a_version_without_any_audit_record_is_refused(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """A freshly trained version that no audit has seen cannot be promoted."""
    result = ws.train()
    error = refused(ws, s3, result.version, tmp_path)
    assert R_AUDIT_NONE.format(version=result.version, tag=VERSION_TAG_PASSED) in error.reasons
    assert any("audit/audit_report.json cannot be read" in r for r in error.reasons)


def test_an_unknown_version_or_alias_is_refused(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """A version the registry does not hold, or an alias that is no stage, is refused."""
    error = refused(ws, s3, "999", tmp_path, exists=False)
    assert error.reasons == [R_NO_VERSION.format(name=ws.name, version="999")]
    error = refused(ws, s3, staged.version, tmp_path, alias="canary", exists=False)
    assert error.reasons == [R_STAGE.format(alias="canary", stages="production, staging")]


def test_a_configuration_that_changed_since_training_is_refused(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """The bundle carries the threshold: a governance.yml whose threshold differs from the
    one the run was trained and audited with is refused, nothing is uploaded."""
    result = fresh(ws, tmp_path)
    gov = ws.config.governance
    changed = ws.config.model_copy(update={"governance": gov.model_copy(update={
        "estimator": gov.estimator.model_copy(update={"threshold": 0.7})})})
    error = refused(ws, s3, result.version, tmp_path, config=changed)
    assert error.reasons == [R_CONFIG_CHANGED.format(field="threshold", config=0.7, run=0.5)]


# --- failures after the checks ------------------------------------------------------------


class FailingS3:
    """A boto3 S3 client whose ``put_object`` fails as S3 would."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def put_object(self, **_: Any) -> Any:
        raise ClientError({"Error": {"Code": "SlowDown", "Message": "injected"}}, "PutObject")


class FailingTags:
    """An MLflow client whose promotion-tag write fails."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        if key.startswith("modelgate.promoted."):
            raise OSError("the tracking server went away")
        self.inner.set_model_version_tag(name, version, key, value)


def test_a_failed_upload_leaves_the_alias_where_it_was(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """When the upload fails, the alias has not moved (it moves last) and the message says so."""
    result = fresh(ws, tmp_path)
    before = ws.aliases()
    with pytest.raises(PromotionFailed, match="bundle upload failed") as caught:
        promote(ws.client, ws.config, version=result.version, alias="staging",
                s3_client=FailingS3(s3), out_dir=tmp_path / "out", clock=ticking())
    assert ws.aliases() == before
    assert str(caught.value).endswith(ALIAS_STATE.format(
        alias="staging", state=f"still version {before['staging']}"))
    assert TAG_PROMOTED.format(alias="staging") not in ws.version_tags(result.version)


def test_an_unrecorded_promotion_puts_the_alias_back(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """If the promotion cannot be recorded on the version, the alias returns to its
    previous version: it never points at a promotion nobody can trace."""
    result = fresh(ws, tmp_path)
    before = ws.aliases()
    with pytest.raises(PromotionFailed, match="put back to"):
        promote(FailingTags(ws.client), ws.config, version=result.version, alias="staging",
                s3_client=s3, out_dir=tmp_path / "out", clock=ticking())
    assert ws.aliases() == before


# --- promotions ---------------------------------------------------------------------------


def test_an_audited_version_is_promoted_with_a_verified_bundle_in_s3(
        ws: Workspace, s3: Any, trained: TrainResult, staged: PromotionRecord,
        tmp_path: Path) -> None:
    """Promotion sets the alias, and the bundle in S3 verifies and names exactly the
    registry's version, run, commit and data, with its parity check recorded."""
    version = trained.version
    assert ws.aliases()["staging"] == version == staged.version

    gov = ws.config.governance
    assert staged.bundle_uri == (f"s3://{gov.deploy.bucket}/{gov.deploy.prefix}/bundles/"
                                 f"{gov.model.name}/v{version}/staging")
    local = tmp_path / "from-s3"
    local.mkdir()
    download_s3_bundle(s3, staged.bundle_uri, local)
    verified = verify_bundle_dir(local)
    manifest = verified.manifest

    mv = ws.client.get_model_version(ws.name, version)
    run = ws.client.get_run(mv.run_id)
    assert (manifest.model_name, manifest.model_version, manifest.run_id, manifest.alias) == (
        ws.name, str(mv.version), mv.run_id, "staging")
    assert manifest.commit == run.data.tags["git_commit"] == git(ws.root, "rev-parse", "HEAD")
    assert manifest.data_sha256 == run.data.tags["data_sha256"] == load_dataset(ws.config).sha256
    assert manifest.features == tuple(gov.data.features)
    assert (manifest.threshold, manifest.positive_class) == (
        gov.estimator.threshold, gov.data.target.positive_class)

    parity = manifest.parity
    assert parity.rows == len(json.loads(local_artifact(
        ws.client, mv.run_id, "evaluation/test_ids.json").read_text())["ids"])
    assert parity.tolerance == PARITY_TOLERANCE[parity.input_dtype]
    assert parity.max_abs_diff <= parity.tolerance and parity.label_disagreements == 0
    assert staged.parity == parity.model_dump()

    sha = hashlib.sha256((local / MANIFEST_NAME).read_bytes()).hexdigest()
    assert staged.bundle_sha256 == verified.manifest_sha256 == sha
    tag = parse_promoted_tag(ws.version_tags(version)[TAG_PROMOTED.format(alias="staging")])
    assert tag is not None
    assert (tag.bundle_uri, tag.bundle_sha256) == (staged.bundle_uri, sha)
    written = json.loads((Path(staged.bundle_dir).parent / "promotion.json").read_text())
    assert written == json.loads(staged.to_json())


def test_production_reuses_nothing_but_its_own_immutable_bundle(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """Production gets its own bundle (the manifest names the alias); promoting the same
    version there again verifies and reuses the bundle already in S3."""
    first = promote(ws.client, ws.config, version=staged.version, alias="production",
                    s3_client=s3, out_dir=tmp_path / "one", clock=ticking())
    assert ws.aliases()["production"] == staged.version
    assert first.bundle_uri.endswith(f"/v{staged.version}/production")
    assert first.bundle_sha256 != staged.bundle_sha256 and not first.bundle_reused

    again = promote(ws.client, ws.config, version=staged.version, alias="production",
                    s3_client=s3, out_dir=tmp_path / "two", clock=ticking())
    assert again.bundle_reused and again.bundle_sha256 == first.bundle_sha256
    assert again.previous_version == staged.version
    assert verify_bundle_dir(Path(again.bundle_dir)).manifest_sha256 == first.bundle_sha256


def test_require_staging_refuses_production_until_the_version_was_staged(
        ws: Workspace, s3: Any, staged: PromotionRecord, tmp_path: Path) -> None:
    """With require_staging, production waits for a staging promotion of the same version."""
    result = fresh(ws, tmp_path)
    error = refused(ws, s3, result.version, tmp_path, alias="production", require_staging=True)
    assert error.reasons == [R_STAGING_FIRST.format(version=result.version, staging="staging",
                                                    production="production")]
    promote(ws.client, ws.config, version=result.version, alias="staging", s3_client=s3,
            out_dir=tmp_path / "staging", clock=ticking())
    record = promote(ws.client, ws.config, version=result.version, alias="production",
                     s3_client=s3, out_dir=tmp_path / "production", clock=ticking(),
                     require_staging=True)
    assert ws.aliases()["production"] == result.version == record.version


# --- traceability -------------------------------------------------------------------------


def test_a_served_prediction_traces_back_to_its_run_data_and_commit(
        ws: Workspace, s3: Any, trained: TrainResult, staged: PromotionRecord) -> None:
    """A prediction served from the promoted bundle (S3, Mangum handler) names a version;
    the registry leads from it to the training run, whose data sha256 and commit are the
    ones the model was trained on, and the probability is that registered model's."""
    dataset = load_dataset(ws.config)
    row = dataset.X[0]
    body = json.dumps({"features": dict(zip(dataset.features, map(float, row), strict=True))})
    logs = LogLines()
    bundles.reset_cache()
    try:
        app = create_app(Settings(bundle_uri=staged.bundle_uri), log_sink=logs,
                         s3_client_factory=lambda: s3)
        handler = make_handler(app)
        event = http_event("apigw-http-v2.post-json.powertools.json", "POST", "/predict",
                           body.encode(), headers={"x-request-id": "trace-me-1"})
        response = handler(event, FakeContext())
    finally:
        bundles.reset_cache()
    assert response["statusCode"] == 200
    answer = response_json(response)
    version = answer["model_version"]
    assert response_headers(response)["x-model-version"] == version
    assert answer["request_id"] == "trace-me-1"

    mv = ws.client.get_model_version(ws.name, version)  # response -> MLflow version
    run = ws.client.get_run(mv.run_id)  # -> source run
    train_result = trained
    assert mv.run_id == train_result.run_id
    assert run.data.tags["data_sha256"] == train_result.data_sha256 == dataset.sha256
    assert run.data.tags["git_commit"] == train_result.commit == git(ws.root, "rev-parse", "HEAD")

    model = mlflow.sklearn.load_model(f"models:/{ws.name}/{version}")
    expected = positive_probability(model, row[np.newaxis, :], dataset.features)[0]
    assert answer["probability_positive_class"] == pytest.approx(expected, abs=1e-9)
    logged = [line for line in logs.requests() if line.get("request_id") == "trace-me-1"]
    assert len(logged) == 1 and logged[0]["model_version"] == version


def test_a_signed_promotion_is_served_traced_by_hash_and_in_the_ledger(
        ws: Workspace, s3: Any, tmp_path: Path) -> None:
    """The release's statement is signed into the bundle before upload; the Lambda verifies
    it at init and logs its digest; trace checks every link by hash; the alias move is the
    ledger's entry with that digest."""
    from modelgate.bot.release import statement as st
    from modelgate.bot.release.ledger import Ledger, mlflow_target
    from modelgate.bot.release.signing import KeySigner
    from modelgate.bot.release.trace import trace
    from modelgate.bot.release.verify import trusted_keys, verify
    from tests.release_support import facts, public_pem, release_key

    result = fresh(ws, tmp_path)
    gov = ws.config.governance
    signed = facts(model_version=result.version, run_id=result.run_id,
                   data_sha256=result.data_sha256, merge_commit=result.commit)
    ledger = Ledger(s3, gov.deploy.bucket, gov.deploy.prefix, ws.name)
    record = promote(ws.client, ws.config, version=result.version, alias="production",
                     s3_client=s3, out_dir=tmp_path / "p", clock=ticking(),
                     attest=lambda d: st.attest(d, signed, KeySigner(release_key())),
                     ledger=ledger, actor={"aws_arn": "arn:test", "github_actor": None,
                                           "github_run_id": None})
    head = ledger.head(mlflow_target(gov.aliases.production))
    assert head is not None and head.seq == record.ledger_seq
    assert (head.to, head.statement_sha256) == (result.version, record.statement_sha256)

    logs = LogLines()
    bundles.reset_cache()
    try:
        app = create_app(Settings(bundle_uri=record.bundle_uri, statement_pubkey=public_pem()),
                         log_sink=logs, s3_client_factory=lambda: s3)
        dataset = load_dataset(ws.config)
        body = json.dumps({"features": dict(zip(dataset.features, map(float, dataset.X[0]),
                                                strict=True))})
        event = http_event("apigw-http-v2.post-json.powertools.json", "POST", "/predict",
                           body.encode(), headers={"x-request-id": "signed-1"})
        assert make_handler(app)(event, FakeContext())["statusCode"] == 200
    finally:
        bundles.reset_cache()
    (line,) = [x for x in logs.requests() if x["request_id"] == "signed-1"]
    assert line["statement_sha256"] == record.statement_sha256

    checked = verify(record.bundle_uri, trusted_keys(public_pem()), s3_client=s3)
    traced = trace("signed-1", logs, ws.client, statement=checked.statement)
    assert traced.mismatches == [] and len(traced.verified) == 6
    assert [a["login"] for a in traced.approvals] == ["dana-steward", "mo-reviewer",
                                                      "cleo-clinician"]


# --- end to end with the real audits ------------------------------------------------------


@pytest.mark.slow
def test_the_real_check_passes_and_its_version_is_promoted(s3: Any, tmp_path: Path) -> None:
    """`modelgate check` (train + all nine audits, recorded on the version) on a clean,
    REUSE-compliant workspace passes, and promotion accepts that record as it stands."""
    own = open_workspace(governed_workspace(tmp_path / "ws"))
    result = run_check(own.config, tmp_path / "check", reporter=ConsoleReporter(io.StringIO()),
                       clock=ticking())
    report = result.report
    assert {a.id: a.status for a in report.audits} == dict.fromkeys(EXPECTED_AUDITS, "pass")
    assert report.passed and report.commit == git(own.root, "rev-parse", "HEAD")

    # its own key prefix: the shared moto bucket already holds this model's v1 bundles
    gov = own.config.governance
    config = own.config.model_copy(update={"governance": gov.model_copy(update={
        "deploy": gov.deploy.model_copy(update={"prefix": "end-to-end"})})})
    record = promote(own.client, config, version=str(report.model_version), alias="staging",
                     s3_client=s3, out_dir=tmp_path / "out", clock=ticking())
    assert own.aliases() == {"staging": report.model_version}
    assert (record.version, record.run_id, record.commit, record.data_sha256) == (
        report.model_version, report.run_id, report.commit, report.data_sha256)
    assert record.audit_report_sha256 == hashlib.sha256(
        (tmp_path / "check" / "audit_report.json").read_bytes()).hexdigest()
    assert verify_bundle_dir(Path(record.bundle_dir)).manifest_sha256 == record.bundle_sha256

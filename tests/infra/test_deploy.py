# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Deploy and rollback against moto's Lambda, S3 and IAM, with a real model bundle signed by
a locally generated key (its release statement is verified before anything is created)."""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from modelgate.infra.bundle import upload_bundle
from modelgate.infra.deploy import (
    ALIAS_UNCHANGED,
    DESCRIPTION_LIMIT,
    HANDLER,
    DeployError,
    DeployRecord,
    decode_history,
    deploy,
    encode_history,
    parse_version_description,
    rollback,
    wait_until_ready,
)
from modelgate.infra.package import PackageError
from modelgate.serving.settings import ENV_BUNDLE_SHA256, ENV_BUNDLE_URI, ENV_STATEMENT_PUBKEY
from tests.infra_support import (
    FIXED_NOW,
    TRUST_POLICY,
    FittedBundle,
    fit_and_export,
    make_zip,
)
from tests.release_support import (
    copy_bundle,
    facts,
    flip_byte,
    new_key,
    public_pem,
    sign_bundle,
    tamper_payload,
)

REGION = "us-east-1"
BUCKET = "modelgate-test-bundles"
FUNCTION = "modelgate-test-serving"
RUNTIME = "python3.12"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> FittedBundle:
    fitted = fit_and_export(tmp_path_factory.mktemp("bundle") / "bundle")
    sign_bundle(fitted.directory)
    return fitted


@dataclass
class Aws:
    s3: Any
    lam: Any
    role_arn: str
    bundle_uri: str


@pytest.fixture
def aws(bundle: FittedBundle, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="modelgate-serving", AssumeRolePolicyDocument=TRUST_POLICY)
        uri = upload_bundle(s3, bundle.directory, BUCKET, "bundles/model-1")
        yield Aws(s3=s3, lam=boto3.client("lambda", region_name=REGION),
                  role_arn=role["Role"]["Arn"], bundle_uri=uri)



def ticking_clock() -> Callable[[], datetime]:
    ticks = itertools.count()
    return lambda: FIXED_NOW + timedelta(seconds=next(ticks))


def run_deploy(aws: Aws, zip_path: Path, *, lam: Any = None, bundle_uri: str | None = None,
               clock: Callable[[], datetime] | None = None, pem: str | None = None,
               check: Any = None) -> DeployRecord:
    return deploy(lam or aws.lam, aws.s3, zip_path=zip_path, bucket=BUCKET,
                  key_prefix="releases", function_name=FUNCTION, role_arn=aws.role_arn,
                  bundle_uri=bundle_uri or aws.bundle_uri, runtime=RUNTIME, arch="x86_64",
                  clock=clock or ticking_clock(), sleep=lambda _: None,
                  trusted_keys_pem=public_pem() if pem is None else pem, statement_check=check)


def alias_version(aws: Aws) -> str:
    return str(aws.lam.get_alias(FunctionName=FUNCTION, Name="live")["FunctionVersion"])


class FailingClient:
    """Wraps a boto3 client; one method raises the way AWS would."""

    def __init__(self, inner: Any, method: str) -> None:
        self.inner = inner
        self.method = method

    def __getattr__(self, name: str) -> Any:
        if name != self.method:
            return getattr(self.inner, name)

        def fail(**_: Any) -> Any:
            raise ClientError({"Error": {"Code": "ServiceException", "Message": "injected"}},
                              name)
        return fail


def test_deploy_creates_a_missing_function_and_points_the_alias_at_a_version(
        aws: Aws, bundle: FittedBundle, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """It creates the function, publishes version 1, creates `live` on it and logs every step."""
    caplog.set_level(logging.INFO, logger="modelgate.infra.deploy")
    record = run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"))

    assert record.created_function and record.status == "live"
    assert (record.version, record.previous_version) == ("1", None)
    assert alias_version(aws) == "1"
    config = aws.lam.get_function_configuration(FunctionName=FUNCTION, Qualifier="1")
    assert (config["Handler"], config["Runtime"], config["Architectures"]) == (
        HANDLER, RUNTIME, ["x86_64"])
    env = config["Environment"]["Variables"]
    assert env[ENV_BUNDLE_URI] == aws.bundle_uri
    assert env[ENV_BUNDLE_SHA256] == record.bundle_sha256
    assert record.bundle_sha256 == hashlib.sha256(
        (bundle.directory / "manifest.json").read_bytes()).hexdigest()
    described = parse_version_description(config["Description"])
    assert described == {"deploy_id": record.deploy_id, "model_name": bundle.manifest.model_name,
                         "model_version": "1", "bundle_sha256": record.bundle_sha256,
                         "commit": bundle.manifest.commit}
    stored = aws.s3.get_object(Bucket=BUCKET, Key=record.record_uri.split(f"{BUCKET}/", 1)[1])
    assert DeployRecord.from_json(stored["Body"].read().decode()) == record
    logged = caplog.text
    for step in ("read alias", "verify bundle", "upload zip", "create or update function",
                 "publish version", "write deploy record", "move alias"):
        assert step in logged


def test_second_deploy_then_rollback_returns_the_alias_to_the_first_version(
        aws: Aws, tmp_path: Path) -> None:
    """It moves `live` to each new version and rollback moves it back, one deploy at a time."""
    clock = ticking_clock()
    first = run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), clock=clock)
    aws.lam.update_function_configuration(
        FunctionName=FUNCTION, Environment={"Variables": {
            ENV_BUNDLE_URI: aws.bundle_uri, "LOG_LEVEL": "debug"}})
    second = run_deploy(aws, make_zip(tmp_path / "b.zip", marker="b"), clock=clock)
    assert (second.version, second.previous_version) == ("2", "1")
    assert not second.created_function
    assert alias_version(aws) == "2"
    env = aws.lam.get_function_configuration(FunctionName=FUNCTION,
                                             Qualifier="2")["Environment"]["Variables"]
    assert env["LOG_LEVEL"] == "debug", "variables set outside modelgate are kept"

    back = rollback(aws.lam, function_name=FUNCTION, clock=clock)

    assert alias_version(aws) == "1"
    assert (back.kind, back.version, back.previous_version) == ("rollback", "1", "2")
    assert back.source_deploy_id == first.deploy_id
    assert back.bundle_uri == aws.bundle_uri
    with pytest.raises(DeployError, match="records no previous version"):
        rollback(aws.lam, function_name=FUNCTION, clock=clock)
    assert alias_version(aws) == "1"


def test_three_deploys_roll_back_twice_through_the_history(aws: Aws, tmp_path: Path) -> None:
    """Each rollback pops one version, so two rollbacks after three deploys reach version 1."""
    clock = ticking_clock()
    for marker in "abc":
        run_deploy(aws, make_zip(tmp_path / f"{marker}.zip", marker=marker), clock=clock)
    assert alias_version(aws) == "3"
    assert rollback(aws.lam, function_name=FUNCTION, clock=clock).version == "2"
    assert rollback(aws.lam, function_name=FUNCTION, clock=clock).version == "1"
    assert alias_version(aws) == "1"


@pytest.mark.parametrize("method", ["update_function_code", "publish_version", "update_alias"])
def test_a_failed_step_leaves_the_alias_where_it_was(aws: Aws, tmp_path: Path,
                                                     method: str) -> None:
    """It stops at the failing call, says which step failed, and `live` stays on version 1."""
    clock = ticking_clock()
    run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), clock=clock)
    broken = FailingClient(aws.lam, method)

    with pytest.raises(DeployError) as failure:
        run_deploy(aws, make_zip(tmp_path / "b.zip", marker="b"), lam=broken, clock=clock)

    assert "injected" in str(failure.value)
    assert ALIAS_UNCHANGED.format(alias="live", version="1") in str(failure.value)
    assert alias_version(aws) == "1"
    # and the history still allows nothing older than version 1
    description = aws.lam.get_alias(FunctionName=FUNCTION, Name="live")["Description"]
    assert decode_history(description) == []


def test_a_zip_built_for_another_interpreter_is_refused_before_aws_is_touched(
        aws: Aws, tmp_path: Path) -> None:
    """It reads the zip's wheel tags and refuses cp311 wheels for python3.12."""
    wrong = make_zip(tmp_path / "cp311.zip", marker="x",
                     tags=("cp311-cp311-manylinux_2_17_x86_64",))
    with pytest.raises(PackageError, match="cp311-cp311-manylinux_2_17_x86_64"):
        run_deploy(aws, wrong)
    assert aws.lam.list_functions()["Functions"] == []


def test_a_tampered_bundle_is_refused_and_nothing_is_created(aws: Aws, tmp_path: Path) -> None:
    """It runs the function's own bundle check first: a model whose hash differs stops it."""
    aws.s3.put_object(Bucket=BUCKET, Key="bundles/model-1/model.onnx", Body=b"not the model")
    with pytest.raises(DeployError, match="verify bundle"):
        run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"))
    assert aws.lam.list_functions()["Functions"] == []


def _upload_tampered(aws: Aws, bundle: FittedBundle, tmp_path: Path, tamper: Any) -> str:
    """Upload the good bundle, then put each file the tamper changed over its object."""
    changed = copy_bundle(bundle.directory, tmp_path / "tampered")
    uri = upload_bundle(aws.s3, changed, BUCKET, "bundles/tampered")
    before = {p.name: p.read_bytes() for p in changed.iterdir()}
    tamper(changed)
    for name, data in before.items():
        path = changed / name
        if not path.exists():
            aws.s3.delete_object(Bucket=BUCKET, Key=f"bundles/tampered/{name}")
        elif path.read_bytes() != data:
            aws.s3.put_object(Bucket=BUCKET, Key=f"bundles/tampered/{name}",
                              Body=path.read_bytes())
    return uri


def _manifest_date(bundle_dir: Path) -> None:
    """A consistent edit an attacker could make: the manifest still parses and lists the
    right file digests, so only the statement's subject catches it."""
    path = bundle_dir / "manifest.json"
    doc = json.loads(path.read_text())
    doc["created_at"] = "2020-01-01T00:00:00Z"
    path.write_text(json.dumps(doc))


def _approval(doc: dict[str, Any]) -> None:
    doc["predicate"]["approvals"][0]["login"] = "mallory"


def _governance(doc: dict[str, Any]) -> None:
    doc["predicate"]["governance"]["sha256"] = "9" * 64


@pytest.mark.parametrize(("tamper", "needle"), [
    (lambda b: flip_byte(b / "model.onnx", 40), "model.onnx sha256"),
    (_manifest_date, "manifest.json sha256"),
    (lambda b: tamper_payload(b, _approval), "predicate.approvals[0].login"),
    (lambda b: tamper_payload(b, _governance), "predicate.governance.sha256"),
    (lambda b: (b / "release.sigstore.json").unlink(), "no signed release statement")])
def test_deploy_refuses_a_bundle_whose_statement_does_not_hold(
        aws: Aws, bundle: FittedBundle, tmp_path: Path, tamper: Any, needle: str) -> None:
    """A flipped byte, an edited approval or governance digest, or no statement: refused,
    naming what differs, before anything in Lambda exists."""
    uri = _upload_tampered(aws, bundle, tmp_path, tamper)
    with pytest.raises(DeployError, match="verify bundle") as err:
        run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), bundle_uri=uri)
    assert needle in str(err.value)
    assert aws.lam.list_functions()["Functions"] == []


def test_deploy_refuses_without_a_trusted_key_or_with_another(aws: Aws, tmp_path: Path) -> None:
    with pytest.raises(DeployError, match="no trusted key"):
        run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), pem="")
    with pytest.raises(DeployError, match="not a trusted key"):
        run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), pem=public_pem(new_key()))


def test_deploy_refuses_approvals_that_fail_governance(aws: Aws, bundle: FittedBundle,
                                                       tmp_path: Path) -> None:
    """A validly signed statement still needs the default branch's approvals."""
    from modelgate.bot.release.verify import governance_reasons
    from modelgate.governance import load_config
    from tests.conftest import fixture_config

    gov = load_config(fixture_config()).governance
    uri = _upload_tampered(aws, bundle, tmp_path,
                           lambda b: sign_bundle(b, approvals=facts().approvals[:2]))
    with pytest.raises(DeployError, match="role clinical-safety needs 1 distinct"):
        run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), bundle_uri=uri,
                   check=lambda v: governance_reasons(v.predicate, gov))


def test_deploy_gives_the_function_the_trusted_key(aws: Aws, tmp_path: Path) -> None:
    record = run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"))
    conf = aws.lam.get_function_configuration(FunctionName=FUNCTION, Qualifier=record.version)
    assert conf["Environment"]["Variables"][ENV_STATEMENT_PUBKEY] == public_pem().strip()
    assert len(record.statement_sha256) == 64 and record.statement_keyid


def test_a_local_bundle_path_is_refused(aws: Aws, tmp_path: Path) -> None:
    """It refuses a bundle URI the Lambda could not read."""
    with pytest.raises(DeployError, match="s3://<bucket>/<prefix>"):
        run_deploy(aws, make_zip(tmp_path / "a.zip", marker="a"), bundle_uri=str(tmp_path))


def test_rollback_without_an_alias_says_so(aws: Aws) -> None:
    """It refuses to roll back a function that has no `live` alias."""
    with pytest.raises(DeployError, match="no alias 'live'"):
        rollback(aws.lam, function_name=FUNCTION)


# --- pieces without AWS ---------------------------------------------------------------


class ScriptedLambda:
    """Answers get_function_configuration from a script of states."""

    def __init__(self, states: list[dict[str, str]]) -> None:
        self.states = iter(states)
        self.calls = 0

    def get_function_configuration(self, **_: Any) -> dict[str, str]:
        self.calls += 1
        return next(self.states)


def test_wait_polls_until_the_update_has_finished() -> None:
    """It sleeps between polls while Lambda reports Pending/InProgress."""
    sleeps: list[float] = []
    client = ScriptedLambda([{"State": "Pending"},
                             {"State": "Active", "LastUpdateStatus": "InProgress"},
                             {"State": "Active", "LastUpdateStatus": "Successful"}])
    wait_until_ready(client, FUNCTION, interval_s=0.5, sleep=sleeps.append)  # type: ignore[arg-type]
    assert client.calls == 3 and sleeps == [0.5, 0.5]


def test_wait_reports_a_failed_update_with_its_reason() -> None:
    """It stops with Lambda's own reason when the update failed."""
    client = ScriptedLambda([{"State": "Active", "LastUpdateStatus": "Failed",
                              "LastUpdateStatusReason": "role cannot be assumed"}])
    with pytest.raises(DeployError, match="role cannot be assumed"):
        wait_until_ready(client, FUNCTION, sleep=lambda _: None)  # type: ignore[arg-type]


def test_wait_gives_up_after_its_timeout() -> None:
    """It raises after timeout/interval polls instead of waiting forever."""
    client = ScriptedLambda([{"State": "Pending"}] * 10)
    with pytest.raises(DeployError, match="not ready after 3 s"):
        wait_until_ready(client, FUNCTION, timeout_s=3, interval_s=1,  # type: ignore[arg-type]
                         sleep=lambda _: None)
    assert client.calls == 3


def test_alias_history_fits_lambdas_description_limit() -> None:
    """It drops the oldest versions rather than exceed 256 characters."""
    text = encode_history("x" * 150, [str(v) for v in range(1000, 1040)])
    assert len(text) <= DESCRIPTION_LIMIT
    kept = decode_history(text)
    assert kept is not None and kept[0] == "1000" and len(kept) < 40


def test_a_foreign_alias_description_holds_no_history() -> None:
    """It does not mistake an alias description written by someone else for a history."""
    assert decode_history("created by CloudFormation") is None
    assert decode_history(json.dumps({"schema_version": 1, "previous": [1, 2]})) is None


def test_deploy_record_round_trips_and_refuses_another_schema() -> None:
    """It reads back what it wrote and refuses a record of an unknown schema version."""
    record = DeployRecord(kind="deploy", deploy_id="d", function_name=FUNCTION, alias="live",
                          version="3", previous_version="2", started_at=FIXED_NOW.isoformat(),
                          steps=["a", "b"])
    assert DeployRecord.from_json(record.to_json()) == record
    data = json.loads(record.to_json())
    data["schema_version"] = 2
    with pytest.raises(ValueError, match="schema_version 2"):
        DeployRecord.from_json(json.dumps(data))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate promote|serve|package|deploy|rollback``: each parses, runs against moto and
a local MLflow store, prints its result, and answers a refused step with one message and
exit status 1, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from moto import mock_aws

from modelgate.bot.cli import deploy as cli_release
from modelgate.bot.cli.main import main
from modelgate.bot.release import promote
from modelgate.bot.release.verify import ENV_PUBKEY
from modelgate.errors import ExitCode
from modelgate.serving.attestation import SIGNATURE_FILE, STATEMENT_FILE
from modelgate.serving.settings import ENV_BUNDLE_SHA256, ENV_BUNDLE_URI
from modelgate.training.train import TrainResult
from tests.conftest import REPO, make_workspace
from tests.infra_support import TRUST_POLICY, make_zip
from tests.promote_support import REGION, Workspace, aws_env, open_workspace, record_audit
from tests.release_support import public_pem, sign_bundle


@dataclass
class Setup:
    ws: Workspace
    trained: TrainResult
    s3: Any
    lam: Any
    role_arn: str

    @property
    def config(self) -> str:
        return str(self.ws.root / "governance.yml")


@pytest.fixture(autouse=True)
def _plain_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """Console output, not GitHub annotations; the workspace's own store, not the caller's."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    ws = open_workspace(make_workspace(tmp_path_factory.mktemp("cli") / "ws"))
    trained = ws.train()
    record_audit(ws.client, trained, tmp_path_factory.mktemp("audit"))
    with aws_env(), mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=ws.config.governance.deploy.bucket)
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="modelgate-serving", AssumeRolePolicyDocument=TRUST_POLICY)
        yield Setup(ws=ws, trained=trained, s3=s3, lam=boto3.client("lambda", region_name=REGION),
                    role_arn=role["Role"]["Arn"])


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture(scope="module")
def promoted(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The trained version promoted to staging, then production, through the CLI; the
    production bundle then carries its signed release statement in S3, as
    ``modelgate release`` leaves it (signed with the tests' local P-256 key)."""
    outs = {}
    for alias in ("staging", "production"):
        out = tmp_path_factory.mktemp(alias)
        assert main(["--config", setup.config, "promote", "--version", setup.trained.version,
                     "--alias", alias, "--out", str(out)]) == ExitCode.OK
        outs[alias] = out
    _sign_promoted(setup, outs["production"])
    return outs


def _sign_promoted(setup: Setup, out: Path) -> None:
    """Sign the promoted bundle's local copy and put the statement beside it in S3."""
    production = json.loads((out / "promotion.json").read_text())
    bundle_dir = out / promote.BUNDLE_DIR
    sign_bundle(bundle_dir, model_version=setup.trained.version,
                run_id=setup.trained.run_id,
                model_name=setup.ws.config.governance.model.name)
    bucket, _, prefix = production["bundle_uri"].removeprefix("s3://").partition("/")
    for name in (STATEMENT_FILE, SIGNATURE_FILE):
        setup.s3.put_object(Bucket=bucket, Key=f"{prefix.rstrip('/')}/{name}",
                            Body=(bundle_dir / name).read_bytes())


@pytest.fixture
def trusted_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deploy trusts the key that signed the statement (the variable the workflow sets)."""
    monkeypatch.setenv(ENV_PUBKEY, public_pem())



def live_version(setup: Setup) -> str:
    function = setup.ws.config.governance.deploy.function_name
    return str(setup.lam.get_alias(FunctionName=function, Name="live")["FunctionVersion"])


# --- the parser ---------------------------------------------------------------------------


def test_the_release_commands_are_registered_with_their_options() -> None:
    """`modelgate --help` lists every release command, and the stages agree with promotion's."""
    from modelgate.bot.cli.main import build_parser

    parser = build_parser()
    args = parser.parse_args(["promote", "--version", "007", "--alias", "production"])
    assert (args.version, args.alias, args.require_staging) == ("7", "production", False)
    args = parser.parse_args(["serve", "--bundle", "b", "--port", "8123"])
    assert (args.bundle, args.host, args.port) == ("b", "127.0.0.1", 8123)
    args = parser.parse_args(["package"])
    assert (args.out, args.runtime, args.arch) == (Path("dist/lambda.zip"), "python3.12", "x86_64")
    args = parser.parse_args(["deploy", "--zip", "z.zip"])
    assert (args.bundle_uri, args.model_alias, args.role_arn) == (None, "production", None)
    assert parser.parse_args(["rollback"]).handler is cli_release.cmd_rollback
    assert cli_release.STAGES == promote.STAGES


@pytest.mark.parametrize("argv", [
    ["promote", "--version", "seven", "--alias", "staging"],
    ["promote", "--version", "1", "--alias", "canary"],
    ["serve", "--bundle", "b", "--port", "70000"],
])
def test_bad_arguments_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    """A version that is not a number, an alias that is not a stage or a port out of range
    stop at parsing (exit 2) with argparse's message."""
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2
    assert "error:" in capsys.readouterr().err


# --- promote ------------------------------------------------------------------------------


def test_promote_prints_the_bundle_and_sets_the_alias(
        setup: Setup, promoted: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    """`modelgate promote` moved both aliases and wrote promotion.json beside the bundle."""
    version = setup.trained.version
    assert setup.ws.aliases() == {"staging": version, "production": version}
    record = json.loads((promoted["production"] / "promotion.json").read_text())
    assert (record["version"], record["alias"], record["run_id"]) == (
        version, "production", setup.trained.run_id)
    assert (promoted["production"] / "bundle" / "manifest.json").is_file()

    code, out, _ = run(capsys, "--config", setup.config, "promote", "--version", version,
                       "--alias", "production", "--out", str(promoted["production"] / "again"))
    assert code == ExitCode.OK
    assert out.startswith(f"promoted {setup.ws.name} version {version} to alias 'production' "
                          f"(was version {version})")
    assert f"bundle    {record['bundle_uri']}" in out
    assert "(already in S3, verified and reused)" in out
    assert "parity    max |diff|" in out and "<= 1e-06 on 114 rows (float64 input)" in out


def test_promote_refusal_is_one_message_and_exit_1(
        setup: Setup, promoted: dict[str, Path], capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """A version that does not exist is refused with the reason; the aliases stay."""
    before = setup.ws.aliases()
    code, out, err = run(capsys, "--config", setup.config, "promote", "--version", "42",
                         "--alias", "staging", "--out", str(tmp_path))
    assert code == ExitCode.FAILED and out == ""
    assert "error: modelgate promote: promotion of" in err
    assert promote.R_NO_VERSION.format(name=setup.ws.name, version="42") in err
    assert setup.ws.aliases() == before


# --- serve --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_health_from_a_subprocess(setup: Setup, promoted: dict[str, Path]) -> None:
    """`modelgate serve --bundle DIR` starts uvicorn on 127.0.0.1; /health is ready and
    /model-info names the promoted version and its source run."""
    port = free_port()
    bundle = promoted["staging"] / "bundle"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MODELGATE_", "AWS_"))}
    proc = subprocess.Popen(
        [sys.executable, "-m", "modelgate.bot.cli", "serve", "--bundle", str(bundle),
         "--port", str(port)],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert health is not None, proc.communicate(timeout=5)
        assert health.status_code == 200
        assert health.json()["status"] == "ready"
        assert health.json()["model_version"] == setup.trained.version
        info = httpx.get(f"http://127.0.0.1:{port}/model-info", timeout=2).json()
        assert (info["source_run_id"], info["alias"]) == (setup.trained.run_id, "staging")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_serve_refuses_a_bundle_that_does_not_verify(
        promoted: dict[str, Path], capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A tampered bundle or a missing directory stops `modelgate serve` before it listens."""
    tampered = tmp_path / "bundle"
    shutil.copytree(promoted["staging"] / "bundle", tampered)
    model = tampered / "model.onnx"
    data = bytearray(model.read_bytes())
    data[-1] ^= 0xFF
    model.write_bytes(bytes(data))
    code, _, err = run(capsys, "serve", "--bundle", str(tampered))
    assert code == ExitCode.FAILED
    assert f"bundle {tampered} cannot be served: model.onnx sha256" in err

    code, _, err = run(capsys, "serve", "--bundle", str(tmp_path / "nowhere"))
    assert code == ExitCode.FAILED and "does not exist" in err


# --- package ------------------------------------------------------------------------------


def test_package_refuses_python311_with_the_reason(capsys: pytest.CaptureFixture[str],
                                                   tmp_path: Path) -> None:
    """python3.11 (Amazon Linux 2) cannot load the locked onnxruntime: one message, exit 1."""
    code, out, err = run(capsys, "package", "--project-root", str(tmp_path),
                         "--runtime", "python3.11", "--out", str(tmp_path / "x.zip"))
    assert code == ExitCode.FAILED and out == ""
    assert "onnxruntime" in err and "glibc 2.28" in err
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.slow
def test_package_builds_the_zip_and_prints_its_size(capsys: pytest.CaptureFixture[str],
                                                    tmp_path: Path) -> None:
    """`modelgate package` builds the python3.12 zip from modelgate's lock and prints the
    report, in a project that has neither serving's code nor modelgate's lock."""
    out_zip = tmp_path / "dist" / "lambda.zip"
    code, out, _ = run(capsys, "package", "--project-root", str(tmp_path),
                       "--out", "dist/lambda.zip")
    assert code == ExitCode.OK
    size_mib = out_zip.stat().st_size / (1024 * 1024)
    assert f"zip       {out_zip}" in out
    assert f"zipped    {size_mib:8.1f} MiB  (limit 50 MiB)" in out
    assert "deployable on python3.12 x86_64" in out


# --- deploy and rollback ------------------------------------------------------------------


@pytest.mark.usefixtures("trusted_key")
def test_deploy_ships_the_production_bundle_and_rollback_moves_the_alias_back(
        setup: Setup, promoted: dict[str, Path], capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """Deploy without --bundle-uri serves the bundle promoted to production, pinned to its
    recorded sha256; a second deploy reuses the function's role; rollback goes back."""
    production = json.loads((promoted["production"] / "promotion.json").read_text())
    record_path = tmp_path / "deploy-1.json"
    code, out, err = run(capsys, "--config", setup.config, "deploy",
                         "--zip", str(make_zip(tmp_path / "a.zip", marker="a")),
                         "--role-arn", setup.role_arn, "--record", str(record_path))
    assert code == ExitCode.OK, err
    first = json.loads(out)
    assert json.loads(record_path.read_text()) == first
    assert (first["kind"], first["status"], first["version"]) == ("deploy", "live", "1")
    assert (first["bundle_uri"], first["bundle_sha256"]) == (
        production["bundle_uri"], production["bundle_sha256"])
    assert (first["model_version"], first["run_id"]) == (
        setup.trained.version, setup.trained.run_id)
    assert live_version(setup) == "1"
    function = setup.ws.config.governance.deploy.function_name
    env = setup.lam.get_function_configuration(FunctionName=function,
                                               Qualifier="1")["Environment"]["Variables"]
    assert (env[ENV_BUNDLE_URI], env[ENV_BUNDLE_SHA256]) == (
        production["bundle_uri"], production["bundle_sha256"])

    code, out, _ = run(capsys, "--config", setup.config, "deploy",
                       "--zip", str(make_zip(tmp_path / "b.zip", marker="b")))
    assert code == ExitCode.OK
    second = json.loads(out)
    assert (second["version"], second["previous_version"]) == ("2", "1")
    assert live_version(setup) == "2"

    code, out, _ = run(capsys, "--config", setup.config, "rollback",
                       "--record", str(tmp_path / "rollback.json"))
    assert code == ExitCode.OK
    back = json.loads(out)
    assert (back["kind"], back["version"], back["previous_version"]) == ("rollback", "1", "2")
    assert json.loads((tmp_path / "rollback.json").read_text()) == back
    assert live_version(setup) == "1"


@pytest.mark.usefixtures("trusted_key")
def test_a_failed_deploy_is_one_message_and_leaves_the_alias(
        setup: Setup, promoted: dict[str, Path], capsys: pytest.CaptureFixture[str],
        tmp_path: Path) -> None:
    """A bundle URI with no bundle behind it stops the deploy before Lambda changes."""
    ok = make_zip(tmp_path / "ok.zip", marker="ok")
    code, _, _ = run(capsys, "--config", setup.config, "deploy", "--zip", str(ok),
                     "--role-arn", setup.role_arn)
    assert code == ExitCode.OK
    before = live_version(setup)
    bucket = setup.ws.config.governance.deploy.bucket
    code, out, err = run(capsys, "--config", setup.config, "deploy", "--zip", str(ok),
                         "--bundle-uri", f"s3://{bucket}/no/such/bundle")
    assert code == ExitCode.FAILED and out == ""
    assert "step 'verify bundle' failed" in err and "no bundle found" in err
    assert f"Alias 'live' is unchanged (still {before})" in err
    assert live_version(setup) == before


def test_deploy_and_rollback_refuse_without_what_they_need(
        setup: Setup, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """No production alias, no function to take a role from, or no function to roll back:
    each is one message naming what to do, exit 1."""
    empty = make_workspace(tmp_path / "empty")
    zip_path = str(make_zip(tmp_path / "z.zip", marker="z"))
    code, _, err = run(capsys, "--config", str(empty / "governance.yml"), "deploy",
                       "--zip", zip_path)
    assert code == ExitCode.FAILED
    assert "alias 'production' of breast-cancer-classifier points at no version" in err

    bucket = setup.ws.config.governance.deploy.bucket
    other = tmp_path / "other.yml"
    other.write_text((empty / "governance.yml").read_text().replace(
        "function_name: modelgate-breast-cancer", "function_name: modelgate-not-yet"))
    shutil.copytree(empty / "data", tmp_path / "data", dirs_exist_ok=True)
    code, _, err = run(capsys, "--config", str(other), "deploy", "--zip", zip_path,
                       "--bundle-uri", f"s3://{bucket}/some/bundle")
    assert code == ExitCode.FAILED
    assert cli_release.MSG_NO_ROLE.format(function="modelgate-not-yet") in err

    code, _, err = run(capsys, "--config", str(other), "rollback")
    assert code == ExitCode.FAILED
    assert "function modelgate-not-yet has no alias 'live': nothing to roll back" in err

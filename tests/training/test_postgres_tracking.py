# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Past one machine: an MLflow tracking server on a real PostgreSQL with its artifacts in
S3 (moto's server), and the governed run, the audits, the release (retrain, same
fingerprint, signed statement, ONNX bundle in S3) and the trace of a served prediction pass
against it exactly as against the embedded SQLite store. Only the URI changes."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from modelgate.bot.check.audits import bias, leakage, lineage, performance_gate
from modelgate.bot.check.pipeline import run_check
from modelgate.governance import load_config
from modelgate.progress import ConsoleReporter
from modelgate.training.train import train
from tests.conftest import git, make_workspace

REPO = Path(__file__).resolve().parents[2]
POSTGRES_SH = REPO / "scripts" / "postgres.sh"
NO_POSTGRES = 3  # scripts/postgres.sh: PostgreSQL cannot be installed here
BUCKET = "modelgate-artifacts"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real PostgreSQL cluster for this module; its DSN."""
    home = tmp_path_factory.mktemp("postgres")
    done = subprocess.run(["bash", str(POSTGRES_SH), "start", str(home)], capture_output=True,
                          text=True, timeout=600, check=False)
    if done.returncode == NO_POSTGRES:
        pytest.skip(f"PostgreSQL cannot be installed here: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    try:
        yield done.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(POSTGRES_SH), "stop", str(home)], capture_output=True,
                       timeout=120, check=False)


@pytest.fixture(scope="module")
def s3() -> Iterator[str]:
    """moto's S3 server on a free port, with the artifact bucket; its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint, **_creds()).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


def _creds() -> dict[str, str]:
    return {"aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
            "region_name": AWS_ENV["AWS_DEFAULT_REGION"]}


@pytest.fixture(scope="module")
def tracking_server(postgres: str, s3: str,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mlflow server`` on PostgreSQL, proxying artifacts to S3; its URI."""
    port = _free_port()
    cwd = tmp_path_factory.mktemp("server")
    env = {**os.environ, **AWS_ENV, "MLFLOW_S3_ENDPOINT_URL": s3,
           "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = (cwd / "server.log").open("w")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1",
         "--port", str(port), "--backend-store-uri", postgres,
         "--artifacts-destination", f"s3://{BUCKET}/mlflow", "--workers", "1"],
        stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    try:
        deadline = time.monotonic() + 180  # a new PostgreSQL store runs every migration
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("mlflow server did not start:\n"
                            + (cwd / "server.log").read_text()[-3000:])
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def _keys(endpoint: str) -> set[str]:
    client = boto3.client("s3", endpoint_url=endpoint, **_creds())
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def test_the_governed_run_and_audits_pass_on_postgres_with_s3_artifacts(
        tracking_server: str, s3: str, tmp_path: Path) -> None:
    """Train and check against the server: the run, its version and the audits that read
    the store behave as on SQLite; the artifacts are objects in S3; the PostgreSQL store
    holds the run (no local store was written)."""
    root = make_workspace(tmp_path / "ws")
    config = load_config(root / "governance.yml")
    quiet = ConsoleReporter(io.StringIO())
    result = train(config, tracking_uri=tracking_server, reporter=quiet)
    assert result.tracking_uri == tracking_server
    check = run_check(config, tmp_path / "out", tracking_uri=tracking_server, reporter=quiet,
                      audits=(leakage, bias, performance_gate, lineage))
    assert check.report.passed, [(e.id, e.summary) for e in check.report.audits]
    assert check.train is not None and check.train.version == str(int(result.version) + 1)

    from mlflow import MlflowClient

    client: Any = MlflowClient(tracking_uri=tracking_server, registry_uri=tracking_server)
    version = client.get_model_version(result.model_name, check.train.version)
    assert version.tags["modelgate.audit.passed"] == "true"
    keys = _keys(s3)
    run_id = check.train.run_id
    assert any(k.endswith(f"{run_id}/artifacts/run_manifest.json") for k in keys), sorted(keys)
    assert any(k.endswith(f"{run_id}/artifacts/audit/audit_report.json") for k in keys)
    assert not (root / ".modelgate" / "mlflow.db").exists() or \
        client.search_runs([result.experiment_id])[0].info.run_id in (run_id, result.run_id)


def _local_runs(root: Path) -> int:
    """Runs in the workspace's embedded SQLite store (the template copied in is empty)."""
    import sqlite3

    db = root / ".modelgate" / "mlflow.db"
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])
    finally:
        conn.close()


def test_a_release_and_the_trace_of_its_prediction_pass_on_postgres_with_s3(
        tracking_server: str, s3: str, tmp_path: Path) -> None:
    """The PR's check, the release at the bot's merge commit (retrain against the server,
    the audited fingerprint, a signed statement, the ONNX bundle uploaded to S3, the alias
    moved), a prediction served from that bundle, and its trace: every link read back from
    the PostgreSQL store and the S3 artifacts verifies against the signed statement."""
    import json

    from mlflow import MlflowClient

    from modelgate.bot.approvals.trailers import approval_trailer
    from modelgate.bot.release.promote import promote
    from modelgate.bot.release.release import TAG_MERGE, TAG_PR, release
    from modelgate.bot.release.signing import KeySigner
    from modelgate.bot.release.trace import trace
    from modelgate.bot.release.verify import trusted_keys, verify
    from modelgate.serving import bundle as bundles
    from modelgate.serving.app import create_app
    from modelgate.serving.handler import make_handler
    from modelgate.serving.settings import Settings
    from modelgate.training.data import load_dataset
    from tests.promote_support import governed_workspace, ticking
    from tests.release_support import public_pem, release_key
    from tests.serving_support import FakeContext, LogLines, http_event

    root = governed_workspace(tmp_path / "ws")
    config = load_config(root / "governance.yml")
    gov = config.governance
    quiet = ConsoleReporter(io.StringIO())
    head = git(root, "rev-parse", "HEAD")
    audited = run_check(config, tmp_path / "pr", tracking_uri=tracking_server, reporter=quiet,
                        clock=ticking()).report
    assert audited.passed, [(e.id, e.summary) for e in audited.audits]
    trailers = "\n".join(approval_trailer(role, login, "2026-11-23T10:00:00Z", head)
                         for role, login in (("data-steward", "dana"), ("ml-lead", "lee")))
    git(root, "commit", "-q", "--allow-empty", "-m", f"Retune (#7)\n\n{trailers}")
    merge = git(root, "rev-parse", "HEAD")

    s3_client = boto3.client("s3", endpoint_url=s3, **_creds())
    s3_client.create_bucket(Bucket=gov.deploy.bucket)
    record = release(config, merge_sha=merge, audited_head_sha=head, audited=audited,
                     pr_number=7, out_dir=tmp_path / "release", tracking_uri=tracking_server,
                     require_server=True, reporter=quiet, promote=promote,
                     s3_client=s3_client, clock=ticking(), signer=KeySigner(release_key()),
                     repository="acme/models")
    assert record.model_fingerprint == audited.model_fingerprint
    assert record.version != audited.model_version  # retrained at the merge commit
    assert record.bundle_uri is not None
    assert record.bundle_uri.startswith(f"s3://{gov.deploy.bucket}/")
    client: Any = MlflowClient(tracking_uri=tracking_server, registry_uri=tracking_server)
    tags = client.get_model_version(gov.model.name, record.version).tags
    assert tags[TAG_PR] == "7" and tags[TAG_MERGE] == merge
    aliases = client.get_registered_model(gov.model.name).aliases
    assert str(aliases[gov.aliases.production]) == record.version
    assert _local_runs(root) == 0  # nothing went to the workspace's embedded store

    logs = LogLines()
    bundles.reset_cache()
    try:
        app = create_app(Settings(bundle_uri=record.bundle_uri, statement_pubkey=public_pem()),
                         log_sink=logs, s3_client_factory=lambda: s3_client)
        dataset = load_dataset(config)
        body = json.dumps({"features": dict(zip(dataset.features, map(float, dataset.X[0]),
                                                strict=True))})
        event = http_event("apigw-http-v2.post-json.powertools.json", "POST", "/predict",
                           body.encode(), headers={"x-request-id": "pg-1"})
        assert make_handler(app)(event, FakeContext())["statusCode"] == 200
    finally:
        bundles.reset_cache()

    checked = verify(record.bundle_uri, trusted_keys(public_pem()), s3_client=s3_client)
    assert checked.statement.digest == record.statement_sha256
    traced = trace("pg-1", logs, client, statement=checked.statement)
    assert traced.mismatches == [] and len(traced.verified) == 6, traced.verified
    assert (traced.version, traced.run_id, traced.merge_sha) == (record.version,
                                                                 record.run_id, merge)
    assert traced.pull_request == 7 and traced.audited_head_sha == head
    assert traced.data_manifest["data_sha256"] == traced.data_sha256  # read from S3
    assert traced.audit["passed"] is True and traced.audit["commit"] == merge
    assert [a["login"] for a in traced.approvals] == ["dana", "lee"]

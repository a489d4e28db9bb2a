# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The governed training run logs every control of handbook §3.1, reproducibly, on any
configured data set and tracking store."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from modelgate.bot.cli.main import main
from modelgate.governance import load_config
from modelgate.hashing import sha256_file
from modelgate.progress import ConsoleReporter, GitHubActionsReporter
from modelgate.training import tracking
from modelgate.training.train import train
from tests.conftest import git, make_workspace, mlflow_pointed_at


def _client(uri: str) -> Any:
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def test_run_logs_every_control(trained_workspace: tuple[Path, Any]) -> None:
    """A run carries every tag, param, metric and artifact listed in handbook §3.1 and
    registers a version tagged with its source run and commit."""
    root, result = trained_workspace
    client = _client(result.tracking_uri)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert tags["data_sha256"] == sha256_file(root / "data/breast_cancer.csv")
    assert tags["git_commit"] == git(root, "rev-parse", "HEAD") == result.commit
    assert tags["git_dirty"] == "false"
    assert tags["lock_sha256"] == sha256_file(root / "uv.lock")
    assert tags["governance_sha256"] == sha256_file(root / "governance.yml")
    assert len(tags["model_fingerprint"]) == 64
    params = run.data.params
    assert params["model_type"] == "LogisticRegression"
    assert params["C"] == "1.0" and params["max_iter"] == "1000"
    assert params["test_size"] == "0.2" and params["random_state"] == "42"
    assert set(run.data.metrics) >= {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert run.data.metrics["roc_auc"] > 0.95
    paths = {a.path for a in client.list_artifacts(result.run_id)}
    paths |= {a.path for a in client.list_artifacts(result.run_id, "evaluation")}
    for required in tracking.REQUIRED_ARTIFACTS:
        if not required.startswith("model/"):
            assert required in paths, required
    local = Path(client.download_artifacts(result.run_id, "run_manifest.json"))
    manifest = json.loads(local.read_text())
    assert manifest["run_id"] == result.run_id
    assert manifest["data_sha256"] == tags["data_sha256"]
    assert manifest["dataset_shape"] == [569, 32]
    assert manifest["metrics"] == pytest.approx(run.data.metrics)
    ids = json.loads(Path(client.download_artifacts(result.run_id, "evaluation/test_ids.json"))
                     .read_text())["ids"]
    assert len(ids) == manifest["test_rows"] == 114
    baseline = json.loads(Path(client.download_artifacts(result.run_id, "baseline_stats.json"))
                          .read_text())
    assert set(baseline["features"]) == set(manifest["features"])

    version = client.get_model_version(result.model_name, result.version)
    assert version.run_id == result.run_id
    assert version.tags["source_run_id"] == result.run_id
    assert version.tags["git_commit"] == result.commit
    import mlflow

    with mlflow_pointed_at(result.tracking_uri):
        info = mlflow.models.get_model_info(f"models:/{result.model_name}/{result.version}")
    inputs = info.signature.inputs.to_dict()
    assert len(inputs) == 30 and {i["type"] for i in inputs} == {"double"}
    assert info.saved_input_example_info is not None


def _load_registered(result: Any) -> Any:
    import mlflow.sklearn

    with mlflow_pointed_at(result.tracking_uri):
        return mlflow.sklearn.load_model(f"models:/{result.model_name}/{result.version}")


def test_the_run_names_the_workspace_commit_and_leaves_mlflow_as_it_was(
        trained_workspace: tuple[Path, Any]) -> None:
    """The run's git tags are the workspace's (MLflow's own git context, which reads the
    repository of the script that started the process, is left out), the confusion matrix
    is a PNG, and the two MLflow checks skipped while logging the model are back in place
    once the run is over."""
    import mlflow.models.utils as model_utils
    import mlflow.utils.environment as env
    from mlflow.utils import requirements_utils
    from PIL import Image

    root, result = trained_workspace
    client = _client(result.tracking_uri)
    tags = client.get_run(result.run_id).data.tags
    assert tags["mlflow.source.git.commit"] == git(root, "rev-parse", "HEAD")
    assert "mlflow.source.git.repoURL" not in tags and "mlflow.source.git.branch" not in tags
    assert tags["mlflow.runName"].startswith(result.model_name)
    png = Path(client.download_artifacts(result.run_id, "confusion_matrix.png"))
    with Image.open(png) as image:
        assert image.format == "PNG" and min(image.size) > 100
    assert (env.warn_dependency_requirement_mismatches  # type: ignore[attr-defined]
            is requirements_utils.warn_dependency_requirement_mismatches)
    assert model_utils._validate_serving_input.__module__ == "mlflow.models.utils"


def _artifact_bytes(result: Any, path: str) -> bytes:
    return Path(_client(result.tracking_uri).download_artifacts(result.run_id, path)).read_bytes()


def test_training_twice_is_bit_for_bit_identical(trained_workspace: tuple[Path, Any],
                                                  tmp_path: Path) -> None:
    """Same data, configuration and lock give the same metrics and the same coefficients,
    even from another checkout with its own MLflow store."""
    _, first = trained_workspace
    other = make_workspace(tmp_path / "again")
    second = train(load_config(other / "governance.yml"), reporter=ConsoleReporter(io.StringIO()))
    assert second.version == "1" and second.tracking_uri != first.tracking_uri
    assert second.metrics == first.metrics
    assert second.model_fingerprint == first.model_fingerprint
    models = [_load_registered(r) for r in (first, second)]
    a, b = (m.steps[-1][1] for m in models)
    assert a.coef_.tobytes() == b.coef_.tobytes()
    assert a.intercept_.tobytes() == b.intercept_.tobytes()
    for path in ("confusion_matrix.png", "evaluation/predictions.json"):
        assert _artifact_bytes(first, path) == _artifact_bytes(second, path), path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_trains_against_a_tracking_server_over_http(tmp_path: Path) -> None:
    """Only the URI changes to train against `mlflow server` (SQLite backend, local artifacts)."""
    root = make_workspace(tmp_path / "ws")
    port = _free_port()
    server_dir = tmp_path / "server"
    server_dir.mkdir()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    proc = subprocess.Popen(
        [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{server_dir / 'db.sqlite'}",
         "--artifacts-destination", (server_dir / "artifacts").as_uri(), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=server_dir,
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},
    )
    try:
        deadline = time.monotonic() + 180  # a new store runs every migration; CI is shared
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("mlflow server did not start")
            time.sleep(0.5)
        uri = f"http://127.0.0.1:{port}"
        result = train(load_config(root / "governance.yml"), tracking_uri=uri,
                       reporter=ConsoleReporter(io.StringIO()))
        assert result.tracking_uri == uri
        client = _client(uri)
        run = client.get_run(result.run_id)
        assert run.info.status == "FINISHED"
        assert "run_manifest.json" in {a.path for a in client.list_artifacts(result.run_id)}
        assert client.get_model_version(result.model_name, result.version).run_id == result.run_id
        # the artifacts really went to the server's store, not to the workspace
        assert list((server_dir / "artifacts").rglob("run_manifest.json"))
        assert not (root / ".modelgate" / "artifacts").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _other_dataset(root: Path) -> None:
    """A different problem: other id column, label values and feature names."""
    rng = np.random.default_rng(7)
    n = 300
    x1, x2, x3 = rng.normal(size=(3, n))
    label = np.where(x1 + 0.5 * x2 + rng.normal(scale=0.5, size=n) > 0, "churned", "stayed")
    lines = ["customer_ref,outcome,tenure_z,spend_z,visits_z"]
    lines += [f"C{i:05d},{label[i]},{x1[i]:.6f},{x2[i]:.6f},{x3[i]:.6f}" for i in range(n)]
    data = root / "data" / "churn.csv"
    data.write_text("\n".join(lines) + "\n")
    manifest = {
        "schema_version": 1, "name": "synthetic churn", "file": "churn.csv",
        "source": "generated by the test", "license": "CC0-1.0", "rows": n, "columns": 5,
        "sha256": sha256_file(data), "id_column": "customer_ref",
        "pii": {"status": "none", "certified_by": "test"},
    }
    (root / "data" / "churn.manifest.json").write_text(json.dumps(manifest))
    gov = yaml.safe_load((root / "governance.yml").read_text())
    gov["model"]["name"] = "churn-model"
    gov["data"] = {
        "path": "data/churn.csv", "manifest": "data/churn.manifest.json",
        "id_column": "customer_ref",
        "target": {"column": "outcome", "mapping": {"churned": 1, "stayed": 0},
                   "positive_class": "churned", "negative_class": "stayed"},
        "features": ["tenure_z", "spend_z", "visits_z"],
    }
    gov["estimator"] = {"steps": [{"class": "sklearn.ensemble.RandomForestClassifier",
                                   "params": {"n_estimators": 20, "random_state": 0}}]}
    gov["subgroups"]["groups"] = [{"name": "tenure", "column": "tenure_z", "quantiles": 2}]
    gov["mlflow"]["experiment"] = None
    (root / "governance.yml").write_text(yaml.safe_dump(gov))


def test_another_dataset_needs_only_governance_yml(tmp_path: Path) -> None:
    """A team's own data, columns, labels and estimator train with no code change."""
    root = make_workspace(tmp_path, commit=False)
    _other_dataset(root)
    result = train(load_config(root / "governance.yml"), reporter=ConsoleReporter(io.StringIO()))
    client = _client(result.tracking_uri)
    run = client.get_run(result.run_id)
    assert result.model_name == "churn-model"
    assert run.data.params["model_type"] == "RandomForestClassifier"
    assert run.data.params["n_estimators"] == "20"
    assert run.data.tags["git_commit"] == "unversioned" and run.data.tags["git_dirty"] == "true"
    manifest = json.loads(Path(client.download_artifacts(result.run_id, "run_manifest.json"))
                          .read_text())
    assert manifest["features"] == ["tenure_z", "spend_z", "visits_z"]
    assert manifest["positive_class"] == "churned"
    assert result.metrics["roc_auc"] > 0.8
    import mlflow

    info = mlflow.models.get_model_info(f"models:/churn-model/{result.version}")
    assert [i["name"] for i in info.signature.inputs.to_dict()] == manifest["features"]


def test_failure_after_start_ends_run_as_failed(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A run that breaks while logging is ended FAILED with the reason, and registers nothing."""
    import modelgate.training.train as train_module

    root = make_workspace(tmp_path)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(train_module, "_log_model", broken)
    with pytest.raises(OSError, match="disk full"):
        train(load_config(root / "governance.yml"), reporter=ConsoleReporter(io.StringIO()))
    client = _client(load_config(root / "governance.yml").tracking_uri())
    runs = client.search_runs([client.get_experiment_by_name("breast-cancer-classifier")
                              .experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]
    assert runs[0].data.tags["modelgate.failure"] == "OSError: disk full"
    assert client.search_model_versions("name='breast-cancer-classifier'") == []


def test_cli_train_in_github_actions_groups_logs_and_writes_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Under GITHUB_ACTIONS the run is grouped in the log and summarised for the job page."""
    root = make_workspace(tmp_path / "ws", fresh_store=True)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.chdir(root)
    assert main(["train"]) == 0
    out = capsys.readouterr().out
    assert "::group::Load and verify data" in out and "::endgroup::" in out
    assert "model:    breast-cancer-classifier version 1" in out
    text = summary.read_text()
    assert "### modelgate train: breast-cancer-classifier v1" in text
    assert "| roc_auc |" in text


def test_annotations_escape_workflow_command_text() -> None:
    """Text with newlines or '::' cannot forge a second workflow command."""
    buf = io.StringIO()
    GitHubActionsReporter(stream=buf).error("bad\n::set-output name=x::y", title="a:b", file="f,g")
    assert buf.getvalue() == "::error file=f%2Cg,title=a%3Ab::bad%0A::set-output name=x::y\n"



def test_the_shipped_sqlite_schema_is_what_the_migrations_build() -> None:
    """training/mlflow_sqlite_schema.sql is exactly every MLflow migration applied to an
    empty store, for the installed MLflow (after an upgrade: python -m modelgate.training.tracking
    --write-sqlite-schema)."""
    shipped = tracking.SQLITE_SCHEMA.read_text(encoding="utf-8")
    assert _statements(tracking.migrated_schema_sql()) == _statements(shipped)


def _statements(sql: str) -> list[tuple[str, ...]]:
    """The dump's statements, each as its sorted lines: the migrations name constraints and
    indexes in an order that varies from run to run (Python's set order), not the schema."""
    body = "\n".join(ln for ln in sql.splitlines() if not ln.startswith("--"))
    return sorted(tuple(sorted(ln.strip().rstrip(",").strip() for ln in stmt.splitlines()
                               if ln.strip()))
                  for stmt in body.split(";\n") if stmt.strip())


def test_a_new_sqlite_store_is_created_from_the_schema_not_migrated(tmp_path: Path) -> None:
    """A new store is the shipped schema (MLflow opens it without migrating and records
    runs in it); an existing file is never touched; another MLflow version migrates."""
    db = tmp_path / "store" / "mlflow.db"
    assert tracking.new_sqlite_store(db)
    assert not tracking.new_sqlite_store(db)  # never over an existing store
    client = _client(f"sqlite:///{db}")
    experiment = client.create_experiment("e", artifact_location=(tmp_path / "a").as_uri())
    run = client.create_run(experiment)
    assert client.get_run(run.info.run_id).info.status == "RUNNING"
    other = tmp_path / "other.sql"
    other.write_text(tracking.SQLITE_SCHEMA.read_text(encoding="utf-8").replace(
        tracking.SCHEMA_VERSION_PREFIX, tracking.SCHEMA_VERSION_PREFIX + "0.0.1-"))
    assert not tracking.new_sqlite_store(tmp_path / "x.db", other)
    assert not (tmp_path / "x.db").exists()

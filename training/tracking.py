# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""MLflow access: where runs go, and reading a run's evidence back.

The embedded default is SQLite plus a local artifact directory under ``.modelgate/``; a
tracking server is only a different URI. Nothing else in modelgate decides where MLflow
lives.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from modelgate.governance import LoadedConfig

# Quiet, offline-friendly MLflow defaults; explicit environment settings still win.
_MLFLOW_ENV_DEFAULTS = {
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "MLFLOW_TRACKING_INSECURE_TLS": "false",
    "GIT_PYTHON_REFRESH": "quiet",
}

MODEL_ARTIFACT = "model"
TAG_DATA_SHA = "data_sha256"
TAG_COMMIT = "git_commit"
TAG_DIRTY = "git_dirty"
TAG_TREE = "git_tree"
TAG_LOCK = "lock_sha256"
TAG_LOCK_FILE = "lock_file"
TAG_CONFIG = "governance_sha256"
TAG_FINGERPRINT = "model_fingerprint"
TAG_FAILURE = "modelgate.failure"
TAG_MODEL_NAME = "modelgate.model_name"
VERSION_TAG_RUN = "source_run_id"
VERSION_TAG_COMMIT = "git_commit"
VERSION_TAG_DATA = "data_sha256"
VERSION_TAG_FINGERPRINT = "model_fingerprint"

REQUIRED_ARTIFACTS = (
    "confusion_matrix.png",
    "classification_report.json",
    "classification_report.txt",
    "run_manifest.json",
    "evaluation/test_ids.json",
    "evaluation/predictions.json",
    "baseline_stats.json",
)
REQUIRED_TAGS = (TAG_DATA_SHA, TAG_COMMIT, TAG_DIRTY, TAG_LOCK, TAG_CONFIG, TAG_FINGERPRINT)
REQUIRED_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def _is_local(uri: str) -> bool:
    return uri.startswith(("sqlite:", "file:")) or "://" not in uri


def configure(config: LoadedConfig, tracking_uri: str | None = None) -> Any:
    """Point MLflow at the configured store; return an ``MlflowClient`` for it.

    For the embedded SQLite store the experiment's artifacts go to
    ``.modelgate/artifacts`` next to the database, not to a directory that depends on
    the caller's working directory.
    """
    for key, value in _MLFLOW_ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    import mlflow
    from mlflow import MlflowClient

    uri = config.tracking_uri(tracking_uri)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # mlflow.set_tracking_uri also exports MLFLOW_TRACKING_URI; restore the caller's value
    # so a later configure() in the same process still honours the documented precedence.
    outer = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    for key, previous in outer.items():
        if previous is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = previous
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    name = config.governance.experiment_name
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        location = None
        if _is_local(uri):
            artifacts = config.state_dir / "artifacts"
            artifacts.mkdir(parents=True, exist_ok=True)
            location = artifacts.resolve().as_uri()
        client.create_experiment(name, artifact_location=location)
    mlflow.set_experiment(name)
    return client

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""MLflow access: where runs go, and reading a run's evidence back.

The embedded default is SQLite plus a local artifact directory under ``.modelgate/``; a
tracking server is only a different URI. Nothing else in modelgate decides where MLflow
lives.

A new SQLite store is created from ``mlflow_sqlite_schema.sql`` (the schema every MLflow
migration leads to, dumped for the MLflow version it names) in milliseconds, instead of
running the migrations one by one (seconds); with another MLflow version installed, MLflow
migrates as usual. For that same version the file also names the newest migration, which
MLflow's schema check on opening a SQLite store otherwise finds by parsing every migration
script (about 0.1 s): the check itself still runs.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from modelgate.governance import TASK_METRICS, LoadedConfig

# Quiet, offline-friendly MLflow defaults; explicit environment settings still win.
_MLFLOW_ENV_DEFAULTS = {
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    "MLFLOW_TRACKING_INSECURE_TLS": "false",
    "GIT_PYTHON_REFRESH": "quiet",
    # the requirements are passed explicitly; never look for a uv project to export
    "MLFLOW_UV_AUTO_DETECT": "false",
    "MLFLOW_LOG_UV_FILES": "false",
    # no usage reports to MLflow's servers from a compliance tool (nor their thread)
    "MLFLOW_DISABLE_TELEMETRY": "true",
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
REQUIRED_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")  # binary's
NO_CLASS_ARTIFACTS = frozenset({"confusion_matrix.png"})  # a regressor has no classes


def required_metrics(task: str) -> tuple[str, ...]:
    """The metrics a run of this task must log (binary: :data:`REQUIRED_METRICS`)."""
    return REQUIRED_METRICS if task == "binary" else tuple(TASK_METRICS[task])


def required_artifacts(task: str) -> tuple[str, ...]:
    """The artifacts a run of this task must hold (a regressor's has no confusion matrix)."""
    if task != "regression":
        return REQUIRED_ARTIFACTS
    return tuple(a for a in REQUIRED_ARTIFACTS if a not in NO_CLASS_ARTIFACTS)

SQLITE_SCHEMA = Path(__file__).with_name("mlflow_sqlite_schema.sql")
SCHEMA_VERSION_PREFIX = "-- mlflow "
REVISION_INSERT = 'INSERT INTO "alembic_version"'
REVISION_NOTE = "-- pragma: allowlist secret (the alembic revision id, hex but not a secret)"
SCHEMA_HEADER = """-- SPDX-FileCopyrightText: 2026 modelgate contributors
-- SPDX-License-Identifier: Apache-2.0
-- An empty MLflow SQLite store, every schema migration applied: what
-- modelgate.training.tracking.new_sqlite_store executes instead of running the migrations.
-- After an MLflow upgrade, regenerate with `make mlflow-schema` (or .venv/bin/python -m
-- modelgate.training.tracking --write-sqlite-schema): with another MLflow version installed
-- the file is ignored and MLflow migrates a new store itself; a test compares it with
-- MLflow's own migrations.
"""


def schema_mlflow_version(schema: Path = SQLITE_SCHEMA) -> str | None:
    """The MLflow version the shipped schema was dumped from (None: no usable file)."""
    try:
        with schema.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(SCHEMA_VERSION_PREFIX):
                    return line.removeprefix(SCHEMA_VERSION_PREFIX).strip()
    except OSError:
        return None
    return None


def schema_head_revision(schema: Path = SQLITE_SCHEMA) -> str | None:
    """The alembic revision the shipped schema is at, when the installed MLflow is the
    version it was dumped from (its newest migration); None otherwise."""
    from mlflow.version import VERSION

    if schema_mlflow_version(schema) != VERSION:
        return None
    with schema.open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(REVISION_INSERT):
                return line.split("VALUES('", 1)[1].split("'", 1)[0]
    return None


@contextmanager
def _known_schema_head(schema: Path = SQLITE_SCHEMA) -> Iterator[None]:
    """While a SQLite store opens, MLflow's schema check compares the store's revision
    with the newest migration taken from the shipped schema (tested equal to MLflow's own
    for this version) instead of parsing every migration script to find it."""
    import mlflow.store.db.utils as db_utils

    head = schema_head_revision(schema)
    if head is None:
        yield
        return
    original = db_utils._get_latest_schema_revision
    db_utils._get_latest_schema_revision = lambda: head
    try:
        yield
    finally:
        db_utils._get_latest_schema_revision = original


def new_sqlite_store(db: Path, schema: Path = SQLITE_SCHEMA) -> bool:
    """Create an empty, fully migrated store at ``db`` from the shipped schema when ``db``
    does not exist yet and the installed MLflow is the version the schema came from.
    False (nothing written): MLflow creates and migrates the store itself."""
    from mlflow.version import VERSION

    if db.exists() or schema_mlflow_version(schema) != VERSION:
        return False
    db.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".mlflow-", suffix=".db", dir=db.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp)
        try:
            # a private file until linked: no journal, one fsync at the end (not persistent
            # settings: MLflow opens an ordinary rollback-journal store)
            conn.execute("PRAGMA journal_mode=OFF")
            conn.execute("PRAGMA synchronous=OFF")
            conn.executescript(schema.read_text(encoding="utf-8"))
        finally:
            conn.close()
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, db)  # never replaces a store another process created meanwhile
        except FileExistsError:
            return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def migrated_schema_sql() -> str:
    """The schema file's text for the installed MLflow: every migration run on an empty
    store, dumped as SQL (what ``--write-sqlite-schema`` writes)."""
    import sqlalchemy
    from mlflow.store.db.utils import _initialize_tables
    from mlflow.version import VERSION

    with tempfile.TemporaryDirectory(prefix="modelgate-schema-") as tmp:
        db = Path(tmp) / "mlflow.db"
        engine = sqlalchemy.create_engine(f"sqlite:///{db}")
        _initialize_tables(engine)  # type: ignore[no-untyped-call]
        engine.dispose()
        conn = sqlite3.connect(db)
        try:
            dump = list(conn.iterdump())
        finally:
            conn.close()
    # the revision id is hex, which a secret scanner would flag: say what it is
    dump = [f"{line}  {REVISION_NOTE}" if line.startswith(REVISION_INSERT) else line
            for line in dump]
    return SCHEMA_HEADER + f"{SCHEMA_VERSION_PREFIX}{VERSION}\n" + "\n".join(dump) + "\n"


def _is_local(uri: str) -> bool:
    return uri.startswith(("sqlite:", "file:")) or "://" not in uri


def embedded_store_dir(config: LoadedConfig, tracking_uri: str | None = None) -> Path | None:
    """The folder of the embedded SQLite store (``.modelgate/``), None for a server."""
    uri = config.tracking_uri(tracking_uri)
    return Path(uri.removeprefix("sqlite:///")).parent if uri.startswith("sqlite:///") else None


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
    sqlite = uri.startswith("sqlite:///")
    if sqlite:
        db = Path(uri.removeprefix("sqlite:///"))
        db.parent.mkdir(parents=True, exist_ok=True)
        new_sqlite_store(db)
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
    with _known_schema_head() if sqlite else nullcontext():
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)  # opens the store
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


def main(argv: list[str]) -> int:
    """``python -m modelgate.training.tracking --write-sqlite-schema``: refresh the shipped schema
    after an MLflow upgrade."""
    if argv != ["--write-sqlite-schema"]:
        sys.stderr.write("usage: python -m modelgate.training.tracking --write-sqlite-schema\n")
        return 2
    SQLITE_SCHEMA.write_text(migrated_schema_sql(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""A new embedded store starts from the shipped schema (training/mlflow_sqlite_schema.sql),
which names MLflow's newest migration: MLflow opens it without migrating, and its schema
check, told the newest revision by the file instead of parsing every migration script,
still compares (issue 17). The dump itself is regenerated and compared in
tests/training/test_train.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelgate.governance import load_config
from modelgate.training import tracking
from tests.conftest import make_workspace


def test_the_schema_names_the_newest_migration_of_the_installed_mlflow() -> None:
    """The revision in the file is the head of MLflow's own migration scripts."""
    import mlflow.store.db.utils

    db_utils: Any = mlflow.store.db.utils  # untyped
    assert tracking.schema_head_revision() == db_utils._get_latest_schema_revision()


def test_another_mlflow_version_gets_no_revision_from_the_file(tmp_path: Path) -> None:
    other = tmp_path / "other.sql"
    other.write_text(tracking.SQLITE_SCHEMA.read_text(encoding="utf-8").replace(
        tracking.SCHEMA_VERSION_PREFIX, tracking.SCHEMA_VERSION_PREFIX + "0.0.1-"))
    assert tracking.schema_head_revision(other) is None
    assert tracking.schema_head_revision(tmp_path / "absent.sql") is None


def test_a_new_store_opens_without_migrating_and_at_the_head(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """configure() on a workspace with no store: the file is the shipped schema, MLflow
    never runs a migration on it, MLflow's own check (with the revision from its scripts)
    agrees it is at the head, and the shortcut is gone once the store is open."""
    import mlflow.store.db.utils
    import sqlalchemy

    db_utils: Any = mlflow.store.db.utils  # untyped
    root = make_workspace(tmp_path / "ws", fresh_store=True)
    config = load_config(root / "governance.yml")
    db = config.state_dir / "mlflow.db"
    assert not db.exists()

    def no_migrations(*_args: Any) -> None:
        raise AssertionError("MLflow migrated a store built from the shipped schema")

    original_head = db_utils._get_latest_schema_revision
    monkeypatch.setattr(db_utils, "_initialize_tables", no_migrations)
    client = tracking.configure(config)
    assert db_utils._get_latest_schema_revision is original_head
    experiment = client.get_experiment_by_name(config.governance.experiment_name)
    run = client.create_run(experiment.experiment_id)
    client.set_terminated(run.info.run_id)
    assert client.get_run(run.info.run_id).info.status == "FINISHED"

    engine = sqlalchemy.create_engine(f"sqlite:///{db}")
    try:
        db_utils._verify_schema(engine)  # raises on a store not at MLflow's head
        assert db_utils._get_schema_version(engine) == original_head()
    finally:
        engine.dispose()


def test_an_existing_store_is_checked_against_the_same_head(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A store at an older revision is refused on opening, as MLflow refuses it, with
    the head taken from the file; the file never touches it."""
    import sqlite3

    from mlflow.exceptions import MlflowException

    root = make_workspace(tmp_path / "ws", fresh_store=True)
    config = load_config(root / "governance.yml")
    db = config.state_dir / "mlflow.db"
    assert tracking.new_sqlite_store(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'an-older-one'")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(MlflowException, match="out-of-date database schema"):
        tracking.configure(config)
    assert db.read_bytes() == before

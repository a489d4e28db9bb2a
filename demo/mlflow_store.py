# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""An empty, fully migrated MLflow SQLite store, made once per process and copied.

Creating a store runs every MLflow schema migration (seconds): the template is made from
the schema modelgate ships (training/tracking.py, the same path the embedded store takes)
when it is the installed MLflow's, else by MLflow; the demo and the tests copy it."""

from __future__ import annotations

import tempfile
from pathlib import Path

_TEMPLATE_DB: list[Path] = []


def mlflow_template_db() -> Path:
    """The path of the process's template store, created on first use."""
    if not _TEMPLATE_DB:
        from modelgate.training.tracking import new_sqlite_store

        folder = Path(tempfile.mkdtemp(prefix="modelgate-mlflow-template-"))
        db = folder / "mlflow.db"
        if not new_sqlite_store(db):
            from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

            SqlAlchemyStore(f"sqlite:///{db}", (folder / "artifacts").as_uri())  # type: ignore[no-untyped-call]
        _TEMPLATE_DB.append(db)
    return _TEMPLATE_DB[0]

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""An empty, fully migrated MLflow SQLite store, made once per process and copied.

Creating a store runs every MLflow schema migration (seconds); the demo and the tests
copy this one instead."""

from __future__ import annotations

import tempfile
from pathlib import Path

_TEMPLATE_DB: list[Path] = []


def mlflow_template_db() -> Path:
    """The path of the process's template store, created on first use."""
    if not _TEMPLATE_DB:
        from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

        folder = Path(tempfile.mkdtemp(prefix="modelgate-mlflow-template-"))
        db = folder / "mlflow.db"
        SqlAlchemyStore(f"sqlite:///{db}", (folder / "artifacts").as_uri())  # type: ignore[no-untyped-call]
        _TEMPLATE_DB.append(db)
    return _TEMPLATE_DB[0]

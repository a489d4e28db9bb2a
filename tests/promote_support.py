# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared by the promotion and release-CLI tests: a REUSE-compliant governed workspace,
moto S3, and recording an audit report on a version the way ``modelgate check`` does."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from modelgate.bot.check.pipeline import record_report
from modelgate.bot.check.report import REPORT_FILE, AuditEntry, AuditReport
from modelgate.bot.release.promote import REQUIRED_AUDITS
from modelgate.governance import LoadedConfig, load_config
from modelgate.progress import ConsoleReporter
from modelgate.training import tracking
from modelgate.training.train import TrainResult, train
from tests.conftest import git, make_workspace

REGION = "us-east-1"
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def governed_workspace(dest: Path) -> Path:
    """``make_workspace`` plus ``REUSE.toml`` and ``LICENSES/``, committed: a clean tree on
    which every audit of ``modelgate check`` can pass (``reuse lint`` included)."""
    make_workspace(dest, commit=False, licensed=True)  # the tests' REUSE.toml, no MIT file
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "workspace")
    return dest


@dataclass
class Workspace:
    """A workspace, its configuration and its MLflow client."""

    root: Path
    config: LoadedConfig
    client: Any

    @property
    def name(self) -> str:
        return self.config.governance.model.name

    def train(self) -> TrainResult:
        """One more governed training run at the workspace's HEAD (a new version)."""
        return train(self.config, reporter=ConsoleReporter(io.StringIO()), clock=ticking())

    def aliases(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.client.get_registered_model(self.name).aliases.items()}

    def version_tags(self, version: str) -> dict[str, str]:
        return dict(self.client.get_model_version(self.name, version).tags)


def open_workspace(root: Path) -> Workspace:
    config = load_config(root / "governance.yml")
    return Workspace(root=root, config=config, client=tracking.configure(config))


def ticking() -> Any:
    """A clock that moves one second per call (distinct run names and timestamps)."""
    state = {"t": START}

    def now() -> datetime:
        state["t"] += timedelta(seconds=1)
        return state["t"]

    return now


def record_audit(client: Any, result: TrainResult, dest: Path, *, passed: bool = True,
                 failing: tuple[str, ...] = (), commit: str | None = None) -> AuditReport:
    """Record an audit report on ``result``'s version through
    ``modelgate.bot.check.pipeline.record_report``,
    the function ``modelgate check`` records with (same tags, same ``audit/`` artifact).

    The report lists every audit id promotion requires; ``failing`` ones get status
    ``fail``. It stands in for running the eight audits again for every scenario:
    promotion reads only this record, the audits are tested in their own modules, and
    ``test_promote`` runs the real ``run_check`` end to end once.
    """
    entries = [AuditEntry(id=a, title=a, status="fail" if a in failing else "pass",
                          summary=f"{a} {'failed' if a in failing else 'passed'}")
               for a in REQUIRED_AUDITS]
    report = AuditReport(
        model_name=result.model_name, commit=commit or result.commit, run_id=result.run_id,
        model_version=result.version, data_sha256=result.data_sha256,
        model_fingerprint=result.model_fingerprint, started_at=START.isoformat(),
        finished_at=START.isoformat(), duration_s=1.0, passed=passed and not failing,
        audits=entries)
    dest.mkdir(parents=True, exist_ok=True)
    raw = report.model_dump_json(indent=2).encode("utf-8")
    (dest / REPORT_FILE).write_bytes(raw)
    record_report(client, report, raw, dest)
    assert hashlib.sha256(raw).hexdigest() == client.get_model_version(
        result.model_name, result.version).tags["modelgate.audit.report_sha256"]
    return report


@contextmanager
def aws_env() -> Iterator[None]:
    """Fake credentials for moto, restored afterwards (no real AWS is ever reachable)."""
    saved = {k: os.environ.get(k) for k in (*AWS_ENV, "AWS_ENDPOINT_URL")}
    os.environ.update(AWS_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def local_artifact(client: Any, run_id: str, path: str) -> Path:
    """Where a run's artifact lives in the embedded (file) artifact store."""
    uri = client.get_run(run_id).info.artifact_uri
    assert uri.startswith("file://"), uri
    return Path(uri.removeprefix("file://")) / path

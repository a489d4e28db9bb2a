# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate check``: train -> every audit -> model card, on one commit.

This is the PR job's whole work and the README's main command. It writes
``audit_report.json``, ``checklist.md`` and the card (Markdown, JSON twin, MCT export)
to the output directory, records the report on the MLflow model version (tags and
artifacts, so promotion can check it later), and passes only when every audit passed.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelgate.bot.check import runner, tree_audits
from modelgate.bot.check.audits import model_card
from modelgate.bot.check.audits.base import AuditContext, RunEvidence
from modelgate.bot.check.card import build_card, write_card
from modelgate.bot.check.pending import DEFAULT_TIMEOUT_S, Pending, run_audit
from modelgate.bot.check.report import (
    CHECKLIST_FILE,
    REPORT_FILE,
    AuditEntry,
    AuditReport,
    checklist_markdown,
)
from modelgate.governance import LoadedConfig
from modelgate.progress import ConsoleReporter, Reporter
from modelgate.training import tracking
from modelgate.training.data import DataError, load_dataset, split_dataset
from modelgate.training.train import PipelinePredictor, TrainResult, train

VERSION_TAG_PASSED = "modelgate.audit.passed"
VERSION_TAG_COMMIT = "modelgate.audit.commit"
VERSION_TAG_REPORT_SHA = "modelgate.audit.report_sha256"
RUN_AUDIT_DIR = "audit"


@dataclass(frozen=True)
class CheckResult:
    report: AuditReport
    out_dir: Path
    train: TrainResult | None


def load_run_evidence(client: Any, run_id: str, dest: Path) -> RunEvidence:
    """Read a run back from the store, artifacts copied to ``dest``."""
    import mlflow

    run = client.get_run(run_id)
    local = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(dest),
                                                     tracking_uri=client.tracking_uri))
    files = frozenset(p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file())
    return RunEvidence(run_id=run_id, status=run.info.status, tags=dict(run.data.tags),
                       params=dict(run.data.params), metrics=dict(run.data.metrics),
                       artifacts=files, artifact_dir=local)


def build_context(config: LoadedConfig, result: TrainResult, client: Any,
                  workdir: Path) -> AuditContext:
    """Gather evidence; what cannot be had stays None and the audits that need it fail."""
    import mlflow.sklearn

    try:
        dataset = load_dataset(config)
        split = split_dataset(dataset, config.governance)
    except DataError:
        dataset, split = None, None
    run = load_run_evidence(client, result.run_id, workdir / "run")
    model = mlflow.sklearn.load_model(f"models:/{result.model_name}/{result.version}")
    candidate = PipelinePredictor(model, tuple(config.governance.data.features),
                                  task=config.governance.task)
    return AuditContext(root=config.root, config=config, commit=result.commit, dataset=dataset,
                        split=split, run=run, model_version=result.version, candidate=candidate,
                        registry=client)


def _train_facts(result: TrainResult, run_params: dict[str, str]) -> dict[str, Any]:
    return {"run_id": result.run_id, "version": result.version, "metrics": result.metrics,
            "commit": result.commit, "tracking_uri": result.tracking_uri,
            "model_type": run_params.get("model_type", ""),
            "pipeline": run_params.get("pipeline", "")}


def _write_card(ctx: AuditContext, result: TrainResult, entries: list[AuditEntry],
                out_dir: Path, now: datetime) -> None:
    assert ctx.dataset is not None and ctx.split is not None and ctx.run is not None
    card = build_card(config=ctx.config, dataset=ctx.dataset, split=ctx.split,
                      train=_train_facts(result, ctx.run.params), results=entries,
                      created_at=now)
    write_card(card, out_dir)


def run_check(
    config: LoadedConfig,
    out_dir: Path,
    *,
    tracking_uri: str | None = None,
    reporter: Reporter | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    timeout_s: float = DEFAULT_TIMEOUT_S,
    audits: tuple[Any, ...] = runner.AUDITS_BEFORE_CARD,
    early: Mapping[str, Pending] | None = None,
) -> CheckResult:
    """Train, audit and write the card; never raises for a failing audit.

    The audits that only read the repository's files (``tree_audits.TREE_AUDITS``, whose tools
    are child processes) start first and run beside training and the other audits: here,
    or earlier by the caller (``early``, from :func:`tree_audits.start`, before the heavy
    imports); the report lists every audit in the order of ``audits`` whatever order they
    finished in.
    """
    rep = reporter or ConsoleReporter()
    out_dir.mkdir(parents=True, exist_ok=True)
    started_at = clock()
    t0 = time.perf_counter()
    if early is None:
        early = tree_audits.start(config, tracking_uri,
                                  [m for m in audits if m in tree_audits.TREE_AUDITS], timeout_s)

    def show(entry: AuditEntry) -> None:
        rep.info(f"{entry.status.upper():5} {entry.id}: {entry.summary} ({entry.duration_s:.2f} s)")
        if entry.status != "pass":
            rep.error(entry.summary, title=f"audit {entry.id} {entry.status}")

    result = train(config, tracking_uri=tracking_uri, reporter=rep, clock=clock)
    client = tracking.configure(config, tracking_uri)

    with tempfile.TemporaryDirectory(prefix="modelgate-check-") as tmp:
        with rep.step("Gather evidence"):
            ctx = build_context(config, result, client, Path(tmp))
        with rep.step("Run audits"):
            late = runner.run_all([m for m in audits if m.AUDIT_ID not in early], ctx,
                                  timeout_s=timeout_s, on_result=show)
            done = {e.id: e for e in late}
            for audit_id, pending in early.items():
                done[audit_id] = pending.entry()
                show(done[audit_id])
            entries = [done[str(m.AUDIT_ID)] for m in audits]
        with rep.step("Model card"):
            card_ok = ctx.dataset is not None and ctx.split is not None
            if card_ok:
                _write_card(ctx, result, entries, out_dir, started_at)
            card_entry = run_audit(model_card, replace(ctx, card_dir=out_dir), timeout_s)
            show(card_entry)
            entries.append(card_entry)
            if card_ok:  # re-render so the card's checklist holds its own audit too
                _write_card(ctx, result, entries, out_dir, started_at)
    report = AuditReport(
        model_name=result.model_name, commit=result.commit, run_id=result.run_id,
        model_version=result.version, data_sha256=result.data_sha256,
        model_fingerprint=result.model_fingerprint,
        started_at=started_at.isoformat(timespec="seconds"),
        finished_at=clock().isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - t0, 3),
        passed=all(e.status == "pass" for e in entries), audits=entries,
    )
    report_bytes = report.model_dump_json(indent=2).encode("utf-8")
    (out_dir / REPORT_FILE).write_bytes(report_bytes)
    (out_dir / CHECKLIST_FILE).write_text(checklist_markdown(entries) + "\n", encoding="utf-8")
    with rep.step("Record the report on the model version"):
        record_report(client, report, report_bytes, out_dir)
    rep.summary(_summary(report))
    return CheckResult(report=report, out_dir=out_dir, train=result)


def record_report(client: Any, report: AuditReport, report_bytes: bytes, out_dir: Path) -> None:
    """Tags on the version (what promotion checks) plus the files as run artifacts."""
    assert report.run_id is not None and report.model_version is not None
    for key, value in ((VERSION_TAG_PASSED, str(report.passed).lower()),
                       (VERSION_TAG_COMMIT, report.commit),
                       (VERSION_TAG_REPORT_SHA, hashlib.sha256(report_bytes).hexdigest())):
        client.set_model_version_tag(report.model_name, report.model_version, key, value)
    for name in sorted(p.name for p in out_dir.iterdir() if p.is_file()):
        client.log_artifact(report.run_id, str(out_dir / name), RUN_AUDIT_DIR)


def _summary(report: AuditReport) -> str:
    head = "passed" if report.passed else "FAILED"
    return (f"### modelgate check {head}: {report.model_name} v{report.model_version}\n\n"
            f"Commit `{report.commit[:12]}`, run `{report.run_id}`.\n\n"
            + checklist_markdown(report.audits))


def read_report(path: Path) -> AuditReport:
    return AuditReport.model_validate(json.loads(path.read_text(encoding="utf-8")))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``lineage``: does data -> run -> model version -> commit resolve, link by link?

The auditor's question is answered later by following these links, so each one is
checked now, against the store itself rather than against what the run claims.
"""

from __future__ import annotations

import time
from typing import Any

from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.datafiles import DataFileError, disagreements
from modelgate.governance import TASK_METRICS
from modelgate.training import tracking

REGRESSION_SKIPS = frozenset({"confusion_matrix.png"})  # no classes, no confusion matrix

AUDIT_ID = "lineage"
TITLE = "Lineage: data -> run -> model version -> commit"


def _check(links: list[dict[str, Any]], name: str, ok: bool, evidence: str) -> None:
    links.append({"link": name, "ok": bool(ok), "evidence": evidence})


def run(ctx: AuditContext) -> AuditResult:
    """Resolve every link and list what is missing."""
    started = time.perf_counter()
    dataset, _ = ctx.need_dataset()
    run_ev = ctx.need_run()
    if ctx.registry is None or ctx.model_version is None:
        raise EvidenceMissing("no registered model version to trace")
    gov = ctx.config.governance
    links: list[dict[str, Any]] = []
    tags = run_ev.tags

    _check(links, "data file = manifest", dataset.sha256 == dataset.manifest.sha256,
           f"file {dataset.sha256[:16]}…, manifest {dataset.manifest.sha256[:16]}…")
    try:
        problems = disagreements(ctx.root, dataset.path, dataset.manifest.raw,
                                 gov.data.id_column)
    except DataFileError as exc:
        problems = [str(exc)]
    _check(links, "manifest = data file and REUSE", not problems,
           "; ".join(problems) if problems else
           f"rows {dataset.manifest.rows}, columns {dataset.manifest.columns}, id column "
           f"{dataset.manifest.id_column!r}, license {dataset.manifest.license} as REUSE says")
    _check(links, "manifest = run tag", tags.get(tracking.TAG_DATA_SHA) == dataset.sha256,
           f"run tag {str(tags.get(tracking.TAG_DATA_SHA))[:16]}…")
    _check(links, "run finished", run_ev.status == "FINISHED", f"status {run_ev.status}")
    missing_tags = [t for t in tracking.REQUIRED_TAGS if not tags.get(t)]
    _check(links, "run tags", not missing_tags,
           f"missing {missing_tags}" if missing_tags else "all required tags present")
    required_metrics = (tracking.REQUIRED_METRICS if gov.task == "binary"
                        else tuple(TASK_METRICS[gov.task]))
    missing_metrics = [m for m in required_metrics if m not in run_ev.metrics]
    _check(links, "run metrics", not missing_metrics,
           f"missing {missing_metrics}" if missing_metrics else
           f"all {len(required_metrics)} {gov.task} metrics logged")
    required_art = [a for a in tracking.REQUIRED_ARTIFACTS
                    if gov.task != "regression" or a not in REGRESSION_SKIPS]
    missing_art = [a for a in required_art if a not in run_ev.artifacts]
    _check(links, "run artifacts", not missing_art,
           f"missing {missing_art}" if missing_art else
           f"{len(required_art)} required artifacts present")

    version = ctx.registry.get_model_version(gov.model.name, ctx.model_version)
    _check(links, "model version -> run", version.run_id == run_ev.run_id,
           f"v{version.version} source run {version.run_id}")
    vtags = dict(version.tags or {})
    _check(links, "version tags", vtags.get(tracking.VERSION_TAG_RUN) == run_ev.run_id
           and vtags.get(tracking.VERSION_TAG_COMMIT) == tags.get(tracking.TAG_COMMIT),
           f"source_run_id {vtags.get(tracking.VERSION_TAG_RUN)}, "
           f"git_commit {vtags.get(tracking.VERSION_TAG_COMMIT)}")
    model_ok, model_note = _model_loadable(gov.model.name, ctx.model_version, run_ev.run_id)
    _check(links, "model artifact", model_ok, model_note)
    commit = tags.get(tracking.TAG_COMMIT, "")
    _check(links, "run -> commit", commit == ctx.commit,
           f"run trained at {commit}, audited commit {ctx.commit}")
    _check(links, "clean tree", tags.get(tracking.TAG_DIRTY) == "false",
           "the working tree was clean" if tags.get(tracking.TAG_DIRTY) == "false"
           else "trained from a tree with uncommitted changes")

    broken = [link for link in links if not link["ok"]]
    summary = (f"data {dataset.sha256[:12]} -> run {run_ev.run_id[:8]} -> "
               f"v{ctx.model_version} -> commit {ctx.commit[:12]}")
    if broken:
        summary = "broken: " + "; ".join(f"{b['link']} ({b['evidence']})" for b in broken)
    return AuditResult(
        id=AUDIT_ID, title=TITLE, status="fail" if broken else "pass", summary=summary,
        details={"links": links, "run_id": run_ev.run_id, "model_version": ctx.model_version,
                 "commit": ctx.commit, "data_sha256": dataset.sha256},
        duration_s=time.perf_counter() - started,
    )


def _model_loadable(name: str, version: str, run_id: str) -> tuple[bool, str]:
    """The registered model's MLmodel is readable and names the same run."""
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        info = mlflow.models.get_model_info(f"models:/{name}/{version}")
    except (MlflowException, OSError) as exc:
        return False, f"models:/{name}/{version} cannot be read: {exc}"
    if info.run_id != run_id:
        return False, f"MLmodel names run {info.run_id}, expected {run_id}"
    if info.signature is None:
        return False, "the model has no signature"
    return True, f"models:/{name}/{version} readable, signature with " \
                 f"{len(info.signature.inputs.inputs)} inputs"

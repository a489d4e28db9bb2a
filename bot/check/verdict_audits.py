# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The audits as the trusted verdict runs them: the same modules, on data only.

pii, leakage, bias, performance_gate and ip_headers are the PR job's own audit modules
(the default branch's copy), given a context built from the PR's checkout and artifact.
Three need a different entry point here:

* ``security`` reads the file list made here (git's index or a walk, no symbolic links)
  and checks the lock by parsing ``uv.lock``/``pyproject.toml`` only: uv is never started
  on the PR's files, because resolving can run the project's build backend;
* ``performance_gate`` compares with the majority-class baseline (this job has no model
  store and no AWS access); the report job judges the same scores against production;
* ``lineage`` has no MLflow here, so it checks the links that data can prove: the tree's
  data = its manifest = what the run claims; the claimed scores = the claimed fingerprint;
  the artifact's head and tree = the checkout. The run and model version exist in the
  store is what promotion checks, and the release proves the fingerprint by retraining.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from modelgate.bot.check.audits import bias, ip_headers, leakage, performance_gate, pii, security
from modelgate.bot.check.audits._scan_cache import scan_cache_path
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.bot.check.pending import AuditModule
from modelgate.bot.check.verdict_context import ClaimedPredictor, Claims, Definition, PrTree

INPUTS = "verdict.inputs"  # ctx.extra key
CLAIM_NOTE = ("scored on the PR job's claimed predictions (candidate_predictions.json), "
              "fingerprint {fingerprint}; the release retrains and must reproduce it")
BASELINE_NOTE = ("trusted verdict, against the majority-class baseline; the report job "
                 "judges the same scores against production")


@dataclass(frozen=True)
class Inputs:
    """Everything the verdict read, with the reason for whatever it could not use."""

    tree: PrTree
    claims: Claims
    definition: Definition | None
    data_problem: str | None  # why there is no dataset (None when there is one)
    head_sha: str | None = None  # what the workflow says the head is (--head-sha)
    repository: str | None = None
    pr_number: int | None = None
    notes: dict[str, str] = field(default_factory=dict)


def inputs_of(ctx: AuditContext) -> Inputs:
    found = ctx.extra.get(INPUTS)
    if not isinstance(found, Inputs):
        raise EvidenceMissing("the trusted verdict's inputs are not in the audit context")
    return found


class OnData:
    """An audit module run only when the PR's data loaded, else failed with the reason."""

    def __init__(self, module: ModuleType, *, claimed_scores: bool = False) -> None:
        self.module = module
        self.claimed_scores = claimed_scores
        self.AUDIT_ID: str = module.AUDIT_ID
        self.TITLE: str = module.TITLE

    def run(self, ctx: AuditContext) -> AuditResult:
        problem = inputs_of(ctx).data_problem
        if ctx.dataset is None:
            raise EvidenceMissing(problem or "the pull request's data could not be loaded")
        result: AuditResult = self.module.run(ctx)
        if not self.claimed_scores:
            return result
        details = dict(result.details)
        if isinstance(ctx.candidate, ClaimedPredictor):
            details["candidate_scores"] = CLAIM_NOTE.format(
                fingerprint=ctx.candidate.fingerprint[:16])
        if self.module is performance_gate:
            details["judged_by"] = BASELINE_NOTE
        return dataclasses.replace(result, details=details)


class TrustedSecurity:
    """``security`` over the file list made here, the lock read as TOML only, with the
    scan cache of :func:`scan_cache_path` (``$MODELGATE_SCAN_CACHE``)."""

    AUDIT_ID = security.AUDIT_ID
    TITLE = security.TITLE

    def run(self, ctx: AuditContext) -> AuditResult:
        tree = inputs_of(ctx).tree
        # the cache's entries are content-keyed results of this (trusted) code, so the
        # pull request's files that the base branch's jobs scanned are not scanned again
        result = security.audit(tree.root, uv=None, files=tree.files, cache=scan_cache_path())
        details = {**result.details, "files_listed_by": tree.listed_by,
                   "symbolic_links_not_read": list(tree.skipped[:20])}
        return dataclasses.replace(result, details=details)


def _link(links: list[dict[str, Any]], name: str, ok: bool, evidence: str) -> None:
    links.append({"link": name, "ok": bool(ok), "evidence": evidence})


def _short(value: str | None) -> str:
    return "none" if not value else value[:12]


class TrustedLineage:
    """``lineage`` without a model store: the links the data and the artifact can prove."""

    AUDIT_ID = "lineage"
    TITLE = "Lineage: data -> run -> model version -> commit"

    def run(self, ctx: AuditContext) -> AuditResult:
        started = time.perf_counter()
        found = inputs_of(ctx)
        if ctx.dataset is None:
            raise EvidenceMissing(found.data_problem or "the pull request's data is missing")
        artifact = found.claims.artifact
        if artifact is None:
            raise EvidenceMissing(found.claims.problem or "no artifact")
        dataset, report, meta, tree = ctx.dataset, artifact.report, artifact.metadata, found.tree
        links: list[dict[str, Any]] = []
        _link(links, "data file = manifest", dataset.sha256 == dataset.manifest.sha256,
              f"file {dataset.sha256[:16]}…, manifest {dataset.manifest.sha256[:16]}…")
        _link(links, "manifest = run's claim", report.data_sha256 == dataset.sha256,
              f"the PR job trained on {_short(report.data_sha256)}…")
        _link(links, "run and version named", bool(report.run_id and report.model_version),
              f"run {report.run_id}, version {report.model_version}")
        cand = ctx.candidate
        scores_ok = isinstance(cand, ClaimedPredictor)
        _link(links, "evaluation rows = rebuilt test split", scores_ok,
              "the claimed rows are the rebuilt test split" if scores_ok
              else str(getattr(cand, "reason", "no claimed scores")))
        claimed_fp = cand.fingerprint if isinstance(cand, ClaimedPredictor) else ""
        _link(links, "scores = claimed fingerprint",
              bool(claimed_fp) and claimed_fp == report.model_fingerprint,
              f"scores {_short(claimed_fp)}…, report {_short(report.model_fingerprint)}…")
        _link(links, "artifact = checked-out commit",
              tree.head is not None and meta.head_sha == report.commit == tree.head,
              f"artifact {_short(meta.head_sha)}, report {_short(report.commit)}, "
              f"checkout {_short(tree.head)}")
        _link(links, "artifact tree = checked-out tree",
              tree.tree is not None and meta.tree_sha == tree.tree,
              f"artifact {_short(meta.tree_sha)}, checkout {_short(tree.tree)}")
        _link(links, "checkout unmodified", tree.clean is True,
              {True: "tracked files as committed", False: "tracked files were modified",
               None: "no git index to compare with"}[tree.clean])
        if found.head_sha is not None:
            _link(links, "head = the workflow's", tree.head == found.head_sha,
                  f"--head-sha {_short(found.head_sha)}")
        if found.repository is not None or found.pr_number is not None:
            same = ((found.repository is None
                     or meta.repository.casefold() == found.repository.casefold())
                    and (found.pr_number is None or meta.pr_number == found.pr_number))
            _link(links, "artifact = this pull request", same,
                  f"artifact {meta.repository}#{meta.pr_number}")
        broken = [b for b in links if not b["ok"]]
        summary = (f"data {dataset.sha256[:12]} -> claimed run {_short(report.run_id)[:8]} -> "
                   f"v{report.model_version} -> commit {_short(tree.head)}")
        if broken:
            summary = "broken: " + "; ".join(f"{b['link']} ({b['evidence']})" for b in broken)
        return AuditResult(
            id=self.AUDIT_ID, title=self.TITLE, status="fail" if broken else "pass",
            summary=summary,
            details={"links": links, "run_id": report.run_id,
                     "model_version": report.model_version, "commit": tree.head,
                     "data_sha256": dataset.sha256,
                     "not_checked_here": "the run and version in the model store (checked "
                                         "at promotion) and the model itself (the release "
                                         "retrains and compares fingerprints)"},
            duration_s=time.perf_counter() - started,
        )


# model_card runs last, on the card built from these results (see modelgate.bot.check.verdict)
AUDITS: tuple[ModuleType | AuditModule, ...] = (
    OnData(pii), ip_headers,
    TrustedSecurity(), OnData(leakage), OnData(bias, claimed_scores=True),
    OnData(performance_gate, claimed_scores=True), TrustedLineage(),
)

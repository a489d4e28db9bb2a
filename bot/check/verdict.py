# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate verdict``: every audit verdict again, by the default branch's modelgate.

The PR job runs the pull request's own code, so its report is advisory: a PR can change
``bot/`` and its audits. This job runs trusted code in a job with no write token and no
secret, reads the PR's checkout and the PR job's artifact as data only (never importing,
executing or unpickling anything from them), recomputes every audit and writes the
documents approvers read: ``audit_report.json`` (marked ``computed_by`` the trusted
verdict at a modelgate commit), the card, the checklist, and ``verdict.json``, which names
every audit whose advisory status differs, above all a PR that passed its own audits
while the trusted verdict fails it. The split of ``governance.yml`` between the PR (model
definition) and the base branch (policy) is in docs/trusted-verdicts.md.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

import modelgate.bot as bot
from modelgate.bot.check import pending, runner
from modelgate.bot.check.audits import model_card
from modelgate.bot.check.audits.base import AuditContext
from modelgate.bot.check.audits.performance_gate import BASELINE_ONLY
from modelgate.bot.check.card import build_card, write_card
from modelgate.bot.check.report import (
    CARD_JSON_FILE,
    CARD_MD_FILE,
    CHECKLIST_FILE,
    EVAL_ROWS_FILE,
    MCT_FILE,
    METADATA_FILE,
    PREDICTIONS_FILE,
    REPORT_FILE,
    AuditEntry,
    AuditReport,
    ComputedBy,
    checklist_markdown,
)
from modelgate.bot.check.verdict_audits import AUDITS, INPUTS, Inputs
from modelgate.bot.check.verdict_context import (
    E_NO_ARTIFACT,
    E_NO_TREE,
    SHA1_RE,
    ClaimedPredictor,
    Claims,
    Definition,
    Refused,
    VerdictInputError,
    claimed_candidate,
    git_output,
    load_data,
    merge_config,
    read_claims,
    read_tree,
    refuse_unsafe_layout,
)
from modelgate.governance import ConfigError, LoadedConfig, load_config
from modelgate.progress import ConsoleReporter, Reporter

VERDICT_FILE = "verdict.json"
VERDICT_SCHEMA_VERSION: Literal[1] = 1
UNVERSIONED = "unversioned"
CLAIMS = (
    "run_id and model_version are named by the PR job's artifact",
    "model_fingerprint is the sha256 of the PR job's claimed scores; the release retrains "
    "and must reproduce it",
    "performance_gate and bias judge the PR job's claimed scores on the test split rebuilt "
    "here",
)
OUTPUTS = (REPORT_FILE, CHECKLIST_FILE, VERDICT_FILE, CARD_MD_FILE, CARD_JSON_FILE, MCT_FILE,
           METADATA_FILE, EVAL_ROWS_FILE, PREDICTIONS_FILE)
E_MODELGATE_COMMIT = "--modelgate-commit {value!r}: expected a 40-character hex commit"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Status = Literal["pass", "fail", "error"]


class Comparison(_Strict):
    id: str
    title: str
    trusted: Status
    advisory: Status | Literal["missing"]


class Verdict(_Strict):
    """``verdict.json``: the trusted statuses next to the PR job's advisory ones."""

    schema_version: Literal[1] = VERDICT_SCHEMA_VERSION
    kind: Literal["modelgate.verdict"] = "modelgate.verdict"
    computed_by: ComputedBy
    commit: str
    repository: str | None
    pr_number: int | None
    passed: bool
    advisory_passed: bool | None  # None: the artifact could not be read
    advisory_problem: str | None
    audits: list[Comparison]
    differs: list[str]  # ids whose statuses differ
    passed_only_in_advisory: list[str]  # the PR's own audits passed, the trusted one did not
    advisory_only: list[str]  # audits the PR job reported that the trusted verdict does not run
    policy_ignored: list[str]  # sections of the PR's governance.yml that were not applied
    messages: Annotated[list[str], Field(max_length=20)]


@dataclass(frozen=True)
class VerdictResult:
    report: AuditReport
    verdict: Verdict
    out_dir: Path


def modelgate_commit(override: str | None = None) -> str:
    """The commit of the modelgate code running now (the default branch's checkout)."""
    if override is not None:
        if not SHA1_RE.match(override):
            raise VerdictInputError(E_MODELGATE_COMMIT.format(value=override))
        return override
    home = Path(bot.__file__).resolve().parents[1]
    head = (git_output(home, "rev-parse", "HEAD") or "").strip() if (home / ".git").exists() else ""
    return head if SHA1_RE.match(head) else UNVERSIONED


def _base_config(path: Path) -> LoadedConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        raise VerdictInputError(str(exc)) from None


def _model_type(config: LoadedConfig) -> tuple[str, str]:
    steps = [s.class_ for s in config.governance.estimator.steps]
    last = steps[-1].replace(":", ".").rsplit(".", 1)[-1]
    return last, " > ".join(steps)


def gather(pr_root: Path, artifact: Path, base: LoadedConfig, *, head_sha: str | None,
           repository: str | None, pr_number: int | None) -> tuple[AuditContext, Inputs]:
    """Read the checkout and the artifact into one audit context (problems recorded)."""
    tree = read_tree(pr_root)
    claims = read_claims(artifact)
    definition: Definition | None = None
    dataset = split = None
    try:
        definition = merge_config(base, pr_root)
        dataset, split = load_data(definition.config)
        problem = None
    except Refused as exc:
        problem = str(exc)
    config = definition.config if definition is not None else base.model_copy(
        update={"root": pr_root.resolve()})
    inputs = Inputs(tree=tree, claims=claims, definition=definition, data_problem=problem,
                    head_sha=head_sha, repository=repository, pr_number=pr_number)
    report = claims.artifact.report if claims.artifact is not None else None
    ctx = AuditContext(
        root=pr_root.resolve(), config=config, commit=tree.head or head_sha or UNVERSIONED,
        dataset=dataset, split=split,
        model_version=report.model_version if report is not None else None,
        candidate=claimed_candidate(claims, dataset, split, config.governance),
        extra={INPUTS: inputs, BASELINE_ONLY: True},
    )
    return ctx, inputs


def _card(ctx: AuditContext, inputs: Inputs, entries: list[AuditEntry], out_dir: Path,
          now: datetime) -> None:
    assert ctx.dataset is not None and ctx.split is not None
    report = inputs.claims.artifact.report if inputs.claims.artifact is not None else None
    model_type, pipeline = _model_type(ctx.config)
    train: dict[str, Any] = {"run_id": report.run_id if report else None,
             "version": report.model_version if report else None, "metrics": {},
             "commit": ctx.commit, "tracking_uri": None, "model_type": model_type,
             "pipeline": pipeline}
    card = build_card(config=ctx.config, dataset=ctx.dataset, split=ctx.split, train=train,
                      results=entries, created_at=now)
    meta = inputs.claims.artifact.metadata if inputs.claims.artifact is not None else None
    if meta is not None:
        card = card.model_copy(update={"lineage": card.lineage.model_copy(
            update={"pull_request": meta.pr_number})})
    write_card(card, out_dir)


def _compare(entries: list[AuditEntry], claims: Claims) -> list[Comparison]:
    advisory = ({a.id: a.status for a in claims.artifact.report.audits}
                if claims.artifact is not None else {})
    return [Comparison(id=e.id, title=e.title, trusted=e.status,
                       advisory=advisory.get(e.id, "missing")) for e in entries]


def _copy_evidence(claims: Claims, ctx: AuditContext, out_dir: Path) -> None:
    """The validated metadata, rows and scores beside the report, so the report job can
    read this folder as it reads the PR's artifact (and judge against production)."""
    if claims.artifact is None or not isinstance(ctx.candidate, ClaimedPredictor):
        return
    assert claims.rows is not None and claims.predictions is not None
    (out_dir / METADATA_FILE).write_text(claims.artifact.metadata.model_dump_json(indent=2),
                                         encoding="utf-8")
    (out_dir / EVAL_ROWS_FILE).write_text(claims.rows.model_dump_json(), encoding="utf-8")
    (out_dir / PREDICTIONS_FILE).write_text(claims.predictions.model_dump_json(),
                                            encoding="utf-8")


def run_verdict(
    pr_root: Path, artifact: Path, base_config: Path, out_dir: Path, *,
    head_sha: str | None = None, repository: str | None = None, pr_number: int | None = None,
    commit_of_modelgate: str | None = None, reporter: Reporter | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    timeout_s: float = pending.DEFAULT_TIMEOUT_S,
) -> VerdictResult:
    """Recompute every audit on the PR's files and claims; never raises for a failing one."""
    rep = reporter or ConsoleReporter()
    if not pr_root.is_dir():
        raise VerdictInputError(E_NO_TREE.format(path=pr_root))
    if not artifact.exists():
        raise VerdictInputError(E_NO_ARTIFACT.format(path=artifact))
    refuse_unsafe_layout(pr_root, out_dir, Path(bot.__file__).resolve().parent, sys.path)
    base = _base_config(base_config)
    computed_by = ComputedBy(modelgate_commit=modelgate_commit(commit_of_modelgate),
                             base_config_sha256=base.sha256, pr_config_sha256=None,
                             claims=list(CLAIMS))
    started_at, t0 = clock(), time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in OUTPUTS:  # a card left by an earlier run must not be validated as this one's
        (out_dir / name).unlink(missing_ok=True)
    with rep.step("Read the pull request's checkout and artifact"):
        ctx, inputs = gather(pr_root, artifact, base, head_sha=head_sha,
                             repository=repository, pr_number=pr_number)
    if inputs.definition is not None:
        computed_by = computed_by.model_copy(
            update={"pr_config_sha256": inputs.definition.pr_sha256})
    with rep.step("Run audits"):
        entries = runner.run_all(AUDITS, ctx, timeout_s=timeout_s)
    with rep.step("Model card"):
        if ctx.dataset is not None:
            _card(ctx, inputs, entries, out_dir, started_at)
        card_entry = pending.run_audit(model_card, dataclasses.replace(ctx, card_dir=out_dir),
                                      timeout_s)
        entries.append(card_entry)
        if ctx.dataset is not None:
            _card(ctx, inputs, entries, out_dir, started_at)
    claimed = inputs.claims.artifact.report if inputs.claims.artifact is not None else None
    report = AuditReport(
        model_name=ctx.config.governance.model.name, commit=ctx.commit,
        run_id=claimed.run_id if claimed else None,
        model_version=claimed.model_version if claimed else None,
        data_sha256=ctx.dataset.sha256 if ctx.dataset is not None else None,
        model_fingerprint=(ctx.candidate.fingerprint
                           if isinstance(ctx.candidate, ClaimedPredictor) else None),
        started_at=started_at.isoformat(timespec="seconds"),
        finished_at=clock().isoformat(timespec="seconds"),
        duration_s=round(time.perf_counter() - t0, 3),
        passed=all(e.status == "pass" for e in entries), audits=entries,
        computed_by=computed_by,
    )
    verdict = _verdict(report, inputs, getattr(ctx.candidate, "reason", None))
    (out_dir / REPORT_FILE).write_text(report.model_dump_json(indent=2), encoding="utf-8")
    (out_dir / CHECKLIST_FILE).write_text(checklist_markdown(entries) + "\n", encoding="utf-8")
    (out_dir / VERDICT_FILE).write_text(verdict.model_dump_json(indent=2), encoding="utf-8")
    _copy_evidence(inputs.claims, ctx, out_dir)
    rep.summary(summary_markdown(report, verdict))
    return VerdictResult(report, verdict, out_dir)


def _verdict(report: AuditReport, inputs: Inputs, claim_problem: str | None) -> Verdict:
    assert report.computed_by is not None
    claims = inputs.claims
    rows = _compare(report.audits, claims)
    hidden = [r.id for r in rows if r.advisory == "pass" and r.trusted != "pass"]
    found = (claims.problem, claims.scores_problem, inputs.data_problem, claim_problem)
    messages = list(dict.fromkeys(m for m in found if m))
    ignored = list(inputs.definition.policy_ignored) if inputs.definition is not None else []
    meta = claims.artifact.metadata if claims.artifact is not None else None
    return Verdict(
        computed_by=report.computed_by, commit=report.commit,
        repository=inputs.repository or (meta.repository if meta else None),
        pr_number=inputs.pr_number or (meta.pr_number if meta else None),
        passed=report.passed,
        advisory_passed=claims.artifact.report.passed if claims.artifact is not None else None,
        advisory_problem=claims.problem, audits=rows,
        differs=[r.id for r in rows if r.trusted != r.advisory],
        passed_only_in_advisory=hidden,
        advisory_only=sorted({a.id for a in claims.artifact.report.audits}
                             - {r.id for r in rows}) if claims.artifact is not None else [],
        policy_ignored=ignored, messages=messages[:20],
    )


def summary_markdown(report: AuditReport, verdict: Verdict) -> str:
    """The job summary: the decision first, then what the PR's own audits hid."""
    head = "passed" if report.passed else "FAILED"
    by = report.computed_by.modelgate_commit if report.computed_by else UNVERSIONED
    lines = [f"### modelgate verdict {head}: {report.model_name} at `{report.commit[:12]}`",
             "", f"Computed by the trusted verdict (modelgate `{by[:12]}`)."]
    if verdict.passed_only_in_advisory:
        lines += ["", "**The PR job's own audits passed what the trusted verdict fails:** "
                  + ", ".join(f"`{i}`" for i in verdict.passed_only_in_advisory)]
    if verdict.policy_ignored:
        lines += ["", "Policy sections changed by the PR and not applied (the base branch's "
                  "apply): " + ", ".join(f"`{s}`" for s in verdict.policy_ignored)]
    return "\n".join([*lines, "", checklist_markdown(report.audits)])


# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``audit_report.json``: what the audits found, as a typed document with a schema version.

The untrusted PR job writes it; the trusted report job, promotion and ``modelgate trace``
read it back, so the model is strict (unknown keys, wrong types and oversized strings are
refused) and is the one definition both sides share.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from modelgate.markdown import code_span, escape_md, escape_md_code

REPORT_SCHEMA_VERSION: Literal[1] = 1
REPORT_FILE = "audit_report.json"
CHECKLIST_FILE = "checklist.md"
CARD_MD_FILE = "model_card.md"
CARD_JSON_FILE = "model_card.json"
MCT_FILE = "model_card.mct.json"
METADATA_FILE = "run_metadata.json"
# the PR job's evidence for the trusted jobs (see modelgate.bot.check.evidence and
# modelgate.bot.check.production_gate)
EVAL_ROWS_FILE = "evaluation_rows.json"
PREDICTIONS_FILE = "candidate_predictions.json"

Sha = Annotated[str, Field(pattern=r"^([0-9a-f]{40}|[0-9a-f]{64}|unversioned)$")]
ShortText = Annotated[str, Field(max_length=2000)]
AuditId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

STATUS_ICON = {"pass": "✅", "fail": "❌", "error": "⚠️"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AuditEntry(_Strict):
    id: AuditId
    title: ShortText
    status: Literal["pass", "fail", "error"]
    summary: ShortText
    details: dict[str, Any] = Field(default_factory=dict)
    duration_s: Annotated[float, Field(ge=0.0)] = 0.0


class ComputedBy(_Strict):
    """Who computed a report when it was not the PR job: the trusted verdict
    (``modelgate verdict``), run by the default branch's modelgate at ``modelgate_commit``.

    A reader trusts this only by where the report came from (the trusted job's output),
    never by the field itself: a PR job could write it too."""

    kind: Literal["trusted_verdict"] = "trusted_verdict"
    modelgate_commit: Sha
    base_config_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    pr_config_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None
    claims: Annotated[list[ShortText], Field(max_length=20)] = Field(default_factory=list)


class AuditReport(_Strict):
    schema_version: Literal[1] = REPORT_SCHEMA_VERSION
    kind: Literal["modelgate.audit_report"] = "modelgate.audit_report"
    model_name: ShortText
    commit: Sha
    run_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")] | None
    model_version: Annotated[str, Field(pattern=r"^[0-9]{1,9}$")] | None
    data_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None
    model_fingerprint: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None
    started_at: ShortText
    finished_at: ShortText
    duration_s: Annotated[float, Field(ge=0.0)]
    passed: bool
    audits: Annotated[list[AuditEntry], Field(min_length=1, max_length=50)]
    computed_by: ComputedBy | None = None  # None: the PR job's own (advisory) report

    @model_serializer(mode="wrap")
    def _without_empty_computed_by(self, handler: SerializerFunctionWrapHandler) -> Any:
        # the PR job's report stays byte for byte what it was before the field existed
        data = handler(self)
        if isinstance(data, dict) and data.get("computed_by") is None:
            data.pop("computed_by", None)
        return data

    def failing(self) -> list[AuditEntry]:
        return [a for a in self.audits if a.status != "pass"]


GATE_AUDIT = "performance_gate"
GATE_VS_BASELINE = "Better than the {name} (no production model yet)"
GATE_VS_PRODUCTION = "Strictly better than {name}"
GATE_UNCHANGED = "Unchanged from {name}: a settings-only change"


def checklist_title(audit: AuditEntry) -> str:
    """The checklist label, saying what was compared: the performance gate's title alone
    ("Strictly better than production") would be ticked against a baseline too."""
    reference = audit.details.get("reference") if audit.id == GATE_AUDIT else None
    if not isinstance(reference, dict) or not reference.get("name"):
        return audit.title
    name = str(reference["name"])
    if reference.get("version") is None:
        return GATE_VS_BASELINE.format(name=name)
    if audit.details.get("unchanged_model") is True:
        return GATE_UNCHANGED.format(name=name)
    return GATE_VS_PRODUCTION.format(name=name)


def checklist_markdown(audits: list[AuditEntry]) -> str:
    """The checklist as GitHub task-list Markdown; every string from the report is escaped."""
    lines = []
    for audit in audits:
        box = "x" if audit.status == "pass" else " "
        title = escape_md(checklist_title(audit))
        lines.append(f"- [{box}] {STATUS_ICON[audit.status]} **{title}** "
                     f"({code_span(audit.id)}): {escape_md_code(audit.summary)}")
    return "\n".join(lines)

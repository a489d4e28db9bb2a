# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The model card: a typed JSON twin built from the run and the audits, rendered to
Markdown for the PR comment and ``model_cards/``, and exported in the Model Card Toolkit
schema.

The JSON twin is the source of truth; Markdown is always rendered from it, with every
string that came from data, configuration or a PR escaped, so the trusted bot can
re-render a card from an untrusted artifact without trusting its Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.check.report import STATUS_ICON, AuditEntry
from modelgate.errors import ModelgateError
from modelgate.markdown import escape_md

CARD_SCHEMA_VERSION: Literal[1] = 1
MAX_CARD_JSON_BYTES = 2_000_000
MCT_SCHEMA_VERSION = "0.0.2"
REQUIRED_SECTIONS = (
    "overview", "intended_use", "out_of_scope_use", "training_data", "performance",
    "subgroups", "limitations", "lineage", "checklist", "approvals",
)
Text = Annotated[str, Field(max_length=5000)]


class CardError(ModelgateError):
    """A card JSON document that does not validate."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Overview(_Strict):
    name: Text
    version: Text | None
    description: Text
    model_type: Text
    pipeline: Text
    threshold: float
    positive_class: Text
    negative_class: Text
    owners: list[Text]
    created_at: Text
    task: Text = "binary"
    output: Text = ""  # what the model answers, e.g. "P(benign)", "class of alpha, beta"


class TrainingData(_Strict):
    path: Text
    rows: int
    columns: int
    feature_count: int
    features: list[Text]
    train_rows: int
    test_rows: int
    sha256: Text
    collected: Text
    license: Text
    source: Text
    doi: Text
    pii_status: Text
    pii_certified_by: Text
    feature_types: dict[Text, Text] = {}  # feature -> "categorical, nullable" (non-plain only)


class MetricRow(_Strict):
    name: Text
    value: float | None
    ci95: list[float] | None = None
    reference: float | None = None


class Performance(_Strict):
    primary_metric: Text
    evaluation_rows: int
    reference_name: Text
    reference_version: Text | None
    delta: float | None
    delta_ci95: list[float] | None
    metrics: list[MetricRow]
    floors: dict[str, float]
    ceilings: dict[str, float] = {}
    unchanged_model: bool = False


class SubgroupRow(_Strict):
    group: Text
    band: Text
    rows: int
    accuracy: float | None
    recall: float | None
    auc: float | None
    status: Text


class Subgroups(_Strict):
    max_gap: dict[str, float]
    min_size: int
    rows: list[SubgroupRow]


class Lineage(_Strict):
    data_sha256: Text
    run_id: Text | None
    model_version: Text | None
    commit: Text
    tracking_uri: Text | None
    pull_request: int | None = None


class ChecklistItem(_Strict):
    id: Text
    title: Text
    status: Literal["pass", "fail", "error", "pending"]
    summary: Text


class ModelCard(_Strict):
    schema_version: Literal[1] = CARD_SCHEMA_VERSION
    kind: Literal["modelgate.model_card"] = "modelgate.model_card"
    overview: Overview
    intended_use: Text
    out_of_scope_use: Text
    training_data: TrainingData
    performance: Performance
    subgroups: Subgroups
    limitations: Text
    risks: list[Text]
    lineage: Lineage
    checklist: list[ChecklistItem]
    approvals: dict[str, Any] | None = None


def checklist_of(audits: Sequence[AuditEntry]) -> list[ChecklistItem]:
    """The card's checklist: one item per audit result, in order."""
    return [ChecklistItem(id=a.id, title=a.title, status=a.status, summary=a.summary)
            for a in audits]


def load_card_json(data: bytes) -> ModelCard:
    """Strictly validate a card's JSON twin (size-capped, UTF-8, schema-checked)."""
    if len(data) > MAX_CARD_JSON_BYTES:
        raise CardError(f"model card JSON is {len(data)} bytes; the limit is {MAX_CARD_JSON_BYTES}")
    try:
        return ModelCard.model_validate_json(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CardError(f"model card JSON is invalid at {where}: {first['msg']}") from exc


# ------------------------------------------------------------------------- building


def _float(value: Any) -> float | None:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if out != out else out  # NaN -> None


def performance_from_gate(perf: dict[str, Any], run_metrics: dict[str, float]) -> Performance:
    """The card's performance section from the gate's evidence (also after the report job
    judged the gate again against production)."""
    cand = perf.get("candidate", {})
    ref = perf.get("reference", {})
    cis = cand.get("ci95", {})
    rows = []
    names = list(cand.get("metrics") or run_metrics) or ["accuracy", "precision", "recall",
                                                         "f1", "roc_auc"]
    for name in names:
        value = cand.get("metrics", {}).get(name, run_metrics.get(name))
        rows.append(MetricRow(name=name, value=_float(value), ci95=cis.get(name),
                              reference=_float(ref.get("metrics", {}).get(name))))
    boot = perf.get("bootstrap", {})
    return Performance(
        primary_metric=str(perf.get("primary_metric", "")),
        evaluation_rows=int(perf.get("evaluation_rows", 0)),
        reference_name=str(ref.get("name", "not evaluated")),
        reference_version=ref.get("version"),
        delta=_float(perf.get("delta")),
        delta_ci95=boot.get("ci95"),
        metrics=rows,
        floors={k: float(v) for k, v in perf.get("floors", {}).items()},
        ceilings={k: float(v) for k, v in perf.get("ceilings", {}).items()},
        unchanged_model=bool(perf.get("unchanged_model", False)),
    )


def _output(gov: Any) -> str:
    """What the served model answers, in words."""
    if gov.task == "regression":
        unit = f" ({gov.data.target.unit})" if gov.data.target.unit else ""
        return f"a predicted {gov.data.target.column}{unit}"
    if gov.task == "multiclass":
        return "P(class) for each of " + ", ".join(gov.class_names)
    return f"P({gov.data.target.positive_class}), threshold {gov.estimator.threshold}"


def _feature_types(gov: Any) -> dict[str, str]:
    return {f.name: f.type + (", nullable" if f.nullable else "")
            for f in gov.data.specs if f.type != "numeric" or f.nullable}


def _subgroups(bias: dict[str, Any]) -> Subgroups:
    rows = []
    for group in bias.get("groups", []):
        for band in group.get("bands", []):
            m = band.get("metrics", {})
            rows.append(SubgroupRow(
                group=str(group.get("name")), band=str(band.get("label")),
                rows=int(m.get("n", 0)), accuracy=_float(m.get("accuracy")),
                recall=_float(m.get("recall")), auc=_float(m.get("auc", m.get("roc_auc"))),
                status=str(band.get("status")),
            ))
    return Subgroups(max_gap={k: float(v) for k, v in bias.get("max_gap", {}).items()},
                     min_size=int(bias.get("min_size", 0)), rows=rows)


def build_card(
    *, config: Any, dataset: Any, split: Any, train: dict[str, Any],
    results: list[AuditEntry], created_at: datetime,
) -> ModelCard:
    """Assemble the card from configuration, data manifest, training result and audits.

    ``train`` holds run_id, version, metrics, commit, tracking_uri, model_type, pipeline.
    """
    gov = config.governance
    by_id = {r.id: r for r in results}
    manifest = dataset.manifest.raw
    risks = [f"{r.title}: {r.summary}" for r in results if r.status != "pass"]
    small = [f"subgroup {row.group}/{row.band} has only {row.rows} test rows"
             for row in _subgroups(_details(by_id, "bias")).rows if row.status == "too_small"]
    return ModelCard(
        overview=Overview(
            name=gov.model.name, version=train.get("version"),
            description=gov.model.description or gov.model.intended_use,
            model_type=str(train.get("model_type", "")), pipeline=str(train.get("pipeline", "")),
            threshold=gov.estimator.threshold, positive_class=gov.data.target.positive_class,
            negative_class=gov.data.target.negative_class, owners=list(gov.model.owners),
            created_at=created_at.isoformat(timespec="seconds"),
            task=gov.task, output=_output(gov),
        ),
        intended_use=gov.model.intended_use,
        out_of_scope_use=gov.model.out_of_scope_use,
        training_data=TrainingData(
            path=gov.data.path.as_posix(), rows=dataset.shape[0], columns=dataset.shape[1],
            feature_count=len(dataset.features), features=list(dataset.features),
            train_rows=len(split.train), test_rows=len(split.test), sha256=dataset.sha256,
            collected=str(manifest.get("collected", "not stated")),
            license=dataset.manifest.license, source=dataset.manifest.source,
            doi=str(manifest.get("doi", "")), pii_status=dataset.manifest.pii_status,
            pii_certified_by=dataset.manifest.pii_certified_by,
            feature_types=_feature_types(gov),
        ),
        performance=performance_from_gate(_details(by_id, "performance_gate"),
                                          train.get("metrics", {})),
        subgroups=_subgroups(_details(by_id, "bias")),
        limitations=gov.model.limitations,
        risks=risks + small,
        lineage=Lineage(data_sha256=dataset.sha256, run_id=train.get("run_id"),
                        model_version=train.get("version"), commit=str(train.get("commit")),
                        tracking_uri=train.get("tracking_uri")),
        checklist=checklist_of(results),
        approvals=pending_approvals(config),
    )


def pending_approvals(config: Any) -> dict[str, Any]:
    """The approval table before anyone approved: every configured role, pending."""
    def text(required: int) -> str:
        return "pending" if required == 1 else f"pending (0 of {required})"

    return {"roles": [{"name": r.name, "required": r.required, "approvers": [],
                       "satisfied": False, "status": "pending", "status_text": text(r.required)}
                      for r in config.governance.approval.roles],
            "hold": {"held": False, "by": [], "since": None}, "history": []}


def _details(by_id: dict[str, AuditEntry], audit_id: str) -> dict[str, Any]:
    entry = by_id.get(audit_id)
    return entry.details if entry is not None else {}


# ------------------------------------------------------------------------- rendering


def _mermaid_text(value: object) -> str:
    """A Mermaid label cannot hold quotes or angle brackets unescaped."""
    text = " ".join(str(value).split())[:80]
    for raw, entity in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(raw, entity)
    return text


def _num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ci(ci: list[float] | None, signed: bool = False) -> str:
    if not ci:
        return "n/a"
    fmt = "{:+.4f}" if signed else "{:.4f}"
    return f"{fmt.format(ci[0])} to {fmt.format(ci[1])}"


def _front_matter(card: ModelCard) -> str:
    """Hugging Face-style YAML metadata with a ``model-index``; dumped, never templated."""
    meta = {
        "license": card.training_data.license,
        "tags": ["tabular-classification", "modelgate"],
        "model-index": [{
            "name": card.overview.name,
            "results": [{
                "task": {"type": "tabular-classification"},
                "dataset": {"name": card.training_data.source, "type": "tabular",
                            "revision": card.training_data.sha256},
                "metrics": [{"type": m.name, "name": f"{m.name} (test split)",
                             "value": round(m.value, 6), "verified": False}
                            for m in card.performance.metrics if m.value is not None],
            }],
        }],
    }
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---"


_ENV = Environment(
    loader=PackageLoader("bot.check", "templates"),
    undefined=StrictUndefined,
    # HTML-escape anything a filter did not already make safe; |md also escapes Markdown
    autoescape=True,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["md"] = lambda value, limit=500: Markup(escape_md(value, limit=limit))  # nosec B704
_ENV.filters["mermaid"] = lambda value: Markup(_mermaid_text(value))  # nosec B704 - escaped
_ENV.filters["num"] = _num
_ENV.filters["ci"] = _ci
_ENV.globals["icon"] = {**STATUS_ICON, "pending": "⏳"}


def render_markdown(card: ModelCard, *, approvals: dict[str, Any] | None = None,
                    front_matter: bool = True) -> str:
    """The card as Markdown; ``approvals`` is ``ApprovalState.to_json()`` when known."""
    approvals = approvals if approvals is not None else card.approvals
    body = _ENV.get_template("model_card.md.j2").render(card=card, approvals=approvals)
    return (_front_matter(card) + "\n\n" + body) if front_matter else body


# ------------------------------------------------------------------------- exports


def to_mct(card: ModelCard) -> dict[str, Any]:
    """The card in the Model Card Toolkit schema v0.0.2 (values are strings there)."""
    metrics = []
    for m in card.performance.metrics:
        if m.value is None:
            continue
        entry: dict[str, Any] = {"type": m.name, "value": f"{m.value:.6f}", "slice": "overall"}
        if m.ci95:
            entry["confidence_interval"] = {"lower_bound": f"{m.ci95[0]:.6f}",
                                            "upper_bound": f"{m.ci95[1]:.6f}"}
        metrics.append(entry)
    for row in card.subgroups.rows:
        if row.accuracy is not None:
            metrics.append({"type": "accuracy", "value": f"{row.accuracy:.6f}",
                            "slice": f"{row.group}={row.band}"})
    return {
        "schema_version": MCT_SCHEMA_VERSION,
        "model_details": {
            "name": card.overview.name,
            "overview": card.overview.description,
            "owners": [{"name": o} for o in card.overview.owners],
            "version": {"name": str(card.overview.version or "unregistered"),
                        "date": card.overview.created_at},
            "licenses": [{"identifier": card.training_data.license}],
            "path": f"models:/{card.overview.name}/{card.overview.version}",
        },
        "model_parameters": {
            "model_architecture": card.overview.pipeline,
            "data": [{"name": card.training_data.source,
                      "description": f"{card.training_data.rows} rows, sha256 "
                                     f"{card.training_data.sha256}"}],
            "input_format": f"{card.training_data.feature_count} features"
                            + ("" if card.training_data.feature_types else ", all numeric"),
            "output_format": card.overview.output or f"P({card.overview.positive_class})",
        },
        "quantitative_analysis": {"performance_metrics": metrics},
        "considerations": {
            "use_cases": [{"description": card.intended_use}],
            "limitations": [{"description": card.limitations}]
            + [{"description": r} for r in card.risks],
            "ethical_considerations": [{"name": "out-of-scope use",
                                        "mitigation_strategy": card.out_of_scope_use}],
        },
    }


def mct_schema_errors(document: dict[str, Any], schema_path: Path) -> list[str]:
    """Validation errors of an MCT document against the given schema file."""
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in validator.iter_errors(document)]


def write_card(card: ModelCard, out_dir: Path) -> dict[str, Path]:
    """Write Markdown, JSON twin and MCT export; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"md": out_dir / "model_card.md", "json": out_dir / "model_card.json",
             "mct": out_dir / "model_card.mct.json"}
    paths["md"].write_text(render_markdown(card), encoding="utf-8")
    paths["json"].write_text(card.model_dump_json(indent=2), encoding="utf-8")
    paths["mct"].write_text(json.dumps(to_mct(card), indent=2), encoding="utf-8")
    return paths

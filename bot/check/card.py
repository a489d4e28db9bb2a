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

import html
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
)

from modelgate.bot.check.report import STATUS_ICON, AuditEntry, checklist_title
from modelgate.errors import ModelgateError
from modelgate.governance import higher_is_better
from modelgate.markdown import code_span, escape_md, escape_md_code, link

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


class Confusion(_Strict):
    """Counts on the evaluation set: rows are the true class, columns the predicted one."""

    labels: Annotated[list[Text], Field(min_length=2, max_length=50)]
    counts: list[list[Annotated[int, Field(ge=0)]]]


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
    confusion: Confusion | None = None  # classification only

    @model_serializer(mode="wrap")
    def _without_missing_confusion(self, handler: SerializerFunctionWrapHandler) -> Any:
        # regression has none, and a card from before the field existed stays as it was
        data = handler(self)
        if isinstance(data, dict) and data.get("confusion") is None:
            data.pop("confusion", None)
        return data


class SubgroupRow(_Strict):
    group: Text
    band: Text
    rows: int
    accuracy: float | None
    recall: float | None
    auc: float | None
    status: Text
    gaps: dict[Text, float] = {}  # metric -> |band - overall| (the bias audit's judgement)


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
    return [ChecklistItem(id=a.id, title=checklist_title(a), status=a.status, summary=a.summary)
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
        confusion=_confusion(cand.get("confusion")),
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


def _confusion(value: Any) -> Confusion | None:
    """The gate's confusion matrix (``{"labels": [...], "counts": [[...]]}``), if it sent one
    that is square and matches its labels; anything else is left out, not guessed."""
    if not isinstance(value, dict):
        return None
    try:
        confusion = Confusion.model_validate(value)
    except ValidationError:
        return None
    size = len(confusion.labels)
    if len(confusion.counts) != size or any(len(row) != size for row in confusion.counts):
        return None
    return confusion


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
                gaps={str(k): float(v) for k, v in (band.get("gaps") or {}).items()
                      if _float(v) is not None},
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


STRIP_WIDTH = 25  # characters of an interval strip (odd, so 0 sits in the middle)


def _improvement(metric: str, value: float, reference: float) -> float:
    """Candidate minus reference, sign flipped where lower is better (mae, rmse)."""
    return value - reference if higher_is_better(metric) else reference - value


def _strip(lo: float, point: float, hi: float, scale: float) -> str:
    """A monospace picture of an interval on ``[-scale, scale]``: ``│`` is 0 (no change),
    ``━`` the 95% CI, ``●`` the estimate; right of ``│`` is better."""
    half = STRIP_WIDTH // 2

    def at(x: float) -> int:
        return max(0, min(STRIP_WIDTH - 1, half + round(x / scale * half)))

    cells = ["·"] * STRIP_WIDTH
    for i in range(at(lo), at(hi) + 1):
        cells[i] = "━"
    if cells[half] == "·":
        cells[half] = "│"
    cells[at(point)] = "●"
    return "".join(cells)


def comparison_rows(card: ModelCard) -> list[dict[str, Any]]:
    """Per metric: the candidate's improvement over the reference with its 95% CI, as
    numbers and as a strip on one axis (one per row for regression, whose metrics do not
    share a unit). The primary metric's CI is the paired bootstrap of the difference; the
    others' are the candidate's own CI less the reference's value."""
    perf = card.performance
    rows: list[dict[str, Any]] = []
    for m in perf.metrics:
        if m.value is None or m.reference is None:
            continue
        delta = _improvement(m.name, m.value, m.reference)
        if m.name == perf.primary_metric and perf.delta_ci95:
            lo, hi = perf.delta_ci95[0], perf.delta_ci95[1]
        elif m.ci95:
            a = _improvement(m.name, m.ci95[0], m.reference)
            b = _improvement(m.name, m.ci95[1], m.reference)
            lo, hi = min(a, b), max(a, b)
        else:
            lo = hi = delta
        verdict = "better" if lo > 0 else "worse" if hi < 0 else "no clear difference"
        rows.append({"name": m.name, "primary": m.name == perf.primary_metric,
                     "value": m.value, "reference": m.reference, "delta": delta,
                     "ci": [lo, hi], "verdict": verdict})
    shared = max((max(abs(r["ci"][0]), abs(r["ci"][1]), abs(r["delta"])) for r in rows),
                 default=0.0)
    for r in rows:
        own = max(abs(r["ci"][0]), abs(r["ci"][1]), abs(r["delta"]))
        scale = (own if card.overview.task == "regression" else shared) or 1.0
        r["strip"] = code_span(_strip(r["ci"][0], r["delta"], r["ci"][1], scale * 1.05))
    return rows


def confusion_rows(card: ModelCard) -> list[dict[str, Any]]:
    """The confusion matrix as table rows with each class's recall (its row) and
    precision (its column)."""
    confusion = card.performance.confusion
    if confusion is None:
        return []
    counts = confusion.counts
    rows = []
    for i, label in enumerate(confusion.labels):
        actual = sum(counts[i])
        predicted = sum(row[i] for row in counts)
        rows.append({"label": label, "counts": counts[i],
                     "recall": counts[i][i] / actual if actual else None,
                     "precision": counts[i][i] / predicted if predicted else None})
    return rows


def subgroup_gaps(card: ModelCard) -> list[dict[str, Any]]:
    """Per judged band: its largest gap as a share of that metric's limit (1.0 = at it)."""
    limits = card.subgroups.max_gap
    out = []
    for row in card.subgroups.rows:
        shares = {k: v / limits[k] for k, v in row.gaps.items() if limits.get(k)}
        if row.status == "too_small" or not shares:
            continue
        worst = max(shares, key=lambda k: (shares[k], k))
        out.append({"label": f"{row.group}: {row.band}", "metric": worst,
                    "gap": row.gaps[worst], "limit": limits[worst],
                    "percent": round(100 * shares[worst], 1)})
    return out


def _axis_top(values: Sequence[float]) -> int:
    """A round top for a percentage axis that always shows the 100% limit."""
    top = max([125.0, *values])
    return int(-(-top // 25) * 25)


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
    loader=PackageLoader("modelgate.bot.check", "templates"),
    undefined=StrictUndefined,
    # HTML-escape anything a filter did not already make safe; |md also escapes Markdown
    autoescape=True,
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["md"] = lambda value, limit=500: Markup(escape_md(value, limit=limit))  # nosec B704
_ENV.filters["mdcode"] = lambda value, limit=500: Markup(  # nosec B704 - escaped
    escape_md_code(value, limit=limit))
_ENV.filters["mermaid"] = lambda value: Markup(_mermaid_text(value))  # nosec B704 - escaped
_ENV.filters["num"] = _num
_ENV.filters["ci"] = _ci
_ENV.filters["code"] = lambda value, limit=200: Markup(code_span(value, limit=limit))  # nosec B704
# raw HTML (a <summary>): Markdown is not parsed there, so only HTML escaping, no backslashes
_ENV.filters["html"] = lambda value: Markup(  # nosec B704 - escaped
    html.escape(" ".join(str(value).split())[:200]).replace("@", "&#64;"))
_ENV.filters["signed"] = lambda value, digits=4: "n/a" if value is None else f"{value:+.{digits}f}"
_ENV.filters["span"] = lambda ci, signed=False: (
    "n/a" if not ci else "{:{f}} to {:{f}}".format(ci[0], ci[1], f="+.3f" if signed else ".3f"))
_ENV.globals["comparison_rows"] = comparison_rows
_ENV.globals["confusion_rows"] = confusion_rows
_ENV.globals["subgroup_gaps"] = subgroup_gaps
_ENV.globals["axis_top"] = _axis_top
_ENV.globals["source_link"] = lambda source: Markup(source_link(source))  # nosec B704


def source_link(source: Any) -> str:
    """Where an approval or a hold was given, as an escaped link (``kind id``)."""
    if not isinstance(source, dict):
        return "—"
    return link(f"{source.get('kind', '')} {source.get('id', '')}".strip() or "source",
                source.get("url"))
_ENV.globals["icon"] = {**STATUS_ICON, "pending": "⏳"}


def render_markdown(card: ModelCard, *, approvals: dict[str, Any] | None = None,
                    front_matter: bool = True, comment: bool = False) -> str:
    """The card as Markdown; ``approvals`` is ``ApprovalState.to_json()`` when known.

    ``comment``: the PR comment's layout: the checklist and the approvals first, then
    every other section folded in a ``<details>`` block (the released card reads as a
    document, in the handbook's order)."""
    approvals = approvals if approvals is not None else card.approvals
    body = _ENV.get_template("model_card.md.j2").render(card=card, approvals=approvals,
                                                         comment=comment)
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

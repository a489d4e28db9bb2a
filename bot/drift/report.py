# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The drift report as people read it: Markdown with PNG charts, plus its JSON twin.

The same Markdown goes into the job summary and the GitHub issue, where a relative image
cannot render, so it is drawn in two flavours: with charts (the report directory) and
with a pointer to them (the issue and the summary). Every string that came from a log,
the registry or the configuration is escaped.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from modelgate.bot.drift.stats import (
    OUTCOME_DRIFT,
    OUTCOME_INSUFFICIENT,
    OUTCOME_NO_DRIFT,
    DriftResult,
    FeatureDrift,
    PredictionDrift,
)
from modelgate.markdown import code_span, escape_md

if TYPE_CHECKING:
    from matplotlib.figure import Figure

REPORT_MD = "drift_report.md"
REPORT_JSON = "drift_report.json"
PLOTS_DIR = "plots"
OVERVIEW_PNG = "psi_overview.png"
PREDICTION_PNG = "prediction.png"
DPI = 100

HEADLINE = {
    OUTCOME_DRIFT: "🔴 Drift detected",
    OUTCOME_NO_DRIFT: "🟢 No drift",
    OUTCOME_INSUFFICIENT: "⚪ Insufficient data (neither pass nor fail)",
}
STATUS_DRIFT = "🔴 drift"
STATUS_NOT_SIGNIFICANT = "🟡 PSI high, not significant"
STATUS_OK = "🟢 ok"
TEST_TEXT = {
    "ks": "two-sample Kolmogorov-Smirnov (scipy `ks_2samp`) of a seeded reservoir of served "
          "rows against the training split's rows",
    "chi2_binned": "chi-square test of homogeneity (scipy `chi2_contingency`) of served bin "
                   "counts against the baseline's bin counts",
}
NO_CHARTS = "Charts are in the report directory{link}."
METHOD = (
    "PSI compares served shares with the training split's shares in the baseline's bins: "
    "decile bins for a numeric feature (outer bins open), one bin per category for a "
    "categorical or boolean feature plus an other/unseen bin; empty shares are floored at "
    "1e-4. A missing value is in no bin: each feature's share of missing values is compared "
    "with the training split's on its own (PSI over missing/present and a chi-square test). "
    "A feature drifts when its values' PSI, or its missing share's PSI, is above {psi} "
    "**and** the matching test gives p < {alpha}: PSI says the shift is large enough to "
    "matter, the test that it is not sampling noise. {prediction} compared with the "
    "training run's held-out predictions and judged the same way against {pred_psi}. "
    "Requests that failed validation, errored or came from another "
    "model version are counted above and left out of every statistic."
)
PREDICTION_METHOD = {
    "p_positive": "The prediction distribution is P({positive}) in ten fixed bins,",
    "class": "The prediction distribution is the predicted class, one bin per class,",
    "value": "The prediction distribution is the predicted value in the training "
             "predictions' decile bins,",
}
PREDICTION_TITLE = {"p_positive": "P({positive})", "class": "predicted class",
                    "value": "predicted value"}
KIND_TEXT = {"numeric": "numeric", "categorical": "categorical", "boolean": "boolean"}

COLOR_DRIFT = "#d73a49"
COLOR_WARN = "#dbab09"
COLOR_OK = "#6a737d"
COLOR_BASELINE = "#0366d6"
COLOR_SERVED = "#f66a0a"


@dataclass(frozen=True)
class ReportFiles:
    markdown: Path
    json: Path
    plots: tuple[Path, ...]


def feature_png(index: int, name: str) -> str:
    """A file name that any feature name maps to safely (and uniquely, by position)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", name)[:60].strip("_") or "feature"
    return f"feature_{index:02d}_{slug}.png"


def _num(value: float | None, spec: str = ".4g") -> str:
    return "n/a" if value is None else format(value, spec)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _status(feature: FeatureDrift) -> str:
    if feature.drifted:
        return STATUS_DRIFT
    return STATUS_NOT_SIGNIFICANT if feature.psi_over else STATUS_OK


def _verdict(result: DriftResult) -> str:
    if result.outcome == OUTCOME_DRIFT:
        parts = []
        if result.drifted_features:
            names = ", ".join(code_span(n) for n in result.drifted_features)
            parts.append(f"{len(result.drifted_features)} feature(s) ({names})")
        if result.prediction_drifted:
            parts.append("the prediction distribution")
        return f"**{HEADLINE[result.outcome]}** in {' and '.join(parts)}."
    if result.outcome == OUTCOME_NO_DRIFT:
        return (f"**{HEADLINE[result.outcome]}**: every feature and the prediction "
                "distribution are within the thresholds.")
    return f"**{HEADLINE[result.outcome]}**."


def _overview_table(result: DriftResult) -> list[str]:
    m, c, t = result.model, result.counts, result.thresholds
    alias = f" (alias {code_span(m.alias)})" if m.alias else ""
    seen = (f"{escape_md(c.first_seen)} → {escape_md(c.last_seen)}"
            if c.first_seen else "n/a")
    return [
        "| | |",
        "| --- | --- |",
        f"| Model | {code_span(m.name)} version {code_span(m.version)}{alias} |",
        f"| Source run | {code_span(m.run_id)} |",
        f"| Traffic | {escape_md(result.source.describe())} |",
        f"| Scored between | {seen} |",
        f"| Scored | {c.scored_requests} request(s), {c.scored_records} record(s), "
        f"{c.feature_rows} with features |",
        f"| Thresholds | feature PSI > {t.psi_threshold:g} and p < {t.ks_pvalue:g}; "
        f"prediction PSI > {t.prediction_psi_threshold:g}; at least {t.min_requests} "
        "records |",
        f"| Two-sample test | {TEST_TEXT[result.test]} |",
        f"| Reference | {escape_md(result.reference)} |",
        f"| Generated | {escape_md(result.generated_at)} |",
    ]


def _prediction_section(p: PredictionDrift, *, charts: bool, positive: str) -> list[str]:
    title = PREDICTION_TITLE[p.kind].format(positive=escape_md(positive))
    lines = [
        "### Prediction distribution",
        "",
        f"Kind: **{title}**.",
        "",
        "| | served | training baseline |",
        "| --- | --- | --- |",
    ]
    if p.kind == "p_positive":
        lines += [
            f"| mean P({escape_md(positive)}) | {p.served_mean:.3f} | {p.baseline_mean:.3f} |",
            f"| predicted {escape_md(positive)} (threshold {_num(p.threshold, 'g')}) | "
            f"{_pct(p.served_positive_rate)} | {_pct(p.baseline_positive_rate)} |",
        ]
    elif p.kind == "class":
        lines += [f"| predicted {escape_md(label)} | {_pct(s)} | {_pct(b)} |"
                  for label, s, b in zip(p.bin_labels, p.served_fractions,
                                         p.baseline_fractions, strict=True)]
    else:
        lines.append(f"| mean predicted value | {_num(p.served_mean)} | "
                     f"{_num(p.baseline_mean)} |")
    lines += [
        f"| records | {p.served_records} | |",
        "",
        f"PSI **{p.psi:.3f}**, p = {_num(p.pvalue, '.3g')}: "
        f"{'🔴 drift' if p.drifted else '🟢 within threshold'}.",
    ]
    if charts:
        lines += ["", f"![prediction distribution]({PLOTS_DIR}/{PREDICTION_PNG})"]
    return lines


def _feature_section(result: DriftResult, *, charts: bool) -> list[str]:
    lines = ["### Features", ""]
    if charts:
        lines += [f"![PSI per feature]({PLOTS_DIR}/{OVERVIEW_PNG})", ""]
    lines += ["| feature | kind | PSI | p-value | statistic | served mean | baseline mean | "
              "missing (served / training) | status |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for f in result.features:
        numeric = f.kind == "numeric"
        lines.append(f"| {code_span(f.name)} | {KIND_TEXT[f.kind]} | {f.psi:.3f} | "
                     f"{_num(f.pvalue, '.3g')} | {_num(f.statistic, '.3f')} | "
                     f"{_num(f.served_mean) if numeric else '–'} | "
                     f"{_num(f.baseline_mean) if numeric else '–'} | "
                     f"{_pct(f.missing_fraction)} / {_pct(f.baseline_missing_fraction)} | "
                     f"{_status(f)} |")
    drifted = [(j, f) for j, f in enumerate(result.features) if f.drifted]
    if drifted:
        lines += ["", "### Drifted features"]
    for j, f in drifted:
        lines += ["", f"#### {escape_md(f.name)} ({KIND_TEXT[f.kind]})", ""]
        if f.values_drifted:
            lines.append(f"Values: PSI {f.psi:.3f}, p = {_num(f.pvalue, '.3g')}; "
                         + _values_shift(f) + ".")
        if f.missing_drifted:
            lines += [""] if f.values_drifted else []
            lines.append("Missing values: "
                         f"{_pct(f.baseline_missing_fraction)} in training → "
                         f"{_pct(f.missing_fraction)} served (PSI {f.missing_psi:.3f}, "
                         f"p = {_num(f.missing_pvalue, '.3g')}).")
        if charts:
            lines += ["", f"![{escape_md(f.name)}]({PLOTS_DIR}/{feature_png(j, f.name)})"]
    return lines


def _values_shift(f: FeatureDrift) -> str:
    """A numeric feature's mean shift; a category's largest change in share."""
    if f.kind == "numeric":
        shift = (((f.served_mean - f.baseline_mean) / f.baseline_std)
                 if f.baseline_std and f.served_mean is not None else None)
        return (f"mean {_num(f.baseline_mean)} → {_num(f.served_mean)} "
                f"({_num(shift, '+.2f')} training standard deviations)")
    changes = [(s - b, label, b, s) for label, b, s in
               zip(f.bin_labels, f.baseline_fractions, f.served_fractions, strict=True)]
    _, label, before, after = max(changes, key=lambda c: abs(c[0]))
    return f"largest change: {code_span(label)} {_pct(before)} → {_pct(after)} of present values"


def _quality_section(result: DriftResult) -> list[str]:
    c = result.counts
    others = ", ".join(f"{escape_md(v)}: {n}" for v, n in c.other_versions.items()) or "0"
    rows = [
        ("log lines read (not blank)", str(c.lines)),
        ("requests for this version", str(c.requests)),
        ("… scored and compared", str(c.scored_requests)),
        ("… rejected by validation (counted, not compared)", str(c.rejected)),
        ("… server errors (5xx)", str(c.errored)),
        ("… not scoring requests (health, model info)", str(c.not_scored)),
        ("… scored without logged features", str(c.without_features)),
        ("requests for other model versions (skipped)", others),
        ("requests answered with no model loaded", str(c.no_model)),
        ("malformed lines (skipped)", str(c.malformed)),
        ("lines outside the window", str(c.outside_window)),
        ("Lambda platform lines", str(c.platform)),
        ("other events (bundle loads)", str(c.other_events)),
        ("chunked requests with missing feature lines", str(c.incomplete_chunked)),
    ]
    lines = ["### Input quality", "", "| | count |", "| --- | ---: |"]
    lines += [f"| {label} | {value} |" for label, value in rows]
    if c.problems:
        shown = len(c.problems)
        lines += ["", f"Malformed lines (first {shown} of {c.malformed}):", ""]
        lines += [f"- {code_span(p.where)}: {escape_md(p.reason)}" for p in c.problems]
    return lines


def render_markdown(result: DriftResult, *, charts: bool = True, positive_class: str = "positive",
                    details_url: str | None = None) -> str:
    """The report; ``charts=False`` for places where relative images cannot render."""
    m = result.model
    lines = [f"## Drift report: {code_span(m.name)} version {code_span(m.version)}", "",
             _verdict(result), ""]
    lines += [f"> ⚠️ {escape_md(msg, limit=1000)}" for msg in result.messages]
    if result.messages:
        lines.append("")
    lines += _overview_table(result)
    if not charts and (result.prediction or result.features):
        link = f" of [the workflow run]({details_url})" if details_url else ""
        lines += ["", NO_CHARTS.format(link=link)]
    if result.prediction:
        lines += ["", *_prediction_section(result.prediction, charts=charts,
                                           positive=positive_class)]
    if result.features:
        lines += ["", *_feature_section(result, charts=charts)]
    kind = result.prediction.kind if result.prediction else "p_positive"
    prediction = PREDICTION_METHOD[kind].format(positive=escape_md(positive_class))
    lines += ["", *_quality_section(result), "", "### Method", "",
              METHOD.format(psi=result.thresholds.psi_threshold, alpha=result.thresholds.ks_pvalue,
                            pred_psi=result.thresholds.prediction_psi_threshold,
                            prediction=prediction)]
    return "\n".join(lines) + "\n"


# --- charts --------------------------------------------------------------------------------


def _png(fig: Figure) -> bytes:
    """PNG bytes without a timestamp or version in the metadata, so equal input gives
    equal files; drawn on a private Agg canvas (no pyplot state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def overview_png(result: DriftResult) -> bytes:
    """PSI per feature as horizontal bars with the threshold line."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    features = result.features
    fig = Figure(figsize=(8, 1.5 + 0.28 * len(features)), layout="constrained")
    ax = fig.add_subplot()
    ys = list(range(len(features)))[::-1]
    colors = [COLOR_DRIFT if f.drifted else COLOR_WARN if f.psi_over else COLOR_OK
              for f in features]
    ax.barh(ys, [f.psi for f in features], color=colors)
    ax.set_yticks(ys, [f.name for f in features], fontsize=8)
    threshold = result.thresholds.psi_threshold
    ax.axvline(threshold, color=COLOR_DRIFT, linestyle="--", linewidth=1,
               label=f"threshold {threshold:g}")
    ax.set_xlabel("population stability index (served vs training split)")
    ax.set_title(f"{result.model.name} v{result.model.version}: PSI per feature")
    handles = [*ax.get_legend_handles_labels()[0],
               Patch(color=COLOR_DRIFT, label="drift"),
               Patch(color=COLOR_WARN, label="PSI high, not significant"),
               Patch(color=COLOR_OK, label="ok")]
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    return _png(fig)


def bins_png(title: str, labels: Sequence[str], baseline: Sequence[float],
             served: Sequence[float]) -> bytes:
    """Baseline and served shares per bin, side by side."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.add_subplot()
    xs = range(len(baseline))
    width = 0.4
    ax.bar([x - width / 2 for x in xs], baseline, width, color=COLOR_BASELINE,
           label="training split")
    ax.bar([x + width / 2 for x in xs], served, width, color=COLOR_SERVED, label="served")
    ax.set_xticks(list(xs), list(labels), rotation=35, ha="right", fontsize=7)
    ax.set_ylabel("share of rows")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return _png(fig)


def write_report(result: DriftResult, out_dir: Path, *, positive_class: str = "positive",
                 details_url: str | None = None) -> ReportFiles:
    """Write the Markdown, the JSON twin and the charts into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plots_dir = out_dir / PLOTS_DIR
    plots: list[Path] = []

    def save(name: str, data: bytes) -> None:
        plots_dir.mkdir(exist_ok=True)
        (plots_dir / name).write_bytes(data)
        plots.append(plots_dir / name)

    p = result.prediction
    if p is not None:
        title = PREDICTION_TITLE[p.kind].format(positive=positive_class)
        save(PREDICTION_PNG, bins_png(f"{title}: served vs training split",
                                      p.bin_labels, p.baseline_fractions, p.served_fractions))
    if result.features:
        save(OVERVIEW_PNG, overview_png(result))
    for j, f in enumerate(result.features):
        if f.drifted:
            save(feature_png(j, f.name),
                 bins_png(f"{f.name} ({f.kind}): PSI {f.psi:.3f}, missing "
                          f"{f.missing_fraction:.1%} (training {f.baseline_missing_fraction:.1%})",
                          f.bin_labels, f.baseline_fractions, f.served_fractions))
    md = out_dir / REPORT_MD
    md.write_text(render_markdown(result, positive_class=positive_class,
                                  details_url=details_url), encoding="utf-8")
    js = out_dir / REPORT_JSON
    js.write_text(json.dumps(result.to_json(), indent=1, allow_nan=False) + "\n",
                  encoding="utf-8")
    return ReportFiles(markdown=md, json=js, plots=tuple(plots))

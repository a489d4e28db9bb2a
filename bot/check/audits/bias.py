# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Does performance hold across subgroups?

The candidate is scored on the pinned test split, overall and within each subgroup that
``governance.yml`` names: quantile bands of a numeric column (edges from the TRAIN split,
so a band means the same thing from one run to the next) or the values of a categorical
column. A group whose metric strays from the overall metric by more than
``subgroups.max_gap`` fails the audit; a group smaller than ``subgroups.min_size`` is
shown as too small to judge, never hidden.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score

from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.bot.check.audits.performance_gate import candidate_scores
from modelgate.errors import ModelgateError
from modelgate.governance import TASK_METRICS, SubgroupSpec
from modelgate.training.data import MISSING_MARKERS, Dataset, Split

AUDIT_ID = "bias"
TITLE = "Performance holds across subgroups"

GAP_TOLERANCE = 1e-9  # a gap equal to the limit passes, whatever the float rounding
DIGITS = 6
MISSING_LABEL = "(missing)"

NO_GROUPS = (
    "governance.yml configures no subgroups (subgroups.groups is empty), so performance "
    "across subgroups cannot be checked"
)
NO_COLUMN = "subgroup {name!r}: column {column!r} is not in the data file"
NOT_NUMERIC = "subgroup {name!r}: quantile bands need numbers, column {column!r} has {value!r}"
BAD_OUTPUT = (
    "the candidate returned {got} for {rows} test rows; expected {rows} probabilities in [0, 1]"
)
SUMMARY_PASS = (
    "{judged} subgroup(s) within the configured gaps ({limits}); {small} too small to judge"
)
SUMMARY_FAIL = "{n} subgroup gap(s) over the limit: {which}"
VIOLATION = "{group}={band} {metric} {value:.3f} vs {overall:.3f} overall (gap {gap:.3f} > {limit})"


class CandidateOutputError(ModelgateError, ValueError):
    """The candidate's probabilities cannot be scored (wrong length, NaN, outside [0, 1])."""


@dataclass(frozen=True)
class Band:
    label: str
    description: str
    mask: NDArray[np.bool_]  # over the test rows


def metrics(
    y: NDArray[np.int64], pred: NDArray[np.int64], p: NDArray[np.float64]
) -> dict[str, Any]:
    """Counts and metrics for one group; a metric the group cannot define is ``None``."""
    n = len(y)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    positives = int((y == 1).sum())

    def ratio(num: int, den: int) -> float | None:
        return round(num / den, DIGITS) if den else None

    both = 0 < positives < n
    return {
        "n": n,
        "positives": positives,
        "negatives": n - positives,
        "accuracy": ratio(int((pred == y).sum()), n),
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": round(float(roc_auc_score(y, p)), DIGITS) if both else None,
    }


def task_group_metrics(task: str, y: NDArray[Any], scores: NDArray[np.float64],
                       n_classes: int) -> dict[str, Any]:
    """A multiclass or regression group's metrics (None where the group cannot define
    one: no rows, or a class-dependent metric on a group with one class)."""
    from modelgate.training.evaluate import task_metrics

    out: dict[str, Any] = {"n": len(y)}
    names = TASK_METRICS[task]
    if len(y) == 0:
        return {**out, **dict.fromkeys(names)}
    values = task_metrics(task, y, scores.reshape(len(y), -1) if task == "multiclass"
                          else scores)
    for name in names:
        v = values.get(name)
        out[name] = round(float(v), DIGITS) if v is not None and np.isfinite(v) else None
    if task == "multiclass":
        out["classes_present"] = f"{len(np.unique(y))} of {n_classes}"
    return out


def _numeric_column(dataset: Dataset, spec: SubgroupSpec) -> NDArray[np.float64]:
    if spec.column in dataset.features:
        return dataset.X[:, dataset.features.index(spec.column)]
    if spec.column not in dataset.frame.columns:
        raise EvidenceMissing(NO_COLUMN.format(name=spec.name, column=spec.column))
    raw = dataset.frame[spec.column]
    values: NDArray[np.float64] = pd.to_numeric(
        raw.astype(str).str.strip(), errors="coerce"
    ).to_numpy(dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        value = raw.iloc[int(bad[0])]
        raise EvidenceMissing(NOT_NUMERIC.format(name=spec.name, column=spec.column, value=value))
    return values


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def quantile_bands(
    dataset: Dataset, split: Split, spec: SubgroupSpec
) -> tuple[list[Band], list[float]]:
    """Bands from quantiles of the TRAIN split; test rows fall into them by value."""
    assert spec.quantiles is not None
    values = _numeric_column(dataset, spec)
    edges = np.nanquantile(values[split.train], np.linspace(0.0, 1.0, spec.quantiles + 1))
    inner = edges[1:-1]
    test_values = values[split.test]
    band_of = np.searchsorted(inner, test_values, side="right")
    band_of[np.isnan(test_values)] = -1  # a missing value is a group of its own
    labels = spec.labels or [f"q{i + 1}" for i in range(spec.quantiles)]
    bands = []
    for i, label in enumerate(labels):
        if i == 0:
            description = f"{spec.column} < {_fmt(inner[0])}"
        elif i == len(labels) - 1:
            description = f"{spec.column} >= {_fmt(inner[-1])}"
        else:
            description = f"{_fmt(inner[i - 1])} <= {spec.column} < {_fmt(inner[i])}"
        bands.append(Band(label, description, band_of == i))
    if np.isnan(values).any():
        bands.append(Band(MISSING_LABEL, f"{spec.column} is missing", band_of == -1))
    return bands, [round(float(e), DIGITS) for e in edges]


def categorical_bands(dataset: Dataset, split: Split, spec: SubgroupSpec) -> list[Band]:
    """One group per value of the column (every value in the data, even if absent from test)."""
    if spec.column not in dataset.frame.columns:
        raise EvidenceMissing(NO_COLUMN.format(name=spec.name, column=spec.column))
    values = dataset.frame[spec.column].astype(str).str.strip().to_numpy()
    values = np.where(np.isin(values, list(MISSING_MARKERS)), MISSING_LABEL, values)
    test_values = values[split.test]
    return [Band(str(v), f"{spec.column} is missing" if v == MISSING_LABEL else
                 f"{spec.column} == {v!r}", test_values == v) for v in sorted(set(values))]


def _probabilities(ctx: AuditContext, X_test: NDArray[np.float64]) -> NDArray[np.float64]:
    candidate = ctx.need_candidate()
    raw = np.asarray(candidate.predict_positive(X_test), dtype=np.float64)
    rows = len(X_test)
    p = raw.reshape(-1)
    if p.shape != (rows,) or not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0:
        got = f"an array of shape {raw.shape}" if p.shape != (rows,) else "values outside [0, 1]"
        raise CandidateOutputError(BAD_OUTPUT.format(got=got, rows=rows))
    return p


def _judge(
    band_metrics: dict[str, Any], overall: dict[str, Any], max_gap: dict[str, float], min_size: int
) -> tuple[str, dict[str, float], list[str], list[str]]:
    """(status, gaps, metrics over their limit, metrics the group cannot define)."""
    gaps: dict[str, float] = {}
    over: list[str] = []
    undefined: list[str] = []
    for metric, limit in max_gap.items():
        value, reference = band_metrics[metric], overall[metric]
        if value is None or reference is None:
            undefined.append(metric)
            continue
        gaps[metric] = round(abs(value - reference), DIGITS)
        if gaps[metric] > limit + GAP_TOLERANCE:
            over.append(metric)
    if band_metrics["n"] < min_size:
        return "too_small", gaps, [], undefined
    return ("fail" if over else "pass"), gaps, over, undefined


def run(ctx: AuditContext) -> AuditResult:
    """Score the candidate per configured subgroup and compare each with the whole test set."""
    started = time.perf_counter()
    dataset, split = ctx.need_dataset()
    gov = ctx.config.governance
    section = gov.subgroups
    if not section.groups:
        raise EvidenceMissing(NO_GROUPS)
    threshold = gov.estimator.threshold
    X_test, y_test = dataset.X[split.test], dataset.y[split.test]
    task, n_classes = gov.task, len(gov.class_names)
    if task == "binary":
        p = _probabilities(ctx, X_test)
        pred = (p >= threshold).astype(np.int64)
        overall = metrics(y_test, pred, p)
    else:
        p = candidate_scores(ctx.need_candidate(), X_test, task)
        pred = np.zeros(len(y_test), dtype=np.int64)
        overall = task_group_metrics(task, y_test, p, n_classes)
    max_gap = gov.max_gap

    groups: list[dict[str, Any]] = []
    violations: list[str] = []
    judged = small = 0
    for spec in section.groups:
        group: dict[str, Any] = {"name": spec.name, "column": spec.column}
        if spec.quantiles is not None:
            bands, edges = quantile_bands(dataset, split, spec)
            group.update(kind="quantiles", quantiles=spec.quantiles, train_edges=edges)
        else:
            bands = categorical_bands(dataset, split, spec)
            group.update(kind="categorical")
        rows = []
        for band in bands:
            m = (metrics(y_test[band.mask], pred[band.mask], p[band.mask]) if task == "binary"
                 else task_group_metrics(task, y_test[band.mask], p[band.mask], n_classes))
            status, gaps, over, undefined = _judge(m, overall, max_gap, section.min_size)
            small += status == "too_small"
            judged += status != "too_small"
            for metric in over:
                violations.append(
                    VIOLATION.format(
                        group=spec.name,
                        band=band.label,
                        metric=metric,
                        value=m[metric],
                        overall=overall[metric],
                        gap=gaps[metric],
                        limit=max_gap[metric],
                    )
                )
            rows.append(
                {
                    "label": band.label,
                    "rows": band.description,
                    "status": status,
                    "metrics": m,
                    "gaps": gaps,
                    "over_limit": over,
                    "not_defined": undefined,
                }
            )
        group["bands"] = rows
        groups.append(group)

    limits = ", ".join(f"{k} <= {v}" for k, v in max_gap.items())
    if violations:
        summary = SUMMARY_FAIL.format(n=len(violations), which="; ".join(violations))
    else:
        summary = SUMMARY_PASS.format(judged=judged, limits=limits, small=small)
    return AuditResult(
        id=AUDIT_ID,
        title=TITLE,
        status="fail" if violations else "pass",
        summary=summary,
        details={
            "task": task,
            "threshold": threshold,
            "test_rows": len(y_test),
            "min_size": section.min_size,
            "max_gap": max_gap,
            "overall": overall,
            "groups": groups,
        },
        duration_s=time.perf_counter() - started,
    )

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``performance_gate``: is the candidate strictly better than production?

Both models are scored on the same pinned evaluation set (the candidate's test split).
With no model under the production alias, the reference is a trivial baseline (the
majority class; for multiclass the training class frequencies; for regression the
training mean), so the first model still has to beat something. The paired bootstrap
resamples the same rows for both models, so the CI describes the *difference*, not two
noisy levels. "Better" follows the primary metric's direction: mae and rmse must fall.

A candidate whose fingerprint (its rounded scores on the evaluation rows) equals
production's is the production model itself, retrained: a settings-only pull request.
It passes as "unchanged model" (the floors still apply); any other candidate must be
strictly better.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.governance import Governance, higher_is_better
from modelgate.training.evaluate import task_metrics

AUDIT_ID = "performance_gate"
TITLE = "Strictly better than production"
BASELINE_NAME = "majority-class baseline"
BASELINE_NAMES = {"binary": BASELINE_NAME, "multiclass": "class-frequency baseline",
                  "regression": "training-mean baseline"}
UNCHANGED = "unchanged model: the candidate's fingerprint equals {ref}'s"
# ctx.extra key: compare with the baseline without a registry (the trusted verdict, which
# has no store; the report job then judges the same scores against production)
BASELINE_ONLY = "performance_gate.baseline_only"


@dataclass(frozen=True)
class Reference:
    """What the candidate is compared with."""

    name: str
    version: str | None
    # the task's scores (see modelgate.training.train.predict_scores)
    p_positive: NDArray[np.float64]
    fingerprint: str | None = None  # as recorded at training; None: computed from the scores


def _production(ctx: AuditContext, X: NDArray[np.float64]) -> Reference | None:
    """The model under the production alias, scored on ``X``; None when there is none."""
    from mlflow.exceptions import MlflowException

    gov = ctx.config.governance
    if ctx.extra.get(BASELINE_ONLY) is True:
        return None
    if ctx.registry is None:
        raise EvidenceMissing("no model registry to look up the production model in")
    if "production_scores" in ctx.extra:  # computed by a trusted job from the bundle
        scores = ctx.extra["production_scores"]
        values = scores.get("scores", scores.get("p_positive"))
        return Reference(f"production v{scores['version']}", str(scores["version"]),
                         np.asarray(values, dtype=np.float64), scores.get("fingerprint"))
    try:
        version = ctx.registry.get_model_version_by_alias(gov.model.name, gov.aliases.production)
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(exc.error_code) or "not found" in str(exc).lower():
            return None
        raise
    if ctx.model_version is not None and str(version.version) == str(ctx.model_version):
        raise EvidenceMissing(f"the candidate v{version.version} already holds the production "
                              "alias; it cannot be compared with itself")
    import mlflow.sklearn

    from modelgate.training.train import predict_scores

    model = mlflow.sklearn.load_model(f"models:/{gov.model.name}/{version.version}")
    from modelgate.training import tracking

    recorded = dict(version.tags or {}).get(tracking.VERSION_TAG_FINGERPRINT)
    return Reference(f"production v{version.version}", str(version.version),
                     predict_scores(model, X, tuple(gov.data.features), gov.task), recorded)


def candidate_scores(candidate: Any, X: NDArray[np.float64], task: str) -> NDArray[np.float64]:
    """The candidate's scores for ``task``: P(positive) through the audits' Predictor
    protocol, every class's probability or the prediction through ``predict_scores``."""
    if task == "binary":
        return np.asarray(candidate.predict_positive(X), dtype=np.float64)
    scorer = getattr(candidate, "predict_scores", None)
    if scorer is None:
        raise EvidenceMissing(f"the candidate cannot give {task} scores (no predict_scores)")
    return np.asarray(scorer(X), dtype=np.float64)


def _baseline(y_train: NDArray[Any], n: int, task: str = "binary",
              n_classes: int = 2) -> Reference:
    name = BASELINE_NAMES[task]
    if task == "regression":
        return Reference(name, None, np.full(n, float(np.mean(y_train))))
    if task == "multiclass":
        freq = np.bincount(y_train.astype(np.int64), minlength=n_classes) / len(y_train)
        return Reference(name, None, np.tile(freq, (n, 1)))
    rate = float(y_train.mean())
    # a constant score: every row gets the majority class, AUC is 0.5 by construction
    return Reference(name, None, np.full(n, 1.0 if rate >= 0.5 else 0.0))


def _improvement(metric: str, cand: float, ref: float) -> float:
    """How much better the candidate is: positive when it beats the reference."""
    return cand - ref if higher_is_better(metric) else ref - cand


def paired_bootstrap(
    y: NDArray[Any], p_cand: NDArray[np.float64], p_ref: NDArray[np.float64],
    metric: str, threshold: float, resamples: int, seed: int, task: str = "binary",
) -> dict[str, Any]:
    """95% percentile CI of the candidate's improvement over the reference on ``metric``
    (metric difference, sign flipped for lower-is-better metrics) over shared resamples."""
    rng = np.random.default_rng(seed)
    n = len(y)
    deltas: list[float] = []
    skipped = 0
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        yb = y[idx]
        if task != "regression" and metric.startswith("roc_auc") and len(np.unique(yb)) < 2:
            skipped += 1
            continue
        a = task_metrics(task, yb, p_cand[idx], threshold)[metric]
        b = task_metrics(task, yb, p_ref[idx], threshold)[metric]
        if not (np.isfinite(a) and np.isfinite(b)):
            skipped += 1
            continue
        deltas.append(_improvement(metric, a, b))
    arr = np.asarray(deltas if deltas else [float("nan")])
    return {
        "resamples": resamples,
        "used": len(deltas),
        "skipped_single_class": skipped,
        "seed": seed,
        "ci95": [float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))],
        "mean_delta": float(arr.mean()),
    }


def run(ctx: AuditContext) -> AuditResult:
    """Compare candidate and reference on the pinned evaluation set."""
    started = time.perf_counter()
    dataset, split = ctx.need_dataset()
    candidate = ctx.need_candidate()
    gov = ctx.config.governance
    X, y = dataset.X[split.test], dataset.y[split.test]
    p_cand = candidate_scores(candidate, X, gov.task)
    reference = _production(ctx, X) or _baseline(dataset.y[split.train], len(y), gov.task,
                                                 len(gov.class_names))
    result = judge(ctx.config.governance, y, p_cand, reference, ctx.model_version)
    return dataclasses.replace(result, duration_s=time.perf_counter() - started)


def judge(gov: Governance, y: NDArray[Any], p_cand: NDArray[np.float64],
          reference: Reference, candidate_version: str | None) -> AuditResult:
    """The verdict on two sets of scores for the same rows; shared with the trusted job
    that re-judges a pull request against what production serves."""
    from modelgate.training.train import fingerprint

    started = time.perf_counter()
    spec, task = gov.metrics, gov.task
    threshold = gov.estimator.threshold
    cand_m = task_metrics(task, y, p_cand, threshold)
    ref_m = task_metrics(task, y, reference.p_positive, threshold)
    primary = gov.primary_metric
    delta = _improvement(primary, cand_m[primary], ref_m[primary])
    # the fingerprint production recorded when it was trained (a bundle's float32 scores
    # would not reproduce it), else the one its scores give
    ref_print = reference.fingerprint or (
        fingerprint(reference.p_positive) if reference.p_positive.shape == p_cand.shape
        else None)
    unchanged = reference.version is not None and fingerprint(p_cand) == ref_print
    boot = paired_bootstrap(y, p_cand, reference.p_positive, primary, threshold,
                            spec.bootstrap.resamples, spec.bootstrap.seed, task)
    cand_ci = _metric_ci(y, p_cand, threshold, spec.bootstrap.resamples, spec.bootstrap.seed,
                         task)
    failures = []
    direction = "above" if higher_is_better(primary) else "below"
    if not unchanged and not delta > spec.min_delta:
        failures.append(f"{primary} {cand_m[primary]:.4f} is not {direction} {reference.name} "
                        f"{ref_m[primary]:.4f} by more than {spec.min_delta}")
    for metric, floor in spec.floors.items():
        if not cand_m[metric] >= floor:
            failures.append(f"{metric} {cand_m[metric]:.4f} is below the floor {floor}")
    for metric, ceiling in spec.ceilings.items():
        if not cand_m[metric] <= ceiling:
            failures.append(f"{metric} {cand_m[metric]:.4f} is above the ceiling {ceiling}")
    lo, hi = boot["ci95"]
    if unchanged:
        summary = (UNCHANGED.format(ref=reference.name) + f" ({primary} {cand_m[primary]:.4f}; "
                   "a settings-only change)")
    else:
        summary = (f"{primary} {cand_m[primary]:.4f} vs {reference.name} "
                   f"{ref_m[primary]:.4f}: improvement {delta:+.4f} "
                   f"(95% CI {lo:+.4f} to {hi:+.4f})")
    if failures:
        summary += "; " + "; ".join(failures)
    return AuditResult(
        id=AUDIT_ID, title=TITLE, status="fail" if failures else "pass", summary=summary,
        details={
            "task": task,
            "primary_metric": primary,
            "higher_is_better": higher_is_better(primary),
            "min_delta": spec.min_delta,
            "unchanged_model": unchanged,
            "evaluation_rows": len(y),
            "reference": {"name": reference.name, "version": reference.version,
                          "metrics": ref_m},
            "candidate": {"version": candidate_version, "metrics": cand_m,
                          "ci95": cand_ci, **_confusion(gov, y, p_cand, threshold)},
            "delta": delta,
            "bootstrap": boot,
            "floors": dict(spec.floors),
            "ceilings": dict(spec.ceilings),
            "failures": failures,
        },
        duration_s=time.perf_counter() - started,
    )


def _confusion(gov: Governance, y: NDArray[Any], p: NDArray[np.float64],
               threshold: float) -> dict[str, Any]:
    """The candidate's confusion matrix on the evaluation rows, rows = true class, columns =
    predicted (classification only; the card draws it)."""
    mapping = gov.data.target.mapping
    if gov.task == "regression" or not mapping:
        return {}
    k = max(mapping.values()) + 1  # one name per class index (several labels may share one)
    labels = [min((n for n, v in mapping.items() if v == i), default=str(i)) for i in range(k)]
    predicted = (np.asarray(p) >= threshold).astype(int) if p.ndim == 1 else p.argmax(axis=1)
    counts = np.zeros((k, k), dtype=int)
    np.add.at(counts, (np.asarray(y, dtype=int), predicted), 1)
    return {"confusion": {"labels": labels, "counts": counts.tolist()}}


def _metric_ci(y: NDArray[Any], p: NDArray[np.float64], threshold: float,
               resamples: int, seed: int, task: str = "binary") -> dict[str, list[float]]:
    """Percentile 95% CIs of every metric of one model (for the card)."""
    rng = np.random.default_rng(seed + 1)
    n = len(y)
    values: dict[str, list[float]] = {}
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        if task != "regression" and len(np.unique(y[idx])) < 2:
            continue
        for name, value in task_metrics(task, y[idx], p[idx], threshold).items():
            if np.isfinite(value):
                values.setdefault(name, []).append(value)
    return {name: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
            for name, v in values.items()}

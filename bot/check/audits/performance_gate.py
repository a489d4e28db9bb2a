# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``performance_gate``: is the candidate strictly better than production?

Both models are scored on the same pinned evaluation set (the candidate's test split).
With no model under the production alias, the reference is a majority-class baseline,
so the first model still has to beat something. The paired bootstrap resamples the
same rows for both models, so the CI describes the *difference*, not two noisy levels.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.governance import Governance
from training.evaluate import compute_metrics

AUDIT_ID = "performance_gate"
TITLE = "Strictly better than production"
BASELINE_NAME = "majority-class baseline"
# ctx.extra key: compare with the baseline without a registry (the trusted verdict, which
# has no store; the report job then judges the same scores against production)
BASELINE_ONLY = "performance_gate.baseline_only"


@dataclass(frozen=True)
class Reference:
    """What the candidate is compared with."""

    name: str
    version: str | None
    p_positive: NDArray[np.float64]


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
        return Reference(f"production v{scores['version']}", str(scores["version"]),
                         np.asarray(scores["p_positive"], dtype=np.float64))
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

    from training.train import positive_probability

    model = mlflow.sklearn.load_model(f"models:/{gov.model.name}/{version.version}")
    return Reference(f"production v{version.version}", str(version.version),
                     positive_probability(model, X, tuple(gov.data.features)))


def _baseline(y_train: NDArray[np.int64], n: int) -> Reference:
    rate = float(y_train.mean())
    # a constant score: every row gets the majority class, AUC is 0.5 by construction
    return Reference(BASELINE_NAME, None, np.full(n, 1.0 if rate >= 0.5 else 0.0))


def paired_bootstrap(
    y: NDArray[np.int64], p_cand: NDArray[np.float64], p_ref: NDArray[np.float64],
    metric: str, threshold: float, resamples: int, seed: int,
) -> dict[str, Any]:
    """95% percentile CI of metric(candidate) - metric(reference) over shared resamples."""
    rng = np.random.default_rng(seed)
    n = len(y)
    deltas: list[float] = []
    skipped = 0
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        yb = y[idx]
        if metric == "roc_auc" and len(np.unique(yb)) < 2:
            skipped += 1
            continue
        a = compute_metrics(yb, p_cand[idx], threshold)[metric]
        b = compute_metrics(yb, p_ref[idx], threshold)[metric]
        deltas.append(a - b)
    arr = np.asarray(deltas)
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
    X, y = dataset.X[split.test], dataset.y[split.test]
    p_cand = candidate.predict_positive(X)
    reference = _production(ctx, X) or _baseline(dataset.y[split.train], len(y))
    result = judge(ctx.config.governance, y, p_cand, reference, ctx.model_version)
    return dataclasses.replace(result, duration_s=time.perf_counter() - started)


def judge(gov: Governance, y: NDArray[np.int64], p_cand: NDArray[np.float64],
          reference: Reference, candidate_version: str | None) -> AuditResult:
    """The verdict on two sets of scores for the same rows; shared with the trusted job
    that re-judges a pull request against what production serves."""
    started = time.perf_counter()
    spec = gov.metrics
    threshold = gov.estimator.threshold
    cand_m = compute_metrics(y, p_cand, threshold)
    ref_m = compute_metrics(y, reference.p_positive, threshold)
    primary = spec.primary
    delta = cand_m[primary] - ref_m[primary]
    boot = paired_bootstrap(y, p_cand, reference.p_positive, primary, threshold,
                            spec.bootstrap.resamples, spec.bootstrap.seed)
    cand_ci = _metric_ci(y, p_cand, threshold, spec.bootstrap.resamples, spec.bootstrap.seed)
    failures = []
    if not delta > spec.min_delta:
        failures.append(f"{primary} {cand_m[primary]:.4f} is not above {reference.name} "
                        f"{ref_m[primary]:.4f} by more than {spec.min_delta}")
    for metric, floor in spec.floors.items():
        if not cand_m[metric] >= floor:
            failures.append(f"{metric} {cand_m[metric]:.4f} is below the floor {floor}")
    lo, hi = boot["ci95"]
    summary = (f"{primary} {cand_m[primary]:.4f} vs {reference.name} {ref_m[primary]:.4f}: "
               f"delta {delta:+.4f} (95% CI {lo:+.4f} to {hi:+.4f})")
    if failures:
        summary += "; " + "; ".join(failures)
    return AuditResult(
        id=AUDIT_ID, title=TITLE, status="fail" if failures else "pass", summary=summary,
        details={
            "primary_metric": primary,
            "min_delta": spec.min_delta,
            "evaluation_rows": len(y),
            "reference": {"name": reference.name, "version": reference.version,
                          "metrics": ref_m},
            "candidate": {"version": candidate_version, "metrics": cand_m,
                          "ci95": cand_ci},
            "delta": delta,
            "bootstrap": boot,
            "floors": dict(spec.floors),
            "failures": failures,
        },
        duration_s=time.perf_counter() - started,
    )


def _metric_ci(y: NDArray[np.int64], p: NDArray[np.float64], threshold: float,
               resamples: int, seed: int) -> dict[str, list[float]]:
    """Percentile 95% CIs of every metric of one model (for the card)."""
    rng = np.random.default_rng(seed + 1)
    n = len(y)
    values: dict[str, list[float]] = {}
    for _ in range(resamples):
        idx = rng.integers(0, n, size=n)
        if len(np.unique(y[idx])) < 2:
            continue
        for name, value in compute_metrics(y[idx], p[idx], threshold).items():
            values.setdefault(name, []).append(value)
    return {name: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))]
            for name, v in values.items()}

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Are train and test contaminated?

A test set that shares rows with the training set (the same id, the same feature vector,
or one a rounding error away) measures memory, not generalisation; a single feature that
separates the classes almost perfectly is usually the label leaking in under another
name. Ids here are study ids from the data file, so the report may name them.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import roc_auc_score
from sklearn.neighbors import NearestNeighbors

from modelgate.bot.check.audits._util import LIST_CAP, capped
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing

AUDIT_ID = "leakage"
TITLE = "Train and test sets are not contaminated"

TOP_FEATURES_SHOWN = 5
DISTANCE_METRIC = "euclidean, on features standardized with the train split's mean and std"

SUMMARY_PASS = (
    "no shared ids, identical or near-duplicate rows across {train}/{test} train/test rows; "
    "strongest single feature {feature} (AUC {auc:.3f} <= {limit})"
)
PROBLEM_POSITIONS = "{n} row(s) in both train and test"
PROBLEM_IDS = "{n} id(s) in both train and test"
PROBLEM_IDENTICAL = "{n} test row(s) identical to a train row"
PROBLEM_NEAR = "{n} test row(s) within {limit} of a train row"
PROBLEM_AUC = "{n} feature(s) alone predict the target (AUC > {limit}): {names}"
BAD_SPLIT = "the split has an empty side or positions outside the {rows} data rows"


def _ids(ids: NDArray[Any], positions: NDArray[np.intp]) -> list[str]:
    return [str(ids[p]) for p in positions]


def _identical_rows(
    X: NDArray[np.float64], train: NDArray[np.intp], test: NDArray[np.intp]
) -> list[tuple[int, int]]:
    """(test position, train position) for test rows equal to a train row, bit for bit."""
    rows = np.ascontiguousarray(X + 0.0)  # -0.0 and 0.0 are the same measurement
    seen: dict[bytes, int] = {}
    for p in train:
        seen.setdefault(rows[p].tobytes(), int(p))
    return [(int(p), seen[rows[p].tobytes()]) for p in test if rows[p].tobytes() in seen]


def _nearest(
    X: NDArray[np.float64], train: NDArray[np.intp], test: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Distance from every test row to its nearest train row, on train-standardized features."""
    with np.errstate(invalid="ignore"):
        mean = np.nan_to_num(np.nanmean(X[train], axis=0))
        std = np.nan_to_num(np.nanstd(X[train], axis=0))
    std[std == 0] = 1.0  # a constant feature adds nothing to any distance
    # a missing value sits at the train mean: it neither makes nor breaks a duplicate
    z_train = np.nan_to_num((X[train] - mean) / std)
    z_test = np.nan_to_num((X[test] - mean) / std)
    nn = NearestNeighbors(n_neighbors=1).fit(z_train)
    distances, index = nn.kneighbors(z_test)
    return distances[:, 0], train[index[:, 0]]


def _feature_strength(column: NDArray[np.float64], y: NDArray[Any], task: str) -> float:
    """How well one feature alone orders the target, on the AUC's scale (0.5 = not at
    all): max(AUC, 1 - AUC) for binary, the largest one-vs-rest of those for multiclass,
    (1 + |Spearman rho|) / 2 for regression. A missing value counts as the column's mean."""
    from scipy.stats import spearmanr

    present = column[~np.isnan(column)]
    if present.size == 0:
        return 0.5
    x = np.where(np.isnan(column), float(present.mean()), column)
    if task == "regression":
        rho = spearmanr(x, y).statistic
        return 0.5 if not np.isfinite(rho) else (1.0 + abs(float(rho))) / 2.0
    aucs = []
    for c in ([1] if task == "binary" else sorted(set(y.tolist()))):
        target = (y == c).astype(np.int64)
        if 0 < target.sum() < len(target):
            auc = float(roc_auc_score(target, x))
            aucs.append(max(auc, 1.0 - auc))
    return max(aucs, default=0.5)


def _single_feature_auc(
    X: NDArray[np.float64], y: NDArray[Any], features: tuple[str, ...], task: str = "binary"
) -> list[dict[str, Any]]:
    """Each feature used alone as a score (see :func:`_feature_strength`), strongest first."""
    scores = []
    for j, name in enumerate(features):
        scores.append({"feature": name, "auc": round(_feature_strength(X[:, j], y, task), 6)})
    return sorted(scores, key=lambda s: (-s["auc"], s["feature"]))


def run(ctx: AuditContext) -> AuditResult:
    """Compare every test row with the train split, and every feature with the target."""
    started = time.perf_counter()
    dataset, split = ctx.need_dataset()
    limits = ctx.config.governance.leakage
    X, y, ids = dataset.X, dataset.y, dataset.ids
    train = np.asarray(split.train, dtype=np.intp)
    test = np.asarray(split.test, dtype=np.intp)
    rows = len(y)
    if not len(train) or not len(test) or min(train.min(), test.min()) < 0:
        raise EvidenceMissing(BAD_SPLIT.format(rows=rows))
    if max(train.max(), test.max()) >= rows:
        raise EvidenceMissing(BAD_SPLIT.format(rows=rows))

    both = np.intersect1d(train, test)
    shared_ids = sorted(set(_ids(ids, train)) & set(_ids(ids, test)))
    identical = _identical_rows(X, train, test)
    distances, nearest = _nearest(X, train, test)
    identical_tests = {t for t, _ in identical}
    near = [
        (int(p), int(q), float(d))
        for p, q, d in zip(test, nearest, distances, strict=True)
        if d < limits.near_duplicate_distance and int(p) not in identical_tests
    ]
    near.sort(key=lambda item: item[2])
    aucs = _single_feature_auc(X, y, dataset.features, ctx.config.governance.task)
    leaky = [s for s in aucs if s["auc"] > limits.single_feature_auc_max]

    problems = []
    if len(both):
        problems.append(PROBLEM_POSITIONS.format(n=len(both)))
    if shared_ids:
        problems.append(PROBLEM_IDS.format(n=len(shared_ids)))
    if identical:
        problems.append(PROBLEM_IDENTICAL.format(n=len(identical)))
    if near:
        problems.append(PROBLEM_NEAR.format(n=len(near), limit=limits.near_duplicate_distance))
    if leaky:
        names = ", ".join(s["feature"] for s in capped(leaky, TOP_FEATURES_SHOWN))
        problems.append(
            PROBLEM_AUC.format(n=len(leaky), limit=limits.single_feature_auc_max, names=names)
        )

    details: dict[str, Any] = {
        "train_rows": len(train),
        "test_rows": len(test),
        "rows_in_both": {"count": len(both), "ids": capped(_ids(ids, both))},
        "shared_ids": {"count": len(shared_ids), "ids": capped(shared_ids)},
        "identical_rows": {
            "count": len(identical),
            "pairs": [
                {"test_id": str(ids[t]), "train_id": str(ids[r])} for t, r in capped(identical)
            ],
        },
        "near_duplicates": {
            "threshold": limits.near_duplicate_distance,
            "metric": DISTANCE_METRIC,
            "count": len(near),
            "closest_distance": round(float(distances.min()), 6),
            "pairs": [
                {"test_id": str(ids[t]), "train_id": str(ids[r]), "distance": round(d, 6)}
                for t, r, d in capped(near)
            ],
        },
        "single_feature_auc": {
            "max_allowed": limits.single_feature_auc_max,
            "offending": capped(leaky),
            "strongest": capped(aucs, TOP_FEATURES_SHOWN),
        },
        "list_cap": LIST_CAP,
    }
    if problems:
        summary = "; ".join(problems)
    else:
        summary = SUMMARY_PASS.format(
            train=len(train),
            test=len(test),
            feature=aucs[0]["feature"],
            auc=aucs[0]["auc"],
            limit=limits.single_feature_auc_max,
        )
    return AuditResult(
        id=AUDIT_ID,
        title=TITLE,
        status="fail" if problems else "pass",
        summary=summary,
        details=details,
        duration_s=time.perf_counter() - started,
    )

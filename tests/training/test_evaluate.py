# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The gate's fast metrics agree with scikit-learn's, so bootstrap CIs mean what they say."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from training.evaluate import compute_metrics


@pytest.mark.parametrize("seed", range(20))
def test_fast_metrics_equal_sklearn(seed: int) -> None:
    """Accuracy, precision, recall, F1 and AUC (with tied scores) match scikit-learn."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    y = rng.integers(0, 2, size=n)
    if len(np.unique(y)) < 2:
        y[0], y[1] = 0, 1
    p = np.round(rng.random(n), int(rng.integers(1, 4)))  # rounding creates ties
    got = compute_metrics(y, p, 0.5)
    pred = (p >= 0.5).astype(int)
    assert got["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert got["precision"] == pytest.approx(precision_score(y, pred, zero_division=0))
    assert got["recall"] == pytest.approx(recall_score(y, pred, zero_division=0))
    assert got["f1"] == pytest.approx(f1_score(y, pred, zero_division=0))
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, p))


def test_single_class_auc_is_undefined() -> None:
    """AUC on one class is NaN, not a crash or a made-up number."""
    got = compute_metrics(np.ones(5, dtype=np.int64), np.linspace(0, 1, 5), 0.5)
    assert np.isnan(got["roc_auc"]) and got["recall"] == pytest.approx(0.6)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The gate's fast metrics agree with scikit-learn's, so bootstrap CIs mean what they say."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from modelgate.training.evaluate import compute_metrics


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


def test_multiclass_and_regression_metrics_equal_sklearn() -> None:
    """The fast multiclass and regression metrics equal scikit-learn's."""
    from sklearn import metrics as skm

    from modelgate.training.evaluate import multiclass_metrics, regression_metrics

    rng = np.random.default_rng(5)
    y = rng.integers(0, 4, 300)
    p = rng.random((300, 4))
    p /= p.sum(axis=1, keepdims=True)
    pred = p.argmax(axis=1)
    got = multiclass_metrics(y, p)
    expected = {
        "accuracy": skm.accuracy_score(y, pred),
        "balanced_accuracy": skm.balanced_accuracy_score(y, pred),
        "precision_macro": skm.precision_score(y, pred, average="macro", zero_division=0),
        "recall_macro": skm.recall_score(y, pred, average="macro"),
        "f1_macro": skm.f1_score(y, pred, average="macro"),
        "f1_weighted": skm.f1_score(y, pred, average="weighted"),
        "roc_auc_ovr": skm.roc_auc_score(y, p, multi_class="ovr"),
    }
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, abs=1e-12), name
    t = rng.normal(size=100)
    q = t + rng.normal(size=100) * 0.3
    reg = regression_metrics(t, q)
    assert reg["mae"] == pytest.approx(skm.mean_absolute_error(t, q))
    assert reg["rmse"] == pytest.approx(skm.root_mean_squared_error(t, q))
    assert reg["r2"] == pytest.approx(skm.r2_score(t, q))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Per-feature baseline statistics of the training split, logged with every run so the
drift monitor compares served inputs with what the model actually learned from."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

SCHEMA_VERSION = 1
BINS = 10


def _bin_edges(values: NDArray[np.float64]) -> list[float]:
    """Inner decile edges; the outer bins are open so served values outside the training
    range still land somewhere."""
    if values.size == 0:
        return []
    qs = np.quantile(values, np.linspace(0, 1, BINS + 1)[1:-1])
    return [float(x) for x in np.unique(qs)]


def _fractions(values: NDArray[np.float64], edges: list[float]) -> list[float]:
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return [float(c) / max(len(values), 1) for c in counts]


def _class_edges(k: int) -> list[float]:
    """Edges between class codes 0..k-1, one bin per category or class."""
    return [i + 0.5 for i in range(k - 1)]


def _prediction(scores: NDArray[np.float64], task: str) -> dict[str, Any]:
    """The prediction bins and how many rows they come from (drift's reference count)."""
    return {**_prediction_bins(scores, task), "rows": len(scores)}


def _prediction_bins(scores: NDArray[np.float64], task: str) -> dict[str, Any]:
    if task == "multiclass":
        predicted = np.argmax(scores, axis=1).astype(np.float64)
        edges = _class_edges(scores.shape[1])
        return {"kind": "class", "bin_edges": edges,
                "bin_fractions": _fractions(predicted, edges),
                "mean": float(predicted.mean()),  # of the class index, for the drift parser
                "mean_proba": [float(v) for v in scores.mean(axis=0)]}
    if task == "regression":
        edges = _bin_edges(scores)
        return {"kind": "value", "bin_edges": edges, "bin_fractions": _fractions(scores, edges),
                "mean": float(scores.mean())}
    pred_edges = [i / BINS for i in range(1, BINS)]
    return {"kind": "p_positive", "bin_edges": pred_edges,
            "bin_fractions": _fractions(scores, pred_edges), "mean": float(scores.mean())}


def feature_baseline(
    X: NDArray[np.float64], features: tuple[str, ...], p_positive: NDArray[np.float64],
    *, task: str = "binary", categories: dict[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """Per feature: moments, quantiles and bins over its present values (a categorical:
    one bin per category code), plus the share missing; ``prediction`` bins the task's
    output (P(positive); the predicted class; the predicted value)."""
    categories = categories or {}
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "rows": int(X.shape[0]),
                           "bins": BINS, "features": {}}
    for j, name in enumerate(features):
        full = X[:, j]
        present = ~np.isnan(full)
        col = full[present] if not present.all() else full
        if col.size == 0:
            col = np.zeros(1)
        edges = (_class_edges(len(categories[name])) if name in categories
                 else _bin_edges(col))
        out["features"][name] = {
            "missing_fraction": float(1.0 - present.mean()),
            "mean": float(col.mean()),
            "std": float(col.std(ddof=1)) if len(col) > 1 else 0.0,
            "min": float(col.min()),
            "max": float(col.max()),
            "quantiles": {
                str(q): float(np.quantile(col, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)
            },
            "bin_edges": edges,
            "bin_fractions": _fractions(col, edges),
        }
        if name in categories:
            out["features"][name]["categories"] = list(categories[name])
    out["prediction"] = _prediction(p_positive, task)
    return out

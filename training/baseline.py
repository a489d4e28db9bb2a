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
    qs = np.quantile(values, np.linspace(0, 1, BINS + 1)[1:-1])
    return [float(x) for x in np.unique(qs)]


def _fractions(values: NDArray[np.float64], edges: list[float]) -> list[float]:
    counts = np.bincount(np.searchsorted(edges, values, side="right"), minlength=len(edges) + 1)
    return [float(c) / len(values) for c in counts]


def feature_baseline(
    X: NDArray[np.float64], features: tuple[str, ...], p_positive: NDArray[np.float64]
) -> dict[str, Any]:
    out: dict[str, Any] = {"schema_version": SCHEMA_VERSION, "rows": int(X.shape[0]),
                           "bins": BINS, "features": {}}
    for j, name in enumerate(features):
        col = X[:, j]
        edges = _bin_edges(col)
        out["features"][name] = {
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
    pred_edges = [i / BINS for i in range(1, BINS)]
    out["prediction"] = {
        "bin_edges": pred_edges,
        "bin_fractions": _fractions(p_positive, pred_edges),
        "mean": float(p_positive.mean()),
    }
    return out

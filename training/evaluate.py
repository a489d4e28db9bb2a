# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Evaluation on the pinned test split: the metrics the gate compares and the evidence
the card shows."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import classification_report, confusion_matrix

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    confusion: NDArray[np.int64]  # rows: true 0/1, columns: predicted 0/1
    report: dict[str, Any]
    report_text: str


def roc_auc(y_true: NDArray[np.int64], score: NDArray[np.float64]) -> float:
    """Mann-Whitney AUC with tied scores given average ranks (equals sklearn's roc_auc_score)."""
    from scipy.stats import rankdata

    pos = y_true == 1
    n_pos = int(pos.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def compute_metrics(
    y_true: NDArray[np.int64], p_positive: NDArray[np.float64], threshold: float
) -> dict[str, float]:
    """The five gate metrics from confusion counts (fast enough for thousands of bootstrap
    resamples; a test holds them equal to scikit-learn's)."""
    y_pred = p_positive >= threshold
    truth = y_true == 1
    tp = int(np.count_nonzero(y_pred & truth))
    fp = int(np.count_nonzero(y_pred & ~truth))
    fn = int(np.count_nonzero(~y_pred & truth))
    n = len(y_true)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {
        "accuracy": float(np.count_nonzero(y_pred == truth)) / n if n else float("nan"),
        "precision": float(precision),
        "recall": float(recall),
        "f1": float(f1),
        "roc_auc": roc_auc(y_true, p_positive),
    }


def evaluate(
    y_true: NDArray[np.int64],
    p_positive: NDArray[np.float64],
    threshold: float,
    class_names: tuple[str, str],
) -> Evaluation:
    """``class_names`` is (negative, positive)."""
    y_pred = (p_positive >= threshold).astype(np.int64)
    labels = [0, 1]
    report = classification_report(
        y_true, y_pred, labels=labels, target_names=list(class_names), output_dict=True,
        zero_division=0,
    )
    text = classification_report(
        y_true, y_pred, labels=labels, target_names=list(class_names), digits=4, zero_division=0
    )
    return Evaluation(
        metrics=compute_metrics(y_true, p_positive, threshold),
        confusion=confusion_matrix(y_true, y_pred, labels=labels).astype(np.int64),
        report=json.loads(json.dumps(report)),
        report_text=str(text),
    )


def confusion_png(confusion: NDArray[np.int64], class_names: tuple[str, str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3.5), dpi=100)
    ax.imshow(confusion, cmap="Blues")
    ax.set_xticks([0, 1], labels=list(class_names))
    ax.set_yticks([0, 1], labels=list(class_names))
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (i, j), v in np.ndenumerate(confusion):
        ax.text(j, i, str(v), ha="center", va="center",
                color="white" if v > confusion.max() / 2 else "black")
    ax.set_title("Confusion matrix (test split)")
    fig.tight_layout()
    buf = io.BytesIO()
    # fixed metadata so the same matrix gives the same bytes
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()

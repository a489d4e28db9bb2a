"""Evaluation on the pinned test split: the metrics the gate compares and the evidence
the card shows."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.metrics import (
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    confusion: NDArray[np.int64]  # rows: true 0/1, columns: predicted 0/1
    report: dict[str, Any]
    report_text: str


def compute_metrics(
    y_true: NDArray[np.int64], p_positive: NDArray[np.float64], threshold: float
) -> dict[str, float]:
    y_pred = (p_positive >= threshold).astype(np.int64)
    both = len(np.unique(y_true)) == 2
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "precision": float(precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(f1_score(y_true, y_pred, zero_division=0)),
        "roc_auc": float(roc_auc_score(y_true, p_positive)) if both else float("nan"),
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

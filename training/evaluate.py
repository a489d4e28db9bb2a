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

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")  # binary's; see TASK_METRICS


@dataclass(frozen=True)
class Evaluation:
    metrics: dict[str, float]
    confusion: NDArray[np.int64]  # rows: true 0/1, columns: predicted 0/1
    report: dict[str, Any]
    report_text: str


def average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks, ties given their average rank: ``scipy.stats.rankdata``'s default,
    computed the same way, without its per-call overhead (1-2 ms, which thousands of
    bootstrap resamples multiplied into most of the performance gate's time)."""
    x = np.asarray(values).reshape(-1)
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    first = np.empty(len(x), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    group = np.cumsum(first)  # 1-based tie group of each sorted position
    bounds = np.append(np.flatnonzero(first), len(x))  # where each group starts, then n
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = 0.5 * (bounds[group] + bounds[group - 1] + 1)
    return ranks


def roc_auc(y_true: NDArray[np.int64], score: NDArray[np.float64]) -> float:
    """Mann-Whitney AUC with tied scores given average ranks (equals sklearn's roc_auc_score)."""
    pos = y_true == 1
    n_pos = int(pos.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = average_ranks(score)
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


def multiclass_metrics(y_true: NDArray[np.int64], proba: NDArray[np.float64]) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro/weighted precision-recall-F1 and the macro
    one-vs-rest AUC, from one confusion matrix (fast enough for the bootstrap; a test
    holds them equal to scikit-learn's). A class absent from ``y_true`` has no recall or
    AUC and is left out of those averages, as scikit-learn's macro averages do not."""
    k = proba.shape[1]
    y_pred = np.argmax(proba, axis=1)
    n = len(y_true)
    cm = np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k).astype(np.float64)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    tp = np.diag(cm)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(predicted > 0, tp / predicted, 0.0)
        recall = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(support + predicted > 0, 2 * tp / (support + predicted), 0.0)
    present = support > 0
    aucs = [roc_auc((y_true == c).astype(np.int64), proba[:, c]) for c in range(k)
            if present[c] and support[c] < n]
    weights = support / n if n else support
    return {
        "accuracy": float(tp.sum() / n) if n else float("nan"),
        "balanced_accuracy": float(recall[present].mean()) if present.any() else float("nan"),
        "precision_macro": float(precision.mean()),
        "recall_macro": float(recall.mean()),
        "f1_macro": float(f1.mean()),
        "f1_weighted": float((f1 * weights).sum()),
        "roc_auc_ovr": float(np.mean(aucs)) if aucs else float("nan"),
    }


def regression_metrics(y_true: NDArray[np.float64], pred: NDArray[np.float64]) -> dict[str, float]:
    """MAE, RMSE and R² (R² is NaN when the targets do not vary)."""
    err = pred - y_true
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err ** 2))),
        "r2": 1.0 - float(np.sum(err ** 2)) / ss_tot if ss_tot > 0 else float("nan"),
    }


def task_metrics(task: str, y_true: NDArray[Any], scores: NDArray[np.float64],
                 threshold: float = 0.5) -> dict[str, float]:
    """The task's metrics from its scores: P(positive) for binary, one probability
    column per class for multiclass, the predicted value for regression."""
    if task == "binary":
        return compute_metrics(y_true, scores, threshold)
    if task == "multiclass":
        return multiclass_metrics(y_true, scores)
    return regression_metrics(y_true, scores)


def evaluate_task(task: str, y_true: NDArray[Any], scores: NDArray[np.float64],
                  threshold: float, class_names: tuple[str, ...]) -> Evaluation:
    """:func:`evaluate` for any task (``class_names`` by class index; empty for
    regression, whose report holds the metrics and the residuals' quantiles)."""
    if task == "binary":
        return evaluate(y_true, scores, threshold, (class_names[0], class_names[1]))
    if task == "regression":
        residuals = np.asarray(scores - y_true, dtype=np.float64)
        metrics = regression_metrics(y_true, scores)
        report = {"metrics": metrics, "rows": len(y_true), "residual_quantiles": {
            str(q): float(np.quantile(residuals, q)) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}}
        text = "\n".join(f"{k:>6}: {v:.6g}" for k, v in metrics.items()) + "\n"
        return Evaluation(metrics=metrics, confusion=np.zeros((0, 0), dtype=np.int64),
                          report=report, report_text=text)
    y_pred = np.argmax(scores, axis=1)
    labels = list(range(len(class_names)))
    report = classification_report(y_true, y_pred, labels=labels, target_names=list(class_names),
                                   output_dict=True, zero_division=0)
    text = classification_report(y_true, y_pred, labels=labels, target_names=list(class_names),
                                 digits=4, zero_division=0)
    return Evaluation(
        metrics=multiclass_metrics(y_true, scores),
        confusion=confusion_matrix(y_true, y_pred, labels=labels).astype(np.int64),
        report=json.loads(json.dumps(report)),
        report_text=str(text),
    )


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


BLUES = ((247, 251, 255), (8, 48, 107))  # the ends of matplotlib's "Blues" colour map
CELL = 72  # pixels per cell
PAD = 12


def confusion_png(confusion: NDArray[np.int64], class_names: tuple[str, ...]) -> bytes:
    """The confusion matrix as a PNG, drawn with Pillow: a figure through matplotlib cost
    0.2 s per run (0.5 s the first time), most of the governed run. Same matrix, same
    bytes (no timestamp in the file)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=13)
    bold = ImageFont.load_default(size=15)
    k = len(class_names)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))

    def size(text: str, f: Any) -> tuple[int, int]:
        left, top, right, bottom = draw.textbbox((0, 0), text, font=f)
        return int(right - left), int(bottom - top)

    label_w = max(size(name, font)[0] for name in class_names)
    line_h = size("Ag", font)[1]
    grid_x = PAD + line_h + PAD + label_w + PAD  # "true" rotated, then the row names
    grid_y = PAD + size("Ag", bold)[1] + PAD
    width = max(grid_x + k * CELL + PAD, PAD + size("Confusion matrix (test split)", bold)[0]
                + PAD)
    height = grid_y + k * CELL + PAD + line_h + PAD + line_h + PAD
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.text((PAD, PAD), "Confusion matrix (test split)", fill="black", font=bold)
    top = max(int(confusion.max()), 1)
    for (i, j), v in np.ndenumerate(confusion):
        share = float(v) / top
        colour = tuple(round(a + (b - a) * share) for a, b in zip(*BLUES, strict=True))
        x0, y0 = grid_x + j * CELL, grid_y + i * CELL
        draw.rectangle((x0, y0, x0 + CELL - 1, y0 + CELL - 1), fill=colour)
        draw.text((x0 + CELL / 2, y0 + CELL / 2), str(v), anchor="mm", font=font,
                  fill="white" if v > confusion.max() / 2 else "black")
    for n, name in enumerate(class_names):
        draw.text((grid_x - PAD, grid_y + n * CELL + CELL / 2), name, anchor="rm", font=font,
                  fill="black")
        draw.text((grid_x + n * CELL + CELL / 2, grid_y + k * CELL + PAD), name, anchor="mt",
                  font=font, fill="black")
    draw.text((grid_x + k * CELL / 2, grid_y + k * CELL + 2 * PAD + line_h), "predicted",
              anchor="mt", font=font, fill="black")
    rotated = Image.new("RGB", (size("true", font)[0] + 4, line_h + 4), "white")
    ImageDraw.Draw(rotated).text((2, 2), "true", font=font, fill="black", anchor="lt")
    rotated = rotated.rotate(90, expand=True)
    image.paste(rotated, (PAD, grid_y + (k * CELL - rotated.height) // 2))
    buf = io.BytesIO()
    image.save(buf, format="PNG", optimize=False)
    return buf.getvalue()

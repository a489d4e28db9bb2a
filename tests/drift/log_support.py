# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The logs every drift engine is tried on (tests/drift/test_sql.py: DuckDB;
tests/drift/test_spark.py: Spark) and the assertions that they agree with the streaming
scan: identical bin counts and counts, the same means up to summation order."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelgate.bot.drift.stats import (
    Baseline,
    LogScan,
    ModelVersionRef,
    Reference,
    SourceInfo,
    assess,
)
from modelgate.governance import DriftSection
from modelgate.serving.logs import ModelRef, RequestLogger, RequestRecord
from modelgate.serving.manifest import FeatureField
from modelgate.serving.schemas import api_value
from modelgate.serving.validation import to_matrix, to_typed_matrix
from modelgate.training.baseline import feature_baseline

NAMES = tuple(f"f{j}" for j in range(6))
MODEL, VERSION = "m", "3"
START = datetime(2026, 5, 1, tzinfo=UTC)


def make_baseline(rng: np.random.Generator) -> Baseline:
    X = np.round(rng.normal(size=(400, len(NAMES))), 3)  # repeated values: edges in the data
    p = rng.uniform(size=400)
    return Baseline.from_json(feature_baseline(X, NAMES, p), "test")


def write_log(path: Path, baseline: Baseline, rng: np.random.Generator) -> Path:
    """Everything the serving logger writes, plus what a damaged log holds."""
    tick = iter(range(10**6))
    lines: list[str] = []
    logger = RequestLogger(lines.append, lambda: START + timedelta(seconds=next(tick)),
                           log_features=True)
    edges = np.array([f.bins.edges for f in baseline.features]).T  # values exactly on edges
    pool = np.vstack([np.round(rng.normal(size=(300, len(NAMES))), 3), edges])

    def request(rows: np.ndarray, *, version: str = VERSION, status: int = 200,
                validation: str = "passed") -> None:
        rec = RequestRecord(f"r{len(lines)}", "POST", "/predict", ModelRef(MODEL, version, "p"))
        rec.status, rec.validation = status, validation
        if validation == "passed":
            rec.probabilities = [float(v) for v in rng.uniform(size=len(rows))]
            rec.predictions = [int(v >= 0.5) for v in rec.probabilities]
            rec.feature_names = NAMES
            rec.features = to_matrix([dict(zip(NAMES, r, strict=True)) for r in rows.tolist()],
                                     NAMES, frozenset(NAMES), float("inf"), single=False)
        logger.request(rec, 1.0)

    for i in range(len(pool)):
        request(pool[i:i + 1])
    request(pool[:40])  # a batch on one line
    request(np.vstack([pool] * 25))  # past LINE_LIMIT: features on request.features lines
    request(pool[:5], version="2")  # another version
    request(pool[:1], status=422, validation="rejected")
    request(pool[:1], status=500, validation="error")
    wrong = json.loads(lines[0])
    wrong["feature_names"] = ["x", *NAMES[1:]]
    bad_prob = json.loads(lines[1])
    bad_prob["probabilities"] = [1.5]
    lines += ["{not json", "[1, 2]", json.dumps(wrong), json.dumps(bad_prob),
              '{"event": "health", "status": 200}']
    random.Random(5).shuffle(lines)  # order must not matter (chunks may precede requests)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# --- typed features (missing values, categories, booleans) and every task's prediction ----

TYPED = (FeatureField(name="amount", nullable=True), FeatureField(name="x"),
         FeatureField(name="grade", type="categorical", categories=("a", "b", "c"),
                      nullable=True),
         FeatureField(name="flag", type="boolean"))
TYPED_NAMES = tuple(f.name for f in TYPED)
CLASSES = ("alpha", "beta", "gamma")


def typed_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """Coded rows as training encodes them: NaN for missing, category codes, 0/1."""
    X = np.column_stack([np.round(rng.normal(100, 20, n), 2), np.round(rng.normal(size=n), 3),
                         rng.integers(0, 3, n).astype(float), (rng.random(n) < 0.3) * 1.0])
    X[rng.random(n) < 0.1, 0] = np.nan
    X[rng.random(n) < 0.05, 2] = np.nan
    return X


def typed_baseline(task: str, rng: np.random.Generator) -> Baseline:
    X = typed_rows(rng, 500)
    scores = (rng.dirichlet(np.ones(3), 500) if task == "multiclass"
              else np.round(rng.normal(20, 5, 500), 2) if task == "regression"
              else rng.uniform(size=500))
    doc = feature_baseline(X, TYPED_NAMES, scores, task=task, categories={"grade": ("a", "b", "c")})
    return Baseline.from_json(doc, "test", types={f.name: f.type for f in TYPED},
                              class_names=CLASSES if task == "multiclass" else ())


def write_typed_log(path: Path, baseline: Baseline, task: str, rng: np.random.Generator) -> Path:
    """The serving logger's lines for typed records (nulls, categories, booleans), the
    task's outputs, values on the numeric edges, a chunked batch, and hand-edited lines
    with a code no category has (what the scan and SQL must call other/unseen)."""
    tick = iter(range(10**6))
    lines: list[str] = []
    logger = RequestLogger(lines.append, lambda: START + timedelta(seconds=next(tick)),
                           log_features=True)
    pool = typed_rows(rng, 300)
    pool[:len(baseline.features[1].bins.edges), 1] = baseline.features[1].bins.edges
    pool[:len(baseline.features[0].bins.edges), 0] = baseline.features[0].bins.edges
    outputs = baseline.prediction.edges  # predictions exactly on the prediction edges too

    def request(rows: np.ndarray) -> None:
        rec = RequestRecord(f"r{len(lines)}", "POST", "/predict", ModelRef(MODEL, VERSION, "p"))
        rec.status, rec.validation = 200, "passed"
        n = len(rows)
        if task == "regression":
            rec.values = [float(outputs[i % len(outputs)]) if i % 7 == 0
                          else float(np.round(rng.normal(20, 6), 2)) for i in range(n)]
        elif task == "multiclass":
            rec.predictions = [int(v) for v in rng.integers(0, 3, n)]
            rec.probabilities = [float(v) for v in rng.uniform(0.34, 1.0, n)]
        else:
            rec.probabilities = [float(v) for v in rng.uniform(size=n)]
            rec.predictions = [int(v >= 0.5) for v in rec.probabilities]
        records = [{f.name: None if np.isnan(v) else api_value(f, float(v))
                    for f, v in zip(TYPED, row, strict=True)} for row in rows]
        rec.feature_names = TYPED_NAMES
        rec.features = to_typed_matrix(records, TYPED, frozenset(TYPED_NAMES), float("inf"),
                                       single=False)
        logger.request(rec, 1.0)

    for i in range(len(pool)):
        request(pool[i:i + 1])
    request(pool[:40])
    request(np.vstack([pool] * 40))  # past LINE_LIMIT: request.features lines
    unseen = json.loads(next(line for line in lines if '"features":[[' in line))
    unseen["features"][0][2], unseen["features"][0][3] = 7.0, 0.5
    lines += [json.dumps(unseen)] * 3
    random.Random(9).shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def assert_agree(scan: LogScan, stats: Any) -> None:
    """The first log (:func:`write_log`): identical feature and prediction bin counts,
    identical request counts, the same means up to summation order."""
    for ours, theirs in zip(scan.feature_counts(), stats.feature_counts(), strict=True):
        assert ours.tolist() == theirs.tolist()
    assert scan.prediction_counts().tolist() == stats.prediction_counts().tolist()
    a, b = scan.counts(), stats.counts()
    for key in ("requests", "rejected", "errored", "scored_requests", "scored_records",
                "feature_rows", "other_versions", "first_seen", "last_seen"):
        assert getattr(a, key) == getattr(b, key), key
    assert a.feature_rows > 2000 and a.other_versions == {"2": 1}
    np.testing.assert_allclose(scan.feature_means(), stats.feature_means(), rtol=1e-12)
    assert scan.positive_rate() == stats.positive_rate()
    assert stats.sample().shape == scan.sample().shape == (5000, len(NAMES))


def assert_typed_agree(baseline: Baseline, task: str, log: Path, scan: LogScan,
                       stats: Any) -> None:
    """A typed log (:func:`write_typed_log`): missing values counted apart (in no bin),
    categories and booleans by code with an other/unseen bin, and the task's prediction:
    identical bin counts, and the same verdict."""
    ours, theirs = scan.feature_counts(), stats.feature_counts()
    for a, b in zip(ours, theirs, strict=True):
        assert a.tolist() == b.tolist()
    assert scan.prediction_counts().tolist() == stats.prediction_counts().tolist()
    a_counts, b_counts = scan.counts(), stats.counts()
    assert a_counts.malformed == 0 and b_counts.malformed == 0
    for key in ("requests", "scored_requests", "scored_records", "feature_rows"):
        assert getattr(a_counts, key) == getattr(b_counts, key), key
    rows = a_counts.feature_rows
    assert rows > 10000 and a_counts.scored_records == rows
    missing = [rows - int(c.sum()) for c in ours]
    assert missing[0] > 0 and missing[2] > 0 and missing[1] == missing[3] == 0
    assert ours[2].tolist()[-1] == 3 and ours[3].tolist() == [
        ours[3][0], ours[3][1], 3]  # the hand-edited lines: other/unseen, never a category
    assert len(ours[2]) == 4 and len(ours[3]) == 3  # a, b, c + other; false, true + other
    np.testing.assert_allclose(scan.feature_means(), stats.feature_means(), rtol=1e-12)
    assert not np.isnan(scan.feature_means()).any()
    assert np.isclose(scan.prediction_mean() or 0.0, stats.prediction_mean() or 0.0,
                      rtol=1e-12)
    assert (scan.positive_rate() is None) == (task != "binary") == (
        stats.positive_rate() is None)
    if task == "multiclass":
        assert len(scan.prediction_counts()) == 4 and scan.prediction_counts()[-1] == 0

    model = ModelVersionRef(MODEL, VERSION, "run")
    kwargs = {"source": SourceInfo("files", (str(log),)), "reference": Reference(None, "none"),
              "generated_at": START, "threshold": 0.5}
    streamed = assess(scan, model, DriftSection(), **kwargs)  # type: ignore[arg-type]
    queried = assess(stats, model, DriftSection(), **kwargs)  # type: ignore[arg-type]
    for one, two in zip(streamed.to_json()["features"], queried.to_json()["features"],
                        strict=True):  # all but the means (summation order) are equal
        assert one.pop("served_mean") == pytest.approx(two.pop("served_mean"), rel=1e-12)
        assert one == two
    assert streamed.prediction is not None and queried.prediction is not None
    assert streamed.prediction.psi == queried.prediction.psi
    assert streamed.prediction.kind == baseline.prediction_kind
    assert [f.kind for f in streamed.features] == [f.kind for f in baseline.features]
    assert streamed.features[2].bin_labels == ("a", "b", "c", "other/unseen")
    assert streamed.features[3].bin_labels == ("false", "true", "other/unseen")
    assert abs(streamed.features[0].missing_fraction - missing[0] / rows) < 1e-12
    json.dumps(streamed.to_json(), allow_nan=False)

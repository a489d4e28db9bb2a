# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The request line carries each task's answer: a classifier's class index and its
probability, a regressor's predicted values."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np

from modelgate.serving.logs import RequestLogger, RequestRecord
from modelgate.serving.validation import Features


def _line(rec: RequestRecord) -> dict[str, object]:
    lines: list[str] = []
    logger = RequestLogger(lines.append, lambda: datetime(2026, 1, 1, tzinfo=UTC),
                           log_features=True)
    logger.request(rec, 1.0)
    (line,) = lines
    doc = json.loads(line)
    assert isinstance(doc, dict)
    return doc


def test_a_regressors_values_are_logged_beside_its_rows() -> None:
    rec = RequestRecord("r1", "POST", "/predict", status=200, validation="passed")
    rec.values = [3.25, -1.5]
    rec.feature_names = ("a", "b")
    rec.features = Features(X=np.array([[1.0, 2.0], [3.0, 4.0]]), flat=[1.0, 2.0, 3.0, 4.0])
    doc = _line(rec)
    assert doc["values"] == [3.25, -1.5]
    assert "predictions" not in doc and "probabilities" not in doc
    assert doc["features"] == [[1.0, 2.0], [3.0, 4.0]]


def test_a_classifiers_line_has_no_values() -> None:
    rec = RequestRecord("r2", "POST", "/predict", status=200, validation="passed")
    rec.predictions, rec.probabilities = [2, 0], [0.7, 0.9]
    doc = _line(rec)
    assert doc["predictions"] == [2, 0] and doc["probabilities"] == [0.7, 0.9]
    assert "values" not in doc

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``servable``: a candidate that converts with parity passes and records it; one that
cannot be converted fails with the converter's real cause in one paragraph."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from modelgate.bot.check.audits import servable
from modelgate.bot.check.audits.base import AuditContext, EvidenceMissing
from modelgate.governance import load_config
from modelgate.infra.bundle import conversion_cause
from modelgate.training.data import load_dataset
from modelgate.training.train import PipelinePredictor, fit_and_evaluate
from tests.training.models_matrix_support import CASES, team_workspace


class Doubler(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """A team's own step: no skl2onnx converter is registered for it."""

    def fit(self, X: Any, y: Any = None) -> Doubler:
        return self

    def transform(self, X: Any) -> NDArray[np.float64]:
        return np.asarray(X, dtype=np.float64) * 2


def _context(tmp_path: Path, name: str) -> tuple[AuditContext, Any]:
    config = load_config(team_workspace(tmp_path, CASES[name]()))
    dataset = load_dataset(config)
    fitted = fit_and_evaluate(config, dataset)
    ctx = AuditContext(root=tmp_path, config=config, commit="0" * 40, dataset=dataset,
                       split=fitted.split, candidate=PipelinePredictor(
                           fitted.pipeline, dataset.features, config.governance.task))
    return ctx, fitted


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_hist_gradient_boosting_with_missing_values_is_servable(tmp_path: Path) -> None:
    """HistGradientBoosting on nullable features converts (float32) and matches."""
    ctx, _ = _context(tmp_path, "binary-nullable-hgb")
    result = servable.run(ctx)
    assert result.status == "pass", result.summary
    assert result.details["input_dtype"] == "float32"
    assert result.details["parity"]["max_abs_diff"] <= result.details["parity"]["tolerance"]
    assert [f["nullable"] for f in result.details["feature_schema"]] == [True, True, False, True]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_an_unconvertible_step_fails_with_its_cause(tmp_path: Path) -> None:
    """A step without a converter fails the audit naming the step and the cause, in one
    paragraph (no attribute dump)."""
    ctx, _ = _context(tmp_path, "binary-numeric-lr")
    dataset, split = ctx.need_dataset()
    own = Pipeline([("double", Doubler()), ("model", LogisticRegression())])
    own.fit(dataset.X[split.train], dataset.y[split.train])
    result = servable.run(dataclasses.replace(
        ctx, candidate=PipelinePredictor(own, dataset.features, "binary")))
    assert result.status == "fail"
    assert "Doubler > LogisticRegression" in result.summary
    assert "Doubler" in result.details["cause"] and "\n" not in result.summary
    assert len(result.summary) < 1500


def test_conversion_cause_keeps_one_paragraph() -> None:
    """skl2onnx's attribute dump is cut; the innermost cause is named."""
    try:
        try:
            raise TypeError("Field onnx.AttributeProto.ints: Expected an int, got a boolean.")
        except TypeError as inner:
            raise ValueError("Unable to create node 'TreeEnsembleClassifier' with name='T' "
                             "and attributes={'base_values': array([0.1]),\n 'class_ids': "
                             "[0,\n 0,\n 0]}") from inner
    except ValueError as exc:
        text = conversion_cause(exc)
    assert text == ("ValueError: Unable to create node 'TreeEnsembleClassifier' with name='T' "
                    "and ... (caused by TypeError: Field onnx.AttributeProto.ints: Expected an "
                    "int, got a boolean.)")


def test_no_candidate_pipeline_is_missing_evidence(tmp_path: Path) -> None:
    """A candidate the audit cannot convert (no pipeline) fails closed."""
    ctx, _ = _context(tmp_path, "binary-numeric-lr")

    class Opaque:
        def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.zeros(len(X))

    with pytest.raises(EvidenceMissing):
        servable.run(dataclasses.replace(ctx, candidate=Opaque()))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The governance.yml examples in docs/your-own-model.md validate and build, and the
configuration errors of issue 15 now say what is wrong, or are no longer errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelgate.governance import ConfigError, Governance, parse_governance
from modelgate.training.estimator import EstimatorError, build_estimator

DOC = Path(__file__).resolve().parents[2] / "docs" / "your-own-model.md"
REST: dict[str, Any] = {
    "model": {"name": "team-model", "intended_use": "x", "out_of_scope_use": "x",
              "limitations": "x"},
    "approval": {"roles": [{"name": "ml-reviewer", "users": ["mo"]}]},
}


def _examples() -> list[dict[str, Any]]:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)
    return [yaml.safe_load(b) for b in blocks]


def _gov(raw: dict[str, Any]) -> Governance:
    return parse_governance(yaml.safe_dump({**REST, **raw}), Path("governance.yml"))


@pytest.mark.parametrize("index", [0, 1])
def test_doc_examples_validate_and_build(index: int) -> None:
    """Each example of the docs is a valid governance.yml whose estimator builds."""
    gov = _gov(_examples()[index])
    assert gov.task == ("multiclass", "regression")[index]
    pipeline = build_estimator(gov.estimator, gov.task, tuple(gov.data.features))
    assert pipeline.steps[0][1].transformers[0][2] == [0, 1]  # names became positions


def _binary(**target: Any) -> dict[str, Any]:
    return {"data": {"path": "d.csv", "manifest": "d.json", "id_column": "id",
                     "target": {"column": "y", **target}, "features": ["a", "b"]},
            "estimator": {"steps": [{"class": "sklearn.linear_model.LogisticRegression"}]},
            "split": {"test_size": 0.2, "random_state": 1}}


def test_issue_15_configurations() -> None:
    """Multiclass maps to 0..2; regression needs no mapping and takes r2; a shipped-style
    plain feature list stays valid; wrong combinations name their key."""
    multi = _binary(mapping={"a": 0, "b": 1, "c": 2})
    multi["task"] = "multiclass"
    assert _gov(multi).class_names == ("a", "b", "c")
    reg = _binary()
    reg["task"], reg["metrics"] = "regression", {"primary": "r2"}
    reg["estimator"] = {"steps": [{"class": "sklearn.linear_model.Ridge"}]}
    assert _gov(reg).primary_metric == "r2"
    assert _gov(_binary(mapping={"B": 1, "M": 0}, positive_class="b",
                        negative_class="m")).data.all_numeric
    for raw, fragment in (
        (_binary(mapping={"a": 0, "b": 1, "c": 2}, positive_class="p", negative_class="n"),
         "task: multiclass"),
        ({**reg, "data": {**reg["data"], "target": {"column": "y", "mapping": {"a": 1, "b": 0}}}},
         "data.target.mapping is for classification"),
        ({**reg, "metrics": {"floors": {"rmse": 1.0}}}, "put it under metrics.ceilings"),
        ({**multi, "metrics": {"primary": "roc_auc"}}, "is not a multiclass metric"),
    ):
        with pytest.raises(ConfigError, match=re.escape(fragment)):
            _gov(raw)


def test_typed_features_parse() -> None:
    """Typed features keep their names in data.features and their specs in order."""
    raw = _binary(mapping={"y": 1, "n": 0}, positive_class="y", negative_class="n")
    raw["data"]["features"] = ["a", {"name": "b", "type": "categorical", "nullable": True,
                                     "categories": ["x", 2]}, {"name": "c", "type": "boolean"}]
    gov = _gov(raw)
    assert gov.data.features == ["a", "b", "c"]
    assert [s.type for s in gov.data.specs] == ["numeric", "categorical", "boolean"]
    assert gov.data.specs[1].categories == ["x", "2"] and not gov.data.all_numeric
    raw["data"]["features"][2] = {"name": "c", "type": "boolean", "categories": ["t"]}
    with pytest.raises(ConfigError, match="categories are for type categorical"):
        _gov(raw)


def test_a_column_transformer_naming_an_unknown_column_is_refused() -> None:
    """A ColumnTransformer column that is not a feature is named with its step."""
    gov = _gov(_examples()[0])
    with pytest.raises(EstimatorError, match=r"names column\(s\) \['soil'\]"):
        build_estimator(gov.estimator, gov.task, ("sepal_length", "sepal_width", "irrigated"))


def test_a_regressor_is_required_for_regression() -> None:
    """A classifier as the last step of a regression is refused, by name."""
    gov = _gov(_examples()[1])
    bad = gov.estimator.model_copy(update={"steps": [gov.estimator.steps[0].model_copy(
        update={"class_": "sklearn.linear_model.LogisticRegression", "params": {}})]})
    with pytest.raises(EstimatorError, match="is not a regressor"):
        build_estimator(bad, "regression")

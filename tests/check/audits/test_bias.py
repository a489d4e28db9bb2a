# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The bias audit: per-subgroup metrics on the test split against the overall metrics."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from modelgate.bot.check.audits import bias
from modelgate.bot.check.audits.base import AuditContext, EvidenceMissing
from tests.audit_support import block_network, build_context, shipped_context


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    attempts = block_network(monkeypatch)
    yield
    assert attempts == [], f"the audit tried to reach the network: {attempts}"


class Fitted:
    """The configured pipeline fitted on the train split: the real shipped model."""

    def __init__(self, ctx: AuditContext) -> None:
        assert ctx.dataset is not None and ctx.split is not None
        train = ctx.split.train
        self.pipe: Pipeline = make_pipeline(
            StandardScaler(), LogisticRegression(C=1.0, max_iter=1000)
        ).fit(ctx.dataset.X[train], ctx.dataset.y[train])

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.pipe.predict_proba(X)[:, 1], dtype=np.float64)


class FlipRows:
    """A biased model: the fitted model with its answer turned around on chosen test rows."""

    def __init__(self, base: Fitted, flip: NDArray[np.bool_]) -> None:
        self.base, self.flip = base, flip

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        p = self.base.predict_positive(X)
        assert len(p) == len(self.flip)
        return np.where(self.flip, 1.0 - p, p)


def with_model(ctx: AuditContext) -> tuple[AuditContext, Fitted]:
    model = Fitted(ctx)
    return dataclasses.replace(ctx, candidate=model), model


def band(result: Any, group: str, label: str) -> dict[str, Any]:
    g = next(g for g in result.details["groups"] if g["name"] == group)
    return dict(next(b for b in g["bands"] if b["label"] == label))


def large_tumours(ctx: AuditContext) -> NDArray[np.bool_]:
    """Test rows in the top mean_radius tertile, edges from the train split."""
    assert ctx.dataset is not None and ctx.split is not None
    col = ctx.dataset.features.index("mean_radius")
    edge = np.quantile(ctx.dataset.X[ctx.split.train, col], 2 / 3)
    return np.asarray(ctx.dataset.X[ctx.split.test, col] >= edge)


def test_shipped_model_passes() -> None:
    """It passes the configured logistic regression on every tumour-size band."""
    ctx, _ = with_model(shipped_context())
    result = bias.run(ctx)
    assert result.status == "pass", result.summary
    bands = result.details["groups"][0]["bands"]
    assert [b["label"] for b in bands] == ["small", "medium", "large"]
    assert sum(b["metrics"]["n"] for b in bands) == result.details["test_rows"] == 114
    assert all(b["status"] == "pass" for b in bands)
    assert result.details["overall"]["accuracy"] > 0.9


def test_band_edges_come_from_the_train_split() -> None:
    """It cuts quantile bands at the train split's quantiles, not the test split's."""
    ctx, _ = with_model(shipped_context())
    assert ctx.dataset is not None and ctx.split is not None
    col = ctx.dataset.features.index("mean_radius")
    expected = np.quantile(ctx.dataset.X[ctx.split.train, col], [0, 1 / 3, 2 / 3, 1])
    edges = bias.run(ctx).details["groups"][0]["train_edges"]
    assert np.allclose(edges, expected, atol=1e-6)
    test_edges = np.quantile(ctx.dataset.X[ctx.split.test, col], [1 / 3, 2 / 3])
    assert not np.allclose(edges[1:3], test_edges, atol=1e-6)


def test_a_model_biased_against_one_band_fails() -> None:
    """It fails a model that is wrong on large tumours, naming the band and the metric."""
    ctx, model = with_model(shipped_context())
    biased = dataclasses.replace(ctx, candidate=FlipRows(model, large_tumours(ctx)))
    result = bias.run(biased)
    assert result.status == "fail"
    large = band(result, "tumour_size", "large")
    assert large["status"] == "fail"
    assert "accuracy" in large["over_limit"]
    assert large["metrics"]["accuracy"] < 0.2
    assert "tumour_size=large accuracy" in result.summary


def test_bands_under_min_size_are_shown_as_too_small(tmp_path: Path) -> None:
    """It reports bands under subgroups.min_size as too small, with their metrics."""

    def min_size_40(gov: dict[str, Any]) -> None:
        gov["subgroups"]["min_size"] = 40

    ctx, _ = with_model(build_context(tmp_path, governance=min_size_40))
    result = bias.run(ctx)
    statuses = {b["label"]: b["status"] for b in result.details["groups"][0]["bands"]}
    assert statuses == {"small": "too_small", "medium": "too_small", "large": "pass"}
    assert band(result, "tumour_size", "small")["metrics"]["n"] == 35
    assert result.status == "pass"
    assert "2 too small to judge" in result.summary


def synthetic_frame(rows: int = 400, seed: int = 7) -> pd.DataFrame:
    """Two informative features, a label, and a site column with one rare site."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, rows)
    f1 = rng.normal(y * 4.0, 1.0)
    f2 = rng.normal(-y * 1.0, 1.0)
    site = rng.choice(np.array(["north", "south", "east", "island"], dtype=object), rows)
    site[:15] = "island"
    site[15:] = np.where(site[15:] == "island", "east", site[15:])
    return pd.DataFrame(
        {
            "id": [f"S{i:04d}" for i in range(rows)],
            "diagnosis": np.where(y == 1, "B", "M"),
            "f1": [f"{v:.6f}" for v in f1],
            "f2": [f"{v:.6f}" for v in f2],
            "site": site,
        }
    )


def site_config(gov: dict[str, Any]) -> None:
    gov["data"]["features"] = ["f1", "f2"]
    gov["subgroups"] = {
        "min_size": 10,
        "max_gap": {"accuracy": 0.15, "recall": 0.15},
        "groups": [{"name": "site", "column": "site", "quantiles": None}],
    }


def test_a_categorical_subgroup_is_scored_per_value(tmp_path: Path) -> None:
    """It scores each value of a categorical column, and fails a model biased against a site."""
    ctx, model = with_model(build_context(tmp_path, synthetic_frame(), governance=site_config))
    result = bias.run(ctx)
    assert result.status == "pass", result.summary
    group = result.details["groups"][0]
    assert group["kind"] == "categorical"
    assert [b["label"] for b in group["bands"]] == ["east", "island", "north", "south"]
    assert band(result, "site", "island")["status"] == "too_small"

    # a small group far off the overall metric is shown, not hidden, and does not fail
    assert ctx.dataset is not None and ctx.split is not None
    sites = ctx.dataset.frame["site"].to_numpy()[ctx.split.test]
    island = sites == "island"
    assert 0 < island.sum() < 10
    result = bias.run(dataclasses.replace(ctx, candidate=FlipRows(model, island)))
    shown = band(result, "site", "island")
    assert shown["status"] == "too_small"
    assert shown["metrics"]["accuracy"] <= 0.5 and shown["gaps"]["accuracy"] > 0.15
    assert result.status == "pass", result.summary

    south = sites == "south"
    result = bias.run(dataclasses.replace(ctx, candidate=FlipRows(model, south)))
    assert result.status == "fail"
    assert band(result, "site", "south")["status"] == "fail"
    assert band(result, "site", "north")["status"] in {"pass", "fail"}  # shown either way
    assert "site=south" in result.summary


def test_missing_evidence_and_bad_output_fail_closed(tmp_path: Path) -> None:
    """It refuses to judge without a candidate, without subgroups, or with unusable output."""
    ctx = shipped_context()
    with pytest.raises(EvidenceMissing, match="candidate"):
        bias.run(ctx)

    def no_groups(gov: dict[str, Any]) -> None:
        gov["subgroups"]["groups"] = []

    empty, _ = with_model(build_context(tmp_path / "empty", governance=no_groups))
    with pytest.raises(EvidenceMissing, match="no subgroups"):
        bias.run(empty)

    class Short:
        def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.full(len(X) - 1, 0.5)

    with pytest.raises(bias.CandidateOutputError, match="114 test rows"):
        bias.run(dataclasses.replace(ctx, candidate=Short()))

    def missing_column(gov: dict[str, Any]) -> None:
        gov["subgroups"]["groups"] = [{"name": "sex", "column": "sex", "quantiles": None}]

    nocol, _ = with_model(build_context(tmp_path / "nocol", governance=missing_column))
    with pytest.raises(EvidenceMissing, match="'sex' is not in the data file"):
        bias.run(nocol)


def test_missing_values_form_their_own_subgroup(tmp_path: Path) -> None:
    """A nullable categorical's empty cells are the group "(missing)", not a value "";
    regression gaps are in the task's own metric."""
    from modelgate.governance import load_config
    from modelgate.training.data import load_dataset
    from modelgate.training.train import PipelinePredictor, fit_and_evaluate
    from tests.training.models_matrix_support import CASES, team_workspace

    for name, expected in (("binary-categorical-missing-lr", "accuracy"),
                           ("regression-ridge", "mae")):
        root = tmp_path / name
        root.mkdir()
        config = load_config(team_workspace(root, CASES[name]()))
        dataset = load_dataset(config)
        fitted = fit_and_evaluate(config, dataset)
        ctx = AuditContext(root=root, config=config, commit="0" * 40, dataset=dataset,
                           split=fitted.split, candidate=PipelinePredictor(
                               fitted.pipeline, dataset.features, config.governance.task))
        result = bias.run(ctx)
        assert result.status == "pass", result.summary
        assert list(result.details["max_gap"]) == [expected]
        labels = [b["label"] for g in result.details["groups"] for b in g["bands"]]
        if name.startswith("binary"):
            assert "(missing)" in labels and "" not in labels

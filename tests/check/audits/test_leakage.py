# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The leakage audit: shared ids, identical and near-duplicate rows, single-feature leaks."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelgate.bot.check.audits import leakage
from modelgate.bot.check.audits.base import AuditContext, EvidenceMissing
from modelgate.training.data import Split
from tests.audit_support import block_network, build_context, shipped_context, shipped_frame


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    attempts = block_network(monkeypatch)
    yield
    assert attempts == [], f"the audit tried to reach the network: {attempts}"


def with_copies(tmp_path: Path, noise: float, n: int = 10) -> tuple[AuditContext, list[str]]:
    """The shipped data plus copies of ``n`` train rows (new ids, optional relative noise),
    the copies placed in the test split."""
    base = shipped_context()
    assert base.split is not None
    frame = shipped_frame()
    sources = base.split.train[:n]
    copies = frame.iloc[sources].copy()
    new_ids = [f"9{i:08d}" for i in range(n)]
    copies["id"] = new_ids
    features = list(base.config.governance.data.features)
    values = copies[features].astype(float).to_numpy()
    copies[features] = values * (1.0 + noise)
    ctx = build_context(tmp_path, pd.concat([frame, copies], ignore_index=True))
    added = np.arange(len(frame), len(frame) + n)
    split = Split(train=base.split.train, test=np.sort(np.concatenate([base.split.test, added])))
    return dataclasses.replace(ctx, split=split), new_ids


def test_shipped_data_passes() -> None:
    """It passes the shipped split: no overlaps, nearest pair far apart, no leaky feature."""
    result = leakage.run(shipped_context())
    assert result.status == "pass", result.summary
    assert result.details["near_duplicates"]["closest_distance"] > 0.05
    strongest = result.details["single_feature_auc"]["strongest"][0]
    assert 0.9 < strongest["auc"] < 0.995


def test_rows_duplicated_across_the_split_fail(tmp_path: Path) -> None:
    """It fails when test rows repeat train rows under new ids, naming both ids."""
    ctx, new_ids = with_copies(tmp_path, noise=0.0)
    result = leakage.run(ctx)
    assert result.status == "fail"
    identical = result.details["identical_rows"]
    assert identical["count"] == 10
    assert {p["test_id"] for p in identical["pairs"]} == set(new_ids)
    assert result.details["near_duplicates"]["count"] == 0  # reported once, as identical
    assert leakage.PROBLEM_IDENTICAL.format(n=10) in result.summary


def test_near_duplicates_fail(tmp_path: Path) -> None:
    """It fails on test rows that differ from a train row only by tiny noise."""
    ctx, new_ids = with_copies(tmp_path, noise=1e-5)
    result = leakage.run(ctx)
    assert result.status == "fail"
    near = result.details["near_duplicates"]
    assert result.details["identical_rows"]["count"] == 0
    assert near["count"] == 10
    assert {p["test_id"] for p in near["pairs"]} == set(new_ids)
    assert all(p["distance"] < 0.05 for p in near["pairs"])


def test_near_duplicate_distance_comes_from_governance(tmp_path: Path) -> None:
    """It uses leakage.near_duplicate_distance from governance.yml."""

    def loose(gov: dict[str, Any]) -> None:
        gov["leakage"]["near_duplicate_distance"] = 2.0

    result = leakage.run(build_context(tmp_path, governance=loose))
    assert result.status == "fail"
    assert result.details["near_duplicates"]["threshold"] == 2.0
    assert result.details["near_duplicates"]["count"] > 0


def test_a_feature_equal_to_the_label_fails(tmp_path: Path) -> None:
    """It fails when one feature alone separates the classes, naming the feature."""
    frame = shipped_frame()
    frame["mean_texture"] = (frame["diagnosis"] == "B").astype(int).astype(str)
    result = leakage.run(build_context(tmp_path, frame))
    assert result.status == "fail"
    offending = result.details["single_feature_auc"]["offending"]
    assert offending == [{"feature": "mean_texture", "auc": 1.0}]
    assert "mean_texture" in result.summary


def test_an_inverted_label_feature_fails_too(tmp_path: Path) -> None:
    """It treats a feature that predicts the label backwards (AUC near 0) as a leak."""
    frame = shipped_frame()
    frame["mean_texture"] = (frame["diagnosis"] == "M").astype(int).astype(str)
    result = leakage.run(build_context(tmp_path, frame))
    assert [s["feature"] for s in result.details["single_feature_auc"]["offending"]] == [
        "mean_texture"
    ]


def test_rows_in_both_splits_fail_and_lists_are_capped() -> None:
    """It fails a split that puts the same rows on both sides, listing at most 20 ids."""
    ctx = shipped_context()
    assert ctx.split is not None
    overlap = ctx.split.train[:25]
    split = Split(train=ctx.split.train, test=np.sort(np.concatenate([ctx.split.test, overlap])))
    result = leakage.run(dataclasses.replace(ctx, split=split))
    assert result.status == "fail"
    assert result.details["rows_in_both"]["count"] == 25
    assert len(result.details["rows_in_both"]["ids"]) == 20
    assert result.details["shared_ids"]["count"] == 25
    assert result.details["identical_rows"]["count"] == 25


def test_missing_dataset_or_broken_split_is_missing_evidence() -> None:
    """It raises EvidenceMissing without a dataset, or with a split that points past the data."""
    ctx = shipped_context()
    with pytest.raises(EvidenceMissing):
        leakage.run(dataclasses.replace(ctx, split=None))
    assert ctx.split is not None
    broken = Split(train=ctx.split.train, test=np.array([10_000], dtype=np.intp))
    with pytest.raises(EvidenceMissing, match="outside"):
        leakage.run(dataclasses.replace(ctx, split=broken))


def test_a_leaking_feature_is_found_for_every_task(tmp_path: Path) -> None:
    """A feature that copies the target is found in multiclass (one-vs-rest AUC) and
    regression (rank correlation on the AUC's scale) too; missing values do not crash
    the near-duplicate search."""
    import numpy as np

    from modelgate.governance import load_config
    from modelgate.training.data import load_dataset, split_dataset
    from tests.training.models_matrix_support import CASES, team_workspace

    for name, target in (("multiclass-lr", "species"), ("regression-nullable-hgb", "days")):
        root = tmp_path / name
        root.mkdir()
        case = CASES[name]()
        mapping = {"alpha": "0", "beta": "1", "gamma": "2"}
        case.columns["x4"] = [mapping.get(v, v) for v in case.columns[target]]
        config = load_config(team_workspace(root, case))
        dataset = load_dataset(config)
        assert np.isnan(dataset.X).any() == name.endswith("hgb")
        ctx = AuditContext(root=root, config=config, commit="0" * 40, dataset=dataset,
                           split=split_dataset(dataset, config.governance))
        result = leakage.run(ctx)
        assert result.status == "fail", result.summary
        assert "x4" in result.summary

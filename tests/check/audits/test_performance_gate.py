# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The performance gate passes only a candidate strictly better than production."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from modelgate.bot.check.audits import performance_gate
from modelgate.bot.check.audits.base import AuditContext


@dataclasses.dataclass(frozen=True)
class Noisy:
    """A candidate that only guesses."""

    seed: int = 0

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.random.default_rng(self.seed).random(len(X))


def test_first_model_beats_the_majority_baseline(audit_context: AuditContext) -> None:
    """With no production model, the reference is the majority class, and the CI is reported."""
    result = performance_gate.run(audit_context)
    assert result.status == "pass", result.summary
    d = result.details
    assert d["reference"]["name"] == "majority-class baseline"
    assert d["reference"]["metrics"]["roc_auc"] == 0.5
    assert d["delta"] > 0.4
    boot = d["bootstrap"]
    assert boot["resamples"] >= 1000 and boot["used"] >= 990
    lo, hi = boot["ci95"]
    assert lo <= d["delta"] <= hi
    assert set(d["candidate"]["ci95"]) == {"accuracy", "precision", "recall", "f1", "roc_auc"}


def test_bootstrap_is_seeded(audit_context: AuditContext) -> None:
    """The same evidence gives the same CI, so a report can be reproduced."""
    a = performance_gate.run(audit_context).details["bootstrap"]
    b = performance_gate.run(audit_context).details["bootstrap"]
    assert a == b


def test_worse_candidate_fails(audit_context: AuditContext) -> None:
    """A guessing model loses to the baseline's floors and fails, naming why."""
    result = performance_gate.run(dataclasses.replace(audit_context, candidate=Noisy()))
    assert result.status == "fail"
    assert any("below the floor" in f for f in result.details["failures"])


def test_identical_retrain_passes_as_unchanged_model(tmp_path: Path) -> None:
    """A retrain identical to production (a settings-only PR) passes as "unchanged model"
    and says so; its floors still apply.

    It trains twice, so it works in a workspace of its own, not the shared read-only one."""
    from modelgate.bot.check.pipeline import build_context
    from modelgate.governance import load_config
    from modelgate.training import tracking
    from modelgate.training.train import train
    from tests.conftest import make_workspace

    root = make_workspace(tmp_path / "ws")
    config = load_config(root / "governance.yml")
    first = train(config, reporter=_quiet())
    client = tracking.configure(config)
    name = config.governance.model.name
    client.set_registered_model_alias(name, "production", first.version)
    second = train(config, reporter=_quiet())
    ctx = build_context(config, second, client, tmp_path / "evidence")
    assert ctx.model_version == second.version != first.version
    result = performance_gate.run(ctx)
    assert result.status == "pass", result.summary
    assert result.details["reference"]["name"] == f"production v{first.version}"
    assert result.details["delta"] == 0.0
    assert result.details["unchanged_model"] is True
    assert result.summary.startswith(performance_gate.UNCHANGED.format(
        ref=f"production v{first.version}"))


def test_a_different_model_with_equal_metric_still_fails(audit_context: AuditContext) -> None:
    """Only the same model passes unchanged: other scores with the same primary metric (a
    monotone transform keeps the AUC) are not strictly better, and fail."""
    dataset, split = audit_context.need_dataset()
    gov = audit_context.config.governance
    X, y = dataset.X[split.test], dataset.y[split.test]
    p = audit_context.need_candidate().predict_positive(X)
    reference = performance_gate.Reference("production v1", "1", p ** 2)
    result = performance_gate.judge(gov, y, p, reference, "2")
    assert result.status == "fail"
    assert result.details["unchanged_model"] is False
    assert "is not above production v1" in result.summary


def test_min_delta_is_configurable(audit_context: AuditContext) -> None:
    """A required minimum improvement larger than the real one fails the gate."""
    gov = audit_context.config.governance
    strict = gov.model_copy(update={"metrics": gov.metrics.model_copy(update={"min_delta": 0.9})})
    config = audit_context.config.model_copy(update={"governance": strict})
    result = performance_gate.run(dataclasses.replace(audit_context, config=config))
    assert result.status == "fail" and "by more than 0.9" in result.summary


def _quiet() -> Any:
    import io

    from modelgate.progress import ConsoleReporter

    return ConsoleReporter(io.StringIO())


def _task_context(tmp_path: Path, name: str) -> AuditContext:
    from modelgate.governance import load_config
    from modelgate.training.data import load_dataset
    from modelgate.training.train import PipelinePredictor, fit_and_evaluate
    from tests.training.models_matrix_support import CASES, team_workspace

    config = load_config(team_workspace(tmp_path, CASES[name]()))
    dataset = load_dataset(config)
    fitted = fit_and_evaluate(config, dataset)
    return AuditContext(root=tmp_path, config=config, commit="0" * 40, dataset=dataset,
                        split=fitted.split, candidate=PipelinePredictor(
                            fitted.pipeline, dataset.features, config.governance.task),
                        extra={performance_gate.BASELINE_ONLY: True})


@pytest.mark.parametrize(("name", "baseline", "primary"), [
    ("multiclass-lr", "class-frequency baseline", "f1_macro"),
    ("regression-ridge", "training-mean baseline", "rmse"),
])
def test_other_tasks_beat_their_trivial_baseline(tmp_path: Path, name: str, baseline: str,
                                                 primary: str) -> None:
    """Multiclass and regression models are gated on their own metric against their
    own baseline; rmse counts as better when it falls."""
    result = performance_gate.run(_task_context(tmp_path, name))
    assert result.status == "pass", result.summary
    assert result.details["reference"]["name"] == baseline
    assert result.details["primary_metric"] == primary
    assert result.details["delta"] > 0 and result.details["bootstrap"]["ci95"][0] > 0
    cand = result.details["candidate"]["metrics"][primary]
    ref = result.details["reference"]["metrics"][primary]
    assert (cand < ref) if primary == "rmse" else (cand > ref)


def test_a_worse_regressor_fails_and_a_ceiling_is_enforced(tmp_path: Path) -> None:
    """A regressor with a higher rmse than the reference fails; so does one above the
    configured rmse ceiling."""
    ctx = _task_context(tmp_path, "regression-ridge")
    dataset, split = ctx.need_dataset()
    gov = ctx.config.governance
    y = dataset.y[split.test]
    p = ctx.need_candidate().predict_scores(dataset.X[split.test])  # type: ignore[attr-defined]
    worse = performance_gate.judge(gov, y, p + 4.5, performance_gate.Reference(
        "production v1", "1", p), "2")
    assert worse.status == "fail"
    assert "is not below production v1" in worse.summary
    assert "above the ceiling 4.0" in worse.summary and "below the floor 0.5" in worse.summary

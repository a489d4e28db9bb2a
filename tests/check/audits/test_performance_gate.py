# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The performance gate passes only a candidate strictly better than production."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.check.audits import performance_gate
from bot.check.audits.base import AuditContext


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


def test_equal_candidate_fails_against_production(tmp_path: Path) -> None:
    """A retrain identical to production is not strictly better: it fails.

    It trains twice, so it works in a workspace of its own, not the shared read-only one."""
    from bot.check.pipeline import build_context
    from modelgate.governance import load_config
    from tests.conftest import make_workspace
    from training import tracking
    from training.train import train

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
    assert result.status == "fail"
    assert result.details["reference"]["name"] == f"production v{first.version}"
    assert result.details["delta"] == 0.0
    assert "is not above" in result.summary


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

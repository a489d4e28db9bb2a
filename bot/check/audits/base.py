# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The audit contract: one context in, one result out.

Each audit is one module under ``bot/audits/`` exposing ``AUDIT_ID``, ``TITLE`` and
``run(ctx: AuditContext) -> AuditResult``. An audit reports what it found; the runner
turns exceptions, time-outs and :class:`EvidenceMissing` into failures (fail closed), so
audits should raise rather than guess when their evidence is not there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from modelgate.errors import ModelgateError
from modelgate.governance import LoadedConfig

if TYPE_CHECKING:  # annotations only: the tree audits start before numpy and pandas load
    import numpy as np
    from numpy.typing import NDArray

    from modelgate.training.data import Dataset, Split

Status = Literal["pass", "fail", "error"]


class EvidenceMissing(ModelgateError):
    """The audit cannot find what it must inspect; the runner reports a failure."""


class Predictor(Protocol):
    """Anything that gives P(positive class) for rows of features in configured order."""

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]: ...


@dataclass(frozen=True)
class RunEvidence:
    """What the training run logged, read back from the tracking store."""

    run_id: str
    status: str
    tags: dict[str, str]
    params: dict[str, str]
    metrics: dict[str, float]
    artifacts: frozenset[str]
    artifact_dir: Path  # a local copy of the run's artifacts


@dataclass(frozen=True)
class AuditContext:
    """Everything an audit may look at. Fields are ``None`` when the evidence is absent;
    an audit that needs an absent field raises :class:`EvidenceMissing`."""

    root: Path
    config: LoadedConfig
    commit: str
    dataset: Dataset | None = None
    split: Split | None = None
    run: RunEvidence | None = None
    model_version: str | None = None
    candidate: Predictor | None = None
    registry: Any = None  # an mlflow.MlflowClient (or a double with the same methods)
    card_dir: Path | None = None  # where the model card (md + json twin) was written
    extra: dict[str, Any] = field(default_factory=dict)

    def need_dataset(self) -> tuple[Dataset, Split]:
        if self.dataset is None or self.split is None:
            raise EvidenceMissing("the dataset or its train/test split could not be loaded")
        return self.dataset, self.split

    def need_run(self) -> RunEvidence:
        if self.run is None:
            raise EvidenceMissing("no training run was found for this commit")
        return self.run

    def need_candidate(self) -> Predictor:
        if self.candidate is None:
            raise EvidenceMissing("the candidate model could not be loaded")
        return self.candidate


@dataclass(frozen=True)
class AuditResult:
    id: str
    title: str
    status: Status
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "details": self.details,
            "duration_s": round(self.duration_s, 4),
        }

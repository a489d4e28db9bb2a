# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Serving traffic for the drift tests, written by the real serving logger
(``modelgate.serving.logs.RequestLogger``) so the test lines cannot drift from the format."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelgate.governance import LoadedConfig, load_config
from modelgate.serving.logs import ModelRef, RequestLogger, RequestRecord
from modelgate.serving.validation import to_matrix
from modelgate.training.data import load_dataset, split_dataset

START = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
ALIAS = "production"


class StepClock:
    """A clock that moves ``step`` forward on every reading."""

    def __init__(self, start: datetime = START, step: timedelta = timedelta(seconds=1)) -> None:
        self.now, self.step = start - step, step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@dataclass(frozen=True)
class Traffic:
    """Who answered: the model name and version every line carries."""

    model_name: str
    version: str
    features: tuple[str, ...]
    threshold: float = 0.5


def request_lines(traffic: Traffic, X: NDArray[np.float64], p: NDArray[np.float64], *,
                  batch: int = 1, clock: StepClock | None = None,
                  log_features: bool = True, version: str | None = None) -> list[str]:
    """One scored /predict request per ``batch`` rows, as the serving app logs it."""
    lines: list[str] = []
    logger = RequestLogger(lines.append, clock or StepClock(), log_features=log_features)
    for start in range(0, len(X), batch):
        rec = RequestRecord(f"req-{start:07d}", "POST", "/predict",
                            ModelRef(traffic.model_name, version or traffic.version, ALIAS))
        probs = [float(v) for v in p[start:start + batch]]
        rec.status, rec.validation = 200, "passed"
        rec.probabilities = probs
        rec.predictions = [1 if v >= traffic.threshold else 0 for v in probs]
        # through the serving validator, exactly as the app fills the record
        records = [dict(zip(traffic.features, row, strict=True))
                   for row in X[start:start + batch].tolist()]
        rec.feature_names = traffic.features
        rec.features = to_matrix(records, traffic.features, frozenset(traffic.features),
                                 float("inf"), single=False)
        logger.request(rec, 2.5)
    return lines


def rejected_lines(traffic: Traffic, n: int, *, clock: StepClock | None = None) -> list[str]:
    """Requests the API refused with 422 (a missing feature), as the app logs them."""
    lines: list[str] = []
    logger = RequestLogger(lines.append, clock or StepClock(), log_features=True)
    for i in range(n):
        rec = RequestRecord(f"bad-{i:05d}", "POST", "/predict",
                            ModelRef(traffic.model_name, traffic.version, ALIAS))
        rec.status, rec.validation, rec.error = 422, "rejected", "invalid_features"
        rec.errors = [{"error": "invalid_features", "missing": [traffic.features[0]],
                       "extra": []}]
        logger.request(rec, 0.4)
    return lines


def health_lines(traffic: Traffic, n: int, *, clock: StepClock | None = None) -> list[str]:
    lines: list[str] = []
    logger = RequestLogger(lines.append, clock or StepClock(), log_features=True)
    for i in range(n):
        rec = RequestRecord(f"h-{i:05d}", "GET", "/health",
                            ModelRef(traffic.model_name, traffic.version, ALIAS))
        rec.status = 200
        logger.request(rec, 0.1)
    return lines


def bundle_line(traffic: Traffic) -> str:
    lines: list[str] = []
    RequestLogger(lines.append, StepClock(), log_features=True).bundle(
        uri="s3://bundles/model.tar", loaded=True, detail="verified",
        model=ModelRef(traffic.model_name, traffic.version, ALIAS))
    return lines[0]


def write_log(path: Path, *groups: Iterable[str]) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for group in groups:
            for line in group:
                fh.write(line + "\n")
    return path


@dataclass(frozen=True)
class Replay:
    """The trained workspace's evaluation set: test-split rows and the run's own
    predictions for them (``evaluation/predictions.json``), in the same order."""

    config: LoadedConfig
    tracking_uri: str
    run_id: str
    traffic: Traffic
    X_test: NDArray[np.float64]
    y_test: NDArray[np.int64]
    p_test: NDArray[np.float64]
    X_train: NDArray[np.float64]


def replay_from(root: Path, result: Any) -> Replay:
    from mlflow import MlflowClient

    config = load_config(root / "governance.yml")
    client = MlflowClient(tracking_uri=result.tracking_uri, registry_uri=result.tracking_uri)
    with tempfile.TemporaryDirectory() as tmp:
        doc = json.loads(Path(client.download_artifacts(
            result.run_id, "evaluation/predictions.json", tmp)).read_text())
    dataset = load_dataset(config)
    split = split_dataset(dataset, config.governance)
    ids = [str(i) for i in dataset.ids[split.test]]
    if ids != doc["ids"]:
        raise AssertionError("the rebuilt test split is not the run's evaluation set")
    return Replay(
        config=config, tracking_uri=result.tracking_uri, run_id=result.run_id,
        traffic=Traffic(result.model_name, result.version, dataset.features,
                        float(doc["threshold"])),
        X_test=dataset.X[split.test], y_test=dataset.y[split.test],
        p_test=np.asarray(doc["p_positive"], dtype=np.float64),
        X_train=dataset.X[split.train],
    )


def put_events(client: Any, group: str, stream: str,
               events: list[tuple[datetime, str]]) -> None:
    """Lambda's stdout as CloudWatch stores it: one event per line, newline kept."""
    client.create_log_stream(logGroupName=group, logStreamName=stream)
    batch = [{"timestamp": int(t.timestamp() * 1000), "message": m + "\n"} for t, m in events]
    for i in range(0, len(batch), 1000):
        client.put_log_events(logGroupName=group, logStreamName=stream,
                              logEvents=batch[i:i + 1000])

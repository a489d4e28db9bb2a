# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared by the bundle and serving tests: a model fitted on the shipped data, its bundle,
and Lambda events built from the shared fixtures."""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from modelgate.governance import LoadedConfig, load_config
from modelgate.infra.bundle import BundleMeta, export_bundle
from modelgate.serving.manifest import BundleManifest
from modelgate.training.data import load_dataset, split_dataset
from tests.conftest import load_fixture_json
from tests.workspace_support import fixture_config

EVENTS = "aws-lambda-events"
CREATED_AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
RUN_ID = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
COMMIT = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"


@dataclass(frozen=True)
class Fitted:
    """The shipped configuration's pipeline, fitted on its train split."""

    config: LoadedConfig
    pipeline: Pipeline
    features: tuple[str, ...]
    X_train: NDArray[np.float64]
    X_test: NDArray[np.float64]
    data_sha256: str

    def p_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        classes = list(self.pipeline.classes_)
        return np.asarray(self.pipeline.predict_proba(X)[:, classes.index(1)], dtype=np.float64)

    def meta(self, *, version: str = "7", alias: str = "production") -> BundleMeta:
        gov = self.config.governance
        return BundleMeta(
            model_name=gov.model.name,
            model_version=version,
            alias=alias,
            run_id=RUN_ID,
            commit=COMMIT,
            data_sha256=self.data_sha256,
            threshold=gov.estimator.threshold,
            positive_class=gov.data.target.positive_class,
            negative_class=gov.data.target.negative_class,
        )


@lru_cache(maxsize=1)
def fitted() -> Fitted:
    config = load_config(fixture_config())
    dataset = load_dataset(config)
    split = split_dataset(dataset, config.governance)
    pipeline = Pipeline([("scale", StandardScaler()),
                         ("model", LogisticRegression(C=1.0, max_iter=1000))])
    pipeline.fit(dataset.X[split.train], dataset.y[split.train])
    return Fitted(
        config=config,
        pipeline=pipeline,
        features=dataset.features,
        X_train=dataset.X[split.train],
        X_test=dataset.X[split.test],
        data_sha256=dataset.sha256,
    )


def export(out_dir: Path, **kwargs: Any) -> BundleManifest:
    """Export the fitted pipeline (parity on the test split) to ``out_dir``."""
    fit = fitted()
    options: dict[str, Any] = {"features": fit.features, "out_dir": out_dir, "meta": fit.meta(),
                               "eval_X": fit.X_test, "clock": lambda: CREATED_AT}
    options.update(kwargs)
    estimator = options.pop("estimator", fit.pipeline)
    return export_bundle(estimator, **options)


def record(row: NDArray[np.float64]) -> dict[str, float]:
    return {name: float(v) for name, v in zip(fitted().features, row, strict=True)}


class LogLines(list[str]):
    """A log sink that keeps the lines (and parses them on demand)."""

    def __call__(self, line: str) -> None:
        self.append(line)

    def parsed(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self]

    def requests(self) -> list[dict[str, Any]]:
        return [d for d in self.parsed() if d["event"] == "request"]


@dataclass
class FakeContext:
    """Stands in for the Lambda context object (the app never reads it)."""

    function_name: str = "modelgate-test"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"


def load_event(name: str) -> dict[str, Any]:
    return copy.deepcopy(load_fixture_json(f"{EVENTS}/{name}"))


def _set_headers(event: dict[str, Any], headers: dict[str, str]) -> None:
    lowered = {k.lower() for k in headers}
    for key in ("headers", "multiValueHeaders"):
        current = event.get(key)
        if not isinstance(current, dict):
            continue
        for name in [n for n in current if n.lower() in lowered]:
            del current[name]
        if key == "multiValueHeaders":
            current.update({k: [v] for k, v in headers.items()})
        else:
            current.update(headers)


def http_event(name: str, method: str, path: str, body: bytes | None = None, *,
               headers: dict[str, str] | None = None, base64_body: bool = False
               ) -> dict[str, Any]:
    """A fixture event turned into ``method path`` with ``body`` (kept in its own shape)."""
    event = load_event(name)
    wanted = dict(headers or {})
    if body is not None:
        wanted.setdefault("content-type", "application/json")
        wanted["content-length"] = str(len(body))
    if event.get("version") == "2.0":
        event["rawPath"] = path
        event["requestContext"]["http"].update({"method": method, "path": path})
    else:
        event["path"] = path
        event["httpMethod"] = method
    _set_headers(event, wanted)
    if body is None:
        event["body"] = "" if "elb" in event["requestContext"] else None
        event["isBase64Encoded"] = False
    elif base64_body:
        event["body"] = base64.b64encode(body).decode("ascii")
        event["isBase64Encoded"] = True
    else:
        event["body"] = body.decode("utf-8")
        event["isBase64Encoded"] = False
    return event


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    """Headers of a Lambda proxy response, lower-cased, whichever of the two forms it uses."""
    out = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for key, values in (response.get("multiValueHeaders") or {}).items():
        out.setdefault(key.lower(), values[0])
    return out


def response_json(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode("utf-8")
    return json.loads(body)

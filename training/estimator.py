# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Build the estimator that ``governance.yml`` names, so a team swaps its model by config.

Each step is an import path (``package.module.Class`` or ``package.module:factory``) plus
keyword parameters; several steps form a scikit-learn ``Pipeline``. The import runs the
repository's own code (the PR under audit), which is why training only ever runs in the
untrusted, token-less job.
"""

from __future__ import annotations

import importlib
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from modelgate.errors import ModelgateError
from modelgate.governance import EstimatorSection, EstimatorStep


class EstimatorError(ModelgateError):
    """The configured estimator cannot be built."""


def _import(path: str) -> Any:
    if ":" in path:
        module_name, attr = path.split(":", 1)
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise EstimatorError(f"estimator.steps: {path!r} is not an import path (module.Class)")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise EstimatorError(
            f"estimator.steps: cannot import module {module_name!r}: {exc}"
        ) from exc
    target: Any = module
    for part in attr.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise EstimatorError(
                f"estimator.steps: module {module_name!r} has no attribute {attr!r}"
            ) from None
    return target


def _build_step(index: int, step: EstimatorStep) -> Any:
    factory = _import(step.class_)
    try:
        obj = factory(**step.params)
    except TypeError as exc:
        raise EstimatorError(
            f"estimator.steps[{index}] ({step.class_}): bad parameters {step.params}: {exc}"
        ) from exc
    if not (hasattr(obj, "fit") and (hasattr(obj, "transform") or hasattr(obj, "predict"))):
        raise EstimatorError(
            f"estimator.steps[{index}] ({step.class_}) is not a scikit-learn estimator"
        )
    return obj


def build_estimator(section: EstimatorSection) -> Pipeline:
    steps = [_build_step(i, s) for i, s in enumerate(section.steps)]
    if not hasattr(steps[-1], "predict_proba"):
        raise EstimatorError(
            f"estimator.steps[-1] ({section.steps[-1].class_}) has no predict_proba; "
            "the gate needs probabilities"
        )
    names = [f"{i}_{type(s).__name__.lower()}" for i, s in enumerate(steps)]
    return Pipeline(list(zip(names, steps, strict=True)))


def model_type(pipeline: Pipeline) -> str:
    return type(pipeline.steps[-1][1]).__name__


def loggable_params(pipeline: Pipeline) -> dict[str, str]:
    """The final model's own parameters (defaults included), as MLflow params."""
    final: BaseEstimator = pipeline.steps[-1][1]
    out: dict[str, str] = {}
    for key, value in sorted(final.get_params(deep=False).items()):
        if value is None or isinstance(value, str | int | float | bool):
            out[key] = str(value)
    return out

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Build the estimator that ``governance.yml`` names, so a team swaps its model by config.

Each step is an import path (``package.module.Class``, ``package.module:factory``, or a
file of the team's repository, ``model/features.py:make_pipeline``, read relative to the
folder of governance.yml) plus keyword parameters; several steps form a scikit-learn
``Pipeline``. A parameter value that is itself a mapping with a ``class`` key is built
the same way, at any depth, so a ``ColumnTransformer`` names its transformers (each
``[name, {class: ...}, [columns]]``) and a nested ``Pipeline`` its steps. The import runs
the repository's own code (the PR under audit), which is why training only ever runs in the
untrusted, token-less job.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from modelgate.errors import UsageError
from modelgate.governance import EstimatorSection, EstimatorStep


class EstimatorError(UsageError):
    """The configured estimator cannot be built."""


FILE_MODULE_PREFIX = "modelgate_file__"  # never the name of a package modelgate imports


def _import_file(relative: str, root: Path) -> Any:
    """``model/features.py`` of the team's repository: that exact file (never something
    else on sys.path), as a module of its own flat name (``modelgate_file__model__features``,
    so it cannot stand in for a module modelgate imports), registered so its classes pickle.
    """
    import importlib.util
    import re
    import sys

    path = (root / relative).resolve()
    try:
        path.relative_to(root.resolve())
    except ValueError:
        raise EstimatorError(f"estimator.steps: {relative!r} is outside the repository "
                             f"{root}") from None
    if not path.is_file():
        raise EstimatorError(f"estimator.steps: file {relative!r} not found under {root}")
    name = FILE_MODULE_PREFIX + re.sub(r"\W", "_", relative.removesuffix(".py").replace("/", "__"))
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise EstimatorError(f"estimator.steps: cannot load {relative!r} as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # the team's code: any failure is its message
        del sys.modules[name]
        raise EstimatorError(f"estimator.steps: importing {relative!r} failed: "
                             f"{type(exc).__name__}: {exc}") from exc
    return module


def _import(path: str, root: Path) -> Any:
    if ":" in path:
        module_name, attr = path.split(":", 1)
    else:
        module_name, _, attr = path.rpartition(".")
    if not module_name:
        raise EstimatorError(f"estimator.steps: {path!r} is not an import path (module.Class)")
    if module_name.endswith(".py"):
        module = _import_file(module_name, root)
    else:
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


def _build_value(where: str, value: Any, root: Path) -> Any:
    """Parameters with nested ``{class: ..., params: {...}}`` mappings built."""
    if isinstance(value, dict) and "class" in value:
        extra = set(value) - {"class", "params"}
        if extra:
            raise EstimatorError(f"{where}: unknown key(s) {sorted(extra)} beside 'class' "
                                 "(parameters go under 'params')")
        try:
            step = EstimatorStep.model_validate(value)
        except ValueError as exc:
            raise EstimatorError(f"{where}: {exc}") from None
        return _build_object(where, step, root)
    if isinstance(value, dict):
        return {k: _build_value(f"{where}.{k}", v, root) for k, v in value.items()}
    if isinstance(value, list):
        built = [_build_value(f"{where}[{i}]", v, root) for i, v in enumerate(value)]
        # [name, estimator, columns] and [name, estimator] are tuples to scikit-learn
        if any(_is_estimator(v) for v in built) and value and isinstance(value[0], str):
            return tuple(built)
        return built
    return value


def _is_estimator(obj: Any) -> bool:
    return hasattr(obj, "fit") and (hasattr(obj, "transform") or hasattr(obj, "predict"))


def _build_object(where: str, step: EstimatorStep, root: Path) -> Any:
    factory = _import(step.class_, root)
    params = {k: _build_value(f"{where}.params.{k}", v, root) for k, v in step.params.items()}
    try:
        return factory(**params)
    except (TypeError, ValueError) as exc:
        raise EstimatorError(f"{where} ({step.class_}): bad parameters: {exc}") from exc


def _build_step(index: int, step: EstimatorStep, root: Path) -> Any:
    factory = _import(step.class_, root)
    try:
        params = {k: _build_value(f"estimator.steps[{index}].params.{k}", v, root)
                  for k, v in step.params.items()}
        obj = factory(**params)
    except TypeError as exc:
        raise EstimatorError(
            f"estimator.steps[{index}] ({step.class_}): bad parameters {step.params}: {exc}"
        ) from exc
    if not (hasattr(obj, "fit") and (hasattr(obj, "transform") or hasattr(obj, "predict"))):
        raise EstimatorError(
            f"estimator.steps[{index}] ({step.class_}) is not a scikit-learn estimator"
        )
    return obj


def _column_positions(obj: Any, features: tuple[str, ...], where: str) -> None:
    """Replace feature names in every ColumnTransformer's column lists by their positions
    in ``features``: the model then takes the feature matrix in configured order, as a
    DataFrame in training and as one tensor in ONNX (whose converter needs positions)."""
    from sklearn.compose import ColumnTransformer

    if isinstance(obj, ColumnTransformer):
        fixed = []
        for entry in obj.transformers:
            name, transformer, columns = entry
            cols = [columns] if isinstance(columns, str) else columns
            if isinstance(cols, list | tuple) and all(isinstance(c, str) for c in cols):
                unknown = [c for c in cols if c not in features]
                if unknown:
                    raise EstimatorError(
                        f"{where}: ColumnTransformer step {name!r} names column(s) {unknown} "
                        f"that are not in data.features")
                cols = [features.index(c) for c in cols]
            fixed.append((name, transformer, cols))
            _column_positions(transformer, features, f"{where}.{name}")
        obj.transformers = fixed
    for _, child in getattr(obj, "steps", []):
        _column_positions(child, features, where)


def build_estimator(section: EstimatorSection, task: str = "binary",
                    features: tuple[str, ...] | None = None,
                    root: Path | None = None) -> Pipeline:
    """The Pipeline ``section`` names; its last step must suit ``task`` (a classifier
    with ``predict_proba``, or a regressor). With ``features``, ColumnTransformer column
    names are checked against them and turned into positions. A ``path/to/file.py:name``
    step resolves against ``root`` (governance.yml's folder; default: the working
    directory)."""
    from sklearn.base import is_classifier, is_regressor

    steps = [_build_step(i, s, root or Path.cwd()) for i, s in enumerate(section.steps)]
    if features is not None:
        for i, step in enumerate(steps):
            _column_positions(step, features, f"estimator.steps[{i}]")
    final, name = steps[-1], section.steps[-1].class_
    if task == "regression":
        if not is_regressor(final):
            raise EstimatorError(f"estimator.steps[-1] ({name}) is not a regressor; task "
                                 "regression needs one (e.g. sklearn.linear_model.Ridge)")
    elif not hasattr(final, "predict_proba"):
        raise EstimatorError(
            f"estimator.steps[-1] ({name}) has no predict_proba; "
            "the gate needs probabilities"
        )
    elif not is_classifier(final):
        raise EstimatorError(f"estimator.steps[-1] ({name}) is not a classifier; task {task} "
                             "needs one")
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

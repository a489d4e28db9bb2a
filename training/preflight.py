# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What ``modelgate validate-config`` checks beyond the file's own keys: the estimator is
built (imports and parameters), every column governance.yml names (features, subgroups,
id, target) is in the data file's header, and, when those hold, the estimator fitted on
a sample of the data converts to ONNX (what cannot be served is named with the
converter's cause before anyone trains)."""

from __future__ import annotations

import csv

from modelgate.errors import ModelgateError
from modelgate.governance import ConfigError, LoadedConfig
from modelgate.training.estimator import EstimatorError, build_estimator

SAMPLE_ROWS = 500  # fitted for the conversion check: enough for every class, seconds at most


def check_against_data(config: LoadedConfig, *, servable: bool = True) -> list[str]:
    """Problems, each naming the key and what to do; empty when there are none."""
    gov = config.governance
    problems: list[str] = []
    try:
        build_estimator(gov.estimator, gov.task, tuple(gov.data.features), config.root)
    except EstimatorError as exc:
        problems.append(str(exc))
    path = config.data_path
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            header = [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [*problems, f"data.path {path}: cannot read its header: {exc}"]
    known = set(header)
    named = [("data.id_column", gov.data.id_column), ("data.target.column",
                                                        gov.data.target.column)]
    named += [(f"data.features[{i}]", f) for i, f in enumerate(gov.data.features)]
    named += [(f"subgroups.groups[{i}].column", g.column)
              for i, g in enumerate(gov.subgroups.groups)]
    for key, column in named:
        if column not in known:
            problems.append(f"{key}: column {column!r} is not in {path.name}'s header "
                            f"({len(header)} columns: {', '.join(header[:8])}"
                            f"{', …' if len(header) > 8 else ''})")
    if servable and not problems:
        problems += _conversion_problems(config)
    return problems


def _conversion_problems(config: LoadedConfig) -> list[str]:
    """Fit on a sample and convert as the servable audit will (no parity verdict here:
    a sample-fitted model only shows whether the pipeline converts at all)."""
    import warnings

    import numpy as np

    from modelgate.infra.bundle import BundleExportError, convert_checked
    from modelgate.training.data import load_dataset
    from modelgate.training.train import _frame

    gov = config.governance
    try:
        dataset = load_dataset(config, verify_manifest=False)
    except ModelgateError as exc:
        hint = (f" (write it with `modelgate data add {gov.data.path.as_posix()}`)"
                if "manifest not found" in str(exc) else "")
        return [f"data: {exc}{hint}"]
    rng = np.random.default_rng(0)
    rows = np.sort(rng.permutation(len(dataset.y))[:SAMPLE_ROWS])
    pipeline = build_estimator(gov.estimator, gov.task, dataset.features, config.root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipeline.fit(_frame(dataset.X[rows], dataset.features), dataset.y[rows])
    except Exception as exc:  # the team's estimator: any failure is its message
        return [f"estimator: fitting on {len(rows)} rows failed: {type(exc).__name__}: {exc}"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            convert_checked(pipeline, np.ascontiguousarray(dataset.X[rows[:50]]), task=gov.task,
                            positive_index=1 if gov.task == "binary" else 0, tolerance=1.0)
    except BundleExportError as exc:
        return [f"estimator: not servable: {exc}"]
    return []


def validate_against_data(config: LoadedConfig) -> None:
    """Raise :class:`ConfigError` listing every problem of :func:`check_against_data`."""
    problems = check_against_data(config)
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise ConfigError(f"{config.path}: invalid against its data and code "
                          f"({len(problems)} problem(s))\n{lines}")

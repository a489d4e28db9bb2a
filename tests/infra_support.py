# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the infra tests: a real model bundle fitted on the governed data."""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from modelgate.governance import load_config
from modelgate.infra.bundle import BundleMeta, export_bundle
from modelgate.serving.manifest import BundleManifest
from modelgate.training.data import load_dataset, split_dataset
from modelgate.training.estimator import build_estimator
from tests.workspace_support import fixture_config

FIXED_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
# the wheel tags a python3.12 x86_64 Lambda zip may carry
GOOD_TAGS = ("cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-manylinux2014_x86_64")
# the execution role's trust policy: Lambda may assume it
TRUST_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                   "Action": "sts:AssumeRole"}],
})


def make_zip(path: Path, *, marker: str, tags: tuple[str, ...] = GOOD_TAGS) -> Path:
    """A small Lambda-shaped zip: serving sources plus one dependency's dist-info whose
    wheel carries the given tags."""
    wheel = "Wheel-Version: 1.0\nRoot-Is-Purelib: false\n" + "".join(f"Tag: {t}\n" for t in tags)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("modelgate/serving/__init__.py", "")
        archive.writestr("modelgate/serving/handler.py", f"MARKER = {marker!r}\n")
        archive.writestr("dep-1.0.dist-info/WHEEL", wheel)
    return path


@dataclass(frozen=True)
class FittedBundle:
    """A bundle directory plus the rows and predictions it must reproduce."""

    directory: Path
    manifest: BundleManifest
    features: tuple[str, ...]
    test_X: NDArray[np.float64]
    expected_p: NDArray[np.float64]


def fit_and_export(dest: Path, *, model_version: str = "1", commit: str = "a" * 40) -> FittedBundle:
    """Fit the configured pipeline on the shipped data and export it as a bundle."""
    config = load_config(fixture_config())
    gov = config.governance
    dataset = load_dataset(config)
    split = split_dataset(dataset, gov)
    pipeline = build_estimator(gov.estimator)
    pipeline.fit(dataset.X[split.train], dataset.y[split.train])
    test_X = dataset.X[split.test]
    meta = BundleMeta(
        model_name=gov.model.name, model_version=model_version, alias=gov.aliases.production,
        run_id="0123456789abcdef0123456789abcdef", commit=commit, data_sha256=dataset.sha256,
        threshold=gov.estimator.threshold, positive_class=gov.data.target.positive_class,
        negative_class=gov.data.target.negative_class)
    manifest = export_bundle(pipeline, features=dataset.features, out_dir=dest, meta=meta,
                             eval_X=test_X, clock=lambda: FIXED_NOW)
    expected = np.asarray(pipeline.predict_proba(test_X)[:, 1], dtype=np.float64)
    return FittedBundle(directory=dest, manifest=manifest, features=dataset.features,
                        test_X=test_X, expected_p=expected)

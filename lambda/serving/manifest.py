# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The bundle manifest (``manifest.json``): the one document that ties a served model to
its registry version, source run, data and commit.

It lives in ``serving`` because both sides need it: ``modelgate.infra.bundle`` writes it at
promotion, the Lambda reads and verifies it at cold start, and the Lambda must not import
anything heavier than pydantic to do so. Every string that later travels in an HTTP header
or a log line is constrained here, so a bad manifest is refused on load rather than
producing a malformed response.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
MODEL_FILE = "model.onnx"
# Custom ONNX metadata key holding a copy of the manifest's identity fields, so an edit to
# the manifest alone (say, a lowered threshold) no longer matches the hashed model file.
ONNX_IDENTITY_KEY = "modelgate.identity"

# Header- and log-safe tokens: model version, alias, run id and commit all end up in
# ``X-Model-Version`` headers or CloudWatch lines.
TOKEN_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
FILE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
FILE_NAME_RE = re.compile(FILE_NAME_PATTERN)

Token = Annotated[str, Field(pattern=TOKEN_PATTERN)]
Sha256 = Annotated[str, Field(pattern=SHA256_PATTERN)]
FileName = Annotated[str, Field(pattern=FILE_NAME_PATTERN)]
ClassName = Annotated[str, Field(min_length=1, max_length=100)]
FeatureName = Annotated[str, Field(min_length=1, max_length=200)]
InputDtype = Literal["float64", "float32"]
Task = Literal["binary", "multiclass", "regression"]
FeatureType = Literal["numeric", "categorical", "boolean"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True,
                              populate_by_name=True, serialize_by_alias=True)


class BundleFile(_Strict):
    """One file of the bundle, by name, digest and size."""

    path: FileName
    sha256: Sha256
    bytes: Annotated[int, Field(ge=0)]


class FeatureField(_Strict):
    """One input field of the serving contract: its type, whether JSON ``null`` is
    accepted, and for a categorical the accepted values (the model sees the value's
    index in ``categories``, as in training)."""

    name: FeatureName
    type: FeatureType = "numeric"
    nullable: bool = False
    categories: tuple[ClassName, ...] | None = None

    @model_validator(mode="after")
    def _categories_fit(self) -> FeatureField:
        if (self.type == "categorical") != (self.categories is not None):
            raise ValueError(f"feature {self.name!r}: categories are given exactly for a "
                             "categorical")
        return self


class OnnxSection(_Strict):
    """How to call the model: input and output names, the input dtype and which output
    column is the positive class."""

    file: FileName = MODEL_FILE
    input_name: Annotated[str, Field(min_length=1, max_length=200)]
    input_dtype: InputDtype
    probabilities_output: Annotated[str, Field(min_length=1, max_length=200)]
    positive_index: Annotated[int, Field(ge=0, le=999)]
    opset: dict[str, Annotated[int, Field(ge=1)]]
    target_opset: dict[str, Annotated[int, Field(ge=1)]]


class ParitySection(_Strict):
    """The exported model's P(positive) against the trained model's on evaluation rows."""

    rows: Annotated[int, Field(ge=1)]
    max_abs_diff: Annotated[float, Field(ge=0.0, allow_inf_nan=False)]
    tolerance: Annotated[float, Field(gt=0.0, allow_inf_nan=False)]
    label_disagreements: Annotated[int, Field(ge=0)]
    input_dtype: InputDtype

    @model_validator(mode="after")
    def _within_tolerance(self) -> ParitySection:
        if not self.max_abs_diff <= self.tolerance:
            raise ValueError(
                f"parity max_abs_diff {self.max_abs_diff!r} exceeds tolerance {self.tolerance!r}"
            )
        return self


class BundleManifest(_Strict):
    """``manifest.json``, schema version 1."""

    schema_version: Literal[1]
    model_name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    model_version: Token
    alias: Token
    run_id: Token
    commit: Token
    data_sha256: Sha256
    features: Annotated[tuple[FeatureName, ...], Field(min_length=1, max_length=10_000)]
    threshold: Annotated[float, Field(gt=0.0, lt=1.0, allow_inf_nan=False)]
    positive_class: ClassName | Literal[""]  # binary only
    negative_class: ClassName | Literal[""]  # binary only
    created_at: datetime
    example: dict[str, float]  # in the model's coding (category codes, 0/1)
    # the task and the feature schema; absent in bundles of numeric binary classifiers
    task: Task = "binary"
    classes: tuple[ClassName, ...] = ()  # multiclass: class names by index
    unit: Annotated[str, Field(max_length=50)] = ""  # regression
    schema_fields: tuple[FeatureField, ...] = Field(default=(), alias="feature_schema")
    onnx: OnnxSection
    parity: ParitySection
    versions: dict[str, Annotated[str, Field(min_length=1, max_length=100)]]
    files: Annotated[tuple[BundleFile, ...], Field(min_length=1, max_length=64)]

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("created_at must carry a time zone (UTC)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BundleManifest:
        dupes = sorted({f for f in self.features if self.features.count(f) > 1})
        if dupes:
            raise ValueError(f"features lists {dupes} more than once")
        self._check_task()
        names = [f.path for f in self.files]
        if len(set(names)) != len(names):
            raise ValueError("files lists a path more than once")
        if MANIFEST_NAME in names:
            raise ValueError(f"files must not list {MANIFEST_NAME} itself")
        if self.onnx.file not in names:
            raise ValueError(f"onnx.file {self.onnx.file!r} is not among the listed files")
        if self.onnx.input_dtype != self.parity.input_dtype:
            raise ValueError("onnx.input_dtype and parity.input_dtype differ")
        if set(self.example) != set(self.features):
            raise ValueError("example must give exactly one value per feature")
        if not all(math.isfinite(v) for v in self.example.values()):
            raise ValueError("example values must be finite")
        if self.schema_fields and tuple(f.name for f in self.schema_fields) != self.features:
            raise ValueError("feature_schema must list the features in order")
        return self

    def _check_task(self) -> None:
        if self.task == "binary":
            if not self.positive_class or self.positive_class == self.negative_class:
                raise ValueError("positive_class and negative_class must differ")
            if self.onnx.positive_index not in (0, 1):
                raise ValueError("onnx.positive_index must be 0 or 1 for a binary model")
        elif self.positive_class or self.negative_class:
            raise ValueError(f"positive_class / negative_class are for binary, not {self.task}")
        if (self.task == "multiclass") != (len(self.classes) >= 3):
            raise ValueError("classes names the 3 or more classes of a multiclass model, "
                             "and only of one")

    @property
    def feature_schema(self) -> tuple[FeatureField, ...]:
        """Every feature's field; a bundle without a schema serves plain numbers."""
        return self.schema_fields or tuple(FeatureField(name=f) for f in self.features)

    @property
    def all_numeric(self) -> bool:
        return all(f.type == "numeric" and not f.nullable for f in self.feature_schema)

    def identity(self) -> dict[str, object]:
        """The fields copied into the ONNX file's metadata (see ``ONNX_IDENTITY_KEY``)."""
        return identity_fields(
            model_name=self.model_name,
            model_version=self.model_version,
            alias=self.alias,
            run_id=self.run_id,
            commit=self.commit,
            data_sha256=self.data_sha256,
            features=self.features,
            threshold=self.threshold,
            positive_class=self.positive_class,
            negative_class=self.negative_class,
            positive_index=self.onnx.positive_index,
            input_dtype=self.onnx.input_dtype,
            task=self.task,
            classes=self.classes,
            schema=[f.model_dump(mode="json") for f in self.schema_fields],
        )


def identity_fields(
    *,
    model_name: str,
    model_version: str,
    alias: str,
    run_id: str,
    commit: str,
    data_sha256: str,
    features: tuple[str, ...],
    threshold: float,
    positive_class: str,
    negative_class: str,
    positive_index: int,
    input_dtype: str,
    task: str = "binary",
    classes: tuple[str, ...] = (),
    schema: list[dict[str, object]] | None = None,
) -> dict[str, object]:
    """What the exporter embeds in the ONNX file and the loader compares with the manifest
    (task, classes and schema only when they differ from a numeric binary model's, so
    bundles written before them still match)."""
    extra: dict[str, object] = {}
    if task != "binary":
        extra["task"], extra["classes"] = task, list(classes)
    if schema:
        extra["feature_schema"] = schema
    return {
        **extra,
        "model_name": model_name,
        "model_version": model_version,
        "alias": alias,
        "run_id": run_id,
        "commit": commit,
        "data_sha256": data_sha256,
        "features": list(features),
        "threshold": threshold,
        "positive_class": positive_class,
        "negative_class": negative_class,
        "positive_index": positive_index,
        "input_dtype": input_dtype,
    }

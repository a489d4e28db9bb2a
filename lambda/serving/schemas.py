# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Response shapes, for the OpenAPI document (``/docs``, ``/openapi.json``).

The endpoints write their JSON directly (FastAPI's response validation costs more than
the model itself); these models say what that JSON is, and the tests hold the responses
to them. The request body's schema depends on the loaded model's features, so it is
built in :func:`request_components` from the manifest.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

from modelgate.serving.manifest import BundleManifest, FeatureField

RequestId = Annotated[
    str,
    Field(description="The caller's X-Request-ID when valid (1-128 of A-Z a-z 0-9 . _ -), "
                      "else a new UUID4; also sent as the X-Request-ID header."),
]
ModelVersion = Annotated[
    str | None,
    Field(description="Registry version of the model that answered (also the "
                      "X-Model-Version header; null and 'none' when no model is loaded)."),
]


class Prediction(BaseModel):
    """One record's answer (a binary classifier)."""

    prediction: Literal[0, 1] = Field(description="1 = the positive class, 0 = the negative")
    prediction_label: str = Field(description="the predicted class's name")
    probability_positive_class: float = Field(ge=0.0, le=1.0,
                                              description="P(positive class)")
    positive_class: str = Field(description="the name of the class the probability is for")


class ClassPrediction(BaseModel):
    """One record's answer from a multiclass model: the most probable class and every
    class's probability."""

    prediction: int = Field(ge=0, description="index of the most probable class")
    prediction_label: str = Field(description="the most probable class's name")
    probabilities: dict[str, float] = Field(
        description="class name -> probability, for every class (they sum to 1)")


class ValuePrediction(BaseModel):
    """One record's answer from a regression model."""

    prediction: float = Field(description="the predicted value")
    unit: str = Field(description="the target's unit ('' when none was declared)")


class _Answered(BaseModel):
    request_id: RequestId
    model_name: str
    model_version: str
    alias: str


class SinglePredictionResponse(_Answered, Prediction):
    """The answer to ``{"features": {...}}``."""


class BatchPredictionResponse(_Answered):
    """The answer to ``{"records": [...]}``, in request order."""

    count: int = Field(ge=1)
    predictions: list[Prediction]


class SingleClassResponse(_Answered, ClassPrediction):
    """A multiclass model's answer to ``{"features": {...}}``."""


class BatchClassResponse(_Answered):
    """A multiclass model's answer to ``{"records": [...]}``, in request order."""

    count: int = Field(ge=1)
    predictions: list[ClassPrediction]


class SingleValueResponse(_Answered, ValuePrediction):
    """A regression model's answer to ``{"features": {...}}``."""


class BatchValueResponse(_Answered):
    """A regression model's answer to ``{"records": [...]}``, in request order."""

    count: int = Field(ge=1)
    predictions: list[ValuePrediction]


TASK_RESPONSES: dict[str, tuple[type[BaseModel], type[BaseModel]]] = {
    "binary": (SinglePredictionResponse, BatchPredictionResponse),
    "multiclass": (SingleClassResponse, BatchClassResponse),
    "regression": (SingleValueResponse, BatchValueResponse),
}


class ProblemDetail(BaseModel):
    """One thing wrong with one field of one record."""

    record: int | None = Field(description="index in records (null for a single record)")
    field: str | None
    problem: Literal["missing", "extra", "not_a_number", "not_finite", "out_of_range",
                     "duplicate_key", "not_an_object", "wrong_type", "unknown_category",
                     "null_not_allowed"]
    message: str


class ErrorResponse(BaseModel):
    """Every error, 4xx and 5xx. Submitted values are never echoed."""

    request_id: RequestId
    model_version: ModelVersion
    error: str = Field(description="stable error code, e.g. invalid_features")
    message: str
    missing: list[str] | None = Field(default=None, description="features not given")
    extra: list[str] | None = Field(default=None, description="fields that are not features")
    problems: list[ProblemDetail] | None = None
    problems_truncated: bool | None = None


class HealthResponse(BaseModel):
    """Ready (200) only when a verified bundle is loaded; otherwise 503 and why."""

    request_id: RequestId
    status: Literal["ready", "not_ready"]
    reason: str | None
    model_name: str | None
    model_version: ModelVersion
    alias: str | None


class ParityInfo(BaseModel):
    rows: int
    max_abs_diff: float
    tolerance: float


class ModelInfoResponse(BaseModel):
    """Which model answers, and where it came from."""

    request_id: RequestId
    model_name: str
    alias: str
    model_version: str
    source_run_id: str
    commit: str
    data_sha256: str
    bundle_sha256: str = Field(description="sha256 of the bundle's manifest.json")
    created_at: str
    feature_count: int
    features: list[str]
    threshold: float
    positive_class: str
    negative_class: str
    input_dtype: Literal["float64", "float32"]
    parity: ParityInfo


RESPONSES: dict[tuple[str, str], dict[int, tuple[type[BaseModel], ...]]] = {
    ("/health", "get"): {200: (HealthResponse,), 503: (HealthResponse,)},
    ("/model-info", "get"): {200: (ModelInfoResponse,), 503: (ErrorResponse,)},
    ("/predict", "post"): {
        200: (SinglePredictionResponse, BatchPredictionResponse),  # the loaded task's, see
        # predict_responses()
        **dict.fromkeys((400, 413, 415, 422, 503), (ErrorResponse,)),
    },
}


def add_response_schemas(doc: dict[str, Any], task: str | None = None) -> None:
    """Attach the response models of :data:`RESPONSES` to an OpenAPI document; ``task``
    (the loaded model's) picks ``/predict``'s 200 shapes (None: the binary ones)."""
    responses_by_path = dict(RESPONSES)
    if task is not None:
        responses_by_path[("/predict", "post")] = {**RESPONSES[("/predict", "post")],
                                                   200: TASK_RESPONSES[task]}
    models = sorted({m for by_status in responses_by_path.values() for ms in by_status.values()
                     for m in ms}, key=lambda m: m.__name__)
    refs, defs = models_json_schema([(m, "serialization") for m in models],
                                    ref_template="#/components/schemas/{model}")
    doc.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
    for (path, method), by_status in responses_by_path.items():
        responses = doc["paths"][path][method]["responses"]
        for status, ms in by_status.items():
            options = [refs[(m, "serialization")] for m in ms]
            schema = options[0] if len(options) == 1 else {"anyOf": options}
            responses.setdefault(str(status), {"description": ""})["content"] = {
                "application/json": {"schema": schema}}


def request_components(manifest: BundleManifest | None, max_batch: int) -> dict[str, Any]:
    """``FeatureRecord``, ``SingleRecordRequest`` and ``BatchRequest`` schemas."""
    if manifest is None:
        record: dict[str, Any] = {
            "type": "object",
            "description": "feature name -> number (the model is not loaded, so its feature "
                           "names are unknown; see /health)",
            "additionalProperties": {"type": "number"},
        }
    else:
        record = {
            "type": "object",
            "description": f"exactly the model's {len(manifest.features)} features, each of "
                           "its type (null only where nullable)",
            "properties": {f.name: field_schema(f) for f in manifest.feature_schema},
            "required": list(manifest.features),
            "additionalProperties": False,
        }
    return {
        "FeatureRecord": record,
        "SingleRecordRequest": {
            "type": "object",
            "properties": {"features": {"$ref": "#/components/schemas/FeatureRecord"}},
            "required": ["features"],
            "additionalProperties": False,
        },
        "BatchRequest": {
            "type": "object",
            "properties": {"records": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/FeatureRecord"},
                "minItems": 1,
                "maxItems": max_batch,
            }},
            "required": ["records"],
            "additionalProperties": False,
        },
    }


def field_schema(field: FeatureField) -> dict[str, Any]:
    """One feature's JSON Schema: number, boolean or an enum of its categories."""
    if field.type == "categorical":
        out: dict[str, Any] = {"type": "string", "enum": list(field.categories or ())}
    elif field.type == "boolean":
        out = {"type": "boolean"}
    else:
        out = {"type": "number"}
    if field.nullable:
        out = {"anyOf": [out, {"type": "null"}], "description": "null: missing"}
    return out


def api_value(field: FeatureField, coded: float) -> Any:
    """A model-coded value (the manifest's example) as the API takes it."""
    if field.type == "categorical":
        cats = field.categories or ()
        return cats[int(coded)] if 0 <= int(coded) < len(cats) else None
    if field.type == "boolean":
        return bool(coded)
    return coded


def request_examples(manifest: BundleManifest | None) -> dict[str, Any]:
    """Examples for ``/docs``: the manifest's example row (medians of evaluation rows)."""
    if manifest is None:
        record: dict[str, Any] = {"feature_a": 1.0, "feature_b": 2.5}
    else:
        record = {f.name: api_value(f, manifest.example[f.name])
                  for f in manifest.feature_schema}
    return {
        "single": {"summary": "one record", "value": {"features": record}},
        "batch": {"summary": "a batch of two records", "value": {"records": [record, record]}},
    }

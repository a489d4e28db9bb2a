# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``servable``: can this model be served as it is?

The PR job converts the fitted candidate to ONNX exactly as promotion will, runs it with
ONNX Runtime on the pinned evaluation rows and compares with the trained model (the
parity the bundle records), then checks the serving contract: every feature's field
(type, null, categories) and the output each task answers with. So a model that cannot
be served fails here, before anyone approves it, with the converter's real cause in one
paragraph, rather than at promotion.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.infra.bundle import BundleExportError, BundleMeta, convert_checked, task_fields
from modelgate.serving.manifest import FeatureField

AUDIT_ID = "servable"
TITLE = "Servable: converts to ONNX with parity, and fits the serving contract"
MAX_CATEGORIES = 1000
CONTRACT_ROWS = 50  # evaluation rows sent through the API's validation
MSG_NO_PIPELINE = "the candidate is not a fitted pipeline this audit can convert"


def _contract(schema: tuple[FeatureField, ...], task: str,
              classes: tuple[str, ...]) -> list[str]:
    """What the serving API could not answer for: one problem per line."""
    problems: list[str] = []
    for field in schema:
        cats = field.categories or ()
        if field.type == "categorical" and not 1 <= len(cats) <= MAX_CATEGORIES:
            problems.append(f"feature {field.name!r} has {len(cats)} categories; the API "
                            f"accepts 1 to {MAX_CATEGORIES} per feature")
    if task == "multiclass" and len(set(classes)) != len(classes):
        problems.append(f"class names {list(classes)} repeat; each response names its class")
    return problems


def _round_trip(X: Any, schema: tuple[FeatureField, ...], limit: float) -> list[str]:
    """The evaluation rows as API records go through the API's own validation and come
    back as the matrix the model was evaluated on (categories to the same codes, null to
    NaN); a difference is a contract problem."""
    import math

    from modelgate.serving.schemas import api_value
    from modelgate.serving.validation import RequestRejected, to_typed_matrix

    rows = X[:CONTRACT_ROWS]
    records = [{f.name: None if math.isnan(v) else api_value(f, float(v))
                for f, v in zip(schema, row, strict=True)} for row in rows]
    try:
        got = to_typed_matrix(records, schema, frozenset(f.name for f in schema), limit,
                              single=False).X
    except RequestRejected as rej:
        return [f"the API refuses evaluation rows: {rej.message}"]
    if not np.array_equal(got, rows, equal_nan=True):
        return ["the API codes evaluation rows differently from training"]
    return []


def run(ctx: AuditContext) -> AuditResult:
    """Convert, prove parity on the evaluation rows, check the contract."""
    started = time.perf_counter()
    dataset, split = ctx.need_dataset()
    pipeline: Any = getattr(ctx.need_candidate(), "pipeline", None)
    if pipeline is None:
        raise EvidenceMissing(MSG_NO_PIPELINE)
    gov = ctx.config.governance
    fields = task_fields(gov, dataset.categories)
    meta = BundleMeta(model_name=gov.model.name, model_version="candidate", alias="candidate",
                      run_id="candidate", commit=ctx.commit or "unknown",
                      data_sha256=dataset.sha256, threshold=gov.estimator.threshold,
                      positive_class=gov.data.target.positive_class,
                      negative_class=gov.data.target.negative_class, **fields)
    schema = meta.schema or tuple(FeatureField(name=f) for f in dataset.features)
    X = np.ascontiguousarray(dataset.X[split.test])
    steps = " > ".join(type(s).__name__ for _, s in getattr(pipeline, "steps", [("", pipeline)]))
    details: dict[str, Any] = {"task": gov.task, "estimator": steps, "rows": int(X.shape[0]),
                               "feature_schema": [f.model_dump(mode="json") for f in schema]}
    try:
        exported, dtype = convert_checked(pipeline, X, task=gov.task, positive_index=1
                                          if gov.task == "binary" else 0,
                                          threshold=gov.estimator.threshold)
    except BundleExportError as exc:
        return AuditResult(AUDIT_ID, TITLE, "fail", f"{gov.model.name} cannot be served: {exc}",
                           {**details, "cause": str(exc)},
                           duration_s=time.perf_counter() - started)
    details.update(input_dtype=dtype, parity=exported.parity.model_dump(mode="json"),
                   opset=exported.opset, onnx_bytes=len(exported.model_bytes))
    problems = _contract(schema, gov.task, meta.classes)
    problems += _round_trip(X, schema, float(np.finfo(np.float32 if dtype == "float32"
                                                      else np.float64).max))
    details["contract_problems"] = problems
    parity = exported.parity
    summary = (f"{steps} converts to ONNX ({dtype} input); {gov.task} outputs match the "
               f"trained model within {parity.max_abs_diff:.2g} (tolerance {parity.tolerance:g}) "
               f"on {parity.rows} evaluation rows")
    if problems:
        summary = f"{steps} converts, but the serving contract fails: " + "; ".join(problems)
    result = AuditResult(AUDIT_ID, TITLE, "fail" if problems else "pass", summary, details)
    return dataclasses.replace(result, duration_s=time.perf_counter() - started)

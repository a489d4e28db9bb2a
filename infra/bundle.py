# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Export a fitted scikit-learn classifier as the serving bundle, and upload it to S3.

The bundle is ``model.onnx`` (skl2onnx, ``zipmap=False``, no pickle) plus ``manifest.json``
(:class:`serving.manifest.BundleManifest`). Export proves that the ONNX model gives the
same P(positive) as the trained model on the evaluation rows before anything is written:

* the input is float64 when every converter and ONNX Runtime kernel in the pipeline
  supports doubles (the shipped StandardScaler + LogisticRegression does: the difference
  is ~1e-16), else float32 (``input_dtype="auto"``; a SimpleImputer, for example, has no
  double kernel in ONNX Runtime);
* the tolerance on the largest absolute difference is 1e-6 for float64 and 1e-5 for
  float32 (float32 keeps about 7 significant digits), and the measured difference, the
  tolerance and the number of rows are recorded in the manifest;
* the target opset is pinned (``TARGET_OPSET``); the opsets the model actually uses are
  recorded too;
* the graph keeps only the ``probabilities`` output: serving applies the manifest's
  threshold itself, and the converter's own label (an argmax, i.e. a 0.5 threshold) would
  cost every request and could disagree with it.

The MLflow promotion code calls :func:`export_bundle` with the model it loaded from the
registry and :func:`upload_bundle` with a boto3 client; nothing here touches MLflow.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from serving.bundle import BundleError, verify_bundle_dir
from serving.manifest import (
    MANIFEST_NAME,
    MODEL_FILE,
    ONNX_IDENTITY_KEY,
    SCHEMA_VERSION,
    BundleManifest,
    InputDtype,
    ParitySection,
    identity_fields,
)

from modelgate.errors import ModelgateError
from modelgate.hashing import hex_to_base64, sha256_bytes

TARGET_OPSET: dict[str, int] = {"": 17, "ai.onnx.ml": 3}
PARITY_TOLERANCE: dict[InputDtype, float] = {"float64": 1e-6, "float32": 1e-5}
INPUT_NAME = "input"
PROBABILITIES_OUTPUT = "probabilities"
VERSIONED_PACKAGES = ("onnx", "onnxruntime", "skl2onnx", "scikit-learn", "numpy")

DtypeChoice = Literal["auto", "float64", "float32"]


class BundleExportError(ModelgateError):
    """The model cannot be exported as a bundle; the message says which check failed."""


class BundleUploadError(ModelgateError):
    """The bundle cannot be uploaded; the message names the bucket and prefix."""


@dataclass(frozen=True)
class BundleMeta:
    """Where the model comes from (registry, run, data, commit) and how it decides."""

    model_name: str
    model_version: str
    alias: str
    run_id: str
    commit: str
    data_sha256: str
    threshold: float
    positive_class: str
    negative_class: str


@dataclass(frozen=True)
class _Exported:
    model_bytes: bytes
    opset: dict[str, int]
    parity: ParitySection


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _check_estimator(estimator: Any, n_features: int, positive_label: int) -> int:
    """Index of the positive class in ``predict_proba``'s columns."""
    if not hasattr(estimator, "predict_proba"):
        raise BundleExportError(f"{type(estimator).__name__} has no predict_proba")
    classes = list(getattr(estimator, "classes_", []))
    if len(classes) != 2:
        raise BundleExportError(
            f"the bundle serves binary classifiers; the estimator has classes {classes} "
            "(is it fitted?)"
        )
    if positive_label not in classes:
        raise BundleExportError(f"positive label {positive_label!r} not among classes {classes}")
    fitted_width = getattr(estimator, "n_features_in_", n_features)
    if fitted_width != n_features:
        raise BundleExportError(
            f"the estimator was fitted on {fitted_width} features; {n_features} were given"
        )
    return classes.index(positive_label)


def _check_eval_rows(eval_X: NDArray[Any], n_features: int) -> NDArray[np.float64]:
    X = np.asarray(eval_X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] != n_features:
        raise BundleExportError(
            f"eval_X must be a 2-D array with at least one row and {n_features} columns, "
            f"got shape {X.shape}"
        )
    if not np.isfinite(X).all():
        raise BundleExportError("eval_X holds NaN or infinite values")
    return np.ascontiguousarray(X)


def _convert(estimator: Any, n_features: int, dtype: InputDtype, identity: str) -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    tensor = DoubleTensorType if dtype == "float64" else FloatTensorType
    model = convert_sklearn(
        estimator,
        initial_types=[(INPUT_NAME, tensor([None, n_features]))],
        target_opset=TARGET_OPSET,
        options={id(estimator): {"zipmap": False}},
    )
    _keep_only_probabilities(model)
    entry = model.metadata_props.add()
    entry.key, entry.value = ONNX_IDENTITY_KEY, identity
    return bytes(model.SerializeToString())


def _keep_only_probabilities(model: Any) -> None:
    """Drop the label output and the nodes only it needs.

    Serving derives the label from the probability and the manifest's threshold; the
    converter's own label is an argmax (a 0.5 threshold) that could silently disagree,
    and computing it costs every request. Graphs with subgraphs are left whole.
    """
    graph = model.graph
    outputs = [o for o in graph.output if o.name == PROBABILITIES_OUTPUT]
    if not outputs:
        names = [o.name for o in graph.output]
        raise BundleExportError(
            f"the ONNX model has outputs {names}, no {PROBABILITIES_OUTPUT!r} tensor "
            "(zipmap could not be disabled for this estimator)"
        )
    if any(attr.type in (attr.GRAPH, attr.GRAPHS) for node in graph.node
           for attr in node.attribute):
        return
    needed = {PROBABILITIES_OUTPUT}
    kept = []
    for node in reversed(graph.node):
        if any(name in needed for name in node.output):
            kept.append(node)
            needed.update(name for name in node.input if name)
    kept.reverse()
    initializers = [t for t in graph.initializer if t.name in needed]
    value_info = [v for v in graph.value_info if v.name in needed]
    for field, items in ((graph.node, kept), (graph.output, outputs),
                         (graph.initializer, initializers), (graph.value_info, value_info)):
        copies = [type(item)() for item in items]
        for copy, item in zip(copies, items, strict=True):
            copy.CopyFrom(item)
        del field[:]
        field.extend(copies)


def _onnx_probabilities(model_bytes: bytes, X: NDArray[np.float64], dtype: InputDtype) -> Any:
    import onnxruntime as ort

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    x = X if dtype == "float64" else X.astype(np.float32)
    return session.run([PROBABILITIES_OUTPUT], {INPUT_NAME: x})[0]


def _opsets(model_bytes: bytes) -> dict[str, int]:
    import onnx

    model = onnx.load_model_from_string(model_bytes)
    onnx.checker.check_model(model)
    return {op.domain: int(op.version) for op in model.opset_import}


def _export_as(
    estimator: Any,
    X: NDArray[np.float64],
    p_sklearn: NDArray[np.float64],
    dtype: InputDtype,
    *,
    positive_index: int,
    identity: str,
    tolerance: float,
    threshold: float,
) -> _Exported:
    model_bytes = _convert(estimator, X.shape[1], dtype, identity)
    proba = np.asarray(_onnx_probabilities(model_bytes, X, dtype), dtype=np.float64)
    if proba.ndim != 2 or proba.shape != (X.shape[0], 2):
        raise BundleExportError(f"the ONNX probabilities have shape {proba.shape}")
    p_onnx = proba[:, positive_index]
    diff = float(np.max(np.abs(p_onnx - p_sklearn)))
    if not math.isfinite(diff) or diff > tolerance:
        raise BundleExportError(
            f"parity check failed: the ONNX model's P(positive) differs from the trained "
            f"model's by up to {diff:.3g} on {X.shape[0]} evaluation rows "
            f"(tolerance {tolerance:g}, {dtype} input); no bundle was written"
        )
    disagreements = int(np.count_nonzero((p_onnx >= threshold) != (p_sklearn >= threshold)))
    parity = ParitySection(
        rows=int(X.shape[0]),
        max_abs_diff=diff,
        tolerance=tolerance,
        label_disagreements=disagreements,
        input_dtype=dtype,
    )
    return _Exported(model_bytes=model_bytes, opset=_opsets(model_bytes), parity=parity)


def _prepare_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BundleExportError(f"{out_dir} exists and is not an empty directory")
    out_dir.mkdir(parents=True, exist_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _identity_json(
    meta: BundleMeta, features: tuple[str, ...], positive_index: int, dtype: InputDtype
) -> str:
    return json.dumps(identity_fields(
        model_name=meta.model_name,
        model_version=meta.model_version,
        alias=meta.alias,
        run_id=meta.run_id,
        commit=meta.commit,
        data_sha256=meta.data_sha256,
        features=features,
        threshold=meta.threshold,
        positive_class=meta.positive_class,
        negative_class=meta.negative_class,
        positive_index=positive_index,
        input_dtype=dtype,
    ), sort_keys=True)


def _manifest(
    meta: BundleMeta,
    features: tuple[str, ...],
    *,
    created: datetime,
    example: dict[str, float],
    positive_index: int,
    dtype: InputDtype,
    exported: _Exported,
) -> BundleManifest:
    draft = {
        "schema_version": SCHEMA_VERSION,
        "model_name": meta.model_name,
        "model_version": meta.model_version,
        "alias": meta.alias,
        "run_id": meta.run_id,
        "commit": meta.commit,
        "data_sha256": meta.data_sha256,
        "features": list(features),
        "threshold": meta.threshold,
        "positive_class": meta.positive_class,
        "negative_class": meta.negative_class,
        "created_at": created.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "example": example,
        "onnx": {
            "file": MODEL_FILE,
            "input_name": INPUT_NAME,
            "input_dtype": dtype,
            "probabilities_output": PROBABILITIES_OUTPUT,
            "positive_index": positive_index,
            "opset": exported.opset,
            "target_opset": TARGET_OPSET,
        },
        "parity": exported.parity.model_dump(),
        "versions": _versions(),
        "files": [{
            "path": MODEL_FILE,
            "sha256": sha256_bytes(exported.model_bytes),
            "bytes": len(exported.model_bytes),
        }],
    }
    try:
        # through JSON, exactly as the loader will read it
        return BundleManifest.model_validate_json(json.dumps(draft, allow_nan=False))
    except ValueError as exc:
        raise BundleExportError(f"bundle metadata is invalid: {exc}") from None


def export_bundle(
    estimator: Any,
    *,
    features: Sequence[str],
    out_dir: Path,
    meta: BundleMeta,
    eval_X: NDArray[Any],
    clock: Callable[[], datetime],
    input_dtype: DtypeChoice = "auto",
    tolerance: float | None = None,
    positive_label: int = 1,
) -> BundleManifest:
    """Write ``model.onnx`` and ``manifest.json`` to ``out_dir`` (new or empty).

    ``eval_X`` are the pinned evaluation rows (features in ``features`` order) on which
    parity is proved; ``tolerance`` overrides :data:`PARITY_TOLERANCE` for the dtype.
    Raises :class:`BundleExportError` (nothing written) when any check fails.
    """
    feature_list = tuple(features)
    positive_index = _check_estimator(estimator, len(feature_list), positive_label)
    X = _check_eval_rows(eval_X, len(feature_list))
    created = clock()
    if created.tzinfo is None:
        raise BundleExportError("clock() must return a timezone-aware datetime")
    try:
        proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    except Exception as exc:  # any estimator failure stops the export with its message
        raise BundleExportError(f"the estimator cannot predict the evaluation rows: {exc}") from exc
    p_sklearn = proba[:, positive_index]
    example = {f: float(v) for f, v in zip(feature_list, np.median(X, axis=0), strict=True)}

    candidates: list[InputDtype] = (
        ["float64", "float32"] if input_dtype == "auto" else [input_dtype]
    )
    failures: list[str] = []
    for dtype in candidates:
        try:
            exported = _export_as(
                estimator, X, p_sklearn, dtype,
                positive_index=positive_index,
                identity=_identity_json(meta, feature_list, positive_index, dtype),
                tolerance=PARITY_TOLERANCE[dtype] if tolerance is None else tolerance,
                threshold=meta.threshold,
            )
        except BundleExportError:
            raise  # a parity failure is a verdict, not a reason to try another dtype
        except Exception as exc:  # skl2onnx / ONNX Runtime: this dtype is not supported
            failures.append(f"{dtype}: {type(exc).__name__}: {exc}"[:500])
            continue
        manifest = _manifest(
            meta, feature_list, created=created, example=example,
            positive_index=positive_index, dtype=dtype, exported=exported,
        )
        _prepare_out_dir(out_dir)
        _write_atomic(out_dir / MODEL_FILE, exported.model_bytes)
        text = json.dumps(manifest.model_dump(mode="json"), indent=2, allow_nan=False) + "\n"
        _write_atomic(out_dir / MANIFEST_NAME, text.encode("utf-8"))
        return manifest
    raise BundleExportError("cannot convert the estimator to ONNX: " + " | ".join(failures))


def _content_type(name: str) -> str:
    return "application/json" if name.endswith(".json") else "application/octet-stream"


def upload_bundle(s3_client: Any, bundle_dir: Path, bucket: str, prefix: str) -> str:
    """Upload a verified bundle to ``s3://bucket/prefix/`` and return that URI.

    Bundles are immutable: a prefix that already holds a different bundle is refused
    (re-uploading the identical bundle is a no-op). The manifest goes last, so a reader
    that finds a manifest finds its files; S3 checks each object's sha256 on receipt.
    """
    prefix = prefix.strip("/")
    if not prefix:
        raise BundleUploadError("a bundle needs a key prefix; refusing to write to the bucket root")
    uri = f"s3://{bucket}/{prefix}"
    try:
        verified = verify_bundle_dir(bundle_dir)
    except BundleError as exc:
        raise BundleUploadError(f"refusing to upload {bundle_dir}: {exc}") from None
    manifest_bytes = (bundle_dir / MANIFEST_NAME).read_bytes()
    names = [f.path for f in verified.manifest.files]
    try:
        listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/")
        existing = {str(o["Key"])[len(prefix) + 1:] for o in listing.get("Contents", [])}
        if existing:
            same = existing == {*names, MANIFEST_NAME} and s3_client.get_object(
                Bucket=bucket, Key=f"{prefix}/{MANIFEST_NAME}")["Body"].read() == manifest_bytes
            if same:
                return uri
            raise BundleUploadError(
                f"{uri} already holds a different bundle ({sorted(existing)}); bundles are "
                "immutable, upload to a new prefix"
            )
        for name in [*names, MANIFEST_NAME]:
            data = (bundle_dir / name).read_bytes()
            s3_client.put_object(
                Bucket=bucket,
                Key=f"{prefix}/{name}",
                Body=data,
                ContentType=_content_type(name),
                ChecksumSHA256=hex_to_base64(sha256_bytes(data)),
            )
    except BundleUploadError:
        raise
    except Exception as exc:  # botocore raises many types; each means the upload failed
        raise BundleUploadError(f"cannot upload to {uri}: {type(exc).__name__}: {exc}") from exc
    return uri


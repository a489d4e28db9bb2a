# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Export a fitted scikit-learn model as the serving bundle (ONNX plus a manifest, no
pickle) and upload it to S3.

What the bundle holds, its precision and why: docs/design/bundle.md.
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

from modelgate.errors import ModelgateError, ServiceError
from modelgate.hashing import hex_to_base64, sha256_bytes
from modelgate.serving.bundle import RELEASE_FILES, BundleError, verify_bundle_dir
from modelgate.serving.manifest import (
    MANIFEST_NAME,
    MODEL_FILE,
    ONNX_IDENTITY_KEY,
    SCHEMA_VERSION,
    BundleManifest,
    FeatureField,
    InputDtype,
    ParitySection,
    identity_fields,
)

TARGET_OPSET: dict[str, int] = {"": 17, "ai.onnx.ml": 3}
PARITY_TOLERANCE: dict[InputDtype, float] = {"float64": 1e-6, "float32": 1e-5}
INPUT_NAME = "input"
PROBABILITIES_OUTPUT = "probabilities"
PREDICTION_OUTPUT = "prediction"  # a regressor's output, renamed from skl2onnx's "variable"
MAX_CAUSE_CHARS = 600
VERSIONED_PACKAGES = ("onnx", "onnxruntime", "skl2onnx", "scikit-learn", "numpy")

DtypeChoice = Literal["auto", "float64", "float32"]


class BundleExportError(ModelgateError):
    """The model cannot be exported as a bundle; the message says which check failed."""


class BundleUploadError(ServiceError):
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
    task: str = "binary"
    classes: tuple[str, ...] = ()  # multiclass: names by class index
    unit: str = ""
    schema: tuple[FeatureField, ...] = ()  # empty: every feature a non-null number


def task_fields(gov: Any, categories: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    """The :class:`BundleMeta` fields that come from ``governance.yml`` and the data:
    task, classes, unit and the feature schema (categories as the data loader coded
    them, so serving maps each value to the code the model learned)."""
    schema = tuple(
        FeatureField(name=f.name, type=f.type, nullable=f.nullable,
                     categories=categories.get(f.name) if f.type == "categorical" else None)
        for f in gov.data.specs)
    plain = all(f.type == "numeric" and not f.nullable for f in schema)
    return {"task": gov.task,
            "classes": tuple(gov.class_names) if gov.task == "multiclass" else (),
            "unit": gov.data.target.unit, "schema": () if plain else schema}


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


def _check_estimator(estimator: Any, n_features: int, positive_label: int,
                     task: str = "binary") -> int:
    """Index of the positive class in ``predict_proba``'s columns (0 unless binary)."""
    fitted_width = getattr(estimator, "n_features_in_", n_features)
    if fitted_width != n_features:
        raise BundleExportError(
            f"the estimator was fitted on {fitted_width} features; {n_features} were given"
        )
    if task == "regression":
        if not hasattr(estimator, "predict") or hasattr(estimator, "predict_proba"):
            raise BundleExportError(f"{type(estimator).__name__} is not a regressor")
        return 0
    if not hasattr(estimator, "predict_proba"):
        raise BundleExportError(f"{type(estimator).__name__} has no predict_proba")
    classes = list(getattr(estimator, "classes_", []))
    if task == "multiclass":
        if len(classes) < 3 or classes != list(range(len(classes))):
            raise BundleExportError(f"a multiclass bundle needs classes 0..k-1 (k >= 3); the "
                                    f"estimator has {classes} (is it fitted?)")
        return 0
    if len(classes) != 2:
        raise BundleExportError(
            f"the bundle serves binary classifiers; the estimator has classes {classes} "
            "(is it fitted?)"
        )
    if positive_label not in classes:
        raise BundleExportError(f"positive label {positive_label!r} not among classes {classes}")
    return classes.index(positive_label)


def _check_eval_rows(eval_X: NDArray[Any], n_features: int,
                     nullable: Sequence[bool] = ()) -> NDArray[np.float64]:
    X = np.asarray(eval_X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] != n_features:
        raise BundleExportError(
            f"eval_X must be a 2-D array with at least one row and {n_features} columns, "
            f"got shape {X.shape}"
        )
    may_be_nan = np.asarray(nullable if nullable else [False] * n_features, dtype=bool)
    if np.isinf(X).any() or np.isnan(X[:, ~may_be_nan]).any():
        raise BundleExportError("eval_X holds NaN or infinite values")
    return np.ascontiguousarray(X)


_HGB_FIXED = False


def _fix_hist_gradient_boosting() -> None:
    """Make skl2onnx 1.20's HistGradientBoosting converter work with onnx >= 1.17.

    scikit-learn stores each HistGradientBoosting node's ``missing_go_to_left`` as a numpy
    bool; skl2onnx copies it into ``nodes_missing_value_tracks_true``, an ONNX INTS
    attribute, and onnx's ``make_attribute`` refuses booleans there ("Field
    onnx.AttributeProto.ints: Expected an int, got a boolean"), so every
    HistGradientBoosting model failed with "Unable to create node 'TreeEnsembleClassifier'"
    and the attribute dump. The value is 0 or 1 either way: we wrap skl2onnx's
    ``add_node`` to pass it as an int (idempotent; the other converters already do).
    """
    global _HGB_FIXED
    if _HGB_FIXED:
        return
    import skl2onnx.common.tree_ensemble as tree_ensemble

    original = tree_ensemble.add_node

    def add_node(*args: Any, nodes_missing_value_tracks_true: Any = 0, **kwargs: Any) -> Any:
        return original(*args, nodes_missing_value_tracks_true=int(
            nodes_missing_value_tracks_true), **kwargs)

    tree_ensemble.add_node = add_node
    _HGB_FIXED = True


def conversion_cause(exc: BaseException) -> str:
    """One paragraph for a converter or runtime failure: the innermost cause's first line
    (skl2onnx wraps the real error in a message that dumps every node attribute)."""
    inner = exc
    while inner.__cause__ is not None or inner.__context__ is not None:
        nxt = inner.__cause__ or inner.__context__
        assert nxt is not None
        inner = nxt
    def first(e: BaseException) -> str:
        lines = str(e).strip().splitlines()
        text = lines[0] if lines else ""
        if "attributes=" in text:  # the attribute dump: keep what precedes it
            text = text.split("attributes=")[0].rstrip(" ,") + " ..."
        return f"{type(e).__name__}: {text}"
    outer = first(exc)
    text = outer if inner is exc else f"{outer} (caused by {first(inner)})"
    return text if len(text) <= MAX_CAUSE_CHARS else text[: MAX_CAUSE_CHARS - 1] + "…"


def _convert(estimator: Any, n_features: int, dtype: InputDtype, identity: str,
             task: str = "binary") -> bytes:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType

    _fix_hist_gradient_boosting()
    tensor = DoubleTensorType if dtype == "float64" else FloatTensorType
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    options = None if task == "regression" else {id(final): {"zipmap": False}}
    model = convert_sklearn(
        estimator,
        initial_types=[(INPUT_NAME, tensor([None, n_features]))],
        target_opset=TARGET_OPSET,
        options=options,
    )
    if task == "regression":
        _rename_output(model, PREDICTION_OUTPUT)
    else:
        _keep_only_probabilities(model)
    entry = model.metadata_props.add()
    entry.key, entry.value = ONNX_IDENTITY_KEY, identity
    return bytes(model.SerializeToString())


def _rename_output(model: Any, name: str) -> None:
    """A regressor's one output (skl2onnx calls it ``variable``) becomes ``name``."""
    graph = model.graph
    if len(graph.output) != 1:
        raise BundleExportError(f"the ONNX regressor has outputs "
                                f"{[o.name for o in graph.output]}; one was expected")
    old = graph.output[0].name
    for node in graph.node:
        for i, out in enumerate(node.output):
            if out == old:
                node.output[i] = name
    graph.output[0].name = name


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


def _onnx_probabilities(model_bytes: bytes, X: NDArray[np.float64], dtype: InputDtype,
                        output: str = PROBABILITIES_OUTPUT) -> Any:
    import onnxruntime as ort

    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    x = X if dtype == "float64" else X.astype(np.float32)
    return session.run([output], {INPUT_NAME: x})[0]


def _opsets(model_bytes: bytes) -> dict[str, int]:
    import onnx

    model = onnx.load_model_from_string(model_bytes)
    onnx.checker.check_model(model)
    return {op.domain: int(op.version) for op in model.opset_import}


def _export_as(
    estimator: Any,
    X: NDArray[np.float64],
    expected: NDArray[np.float64],
    dtype: InputDtype,
    *,
    positive_index: int,
    identity: str,
    tolerance: float,
    threshold: float,
    task: str = "binary",
) -> _Exported:
    """Convert, run with ONNX Runtime and compare with ``expected`` (the trained model's
    P(positive), every class's probabilities, or its predictions)."""
    model_bytes = _convert(estimator, X.shape[1], dtype, identity, task)
    output = PREDICTION_OUTPUT if task == "regression" else PROBABILITIES_OUTPUT
    raw = np.asarray(_onnx_probabilities(model_bytes, X, dtype, output), dtype=np.float64)
    if task == "regression":
        if raw.shape not in ((X.shape[0], 1), (X.shape[0],)):
            raise BundleExportError(f"the ONNX prediction has shape {raw.shape}")
        got = raw.reshape(-1)
    elif task == "multiclass":
        if raw.shape != expected.shape:
            raise BundleExportError(f"the ONNX probabilities have shape {raw.shape}, "
                                    f"the model's {expected.shape}")
        got = raw
    else:
        if raw.ndim != 2 or raw.shape != (X.shape[0], 2):
            raise BundleExportError(f"the ONNX probabilities have shape {raw.shape}")
        got = raw[:, positive_index]
    scale = max(1.0, float(np.max(np.abs(expected)))) if task == "regression" else 1.0
    diff = float(np.max(np.abs(got - expected))) / scale
    if not math.isfinite(diff) or diff > tolerance:
        what = {"binary": "P(positive)", "multiclass": "class probabilities",
                "regression": "predictions (relative to their largest magnitude)"}[task]
        raise BundleExportError(
            f"parity check failed: the ONNX model's {what} differ from the trained "
            f"model's by up to {diff:.3g} on {X.shape[0]} evaluation rows "
            f"(tolerance {tolerance:g}, {dtype} input); no bundle was written"
        )
    if task == "binary":
        disagreements = int(np.count_nonzero((got >= threshold) != (expected >= threshold)))
    elif task == "multiclass":
        disagreements = int(np.count_nonzero(got.argmax(axis=1) != expected.argmax(axis=1)))
    else:
        disagreements = 0
    parity = ParitySection(
        rows=int(X.shape[0]),
        max_abs_diff=diff,
        tolerance=tolerance,
        label_disagreements=disagreements,
        input_dtype=dtype,
    )
    return _Exported(model_bytes=model_bytes, opset=_opsets(model_bytes), parity=parity)


def expected_scores(estimator: Any, X: NDArray[np.float64], task: str,
                    positive_index: int) -> NDArray[np.float64]:
    """The trained model's side of the parity check."""
    try:
        if task == "regression":
            return np.asarray(estimator.predict(X), dtype=np.float64).reshape(-1)
        proba = np.asarray(estimator.predict_proba(X), dtype=np.float64)
    except Exception as exc:  # any estimator failure stops the export with its message
        raise BundleExportError(
            f"the estimator cannot predict the evaluation rows: {conversion_cause(exc)}"
        ) from exc
    return proba if task == "multiclass" else proba[:, positive_index]


def convert_checked(
    estimator: Any, X: NDArray[np.float64], *, task: str = "binary", positive_index: int = 1,
    identity: Callable[[InputDtype], str] = lambda _dtype: "{}", threshold: float = 0.5,
    input_dtype: DtypeChoice = "auto",
    tolerance: float | None = None,
) -> tuple[_Exported, InputDtype]:
    """Convert ``estimator`` with the first dtype that converts and runs, and prove parity
    on ``X``; :class:`BundleExportError` names the converter's real cause otherwise (a
    parity failure is a verdict, never a reason to try another dtype)."""
    expected = expected_scores(estimator, X, task, positive_index)
    candidates: list[InputDtype] = (
        ["float64", "float32"] if input_dtype == "auto" else [input_dtype]
    )
    failures: list[str] = []
    for dtype in candidates:
        try:
            exported = _export_as(
                estimator, X, expected, dtype, positive_index=positive_index,
                identity=identity(dtype),
                tolerance=PARITY_TOLERANCE[dtype] if tolerance is None else tolerance,
                threshold=threshold, task=task,
            )
        except BundleExportError:
            raise
        except Exception as exc:  # skl2onnx / ONNX Runtime: this dtype is not supported
            failures.append(f"{dtype} input: {conversion_cause(exc)}")
            continue
        return exported, dtype
    steps = getattr(estimator, "steps", [("", estimator)])
    names = " > ".join(type(step).__name__ for _, step in steps)
    raise BundleExportError(f"cannot convert the estimator ({names}) to ONNX: "
                            + "; ".join(failures))


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
    schema = [f.model_dump(mode="json") for f in meta.schema]
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
        task=meta.task,
        classes=meta.classes,
        schema=schema,
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
        "task": meta.task,
        "classes": list(meta.classes),
        "unit": meta.unit,
        "feature_schema": [f.model_dump(mode="json") for f in meta.schema],
        "onnx": {
            "file": MODEL_FILE,
            "input_name": INPUT_NAME,
            "input_dtype": dtype,
            "probabilities_output": (PREDICTION_OUTPUT if meta.task == "regression"
                                     else PROBABILITIES_OUTPUT),
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
    positive_index = _check_estimator(estimator, len(feature_list), positive_label, meta.task)
    schema = meta.schema or tuple(FeatureField(name=f) for f in feature_list)
    if tuple(f.name for f in schema) != feature_list:
        raise BundleExportError("meta.schema must list the features in order")
    X = _check_eval_rows(eval_X, len(feature_list), [f.nullable for f in schema])
    created = clock()
    if created.tzinfo is None:
        raise BundleExportError("clock() must return a timezone-aware datetime")
    exported, dtype = convert_checked(
        estimator, X, task=meta.task, positive_index=positive_index,
        identity=lambda dtype: _identity_json(meta, feature_list, positive_index, dtype),
        threshold=meta.threshold, input_dtype=input_dtype, tolerance=tolerance)
    manifest = _manifest(
        meta, feature_list, created=created, example=_example(X, schema),
        positive_index=positive_index, dtype=dtype, exported=exported,
    )
    _prepare_out_dir(out_dir)
    _write_atomic(out_dir / MODEL_FILE, exported.model_bytes)
    text = json.dumps(manifest.model_dump(mode="json"), indent=2, allow_nan=False) + "\n"
    _write_atomic(out_dir / MANIFEST_NAME, text.encode("utf-8"))
    return manifest


def _example(X: NDArray[np.float64], schema: tuple[FeatureField, ...]) -> dict[str, float]:
    """A row the loader scores at cold start, in the model's coding: the median of each
    numeric, the most frequent code of a categorical or boolean (never NaN); the API's
    form of it (category names, true/false) is derived from the schema for ``/docs``."""
    out: dict[str, float] = {}
    for j, spec in enumerate(schema):
        col = X[:, j][~np.isnan(X[:, j])]
        if col.size == 0:
            out[spec.name] = 0.0
        elif spec.type == "numeric":
            out[spec.name] = float(np.median(col))
        else:
            values, counts = np.unique(col, return_counts=True)
            out[spec.name] = float(values[int(np.argmax(counts))])
    return out


def _content_type(name: str) -> str:
    return "application/json" if name.endswith(".json") else "application/octet-stream"


def upload_bundle(s3_client: Any, bundle_dir: Path, bucket: str, prefix: str) -> str:
    """Upload a verified bundle to ``s3://bucket/prefix/`` and return that URI.

    The release files (``release.sigstore.json``, ``release.intoto.json``) go with it.
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
    # the signed release statement (when the release wrote one) travels with the bundle,
    # before the manifest, so a reader that finds the manifest finds the statement too
    names = [f.path for f in verified.manifest.files]
    names += sorted(n for n in RELEASE_FILES if (bundle_dir / n).is_file())
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


# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The model bundle: export with a parity check (modelgate.infra.bundle), and verification on load
(modelgate.serving.bundle)."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from modelgate.infra.bundle import PARITY_TOLERANCE, TARGET_OPSET, BundleExportError
from modelgate.serving.bundle import BundleError, load_bundle, verify_bundle_dir
from modelgate.serving.manifest import MANIFEST_NAME, MODEL_FILE, ONNX_IDENTITY_KEY, BundleManifest
from tests.serving_support import COMMIT, CREATED_AT, RUN_ID, export, fitted


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bundle") / "b"
    export(out)
    return out


@pytest.fixture
def copy_of(bundle_dir: Path, tmp_path: Path) -> Path:
    """A private copy to tamper with."""
    return Path(shutil.copytree(bundle_dir, tmp_path / "copy"))


def _manifest(directory: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((directory / MANIFEST_NAME).read_text())
    return doc


def _write_manifest(directory: Path, doc: dict[str, Any]) -> None:
    (directory / MANIFEST_NAME).write_text(json.dumps(doc, indent=2))


# --- export ---------------------------------------------------------------------------

def test_export_writes_the_model_and_a_complete_manifest(bundle_dir: Path) -> None:
    """It writes model.onnx and manifest.json holding identity, decision rule and hashes."""
    fit = fitted()
    assert sorted(p.name for p in bundle_dir.iterdir()) == [MANIFEST_NAME, MODEL_FILE]
    doc = _manifest(bundle_dir)
    manifest = BundleManifest.model_validate_json((bundle_dir / MANIFEST_NAME).read_bytes())
    assert doc["schema_version"] == 1
    assert (manifest.model_name, manifest.model_version, manifest.alias) == (
        "breast-cancer-classifier", "7", "production")
    assert (manifest.run_id, manifest.commit, manifest.data_sha256) == (
        RUN_ID, COMMIT, fit.data_sha256)
    assert manifest.features == fit.features
    assert (manifest.threshold, manifest.positive_class, manifest.negative_class) == (
        0.5, "benign", "malignant")
    assert manifest.created_at == CREATED_AT
    assert doc["created_at"] == "2026-11-23T09:30:00Z"
    model_bytes = (bundle_dir / MODEL_FILE).read_bytes()
    assert [f.model_dump() for f in manifest.files] == [{
        "path": MODEL_FILE, "sha256": hashlib.sha256(model_bytes).hexdigest(),
        "bytes": len(model_bytes)}]
    assert manifest.onnx.target_opset == TARGET_OPSET
    used = manifest.onnx.opset
    assert all(used[d] <= v for d, v in TARGET_OPSET.items() if d in used)
    assert {"onnx", "onnxruntime", "skl2onnx", "scikit-learn", "numpy", "python"} <= set(
        manifest.versions)
    assert set(manifest.example) == set(fit.features)


def test_export_records_parity_measured_on_the_evaluation_rows(bundle_dir: Path) -> None:
    """The manifest records the ONNX-vs-sklearn difference, its tolerance and row count."""
    fit = fitted()
    manifest = BundleManifest.model_validate_json((bundle_dir / MANIFEST_NAME).read_bytes())
    assert manifest.onnx.input_dtype == "float64"
    assert manifest.parity.rows == len(fit.X_test)
    assert manifest.parity.tolerance == PARITY_TOLERANCE["float64"] == 1e-6
    assert manifest.parity.label_disagreements == 0
    # recompute it independently with a bare ONNX Runtime session
    session = ort.InferenceSession(str(bundle_dir / MODEL_FILE),
                                   providers=["CPUExecutionProvider"])
    onnx_p = session.run(["probabilities"], {"input": fit.X_test})[0][:, 1]
    diff = float(np.max(np.abs(onnx_p - fit.p_positive(fit.X_test))))
    assert diff == pytest.approx(manifest.parity.max_abs_diff, abs=1e-15)
    assert diff < 1e-12  # float64 end to end: the same arithmetic up to rounding


def test_export_fails_when_parity_exceeds_the_tolerance(tmp_path: Path) -> None:
    """It refuses to write a bundle whose probabilities differ by more than the tolerance."""
    out = tmp_path / "b"
    with pytest.raises(BundleExportError, match=r"parity check failed.*tolerance 1e-12"):
        export(out, input_dtype="float32", tolerance=1e-12)
    assert not out.exists()


def test_export_uses_float32_when_a_step_has_no_double_kernel(tmp_path: Path) -> None:
    """A SimpleImputer has no float64 kernel in ONNX Runtime: the export falls back to
    float32 and holds it to the float32 tolerance."""
    fit = fitted()
    pipe = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler()),
                     ("model", LogisticRegression(max_iter=1000))]).fit(
        fit.X_train, (fit.p_positive(fit.X_train) >= 0.5).astype(int))
    manifest = export(tmp_path / "b", estimator=pipe)
    assert manifest.onnx.input_dtype == "float32"
    assert manifest.parity.tolerance == PARITY_TOLERANCE["float32"]
    assert 0 < manifest.parity.max_abs_diff <= 1e-5
    loaded = load_bundle(str(tmp_path / "b"))
    served = loaded.positive_probability(fit.X_test)
    assert np.max(np.abs(served - pipe.predict_proba(fit.X_test)[:, 1])) <= 1e-5


def test_export_embeds_the_identity_in_the_model_file(bundle_dir: Path) -> None:
    """The ONNX file carries the manifest's identity, so a manifest edit alone is caught."""
    manifest = BundleManifest.model_validate_json((bundle_dir / MANIFEST_NAME).read_bytes())
    session = ort.InferenceSession(str(bundle_dir / MODEL_FILE),
                                   providers=["CPUExecutionProvider"])
    embedded = json.loads(session.get_modelmeta().custom_metadata_map[ONNX_IDENTITY_KEY])
    assert embedded == json.loads(json.dumps(manifest.identity()))


@pytest.mark.parametrize(("change", "message"), [
    ({"eval_X": np.zeros((3, 29))}, "30 columns"),
    ({"eval_X": np.full((2, 30), np.nan)}, "NaN or infinite"),
    ({"eval_X": np.zeros((0, 30))}, "at least one row"),
    ({"clock": lambda: CREATED_AT.replace(tzinfo=None)}, "timezone-aware"),
    ({"features": ("a", "b")}, "fitted on 30 features"),
])
def test_export_refuses_bad_arguments(tmp_path: Path, change: dict[str, Any],
                                      message: str) -> None:
    """Bad evaluation rows, a naive clock or the wrong feature list stop the export."""
    with pytest.raises(BundleExportError, match=message):
        export(tmp_path / "b", **change)
    assert not (tmp_path / "b").exists()


def test_export_refuses_an_invalid_version_and_writes_nothing(tmp_path: Path) -> None:
    """A model version that could not travel in an HTTP header is refused up front."""
    meta = fitted().meta(version="7 beta")
    with pytest.raises(BundleExportError, match="model_version"):
        export(tmp_path / "b", meta=meta)
    assert not (tmp_path / "b").exists()


def test_export_refuses_non_binary_and_unfitted_estimators(tmp_path: Path) -> None:
    """Only a fitted binary classifier with predict_proba can be bundled."""
    fit = fitted()
    three = Pipeline([("scale", StandardScaler()), ("model", LogisticRegression())]).fit(
        fit.X_train, np.arange(len(fit.X_train)) % 3)
    with pytest.raises(BundleExportError, match="binary classifiers"):
        export(tmp_path / "a", estimator=three)
    with pytest.raises(BundleExportError, match=r"binary classifiers.*fitted"):
        export(tmp_path / "b", estimator=LogisticRegression())


def test_export_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    """It never mixes a new bundle into an old one."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "stale.txt").write_text("old")
    with pytest.raises(BundleExportError, match="not an empty directory"):
        export(tmp_path / "b")


# --- verification on load -----------------------------------------------------------------

def test_a_verified_bundle_predicts_like_the_trained_model(bundle_dir: Path) -> None:
    """The loaded bundle's P(positive) equals the sklearn pipeline's within the tolerance."""
    fit = fitted()
    loaded = load_bundle(str(bundle_dir))
    diff = np.max(np.abs(loaded.positive_probability(fit.X_test) - fit.p_positive(fit.X_test)))
    assert diff <= loaded.manifest.parity.tolerance
    expected = hashlib.sha256((bundle_dir / MANIFEST_NAME).read_bytes()).hexdigest()
    assert loaded.manifest_sha256 == expected


def test_it_refuses_a_model_file_whose_hash_differs(copy_of: Path) -> None:
    """One flipped byte in model.onnx is refused, naming the file and both digests."""
    data = bytearray((copy_of / MODEL_FILE).read_bytes())
    data[-1] ^= 0x01
    (copy_of / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(BundleError, match=r"model\.onnx sha256 [0-9a-f]{64} differs"):
        verify_bundle_dir(copy_of)


def test_it_refuses_a_file_the_manifest_does_not_list(copy_of: Path) -> None:
    """An extra file in the bundle is refused."""
    (copy_of / "notes.txt").write_text("hello")
    with pytest.raises(BundleError, match=r"not listed \['notes.txt'\]"):
        verify_bundle_dir(copy_of)


def test_it_refuses_a_missing_file(copy_of: Path) -> None:
    """A listed file that is absent is refused."""
    (copy_of / MODEL_FILE).unlink()
    with pytest.raises(BundleError, match=r"missing \['model.onnx'\]"):
        verify_bundle_dir(copy_of)


def test_it_refuses_a_symlinked_file(copy_of: Path, tmp_path: Path) -> None:
    """A symlink could point anywhere after verification: refused."""
    target = tmp_path / "elsewhere.onnx"
    shutil.move(copy_of / MODEL_FILE, target)
    (copy_of / MODEL_FILE).symlink_to(target)
    with pytest.raises(BundleError, match="not a regular file"):
        verify_bundle_dir(copy_of)


def test_it_refuses_a_manifest_edited_without_touching_the_model(copy_of: Path) -> None:
    """Lowering the threshold in manifest.json alone no longer matches the model file."""
    doc = _manifest(copy_of)
    doc["threshold"] = 0.2
    _write_manifest(copy_of, doc)
    verified = verify_bundle_dir(copy_of)  # hashes still match ...
    assert verified.manifest.threshold == 0.2
    with pytest.raises(BundleError, match=r"embedded identity on \['threshold'\]"):
        load_bundle(str(copy_of))  # ... but the model's embedded identity does not


def test_it_refuses_a_manifest_whose_file_hash_was_edited(copy_of: Path) -> None:
    """A manifest that records another digest is refused."""
    doc = _manifest(copy_of)
    doc["files"][0]["sha256"] = "0" * 64
    _write_manifest(copy_of, doc)
    with pytest.raises(BundleError, match="differs from the manifest's 0000"):
        verify_bundle_dir(copy_of)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda d: d.update(schema_version=2), "schema_version 2"),
    (lambda d: d.pop("data_sha256"), "data_sha256: Field required"),
    (lambda d: d.update(surprise=True), "surprise: Extra inputs"),
    (lambda d: d.update(threshold="0.5"), "threshold: Input should be a valid number"),
    (lambda d: d["files"].append(dict(d["files"][0])), "more than once"),
    (lambda d: d["files"].append({"path": MANIFEST_NAME, "sha256": "0" * 64, "bytes": 1}),
     "must not list manifest.json"),
    (lambda d: d["parity"].update(max_abs_diff=0.5), "exceeds tolerance"),
    (lambda d: d.update(model_version="7\r\nX-Evil: 1"), "model_version"),
])
def test_it_refuses_a_manifest_that_fails_its_schema(copy_of: Path, edit: Any,
                                                     message: str) -> None:
    """The manifest is validated against its schema, field by field."""
    doc = _manifest(copy_of)
    edit(doc)
    _write_manifest(copy_of, doc)
    with pytest.raises(BundleError, match=message):
        verify_bundle_dir(copy_of)


@pytest.mark.parametrize(("text", "message"), [
    ('{"schema_version": 1, "threshold": NaN}', "NaN/Infinity"),
    ('{"schema_version": 1, "schema_version": 1}', "duplicated key"),
    ("[1, 2]", "must be a JSON object"),
    ("{not json", "not valid JSON"),
])
def test_it_refuses_a_manifest_that_is_not_strict_json(copy_of: Path, text: str,
                                                       message: str) -> None:
    """NaN, duplicated keys and malformed text are refused before the schema is applied."""
    (copy_of / MANIFEST_NAME).write_text(text)
    with pytest.raises(BundleError, match=message):
        verify_bundle_dir(copy_of)


def test_it_refuses_a_manifest_that_differs_from_the_pinned_digest(bundle_dir: Path) -> None:
    """With MODELGATE_BUNDLE_SHA256 pinned, any other manifest is refused."""
    actual = hashlib.sha256((bundle_dir / MANIFEST_NAME).read_bytes()).hexdigest()
    assert verify_bundle_dir(bundle_dir, expected_manifest_sha256=actual)
    with pytest.raises(BundleError, match="differs from the pinned"):
        verify_bundle_dir(bundle_dir, expected_manifest_sha256="f" * 64)


def test_it_refuses_a_directory_without_a_manifest(tmp_path: Path) -> None:
    """An empty or absent directory is not a bundle."""
    with pytest.raises(BundleError, match=r"has no manifest\.json"):
        verify_bundle_dir(tmp_path)
    with pytest.raises(BundleError, match="does not exist"):
        verify_bundle_dir(tmp_path / "nope")


# --- other tasks and estimator families (issue 15) --------------------------------------


def _synthetic(task: str) -> tuple[Any, Any, Any]:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    X[rng.random(300) < 0.1, 0] = np.nan
    base = np.nan_to_num(X[:, 0]) + X[:, 1]
    y = {"binary": (base > 0).astype(int), "multiclass": np.digitize(base, [-0.5, 0.5]),
         "regression": 3 * base + X[:, 2]}[task]
    return X, y, rng


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_hist_gradient_boosting_exports_for_every_task(tmp_path: Path, task: str) -> None:
    """HistGradientBoosting (which skl2onnx 1.20 could not convert under onnx 1.23) exports
    with float32 input, NaN included, and its parity is recorded."""
    import dataclasses

    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from modelgate.infra.bundle import export_bundle
    from modelgate.serving.manifest import FeatureField

    X, y, _ = _synthetic(task)
    est = (HistGradientBoostingRegressor if task == "regression"
           else HistGradientBoostingClassifier)(max_iter=30, random_state=0).fit(X, y)
    meta = dataclasses.replace(
        fitted().meta(), task=task,
        positive_class="yes" if task == "binary" else "",
        negative_class="no" if task == "binary" else "",
        classes=("low", "mid", "high") if task == "multiclass" else (),
        schema=(FeatureField(name="a", nullable=True), *(FeatureField(name=n) for n in "bcd")))
    manifest = export_bundle(est, features=("a", "b", "c", "d"), out_dir=tmp_path / "b",
                             meta=meta, eval_X=X, clock=lambda: CREATED_AT)
    assert manifest.onnx.input_dtype == "float32" and manifest.task == task
    assert manifest.parity.max_abs_diff <= 1e-5
    assert manifest.onnx.probabilities_output == (
        "prediction" if task == "regression" else "probabilities")


def test_an_unconvertible_estimator_names_its_cause_in_one_paragraph(tmp_path: Path) -> None:
    """What skl2onnx cannot convert is refused with the converter's cause, not its dump."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import SplineTransformer

    fit = fitted()
    est = Pipeline([("spline", SplineTransformer()), ("model", LogisticRegression())])
    est.fit(fit.X_train, fit.pipeline.predict(fit.X_train))
    with pytest.raises(BundleExportError) as err:
        export(tmp_path / "b", estimator=est)
    text = str(err.value)
    assert text.startswith("cannot convert the estimator (SplineTransformer > "
                           "LogisticRegression) to ONNX: float64 input: ")
    assert "\n" not in text and len(text) < 1500

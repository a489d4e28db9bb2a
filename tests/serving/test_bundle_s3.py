# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The bundle in S3 (moto): upload at promotion, verified cold-start load in the Lambda."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from modelgate.infra.bundle import BundleUploadError, upload_bundle
from modelgate.serving import bundle as bundles
from modelgate.serving.app import create_app
from modelgate.serving.bundle import BundleError, load_bundle
from modelgate.serving.handler import make_handler
from modelgate.serving.manifest import MANIFEST_NAME, MODEL_FILE
from modelgate.serving.settings import Settings
from tests.serving_support import (
    FakeContext,
    LogLines,
    export,
    fitted,
    http_event,
    record,
    response_json,
)

REGION = "us-east-1"
BUCKET = "modelgate-bundles"
PREFIX = "breast-cancer-classifier/7-production"
URI = f"s3://{BUCKET}/{PREFIX}"


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("s3") / "bundle"
    export(out)
    return out


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bundles.reset_cache()
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET)
        yield client
    bundles.reset_cache()


def _keys(s3: Any, prefix: str = PREFIX) -> list[str]:
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get(
        "Contents", []))


def test_upload_puts_every_bundle_file_under_the_prefix(s3: Any, bundle_dir: Path) -> None:
    """upload_bundle returns the s3 URI and stores the manifest and the model unchanged."""
    assert upload_bundle(s3, bundle_dir, BUCKET, PREFIX + "/") == URI
    assert _keys(s3) == [f"{PREFIX}/{MANIFEST_NAME}", f"{PREFIX}/{MODEL_FILE}"]
    for name in (MANIFEST_NAME, MODEL_FILE):
        got = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{name}")
        assert got["Body"].read() == (bundle_dir / name).read_bytes()
    head = s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{MANIFEST_NAME}")
    assert head["ContentType"] == "application/json"


def test_upload_is_idempotent_but_never_overwrites(s3: Any, bundle_dir: Path,
                                                   tmp_path: Path) -> None:
    """Uploading the same bundle twice is fine; another bundle at that prefix is refused."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    assert upload_bundle(s3, bundle_dir, BUCKET, PREFIX) == URI
    other = tmp_path / "other"
    export(other, meta=fitted().meta(version="8"))
    with pytest.raises(BundleUploadError, match="already holds a different bundle"):
        upload_bundle(s3, other, BUCKET, PREFIX)
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{MANIFEST_NAME}")[
        "Body"].read())
    assert manifest["model_version"] == "7"


def test_upload_refuses_an_unverified_bundle(s3: Any, bundle_dir: Path, tmp_path: Path) -> None:
    """A bundle that fails verification locally never reaches S3."""
    copy = Path(shutil.copytree(bundle_dir, tmp_path / "bad"))
    (copy / "extra.bin").write_bytes(b"x")
    with pytest.raises(BundleUploadError, match="refusing to upload"):
        upload_bundle(s3, copy, BUCKET, PREFIX)
    assert _keys(s3) == []


def test_upload_refuses_the_bucket_root_and_reports_s3_errors(s3: Any, bundle_dir: Path) -> None:
    with pytest.raises(BundleUploadError, match="bucket root"):
        upload_bundle(s3, bundle_dir, BUCKET, "/")
    with pytest.raises(BundleUploadError, match="NoSuchBucket"):
        upload_bundle(s3, bundle_dir, "no-such-bucket", PREFIX)


def test_a_cold_start_loads_and_verifies_the_bundle_from_s3(s3: Any, bundle_dir: Path,
                                                            tmp_path: Path) -> None:
    """The loader downloads the prefix, verifies it and predicts like the trained model;
    the downloaded copy is removed once the verified bytes are in memory."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    fit = fitted()
    loaded = load_bundle(URI, s3_client_factory=lambda: s3, download_root=tmp_path)
    assert loaded.source == URI and loaded.manifest.model_version == "7"
    assert loaded.manifest_sha256 == hashlib.sha256(
        (bundle_dir / MANIFEST_NAME).read_bytes()).hexdigest()
    diff = np.max(np.abs(loaded.positive_probability(fit.X_test) - fit.p_positive(fit.X_test)))
    assert diff <= 1e-9
    assert list(tmp_path.iterdir()) == []


def test_the_lambda_serves_a_bundle_from_s3(s3: Any, bundle_dir: Path) -> None:
    """MODELGATE_BUNDLE_URI=s3://...: the handler loads once at init and serves."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    calls: list[str] = []

    def factory() -> Any:
        calls.append("client")
        return boto3.client("s3", region_name=REGION)

    lines = LogLines()
    app = create_app(env={"MODELGATE_BUNDLE_URI": URI}, s3_client_factory=factory,
                     log_sink=lines)
    handler = make_handler(app)
    fit = fitted()
    for row in fit.X_test[:3]:
        body = json.dumps({"features": record(row)}).encode()
        response = handler(http_event("apigw-http-v2.post-json.powertools.json", "POST",
                                      "/predict", body), FakeContext())
        assert response["statusCode"] == 200
        p = response_json(response)["probability_positive_class"]
        assert p == pytest.approx(float(fit.p_positive(row[None, :])[0]), abs=1e-9)
    assert calls == ["client"]  # loaded once per container
    loaded = [d for d in lines.parsed() if d["event"] == "bundle"]
    assert len(loaded) == 1 and loaded[0]["loaded"] is True and loaded[0]["bundle_uri"] == URI


def test_a_tampered_model_in_s3_is_refused(s3: Any, bundle_dir: Path) -> None:
    """A model object replaced in S3 after upload: /health 503 with the reason, /predict 503."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    data = bytearray((bundle_dir / MODEL_FILE).read_bytes())
    data[100] ^= 0x55
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{MODEL_FILE}", Body=bytes(data))
    app = create_app(Settings(bundle_uri=URI), s3_client_factory=lambda: s3, log_sink=LogLines())
    handler = make_handler(app)
    health = handler(http_event("lambda-function-url.get.powertools.json", "GET", "/health"),
                     FakeContext())
    assert health["statusCode"] == 503
    reason = response_json(health)["reason"]
    assert reason.startswith(f"bundle {URI} refused") and "model.onnx sha256" in reason
    body = json.dumps({"features": record(fitted().X_test[0])}).encode()
    predict = handler(http_event("lambda-function-url.get.powertools.json", "POST", "/predict",
                                 body), FakeContext())
    assert predict["statusCode"] == 503
    assert response_json(predict)["error"] == "model_not_ready"


def test_a_tampered_manifest_in_s3_is_refused(s3: Any, bundle_dir: Path) -> None:
    """A manifest replaced in S3 (here: another version number) is refused on load."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    doc = json.loads((bundle_dir / MANIFEST_NAME).read_text())
    doc["model_version"] = "9"
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/{MANIFEST_NAME}", Body=json.dumps(doc).encode())
    with pytest.raises(BundleError, match=r"embedded identity on \['model_version'\]"):
        load_bundle(URI, s3_client_factory=lambda: s3)


def test_a_pinned_manifest_digest_is_enforced(s3: Any, bundle_dir: Path) -> None:
    """MODELGATE_BUNDLE_SHA256 pins the exact manifest the deploy approved."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    digest = hashlib.sha256((bundle_dir / MANIFEST_NAME).read_bytes()).hexdigest()
    assert load_bundle(URI, expected_manifest_sha256=digest, s3_client_factory=lambda: s3)
    with pytest.raises(BundleError, match="differs from the pinned"):
        load_bundle(URI, expected_manifest_sha256="0" * 64, s3_client_factory=lambda: s3)


@pytest.mark.parametrize(("extra_key", "message"), [
    (f"{PREFIX}/notes.txt", r"not listed \['notes.txt'\]"),
    (f"{PREFIX}/sub/model.onnx", "unexpected object"),
])
def test_unexpected_objects_under_the_prefix_are_refused(s3: Any, bundle_dir: Path,
                                                         extra_key: str, message: str) -> None:
    """The prefix must hold exactly the bundle: extra or nested objects are refused."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    s3.put_object(Bucket=BUCKET, Key=extra_key, Body=b"x")
    with pytest.raises(BundleError, match=message):
        load_bundle(URI, s3_client_factory=lambda: s3)


@pytest.mark.parametrize(("uri", "message"), [
    (f"s3://{BUCKET}/nothing-here", "no bundle found"),
    ("s3://no-such-bucket/x", "NoSuchBucket"),
    (f"s3://{BUCKET}", "needs a key prefix"),
    ("s3://Bad_Bucket/x", "valid S3 bucket"),
    (f"s3://{BUCKET}/../x", "needs a key prefix"),
])
def test_an_s3_uri_without_a_bundle_is_refused_with_the_reason(s3: Any, uri: str,
                                                               message: str) -> None:
    with pytest.raises(BundleError, match=message):
        load_bundle(uri, s3_client_factory=lambda: s3)


def test_a_missing_client_configuration_is_a_reason_not_a_crash() -> None:
    def broken() -> Any:
        raise RuntimeError("no region configured")

    with pytest.raises(BundleError, match="cannot create an S3 client: RuntimeError"):
        load_bundle(URI, s3_client_factory=broken)


def test_a_bundle_is_loaded_once_per_container(s3: Any, bundle_dir: Path) -> None:
    """cached_bundle downloads once; reset_cache (tests only) forgets it."""
    upload_bundle(s3, bundle_dir, BUCKET, PREFIX)
    made: list[int] = []

    def factory() -> Any:
        made.append(1)
        return s3

    first = bundles.cached_bundle(URI, s3_client_factory=factory)
    assert bundles.cached_bundle(URI, s3_client_factory=factory) is first
    assert len(made) == 1
    bundles.reset_cache()
    assert bundles.cached_bundle(URI, s3_client_factory=factory) is not first
    assert len(made) == 2

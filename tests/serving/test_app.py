# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The serving API: endpoints, validation, request ids, readiness and the request log."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from modelgate.serving import bundle as bundles
from modelgate.serving import logs, validation
from modelgate.serving.app import NO_MODEL, create_app
from modelgate.serving.manifest import MANIFEST_NAME, MODEL_FILE
from modelgate.serving.schemas import (
    BatchPredictionResponse,
    ErrorResponse,
    HealthResponse,
    ModelInfoResponse,
    SinglePredictionResponse,
)
from modelgate.serving.settings import Settings
from tests.serving_support import COMMIT, CREATED_AT, RUN_ID, LogLines, export, fitted, record

JSON = {"content-type": "application/json"}


class Item(BaseModel):
    """A pydantic-typed body, to exercise FastAPI's own validation."""

    value: int


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("serving") / "bundle"
    export(out)
    return out


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    bundles.reset_cache()
    yield
    bundles.reset_cache()


def make_client(settings: Settings | None = None, *, env: dict[str, str] | None = None,
                lines: LogLines | None = None, raise_errors: bool = True) -> TestClient:
    app = create_app(settings, env=env, log_sink=lines if lines is not None else LogLines())
    return TestClient(app, raise_server_exceptions=raise_errors)


@pytest.fixture
def lines() -> LogLines:
    return LogLines()


@pytest.fixture
def client(bundle_dir: Path, lines: LogLines) -> TestClient:
    return make_client(Settings(bundle_uri=str(bundle_dir), max_batch=200), lines=lines)


def post(client: TestClient, body: Any, *, headers: dict[str, Any] | None = None) -> Any:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post("/predict", content=data, headers={**JSON, **(headers or {})})


def one_record() -> dict[str, float]:
    return record(fitted().X_test[0])


# --- the happy path -------------------------------------------------------------------------

def test_health_is_ready_with_a_verified_bundle(client: TestClient) -> None:
    """/health answers 200 "ready" with the model version once the bundle verified."""
    r = client.get("/health")
    assert r.status_code == 200
    body = HealthResponse.model_validate(r.json())
    assert (body.status, body.reason, body.model_version) == ("ready", None, "7")
    assert r.headers["x-model-version"] == "7"
    assert r.headers["x-request-id"] == body.request_id


def test_model_info_traces_the_model(client: TestClient, bundle_dir: Path) -> None:
    """/model-info names the model, alias, version, run, commit, data and features."""
    r = client.get("/model-info")
    assert r.status_code == 200
    info = ModelInfoResponse.model_validate(r.json())
    fit = fitted()
    assert (info.model_name, info.alias, info.model_version) == (
        "breast-cancer-classifier", "production", "7")
    assert (info.source_run_id, info.commit, info.data_sha256) == (RUN_ID, COMMIT,
                                                                  fit.data_sha256)
    assert info.features == list(fit.features) and info.feature_count == 30
    assert (info.threshold, info.positive_class, info.negative_class) == (
        0.5, "benign", "malignant")
    assert info.bundle_sha256 == hashlib.sha256(
        (bundle_dir / MANIFEST_NAME).read_bytes()).hexdigest()
    assert info.created_at == CREATED_AT.isoformat().replace("+00:00", "Z")
    assert info.parity.max_abs_diff <= info.parity.tolerance


def test_predict_one_record_matches_the_trained_model(client: TestClient) -> None:
    """One record's probability and label are the sklearn pipeline's."""
    fit = fitted()
    r = post(client, {"features": one_record()})
    assert r.status_code == 200, r.text
    body = SinglePredictionResponse.model_validate(r.json())
    expected = float(fit.p_positive(fit.X_test[:1])[0])
    assert body.probability_positive_class == pytest.approx(expected, abs=1e-9)
    assert body.prediction == int(expected >= 0.5)
    assert body.prediction_label == ("benign" if expected >= 0.5 else "malignant")
    assert body.positive_class == "benign"
    assert (body.model_name, body.model_version, body.alias) == (
        "breast-cancer-classifier", "7", "production")
    assert r.headers["x-model-version"] == "7"


def test_predict_a_batch_answers_every_record_in_order(client: TestClient) -> None:
    """A batch of the whole test split comes back in order, each equal to sklearn's."""
    fit = fitted()
    r = post(client, {"records": [record(row) for row in fit.X_test]})
    assert r.status_code == 200, r.text
    body = BatchPredictionResponse.model_validate(r.json())
    assert body.count == len(fit.X_test) == len(body.predictions)
    got = np.array([p.probability_positive_class for p in body.predictions])
    expected = fit.p_positive(fit.X_test)
    assert np.max(np.abs(got - expected)) <= 1e-9
    assert [p.prediction for p in body.predictions] == (expected >= 0.5).astype(int).tolist()
    assert {p.prediction_label for p in body.predictions} == {"benign", "malignant"}


def test_the_order_of_fields_in_a_record_does_not_matter(client: TestClient) -> None:
    """Features are matched by name, not position."""
    rec = one_record()
    shuffled = dict(reversed(list(rec.items())))
    a = post(client, {"features": rec}).json()["probability_positive_class"]
    b = post(client, {"features": shuffled}).json()["probability_positive_class"]
    assert a == b


def test_integers_are_accepted_as_numbers(client: TestClient) -> None:
    """A whole number written without a decimal point is a number."""
    rec = {k: round(v) for k, v in one_record().items()}
    r = post(client, {"features": rec})
    assert r.status_code == 200, r.text


# --- request ids ----------------------------------------------------------------------------

@pytest.mark.parametrize("given", ["abc-123", "A.b_C-9", "x" * 128,
                                   "3f2504e0-4f89-11d3-9a0c-0305e82c3301"])
def test_a_valid_incoming_request_id_is_honoured(client: TestClient, given: str) -> None:
    """A valid X-Request-ID comes back in the header and the body."""
    r = post(client, {"features": one_record()}, headers={"X-Request-ID": given})
    assert r.headers["x-request-id"] == given == r.json()["request_id"]


@pytest.mark.parametrize("given", ["", "x" * 129, "has space", "semi;colon", "ünïcode",
                                   "a/b", "<script>"])
def test_an_invalid_incoming_request_id_is_replaced(client: TestClient, given: str) -> None:
    """An invalid X-Request-ID is replaced by a fresh UUID4, never reflected."""
    r = post(client, {"features": one_record()},
             headers={"X-Request-ID": given.encode("utf-8")})
    rid = r.json()["request_id"]
    assert r.headers["x-request-id"] == rid != given
    assert uuid.UUID(rid).version == 4


def test_each_request_gets_its_own_id(client: TestClient) -> None:
    ids = {client.get("/health").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


# --- validation -------------------------------------------------------------------------

def _errors(r: Any, status: int, code: str) -> ErrorResponse:
    assert r.status_code == status, r.text
    err = ErrorResponse.model_validate(r.json())
    assert err.error == code
    assert r.headers["x-request-id"] == err.request_id
    assert r.headers["x-model-version"] == "7" == err.model_version
    return err


def test_missing_and_extra_features_are_listed(client: TestClient) -> None:
    """A record with the wrong feature set is a 422 with missing and extra lists."""
    rec = one_record()
    del rec["mean_radius"], rec["worst_area"]
    rec["age"] = 50.0
    rec["zip_code"] = 12345.0
    err = _errors(post(client, {"features": rec}), 422, validation.E_INVALID_FEATURES)
    assert err.missing == ["mean_radius", "worst_area"]
    assert err.extra == ["age", "zip_code"]
    assert {(p.field, p.problem) for p in err.problems or []} == {
        ("mean_radius", "missing"), ("worst_area", "missing"), ("age", "extra"),
        ("zip_code", "extra")}


@pytest.mark.parametrize(("raw_value", "problem", "said"), [
    ("NaN", "not_finite", "NaN"),
    ("Infinity", "not_finite", "Infinity"),
    ("-Infinity", "not_finite", "-Infinity"),
    ("1e400", "not_finite", "too large"),
    ('"12.5"', "not_a_number", "a string"),
    ("true", "not_a_number", "a boolean"),
    ("null", "not_a_number", "null"),
    ("[1.0]", "not_a_number", "an array"),
    ('{"v": 1.0}', "not_a_number", "an object"),
])
def test_a_bad_value_is_a_422_naming_the_field(client: TestClient, raw_value: str,
                                               problem: str, said: str) -> None:
    """Non-numeric, boolean, null, NaN and infinite values are 422s naming the field,
    and the submitted value is not echoed back."""
    rec = one_record()
    text = json.dumps({"features": rec}).replace(
        f'"mean_texture": {json.dumps(rec["mean_texture"])}', f'"mean_texture": {raw_value}')
    assert raw_value in text
    err = _errors(post(client, text.encode()), 422, validation.E_INVALID_FEATURES)
    assert err.missing == [] and err.extra == []
    assert [(p.record, p.field, p.problem) for p in err.problems or []] == [
        (None, "mean_texture", problem)]
    assert said in err.message and "mean_texture" in err.message


def test_batch_problems_name_the_record(client: TestClient) -> None:
    """In a batch, each problem says which record it is in."""
    good = one_record()
    bad = dict(good, mean_area="big")
    short = {k: v for k, v in good.items() if k != "mean_radius"}
    text = json.dumps({"records": [good, bad, short]})
    err = _errors(post(client, text.encode()), 422, validation.E_INVALID_FEATURES)
    assert [(p.record, p.field, p.problem) for p in err.problems or []] == [
        (1, "mean_area", "not_a_number"), (2, "mean_radius", "missing")]
    assert err.missing == ["mean_radius"]
    assert "record 1: mean_area" in err.message


def test_a_duplicated_feature_is_refused(client: TestClient) -> None:
    """{"mean_radius": 1, "mean_radius": 2} is ambiguous: 422, not last-one-wins."""
    rec = one_record()
    text = json.dumps({"features": rec})[:-2] + ', "mean_radius": 99.0}}'
    err = _errors(post(client, text.encode()), 422, validation.E_INVALID_FEATURES)
    assert [(p.field, p.problem) for p in err.problems or []] == [("mean_radius",
                                                                    "duplicate_key")]


def test_many_problems_are_capped(client: TestClient) -> None:
    """A batch of 150 empty records lists at most MAX_PROBLEMS problems and says so."""
    err = _errors(post(client, {"records": [{}] * 150}), 422, validation.E_INVALID_FEATURES)
    assert len(err.problems or []) == validation.MAX_PROBLEMS
    assert err.problems_truncated is True
    assert err.missing == list(fitted().features)


@pytest.mark.parametrize(("body", "fragment"), [
    ([1, 2, 3], "got an array"),
    (42, "got a number"),
    ({"features": [1.0, 2.0]}, None),
    ({"records": {"a": 1}}, "\"records\" is an object"),
    ({"records": []}, "empty"),
    ({"features": {}, "records": []}, "got keys ['features', 'records']"),
    ({"feature": {}}, "got keys ['feature']"),
    ({}, "got keys []"),
])
def test_a_body_of_the_wrong_shape_is_a_422(client: TestClient, body: Any,
                                            fragment: str | None) -> None:
    """Only {"features": {...}} and {"records": [...]} are accepted."""
    r = post(client, body)
    assert r.status_code == 422, r.text
    err = ErrorResponse.model_validate(r.json())
    assert err.error in (validation.E_INVALID_REQUEST, validation.E_INVALID_FEATURES)
    if fragment:
        assert fragment in err.message


@pytest.mark.parametrize(("data", "code", "fragment"), [
    (b"", validation.E_EMPTY_BODY, "empty"),
    (b"   \n ", validation.E_EMPTY_BODY, "empty"),
    (b'{"features": {', validation.E_MALFORMED_JSON, "line 1 column"),
    (b'{"features": {}} trailing', validation.E_MALFORMED_JSON, "Extra data"),
    (b"\xff\xfe{}", validation.E_INVALID_ENCODING, "UTF-8"),
    (b"[" * 100_000, validation.E_MALFORMED_JSON, "nested too deeply"),
])
def test_an_unreadable_body_is_a_400(client: TestClient, data: bytes, code: str,
                                     fragment: str) -> None:
    """Empty, malformed, non-UTF-8 and absurdly nested bodies are clear 400s."""
    err = _errors(post(client, data), 400, code)
    assert fragment in err.message


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=latin-1",
                                          "application/jsonx"])
def test_a_wrong_content_type_is_a_415(client: TestClient, content_type: str | None) -> None:
    """Only application/json (charset utf-8 or none) is accepted."""
    headers = {} if content_type is None else {"content-type": content_type}
    r = client.post("/predict", content=json.dumps({"features": one_record()}).encode(),
                    headers=headers)
    _errors(r, 415, validation.E_UNSUPPORTED_MEDIA_TYPE)


def test_json_with_charset_is_accepted(client: TestClient) -> None:
    r = post(client, {"features": one_record()},
             headers={"content-type": "Application/JSON; charset=UTF-8"})
    assert r.status_code == 200, r.text


def test_an_oversized_body_is_a_413(bundle_dir: Path) -> None:
    """A body over MODELGATE_MAX_BODY_BYTES is refused before it is parsed."""
    client = make_client(Settings(bundle_uri=str(bundle_dir), max_body_bytes=4096))
    body = json.dumps({"records": [one_record()] * 10}).encode()
    assert len(body) > 4096
    err = _errors(post(client, body), 413, validation.E_BODY_TOO_LARGE)
    assert "4096" in err.message


def test_a_batch_over_the_limit_is_a_413(client: TestClient) -> None:
    """More records than MODELGATE_MAX_BATCH is refused with the limit named."""
    err = _errors(post(client, {"records": [one_record()] * 201}), 413,
                  validation.E_BATCH_TOO_LARGE)
    assert "201" in err.message and "200" in err.message


def test_inputs_the_model_cannot_compute_with_are_a_422(client: TestClient) -> None:
    """Finite but absurd inputs that overflow inside the model are a 422, never a NaN."""
    rec = {k: (1e308 if i % 2 else -1e308) for i, k in enumerate(one_record())}
    r = post(client, {"features": rec})
    assert r.status_code in (200, 422), r.text
    if r.status_code == 422:
        assert r.json()["error"] == validation.E_PREDICTION_OUT_OF_RANGE
    else:
        assert 0.0 <= r.json()["probability_positive_class"] <= 1.0


def test_fastapi_validation_errors_never_echo_input_or_fail(bundle_dir: Path) -> None:
    """FastAPI's own validation handler is replaced: a NaN in a pydantic-typed body is a
    422 listing locations only (the default echoes the input, then fails on the NaN)."""
    app = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=LogLines())

    @app.full.post("/typed")
    async def typed(item: Item) -> dict[str, int]:
        return {"value": item.value}

    r = TestClient(app).post("/typed", content=b'{"value": NaN}', headers=JSON)
    assert r.status_code == 422
    err = ErrorResponse.model_validate(r.json())
    assert err.error == "invalid_request" and "body.value" in err.message
    assert "NaN" not in r.text


def test_unknown_paths_and_methods_are_json_errors(client: TestClient) -> None:
    """404 and 405 carry the request id and model version like every response."""
    r = client.get("/nope")
    assert _errors(r, 404, "not_found")
    r = client.get("/predict")
    assert _errors(r, 405, "method_not_allowed")
    assert "POST" in r.headers["allow"]


def test_an_unexpected_error_is_a_json_500_with_the_request_id(bundle_dir: Path,
                                                             lines: LogLines) -> None:
    """A bug answers a JSON 500 with request id and version (and logs the exception type)."""
    app = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=lines)

    @app.full.get("/boom")
    async def boom() -> None:
        raise ZeroDivisionError("boom")

    r = TestClient(app, raise_server_exceptions=False).get(
        "/boom", headers={"X-Request-ID": "trace-me"})
    assert r.status_code == 500
    err = ErrorResponse.model_validate(r.json())
    assert (err.error, err.request_id) == ("internal_error", "trace-me")
    assert r.headers["x-request-id"] == "trace-me"
    logged = lines.requests()[-1]
    assert (logged["status"], logged["errors"][0]["exception"]) == (500, "ZeroDivisionError")


FAST_PATH_BODIES: dict[str, Any] = {
    "one": lambda: json.dumps({"features": one_record()}).encode(),
    "batch": lambda: json.dumps({"records": [record(r) for r in fitted().X_test[:3]]}).encode(),
    "nan": lambda: b'{"features": {"mean_radius": NaN}}',
    "no_records": lambda: b'{"records": []}',
    "empty": lambda: b"",
    "malformed": lambda: b"{nope",
}


@pytest.mark.parametrize("name", sorted(FAST_PATH_BODIES))
def test_the_fast_path_answers_exactly_as_the_fastapi_route(bundle_dir: Path,
                                                            name: str) -> None:
    """POST /predict bypasses the middleware stack; the answer is the same either way."""
    data = FAST_PATH_BODIES[name]()
    fast = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=LogLines())
    slow = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=LogLines())
    slow.fast_path = None
    answers = []
    for app in (fast, slow):
        r = post(TestClient(app), data, headers={"X-Request-ID": "same"})
        answers.append((r.status_code, r.json(), r.headers["x-request-id"],
                        r.headers["x-model-version"], r.headers["content-type"]))
    assert answers[0] == answers[1]


def test_an_unexpected_error_on_the_fast_path_is_a_json_500(
        bundle_dir: Path, lines: LogLines, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in /predict answers a JSON 500 with the request id, and is logged."""
    app = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=lines)

    def broken(self: bundles.LoadedBundle, X: Any) -> Any:
        raise MemoryError("simulated")

    monkeypatch.setattr(bundles.LoadedBundle, "positive_probability", broken)
    r = post(TestClient(app, raise_server_exceptions=False), {"features": one_record()},
             headers={"X-Request-ID": "fast-500"})
    assert r.status_code == 500
    err = ErrorResponse.model_validate(r.json())
    assert (err.error, err.request_id, err.model_version) == ("internal_error", "fast-500", "7")
    assert r.headers["x-request-id"] == "fast-500" and r.headers["x-model-version"] == "7"
    logged = lines.requests()[-1]
    assert (logged["status"], logged["errors"][0]["exception"]) == (500, "MemoryError")


# --- readiness --------------------------------------------------------------------------

def test_without_a_bundle_uri_nothing_is_served(lines: LogLines) -> None:
    """With no MODELGATE_BUNDLE_URI the app answers, but is not ready and says why."""
    client = make_client(env={}, lines=lines)
    r = client.get("/health")
    assert r.status_code == 503
    health = HealthResponse.model_validate(r.json())
    assert health.status == "not_ready" and "MODELGATE_BUNDLE_URI is not set" in (
        health.reason or "")
    assert r.headers["x-model-version"] == NO_MODEL and health.model_version is None
    for response in (client.get("/model-info"), post(client, {"features": one_record()})):
        err = ErrorResponse.model_validate(response.json())
        assert response.status_code == 503 and err.error == "model_not_ready"


def test_invalid_settings_are_reported_not_ignored(bundle_dir: Path) -> None:
    """An unreadable MODELGATE_MAX_BATCH keeps the model from serving, with the reason."""
    client = make_client(env={"MODELGATE_BUNDLE_URI": str(bundle_dir),
                              "MODELGATE_MAX_BATCH": "lots"})
    r = client.get("/health")
    assert r.status_code == 503
    assert "MODELGATE_MAX_BATCH must be a positive whole number" in r.json()["reason"]


def _tampered_model(bundle_dir: Path, tmp_path: Path) -> Path:
    copy = Path(shutil.copytree(bundle_dir, tmp_path / "tampered"))
    data = bytearray((copy / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (copy / MODEL_FILE).write_bytes(bytes(data))
    return copy


def test_a_tampered_model_file_is_refused(bundle_dir: Path, tmp_path: Path,
                                          lines: LogLines) -> None:
    """A model file whose hash differs: /health 503 with the reason, /predict 503."""
    client = make_client(Settings(bundle_uri=str(_tampered_model(bundle_dir, tmp_path))),
                         lines=lines)
    r = client.get("/health")
    assert r.status_code == 503
    assert "model.onnx sha256" in r.json()["reason"] and "differs" in r.json()["reason"]
    p = post(client, {"features": one_record()})
    assert p.status_code == 503 and "model.onnx sha256" in p.json()["message"]
    loads = [d for d in lines.parsed() if d["event"] == logs.EVENT_BUNDLE]
    assert loads and loads[0]["loaded"] is False and "sha256" in loads[0]["detail"]


def test_a_tampered_manifest_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    """A manifest edited after export (threshold lowered): /health 503 and why."""
    copy = Path(shutil.copytree(bundle_dir, tmp_path / "tampered"))
    doc = json.loads((copy / MANIFEST_NAME).read_text())
    doc["threshold"] = 0.05
    (copy / MANIFEST_NAME).write_text(json.dumps(doc))
    client = make_client(Settings(bundle_uri=str(copy)))
    r = client.get("/health")
    assert r.status_code == 503 and "embedded identity on ['threshold']" in r.json()["reason"]
    assert post(client, {"features": one_record()}).status_code == 503


def test_a_refused_bundle_is_retried_only_after_a_pause(bundle_dir: Path, tmp_path: Path) -> None:
    """After a failed load the app retries at most every RETRY_SECONDS, then recovers."""
    now = [1000.0]
    attempts: list[str] = []
    target = tmp_path / "later"

    def loader(settings: Settings) -> bundles.LoadedBundle:
        attempts.append(settings.bundle_uri)
        return bundles.load_bundle(settings.bundle_uri)

    app = create_app(Settings(bundle_uri=str(target)), loader=loader, log_sink=LogLines(),
                     monotonic=lambda: now[0])
    client = TestClient(app)
    assert client.get("/health").status_code == 503
    shutil.copytree(bundle_dir, target)  # the bundle appears
    now[0] += 10
    assert client.get("/health").status_code == 503 and len(attempts) == 1
    now[0] += 25
    assert client.get("/health").status_code == 200 and len(attempts) == 2
    assert client.get("/health").status_code == 200 and len(attempts) == 2


# --- the request log ----------------------------------------------------------------------

def test_each_request_is_logged_as_one_json_line(client: TestClient, lines: LogLines) -> None:
    """A prediction's line holds id, model, outcome, predictions, probabilities, features."""
    rec = one_record()
    r = post(client, {"features": rec}, headers={"X-Request-ID": "log-me"})
    (line,) = [d for d in lines.requests() if d["request_id"] == "log-me"]
    assert (line["model_name"], line["model_version"], line["alias"]) == (
        "breast-cancer-classifier", "7", "production")
    assert (line["method"], line["path"], line["status"], line["validation"]) == (
        "POST", "/predict", 200, "passed")
    assert line["predictions"] == [r.json()["prediction"]]
    assert line["probabilities"] == [r.json()["probability_positive_class"]]
    assert line["feature_names"] == list(fitted().features)
    assert line["features"] == [[rec[f] for f in fitted().features]]
    assert line["latency_ms"] >= 0 and line["timestamp"].endswith("Z")
    assert line["level"] == "info"


def test_a_rejected_request_logs_its_errors_without_values(client: TestClient,
                                                           lines: LogLines) -> None:
    """A 422 is logged with the problems, not with the submitted values."""
    rec = dict(one_record(), mean_area="SECRET-VALUE")
    r = post(client, {"features": rec}, headers={"X-Request-ID": "bad-one"})
    assert r.status_code == 422 and "SECRET-VALUE" not in r.text
    (line,) = [d for d in lines.requests() if d["request_id"] == "bad-one"]
    assert (line["status"], line["validation"], line["error"]) == (422, "rejected",
                                                                   "invalid_features")
    assert line["errors"][0]["field"] == "mean_area"
    assert "SECRET-VALUE" not in "\n".join(lines)
    assert "features" not in line and "predictions" not in line


def test_feature_logging_can_be_turned_off(bundle_dir: Path, lines: LogLines) -> None:
    """MODELGATE_LOG_FEATURES=false keeps predictions in the log but not the inputs."""
    client = make_client(env={"MODELGATE_BUNDLE_URI": str(bundle_dir),
                              "MODELGATE_LOG_FEATURES": "false"}, lines=lines)
    post(client, {"features": one_record()})
    (line,) = [d for d in lines.requests() if d["path"] == "/predict"]
    assert "features" not in line and "feature_names" not in line
    assert len(line["probabilities"]) == 1


def test_a_large_batch_logs_its_features_in_chunks(bundle_dir: Path, lines: LogLines) -> None:
    """A 1,000-record batch's features move to follow-up lines, each under the limit, and
    together they hold every row."""
    fit = fitted()
    rows = np.tile(fit.X_test, (9, 1))[:1000]
    client = make_client(Settings(bundle_uri=str(bundle_dir)), lines=lines)
    r = post(client, {"records": [record(row) for row in rows]},
             headers={"X-Request-ID": "big"})
    assert r.status_code == 200
    mine = [d for d in lines.parsed() if d.get("request_id") == "big"]
    head, chunks = mine[0], mine[1:]
    assert head["event"] == "request" and "features" not in head
    assert head["features_chunks"] == len(chunks) > 1
    assert len(head["predictions"]) == 1000
    assert all(len(line) <= logs.LINE_LIMIT for line in lines)
    assert [c["chunk"] for c in chunks] == list(range(1, len(chunks) + 1))
    logged = [row for c in chunks for row in c["features"]]
    assert np.array_equal(np.array(logged), rows)


# --- documentation ----------------------------------------------------------------------

def test_openapi_documents_the_models_features_and_examples(client: TestClient) -> None:
    """/openapi.json names the loaded model's features; its examples are accepted."""
    doc = client.get("/openapi.json").json()
    record_schema = doc["components"]["schemas"]["FeatureRecord"]
    assert record_schema["required"] == list(fitted().features)
    assert record_schema["additionalProperties"] is False
    content = doc["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    for example in content["examples"].values():
        assert post(client, example["value"]).status_code == 200
    assert {"400", "413", "415", "422", "503"} <= set(doc["paths"]["/predict"]["post"][
        "responses"])
    assert client.get("/docs").status_code == 200
    assert "swagger" in client.get("/docs").text.lower()


def test_docs_carry_the_request_id_header(client: TestClient) -> None:
    r = client.get("/openapi.json", headers={"X-Request-ID": "docs-1"})
    assert r.headers["x-request-id"] == "docs-1" and r.headers["x-model-version"] == "7"

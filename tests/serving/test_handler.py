# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The Lambda entry point: every shared fixture event, POST /predict in each event shape,
malformed events, and what a cold start imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelgate.serving import bundle as bundles
from modelgate.serving.app import create_app
from modelgate.serving.handler import SafeMangum, event_kind, make_handler
from modelgate.serving.settings import Settings
from tests.conftest import FIXTURES
from tests.serving_support import (
    EVENTS,
    FakeContext,
    LogLines,
    export,
    fitted,
    http_event,
    load_event,
    record,
    response_headers,
    response_json,
)

ALL_EVENTS = sorted(p.name for p in (FIXTURES / EVENTS).glob("*.json"))
KIND = {
    "alb.multi-value-headers.aws-lambda-go.json": "alb-multi",
    "alb.powertools.json": "alb",
    "alb.put-base64-body.aws-lambda-dotnet.json": "alb",
    "alb.single-value-headers.aws-lambda-go.json": "alb",
    "apigw-http-v2.get.captured.aws-lambda-dotnet.json": "v2",
    "apigw-http-v2.post-json.powertools.json": "v2",
    "apigw-http-v2.put-json.captured.aws-lambda-dotnet.json": "v2",
    "apigw-rest-v1.proxy.aws-lambda-go.json": "v1",
    "apigw-rest-v1.proxy.powertools.json": "v1",
    "lambda-function-url.get.captured.rust-runtime.json": "v2",
    "lambda-function-url.get.powertools.json": "v2",
    "lambda-function-url.post-iam.powertools.json": "v2",
}
PREDICT_EVENTS = [
    ("apigw-rest-v1.proxy.aws-lambda-go.json", False),  # REST v1 (Mangum's APIGateway)
    ("apigw-rest-v1.proxy.powertools.json", False),  # REST v1 with "version": "1.0"
    ("apigw-http-v2.post-json.powertools.json", False),  # HTTP API v2
    ("lambda-function-url.post-iam.powertools.json", True),  # Function URL, base64 body
    ("alb.single-value-headers.aws-lambda-go.json", False),  # ALB, single-value headers
    ("alb.multi-value-headers.aws-lambda-go.json", False),  # ALB, multi-value headers
]


@pytest.fixture(scope="module")
def bundle_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("handler") / "bundle"
    export(out)
    return out


@pytest.fixture(scope="module")
def handler(bundle_dir: Path) -> Iterator[SafeMangum]:
    bundles.reset_cache()
    app = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=LogLines())
    yield make_handler(app)
    bundles.reset_cache()


def assert_well_formed(response: dict[str, Any], kind: str) -> dict[str, Any]:
    """A proxy response Lambda accepts for this event kind, carrying id and version."""
    assert isinstance(response["statusCode"], int) and 200 <= response["statusCode"] < 600
    assert isinstance(response["body"], str)
    assert response["isBase64Encoded"] is False
    if kind == "alb-multi":
        assert "headers" not in response
        assert all(isinstance(v, list) for v in response["multiValueHeaders"].values())
    elif kind == "alb" or kind == "v2":
        assert "multiValueHeaders" not in response
    headers = response_headers(response)
    assert all(isinstance(v, str) for v in headers.values())
    assert headers["content-type"].startswith("application/json")
    body = response_json(response)
    assert headers["x-request-id"] == body["request_id"]
    assert headers["x-model-version"] == (body["model_version"] or "none")
    return dict(body)


@pytest.mark.parametrize("name", ALL_EVENTS)
def test_every_fixture_event_gets_a_well_formed_response(handler: SafeMangum,
                                                         name: str) -> None:
    """Each shared event, as captured, is answered in its kind's shape (here: 404, since
    none of them targets one of our routes) and never raises."""
    event = load_event(name)
    assert event_kind(event) == KIND[name]
    response = handler(event, FakeContext())
    body = assert_well_formed(response, KIND[name])
    assert response["statusCode"] in (404, 405)
    assert body["model_version"] == "7"


@pytest.mark.parametrize("name", ALL_EVENTS)
def test_every_fixture_event_can_ask_for_health(handler: SafeMangum, name: str) -> None:
    """The same events aimed at GET /health reach the app: 200 ready."""
    response = handler(http_event(name, "GET", "/health"), FakeContext())
    body = assert_well_formed(response, KIND[name])
    assert (response["statusCode"], body["status"]) == (200, "ready")


@pytest.mark.parametrize(("name", "base64_body"), PREDICT_EVENTS)
def test_predict_through_each_event_shape_matches_sklearn(handler: SafeMangum, name: str,
                                                          base64_body: bool) -> None:
    """POST /predict in REST v1, HTTP v2, Function URL (base64 body) and ALB single- and
    multi-value events returns the trained model's prediction."""
    fit = fitted()
    rows = fit.X_test[:5]
    body = json.dumps({"records": [record(r) for r in rows]}).encode()
    event = http_event(name, "POST", "/predict", body, base64_body=base64_body,
                       headers={"x-request-id": f"evt-{KIND[name]}"})
    response = handler(event, FakeContext())
    out = assert_well_formed(response, KIND[name])
    assert response["statusCode"] == 200, out
    assert out["request_id"] == f"evt-{KIND[name]}"
    got = np.array([p["probability_positive_class"] for p in out["predictions"]])
    expected = fit.p_positive(rows)
    assert np.max(np.abs(got - expected)) <= 1e-9
    assert [p["prediction"] for p in out["predictions"]] == (expected >= 0.5).astype(
        int).tolist()


@pytest.mark.parametrize("name", ["apigw-http-v2.post-json.powertools.json",
                                  "apigw-rest-v1.proxy.aws-lambda-go.json",
                                  "alb.single-value-headers.aws-lambda-go.json",
                                  "alb.multi-value-headers.aws-lambda-go.json"])
def test_an_invalid_base64_body_is_a_400_in_the_events_shape(handler: SafeMangum,
                                                            name: str) -> None:
    """A body marked isBase64Encoded that is not base64 (Mangum raises) is a 400."""
    event = http_event(name, "POST", "/predict", b"{}")
    event["body"], event["isBase64Encoded"] = "Hello from Lambda!", True
    event.setdefault("headers", {})
    if "multiValueHeaders" in event:
        event["multiValueHeaders"]["x-request-id"] = ["b64-1"]
    else:
        event["headers"]["x-request-id"] = "b64-1"
    response = handler(event, FakeContext())
    body = assert_well_formed(response, KIND[name])
    assert response["statusCode"] == 400
    assert (body["error"], body["request_id"]) == ("bad_event", "b64-1")
    assert "base64" in body["message"]
    if KIND[name].startswith("alb"):
        assert response["statusDescription"] == "400 Bad Request"


@pytest.mark.parametrize(("event", "fragment"), [
    ({}, "unknown event shape"),
    ({"hello": "world"}, "unknown event shape"),
    ({"Records": [{"eventSource": "aws:s3"}]}, "unknown event shape"),
    ([], "not a JSON object"),
    ("GET /health", "not a JSON object"),
    (None, "not a JSON object"),
    ({"version": "2.0", "requestContext": {}}, "missing or has the wrong type"),
    ({"resource": "/", "requestContext": {}, "path": "/health"}, "missing or has the wrong type"),
])
def test_an_unreadable_event_is_a_400_not_an_exception(handler: SafeMangum, event: Any,
                                                       fragment: str) -> None:
    """Events Mangum cannot read are answered with a JSON 400, never an exception."""
    response = handler(event, FakeContext())
    body = assert_well_formed(response, event_kind(event) if event_kind(event) != "unknown"
                              else "v1")
    assert response["statusCode"] == 400 and body["error"] == "bad_event"
    assert fragment in body["message"]


@pytest.mark.parametrize("given", ["abc\n", "abc\r\nX-Evil: 1", "a b", "x" * 129])
def test_an_invalid_request_id_in_an_event_is_not_reflected(handler: SafeMangum,
                                                           given: str) -> None:
    """A request id with a line break (possible in a Lambda event, not over HTTP) or any
    other invalid character is replaced, never copied into a response header."""
    event = http_event("apigw-http-v2.post-json.powertools.json", "GET", "/health",
                       headers={"x-request-id": given})
    response = handler(event, FakeContext())
    rid = response_headers(response)["x-request-id"]
    assert rid != given and "\n" not in rid and len(rid) == 36


def test_a_header_that_is_not_text_is_a_400(handler: SafeMangum) -> None:
    """A header value that is not a string (Mangum raises AttributeError) is a 400."""
    event = http_event("apigw-http-v2.post-json.powertools.json", "GET", "/health")
    event["headers"]["x-broken"] = 42
    response = handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert response_json(response)["error"] == "bad_event"


def test_a_function_url_body_that_is_not_utf8_is_a_400(handler: SafeMangum) -> None:
    """Valid base64 of bytes that are not UTF-8 reaches the app, which answers 400."""
    event = http_event("lambda-function-url.post-iam.powertools.json", "POST", "/predict",
                       b"\xff\xfe\x00{", base64_body=True)
    response = handler(event, FakeContext())
    assert response["statusCode"] == 400
    assert response_json(response)["error"] == "invalid_encoding"


def test_an_oversized_event_body_is_a_413(bundle_dir: Path) -> None:
    """The body limit applies to Lambda events as it does to HTTP."""
    app = create_app(Settings(bundle_uri=str(bundle_dir), max_body_bytes=2048),
                     log_sink=LogLines())
    body = json.dumps({"records": [record(fitted().X_test[0])] * 5}).encode()
    event = http_event("apigw-http-v2.post-json.powertools.json", "POST", "/predict", body)
    del event["headers"]["content-length"]  # the limit holds without a declared length too
    response = make_handler(app)(event, FakeContext())
    assert response["statusCode"] == 413
    assert response_json(response)["error"] == "body_too_large"


def test_a_bad_event_is_logged(bundle_dir: Path) -> None:
    """A refused event still writes its one log line."""
    lines = LogLines()
    app = create_app(Settings(bundle_uri=str(bundle_dir)), log_sink=lines)
    make_handler(app)({"hello": "world"}, FakeContext())
    (line,) = lines.requests()
    assert (line["status"], line["error"], line["model_version"]) == (400, "bad_event", "7")


COLD_START = """
import json, sys
from modelgate.serving.handler import handler
event = json.loads(sys.stdin.read())
response = handler(event, None)
heavy = sorted(m for m in ("pandas", "scipy", "sklearn", "mlflow", "skl2onnx", "onnx",
                           "modelgate.bot", "modelgate.training", "modelgate.infra",
                           "uvicorn", "matplotlib") if m in sys.modules)
# the lazy importlib.metadata pydantic got at import answers like the real one
lazy = "importlib.metadata" not in sys.modules  # pydantic did not import it
import importlib.metadata
points = sys.modules["pydantic.plugin._loader"].entry_points
same = lazy and points(group="console_scripts") == importlib.metadata.entry_points(
    group="console_scripts")
print(json.dumps({"response": response, "heavy": heavy, "metadata": same}))
"""


@pytest.mark.slow
def test_a_cold_start_imports_no_training_stack(bundle_dir: Path) -> None:
    """A fresh interpreter importing modelgate.serving.handler (the Lambda entry point) loads the
    bundle from MODELGATE_BUNDLE_URI, answers a prediction, and has imported neither
    pandas, scipy, scikit-learn, MLflow, skl2onnx nor the bot."""
    fit = fitted()
    body = json.dumps({"features": record(fit.X_test[3])}).encode()
    event = http_event("apigw-http-v2.post-json.powertools.json", "POST", "/predict", body)
    env = {"PATH": os.environ.get("PATH", ""), "MODELGATE_BUNDLE_URI": str(bundle_dir)}
    done = subprocess.run([sys.executable, "-c", COLD_START], input=json.dumps(event),
                          capture_output=True, text=True, env=env, cwd=str(bundle_dir),
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["heavy"] == []
    assert out["metadata"] is True
    response = out["response"]
    assert response["statusCode"] == 200, response
    p = json.loads(response["body"])["probability_positive_class"]
    assert p == pytest.approx(float(fit.p_positive(fit.X_test[3:4])[0]), abs=1e-9)

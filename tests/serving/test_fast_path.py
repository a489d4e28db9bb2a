# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The speed work of issue 17 changes no answer: the byte-level fast path of
``read_features`` against the strict parse, the binary answer written as text against
``encode`` of the same dict, the request log's rows, and FastAPI kept out of the cold
start."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from modelgate.serving import bundle as bundles
from modelgate.serving import validation
from modelgate.serving.app import BinaryText, create_app
from modelgate.serving.handler import _run_direct, make_handler
from modelgate.serving.logs import RequestRecord, encode
from modelgate.serving.manifest import BundleManifest, FeatureField
from modelgate.serving.settings import Settings
from modelgate.serving.validation import FeaturePlan, RequestRejected
from tests.conftest import REPO
from tests.serving_support import (
    FakeContext,
    LogLines,
    export,
    http_event,
    response_headers,
    response_json,
)

NAMES = ("a", "b", "c")
PLAN = FeaturePlan.of(tuple(FeatureField(name=n) for n in NAMES), float("inf"))
LIMITED = FeaturePlan.of(tuple(FeatureField(name=n) for n in NAMES), 1e6)


def strict(body: bytes, plan: FeaturePlan, max_batch: int = 10) -> Any:
    """The answer of the strict path alone (what every request got before issue 17)."""
    try:
        records, single = validation.extract_records(validation.parse_body(body), max_batch)
        got = validation.to_matrix(records, plan.names, plan.feature_set, plan.limit,
                                   single=single)
    except RequestRejected as rej:
        return ("rejected", rej.status, rej.body())
    return ("ok", got.X.tolist(), single)


def fast(body: bytes, plan: FeaturePlan, max_batch: int = 10) -> Any:
    try:
        got, single = validation.read_features(body, plan, max_batch)
    except RequestRejected as rej:
        return ("rejected", rej.status, rej.body())
    # the rows logged are the matrix the model saw, as JSON
    assert json.loads(got.rows_json()) == got.X.tolist()
    return ("ok", got.X.tolist(), single)


BODIES: dict[str, bytes] = {
    "one in order": b'{"features": {"a": 1.5, "b": -2, "c": 3e2}}',
    "batch in order": b'{"records": [{"a": 1, "b": 2, "c": 3}, {"a": 4.25, "b": 5, "c": 6}]}',
    "whitespace and newlines": b'\n{ "records" :\t[ {"a" : 1 ,\r\n "b":2,"c":3} ] }\n',
    "exponents and signs": b'{"features": {"a": -1.5E-3, "b": 0e0, "c": -0.0}}',
    "another order": b'{"features": {"b": 2, "a": 1, "c": 3}}',
    "duplicate key": b'{"features": {"a": 1, "b": 2, "c": 3, "a": 9}}',
    "duplicate key across records": b'{"records": [{"a": 1, "b": 2, "a": 3}, {"c": 1}]}',
    "duplicate shape key": b'{"records": [], "records": [{"a": 1, "b": 2, "c": 3}]}',
    "nan": b'{"features": {"a": NaN, "b": 2, "c": 3}}',
    "infinity": b'{"features": {"a": 1, "b": -Infinity, "c": 3}}',
    "overflow": b'{"features": {"a": 1e400, "b": 2, "c": 3}}',
    "boolean": b'{"features": {"a": true, "b": 2, "c": 3}}',
    "null": b'{"features": {"a": null, "b": 2, "c": 3}}',
    "string value": b'{"features": {"a": "1", "b": 2, "c": 3}}',
    "string value naming a key": b'{"features": {"a": "b", "b": 2, "c": 3}}',
    "array value": b'{"features": {"a": [1], "b": 2, "c": 3}}',
    "object value": b'{"features": {"a": {}, "b": 2, "c": 3}}',
    "escaped key": b'{"features": {"\\u0061": 1, "b": 2, "c": 3}}',
    "missing and extra": b'{"features": {"a": 1, "b": 2, "d": 3}}',
    "record not an object": b'{"records": [[1, 2, 3]]}',
    "batch too large": b'{"records": ' + json.dumps([{"a": 1, "b": 2, "c": 3}] * 11).encode()
                       + b"}",
    "empty batch": b'{"records": []}',
    "both shapes": b'{"features": {"a": 1, "b": 2, "c": 3}, "records": []}',
    "malformed": b'{"features": {"a": 1,',
    "not utf-8": b'{"features": {"a": "\xff"}}',
    "empty": b"  ",
}


@pytest.mark.parametrize("name", sorted(BODIES))
@pytest.mark.parametrize("plan", [PLAN, LIMITED], ids=["unlimited", "limited"])
def test_the_fast_path_answers_as_the_strict_parse(name: str, plan: FeaturePlan) -> None:
    """Every body, good or bad, gets the same matrix or the same rejection either way."""
    assert fast(BODIES[name], plan) == strict(BODIES[name], plan)


def test_a_value_beyond_the_models_range_is_refused_on_the_fast_path() -> None:
    body = b'{"features": {"a": 1e7, "b": 2, "c": 3}}'
    assert fast(body, LIMITED)[:2] == ("rejected", 422)
    assert fast(body, PLAN)[0] == "ok"


def test_names_with_quotes_or_backslashes_take_the_strict_path() -> None:
    plan = FeaturePlan.of((FeatureField(name='say "x"'), FeatureField(name="b\\c")),
                          float("inf"))
    assert plan.raw_names is None
    body = json.dumps({"features": {'say "x"': 1.0, "b\\c": 2.0}}).encode()
    got, single = validation.read_features(body, plan, 10)
    assert single and got.X.tolist() == [[1.0, 2.0]] and got.text is None


@pytest.mark.parametrize("probabilities", [[0.25], [0.75, 1e-05, 0.5, 1.0, 0.0]])
def test_the_binary_answer_is_the_encoded_dict(tmp_path: Path,
                                               probabilities: list[float]) -> None:
    """The answer written from pieces is byte for byte ``encode`` of the dict it stands
    for, and the log gets the same probabilities."""
    m: BundleManifest = export(tmp_path / "bundle")
    rec = RequestRecord("id-1", "POST", "/predict")
    single = len(probabilities) == 1
    text = BinaryText(m).body(rec, probabilities, single)
    names = (m.negative_class, m.positive_class)
    labels = [1 if p >= m.threshold else 0 for p in probabilities]
    items = [{"prediction": y, "prediction_label": names[y], "probability_positive_class": p,
              "positive_class": m.positive_class} for y, p in zip(labels, probabilities,
                                                                  strict=True)]
    head = {"request_id": "id-1", "model_version": None, "model_name": m.model_name,
            "alias": m.alias}
    expected = ({**head, **items[0]} if single
                else {**head, "count": len(items), "predictions": items})
    assert text == encode(expected)
    assert rec.predictions == labels
    assert json.loads(rec.probabilities_json or "") == probabilities


def test_logged_rows_are_the_values_sent(tmp_path: Path) -> None:
    """The request line's rows, cut from the body, are what the model was given."""
    export(tmp_path / "bundle")
    lines = LogLines()
    app = create_app(Settings(bundle_uri=str(tmp_path / "bundle")), log_sink=lines)
    bundle = app.state.provider.get()
    features = bundle.features
    rows = [[float(i + j) / 7 for j in range(len(features))] for i in range(3)]
    body = json.dumps({"records": [dict(zip(features, r, strict=True)) for r in rows]},
                      indent=2)
    r = TestClient(app).post("/predict", content=body,
                             headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    line = lines.parsed()[-1]
    assert line["features"] == rows and line["feature_names"] == list(features)
    bundles.reset_cache()


COLD_SCRIPT = """
import json, sys
from modelgate.serving.handler import handler
event = {"version": "2.0", "routeKey": "$default", "rawPath": "/predict",
         "rawQueryString": "", "headers": {"content-type": "application/json"},
         "requestContext": {"http": {"method": "POST", "path": "/predict",
                                     "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1"},
                            "requestId": "r", "routeKey": "$default", "stage": "$default"},
         "body": sys.argv[1], "isBase64Encoded": False}
first = handler(event, None)
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"fastapi", "starlette"})
docs = handler({**event, "rawPath": "/openapi.json", "body": "",
                "requestContext": {**event["requestContext"],
                                   "http": {**event["requestContext"]["http"],
                                            "method": "GET", "path": "/openapi.json"}}}, None)
sys.stdout.write(json.dumps({"first": first["statusCode"], "loaded": loaded,
                             "docs": docs["statusCode"],
                             "after": "fastapi" in sys.modules}))
"""


def test_a_lambda_that_only_predicts_never_imports_fastapi(tmp_path: Path) -> None:
    """Importing the handler and predicting leave FastAPI and Starlette unimported; the
    documentation still answers, building them then."""
    features = export(tmp_path / "bundle").features
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO / "lambda"),
           "MODELGATE_BUNDLE_URI": str(tmp_path / "bundle")}
    body = json.dumps({"features": dict.fromkeys(features, 1.0)})
    done = subprocess.run([sys.executable, "-c", COLD_SCRIPT, body], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"first": 200, "loaded": [], "docs": 200, "after": True}


def test_the_documented_routes_keep_their_names(tmp_path: Path) -> None:
    """The lazily built FastAPI app documents the three routes as before (operation ids
    from the endpoint names, no parameters)."""
    export(tmp_path / "bundle")
    app = create_app(Settings(bundle_uri=str(tmp_path / "bundle")), log_sink=LogLines())
    doc = app.openapi()
    ids = {(path, method): op["operationId"] for path, ops in doc["paths"].items()
           for method, op in ops.items()}
    assert ids == {("/health", "get"): "health_health_get",
                   ("/model-info", "get"): "model_info_model_info_get",
                   ("/predict", "post"): "predict_predict_post"}
    assert not any("parameters" in op for ops in doc["paths"].values() for op in ops.values())
    required = doc["components"]["schemas"]["FeatureRecord"]["required"]
    assert required == list(app.state.provider.get().features)
    bundles.reset_cache()


# --- the Lambda handler runs the app's own routes without an event loop ----------------

DIRECT_CASES = [
    ("POST", "/predict", "one"), ("POST", "/predict", "batch"), ("POST", "/predict", "nan"),
    ("POST", "/predict", "malformed"), ("GET", "/health", ""), ("GET", "/model-info", ""),
]


def _body(kind: str, features: tuple[str, ...]) -> bytes | None:
    one = dict.fromkeys(features, 1.5)
    return {"one": json.dumps({"features": one}).encode(),
            "batch": json.dumps({"records": [one, one]}).encode(),
            "nan": b'{"features": {"a": NaN}}', "malformed": b"{nope", "": None}[kind]


@pytest.mark.parametrize(("method", "path", "kind"), DIRECT_CASES)
@pytest.mark.parametrize("event_name", ["apigw-http-v2.post-json.powertools.json",
                                        "alb.multi-value-headers.aws-lambda-go.json"])
def test_the_direct_run_answers_as_mangums_cycle(tmp_path: Path, method: str, path: str,
                                                 kind: str, event_name: str) -> None:
    features = export(tmp_path / "bundle").features
    event = http_event(event_name, method, path, _body(kind, features),
                       headers={"X-Request-ID": "same"})
    answers = []
    for direct in (True, False):
        app = create_app(Settings(bundle_uri=str(tmp_path / "bundle")), log_sink=LogLines())
        handler = make_handler(app)
        if not direct:
            app.fast_path = None  # everything through Mangum's HTTPCycle and FastAPI
        response = handler(event, FakeContext())
        answers.append((response["statusCode"], response_headers(response),
                        response_json(response)))
        bundles.reset_cache()
    assert answers[0] == answers[1]


def test_an_error_in_a_directly_run_route_is_a_logged_json_500(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    features = export(tmp_path / "bundle").features
    lines = LogLines()
    handler = make_handler(create_app(Settings(bundle_uri=str(tmp_path / "bundle")),
                                      log_sink=lines))

    def broken(self: bundles.LoadedBundle, X: Any) -> Any:
        raise MemoryError("simulated")

    monkeypatch.setattr(bundles.LoadedBundle, "positive_probability", broken)
    event = http_event("apigw-http-v2.post-json.powertools.json", "POST", "/predict",
                       _body("one", features), headers={"X-Request-ID": "direct-500"})
    response = handler(event, FakeContext())
    assert response["statusCode"] == 500
    body = response_json(response)
    assert (body["error"], body["request_id"]) == ("internal_error", "direct-500")
    assert response_headers(response)["x-request-id"] == "direct-500"
    assert lines.parsed()[-1]["errors"][0]["exception"] == "MemoryError"
    assert "MemoryError" in caplog.text
    bundles.reset_cache()


def test_a_route_that_suspends_is_a_500_not_a_hang() -> None:
    """Only routes that never wait may run directly; one that does is cut off as a bug."""
    class Waits:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await asyncio.sleep(0)
            await send({"type": "http.response.start", "status": 200, "headers": []})

    response = _run_direct(Waits(), {"method": "GET", "path": "/x"}, b"")
    assert response["status"] == 500 and response["body"] == b"Internal Server Error"

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The serving API: ``GET /health``, ``GET /model-info``, ``POST /predict``, ``/docs``.

Every response carries the request id and the model version, both as headers
(``X-Request-ID``, ``X-Model-Version``, added by :class:`RequestContextMiddleware`) and,
for every JSON response, in the body. Every request is logged as one JSON line. The model
comes from a verified bundle only; until one is loaded, ``/health`` says why and
``/predict`` answers 503.

Speed: the endpoints take the raw ``Request`` and write JSON bytes themselves, and their
routes (:class:`DirectRoute`) skip FastAPI's dependency solving, which measured here at
about 30 µs per request, more than the model. They stay ``async def`` (a plain ``def``
costs a thread-pool hop). ``POST /predict`` also skips the middleware stack and the
router (:class:`ServingAPI`). OpenAPI still documents every route, from
:mod:`serving.schemas`.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute
from numpy.typing import NDArray
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving import bundle as bundles
from serving import validation
from serving.bundle import LoadedBundle
from serving.logs import (
    Clock,
    LogSink,
    ModelRef,
    RequestLogger,
    RequestRecord,
    encode,
    stdout_sink,
)
from serving.manifest import BundleManifest
from serving.settings import DEFAULT_MAX_BATCH, DEFAULT_MAX_BODY_BYTES, Settings, SettingsError
from serving.validation import RequestRejected

API_TITLE = "modelgate serving"
API_VERSION = "1"
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
SCOPE_KEY = "modelgate.request"
NO_MODEL = "none"
RETRY_SECONDS = 30.0
H_REQUEST_ID = b"x-request-id"
H_MODEL_VERSION = b"x-model-version"
H_CONTENT_TYPE = b"content-type"
H_CONTENT_LENGTH = b"content-length"
JSON_MEDIA = "application/json"

HEADERS_DOC: dict[str, Any] = {
    "X-Request-ID": {"description": "the request id (as in the body)",
                     "schema": {"type": "string"}},
    "X-Model-Version": {"description": "the model version, or 'none'",
                        "schema": {"type": "string"}},
}

E_NOT_READY = "model_not_ready"
E_NOT_FOUND = "not_found"
E_METHOD = "method_not_allowed"
E_HTTP = "http_error"
E_INVALID_REQUEST = "invalid_request"
E_INTERNAL = "internal_error"
MSG_NOT_READY = "no verified model is loaded: {reason}"
MSG_INTERNAL = "internal error; quote the request_id when reporting it"
MSG_NOT_LOADED_YET = "the bundle has not been loaded yet"

NO_MODEL_REF = ModelRef()

Loader = Callable[[Settings], LoadedBundle]
Timer = Callable[[], float]


def uuid4_text() -> str:
    """``str(uuid.uuid4())`` at a third of the cost (the same RFC 4122 version-4 layout
    from the same os.urandom source, without building a UUID object)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_request_id(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's ``X-Request-ID`` if it is 1-128 of ``[A-Za-z0-9._-]``, else a UUID4."""
    for key, value in headers:
        if key == H_REQUEST_ID:
            text = value.decode("latin-1")
            if REQUEST_ID_RE.fullmatch(text):
                return text
            break
    return uuid4_text()


def model_ref(bundle: LoadedBundle | None) -> ModelRef:
    if bundle is None:
        return NO_MODEL_REF
    m = bundle.manifest
    return ModelRef(name=m.model_name, version=m.model_version, alias=m.alias,
                    statement=bundle.statement_sha256)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


class ModelProvider:
    """Hands out the verified bundle; after a failed load it retries at most every
    ``retry_seconds`` (a transient S3 error must not sideline a container for its life,
    and a refused bundle must not be re-downloaded on every request)."""

    def __init__(
        self,
        settings: Settings | None,
        problem: str | None,
        *,
        loader: Loader,
        logger: RequestLogger,
        monotonic: Timer = time.monotonic,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.settings = settings
        self._loader = loader
        self._logger = logger
        self._monotonic = monotonic
        self._retry_seconds = retry_seconds
        self._bundle: LoadedBundle | None = None
        self.ref = NO_MODEL_REF  # the loaded model's name/version/alias, for logs and headers
        self._reason = problem or MSG_NOT_LOADED_YET
        self._next_try = 0.0

    @property
    def reason(self) -> str | None:
        return None if self._bundle is not None else self._reason

    def peek(self) -> LoadedBundle | None:
        return self._bundle

    def get(self) -> LoadedBundle | None:
        """The bundle, loading it first if due; None (see :attr:`reason`) if refused."""
        if self._bundle is not None or self.settings is None:
            return self._bundle
        now = self._monotonic()
        if now < self._next_try:
            return None
        uri = self.settings.bundle_uri
        try:
            self._bundle = self._loader(self.settings)
        except bundles.BundleError as exc:
            self._reason = f"bundle {uri} refused: {exc}"
        except Exception as exc:  # fail closed on anything unforeseen, and say what it was
            self._reason = f"bundle {uri} could not be loaded: {type(exc).__name__}: {exc}"
        if self._bundle is None:
            self._next_try = now + self._retry_seconds
            self._logger.bundle(uri=uri, loaded=False, detail=self._reason, model=NO_MODEL_REF)
            return None
        m = self._bundle.manifest
        self.ref = model_ref(self._bundle)
        self._logger.bundle(
            uri=uri, loaded=True, model=self.ref,
            detail=f"manifest sha256 {self._bundle.manifest_sha256}, {len(m.features)} features",
        )
        return self._bundle


def default_loader(s3_client_factory: bundles.S3ClientFactory | None = None) -> Loader:
    def load(settings: Settings) -> LoadedBundle:
        return bundles.cached_bundle(
            settings.bundle_uri,
            expected_manifest_sha256=settings.bundle_sha256,
            s3_client_factory=s3_client_factory,
            trusted_keys=settings.trusted_keys(),
        )

    return load


class RequestContextMiddleware:
    """Gives each request its id and log record, stamps the id and model version on every
    response's headers, and writes the request's log line when it ends."""

    def __init__(self, app: ASGIApp, *, provider: ModelProvider, logger: RequestLogger,
                 timer: Timer) -> None:
        self.app = app
        self._provider = provider
        self._logger = logger
        self._timer = timer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = self._timer()
        rec = RequestRecord(new_request_id(scope["headers"]), scope["method"], scope["path"])
        rec.model = self._provider.ref
        scope[SCOPE_KEY] = rec

        async def send_stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                rec.status = message["status"]
                message = {**message, "headers": _stamp(message.get("headers", ()), rec)}
            await send(message)

        try:
            await self.app(scope, receive, send_stamped)
        except Exception as exc:
            rec.status, rec.error = 500, E_INTERNAL
            rec.errors = [{"error": E_INTERNAL, "exception": type(exc).__name__}]
            raise
        finally:
            self._logger.request(rec, (self._timer() - start) * 1000.0)


def _stamp(headers: Iterable[tuple[bytes, bytes]], rec: RequestRecord) -> list[tuple[bytes, bytes]]:
    out = [(k, v) for k, v in headers if k not in (H_REQUEST_ID, H_MODEL_VERSION)]
    out.append((H_REQUEST_ID, rec.request_id.encode("latin-1")))
    out.append((H_MODEL_VERSION, (rec.model.version or NO_MODEL).encode("latin-1")))
    return out


def _record(request: Request) -> RequestRecord:
    rec = request.scope.get(SCOPE_KEY)
    if isinstance(rec, RequestRecord):
        return rec
    rec = RequestRecord(new_request_id(request.scope.get("headers", ())),
                        request.scope.get("method", ""), request.scope.get("path", ""))
    request.scope[SCOPE_KEY] = rec
    return rec


def _json(status: int, rec: RequestRecord, payload: dict[str, Any],
          headers: Mapping[str, str] | None = None) -> Response:
    """JSON with the request id and model version in the body (the middleware adds the
    headers)."""
    body = {"request_id": rec.request_id, "model_version": rec.model.version, **payload}
    data = encode(body).encode("utf-8")
    return Response(data, status_code=status, media_type=JSON_MEDIA, headers=headers)


def _error(status: int, rec: RequestRecord, code: str, message: str,
           headers: Mapping[str, str] | None = None) -> Response:
    rec.error = code
    rec.errors = [{"error": code, "message": message}]
    return _json(status, rec, {"error": code, "message": message}, headers)


def _rejected(rec: RequestRecord, rej: RequestRejected) -> Response:
    rec.validation = "rejected"
    rec.error = rej.error
    rec.errors = [p.as_json() for p in rej.problems] or [{"error": rej.error,
                                                          "message": rej.message}]
    return _json(rej.status, rec, rej.body())


class DirectRoute(APIRoute):
    """An ``APIRoute`` documented as usual but called as ``await endpoint(request)``: no
    dependency solving, body parsing or response validation (the endpoint does its own)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)

        async def direct(scope: Scope, receive: Receive, send: Send) -> None:
            response = await endpoint(Request(scope, receive, send))
            await response(scope, receive, send)

        self.app = direct


class ServingAPI(FastAPI):
    """FastAPI, plus a fast path for the one hot route.

    ``POST /predict`` goes straight to :class:`RequestContextMiddleware` around the
    endpoint, skipping Starlette's and FastAPI's middleware stack and the router (about
    30 µs of a ~160 µs request, measured by ``bench/serving.py``). Everything else, and
    /predict itself for documentation, stays ordinary FastAPI. The fast path answers an
    unexpected exception with the same JSON 500 the stack would, then re-raises it for
    the server (Mangum, uvicorn) to log, as Starlette's ServerErrorMiddleware does.
    """

    fast_path: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.fast_path
        if (fast is not None and scope["type"] == "http" and scope["path"] == "/predict"
                and scope["method"] == "POST"):
            scope["app"] = self
            await fast(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _guarded(endpoint: Callable[[Request], Any]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response = await endpoint(request)
        except Exception as exc:
            await (await _internal_error(request, exc))(scope, receive, send)
            raise
        await response(scope, receive, send)

    return app


async def _read_body(request: Request, limit: int) -> bytes:
    declared = _header(request.scope, H_CONTENT_LENGTH)
    too_large = RequestRejected(413, validation.E_BODY_TOO_LARGE,
                                validation.MSG_TOO_LARGE.format(limit=limit))
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:  # Request.stream() without its async-generator overhead
        message = await request.receive()
        if message["type"] != "http.request":
            raise ClientDisconnect
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _prediction_body(
    m: BundleManifest, labels: list[int], p: list[float], single: bool
) -> dict[str, Any]:
    names = (m.negative_class, m.positive_class)
    items = [
        {"prediction": y, "prediction_label": names[y], "probability_positive_class": v,
         "positive_class": m.positive_class}
        for y, v in zip(labels, p, strict=True)
    ]
    head = {"model_name": m.model_name, "alias": m.alias}
    if single:
        return {**head, **items[0]}
    return {**head, "count": len(items), "predictions": items}


def _raw_outputs(bundle: LoadedBundle, X: NDArray[np.float64]) -> NDArray[np.float64]:
    """The model's whole output (every class's probability; the regression value),
    through ``LoadedBundle.scores`` where it exists, else its session directly."""
    scores = getattr(bundle, "scores", None)
    if scores is not None:
        return np.asarray(scores(X), dtype=np.float64)
    m = bundle.manifest
    session: Any = bundle._session
    x = X if m.onnx.input_dtype == "float64" else X.astype(np.float32)
    out = session.run([m.onnx.probabilities_output], {m.onnx.input_name: x})[0]
    return np.asarray(out, dtype=np.float64)


def _task_answer(rec: RequestRecord, bundle: LoadedBundle, features: validation.Features,
                 single: bool) -> Response:
    """A multiclass model's classes and probabilities, or a regressor's values."""
    m = bundle.manifest
    out = _raw_outputs(bundle, features.X)
    head = {"model_name": m.model_name, "alias": m.alias}
    if m.task == "regression":
        values = out.reshape(-1).tolist()
        if not all(math.isfinite(v) for v in values):
            raise RequestRejected(422, validation.E_PREDICTION_OUT_OF_RANGE,
                                  validation.MSG_OUT_OF_RANGE.format(records="some record"))
        items: list[dict[str, Any]] = [{"prediction": v, "unit": m.unit} for v in values]
        rec.values = values
    else:
        validation.check_probabilities(out.reshape(-1).tolist(), single=single)
        best = out.argmax(axis=1).tolist()
        items = [{"prediction": k, "prediction_label": m.classes[k],
                  "probabilities": dict(zip(m.classes, row, strict=True))}
                 for k, row in zip(best, out.tolist(), strict=True)]
        rec.predictions = best
        rec.probabilities = [row[k] for k, row in zip(best, out.tolist(), strict=True)]
    rec.validation = "passed"
    rec.feature_names, rec.features = bundle.features, features
    body = {**head, **items[0]} if single else {**head, "count": len(items),
                                                 "predictions": items}
    return _json(200, rec, body)


def create_app(
    settings: Settings | None = None,
    *,
    env: Mapping[str, str] | None = None,
    loader: Loader | None = None,
    log_sink: LogSink = stdout_sink,
    clock: Clock = lambda: datetime.now(UTC),
    timer: Timer = time.perf_counter,
    monotonic: Timer = time.monotonic,
    s3_client_factory: bundles.S3ClientFactory | None = None,
    load: bool = True,
) -> ServingAPI:
    """Build the app and (unless ``load`` is false) load its bundle now.

    Without ``settings`` they come from ``env`` (default ``os.environ``). Neither invalid
    settings nor a refused bundle stop the app: it answers, ``/health`` says what is wrong,
    and ``/predict`` answers 503.
    """
    problem: str | None = None
    if settings is None:
        try:
            settings = Settings.from_env(os.environ if env is None else env)
        except SettingsError as exc:
            problem = f"configuration: {exc}"
    log_features = settings.log_features if settings else True
    max_batch = settings.max_batch if settings else DEFAULT_MAX_BATCH
    max_body = settings.max_body_bytes if settings else DEFAULT_MAX_BODY_BYTES
    logger = RequestLogger(log_sink, clock, log_features=log_features)
    provider = ModelProvider(settings, problem, loader=loader or default_loader(s3_client_factory),
                             logger=logger, monotonic=monotonic)

    app = ServingAPI(
        title=API_TITLE,
        version=API_VERSION,
        description=__doc__,
        redoc_url=None,
        exception_handlers={
            StarletteHTTPException: _http_exception,
            RequestValidationError: _validation_exception,
            Exception: _internal_error,
        },
    )
    app.state.provider = provider
    app.state.logger = logger
    app.add_middleware(RequestContextMiddleware, provider=provider, logger=logger, timer=timer)

    async def health(request: Request) -> Response:
        """Ready (200) when a verified bundle is loaded; otherwise 503 with the reason."""
        rec = _record(request)
        bundle = provider.get()
        rec.model = provider.ref
        ready = bundle is not None
        return _json(200 if ready else 503, rec, {
            "status": "ready" if ready else "not_ready",
            "reason": provider.reason,
            "model_name": rec.model.name,
            "alias": rec.model.alias,
        })

    async def model_info(request: Request) -> Response:
        """Which model answers: name, alias, version, source run, commit, data, features."""
        rec = _record(request)
        bundle = provider.get()
        if bundle is None:
            return _error(503, rec, E_NOT_READY, MSG_NOT_READY.format(reason=provider.reason))
        rec.model = provider.ref
        m = bundle.manifest
        return _json(200, rec, {
            "model_name": m.model_name,
            "alias": m.alias,
            "source_run_id": m.run_id,
            "commit": m.commit,
            "data_sha256": m.data_sha256,
            "bundle_sha256": bundle.manifest_sha256,
            "statement_sha256": bundle.statement_sha256,
            "created_at": m.created_at.isoformat().replace("+00:00", "Z"),
            "feature_count": len(m.features),
            "features": list(m.features),
            "threshold": m.threshold,
            "positive_class": m.positive_class,
            "negative_class": m.negative_class,
            "input_dtype": m.onnx.input_dtype,
            "parity": {"rows": m.parity.rows, "max_abs_diff": m.parity.max_abs_diff,
                       "tolerance": m.parity.tolerance},
        })

    async def predict(request: Request) -> Response:
        """Score one record (``{"features": {...}}``) or a batch (``{"records": [...]}``)."""
        rec = _record(request)
        bundle = provider.get()
        if bundle is None:
            return _error(503, rec, E_NOT_READY, MSG_NOT_READY.format(reason=provider.reason))
        rec.model = provider.ref
        try:
            validation.check_content_type(_header(request.scope, H_CONTENT_TYPE))
            doc = validation.parse_body(await _read_body(request, max_body))
            records, single = validation.extract_records(doc, max_batch)
            m = bundle.manifest
            if m.all_numeric:
                features = validation.to_matrix(records, bundle.features, bundle.feature_set,
                                                bundle.input_limit, single=single)
            else:
                features = validation.to_typed_matrix(records, m.feature_schema,
                                                      bundle.feature_set, bundle.input_limit,
                                                      single=single)
            if m.task != "binary":
                return _task_answer(rec, bundle, features, single)
            p = bundle.positive_probability(features.X).tolist()
            validation.check_probabilities(p, single=single)
        except RequestRejected as rej:
            return _rejected(rec, rej)
        labels = [1 if v >= m.threshold else 0 for v in p]
        rec.validation = "passed"
        rec.predictions, rec.probabilities = labels, p
        rec.feature_names, rec.features = bundle.features, features
        return _json(200, rec, _prediction_body(m, labels, p, single))

    def doc(description: str) -> dict[str, Any]:
        # response bodies are attached in openapi(), so their pydantic models (and
        # FastAPI's analysis of them, ~35 ms) stay out of the cold start
        return {"description": description, "headers": HEADERS_DOC}

    not_ready = doc("no verified model is loaded")
    app.router.add_api_route(
        "/health", health, methods=["GET"], route_class_override=DirectRoute,
        responses={200: doc("ready"), 503: doc("not ready, with the reason")},
    )
    app.router.add_api_route(
        "/model-info", model_info, methods=["GET"], route_class_override=DirectRoute,
        responses={200: doc("the loaded model"), 503: not_ready},
    )
    app.router.add_api_route(
        "/predict", predict, methods=["POST"], route_class_override=DirectRoute,
        responses={
            200: doc("one prediction, or one per record in request order"),
            400: doc("empty body, not UTF-8, or malformed JSON"),
            413: doc("body or batch over the configured limit"),
            415: doc("Content-Type is not application/json"),
            422: doc("wrong shape, wrong feature set (missing/extra), or a value that is "
                     "not a finite number"),
            503: not_ready,
        },
        openapi_extra={"requestBody": {"required": True, "content": {JSON_MEDIA: {
            "schema": {"oneOf": [{"$ref": "#/components/schemas/SingleRecordRequest"},
                                 {"$ref": "#/components/schemas/BatchRequest"}]},
        }}}},
    )
    app.fast_path = RequestContextMiddleware(_guarded(predict), provider=provider,
                                             logger=logger, timer=timer)
    _install_openapi(app, provider, max_batch)
    if load:
        provider.get()
    return app


def _install_openapi(app: ServingAPI, provider: ModelProvider, max_batch: int) -> None:
    """The request schema names the loaded model's features, so it is rebuilt whenever the
    loaded bundle changes (from none to one, in practice)."""
    cache: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        bundle = provider.get()
        key = bundle.manifest_sha256 if bundle else None
        if key not in cache:
            from serving import schemas  # documentation only: kept out of the cold start

            manifest = bundle.manifest if bundle else None
            doc = get_openapi(title=app.title, version=app.version,
                              description=app.description, routes=app.routes)
            doc.setdefault("components", {}).setdefault("schemas", {}).update(
                schemas.request_components(manifest, max_batch))
            schemas.add_response_schemas(doc, manifest.task if manifest else None)
            body = doc["paths"]["/predict"]["post"]["requestBody"]["content"][JSON_MEDIA]
            body["examples"] = schemas.request_examples(manifest)
            cache.clear()
            cache[key] = doc
        app.openapi_schema = cache[key]
        return cache[key]

    app.openapi = openapi  # type: ignore[method-assign]


async def _http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    code = {404: E_NOT_FOUND, 405: E_METHOD}.get(exc.status_code, E_HTTP)
    return _error(exc.status_code, _record(request), code, str(exc.detail), exc.headers)


async def _validation_exception(request: Request, exc: RequestValidationError) -> Response:
    """FastAPI's default handler echoes the input (and fails on NaN): name locations only."""
    where = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
        for err in exc.errors()[:10]
    )
    return _error(422, _record(request), E_INVALID_REQUEST, where or "invalid request")


async def _internal_error(request: Request, _exc: Exception) -> Response:
    """Sent from outside the middleware (Starlette's ServerErrorMiddleware, or the fast
    path's guard), so the id and version headers are set here."""
    rec = _record(request)
    return _error(500, rec, E_INTERNAL, MSG_INTERNAL, {
        "X-Request-ID": rec.request_id, "X-Model-Version": rec.model.version or NO_MODEL})

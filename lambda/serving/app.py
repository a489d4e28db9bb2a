# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The serving API: ``GET /health``, ``GET /model-info``, ``POST /predict``, ``/docs``.

Every response carries the request id and the model version, both as headers
(``X-Request-ID``, ``X-Model-Version``, added by :class:`RequestContextMiddleware`) and,
for every JSON response, in the body. Every request is logged as one JSON line. The model
comes from a verified bundle only; until one is loaded, ``/health`` says why and
``/predict`` answers 503.

Speed: the endpoints take the ASGI scope and write JSON bytes themselves (:class:`Answer`),
and ``POST /predict``, ``GET /health`` and ``GET /model-info`` are answered by
:class:`ServingAPI` itself, through :class:`RequestContextMiddleware` only: no router,
dependency solving or middleware stack (about 30 µs each, more than the model). The
FastAPI app that documents them (``/docs``, ``/openapi.json``) and answers every other
path (404, 405) is built on the first request that needs it, so FastAPI, whose import
is over half of a cold start, is not imported in a Lambda container that only predicts.
The documented routes call the same endpoints, so the answers are the same either way.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from modelgate.serving import bundle as bundles
from modelgate.serving import validation
from modelgate.serving.bundle import LoadedBundle
from modelgate.serving.logs import (
    Clock,
    LogSink,
    ModelRef,
    RequestLogger,
    RequestRecord,
    encode,
    stdout_sink,
)
from modelgate.serving.manifest import BundleManifest
from modelgate.serving.settings import (
    DEFAULT_MAX_BATCH,
    DEFAULT_MAX_BODY_BYTES,
    Settings,
    SettingsError,
)
from modelgate.serving.validation import RequestRejected

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import Request

# the ASGI types (starlette.types), without importing starlette
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Endpoint = Callable[[Scope, Receive], Awaitable["Answer"]]

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
JSON_MEDIA_BYTES = b"application/json"

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


def _record(scope: Scope) -> RequestRecord:
    rec = scope.get(SCOPE_KEY)
    if isinstance(rec, RequestRecord):
        return rec
    rec = RequestRecord(new_request_id(scope.get("headers", ())),
                        scope.get("method", ""), scope.get("path", ""))
    scope[SCOPE_KEY] = rec
    return rec


class Answer:
    """A JSON response, sent as the same ASGI messages as starlette's ``Response`` with
    ``media_type="application/json"`` (caller's headers, then content-length and
    content-type), without importing starlette at a cold start."""

    __slots__ = ("body", "raw_headers", "status_code")

    def __init__(self, body: bytes, status_code: int = 200,
                 headers: Mapping[str, str] | None = None) -> None:
        raw = ([(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
               if headers else [])
        raw.append((H_CONTENT_LENGTH, str(len(body)).encode("latin-1")))
        raw.append((H_CONTENT_TYPE, JSON_MEDIA_BYTES))
        self.body = body
        self.status_code = status_code
        self.raw_headers = raw

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body})


class ClientDisconnected(Exception):
    """The client went away before sending the whole body."""


def _json(status: int, rec: RequestRecord, payload: dict[str, Any],
          headers: Mapping[str, str] | None = None) -> Answer:
    """JSON with the request id and model version in the body (the middleware adds the
    headers)."""
    body = {"request_id": rec.request_id, "model_version": rec.model.version, **payload}
    return Answer(encode(body).encode("utf-8"), status, headers)


def _error(status: int, rec: RequestRecord, code: str, message: str,
           headers: Mapping[str, str] | None = None) -> Answer:
    rec.error = code
    rec.errors = [{"error": code, "message": message}]
    return _json(status, rec, {"error": code, "message": message}, headers)


def _rejected(rec: RequestRecord, rej: RequestRejected) -> Answer:
    rec.validation = "rejected"
    rec.error = rej.error
    rec.errors = [p.as_json() for p in rej.problems] or [{"error": rej.error,
                                                          "message": rej.message}]
    return _json(rej.status, rec, rej.body())


class ServingAPI:
    """The ASGI app: the three served routes directly, the rest by FastAPI, built lazily.

    ``fast_path`` maps (method, path) to the route's endpoint inside
    :class:`RequestContextMiddleware`; with it None, every request goes through the
    FastAPI app (the tests compare both). Attributes it does not have (``openapi``,
    ``routes``, ``get``/``post`` to add a route, ...) are the FastAPI app's. A route
    answers an unexpected exception with the same JSON 500 the FastAPI stack would, then
    re-raises it for the server (Mangum, uvicorn) to log, as Starlette's
    ServerErrorMiddleware does.
    """

    def __init__(self, fast_path: dict[tuple[str, str], ASGIApp],
                 build: Callable[[], FastAPI], state: SimpleNamespace) -> None:
        self.fast_path: dict[tuple[str, str], ASGIApp] | None = fast_path
        self.state = state
        self._build = build
        self._full: FastAPI | None = None

    @property
    def full(self) -> FastAPI:
        """The FastAPI app (documentation, 404/405, any added route), built once."""
        if self._full is None:
            self._full = self._build()
        return self._full

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.full, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self.fast_path
        if fast is not None and scope["type"] == "http":
            route = fast.get((scope["method"], scope["path"]))
            if route is not None:
                scope["app"] = self
                await route(scope, receive, send)
                return
        await self.full(scope, receive, send)


def _guarded(endpoint: Endpoint) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await endpoint(scope, receive)
        except Exception:
            await _internal_answer(scope)(scope, receive, send)
            raise
        await response(scope, receive, send)

    return app


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    declared = _header(scope, H_CONTENT_LENGTH)
    too_large = RequestRejected(413, validation.E_BODY_TOO_LARGE,
                                validation.MSG_TOO_LARGE.format(limit=limit))
    if declared is not None and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise ClientDisconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class BinaryText:
    """A binary answer's fixed JSON pieces, built once per model: a batch's answer is then
    one string join, its probabilities formatted once for the body and the log line."""

    def __init__(self, m: BundleManifest) -> None:
        names = (m.negative_class, m.positive_class)
        self.items = tuple(f'"prediction":{y},"prediction_label":{encode(names[y])},'
                           '"probability_positive_class":' for y in (0, 1))
        self.tail = f',"positive_class":{encode(m.positive_class)}'
        self.model = f',"model_name":{encode(m.model_name)},"alias":{encode(m.alias)}'
        self.threshold = m.threshold

    def body(self, rec: RequestRecord, p: list[float], single: bool) -> str:
        """The answer, same bytes as ``encode`` of the equivalent dict; sets the record's
        predictions for the log."""
        labels = [1 if v >= self.threshold else 0 for v in p]
        texts = list(map(float.__repr__, p))
        rec.predictions, rec.probabilities = labels, p
        rec.probabilities_json = f"[{','.join(texts)}]"
        head = encode({"request_id": rec.request_id, "model_version": rec.model.version})
        head = head[:-1] + self.model
        items, tail = self.items, self.tail
        if single:
            return f"{head},{items[labels[0]]}{texts[0]}{tail}}}"
        joined = (tail + "},{").join(map(str.__add__, map(items.__getitem__, labels), texts))
        return f'{head},"count":{len(p)},"predictions":[{{{joined}{tail}}}]}}'


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
                 single: bool) -> Answer:
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

    async def health(scope: Scope, _receive: Receive) -> Answer:
        """Ready (200) when a verified bundle is loaded; otherwise 503 with the reason."""
        rec = _record(scope)
        bundle = provider.get()
        rec.model = provider.ref
        ready = bundle is not None
        return _json(200 if ready else 503, rec, {
            "status": "ready" if ready else "not_ready",
            "reason": provider.reason,
            "model_name": rec.model.name,
            "alias": rec.model.alias,
        })

    async def model_info(scope: Scope, _receive: Receive) -> Answer:
        """Which model answers: name, alias, version, source run, commit, data, features."""
        rec = _record(scope)
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

    binary: tuple[LoadedBundle, BinaryText] | None = None

    async def predict(scope: Scope, receive: Receive) -> Answer:
        """Score one record (``{"features": {...}}``) or a batch (``{"records": [...]}``)."""
        rec = _record(scope)
        bundle = provider.get()
        if bundle is None:
            return _error(503, rec, E_NOT_READY, MSG_NOT_READY.format(reason=provider.reason))
        rec.model = provider.ref
        try:
            validation.check_content_type(_header(scope, H_CONTENT_TYPE))
            body = await _read_body(scope, receive, max_body)
            features, single = validation.read_features(body, bundle.plan, max_batch)
            m = bundle.manifest
            if m.task != "binary":
                return _task_answer(rec, bundle, features, single)
            p = bundle.positive_probability(features.X).tolist()
            validation.check_probabilities(p, single=single)
        except RequestRejected as rej:
            return _rejected(rec, rej)
        nonlocal binary
        if binary is None or binary[0] is not bundle:
            binary = (bundle, BinaryText(m))
        answer = binary[1].body(rec, p, single)
        rec.validation = "passed"
        rec.feature_names, rec.features = bundle.features, features
        return Answer(answer.encode("utf-8"))

    endpoints: dict[tuple[str, str], Endpoint] = {
        ("GET", "/health"): health, ("GET", "/model-info"): model_info,
        ("POST", "/predict"): predict}
    fast: dict[tuple[str, str], ASGIApp] = {
        key: RequestContextMiddleware(_guarded(endpoint), provider=provider, logger=logger,
                                      timer=timer)
        for key, endpoint in endpoints.items()}
    state = SimpleNamespace(provider=provider, logger=logger)

    def build() -> FastAPI:
        return _fastapi_app(endpoints, state, provider, logger, timer, max_batch)

    app = ServingAPI(fast, build, state)
    if load:
        provider.get()
    return app


def _fastapi_app(endpoints: Mapping[tuple[str, str], Endpoint], state: SimpleNamespace,
                 provider: ModelProvider, logger: RequestLogger, timer: Timer,
                 max_batch: int) -> FastAPI:
    """The documented app: the same endpoints as routes, the OpenAPI document, JSON 404,
    405 and 500 answers, and room for routes added later."""
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError
    from fastapi.routing import APIRoute
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.requests import Request

    class DirectRoute(APIRoute):
        """An ``APIRoute`` documented from ``documented`` but calling ``endpoint(scope,
        receive)``: no dependency solving, body parsing or response validation (the
        endpoint does its own)."""

        def __init__(self, path: str, documented: Callable[..., Any], *,
                     endpoint: Endpoint, **kwargs: Any) -> None:
            super().__init__(path, documented, **kwargs)

            async def direct(scope: Scope, receive: Receive, send: Send) -> None:
                response = await endpoint(scope, receive)
                await response(scope, receive, send)

            self.app = direct

    def documented(endpoint: Endpoint) -> Callable[..., Any]:
        """What FastAPI reads to document a route (name, docstring, no parameters)."""
        async def route(request: Request) -> None:
            raise NotImplementedError  # never called: DirectRoute calls the endpoint

        route.__annotations__ = {"request": Request, "return": None}
        route.__name__ = route.__qualname__ = endpoint.__name__
        route.__doc__ = endpoint.__doc__
        return route

    # the handlers answer with Answer, which Starlette calls like its own Response
    handlers: dict[Any, Any] = {
        StarletteHTTPException: _http_exception,
        RequestValidationError: _validation_exception,
        Exception: _internal_error,
    }
    app = FastAPI(title=API_TITLE, version=API_VERSION, description=__doc__, redoc_url=None,
                  exception_handlers=handlers)
    app.state.provider = state.provider
    app.state.logger = state.logger
    app.add_middleware(RequestContextMiddleware, provider=provider, logger=logger,
                       timer=timer)

    def doc(description: str) -> dict[str, Any]:
        # response bodies are attached in openapi(), so their pydantic models (and
        # FastAPI's analysis of them, ~35 ms) stay out of building the app
        return {"description": description, "headers": HEADERS_DOC}

    def add(method: str, path: str, **kwargs: Any) -> None:
        endpoint = endpoints[(method, path)]
        app.router.routes.append(DirectRoute(path, documented(endpoint), endpoint=endpoint,
                                             methods=[method], **kwargs))

    not_ready = doc("no verified model is loaded")
    add("GET", "/health", responses={200: doc("ready"), 503: doc("not ready, with the reason")})
    add("GET", "/model-info", responses={200: doc("the loaded model"), 503: not_ready})
    add("POST", "/predict",
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
        }}}})
    _install_openapi(app, provider, max_batch)
    return app


def _install_openapi(app: FastAPI, provider: ModelProvider, max_batch: int) -> None:
    """The request schema names the loaded model's features, so it is rebuilt whenever the
    loaded bundle changes (from none to one, in practice)."""
    cache: dict[str | None, dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        bundle = provider.get()
        key = bundle.manifest_sha256 if bundle else None
        if key not in cache:
            from fastapi.openapi.utils import get_openapi

            from modelgate.serving import schemas  # documentation only: kept out of the cold start

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


async def _http_exception(request: Request, exc: StarletteHTTPException) -> Answer:
    code = {404: E_NOT_FOUND, 405: E_METHOD}.get(exc.status_code, E_HTTP)
    return _error(exc.status_code, _record(request.scope), code, str(exc.detail), exc.headers)


async def _validation_exception(request: Request, exc: RequestValidationError) -> Answer:
    """FastAPI's default handler echoes the input (and fails on NaN): name locations only."""
    where = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg', 'invalid')}"
        for err in exc.errors()[:10]
    )
    return _error(422, _record(request.scope), E_INVALID_REQUEST, where or "invalid request")


async def _internal_error(request: Request, _exc: Exception) -> Answer:
    return _internal_answer(request.scope)


def _internal_answer(scope: Scope) -> Answer:
    """Sent from outside the middleware (Starlette's ServerErrorMiddleware, or a route's
    guard), so the id and version headers are set here."""
    rec = _record(scope)
    return _error(500, rec, E_INTERNAL, MSG_INTERNAL, {
        "X-Request-ID": rec.request_id, "X-Model-Version": rec.model.version or NO_MODEL})

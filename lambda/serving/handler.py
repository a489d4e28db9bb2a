# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""AWS Lambda entry point: ``modelgate.serving.handler.handler``.

Mangum adapts API Gateway REST (payload 1.0), HTTP API (2.0), Function URL and ALB
(single- or multi-value headers) events to the ASGI app. Mangum itself raises on an event
it cannot read (an unknown shape, a body marked base64 that is not, a header that is not
a string); :class:`SafeMangum` answers those with a well-formed 400 in the event kind's
own response shape, carrying a request id and the model version like every other
response, instead of letting Lambda report an unhandled error.

The bundle is loaded when this module is imported, i.e. in Lambda's init phase (which
gets a full CPU burst and is not billed against the first request's latency), and once
per container.
"""

from __future__ import annotations

import binascii
import gc
import logging
import os
import re
import sys
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mangum import Mangum
from mangum.protocols import HTTPCycle
from mangum.types import Response, Scope

# No pydantic plugins in the Lambda (the app uses none): looking for them would read the
# metadata of every installed distribution.
PLUGINS_OFF = ("__all__", "1", "true")
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


@contextmanager
def _no_plugin_lookup() -> Iterator[None]:
    """While pydantic is first imported, ``importlib.metadata`` is a lazy stand-in.
    pydantic imports that module only to look its plugins up, which the setting above
    turns off, and the import (it pulls in the ``email`` package) measured about a sixth
    of a cold start. The stand-in holds nothing of its own: ``entry_points`` and any
    other attribute import the real module when first called or read and answer from it,
    so no caller ever sees a partial ``importlib.metadata``."""
    name = "importlib.metadata"
    if os.environ.get("PYDANTIC_DISABLE_PLUGINS") not in PLUGINS_OFF or name in sys.modules:
        yield
        return
    stand_in = types.ModuleType(name, "importlib.metadata, imported on first use")

    def real(attr: str) -> Any:
        if attr.startswith("__"):  # the import system asks for __path__, __spec__, ...
            raise AttributeError(attr)
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        import importlib

        return getattr(importlib.import_module(name), attr)

    def entry_points(**selection: Any) -> Any:  # pydantic's `from ... import entry_points`
        return real("entry_points")(**selection)

    stand_in.__dict__["entry_points"] = entry_points
    stand_in.__dict__["__getattr__"] = real  # PEP 562: module attribute lookup
    sys.modules[name] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


with _no_plugin_lookup():
    from modelgate.serving.app import (
        NO_MODEL,
        REQUEST_ID_RE,
        ModelProvider,
        create_app,
        uuid4_text,
    )
    from modelgate.serving.logs import RequestLogger, RequestRecord, encode

E_BAD_EVENT = "bad_event"
MSG_BAD_EVENT = "the Lambda event cannot be read as an HTTP request: {reason}"
REASON_NOT_OBJECT = "the event is not a JSON object"
REASON_BASE64 = "the body is marked isBase64Encoded but is not valid base64"
REASON_SHAPE = ("unknown event shape (expected API Gateway REST or HTTP API, a Function URL "
                "or an ALB event)")
REASON_MALFORMED = "a required field is missing or has the wrong type ({error})"
STATUS_DESCRIPTION = "400 Bad Request"
_LOG = logging.getLogger("mangum.http")
_WORD_RE = re.compile(r"^[A-Za-z]+$")


def event_kind(event: Any) -> str:
    """``alb``, ``alb-multi``, ``v2`` (HTTP API / Function URL), ``v1`` or ``unknown``."""
    if not isinstance(event, dict):
        return "unknown"
    context = event.get("requestContext")
    if isinstance(context, dict) and "elb" in context:
        return "alb-multi" if "multiValueHeaders" in event else "alb"
    if event.get("version") == "2.0":
        return "v2"
    return "v1" if "httpMethod" in event or "resource" in event else "unknown"


def _incoming_request_id(event: Any) -> str:
    if isinstance(event, dict):
        for key in ("headers", "multiValueHeaders"):
            headers = event.get(key)
            if not isinstance(headers, dict):
                continue
            for name, value in headers.items():
                if isinstance(name, str) and name.lower() == "x-request-id":
                    first = value[0] if isinstance(value, list) and value else value
                    if isinstance(first, str) and REQUEST_ID_RE.fullmatch(first):
                        return first
    return uuid4_text()


def _reason(exc: Exception) -> str:
    if isinstance(exc, binascii.Error):
        return REASON_BASE64
    if isinstance(exc, RuntimeError):
        return REASON_SHAPE
    return REASON_MALFORMED.format(error=type(exc).__name__)


def bad_event_response(event: Any, reason: str, *, request_id: str, model_version: str | None
                       ) -> dict[str, Any]:
    """A 400 in the response shape of the event's kind (API Gateway v1 shape if unknown)."""
    body = encode({
        "request_id": request_id,
        "model_version": model_version,
        "error": E_BAD_EVENT,
        "message": MSG_BAD_EVENT.format(reason=reason),
    })
    headers = {
        "content-type": "application/json",
        "x-request-id": request_id,
        "x-model-version": model_version or NO_MODEL,
    }
    kind = event_kind(event)
    if kind == "alb-multi":
        return {"statusCode": 400, "statusDescription": STATUS_DESCRIPTION,
                "multiValueHeaders": {k: [v] for k, v in headers.items()},
                "body": body, "isBase64Encoded": False}
    if kind == "alb":
        return {"statusCode": 400, "statusDescription": STATUS_DESCRIPTION, "headers": headers,
                "body": body, "isBase64Encoded": False}
    if kind == "v2":
        return {"statusCode": 400, "headers": headers, "body": body, "isBase64Encoded": False}
    return {"statusCode": 400, "headers": headers, "multiValueHeaders": {}, "body": body,
            "isBase64Encoded": False}


class SafeMangum(Mangum):
    """Mangum (``lifespan="off"``) whose event-reading failures become a 400 response.

    This is Mangum 0.22's ``__call__`` without lifespan, split in two: reading the event
    (infer the handler, build the ASGI scope, decode the body) is where a bad event
    raises, and that part is guarded; running the app is not, since the app answers its
    own errors.
    """

    def __init__(self, app: Any, *, provider: ModelProvider, logger: RequestLogger,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        super().__init__(app, lifespan="off")
        self._provider = provider
        self._logger = logger
        self._timer = timer

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        start = self._timer()
        try:
            if not isinstance(event, dict):
                raise _NotAnObject
            adapter = self.infer(event, context)
            scope = adapter.scope
            body = adapter.body
        except Exception as exc:  # any failure to read the event is the caller's: 400
            reason = REASON_NOT_OBJECT if isinstance(exc, _NotAnObject) else _reason(exc)
            return self._bad_event(event, reason, start)
        fast = getattr(self.app, "fast_path", None)
        if fast is not None and (scope["method"], scope["path"]) in fast:
            return dict(adapter(_run_direct(self.app, scope, body)))
        response = HTTPCycle(scope, body)(self.app)
        return dict(adapter(response))

    def _bad_event(self, event: Any, reason: str, start: float) -> dict[str, Any]:
        rec = RequestRecord(_incoming_request_id(event), _field(event, "httpMethod"),
                            _field(event, "path"))
        rec.model, rec.status, rec.validation = self._provider.ref, 400, "rejected"
        rec.error, rec.errors = E_BAD_EVENT, [{"error": E_BAD_EVENT, "message": reason}]
        self._logger.request(rec, (self._timer() - start) * 1000.0)
        return bad_event_response(event, reason, request_id=rec.request_id,
                                  model_version=rec.model.version)


class _NotAnObject(Exception):
    pass


class RouteSuspended(RuntimeError):
    """A directly run route awaited something that was not ready: a bug in serving."""


def _run_direct(app: Any, scope: Scope, body: bytes) -> Response:
    """Run one of the app's own routes (``ServingAPI.fast_path``) to completion without an
    event loop, and return the response as Mangum's ``HTTPCycle`` does.

    Those routes await only ``receive`` and ``send`` below, which never suspend, so the
    coroutine finishes in one step; an event loop, a task and a queue per request cost
    about a fifth of a one-record request. Errors end as in ``HTTPCycle``: the app has
    sent its JSON 500 and the exception is logged.
    """
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    coroutine = app(scope, receive, send)
    try:
        coroutine.send(None)
    except StopIteration:
        pass
    except Exception:
        _LOG.exception("An error occurred running the application.")
    else:
        coroutine.close()
        _LOG.error("An error occurred running the application.",
                   exc_info=RouteSuspended(f"{scope['method']} {scope['path']} suspended"))
    start = next((m for m in messages if m["type"] == "http.response.start"), None)
    if start is None:
        return {"status": 500, "headers": [[b"content-type", b"text/plain; charset=utf-8"]],
                "body": b"Internal Server Error"}
    return {"status": start["status"], "headers": start.get("headers", []),
            "body": b"".join(m.get("body", b"") for m in messages
                             if m["type"] == "http.response.body")}


def _field(event: Any, key: str) -> str:
    value = event.get(key) if isinstance(event, dict) else None
    if key == "httpMethod" and isinstance(value, str) and _WORD_RE.fullmatch(value):
        return value[:16]
    if key == "path" and isinstance(value, str):
        return value[:256]
    return "-"


def make_handler(app: Any) -> SafeMangum:
    """The Lambda handler for an app made by :func:`modelgate.serving.app.create_app`."""
    return SafeMangum(app, provider=app.state.provider, logger=app.state.logger)


app = create_app()  # loads and verifies the bundle now, in the init phase
handler = make_handler(app)
# What the init phase built lives as long as the container: exempt it from every later
# garbage collection, so a collection during a request scans only that request's objects.
gc.freeze()

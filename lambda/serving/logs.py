# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""One JSON line per request on stdout, which Lambda ships to CloudWatch Logs.

The line carries what an auditor and the drift monitor need: when, which request, which
model (name, version, alias, and the sha256 of its signed release statement), the outcome
(status, validation result or errors), every prediction and probability (a regressor's
``values``), the latency, and (unless ``MODELGATE_LOG_FEATURES=false``) the input features
as rows in ``feature_names`` order. A CloudWatch event holds at most 256 KB, so when a large
batch's features would push the line past ``LINE_LIMIT`` they move to follow-up
``request.features`` lines carrying the same ``request_id``; the request line says how
many.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelgate.serving.validation import Features

LINE_LIMIT = 200_000  # characters; CloudWatch's event limit is 256 KB
CHUNK_CHARS = int(LINE_LIMIT * 0.9)  # a request.features line's rows, at most
EVENT_REQUEST = "request"
EVENT_FEATURES = "request.features"
EVENT_BUNDLE = "bundle"

# one encoder, built once: json.dumps with options builds a new encoder on every call
encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

LogSink = Callable[[str], None]
Clock = Callable[[], datetime]


def stdout_sink(line: str) -> None:
    """Write one line and flush, so a frozen or recycled container loses nothing."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass(frozen=True)
class ModelRef:
    """The model a request was answered with (all None when none was loaded)."""

    name: str | None = None
    version: str | None = None
    alias: str | None = None
    statement: str | None = None  # sha256 of the signed release statement, when verified


@dataclass(slots=True)
class RequestRecord:
    """What one request did, filled in as it goes, logged once when it ends."""

    request_id: str
    method: str
    path: str
    model: ModelRef = field(default_factory=ModelRef)
    status: int = 0
    validation: str = "not_applicable"
    errors: list[dict[str, Any]] | None = None
    error: str | None = None
    # classifiers: the predicted class index and its probability (binary: P(positive) and
    # the thresholded label); regression: the predicted values
    predictions: list[int] | None = None
    probabilities: list[float] | None = None
    probabilities_json: str | None = None  # the probabilities as formatted for the answer
    values: list[float] | None = None
    feature_names: tuple[str, ...] | None = None
    features: Features | None = None


class RequestLogger:
    """Formats and writes request lines; the sink and clock are passed in for tests."""

    def __init__(self, sink: LogSink, clock: Clock, *, log_features: bool) -> None:
        self._sink = sink
        self._clock = clock
        self.log_features = log_features
        self._names_json: dict[tuple[str, ...], str] = {}

    def _timestamp(self) -> str:
        return self._clock().isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def request(self, rec: RequestRecord, latency_ms: float) -> None:
        line: dict[str, Any] = {
            "timestamp": self._timestamp(),
            "event": EVENT_REQUEST,
            "level": "error" if rec.status >= 500 else "warning" if rec.status >= 400 else "info",
            "request_id": rec.request_id,
            "method": rec.method,
            "path": rec.path,
            "status": rec.status,
            "latency_ms": round(latency_ms, 3),
            "model_name": rec.model.name,
            "model_version": rec.model.version,
            "alias": rec.model.alias,
            "statement_sha256": rec.model.statement,
            "validation": rec.validation,
        }
        if rec.error is not None:
            line["error"] = rec.error
        if rec.errors is not None:
            line["errors"] = rec.errors
        text = encode(line)
        if rec.predictions is not None and rec.probabilities is not None:
            # repr of a list of ints/finite floats is valid JSON, and faster than json.dumps
            probabilities = rec.probabilities_json or repr(rec.probabilities)
            text = (f'{text[:-1]},"predictions":{rec.predictions!r},'
                    f'"probabilities":{probabilities}}}')
        elif rec.values is not None:
            text = f'{text[:-1]},"values":{rec.values!r}}}'  # finite floats (checked)
        if not (self.log_features and rec.features is not None and rec.feature_names):
            self._sink(text)
            return
        # the names are the same on every request: serialise them once per model
        names = self._names_json.get(rec.feature_names)
        if names is None:
            names = encode(list(rec.feature_names))
            self._names_json = {rec.feature_names: names}
        features = rec.features.rows_json()  # finite floats or null: valid JSON
        if len(text) + len(names) + len(features) + 32 <= LINE_LIMIT:
            self._sink(f'{text[:-1]},"feature_names":{names},"features":{features}}}')
            return
        # Rows are flat arrays, so "],[" separates them: cut the text already formatted
        # into pieces of at most CHUNK_CHARS at row boundaries, without parsing it again.
        inner = features[1:-1]
        budget = max(1, CHUNK_CHARS - len(names))
        pieces: list[str] = []
        start = 0
        while len(inner) - start > budget:
            cut = inner.rfind("],[", start, start + budget)
            cut = inner.find("],[", start + 1) if cut <= start else cut  # one row past it
            if cut < 0:
                break
            pieces.append(inner[start:cut + 1])
            start = cut + 2
        pieces.append(inner[start:])
        self._sink(f'{text[:-1]},"features_chunks":{len(pieces)}}}')
        first = 0
        for number, piece in enumerate(pieces, start=1):
            head = encode({
                "timestamp": line["timestamp"],
                "event": EVENT_FEATURES,
                "request_id": rec.request_id,
                "model_version": rec.model.version,
                "chunk": number,
                "chunks": len(pieces),
                "first_record": first,
            })
            self._sink(f'{head[:-1]},"features":[{piece}],"feature_names":{names}}}')
            first += piece.count("],[") + 1

    def bundle(self, *, uri: str, loaded: bool, detail: str, model: ModelRef) -> None:
        """The outcome of loading the bundle (once per container, or per retry)."""
        self._sink(encode({
            "timestamp": self._timestamp(),
            "event": EVENT_BUNDLE,
            "level": "info" if loaded else "error",
            "bundle_uri": uri,
            "loaded": loaded,
            "detail": detail,
            "model_name": model.name,
            "model_version": model.version,
            "alias": model.alias,
            "statement_sha256": model.statement,
        }))

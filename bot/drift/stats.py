# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Drift: what a deployed model is served, compared with what it learned from.

The serving request log (``modelgate.serving.logs``: one JSON line per request, large batches'
features on follow-up ``request.features`` lines) is read one line at a time, so memory
stays flat however long the log is: per feature, counts in the training baseline's decile
bins (for the population stability index), running sums (for the served mean), and a
fixed-size seeded reservoir of served rows (for the two-sample Kolmogorov-Smirnov test
against the training split). Predictions get the same binned treatment.

Each feature is binned by its type: a numeric one in the training split's deciles, a
categorical one per category (plus "other/unseen"), a boolean as false/true (plus
"other/unseen"). A missing value (``null`` in the log) is in no bin; each feature's share
of missing values is judged on its own against the training split's. The prediction is
the task's: P(positive) (binary), the predicted class (multiclass), the predicted value
(regression), against the held-out split's predictions.

A feature, or the prediction distribution, drifts when its PSI is above the configured
threshold AND a two-sample test says the difference is not sampling noise
(``p < drift.ks_pvalue``). PSI alone raises false alarms on a few hundred requests (the
114-row evaluation split alone has a feature at PSI 0.21 against its own training split);
a test alone flags trivial shifts once the sample is large. Requests that failed
validation, errored, or were answered by another model version are counted, never mixed
into the statistics.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal, Protocol, cast

import numpy as np
from numpy.typing import NDArray

from modelgate.errors import ExitCode, ModelgateError
from modelgate.governance import DriftSection, LoadedConfig
from modelgate.infra.cloudwatch import CloudWatchError, LogsClient, log_events
from modelgate.serving.logs import EVENT_FEATURES, EVENT_REQUEST

SCHEMA_VERSION = 2  # 2: kinds of features and prediction, missing values
KIND = "modelgate.drift_report"
BASELINE_ARTIFACT = "baseline_stats.json"
BASELINE_SCHEMA_VERSION = 1
# modelgate.training.tracking.VERSION_TAG_RUN, without importing MLflow
VERSION_TAG_RUN = "source_run_id"
RUN_TAG_DATA = "data_sha256"
RUN_PARAM_THRESHOLD = "threshold"

RESERVOIR_SIZE = 5000  # served rows kept per scan for the KS test (x features x 8 bytes)
RESERVOIR_SEED = 20260508  # the same log always gives the same sample, hence the same report
BLOCK_ROWS = 1024  # rows converted to numpy and binned at once (~1 MB as Python floats)
PSI_EPSILON = 1e-4  # floor for an empty bin's share, so PSI stays finite
MAX_PROBLEMS_KEPT = 20  # malformed-line examples kept (all are counted)
BASELINE_SUM_TOLERANCE = 1e-6
REPRODUCE_TOLERANCE = 1e-9

Outcome = Literal["drift", "no_drift", "insufficient_data"]
TestName = Literal["ks", "chi2_binned"]
OUTCOME_DRIFT: Outcome = "drift"
OUTCOME_NO_DRIFT: Outcome = "no_drift"
OUTCOME_INSUFFICIENT: Outcome = "insufficient_data"

# Lambda writes these platform lines into the function's log group next to ours.
PLATFORM_PREFIXES = ("START RequestId:", "END RequestId:", "REPORT RequestId:", "INIT_START",
                     "INIT_REPORT", "INIT_RUNTIME_DONE", "RESTORE_START", "RESTORE_REPORT",
                     "EXTENSION", "TELEMETRY", "XRAY TraceId:")
PLATFORM_JSON_PREFIX = "platform."  # the same lines when the function logs in JSON format

MSG_NO_BASELINE = ("model {name} version {version}: its source run {run_id} has no readable "
                   "{artifact} ({detail}); retrain with a modelgate that logs the baseline")
MSG_BAD_BASELINE = "{source}: not a usable drift baseline: {detail}"
MSG_NO_MODEL = "no registered model named {name!r} in {uri}: {detail}"
MSG_NO_VERSION = "model {name} has no version {version!r}: {detail}"
MSG_NO_VERSIONS = "model {name} has no registered versions"
MSG_NO_RUN = "model {name} version {version} names no source run (tag {tag})"
MSG_S3 = "{where}: cannot read the logs: {detail}"
GZIP_MAGIC = b"\x1f\x8b"
MSG_NO_LOG_FILE = "{path}: cannot read the log: {detail}"
MSG_NO_LINES = "no request lines{where}{window}{skipped}: nothing to compare"
MSG_NOTHING_USABLE = ("none of the {lines} log line(s) is usable: {malformed} malformed "
                      "(first: {first}), {other_events} other event(s)")
MSG_NO_REQUESTS_FOR_VERSION = ("no request for model {name} version {version} in the log"
                               "{window}; it holds requests for {others}")
MSG_BAD_WINDOW = "the time window is empty: --since {since} is not before --until {until}"
MSG_INSUFFICIENT = ("{scored} scored record(s) for model {name} version {version}; drift needs "
                    "at least {minimum} (drift.min_requests in governance.yml)")
MSG_FEATURES_MISSING = ("only {rows} of {scored} scored records carried their input features "
                        "(is MODELGATE_LOG_FEATURES off?); features need at least {minimum}")
MSG_REF_NO_DATA = "the training data could not be read ({detail})"
MSG_REF_NO_TAG = "the source run has no {tag} tag to check the training data against"
MSG_REF_OTHER_DATA = ("{path} has sha256 {found}, but the run trained on {expected}; check out "
                      "the model's commit to test against its exact training rows")
MSG_REF_NOT_REPRODUCED = ("the train split rebuilt from {path} does not reproduce the logged "
                          "baseline ({detail}); was the split configuration changed?")
MSG_REF_OK = "the train split of {path} ({rows} rows, sha256 {sha}…), rebuilt and checked " \
             "against the logged baseline"
MSG_REF_FALLBACK = ("two-sample tests use a chi-square test on the baseline bins instead of "
                    "KS, because {reason}")

# reasons a log line is not used (counted per code, a few examples kept)
P_NOT_JSON = "not valid JSON"
P_NOT_OBJECT = "not a JSON object"
P_NO_EVENT = "has no 'event' field"
P_BAD_TIMESTAMP = "timestamp missing or not ISO 8601"
P_BAD_VERSION = "model_version is not a string"
P_BAD_STATUS = "status is not an integer"
P_BAD_PREDICTIONS = "predictions/probabilities missing, of unequal length, or out of range"
P_BAD_FEATURE_NAMES = "feature_names differ from the baseline's features"
P_BAD_FEATURES = "features are not one row of finite numbers (or null) per prediction"
P_BAD_CHUNK = "request.features line without a request_id, chunk or rows"


class DriftInputError(ModelgateError):
    """Input the drift check cannot use (missing baseline, no logs, a bad window); the
    message says what and where."""

    exit_code = ExitCode.USAGE


# --- the baseline ---------------------------------------------------------------------


FeatureKind = Literal["numeric", "categorical", "boolean"]
PredictionKind = Literal["p_positive", "class", "value"]
FEATURE_KINDS: tuple[FeatureKind, ...] = ("numeric", "categorical", "boolean")
PREDICTION_KINDS: tuple[PredictionKind, ...] = ("p_positive", "class", "value")
OTHER_LABEL = "other/unseen"
BOOLEAN_LABELS = ("false", "true")


@dataclass(frozen=True)
class Bins:
    """Inner bin edges (outer bins open) and the training split's share in each bin; or,
    for categories (``codes`` set), one bin per code and a last "other/unseen" bin for
    any other value. Missing values (NaN) are in no bin: they are counted apart."""

    edges: NDArray[np.float64]
    fractions: NDArray[np.float64]
    codes: NDArray[np.float64] | None = None
    labels: tuple[str, ...] = ()

    @property
    def categorical(self) -> bool:
        return self.codes is not None

    def counts(self, values: NDArray[np.float64]) -> NDArray[np.int64]:
        """Bin the present values the way ``modelgate.training.baseline`` did (``side='right'``), or
        by exact code; NaN is skipped."""
        present = values[~np.isnan(values)]
        if self.codes is None:
            idx = np.searchsorted(self.edges, present, side="right")
            return np.bincount(idx, minlength=len(self.edges) + 1).astype(np.int64)
        k = len(self.codes)
        pos = np.minimum(np.searchsorted(self.codes, present), k - 1)
        idx = np.where(self.codes[pos] == present, pos, k)
        return np.bincount(idx, minlength=k + 1).astype(np.int64)

    def bin_labels(self) -> tuple[str, ...]:
        """A label per bin: the category (and "other/unseen"), or the value range."""
        if self.codes is not None:
            return self.labels
        edges = [float(e) for e in self.edges]
        if not edges:
            return ("all",)
        inner = [f"[{a:.4g}, {b:.4g})" for a, b in pairwise(edges)]
        return (f"< {edges[0]:.4g}", *inner, f">= {edges[-1]:.4g}")


def category_bins(edges: NDArray[np.float64], fractions: NDArray[np.float64],
                  labels: Sequence[str]) -> Bins:
    """Codes 0..k-1 (one bin each, the training shares) plus the "other/unseen" bin."""
    k = len(labels)
    return Bins(edges, np.append(fractions, 0.0), np.arange(k, dtype=np.float64),
                (*labels, OTHER_LABEL))


@dataclass(frozen=True)
class FeatureBaseline:
    name: str
    mean: float
    std: float
    bins: Bins
    kind: FeatureKind = "numeric"
    missing_fraction: float = 0.0


@dataclass(frozen=True)
class Baseline:
    """``baseline_stats.json`` of the model version's source run, validated."""

    rows: int
    features: tuple[FeatureBaseline, ...]
    prediction: Bins
    prediction_mean: float
    prediction_kind: PredictionKind = "p_positive"
    prediction_rows: int = 0  # rows the prediction bins come from (held out; 0: ``rows``)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features)

    @classmethod
    def from_json(cls, doc: Any, source: str, *, types: Mapping[str, str] | None = None,
                  class_names: Sequence[str] = ()) -> Baseline:
        """``types`` (feature name -> governance.yml type) says which features are boolean
        (the baseline names its categoricals itself); ``class_names`` label a multiclass
        model's prediction bins."""
        def bad(detail: str) -> DriftInputError:
            return DriftInputError(MSG_BAD_BASELINE.format(source=source, detail=detail))

        if not isinstance(doc, dict):
            raise bad("expected a JSON object")
        if doc.get("schema_version") != BASELINE_SCHEMA_VERSION:
            raise bad(f"schema_version {doc.get('schema_version')!r}, "
                      f"expected {BASELINE_SCHEMA_VERSION}")
        rows = doc.get("rows")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            raise bad(f"rows must be a positive integer, got {rows!r}")
        raw_features = doc.get("features")
        if not isinstance(raw_features, dict) or not raw_features:
            raise bad("'features' must be a non-empty object")
        features = [_feature(str(name), stats, (types or {}).get(str(name)), bad)
                    for name, stats in raw_features.items()]
        pred = doc.get("prediction")
        if not isinstance(pred, dict):
            raise bad("'prediction' must be an object")
        kind = pred.get("kind", "p_positive")
        if kind not in PREDICTION_KINDS:
            raise bad(f"prediction kind {kind!r} is not one of {list(PREDICTION_KINDS)}")
        bins = _bins(pred, "prediction", bad)
        pred_rows = pred.get("rows", rows)
        if not isinstance(pred_rows, int) or isinstance(pred_rows, bool) or pred_rows < 1:
            raise bad(f"prediction rows must be a positive integer, got {pred_rows!r}")
        if kind == "class":
            k = len(bins.fractions)
            labels = (tuple(class_names) if len(class_names) == k
                      else tuple(f"class {i}" for i in range(k)))
            bins = category_bins(bins.edges, bins.fractions, labels)
        return cls(rows=rows, features=tuple(features), prediction=bins,
                   prediction_mean=_finite(pred.get("mean"), "prediction mean", bad),
                   prediction_kind=cast(PredictionKind, kind), prediction_rows=pred_rows)


def _feature(name: str, stats: Any, declared: str | None,
             bad: Callable[[str], DriftInputError]) -> FeatureBaseline:
    if not isinstance(stats, dict):
        raise bad(f"feature {name!r}: expected an object")
    what = f"feature {name!r}"
    mean = _finite(stats.get("mean"), f"{what} mean", bad)
    missing = _finite(stats.get("missing_fraction", 0.0), f"{what} missing_fraction", bad)
    if not 0.0 <= missing <= 1.0:
        raise bad(f"{what}: missing_fraction must be between 0 and 1, got {missing!r}")
    bins = _bins(stats, what, bad)
    kind = stats.get("type", declared or "numeric")
    categories = stats.get("categories")
    if categories is not None:
        if not isinstance(categories, list) or not categories or \
                len(categories) != len(bins.fractions):
            raise bad(f"{what}: categories must be a non-empty list with one entry per bin")
        kind = "categorical"
        bins = category_bins(bins.edges, bins.fractions, [str(c) for c in categories])
    elif kind == "boolean":
        share = min(max(mean, 0.0), 1.0)  # the mean of present 0/1 values: the share true
        bins = category_bins(np.array([0.5]), np.array([1.0 - share, share]), BOOLEAN_LABELS)
    elif kind != "numeric":
        raise bad(f"{what}: type {kind!r} is not one of {list(FEATURE_KINDS)}"
                  + (" (a categorical needs its categories)" if kind == "categorical" else ""))
    return FeatureBaseline(name=name, mean=mean, std=_finite(stats.get("std"), f"{what} std", bad),
                           bins=bins, kind=cast(FeatureKind, kind), missing_fraction=missing)


def _finite(value: Any, what: str, bad: Callable[[str], DriftInputError]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise bad(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _bins(stats: dict[str, Any], what: str, bad: Callable[[str], DriftInputError]) -> Bins:
    edges, fractions = stats.get("bin_edges"), stats.get("bin_fractions")
    if not isinstance(edges, list) or not isinstance(fractions, list):
        raise bad(f"{what}: bin_edges and bin_fractions must be lists")
    e = np.array([_finite(v, f"{what} bin edge", bad) for v in edges], dtype=np.float64)
    f = np.array([_finite(v, f"{what} bin fraction", bad) for v in fractions], dtype=np.float64)
    if len(f) != len(e) + 1:
        raise bad(f"{what}: {len(f)} bin fractions for {len(e)} edges (expected {len(e) + 1})")
    if len(e) > 1 and not np.all(np.diff(e) > 0):
        raise bad(f"{what}: bin edges are not strictly increasing")
    if np.any(f < 0) or abs(float(f.sum()) - 1.0) > BASELINE_SUM_TOLERANCE:
        raise bad(f"{what}: bin fractions must be non-negative and sum to 1")
    return Bins(e, f)


# --- log sources --------------------------------------------------------------------------

LineRef = int | str
Line = tuple[LineRef, str | bytes]


def file_lines(path: Path) -> Iterator[Line]:
    """Lines of a log file with their 1-based numbers, read lazily (bytes: JSON decodes
    UTF-8 itself, and a badly encoded line is one malformed line, not a crash)."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise DriftInputError(MSG_NO_LOG_FILE.format(path=path, detail=exc.strerror or exc)) \
            from exc
    with fh:
        yield from enumerate(fh, start=1)


def cloudwatch_lines(client: LogsClient, group: str, since: datetime, until: datetime, *,
                     region: str = "", page_size: int | None = None) -> Iterator[Line]:
    """Messages of a log group between two instants (both inclusive), page by page; what
    CloudWatch refuses is bad input here (exit 2), with the reader's message."""
    events = log_events(client, group, since=since, until=until, region=region,
                        page_size=page_size)
    try:
        for number, event in enumerate(events, start=1):
            yield f"{event.stream} event {number}", event.message
    except CloudWatchError as exc:
        raise DriftInputError(str(exc)) from exc


def s3_objects(client: Any, bucket: str, prefix: str) -> list[str]:
    """The keys under ``prefix``, in key order (Firehose's keys sort by time)."""
    keys: list[str] = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket,
                                                                      Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
    except Exception as exc:  # botocore's errors, without importing botocore here
        raise DriftInputError(MSG_S3.format(where=f"s3://{bucket}/{prefix}", detail=exc)) \
            from exc
    if not keys:
        raise DriftInputError(MSG_S3.format(where=f"s3://{bucket}/{prefix}",
                                            detail="no objects"))
    return sorted(keys)


def s3_lines(client: Any, bucket: str, key: str) -> Iterator[Line]:
    """Lines of one S3 object (gzip or plain, as Firehose writes them), streamed: the
    object is never held whole in memory."""
    import gzip

    try:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
    except Exception as exc:
        raise DriftInputError(MSG_S3.format(where=f"s3://{bucket}/{key}", detail=exc)) from exc
    raw = _Peek(body)
    stream: Any = gzip.GzipFile(fileobj=raw) if raw.head == GZIP_MAGIC else raw  # type: ignore[call-overload]
    with stream:
        yield from enumerate(stream, start=1)


class _Peek:
    """A read-only stream whose first two bytes can be looked at before reading."""

    def __init__(self, body: Any) -> None:
        self._body = body
        self.head: bytes = body.read(2)
        self._pending = self.head

    def read(self, size: int = -1) -> bytes:
        if self._pending:
            first: bytes = self._pending
            self._pending = b""
            if size < 0:
                return first + bytes(self._body.read())
            more = bytes(self._body.read(size - len(first))) if size > len(first) else b""
            return first + more
        return bytes(self._body.read() if size < 0 else self._body.read(size))

    def __iter__(self) -> Iterator[bytes]:
        buffer = b""
        while chunk := self.read(1 << 20):
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                yield line + b"\n"
        if buffer:
            yield buffer

    def __enter__(self) -> _Peek:
        return self

    def __exit__(self, *exc: object) -> None:
        self._body.close()

    def close(self) -> None:
        self._body.close()


def parse_instant(text: str) -> datetime:
    """ISO 8601; a time without a zone is UTC (CloudWatch and the serving log are UTC)."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the streaming scan ---------------------------------------------------------------------


@dataclass(frozen=True)
class LineProblem:
    where: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"where": self.where, "reason": self.reason}


@dataclass(frozen=True)
class LogCounts:
    """What the log held, line by line and request by request."""

    lines: int
    blank: int
    platform: int
    malformed: int
    malformed_by_reason: dict[str, int]
    problems: tuple[LineProblem, ...]
    other_events: int
    outside_window: int
    no_model: int
    other_versions: dict[str, int]
    requests: int
    rejected: int
    errored: int
    not_scored: int
    scored_requests: int
    scored_records: int
    feature_rows: int
    without_features: int
    incomplete_chunked: int
    first_seen: str | None
    last_seen: str | None

    @property
    def usable(self) -> int:
        """Lines understood (anything but blank, platform and malformed lines)."""
        return self.lines - self.platform - self.malformed

    def to_json(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "problems"}
        out["problems"] = [p.to_json() for p in self.problems]
        return out


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a finite number")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)  # one decoder, not one per line


def _is_number(v: Any) -> bool:
    t = type(v)
    return t is float or t is int


def _predictions_ok(probs: Any, preds: Any, *, binary: bool = True) -> bool:
    """Probabilities in [0, 1] and one class index each (binary: 0 or 1)."""
    if type(probs) is not list or type(preds) is not list or not probs:
        return False
    if len(probs) != len(preds):
        return False
    for p in probs:
        if not _is_number(p) or not 0.0 <= p <= 1.0:
            return False
    if binary:
        return all(type(p) is int and (p == 0 or p == 1) for p in preds)
    return all(type(p) is int and p >= 0 for p in preds)


def _values_ok(values: Any) -> bool:
    """A regressor's predicted values: a non-empty list of numbers."""
    return type(values) is list and bool(values) and all(_is_number(v) for v in values)


class LogScan:
    """Accumulates one model version's served traffic from request lines, in O(1) memory
    per line: bin counts, sums and a reservoir of rows, whatever the log's length. A
    missing feature value (``null``) is in no bin: a feature's rows minus its binned
    values is its missing count. The prediction binned is the task's output: P(positive),
    the predicted class index, or the predicted value."""

    def __init__(self, baseline: Baseline, *, model_name: str, model_version: str,
                 since: datetime | None = None, until: datetime | None = None,
                 reservoir_size: int = RESERVOIR_SIZE, seed: int = RESERVOIR_SEED) -> None:
        self.baseline = baseline
        self.model_name = model_name
        self.model_version = model_version
        self.since, self.until = since, until
        self._names = list(baseline.names)
        self._n = len(self._names)
        self._order_cache: tuple[tuple[str, ...], list[int]] | None = None
        self._counts = [np.zeros(len(f.bins.fractions), dtype=np.int64)
                        for f in baseline.features]
        self._sum = np.zeros(self._n)
        self._pred_counts = np.zeros(len(baseline.prediction.fractions), dtype=np.int64)
        self._pred_sum = 0.0
        self._positives = 0
        self._kind = baseline.prediction_kind
        self._rows: list[list[float | None]] = []
        self._probs: list[float] = []
        self._reservoir = np.empty((reservoir_size, self._n))
        self._seen = 0
        self._rng = np.random.default_rng(seed)
        self._pending: dict[str, int] = {}
        self._problems: list[LineProblem] = []
        self._reasons: Counter[str] = Counter()
        self._other: Counter[str] = Counter()
        self.lines = self.blank = self.platform = self.malformed = 0
        self.other_events = self.outside_window = self.no_model = 0
        self.requests = self.rejected = self.errored = self.not_scored = 0
        self.scored_requests = self.scored_records = self.without_features = 0
        self.first_seen: str | None = None
        self.last_seen: str | None = None

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, source: str, lines: Iterable[Line]) -> None:
        """Consume lines from one source (a file, a log group); ``source`` names it in
        problem reports."""
        for ref, text in lines:
            self._line(source, ref, text)
        self._flush()

    def _problem(self, source: str, ref: LineRef, reason: str, detail: str = "") -> None:
        self.malformed += 1
        self._reasons[reason] += 1
        if len(self._problems) < MAX_PROBLEMS_KEPT:
            where = f"{source}:{ref}" if isinstance(ref, int) else f"{source} {ref}"
            self._problems.append(LineProblem(where, f"{reason}{': ' + detail if detail else ''}"))

    def _line(self, source: str, ref: LineRef, text: str | bytes) -> None:
        stripped = text.strip()
        if not stripped:
            self.blank += 1
            return
        self.lines += 1
        if stripped[:1] not in ("{", b"{"):
            as_text = stripped if isinstance(stripped, str) else stripped.decode("utf-8", "replace")
            if as_text.startswith(PLATFORM_PREFIXES):
                self.platform += 1
            else:
                self._problem(source, ref, P_NOT_OBJECT)
            return
        try:
            doc = _DECODER.decode(stripped if isinstance(stripped, str)
                                  else stripped.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError is one too
            self._problem(source, ref, P_NOT_JSON, str(exc)[:120])
            return
        if not isinstance(doc, dict):
            self._problem(source, ref, P_NOT_OBJECT)
            return
        event = doc.get("event")
        if event is None:
            kind = doc.get("type")
            if isinstance(kind, str) and kind.startswith(PLATFORM_JSON_PREFIX):
                self.platform += 1  # Lambda's JSON log format: {"type": "platform.start"}
            else:
                self._problem(source, ref, P_NO_EVENT)
            return
        if event not in (EVENT_REQUEST, EVENT_FEATURES):
            self.other_events += 1
            return
        stamp = doc.get("timestamp")
        if (self.since or self.until) and not self._in_window(stamp):
            if not isinstance(stamp, str) or self._instant(stamp) is None:
                self._problem(source, ref, P_BAD_TIMESTAMP)
            else:
                self.outside_window += 1
            return
        if event == EVENT_REQUEST:
            self._request(source, ref, doc)
        else:
            self._chunk(source, ref, doc)

    @staticmethod
    def _instant(stamp: str) -> datetime | None:
        try:
            return parse_instant(stamp)
        except ValueError:
            return None

    def _in_window(self, stamp: Any) -> bool:
        moment = self._instant(stamp) if isinstance(stamp, str) else None
        if moment is None:
            return False
        return not ((self.since and moment < self.since) or (self.until and moment > self.until))

    def _ours(self, doc: dict[str, Any]) -> bool | None:
        """True for this model version, False for another one, None for no model."""
        version = doc.get("model_version")
        if version is None:
            return None
        name = doc.get("model_name", self.model_name)
        if version == self.model_version and name == self.model_name:
            return True
        self._other[str(version) if name == self.model_name else f"{name} {version}"] += 1
        return False

    def _request(self, source: str, ref: LineRef, doc: dict[str, Any]) -> None:
        version = doc.get("model_version")
        if version is not None and not isinstance(version, str):
            self._problem(source, ref, P_BAD_VERSION)
            return
        status = doc.get("status")
        if type(status) is not int:
            self._problem(source, ref, P_BAD_STATUS)
            return
        ours = self._ours(doc)
        if ours is None:
            self.no_model += 1
            return
        if not ours:
            return
        validation = doc.get("validation")
        if validation == "passed" and 200 <= status < 300:
            self._scored(source, ref, doc)
            return
        self.requests += 1
        if validation == "rejected":
            self.rejected += 1
        elif status >= 500:
            self.errored += 1
        else:
            self.not_scored += 1

    def _scored(self, source: str, ref: LineRef, doc: dict[str, Any]) -> None:
        """A request that passed validation and was answered: its predictions and rows."""
        preds: list[int] = []
        if self._kind == "value":
            if not _values_ok(doc.get("values")):
                self._problem(source, ref, P_BAD_PREDICTIONS)
                return
            outputs = cast(list[float], doc["values"])
        else:
            if not _predictions_ok(doc.get("probabilities"), doc.get("predictions"),
                                   binary=self._kind == "p_positive"):
                self._problem(source, ref, P_BAD_PREDICTIONS)
                return
            preds = cast(list[int], doc["predictions"])
            outputs = (cast(list[float], doc["probabilities"]) if self._kind == "p_positive"
                       else [float(y) for y in preds])
        rows: list[list[float | None]] | None = None
        if "features" in doc:
            rows = self._valid_rows(source, ref, doc, len(outputs))
            if rows is None:
                return
        elif "features_chunks" in doc:
            chunks, request_id = doc["features_chunks"], doc.get("request_id")
            if type(chunks) is not int or chunks < 1 or not isinstance(request_id, str):
                self._problem(source, ref, P_BAD_FEATURES)
                return
            self._expect(request_id, chunks)
        else:
            self.without_features += 1
        self.requests += 1
        self.scored_requests += 1
        self.scored_records += len(outputs)
        if self._kind == "p_positive":
            self._positives += sum(preds)
        self._probs.extend(outputs)
        if rows is not None:
            self._rows.extend(rows)
        self._seen_at(doc.get("timestamp"))
        if len(self._rows) >= BLOCK_ROWS or len(self._probs) >= BLOCK_ROWS:
            self._flush()

    def _valid_rows(self, source: str, ref: LineRef, doc: dict[str, Any],
                    expected: int) -> list[list[float | None]] | None:
        """The line's feature rows in baseline order, or None (and a problem) when the
        names or the rows do not fit."""
        order = self._order(doc.get("feature_names"))
        if order is None:
            self._problem(source, ref, P_BAD_FEATURE_NAMES)
            return None
        rows = doc.get("features")
        if not self._rows_ok(rows, expected):
            self._problem(source, ref, P_BAD_FEATURES)
            return None
        checked = cast(list[list[float | None]], rows)
        return [[r[i] for i in order] for r in checked] if order else checked

    def _chunk(self, source: str, ref: LineRef, doc: dict[str, Any]) -> None:
        if doc.get("model_version") != self.model_version:
            return  # its request line is counted (as another version) already
        request_id, rows = doc.get("request_id"), doc.get("features")
        if not isinstance(request_id, str) or type(rows) is not list or not rows:
            self._problem(source, ref, P_BAD_CHUNK)
            return
        valid = self._valid_rows(source, ref, doc, len(rows))
        if valid is None:
            return
        self._expect(request_id, -1)
        self._rows.extend(valid)
        if len(self._rows) >= BLOCK_ROWS:
            self._flush()

    def _expect(self, request_id: str, delta: int) -> None:
        """Chunks still owed per chunked request; a settled request is forgotten, so this
        holds only requests whose lines are in flight."""
        left = self._pending.get(request_id, 0) + delta
        if left:
            self._pending[request_id] = left
        else:
            self._pending.pop(request_id, None)

    def _order(self, names: Any) -> list[int] | None:
        """[]: baseline order; a permutation: same names, other order; None: other names."""
        if names == self._names:
            return []
        if type(names) is not list:
            return None
        key = tuple(str(n) for n in names)
        if self._order_cache and self._order_cache[0] == key:
            return self._order_cache[1]
        if len(key) != self._n or set(key) != set(self._names):
            return None
        perm = [key.index(n) for n in self._names]
        self._order_cache = (key, perm)
        return perm

    def _rows_ok(self, rows: Any, expected: int) -> bool:
        if type(rows) is not list or len(rows) != expected:
            return False
        n = self._n
        for row in rows:
            if type(row) is not list or len(row) != n:
                return False
            for v in row:
                t = type(v)
                if t is not float and t is not int and v is not None:  # None: missing
                    return False
        return True

    def _seen_at(self, stamp: Any) -> None:
        if isinstance(stamp, str):
            if self.first_seen is None or stamp < self.first_seen:
                self.first_seen = stamp
            if self.last_seen is None or stamp > self.last_seen:
                self.last_seen = stamp

    # -- numeric accumulation --------------------------------------------------------------

    def _flush(self) -> None:
        if self._rows:
            block = np.asarray(self._rows, dtype=np.float64)
            self._rows = []
            for j, feature in enumerate(self.baseline.features):
                self._counts[j] += feature.bins.counts(block[:, j])
            self._sum += np.nansum(block, axis=0)
            self._sample(block)
        if self._probs:
            probs = np.asarray(self._probs, dtype=np.float64)
            self._probs = []
            self._pred_counts += self.baseline.prediction.counts(probs)
            self._pred_sum += float(probs.sum())

    def _sample(self, block: NDArray[np.float64]) -> None:
        """Algorithm R over rows, vectorised per block: each served row ends up in the
        reservoir with equal probability, and the seed makes it repeatable."""
        size, seen, m = len(self._reservoir), self._seen, len(block)
        fill = min(max(size - seen, 0), m)
        if fill:
            self._reservoir[seen:seen + fill] = block[:fill]
        if m > fill:
            slots = self._rng.integers(0, np.arange(seen + fill + 1, seen + m + 1))
            chosen = np.flatnonzero(slots < size)
            if chosen.size:
                # a later row replacing the same slot wins, as in the sequential algorithm
                rev = chosen[::-1]
                _, first = np.unique(slots[rev], return_index=True)
                winners = rev[first]
                self._reservoir[slots[winners]] = block[fill:][winners]
        self._seen += m

    # -- results -----------------------------------------------------------------------------

    def sample(self) -> NDArray[np.float64]:
        """The reservoir: up to ``reservoir_size`` served rows in baseline feature order."""
        self._flush()
        return self._reservoir[:min(self._seen, len(self._reservoir))]

    def feature_counts(self) -> list[NDArray[np.int64]]:
        self._flush()
        return [c.copy() for c in self._counts]

    def feature_means(self) -> NDArray[np.float64]:
        """Means of the present values (NaN where a feature has none)."""
        self._flush()
        return present_means(self._sum, self._counts)

    def prediction_counts(self) -> NDArray[np.int64]:
        self._flush()
        return self._pred_counts.copy()

    def prediction_mean(self) -> float | None:
        self._flush()
        return self._pred_sum / self.scored_records if self.scored_records else None

    def positive_rate(self) -> float | None:
        if self._kind != "p_positive":
            return None
        return self._positives / self.scored_records if self.scored_records else None

    def counts(self) -> LogCounts:
        self._flush()
        return LogCounts(
            lines=self.lines, blank=self.blank, platform=self.platform,
            malformed=self.malformed, malformed_by_reason=dict(self._reasons),
            problems=tuple(self._problems), other_events=self.other_events,
            outside_window=self.outside_window, no_model=self.no_model,
            other_versions=dict(sorted(self._other.items())), requests=self.requests,
            rejected=self.rejected, errored=self.errored, not_scored=self.not_scored,
            scored_requests=self.scored_requests, scored_records=self.scored_records,
            feature_rows=self._seen, without_features=self.without_features,
            incomplete_chunked=len(self._pending), first_seen=self.first_seen,
            last_seen=self.last_seen,
        )


def present_means(sums: NDArray[np.float64],
                  counts: Sequence[NDArray[np.int64]]) -> NDArray[np.float64]:
    """Per feature, the sum of its present values over their number (NaN for none)."""
    present = np.array([c.sum() for c in counts], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(present > 0, sums / np.maximum(present, 1), np.nan)


# --- statistics -----------------------------------------------------------------------------


class Statistics(Protocol):
    """What the verdict reads from served traffic: a streaming ``LogScan`` or the result of
    the SQL engines (``modelgate.bot.drift.sql``); both give the same bin counts on the same log."""

    @property
    def baseline(self) -> Baseline: ...

    def counts(self) -> LogCounts: ...

    def sample(self) -> NDArray[np.float64]: ...

    def feature_counts(self) -> list[NDArray[np.int64]]: ...

    def feature_means(self) -> NDArray[np.float64]: ...

    def prediction_counts(self) -> NDArray[np.int64]: ...

    def prediction_mean(self) -> float | None: ...

    def positive_rate(self) -> float | None: ...


def psi(expected: NDArray[np.float64], actual: NDArray[np.float64]) -> float:
    """Population stability index, sum((a - e) * ln(a / e)), empty bins floored at
    ``PSI_EPSILON``."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), PSI_EPSILON)
    a = np.maximum(np.asarray(actual, dtype=np.float64), PSI_EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def binned_test(baseline: Bins, baseline_rows: int, served: NDArray[np.int64]) -> float:
    """p-value of a chi-square test of homogeneity between the baseline's bin counts and the
    served bin counts (two samples, binned), via scipy."""
    from scipy.stats import chi2_contingency

    reference = np.rint(baseline.fractions * baseline_rows)
    table = np.vstack([reference, served.astype(np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table[0].sum() == 0 or table[1].sum() == 0:
        return 1.0
    return float(chi2_contingency(table, correction=False).pvalue)


@dataclass(frozen=True)
class Reference:
    """Raw training rows for the KS test (baseline feature order), or why there are none."""

    rows: NDArray[np.float64] | None
    description: str

    @property
    def available(self) -> bool:
        return self.rows is not None


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's verdict: its present values' distribution (``psi``, the test) and,
    apart, its share of missing values (``missing_*``); either drifting is drift."""

    name: str
    kind: FeatureKind
    psi: float
    test: TestName
    statistic: float | None
    pvalue: float
    drifted: bool
    psi_over: bool
    served_rows: int
    served_mean: float | None
    baseline_mean: float
    baseline_std: float
    bin_edges: tuple[float, ...]
    bin_labels: tuple[str, ...]
    baseline_fractions: tuple[float, ...]
    served_fractions: tuple[float, ...]
    values_drifted: bool = False
    missing_fraction: float = 0.0
    baseline_missing_fraction: float = 0.0
    missing_psi: float = 0.0
    missing_pvalue: float = 1.0
    missing_drifted: bool = False

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class PredictionDrift:
    """``kind``: P(positive) (binary), the predicted class (multiclass; the means are of
    the class index), or the predicted value (regression)."""

    kind: PredictionKind
    psi: float
    pvalue: float
    drifted: bool
    served_records: int
    served_mean: float
    baseline_mean: float
    served_positive_rate: float | None
    baseline_positive_rate: float | None
    threshold: float | None
    bin_edges: tuple[float, ...]
    bin_labels: tuple[str, ...]
    baseline_fractions: tuple[float, ...]
    served_fractions: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SourceInfo:
    """Where the served traffic came from."""

    kind: Literal["files", "cloudwatch"]
    detail: tuple[str, ...]
    since: str | None = None
    until: str | None = None
    engine: str = "scan"  # what computed the statistics: scan, duckdb or spark

    def describe(self) -> str:
        where = ", ".join(self.detail)
        if self.since or self.until:
            where += f" from {self.since or 'the beginning'} to {self.until or 'the end'}"
        if self.engine != "scan":
            where += f" (statistics by {self.engine})"
        return where

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "detail": list(self.detail), "since": self.since,
                "until": self.until, "engine": self.engine}


@dataclass(frozen=True)
class ModelVersionRef:
    name: str
    version: str
    run_id: str
    alias: str | None = None
    data_sha256: str | None = None
    threshold: float | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class DriftResult:
    """The drift check's verdict and evidence; ``to_json`` is the report's JSON twin."""

    model: ModelVersionRef
    outcome: Outcome
    generated_at: str
    thresholds: DriftSection
    source: SourceInfo
    counts: LogCounts
    reference: str
    test: TestName
    features: tuple[FeatureDrift, ...] = ()
    prediction: PredictionDrift | None = None
    messages: tuple[str, ...] = field(default_factory=tuple)

    @property
    def drifted_features(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.features if f.drifted)

    @property
    def prediction_drifted(self) -> bool:
        return self.prediction is not None and self.prediction.drifted

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "generated_at": self.generated_at,
            "model": self.model.to_json(),
            "outcome": self.outcome,
            "drifted_features": list(self.drifted_features),
            "prediction_drifted": self.prediction_drifted,
            "thresholds": self.thresholds.model_dump(),
            "source": self.source.to_json(),
            "counts": self.counts.to_json(),
            "reference": {"test": self.test, "description": self.reference},
            "features": [f.to_json() for f in self.features],
            "prediction": self.prediction.to_json() if self.prediction else None,
            "messages": list(self.messages),
        }


def reference_positive_rate(bins: Bins, threshold: float | None) -> float | None:
    """The training split's share of P(positive) >= threshold, exact when the threshold
    is one of the prediction bin edges (0.5 is); otherwise unknown."""
    if threshold is None:
        return None
    hits = np.flatnonzero(np.isclose(bins.edges, threshold, rtol=0.0, atol=1e-12))
    if not hits.size:
        return None
    return float(bins.fractions[int(hits[0]) + 1:].sum())


def _shares(counts: NDArray[np.int64]) -> NDArray[np.float64]:
    total = counts.sum()
    return counts / total if total else np.zeros(len(counts))


def _features(scan: Statistics, thresholds: DriftSection,
              reference: Reference) -> tuple[FeatureDrift, ...]:
    from scipy.stats import ks_2samp

    sample, counts, means = scan.sample(), scan.feature_counts(), scan.feature_means()
    rows = scan.counts().feature_rows
    out = []
    for j, feature in enumerate(scan.baseline.features):
        present = int(counts[j].sum())
        served = _shares(counts[j])
        value = psi(feature.bins.fractions, served)
        statistic: float | None = None
        test: TestName = "chi2_binned"
        ref = _present(reference.rows[:, j]) if reference.rows is not None else None
        mine = _present(sample[:, j])
        if feature.kind == "numeric" and ref is not None and ref.size and mine.size:
            ks = ks_2samp(ref, mine)
            statistic, pvalue, test = float(ks.statistic), float(ks.pvalue), "ks"
        else:  # categories are compared bin by bin, with or without the training rows
            pvalue = binned_test(feature.bins, _present_rows(scan.baseline, feature), counts[j])
        over = value > thresholds.psi_threshold
        values_drifted = over and pvalue < thresholds.ks_pvalue
        missing = rows - present
        m_served = missing / rows if rows else 0.0
        m_base = feature.missing_fraction
        m_psi = psi(np.array([1.0 - m_base, m_base]), np.array([1.0 - m_served, m_served]))
        m_pvalue = binned_test(Bins(np.array([0.5]), np.array([1.0 - m_base, m_base])),
                               scan.baseline.rows, np.array([present, missing], dtype=np.int64))
        missing_drifted = m_psi > thresholds.psi_threshold and m_pvalue < thresholds.ks_pvalue
        mean = float(means[j])
        out.append(FeatureDrift(
            name=feature.name, kind=feature.kind, psi=value, test=test, statistic=statistic,
            pvalue=pvalue, drifted=values_drifted or missing_drifted, psi_over=over,
            served_rows=present, served_mean=mean if math.isfinite(mean) else None,
            baseline_mean=feature.mean, baseline_std=feature.std,
            bin_edges=tuple(float(x) for x in feature.bins.edges),
            bin_labels=feature.bins.bin_labels(),
            baseline_fractions=tuple(float(x) for x in feature.bins.fractions),
            served_fractions=tuple(float(x) for x in served),
            values_drifted=values_drifted, missing_fraction=m_served,
            baseline_missing_fraction=m_base, missing_psi=m_psi, missing_pvalue=m_pvalue,
            missing_drifted=missing_drifted,
        ))
    return tuple(out)


def _present(values: NDArray[np.float64]) -> NDArray[np.float64]:
    return values[~np.isnan(values)]


def _present_rows(baseline: Baseline, feature: FeatureBaseline) -> int:
    """Training rows with a value for the feature (the bins' denominator)."""
    return max(round(baseline.rows * (1.0 - feature.missing_fraction)), 1)


def _prediction(scan: Statistics, thresholds: DriftSection,
                threshold: float | None) -> PredictionDrift:
    baseline = scan.baseline
    bins, kind = baseline.prediction, baseline.prediction_kind
    counts = scan.prediction_counts()
    served = _shares(counts)
    value = psi(bins.fractions, served)
    pvalue = binned_test(bins, baseline.prediction_rows or baseline.rows, counts)
    binary = kind == "p_positive"
    rate = scan.positive_rate() if binary else None
    return PredictionDrift(
        kind=kind, psi=value, pvalue=pvalue,
        drifted=value > thresholds.prediction_psi_threshold and pvalue < thresholds.ks_pvalue,
        served_records=int(counts.sum()), served_mean=scan.prediction_mean() or 0.0,
        baseline_mean=baseline.prediction_mean,
        served_positive_rate=(rate or 0.0) if binary else None,
        baseline_positive_rate=reference_positive_rate(bins, threshold) if binary else None,
        threshold=threshold if binary else None,
        bin_edges=tuple(float(x) for x in bins.edges), bin_labels=bins.bin_labels(),
        baseline_fractions=tuple(float(x) for x in bins.fractions),
        served_fractions=tuple(float(x) for x in served),
    )


def check_usable(counts: LogCounts, model: ModelVersionRef, source: SourceInfo) -> None:
    """Refuse a log that gives nothing to compare (exit status 2, not a verdict)."""
    window = f" between {source.since} and {source.until}" if source.since else ""
    seen = counts.requests + sum(counts.other_versions.values()) + counts.no_model
    if seen == 0 and counts.malformed:
        first = counts.problems[0] if counts.problems else LineProblem("?", "?")
        raise DriftInputError(MSG_NOTHING_USABLE.format(
            lines=counts.lines, malformed=counts.malformed, other_events=counts.other_events,
            first=f"{first.where}: {first.reason}"))
    if seen == 0:
        skipped = []
        if counts.outside_window:
            skipped.append(f"{counts.outside_window} outside the window")
        if counts.other_events:
            skipped.append(f"{counts.other_events} other event(s)")
        if counts.platform:
            skipped.append(f"{counts.platform} Lambda platform line(s)")
        raise DriftInputError(MSG_NO_LINES.format(
            where=f" in {', '.join(source.detail)}", window=window,
            skipped=f" ({', '.join(skipped)})" if skipped else ""))
    if counts.requests == 0:
        others = [f"version {v} ({n})" for v, n in counts.other_versions.items()]
        if counts.no_model:
            others.append(f"no model loaded ({counts.no_model})")
        raise DriftInputError(MSG_NO_REQUESTS_FOR_VERSION.format(
            name=model.name, version=model.version, window=window, others=", ".join(others)))


def assess(scan: Statistics, model: ModelVersionRef, thresholds: DriftSection, *,
           source: SourceInfo, reference: Reference, generated_at: datetime,
           threshold: float) -> DriftResult:
    """The verdict. Raises ``DriftInputError`` when the log gives nothing to compare."""
    counts = scan.counts()
    check_usable(counts, model, source)
    test: TestName = "ks" if reference.available else "chi2_binned"
    messages: list[str] = []
    if not reference.available:
        messages.append(MSG_REF_FALLBACK.format(reason=reference.description))

    def result(outcome: Outcome, features: tuple[FeatureDrift, ...] = (),
               prediction: PredictionDrift | None = None) -> DriftResult:
        return DriftResult(model=model, outcome=outcome,
                           generated_at=generated_at.isoformat(timespec="seconds"),
                           thresholds=thresholds, source=source, counts=counts,
                           reference=reference.description, test=test, features=features,
                           prediction=prediction, messages=tuple(messages))

    minimum = thresholds.min_requests
    if counts.scored_records < minimum:
        messages.insert(0, MSG_INSUFFICIENT.format(scored=counts.scored_records,
                                                   name=model.name, version=model.version,
                                                   minimum=minimum))
        return result(OUTCOME_INSUFFICIENT)
    prediction = _prediction(scan, thresholds, threshold)
    if counts.feature_rows < minimum:
        messages.insert(0, MSG_FEATURES_MISSING.format(rows=counts.feature_rows,
                                                       scored=counts.scored_records,
                                                       minimum=minimum))
        return result(OUTCOME_DRIFT if prediction.drifted else OUTCOME_INSUFFICIENT,
                      prediction=prediction)
    features = _features(scan, thresholds, reference)
    drifted = prediction.drifted or any(f.drifted for f in features)
    return result(OUTCOME_DRIFT if drifted else OUTCOME_NO_DRIFT, features, prediction)


# --- MLflow and training data -------------------------------------------------------------


def resolve_version(client: Any, name: str, *, version: str | None, alias: str,
                    uri: str = "") -> ModelVersionRef:
    """The requested version, else the one under ``alias``, else the latest."""
    from mlflow.exceptions import MlflowException

    chosen_alias: str | None = None
    try:
        client.get_registered_model(name)
    except MlflowException as exc:
        raise DriftInputError(MSG_NO_MODEL.format(name=name, uri=uri or "MLflow",
                                                  detail=exc.message)) from exc
    if version is not None:
        try:
            mv = client.get_model_version(name, version)
        except MlflowException as exc:
            raise DriftInputError(MSG_NO_VERSION.format(name=name, version=version,
                                                        detail=exc.message)) from exc
    else:
        try:
            mv = client.get_model_version_by_alias(name, alias)
            chosen_alias = alias
        except MlflowException:
            versions = client.search_model_versions(f"name='{name}'")
            if not versions:
                raise DriftInputError(MSG_NO_VERSIONS.format(name=name)) from None
            mv = max(versions, key=lambda v: int(v.version))
    run_id = (mv.tags or {}).get(VERSION_TAG_RUN) or mv.run_id
    if not run_id:
        raise DriftInputError(MSG_NO_RUN.format(name=name, version=mv.version,
                                                tag=VERSION_TAG_RUN))
    data_sha: str | None = None
    threshold: float | None = None
    try:
        run = client.get_run(run_id)
        data_sha = run.data.tags.get(RUN_TAG_DATA)
        raw = run.data.params.get(RUN_PARAM_THRESHOLD)
        threshold = float(raw) if raw is not None else None
    except (MlflowException, ValueError):
        pass  # the baseline download below says what is missing
    return ModelVersionRef(name=name, version=str(mv.version), run_id=run_id,
                           alias=chosen_alias, data_sha256=data_sha, threshold=threshold)


def load_baseline(client: Any, model: ModelVersionRef, *,
                  types: Mapping[str, str] | None = None,
                  class_names: Sequence[str] = ()) -> Baseline:
    """``baseline_stats.json`` of the version's source run; missing or unreadable is an
    input error, never an empty baseline. ``types`` and ``class_names`` come from
    governance.yml (see ``Baseline.from_json``)."""
    import tempfile

    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory(prefix="modelgate-drift-") as tmp:
        try:
            path = Path(client.download_artifacts(model.run_id, BASELINE_ARTIFACT, tmp))
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (MlflowException, OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            detail = exc.message if isinstance(exc, MlflowException) else str(exc)
            raise DriftInputError(MSG_NO_BASELINE.format(
                name=model.name, version=model.version, run_id=model.run_id,
                artifact=BASELINE_ARTIFACT, detail=" ".join(detail.split())[:300])) from exc
    return Baseline.from_json(doc, f"run {model.run_id} {BASELINE_ARTIFACT}", types=types,
                              class_names=class_names)


def train_reference(config: LoadedConfig, model: ModelVersionRef, baseline: Baseline) -> Reference:
    """The training split's raw rows for the KS test, rebuilt from the data file only when
    it is provably the data the run trained on, and the split reproduces the baseline."""
    from modelgate.training.data import DataError, load_dataset, split_dataset

    if not model.data_sha256:
        return Reference(None, MSG_REF_NO_TAG.format(tag=RUN_TAG_DATA))
    try:
        dataset = load_dataset(config)
        split = split_dataset(dataset, config.governance)
    except DataError as exc:
        return Reference(None, MSG_REF_NO_DATA.format(detail=exc))
    name = config.governance.data.path.as_posix()
    if dataset.sha256 != model.data_sha256:
        return Reference(None, MSG_REF_OTHER_DATA.format(path=name, found=dataset.sha256[:16],
                                                         expected=model.data_sha256[:16]))
    missing = [f for f in baseline.names if f not in dataset.features]
    if missing:
        return Reference(None, MSG_REF_NOT_REPRODUCED.format(
            path=name, detail=f"features {missing} are not in the data"))
    rows = dataset.X[split.train][:, [dataset.features.index(f) for f in baseline.names]]
    if len(rows) != baseline.rows:
        return Reference(None, MSG_REF_NOT_REPRODUCED.format(
            path=name, detail=f"{len(rows)} train rows, baseline has {baseline.rows}"))
    for j, feature in enumerate(baseline.features):
        binned = feature.bins.counts(rows[:, j])  # present values only
        shares = binned / max(int(binned.sum()), 1)
        if not binned.sum():
            continue
        if not np.allclose(shares, feature.bins.fractions, rtol=0, atol=REPRODUCE_TOLERANCE):
            return Reference(None, MSG_REF_NOT_REPRODUCED.format(
                path=name, detail=f"bin shares of {feature.name} differ"))
    return Reference(np.ascontiguousarray(rows), MSG_REF_OK.format(
        path=name, rows=len(rows), sha=dataset.sha256[:16]))


def scan_sources(scan: LogScan, sources: Sequence[tuple[str, Iterable[Line]]]) -> LogScan:
    """Feed every source in order (each is read lazily, one line at a time)."""
    for label, lines in sources:
        scan.feed(label, lines)
    return scan

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Turn a ``/predict`` request body into a feature matrix, or reject it with a 4xx.

Accepted shapes (``application/json``):

* one record: ``{"features": {"<feature>": <number>, ...}}``
* a batch:    ``{"records": [{"<feature>": <number>, ...}, ...]}``

Each record must name exactly the manifest's features, each once, each with a value of its
declared type: a finite JSON number (numeric), ``true``/``false`` (boolean), one of the
declared strings (categorical, turned into its code as in training), or ``null`` where
the feature is nullable (the model sees NaN, as for a missing cell in training).
Rejections never echo a submitted value (a NaN cannot be serialised, and the
values may be sensitive); they name the record, the field and what kind of value it was.
The common valid case takes a vectorised fast path; only a failing request is walked
field by field to explain itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from modelgate.serving import jsonstrict
from modelgate.serving.manifest import FeatureField

# error codes (the ``error`` field of every 4xx/5xx body)
E_UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
E_EMPTY_BODY = "empty_body"
E_BODY_TOO_LARGE = "body_too_large"
E_INVALID_ENCODING = "invalid_encoding"
E_MALFORMED_JSON = "malformed_json"
E_INVALID_REQUEST = "invalid_request"
E_BATCH_TOO_LARGE = "batch_too_large"
E_INVALID_FEATURES = "invalid_features"
E_PREDICTION_OUT_OF_RANGE = "prediction_out_of_range"

# problem kinds (``problems[].problem``)
P_MISSING = "missing"
P_EXTRA = "extra"
P_NOT_A_NUMBER = "not_a_number"
P_NOT_FINITE = "not_finite"
P_OUT_OF_RANGE = "out_of_range"
P_DUPLICATE = "duplicate_key"
P_NOT_AN_OBJECT = "not_an_object"
P_WRONG_TYPE = "wrong_type"
P_UNKNOWN_CATEGORY = "unknown_category"
P_NULL = "null_not_allowed"
MAX_CATEGORIES_NAMED = 20

MSG_CONTENT_TYPE = "send the body as application/json (got {got})"
MSG_EMPTY = "the request body is empty; send {\"features\": {...}} or {\"records\": [...]}"
MSG_TOO_LARGE = "the request body is over the {limit} byte limit"
MSG_ENCODING = "the request body is not UTF-8 text"
MSG_MALFORMED = "the request body is not valid JSON: {detail}"
MSG_SHAPE = (
    "the body must be a JSON object with exactly one key: \"features\" (one record, an "
    "object) or \"records\" (a batch, an array of objects){detail}"
)
MSG_RECORDS_EMPTY = "\"records\" is empty; send at least one record"
MSG_BATCH = "the batch has {n} records; the limit is {limit}"
MSG_FEATURES = "{count} problem(s) with the features{more}: {first}"
MSG_OUT_OF_RANGE = (
    "the model produced no valid probability for record(s) {records}: the inputs are "
    "outside the range it can compute with"
)

MAX_PROBLEMS = 50
MAX_NAMES = 100
MAX_NAME_CHARS = 100
_FLOAT_ONLY = frozenset({float})
_DICT_ONLY = frozenset({dict})
FLOAT64_MAX = float(np.finfo(np.float64).max)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field of one record (``record`` is None for one record)."""

    record: int | None
    field: str | None
    problem: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"record": self.record, "field": self.field, "problem": self.problem,
                "message": self.message}


@dataclass
class RequestRejected(Exception):
    """A request answered with a 4xx; the fields become the JSON error body."""

    status: int
    error: str
    message: str
    missing: list[str] | None = None
    extra: list[str] | None = None
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.missing is not None:
            out["missing"] = self.missing
        if self.extra is not None:
            out["extra"] = self.extra
        if self.problems:
            out["problems"] = [p.as_json() for p in self.problems]
            out["problems_truncated"] = self.truncated
        return out


def check_content_type(value: str | None) -> None:
    """Only ``application/json`` (optionally ``; charset=utf-8``) is accepted."""
    if value is not None:
        media, _, params = value.partition(";")
        if media.strip().lower() == "application/json":
            charset = params.strip().lower()
            if charset in ("", "charset=utf-8", "charset=\"utf-8\""):
                return
    got = "no Content-Type" if value is None else repr(_clip(value))
    raise RequestRejected(415, E_UNSUPPORTED_MEDIA_TYPE, MSG_CONTENT_TYPE.format(got=got))


def decode_body(body: bytes) -> str:
    """Bytes -> text, or a 400 (empty, not UTF-8)."""
    if not body or body.isspace():
        raise RequestRejected(400, E_EMPTY_BODY, MSG_EMPTY)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestRejected(400, E_INVALID_ENCODING, MSG_ENCODING) from None


def parse_text(text: str) -> Any:
    """Text -> strict JSON document, or a 400."""
    try:
        return jsonstrict.loads(text)
    except jsonstrict.StrictJSONError as exc:
        raise RequestRejected(400, E_MALFORMED_JSON, MSG_MALFORMED.format(detail=exc)) from None


def parse_body(body: bytes) -> Any:
    """Bytes -> strict JSON document, or a 400."""
    return parse_text(decode_body(body))


def extract_records(doc: Any, max_batch: int) -> tuple[list[Any], bool]:
    """The records to score and whether the request was the single-record shape."""
    if isinstance(doc, jsonstrict.DuplicateKeys):
        detail = f"; the body names {[_clip(k) for k in doc.keys[:MAX_NAMES]]} more than once"
        raise RequestRejected(422, E_INVALID_REQUEST, MSG_SHAPE.format(detail=detail))
    if type(doc) is not dict:
        detail = f"; got {_kind(doc)}"
        raise RequestRejected(422, E_INVALID_REQUEST, MSG_SHAPE.format(detail=detail))
    if len(doc) == 1 and "features" in doc:
        return [doc["features"]], True
    if len(doc) == 1 and "records" in doc:
        records = doc["records"]
        if type(records) is not list:
            detail = f"; \"records\" is {_kind(records)}"
            raise RequestRejected(422, E_INVALID_REQUEST, MSG_SHAPE.format(detail=detail))
        if not records:
            raise RequestRejected(422, E_INVALID_REQUEST, MSG_RECORDS_EMPTY)
        if len(records) > max_batch:
            raise RequestRejected(413, E_BATCH_TOO_LARGE,
                                  MSG_BATCH.format(n=len(records), limit=max_batch))
        return records, False
    keys = [_clip(k) for k in list(doc)[:MAX_NAMES]]
    raise RequestRejected(422, E_INVALID_REQUEST, MSG_SHAPE.format(detail=f"; got keys {keys}"))


@dataclass(frozen=True)
class Features:
    """Validated input: the matrix for the model and the same values as Python floats,
    row-major in manifest order (the request log writes those without converting back).
    ``text``, when set, is the rows as compact JSON taken from the request body itself
    (see :func:`read_features`), so the log does not format the numbers again."""

    X: NDArray[np.float64]
    flat: list[float]
    text: str | None = None

    def rows(self) -> list[list[float]]:
        n = self.X.shape[1]
        if self.typed:
            return [_JsonRow(self.flat[i:i + n]) for i in range(0, len(self.flat), n)]
        return [self.flat[i:i + n] for i in range(0, len(self.flat), n)]

    def rows_json(self) -> str:
        """The rows as one JSON array (rows are never nested, so ``],[`` separates them)."""
        if self.text is not None:
            return self.text
        return "[" + ",".join(map(repr, self.rows())) + "]"

    @property
    def typed(self) -> bool:
        return bool(np.isnan(self.X).any())


@dataclass(frozen=True)
class FeaturePlan:
    """What validating a request needs to know about the model's features, worked out
    once per loaded model rather than on every request."""

    names: tuple[str, ...]
    feature_set: frozenset[str]
    schema: tuple[FeatureField, ...]
    codes: tuple[dict[str, float], ...]
    all_numeric: bool
    limit: float
    # the names as the body spells them when it can be read as text (see read_features):
    # ASCII without quotes or backslashes; None when a name is not
    raw_names: tuple[bytes, ...] | None

    @classmethod
    def of(cls, schema: tuple[FeatureField, ...], limit: float) -> FeaturePlan:
        names = tuple(f.name for f in schema)
        plain = all(n.isascii() and '"' not in n and "\\" not in n for n in names)
        return cls(
            names=names, feature_set=frozenset(names), schema=schema,
            codes=tuple({c: float(i) for i, c in enumerate(f.categories or ())}
                        for f in schema),
            all_numeric=all(f.type == "numeric" and not f.nullable for f in schema),
            limit=limit, raw_names=tuple(n.encode("ascii") for n in names) if plain else None)


_LENIENT = json.JSONDecoder(parse_constant=jsonstrict.NonFinite, parse_int=float)
_SHAPE_KEYS = {False: b"records", True: b"features"}
# what may stand outside the strings of a body of numbers: JSON number characters,
# structure and JSON whitespace
_NUMBER_BODY = b"0123456789.eE+-,:[]{} \t\n\r"
_ROWS_TABLE = bytes.maketrans(b"{}", b"[]")  # objects become arrays
_ROWS_DELETE = b": \t\n\r"  # the key separators and whitespace go


def read_features(body: bytes, plan: FeaturePlan, max_batch: int) -> tuple[Features, bool]:
    """Request body -> validated features and whether it was the single-record shape.

    The common case, an all-numeric model sent exactly its features in manifest order,
    takes one C-speed parse that lets duplicate keys collapse, then proves from the body's
    bytes that there were none and that every key was in order; cutting the keys out of
    those bytes leaves the rows as JSON for the request log, so no number is formatted
    again. Anything else (another order, a bad value, a duplicated key, an escape) goes
    the strict way, whose errors name every problem.
    """
    text = decode_body(body)
    if plan.all_numeric and plan.raw_names is not None and b"\\" not in body:
        try:
            doc = _LENIENT.decode(text)
        except (ValueError, RecursionError):
            doc = None  # the strict parse below says what is wrong
        fast = _numeric_in_order(doc, body, plan.raw_names, plan.limit, max_batch)
        if fast is not None:
            return fast
    records, single = extract_records(parse_text(text), max_batch)
    if plan.all_numeric:
        return to_matrix(records, plan.names, plan.feature_set, plan.limit,
                         single=single), single
    return to_typed_matrix(records, plan.schema, plan.feature_set, plan.limit,
                           single=single, codes=plan.codes), single


def _numeric_in_order(doc: Any, body: bytes, raw_names: tuple[bytes, ...], limit: float,
                      max_batch: int) -> tuple[Features, bool] | None:
    if type(doc) is not dict or len(doc) != 1:
        return None
    if "records" in doc:
        records, single = doc["records"], False
        if type(records) is not list or not records or len(records) > max_batch:
            return None
    elif "features" in doc:
        records, single = [doc["features"]], True
    else:
        return None
    n, k = len(records), len(raw_names)
    if not _DICT_ONLY.issuperset(map(type, records)) or list(map(len, records)) != [k] * n:
        return None
    # Without escapes every quote in the body delimits a string. The strings must be the
    # shape's key, then each record's k keys in manifest order: as each parsed record
    # holds k distinct keys, that also rules out a duplicated key (which the parse
    # collapsed) and any string value.
    parts = body.split(b'"')
    if parts[1::2] != [_SHAPE_KEYS[single], *raw_names * n]:
        return None
    outside = b"".join(parts[0::2])
    if outside.translate(None, _NUMBER_BODY):
        return None  # true, false, null, NaN or Infinity somewhere
    rows = outside.translate(_ROWS_TABLE, _ROWS_DELETE).decode("ascii")
    if not single:
        rows = rows[1:-1]  # {"records": [...]} -> [[[...]]] -> [[...]]
    if rows.count("[") != n + 1:
        return None  # an array or object where a number belongs
    flat = list(chain.from_iterable(map(dict.values, records)))  # floats, by the above
    X = np.array(flat, dtype=np.float64).reshape(n, k)
    if not np.isfinite(X).all():
        return None
    if limit < FLOAT64_MAX and float(np.abs(X).max()) > limit:
        return None
    return Features(X, flat, rows), single


class _JsonRow(list[float]):
    """A logged row whose repr is JSON (a missing value is ``null``, not ``nan``): the
    request log writes rows with ``repr``, which is JSON for finite floats only."""

    def __repr__(self) -> str:
        return json.dumps([None if v != v else v for v in self])


def to_typed_matrix(records: list[Any], schema: tuple[FeatureField, ...],
                    feature_set: frozenset[str], limit: float, *, single: bool,
                    codes: tuple[dict[str, float], ...] | None = None) -> Features:
    """Records -> float64 matrix by each field's type (categories to their codes, null to
    NaN where allowed), or a 422 naming every bad field."""
    features = tuple(f.name for f in schema)
    if codes is None:
        codes = tuple({c: float(i) for i, c in enumerate(f.categories or ())} for f in schema)
    flat: list[float] = []
    problems: list[Problem] = []
    for index, rec in enumerate(records):
        if type(rec) is not dict or rec.keys() != feature_set:
            raise _diagnose(records, features, feature_set, limit, single)
        where = "" if single else f"record {index}: "
        for spec, code in zip(schema, codes, strict=True):
            value = rec[spec.name]
            number, problem = _typed_value(value, spec, code, where, limit)
            if problem is not None:
                problems.append(Problem(None if single else index, spec.name, *problem))
            flat.append(number)
    if problems:
        raise RequestRejected(
            422, E_INVALID_FEATURES,
            MSG_FEATURES.format(count=len(problems[:MAX_PROBLEMS]),
                                more=" (list truncated)" if len(problems) > MAX_PROBLEMS
                                else "", first=problems[0].message),
            missing=[], extra=[], problems=problems[:MAX_PROBLEMS],
            truncated=len(problems) > MAX_PROBLEMS)
    X = np.array(flat, dtype=np.float64).reshape(len(records), len(features))
    return Features(X, flat)


def _typed_value(value: Any, spec: FeatureField, code: dict[str, float], where: str,
                 limit: float) -> tuple[float, tuple[str, str] | None]:
    name = spec.name
    if value is None:
        if spec.nullable:
            return float("nan"), None
        return 0.0, (P_NULL, f"{where}{name} may not be null (the model was declared "
                             "without missing values for it)")
    if spec.type == "boolean":
        if type(value) is bool:
            return (1.0 if value else 0.0), None
        return 0.0, (P_WRONG_TYPE, f"{where}{name} must be true or false, got {_kind(value)}")
    if spec.type == "categorical":
        if type(value) is not str:
            return 0.0, (P_WRONG_TYPE, f"{where}{name} must be a string (one of its categories), "
                                       f"got {_kind(value)}")
        if value not in code:
            shown = list(code)[:MAX_CATEGORIES_NAMED]
            more = f" and {len(code) - len(shown)} more" if len(code) > len(shown) else ""
            return 0.0, (P_UNKNOWN_CATEGORY, f"{where}{name} is not one of its categories "
                                             f"{shown}{more}")
        return code[value], None
    found = _value_problem(value, name, where, limit)
    return (0.0, found) if found else (float(value), None)


def to_matrix(
    records: list[Any],
    features: tuple[str, ...],
    feature_set: frozenset[str],
    limit: float,
    *,
    single: bool,
) -> Features:
    """Records -> float64 matrix in manifest order, or a 422 naming every bad field."""
    for rec in records:
        if type(rec) is not dict or rec.keys() != feature_set:
            raise _diagnose(records, features, feature_set, limit, single)
    flat = [rec[f] for rec in records for f in features]
    if not _FLOAT_ONLY.issuperset(map(type, flat)):
        raise _diagnose(records, features, feature_set, limit, single)
    X = np.array(flat, dtype=np.float64).reshape(len(records), len(features))
    if not np.isfinite(X).all():
        raise _diagnose(records, features, feature_set, limit, single)
    if limit < FLOAT64_MAX and float(np.abs(X).max()) > limit:
        raise _diagnose(records, features, feature_set, limit, single)
    return Features(X, flat)


def _clip(name: str) -> str:
    return name if len(name) <= MAX_NAME_CHARS else name[: MAX_NAME_CHARS - 1] + "…"


def _kind(value: Any) -> str:
    if isinstance(value, jsonstrict.NonFinite):
        return value.token
    if isinstance(value, jsonstrict.DuplicateKeys):
        return "an object with duplicated keys"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return "a number"


def _value_problem(value: Any, name: str, where: str, limit: float) -> tuple[str, str] | None:
    if isinstance(value, jsonstrict.NonFinite):
        return P_NOT_FINITE, f"{where}{name} must be a finite number, got {value.token}"
    if type(value) is not float:
        return P_NOT_A_NUMBER, f"{where}{name} must be a number, got {_kind(value)}"
    if value != value or value in (float("inf"), float("-inf")):
        return P_NOT_FINITE, f"{where}{name} must be a finite number, got one too large for a float"
    if abs(value) > limit:
        return P_OUT_OF_RANGE, f"{where}{name} is beyond the model's numeric range (±{limit:.3g})"
    return None


def _record_problems(
    rec: Any, index: int | None, features: tuple[str, ...], feature_set: frozenset[str],
    limit: float,
) -> tuple[list[Problem], list[str], list[str]]:
    where = "" if index is None else f"record {index}: "
    if isinstance(rec, jsonstrict.DuplicateKeys):
        return [Problem(index, _clip(k), P_DUPLICATE, f"{where}{_clip(k)} is given more than once")
                for k in rec.keys], [], []
    if type(rec) is not dict:
        return [Problem(index, None, P_NOT_AN_OBJECT,
                        f"{where}a record must be an object of feature values, got {_kind(rec)}")
                ], [], []
    missing = [f for f in features if f not in rec]
    extra = [_clip(k) for k in rec if k not in feature_set]
    problems = [Problem(index, f, P_MISSING, f"{where}{f} is missing") for f in missing]
    problems += [Problem(index, k, P_EXTRA, f"{where}{k} is not a feature of this model")
                 for k in extra]
    for name in features:
        if name in rec:
            found = _value_problem(rec[name], name, where, limit)
            if found:
                problems.append(Problem(index, name, found[0], found[1]))
    return problems, missing, extra


def _diagnose(
    records: list[Any], features: tuple[str, ...], feature_set: frozenset[str], limit: float,
    single: bool,
) -> RequestRejected:
    problems: list[Problem] = []
    missing: dict[str, None] = {}
    extra: dict[str, None] = {}
    truncated = False
    for i, rec in enumerate(records):
        found, miss, more = _record_problems(rec, None if single else i, features, feature_set,
                                             limit)
        missing.update(dict.fromkeys(miss))
        extra.update(dict.fromkeys(more))
        problems.extend(found)
        if len(problems) > MAX_PROBLEMS:
            truncated = True
            problems = problems[:MAX_PROBLEMS]
            break
    ordered_missing = [f for f in features if f in missing]
    message = MSG_FEATURES.format(
        count=f"{len(problems)}+" if truncated else len(problems),
        more=" (list truncated)" if truncated else "",
        first=problems[0].message if problems else "unknown",
    )
    return RequestRejected(
        422, E_INVALID_FEATURES, message,
        missing=ordered_missing[:MAX_NAMES],
        extra=list(extra)[:MAX_NAMES],
        problems=problems,
        truncated=truncated,
    )


def check_probabilities(p: list[float], *, single: bool) -> None:
    """A probability outside [0, 1] (overflow inside the model) is the input's fault: 422.
    (NaN fails both comparisons.)"""
    bad = [i for i, v in enumerate(p) if not 0.0 <= v <= 1.0]
    if bad:
        records = "the record" if single else str(bad[:MAX_NAMES])
        raise RequestRejected(422, E_PREDICTION_OUT_OF_RANGE,
                              MSG_OUT_OF_RANGE.format(records=records))

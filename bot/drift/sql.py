# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The drift statistics as one SQL query, for engines that scale past one machine.

The streaming scan in ``stats`` reads a log line by line in Python; this module writes the
same per-feature statistics (bin counts against the baseline's edges, sums for the served
means, prediction bins, counts) as one aggregate query over a table of log lines, in a
dialect DuckDB runs embedded (reading local files or ``s3://`` objects with
``read_json``), Spark runs over the JSON read with the ``LOG_COLUMNS`` schema
(``spark_statistics``: local mode here, EMR/Glue/Databricks on S3) and Athena/Trino run
over the same JSON in S3 (a table with the ``LOG_COLUMNS`` columns; see
docs/drift-at-scale.md). One pass over the data (Spark: a second, narrow one for the
other versions' counts), aggregates only, so memory does not grow with the log.

Bin counts are identical to the streaming scan's: a numeric value's bin is the number of
inner edges at or below it (``searchsorted(side='right')``), a category's (or boolean's,
or predicted class's) bin is its code by exact equality, the rest of the present values
are "other/unseen", and a missing value (JSON ``null``) is in no bin (a feature's rows
minus its present values is its missing count). Each edge is written as an exact double
literal (``repr`` with an exponent, so no engine reads it as a DECIMAL), and both sides
parse the logged shortest-repr floats to the same doubles. The KS sample is the
``RESERVOIR_SIZE`` feature rows with the smallest hash of (request id, row number):
uniform, repeatable and mergeable across workers, but not the streaming scan's reservoir,
so KS p-values agree in distribution, not bit for bit.

What the SQL engines do not do that the streaming scan does: explain malformed lines one
by one (they are counted), reorder rows logged under a permutation of the feature names
(those rows are left out and counted), and refuse lines whose values have the wrong JSON
type but convert cleanly (``"status": 200.0``). The serving logger writes none of these.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from modelgate.bot.drift.stats import (
    RESERVOIR_SIZE,
    Baseline,
    Bins,
    DriftInputError,
    LogCounts,
    present_means,
)

Dialect = Literal["duckdb", "trino", "spark"]
EVENT_REQUEST = "request"  # modelgate.serving.logs constants, repeated so the SQL is self-contained
EVENT_FEATURES = "request.features"
# the columns a log table (or DuckDB's read_json) exposes, with their DuckDB types
LOG_COLUMNS: dict[str, str] = {
    "timestamp": "VARCHAR",
    "event": "VARCHAR",
    "request_id": "VARCHAR",
    "status": "BIGINT",
    "model_name": "VARCHAR",
    "model_version": "VARCHAR",
    "validation": "VARCHAR",
    "predictions": "BIGINT[]",
    "probabilities": "DOUBLE[]",
    "values": "DOUBLE[]",
    "feature_names": "VARCHAR[]",
    "features": "DOUBLE[][]",
    "features_chunks": "BIGINT",
    "chunk": "BIGINT",
}
# DuckDB keeps these as their (minified) JSON text, compared as one string
DUCKDB_TEXT_COLUMNS = {"feature_names": "VARCHAR"}
SPARK_TYPES = {"VARCHAR": "STRING", "BIGINT": "BIGINT", "BIGINT[]": "ARRAY<BIGINT>",
               "DOUBLE[]": "ARRAY<DOUBLE>", "VARCHAR[]": "ARRAY<STRING>",
               "DOUBLE[][]": "ARRAY<ARRAY<DOUBLE>>"}
TRINO_TYPES = {"VARCHAR": "varchar", "BIGINT": "bigint", "BIGINT[]": "array(bigint)",
               "DOUBLE[]": "array(double)", "VARCHAR[]": "array(varchar)",
               "DOUBLE[][]": "array(array(double))"}
# how each dialect hashes (request id, row number) for the sample, and reads a timestamp
SAMPLE_KEY = {
    "duckdb": "hash(request_id, chunk, ord)",
    "trino": "xxhash64(to_utf8(coalesce(request_id, '') || ':' || "
             "cast(coalesce(chunk, 0) AS varchar) || ':' || cast(ord AS varchar)))",
    "spark": "xxhash64(request_id, chunk, ord)",
}
LIST_MIN_MAX = {"duckdb": ("list_min", "list_max"), "trino": ("array_min", "array_max"),
                "spark": ("array_min", "array_max")}
INSTANT = {
    "duckdb": "TRY_CAST(timestamp AS TIMESTAMPTZ)",
    "trino": "try(from_iso8601_timestamp(timestamp))",
    "spark": "try_cast(`timestamp` AS TIMESTAMP)",
}
# ``values`` is a reserved word in every dialect: always quoted (Spark quotes names with
# backticks; its double quotes make a string)
VALUES_COLUMN = {"duckdb": '"values"', "trino": '"values"', "spark": "`values`"}
# the record's binned prediction, per baseline prediction kind
PREDICTED = {"p_positive": "p", "class": "CAST(y AS DOUBLE)", "value": "v"}
MALFORMED_NO_EVENT = "no event (not JSON, or not a request log line)"
MALFORMED_BAD = "scored request whose predictions or features do not fit"
DUCKDB_MEMORY_LIMIT = "192MB"
MSG_NO_FILES = "no log files given to the DuckDB engine"
MSG_DUCKDB = "DuckDB could not read the logs: {detail}"
MSG_NO_FILES_SPARK = "no log files given to the Spark engine"
MSG_SPARK = "Spark could not read the logs: {detail}"


def literal(value: float) -> str:
    """An exact DOUBLE literal in every dialect (shortest repr, always with an exponent)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite edge: {value!r}")
    text = repr(float(value))
    return text if "e" in text else f"{text}e0"


def _text(value: str, dialect: Dialect = "duckdb") -> str:
    """A string literal. Spark reads backslash escapes in literals (and no doubled quote),
    so there both are escaped with a backslash."""
    if dialect == "spark":
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return "'" + value.replace("'", "''") + "'"


def _names(names: Sequence[str], dialect: Dialect) -> str:
    items = ", ".join(_text(n, dialect) for n in names)
    return f"array({items})" if dialect == "spark" else f"ARRAY[{items}]"


def _at(array: str, index: int, dialect: Dialect) -> str:
    """The 1-based ``index``-th element (Spark's ``[]`` counts from 0)."""
    return f"element_at({array}, {index})" if dialect == "spark" else f"{array}[{index}]"


def names_json(names: Sequence[str]) -> str:
    """The feature names as the serving logger writes them (and DuckDB re-serialises them)."""
    return json.dumps(list(names), separators=(",", ":"), ensure_ascii=False)


def _exploded(source: str, dialect: Dialect, where: str, flags: str) -> str:
    """One row per served record: the line's flags, ``ord`` (0 for the line's first row,
    so line-level counts look at ``ord = 0`` only), and the record's probability ``p``,
    prediction ``y``, regression value ``v`` and feature row ``r`` zipped (NULL where a list
    is shorter). A line with no list still gives one row."""
    values = VALUES_COLUMN[dialect]
    width = ("greatest(coalesce(cardinality(probabilities), 0), "
             f"coalesce(cardinality({values}), 0), coalesce(cardinality(features), 0), 1)")
    if dialect == "spark":
        # the flags once per line, then one row per position; try_element_at is NULL past
        # a list's end (as UNNEST pads a shorter list)
        at = {c: f"try_element_at({a}, ord + 1)" for c, a in
              (("p", "probabilities"), ("y", "predictions"), ("v", values), ("r", "features"))}
        return (f"SELECT line.*, ord, {at['p']} AS p, {at['y']} AS y, {at['v']} AS v, "  # nosec B608
                f"{at['r']} AS r FROM (SELECT {flags}, probabilities, predictions, "
                f"{values}, features FROM {source} WHERE {where}) AS line "
                f"LATERAL VIEW explode(sequence(0, {width} - 1)) positions AS ord")
    if dialect == "duckdb":
        # nosec B608 below: every value in this SQL is a literal quoted by _text or a
        # number this module computed; no text reaches it unquoted
        return (f"SELECT {flags}, unnest(range(CAST({width} AS BIGINT))) AS ord, "  # nosec B608
                "unnest(probabilities) AS p, unnest(predictions) AS y, "
                f"unnest({values}) AS v, unnest(features) AS r "
                f"FROM {source} WHERE {where}")
    return (f"SELECT {flags}, ord, p, y, v, r FROM {source} CROSS JOIN UNNEST("  # nosec B608
            f"sequence(0, {width} - 1), probabilities, predictions, {values}, features) "
            f"AS t(ord, p, y, v, r) WHERE {where}")


def statistics_sql(baseline: Baseline, *, source: str, model_name: str, model_version: str,
                   dialect: Dialect = "duckdb", since: datetime | None = None,
                   until: datetime | None = None, sample_size: int = RESERVOIR_SIZE) -> str:
    """One query, one pass over the lines, one result row: the counts, the prediction bins
    and sums, and per feature its bins (as counts at or above each edge), sum, and the
    sample. ``source`` is a table expression with the ``LOG_COLUMNS`` columns.

    Spark has no ``histogram`` aggregate: its row has no ``other_versions``, which
    :func:`other_versions_sql` counts instead."""
    n = len(baseline.features)
    name, version = _text(model_name, dialect), _text(model_version, dialect)
    window = _window(dialect, since, until)
    # per line, computed once: what the line is (the streaming scan's categories)
    ours = f"(model_version = {version} AND coalesce(model_name, {name}) = {name})"
    request = f"(event = {_text(EVENT_REQUEST, dialect)})"
    n_probs, n_preds = "cardinality(probabilities)", "cardinality(predictions)"
    low, high = LIST_MIN_MAX[dialect]
    kind = baseline.prediction_kind
    n_out = f"cardinality({VALUES_COLUMN[dialect]})" if kind == "value" else n_probs
    names_ok = (f"feature_names = {_names(baseline.names, dialect)}" if dialect != "duckdb"
                # DuckDB reads the names as their JSON text (DUCKDB_TEXT_COLUMNS): one string
                # comparison per line instead of parsing and comparing a list of strings
                else f"feature_names = {_text(names_json(baseline.names))}")
    # a scored line whose features do not fit is malformed as a whole, as in the scan
    if kind == "value":
        outputs = f"{n_out} > 0"
    else:
        outputs = (f"{n_probs} > 0 AND {n_probs} = {n_preds} "
                   f"AND {low}(probabilities) >= 0 AND {high}(probabilities) <= 1 "
                   f"AND {low}(predictions) >= 0"
                   + (f" AND {high}(predictions) <= 1" if kind == "p_positive" else ""))
    scored = (f"({request} AND {ours} AND validation = 'passed' AND status >= 200 "
              f"AND status < 300 AND {outputs} "
              f"AND (features IS NULL OR ({names_ok} AND cardinality(features) = {n_out})))")
    chunk = f"(event = {_text(EVENT_FEATURES, dialect)} AND model_version = {version})"
    # answered and passed, yet not scorable: the scan calls such a line malformed
    answered = (f"({request} AND {ours} AND validation = 'passed' AND status >= 200 "
                "AND status < 300)")
    flags = ", ".join([
        f"coalesce({scored}, FALSE) AS is_scored",
        f"coalesce({request} AND {ours} AND NOT ({answered} AND NOT {scored}), FALSE) "
        "AS is_ours",
        f"coalesce({answered} AND NOT {scored}, FALSE) AS is_bad",
        f"coalesce({request} AND {ours} AND validation = 'rejected', FALSE) AS is_rejected",
        f"coalesce({request} AND {ours} AND coalesce(validation, '') <> 'rejected' "
        f"AND NOT coalesce({scored}, FALSE) AND status >= 500, FALSE) AS is_errored",
        "event IS NULL AS no_event",
        f"coalesce(event NOT IN ({_text(EVENT_REQUEST, dialect)}, "
        f"{_text(EVENT_FEATURES, dialect)}), FALSE) "
        "AS other_event",
        f"coalesce({request} AND model_version IS NULL, FALSE) AS no_model",
        f"{_other_version(model_name, model_version, dialect)} AS other_version",
        f"coalesce({scored} AND features IS NULL AND features_chunks IS NULL, FALSE) "
        "AS without_features",
        f"coalesce({names_ok} AND (({scored} AND cardinality(features) = {n_out}) OR "
        f"{chunk}), FALSE) AS rows_ok",
        f"CASE WHEN {scored} THEN {n_out} ELSE 0 END AS n_scored",
        "`timestamp`" if dialect == "spark" else "timestamp", "request_id", "chunk",
    ])
    exploded = _exploded(source, dialect, window, flags)
    kept = (f"SELECT ord, is_scored, is_ours, is_rejected, is_errored, no_event, other_event, "  # nosec B608
            f"is_bad, no_model, other_version, without_features, n_scored, timestamp, "
            f"CASE WHEN is_scored THEN {PREDICTED[kind]} END AS p, "
            "CASE WHEN is_scored THEN y END AS y, "
            f"CASE WHEN rows_ok AND cardinality(r) = {n} THEN r END AS r, "
            f"CASE WHEN rows_ok AND cardinality(r) = {n} THEN {SAMPLE_KEY[dialect]} END AS k "
            f"FROM ({exploded}) AS exploded")
    first = "ord = 0"
    aggs = [
        f"count_if({first}) AS lines",
        f"count_if({first} AND no_event) AS no_event",
        f"count_if({first} AND is_bad) AS bad_lines",
        f"count_if({first} AND other_event) AS other_events",
        f"count_if({first} AND no_model) AS no_model",
        *([] if dialect == "spark" else
          [f"histogram(CASE WHEN {first} THEN other_version END) AS other_versions"]),
        f"count_if({first} AND is_ours) AS requests",
        f"count_if({first} AND is_rejected) AS rejected",
        f"count_if({first} AND is_errored) AS errored",
        f"count_if({first} AND is_scored) AS scored_requests",
        f"SUM(CASE WHEN {first} THEN n_scored ELSE 0 END) AS scored_records",
        f"count_if({first} AND without_features) AS without_features",
        f"MIN(CASE WHEN {first} AND is_scored THEN timestamp END) AS first_seen",
        f"MAX(CASE WHEN {first} AND is_scored THEN timestamp END) AS last_seen",
        "COUNT(p) AS records",
        "SUM(p) AS pred_sum",
        "SUM(y) AS positives",
    ]
    aggs += _bin_counts("p", baseline.prediction, "p")
    aggs.append("COUNT(r) AS feature_rows")
    for j, feature in enumerate(baseline.features):
        col = _at("r", j + 1, dialect)
        aggs += _bin_counts(col, feature.bins, f"{j}_")
        aggs += [f"COUNT({col}) AS present_{j}", f"SUM({col}) AS sum_{j}"]
    if sample_size > 0:
        aggs.append(f"min_by(r, k, {int(sample_size)}) AS sample")
    return "SELECT\n  " + ",\n  ".join(aggs) + f"\nFROM ({kept}) AS records\n"


def _window(dialect: Dialect, since: datetime | None, until: datetime | None) -> str:
    """The lines logged within the window (every line when it is open)."""
    window = ["TRUE"]
    for bound, op in ((since, ">="), (until, "<=")):
        if bound is not None:
            text = _text(bound.isoformat(), dialect)
            value = {"trino": f"from_iso8601_timestamp({text})",
                     "spark": f"CAST({text} AS TIMESTAMP)"}.get(
                         dialect, f"CAST({text} AS TIMESTAMPTZ)")
            window.append(f"{INSTANT[dialect]} {op} {value}")
    return " AND ".join(window)


def _other_version(model_name: str, model_version: str, dialect: Dialect) -> str:
    """A request line's model version when it is not ours (with the model's name when that
    differs too), else NULL."""
    name, version = _text(model_name, dialect), _text(model_version, dialect)
    ours = f"(model_version = {version} AND coalesce(model_name, {name}) = {name})"
    return (f"CASE WHEN event = {_text(EVENT_REQUEST, dialect)} AND model_version IS NOT NULL "
            f"AND NOT {ours} THEN (CASE WHEN coalesce(model_name, {name}) = {name} THEN "
            "model_version ELSE model_name || ' ' || model_version END) END")


def other_versions_sql(*, source: str, model_name: str, model_version: str,
                       dialect: Dialect = "spark", since: datetime | None = None,
                       until: datetime | None = None) -> str:
    """The request lines per other model version, one row each (``other_version``,
    ``lines``): the ``histogram`` Spark lacks. Grouping the statistics query itself by the
    version instead costs Spark three times as much (a hash aggregate of some 400 buffers
    per group); this second pass reads four short columns."""
    other = _other_version(model_name, model_version, dialect)
    return (f"SELECT other_version, COUNT(*) AS lines FROM (SELECT {other} AS other_version "  # nosec B608
            f"FROM {source} WHERE {_window(dialect, since, until)}) AS line "
            "WHERE other_version IS NOT NULL GROUP BY other_version")


def _bin_counts(column: str, bins: Bins, key: str) -> list[str]:
    """Numeric bins: values at or above each edge (``ge``); categories: values equal to
    each code (``eq``). NULL (missing) is counted by neither."""
    if bins.codes is not None:
        return [f"count_if({column} = {literal(float(c))}) AS eq{key}{i}"
                for i, c in enumerate(bins.codes)]
    return [f"count_if({column} >= {literal(float(e))}) AS ge{key}{i}"
            for i, e in enumerate(bins.edges)]


def _bins_from_row(bins: Bins, total: int, num: Callable[[str], int],
                   key: str) -> NDArray[np.int64]:
    """The query's per-bin aggregates -> counts per bin over ``total`` present values."""
    if bins.codes is not None:
        eq = [num(f"eq{key}{i}") for i in range(len(bins.codes))]
        return np.array([*eq, total - sum(eq)], dtype=np.int64)
    return _bins_from_ge(total, [num(f"ge{key}{i}") for i in range(len(bins.edges))])


def trino_table_ddl(table: str, location: str) -> str:
    """An external table over the JSON log lines in S3, for Athena (Hive JSON SerDe)."""
    cols = ",\n  ".join(f"`{c}` {TRINO_TYPES[t]}" for c, t in LOG_COLUMNS.items())
    return (f"CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n  {cols}\n)\n"
            "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
            "WITH SERDEPROPERTIES ('ignore.malformed.json' = 'true')\n"
            f"LOCATION {_text(location)}")


def duckdb_source(paths: Sequence[str]) -> str:
    """``read_json`` over the files (or ``s3://`` URLs) with the log's columns typed, so
    lines of other shapes read as NULLs and a malformed line counts instead of failing."""
    files = "[" + ", ".join(_text(p) for p in paths) + "]"
    types = {**LOG_COLUMNS, **DUCKDB_TEXT_COLUMNS}
    columns = "{" + ", ".join(f"{_text(c)}: {_text(t)}" for c, t in types.items()) + "}"
    return (f"read_json({files}, format = 'newline_delimited', ignore_errors = true, "
            f"columns = {columns}, maximum_object_size = 16777216)")


@dataclass(frozen=True)
class SqlStatistics:
    """The query's result, seen through the same methods ``stats.assess`` reads from a
    streaming scan."""

    baseline: Baseline
    _counts: LogCounts
    _feature_counts: tuple[NDArray[np.int64], ...]
    _feature_sums: NDArray[np.float64]
    _prediction_counts: NDArray[np.int64]
    _prediction_sum: float
    _positives: int
    _sample: NDArray[np.float64]

    def counts(self) -> LogCounts:
        return self._counts

    def sample(self) -> NDArray[np.float64]:
        return self._sample

    def feature_counts(self) -> list[NDArray[np.int64]]:
        return [c.copy() for c in self._feature_counts]

    def feature_means(self) -> NDArray[np.float64]:
        return present_means(self._feature_sums, self._feature_counts)

    def prediction_counts(self) -> NDArray[np.int64]:
        return self._prediction_counts.copy()

    def prediction_mean(self) -> float | None:
        records = self._counts.scored_records
        return self._prediction_sum / records if records else None

    def positive_rate(self) -> float | None:
        records = self._counts.scored_records
        if self.baseline.prediction_kind != "p_positive":
            return None
        return self._positives / records if records else None


def _bins_from_ge(total: int, ge: Sequence[int]) -> NDArray[np.int64]:
    """Counts at or above each edge -> counts per bin (k edges, k + 1 bins)."""
    bounds = [total, *ge, 0]
    return np.array([bounds[i] - bounds[i + 1] for i in range(len(ge) + 1)], dtype=np.int64)


def from_row(baseline: Baseline, row: dict[str, Any],
             other_versions: dict[str, int]) -> SqlStatistics:
    """Turn the query's one row into statistics (and the counts report)."""
    def num(key: str) -> int:
        return int(row.get(key) or 0)

    n = len(baseline.features)
    feature_rows = num("feature_rows")
    feature_counts = tuple(_bins_from_row(f.bins, num(f"present_{j}"), num, f"{j}_")
                           for j, f in enumerate(baseline.features))
    sums = np.array([float(row.get(f"sum_{j}") or 0.0) for j in range(n)])
    records = num("records")
    pred = _bins_from_row(baseline.prediction, records, num, "p")
    sample_rows = row.get("sample") or []
    sample = (np.asarray(sample_rows, dtype=np.float64).reshape(-1, n) if sample_rows
              else np.empty((0, n)))
    sample = sample[np.lexsort(sample.T[::-1])] if len(sample) else sample  # engine order
    requests = num("requests")
    scored = num("scored_requests")
    rejected, errored = num("rejected"), num("errored")
    counts = LogCounts(
        lines=num("lines"), blank=0, platform=0, malformed=num("no_event") + num("bad_lines"),
        malformed_by_reason={k: v for k, v in ((MALFORMED_NO_EVENT, num("no_event")),
                                               (MALFORMED_BAD, num("bad_lines"))) if v},
        problems=(), other_events=num("other_events"), outside_window=0,
        no_model=num("no_model"), other_versions=other_versions, requests=requests,
        rejected=rejected, errored=errored,
        not_scored=max(requests - scored - rejected - errored, 0),
        scored_requests=scored, scored_records=num("scored_records"), feature_rows=feature_rows,
        without_features=num("without_features"), incomplete_chunked=0,
        first_seen=row.get("first_seen"), last_seen=row.get("last_seen"))
    return SqlStatistics(baseline, counts, feature_counts, sums, pred,
                         float(row.get("pred_sum") or 0.0), num("positives"), sample)


def duckdb_statistics(paths: Sequence[str | Path], baseline: Baseline, *, model_name: str,
                      model_version: str, since: datetime | None = None,
                      until: datetime | None = None, sample_size: int = RESERVOIR_SIZE,
                      threads: int | None = None,
                      memory_limit: str = DUCKDB_MEMORY_LIMIT) -> SqlStatistics:
    """The statistics of log files (or ``s3://`` objects) computed by embedded DuckDB."""
    import duckdb

    if not paths:
        raise DriftInputError(MSG_NO_FILES)
    source = duckdb_source([str(p) for p in paths])
    conn = duckdb.connect(config={"memory_limit": memory_limit,
                                  **({"threads": threads} if threads else {})})
    try:
        cursor = conn.execute(statistics_sql(
            baseline, source=source, model_name=model_name, model_version=model_version,
            since=since, until=until, sample_size=sample_size))
        names = [d[0] for d in cursor.description or ()]
        values = cursor.fetchone()
    except duckdb.Error as exc:
        raise DriftInputError(MSG_DUCKDB.format(detail=str(exc).splitlines()[0])) from exc
    finally:
        conn.close()
    row = dict(zip(names, values or (), strict=False))
    others = row.get("other_versions") or {}
    return from_row(baseline, row, {str(k): int(v) for k, v in sorted(dict(others).items())})


def spark_schema() -> str:
    """The log's columns as a Spark DDL schema, so ``spark.read.json`` infers no type:
    a line of another shape reads as NULLs, as in DuckDB and Athena."""
    return ", ".join(f"`{c}` {SPARK_TYPES[t]}" for c, t in LOG_COLUMNS.items())


def spark_statistics(spark: Any, paths: Sequence[str | Path], baseline: Baseline, *,
                     model_name: str, model_version: str, since: datetime | None = None,
                     until: datetime | None = None,
                     sample_size: int = RESERVOIR_SIZE) -> SqlStatistics:
    """The statistics of log files computed by Spark: local paths, or ``s3a://`` prefixes
    on a cluster whose Hadoop has the S3A connector (EMR, Glue, Databricks). ``spark`` is
    a ``SparkSession``; pyspark is imported here only, so the rest of modelgate runs
    without it."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    if not paths:
        raise DriftInputError(MSG_NO_FILES_SPARK)
    view = f"modelgate_drift_{uuid.uuid4().hex}"
    # NULL (not -1) for the size of a missing list, whatever the session's ANSI setting
    size_of_null = spark.conf.get("spark.sql.legacy.sizeOfNull", None)
    spark.conf.set("spark.sql.legacy.sizeOfNull", "false")
    try:
        frame = (spark.read.schema(spark_schema()).option("mode", "PERMISSIVE")
                 .json([str(p) for p in paths]))
        frame.createOrReplaceTempView(view)
        query = statistics_sql(baseline, source=view, model_name=model_name,
                               model_version=model_version, dialect="spark", since=since,
                               until=until, sample_size=sample_size)
        row = spark.sql(query).collect()[0].asDict(recursive=True)
        versions = spark.sql(other_versions_sql(
            source=view, model_name=model_name, model_version=model_version, since=since,
            until=until)).collect()
    except (PySparkException, Py4JError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DriftInputError(MSG_SPARK.format(detail=detail)) from exc
    finally:
        spark.catalog.dropTempView(view)
        if size_of_null is None:
            spark.conf.unset("spark.sql.legacy.sizeOfNull")
        else:
            spark.conf.set("spark.sql.legacy.sizeOfNull", size_of_null)
    others = {str(r["other_version"]): int(r["lines"]) for r in versions}
    return from_row(baseline, row, dict(sorted(others.items())))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The SQL engine (DuckDB embedded; the same query for Athena/Trino) gives the streaming
scan's statistics on the same log: identical bin counts, counts and means."""

from __future__ import annotations

import gzip
from datetime import timedelta
from pathlib import Path

import boto3
import numpy as np
import pytest
from moto import mock_aws

from modelgate.bot.drift import sql
from modelgate.bot.drift.stats import (
    Baseline,
    DriftInputError,
    LogScan,
    ModelVersionRef,
    Reference,
    SourceInfo,
    assess,
    file_lines,
    s3_lines,
    s3_objects,
)
from modelgate.governance import DriftSection
from tests.drift.log_support import (
    MODEL,
    NAMES,
    START,
    VERSION,
    assert_agree,
    assert_typed_agree,
    make_baseline,
    typed_baseline,
    write_log,
    write_typed_log,
)

BUCKET = "modelgate-serving-logs"


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Baseline, Path]:
    rng = np.random.default_rng(11)
    baseline = make_baseline(rng)
    return baseline, write_log(tmp_path_factory.mktemp("sql") / "serving.log", baseline, rng)


def test_duckdb_gives_the_streaming_scans_bin_counts(case: tuple[Baseline, Path]) -> None:
    """Same log, both engines: identical feature and prediction bin counts, identical
    request counts, the same means up to summation order."""
    baseline, log = case
    scan = LogScan(baseline, model_name=MODEL, model_version=VERSION)
    scan.feed(str(log), file_lines(log))
    stats = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION)
    assert_agree(scan, stats)


def test_the_verdict_reads_either_engine(case: tuple[Baseline, Path]) -> None:
    """``assess`` takes the SQL statistics as it takes a scan: same PSI per feature."""
    baseline, log = case
    model = ModelVersionRef(MODEL, VERSION, "run")
    kwargs = {"source": SourceInfo("files", (str(log),)), "reference": Reference(None, "none"),
              "generated_at": START, "threshold": 0.5}
    scan = LogScan(baseline, model_name=MODEL, model_version=VERSION)
    scan.feed(str(log), file_lines(log))
    streamed = assess(scan, model, DriftSection(), **kwargs)  # type: ignore[arg-type]
    queried = assess(sql.duckdb_statistics([log], baseline, model_name=MODEL,
                                           model_version=VERSION),
                     model, DriftSection(), **kwargs)  # type: ignore[arg-type]
    assert [f.psi for f in streamed.features] == [f.psi for f in queried.features]
    assert streamed.outcome == queried.outcome


def test_the_sample_is_repeatable_and_capped(case: tuple[Baseline, Path]) -> None:
    """The KS sample: the rows with the smallest hash, the same on every run."""
    baseline, log = case
    one = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION,
                                sample_size=100).sample()
    two = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION,
                                sample_size=100, threads=1).sample()
    assert one.shape == (100, len(NAMES)) and np.array_equal(one, two)


def test_edges_are_exact_double_literals() -> None:
    """Every edge reads back as the same double, and never as a DECIMAL."""
    rng = np.random.default_rng(3)
    for value in [0.1, 1.0, -2.5e-300, 123456789.123, *rng.normal(size=200).tolist()]:
        text = sql.literal(value)
        assert float(text) == value and "e" in text
    with pytest.raises(ValueError):
        sql.literal(float("nan"))


def test_the_trino_query_keeps_to_trino_functions(case: tuple[Baseline, Path]) -> None:
    """The Athena/Trino form: UNNEST in FROM, Trino's names for list functions and the
    table's DDL over S3."""
    baseline, _ = case
    query = sql.statistics_sql(baseline, source="logs.requests", model_name=MODEL,
                               model_version=VERSION, dialect="trino",
                               since=START, until=START + timedelta(days=30))
    assert "CROSS JOIN UNNEST(sequence(0," in query and "xxhash64" in query
    assert "from_iso8601_timestamp" in query and "array_min(probabilities)" in query
    for duckdb_only in ("list_min", "list_max", "range(", "unnest(probabilities)", "TRY_CAST"):
        assert duckdb_only not in query
    ddl = sql.trino_table_ddl("logs.requests", "s3://bucket/serving/")
    assert "array(array(double))" in ddl and "s3://bucket/serving/" in ddl


def test_the_streaming_scan_reads_logs_firehose_wrote_to_s3(
        case: tuple[Baseline, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Logs delivered to S3 (gzip parts, as Firehose writes them, and a plain one) are
    streamed object by object and give the local file's bin counts."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    baseline, log = case
    lines = log.read_bytes().splitlines(keepends=True)
    third = len(lines) // 3
    parts = [gzip.compress(b"".join(lines[:third])),
             gzip.compress(b"".join(lines[third:2 * third])), b"".join(lines[2 * third:])]
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        for i, body in enumerate(parts):
            client.put_object(Bucket=BUCKET, Key=f"serving/m/2026/05/01/part-{i}.gz", Body=body)
        keys = s3_objects(client, BUCKET, "serving/m/")
        from_s3 = LogScan(baseline, model_name=MODEL, model_version=VERSION)
        for key in keys:
            from_s3.feed(f"s3://{BUCKET}/{key}", s3_lines(client, BUCKET, key))
        with pytest.raises(DriftInputError, match="no objects"):
            s3_objects(client, BUCKET, "elsewhere/")
    local = LogScan(baseline, model_name=MODEL, model_version=VERSION)
    local.feed(str(log), file_lines(log))
    assert keys == sorted(keys) and len(keys) == 3
    for ours, theirs in zip(local.feature_counts(), from_s3.feature_counts(), strict=True):
        assert ours.tolist() == theirs.tolist()
    assert local.counts().scored_records == from_s3.counts().scored_records


# --- typed features (missing values, categories, booleans) and every task's prediction ----

@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_both_engines_bin_typed_features_and_every_tasks_prediction_alike(
        tmp_path: Path, task: str) -> None:
    """Missing values counted apart (in no bin), categories and booleans by code with an
    other/unseen bin, and the task's prediction (P(positive), the class, the value):
    identical bin counts from the streaming scan and DuckDB, and the same verdict."""
    rng = np.random.default_rng(21)
    baseline = typed_baseline(task, rng)
    assert [f.kind for f in baseline.features] == ["numeric", "numeric", "categorical",
                                                   "boolean"]
    assert baseline.prediction_kind == {"binary": "p_positive", "multiclass": "class",
                                        "regression": "value"}[task]
    log = write_typed_log(tmp_path / "serving.log", baseline, task, rng)
    scan = LogScan(baseline, model_name=MODEL, model_version=VERSION)
    scan.feed(str(log), file_lines(log))
    stats = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION)
    assert_typed_agree(baseline, task, log, scan, stats)


def test_the_trino_query_reads_regression_values_and_categories() -> None:
    """The Trino form of the typed query: the quoted ``values`` column and code equality."""
    baseline = typed_baseline("regression", np.random.default_rng(2))
    query = sql.statistics_sql(baseline, source="logs.requests", model_name=MODEL,
                               model_version=VERSION, dialect="trino")
    assert 'cardinality("values")' in query and "r[3] = 0.0e0" in query
    assert "COUNT(r[1]) AS present_0" in query
    assert "`values` array(double)" in sql.trino_table_ddl("t", "s3://b/p/")

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The SQL engine (DuckDB embedded; the same query for Athena/Trino) gives the streaming
scan's statistics on the same log: identical bin counts, counts and means."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime, timedelta
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
from modelgate.serving.logs import ModelRef, RequestLogger, RequestRecord
from modelgate.serving.manifest import FeatureField
from modelgate.serving.schemas import api_value
from modelgate.serving.validation import to_matrix, to_typed_matrix
from modelgate.training.baseline import feature_baseline

NAMES = tuple(f"f{j}" for j in range(6))
MODEL, VERSION = "m", "3"
START = datetime(2026, 5, 1, tzinfo=UTC)
BUCKET = "modelgate-serving-logs"


def _baseline(rng: np.random.Generator) -> Baseline:
    X = np.round(rng.normal(size=(400, len(NAMES))), 3)  # repeated values: edges in the data
    p = rng.uniform(size=400)
    return Baseline.from_json(feature_baseline(X, NAMES, p), "test")


def _log(path: Path, baseline: Baseline, rng: np.random.Generator) -> Path:
    """Everything the serving logger writes, plus what a damaged log holds."""
    tick = iter(range(10**6))
    lines: list[str] = []
    logger = RequestLogger(lines.append, lambda: START + timedelta(seconds=next(tick)),
                           log_features=True)
    edges = np.array([f.bins.edges for f in baseline.features]).T  # values exactly on edges
    pool = np.vstack([np.round(rng.normal(size=(300, len(NAMES))), 3), edges])

    def request(rows: np.ndarray, *, version: str = VERSION, status: int = 200,
                validation: str = "passed") -> None:
        rec = RequestRecord(f"r{len(lines)}", "POST", "/predict", ModelRef(MODEL, version, "p"))
        rec.status, rec.validation = status, validation
        if validation == "passed":
            rec.probabilities = [float(v) for v in rng.uniform(size=len(rows))]
            rec.predictions = [int(v >= 0.5) for v in rec.probabilities]
            rec.feature_names = NAMES
            rec.features = to_matrix([dict(zip(NAMES, r, strict=True)) for r in rows.tolist()],
                                     NAMES, frozenset(NAMES), float("inf"), single=False)
        logger.request(rec, 1.0)

    for i in range(len(pool)):
        request(pool[i:i + 1])
    request(pool[:40])  # a batch on one line
    request(np.vstack([pool] * 25))  # past LINE_LIMIT: features on request.features lines
    request(pool[:5], version="2")  # another version
    request(pool[:1], status=422, validation="rejected")
    request(pool[:1], status=500, validation="error")
    wrong = json.loads(lines[0])
    wrong["feature_names"] = ["x", *NAMES[1:]]
    bad_prob = json.loads(lines[1])
    bad_prob["probabilities"] = [1.5]
    lines += ["{not json", "[1, 2]", json.dumps(wrong), json.dumps(bad_prob),
              '{"event": "health", "status": 200}']
    random.Random(5).shuffle(lines)  # order must not matter (chunks may precede requests)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Baseline, Path]:
    rng = np.random.default_rng(11)
    baseline = _baseline(rng)
    return baseline, _log(tmp_path_factory.mktemp("sql") / "serving.log", baseline, rng)


def test_duckdb_gives_the_streaming_scans_bin_counts(case: tuple[Baseline, Path]) -> None:
    """Same log, both engines: identical feature and prediction bin counts, identical
    request counts, the same means up to summation order."""
    baseline, log = case
    scan = LogScan(baseline, model_name=MODEL, model_version=VERSION)
    scan.feed(str(log), file_lines(log))
    stats = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION)
    for ours, theirs in zip(scan.feature_counts(), stats.feature_counts(), strict=True):
        assert ours.tolist() == theirs.tolist()
    assert scan.prediction_counts().tolist() == stats.prediction_counts().tolist()
    a, b = scan.counts(), stats.counts()
    for key in ("requests", "rejected", "errored", "scored_requests", "scored_records",
                "feature_rows", "other_versions", "first_seen", "last_seen"):
        assert getattr(a, key) == getattr(b, key), key
    assert a.feature_rows > 2000 and a.other_versions == {"2": 1}
    np.testing.assert_allclose(scan.feature_means(), stats.feature_means(), rtol=1e-12)
    assert scan.positive_rate() == stats.positive_rate()
    assert stats.sample().shape == scan.sample().shape == (5000, len(NAMES))


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

TYPED = (FeatureField(name="amount", nullable=True), FeatureField(name="x"),
         FeatureField(name="grade", type="categorical", categories=("a", "b", "c"),
                      nullable=True),
         FeatureField(name="flag", type="boolean"))
TYPED_NAMES = tuple(f.name for f in TYPED)
CLASSES = ("alpha", "beta", "gamma")


def _typed_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    """Coded rows as training encodes them: NaN for missing, category codes, 0/1."""
    X = np.column_stack([np.round(rng.normal(100, 20, n), 2), np.round(rng.normal(size=n), 3),
                         rng.integers(0, 3, n).astype(float), (rng.random(n) < 0.3) * 1.0])
    X[rng.random(n) < 0.1, 0] = np.nan
    X[rng.random(n) < 0.05, 2] = np.nan
    return X


def _typed_baseline(task: str, rng: np.random.Generator) -> Baseline:
    X = _typed_rows(rng, 500)
    scores = (rng.dirichlet(np.ones(3), 500) if task == "multiclass"
              else np.round(rng.normal(20, 5, 500), 2) if task == "regression"
              else rng.uniform(size=500))
    doc = feature_baseline(X, TYPED_NAMES, scores, task=task, categories={"grade": ("a", "b", "c")})
    return Baseline.from_json(doc, "test", types={f.name: f.type for f in TYPED},
                              class_names=CLASSES if task == "multiclass" else ())


def _typed_log(path: Path, baseline: Baseline, task: str, rng: np.random.Generator) -> Path:
    """The serving logger's lines for typed records (nulls, categories, booleans), the
    task's outputs, values on the numeric edges, a chunked batch, and hand-edited lines
    with a code no category has (what the scan and SQL must call other/unseen)."""
    tick = iter(range(10**6))
    lines: list[str] = []
    logger = RequestLogger(lines.append, lambda: START + timedelta(seconds=next(tick)),
                           log_features=True)
    pool = _typed_rows(rng, 300)
    pool[:len(baseline.features[1].bins.edges), 1] = baseline.features[1].bins.edges
    pool[:len(baseline.features[0].bins.edges), 0] = baseline.features[0].bins.edges
    outputs = baseline.prediction.edges  # predictions exactly on the prediction edges too

    def request(rows: np.ndarray) -> None:
        rec = RequestRecord(f"r{len(lines)}", "POST", "/predict", ModelRef(MODEL, VERSION, "p"))
        rec.status, rec.validation = 200, "passed"
        n = len(rows)
        if task == "regression":
            rec.values = [float(outputs[i % len(outputs)]) if i % 7 == 0
                          else float(np.round(rng.normal(20, 6), 2)) for i in range(n)]
        elif task == "multiclass":
            rec.predictions = [int(v) for v in rng.integers(0, 3, n)]
            rec.probabilities = [float(v) for v in rng.uniform(0.34, 1.0, n)]
        else:
            rec.probabilities = [float(v) for v in rng.uniform(size=n)]
            rec.predictions = [int(v >= 0.5) for v in rec.probabilities]
        records = [{f.name: None if np.isnan(v) else api_value(f, float(v))
                    for f, v in zip(TYPED, row, strict=True)} for row in rows]
        rec.feature_names = TYPED_NAMES
        rec.features = to_typed_matrix(records, TYPED, frozenset(TYPED_NAMES), float("inf"),
                                       single=False)
        logger.request(rec, 1.0)

    for i in range(len(pool)):
        request(pool[i:i + 1])
    request(pool[:40])
    request(np.vstack([pool] * 40))  # past LINE_LIMIT: request.features lines
    unseen = json.loads(next(line for line in lines if '"features":[[' in line))
    unseen["features"][0][2], unseen["features"][0][3] = 7.0, 0.5
    lines += [json.dumps(unseen)] * 3
    random.Random(9).shuffle(lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_both_engines_bin_typed_features_and_every_tasks_prediction_alike(
        tmp_path: Path, task: str) -> None:
    """Missing values counted apart (in no bin), categories and booleans by code with an
    other/unseen bin, and the task's prediction (P(positive), the class, the value):
    identical bin counts from the streaming scan and DuckDB, and the same verdict."""
    rng = np.random.default_rng(21)
    baseline = _typed_baseline(task, rng)
    assert [f.kind for f in baseline.features] == ["numeric", "numeric", "categorical",
                                                   "boolean"]
    assert baseline.prediction_kind == {"binary": "p_positive", "multiclass": "class",
                                        "regression": "value"}[task]
    log = _typed_log(tmp_path / "serving.log", baseline, task, rng)
    scan = LogScan(baseline, model_name=MODEL, model_version=VERSION)
    scan.feed(str(log), file_lines(log))
    stats = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION)
    ours, theirs = scan.feature_counts(), stats.feature_counts()
    for a, b in zip(ours, theirs, strict=True):
        assert a.tolist() == b.tolist()
    assert scan.prediction_counts().tolist() == stats.prediction_counts().tolist()
    a_counts, b_counts = scan.counts(), stats.counts()
    assert a_counts.malformed == 0 and b_counts.malformed == 0
    for key in ("requests", "scored_requests", "scored_records", "feature_rows"):
        assert getattr(a_counts, key) == getattr(b_counts, key), key
    rows = a_counts.feature_rows
    assert rows > 10000 and a_counts.scored_records == rows
    missing = [rows - int(c.sum()) for c in ours]
    assert missing[0] > 0 and missing[2] > 0 and missing[1] == missing[3] == 0
    assert ours[2].tolist()[-1] == 3 and ours[3].tolist() == [
        ours[3][0], ours[3][1], 3]  # the hand-edited lines: other/unseen, never a category
    assert len(ours[2]) == 4 and len(ours[3]) == 3  # a, b, c + other; false, true + other
    np.testing.assert_allclose(scan.feature_means(), stats.feature_means(), rtol=1e-12)
    assert not np.isnan(scan.feature_means()).any()
    assert np.isclose(scan.prediction_mean() or 0.0, stats.prediction_mean() or 0.0,
                      rtol=1e-12)
    assert (scan.positive_rate() is None) == (task != "binary") == (
        stats.positive_rate() is None)
    if task == "multiclass":
        assert len(scan.prediction_counts()) == 4 and scan.prediction_counts()[-1] == 0

    model = ModelVersionRef(MODEL, VERSION, "run")
    kwargs = {"source": SourceInfo("files", (str(log),)), "reference": Reference(None, "none"),
              "generated_at": START, "threshold": 0.5}
    streamed = assess(scan, model, DriftSection(), **kwargs)  # type: ignore[arg-type]
    queried = assess(stats, model, DriftSection(), **kwargs)  # type: ignore[arg-type]
    for one, two in zip(streamed.to_json()["features"], queried.to_json()["features"],
                        strict=True):  # all but the means (summation order) are equal
        assert one.pop("served_mean") == pytest.approx(two.pop("served_mean"), rel=1e-12)
        assert one == two
    assert streamed.prediction is not None and queried.prediction is not None
    assert streamed.prediction.psi == queried.prediction.psi
    assert streamed.prediction.kind == baseline.prediction_kind
    assert [f.kind for f in streamed.features] == [f.kind for f in baseline.features]
    assert streamed.features[2].bin_labels == ("a", "b", "c", "other/unseen")
    assert streamed.features[3].bin_labels == ("false", "true", "other/unseen")
    assert abs(streamed.features[0].missing_fraction - missing[0] / rows) < 1e-12
    json.dumps(streamed.to_json(), allow_nan=False)


def test_the_trino_query_reads_regression_values_and_categories() -> None:
    """The Trino form of the typed query: the quoted ``values`` column and code equality."""
    baseline = _typed_baseline("regression", np.random.default_rng(2))
    query = sql.statistics_sql(baseline, source="logs.requests", model_name=MODEL,
                               model_version=VERSION, dialect="trino")
    assert 'cardinality("values")' in query and "r[3] = 0.0e0" in query
    assert "COUNT(r[1]) AS present_0" in query
    assert "`values` array(double)" in sql.trino_table_ddl("t", "s3://b/p/")

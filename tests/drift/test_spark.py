# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Past one machine (issue 17): Spark, run here in local mode on a real JVM, computes the
drift statistics from the same logs as the streaming scan and DuckDB (the cases of
tests/drift/test_sql.py) with identical bin counts. Spark that cannot start fails this
module: a skipped agreement test would prove nothing."""

from __future__ import annotations

import gzip
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from modelgate.bot.drift import sql
from modelgate.bot.drift.stats import Baseline, DriftInputError, LogScan, file_lines
from modelgate.errors import ExitCode
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

REPO = Path(__file__).resolve().parents[2]
JAVA_SH = REPO / "scripts" / "java.sh"
# a small local Spark: two cores, two shuffle partitions, no UI, loopback only
SPARK_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.memory": "1g",
}


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One SparkSession (``local[2]``) for the module: the JVM takes seconds to start."""
    done = subprocess.run(["bash", str(JAVA_SH)], capture_output=True, text=True,
                          timeout=900, check=False)
    if done.returncode != 0:  # fail, never skip: CI must run this engine
        pytest.fail(f"no Java runtime for Spark (scripts/java.sh exit {done.returncode}): "
                    f"{done.stderr.strip()[-500:]}", pytrace=False)
    home = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JAVA_HOME", done.stdout.strip().splitlines()[-1])
        env.setenv("SPARK_LOCAL_IP", "127.0.0.1")
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.master("local[2]").appName("modelgate-drift-test")
        for key, value in {**SPARK_CONF, "spark.local.dir": str(home / "local"),
                           "spark.sql.warehouse.dir": str(home / "warehouse")}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Baseline, Path]:
    rng = np.random.default_rng(11)
    baseline = make_baseline(rng)
    return baseline, write_log(tmp_path_factory.mktemp("sql") / "serving.log", baseline, rng)


def _scan(baseline: Baseline, *paths: Path, **window: Any) -> LogScan:
    scan = LogScan(baseline, model_name=MODEL, model_version=VERSION, **window)
    for path in paths:
        scan.feed(str(path), file_lines(path))
    return scan


def test_spark_gives_the_streaming_scans_and_duckdbs_bin_counts(
        spark: Any, case: tuple[Baseline, Path]) -> None:
    """The first log (batches, chunked batches, another version, rejected and failed
    requests, damaged lines, values on the edges): the same assertions as DuckDB's."""
    baseline, log = case
    scan = _scan(baseline, log)
    stats = sql.spark_statistics(spark, [log], baseline, model_name=MODEL,
                                 model_version=VERSION)
    assert_agree(scan, stats)
    duck = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION)
    for one, two in zip(duck.feature_counts(), stats.feature_counts(), strict=True):
        assert one.tolist() == two.tolist()
    assert duck.counts() == stats.counts()  # every count, the malformed lines' too


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_spark_bins_typed_features_and_every_tasks_prediction_alike(
        spark: Any, tmp_path: Path, task: str) -> None:
    """Nullable numeric, categorical and boolean features, codes no category has, and each
    task's prediction: identical bins from the streaming scan, DuckDB and Spark."""
    rng = np.random.default_rng(21)
    baseline = typed_baseline(task, rng)
    log = write_typed_log(tmp_path / "serving.log", baseline, task, rng)
    scan = _scan(baseline, log)
    stats = sql.spark_statistics(spark, [log], baseline, model_name=MODEL,
                                 model_version=VERSION)
    assert_typed_agree(baseline, task, log, scan, stats)
    duck = sql.duckdb_statistics([log], baseline, model_name=MODEL, model_version=VERSION)
    for one, two in zip(duck.feature_counts(), stats.feature_counts(), strict=True):
        assert one.tolist() == two.tolist()
    assert duck.prediction_counts().tolist() == stats.prediction_counts().tolist()


def test_spark_reads_a_firehose_prefix_of_gzip_parts_within_a_window(
        spark: Any, case: tuple[Baseline, Path], tmp_path: Path) -> None:
    """A folder of gzip parts and a plain one (as Firehose delivers under a prefix) read as
    one table, restricted to a window: the streaming scan's bins over the same window."""
    baseline, log = case
    lines = log.read_bytes().splitlines(keepends=True)
    third = len(lines) // 3
    prefix = tmp_path / "serving" / "m"
    prefix.mkdir(parents=True)
    (prefix / "part-0.gz").write_bytes(gzip.compress(b"".join(lines[:third])))
    (prefix / "part-1.gz").write_bytes(gzip.compress(b"".join(lines[third:2 * third])))
    (prefix / "part-2").write_bytes(b"".join(lines[2 * third:]))
    since, until = START + timedelta(seconds=50), START + timedelta(seconds=250)
    scan = _scan(baseline, log, since=since, until=until)
    stats = sql.spark_statistics(spark, [prefix], baseline, model_name=MODEL,
                                 model_version=VERSION, since=since, until=until)
    for one, two in zip(scan.feature_counts(), stats.feature_counts(), strict=True):
        assert one.tolist() == two.tolist()
    assert scan.prediction_counts().tolist() == stats.prediction_counts().tolist()
    a, b = scan.counts(), stats.counts()
    assert 0 < a.scored_records < _scan(baseline, log).counts().scored_records
    for key in ("scored_requests", "scored_records", "feature_rows", "first_seen",
                "last_seen"):
        assert getattr(a, key) == getattr(b, key), key


def test_spark_outside_ansi_mode_gives_the_same_bins(
        spark: Any, case: tuple[Baseline, Path]) -> None:
    """A cluster with ANSI mode off (where the size of a missing list is -1, not NULL)
    bins alike: the runner asks for NULL for the query and restores the session after."""
    baseline, log = case
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        stats = sql.spark_statistics(spark, [log], baseline, model_name=MODEL,
                                     model_version=VERSION, sample_size=0)
        assert spark.sql("SELECT size(CAST(NULL AS ARRAY<INT>)) AS n").collect()[0].n == -1
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
    scan = _scan(baseline, log)
    for one, two in zip(scan.feature_counts(), stats.feature_counts(), strict=True):
        assert one.tolist() == two.tolist()
    assert scan.counts().requests == stats.counts().requests
    assert scan.counts().scored_records == stats.counts().scored_records


def test_the_spark_sample_is_repeatable_and_capped(
        spark: Any, case: tuple[Baseline, Path]) -> None:
    """The KS sample: the rows with the smallest hash, the same on every run."""
    baseline, log = case
    runs = [sql.spark_statistics(spark, [log], baseline, model_name=MODEL,
                                 model_version=VERSION, sample_size=100).sample()
            for _ in range(2)]
    assert runs[0].shape == (100, len(NAMES)) and np.array_equal(runs[0], runs[1])


def test_spark_string_literals_and_missing_logs(spark: Any, case: tuple[Baseline, Path],
                                                tmp_path: Path) -> None:
    """A model name with quotes and backslashes is a literal, not SQL; logs that are not
    there are one DriftInputError (exit 2), not a Java stack trace."""
    for text in ("it's", "a\\'b", "back\\slash\\", "new\nline", "ünï"):
        assert spark.sql(f"SELECT {sql._text(text, 'spark')} AS t").collect()[0].t == text
    baseline, log = case
    other = sql.spark_statistics(spark, [log], baseline, model_name="m' OR TRUE --",
                                 model_version=VERSION)
    assert other.counts().requests == 0
    with pytest.raises(DriftInputError, match="Spark could not read the logs") as err:
        sql.spark_statistics(spark, [tmp_path / "absent"], baseline, model_name=MODEL,
                             model_version=VERSION)
    assert err.value.exit_code == ExitCode.USAGE and "\n" not in str(err.value)
    with pytest.raises(DriftInputError, match="no log files"):
        sql.spark_statistics(spark, [], baseline, model_name=MODEL, model_version=VERSION)
    assert not spark.catalog.listTables()  # the temporary views are dropped


def test_the_spark_query_is_spark_sql(case: tuple[Baseline, Path]) -> None:
    """The Spark form: 1-based element_at, backticks, Spark's schema for the JSON reader."""
    baseline, _ = case
    query = sql.statistics_sql(baseline, source="logs", model_name=MODEL,
                               model_version=VERSION, dialect="spark")
    assert "element_at(r, 1)" in query and "cardinality(`values`)" in query
    assert "histogram(" not in query and "GROUP BY" not in query
    assert "GROUP BY other_version" in sql.other_versions_sql(
        source="logs", model_name=MODEL, model_version=VERSION)
    assert '"values"' not in query and "r[1]" not in query
    assert "`features` ARRAY<ARRAY<DOUBLE>>" in sql.spark_schema()


def test_modelgate_drift_on_spark_judges_as_the_scan_does(
        spark: Any, trained_workspace: tuple[Path, Any], tmp_path: Path) -> None:
    """`modelgate drift --engine spark` (run_drift with this module's session passed in):
    on served traffic with one feature shifted, the verdict, the counts, every bin and
    PSI are the scan's, and the report names Spark."""
    from mlflow import MlflowClient

    from modelgate.bot.cli.drift import DriftOptions, run_drift
    from tests.drift_support import replay_from, request_lines
    from tests.drift_support import write_log as write_lines

    root, result = trained_workspace
    replay = replay_from(root, result)
    X = replay.X_test.copy()
    X[:, 1] *= 1.5
    log = write_lines(tmp_path / "served.log", request_lines(replay.traffic, X, replay.p_test))
    client = MlflowClient(tracking_uri=replay.tracking_uri, registry_uri=replay.tracking_uri)
    results = {engine: run_drift(replay.config, DriftOptions(logs=(log,), engine=engine,
                                                             tracking_uri=replay.tracking_uri),
                                 mlflow_client=client, spark_session=lambda: spark)
               for engine in ("scan", "spark")}
    scan, on_spark = (results[e].to_json() for e in ("scan", "spark"))
    assert on_spark["outcome"] == scan["outcome"] == "drift"
    assert on_spark["drifted_features"] == scan["drifted_features"] == [
        replay.traffic.features[1]]
    assert on_spark["counts"] == scan["counts"]
    assert [(f["served_rows"], f["served_fractions"], f["psi"]) for f in on_spark["features"]] \
        == [(f["served_rows"], f["served_fractions"], f["psi"]) for f in scan["features"]]
    assert on_spark["source"]["engine"] == "spark" and scan["source"]["engine"] == "scan"

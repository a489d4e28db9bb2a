# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The drift check: served traffic (written by the real serving logger) against the
training baseline of a real governed run."""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from moto import mock_aws

from demo.github_double import ACTIONS_BOT
from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.cli import drift as cli_drift
from modelgate.bot.cli.main import main
from modelgate.bot.drift.issue import (
    COMMENT_RESOLVED,
    DRIFT_LABEL,
    MSG_GITHUB_FAILED,
    find_issue,
    marker,
    sync_drift_issue,
)
from modelgate.bot.drift.report import (
    OVERVIEW_PNG,
    PLOTS_DIR,
    PREDICTION_PNG,
    REPORT_JSON,
    REPORT_MD,
    feature_png,
    render_markdown,
)
from modelgate.bot.drift.stats import (
    MSG_FEATURES_MISSING,
    OUTCOME_DRIFT,
    OUTCOME_INSUFFICIENT,
    OUTCOME_NO_DRIFT,
    P_BAD_FEATURE_NAMES,
    P_BAD_PREDICTIONS,
    P_NOT_JSON,
    P_NOT_OBJECT,
    Baseline,
    DriftInputError,
    DriftResult,
    LogScan,
    ModelVersionRef,
    Reference,
    SourceInfo,
    assess,
    cloudwatch_lines,
    load_baseline,
    resolve_version,
    train_reference,
)
from modelgate.bot.github.api import PyGithubApi
from modelgate.governance import DriftSection, load_config
from modelgate.progress import ConsoleReporter
from tests.conftest import make_workspace
from tests.drift_support import (
    START,
    Replay,
    StepClock,
    bundle_line,
    health_lines,
    put_events,
    rejected_lines,
    replay_from,
    request_lines,
    write_log,
)

REGION = "us-east-1"
REPO = "acme/model"


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(scope="module")
def replay(trained_workspace: tuple[Path, Any]) -> Replay:
    root, result = trained_workspace
    return replay_from(root, result)


@dataclass(frozen=True)
class Judge:
    """The trained version's baseline and reference, to judge traffic without the CLI."""

    replay: Replay
    model: ModelVersionRef
    baseline: Baseline
    reference: Reference

    def __call__(self, lines: list[str], *, thresholds: DriftSection | None = None,
                 reference: Reference | None = None, version: str | None = None) -> DriftResult:
        scan = LogScan(self.baseline, model_name=self.model.name,
                       model_version=version or self.model.version)
        scan.feed("traffic.log", enumerate(lines, start=1))
        return assess(scan, self.model, thresholds or self.replay.config.governance.drift,
                      source=SourceInfo("files", ("traffic.log",)),
                      reference=reference or self.reference, generated_at=START,
                      threshold=self.replay.traffic.threshold)


@pytest.fixture(scope="module")
def judge(replay: Replay) -> Judge:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=replay.tracking_uri, registry_uri=replay.tracking_uri)
    gov = replay.config.governance
    model = resolve_version(client, gov.model.name, version=replay.traffic.version,
                            alias=gov.aliases.production)
    baseline = load_baseline(client, model)
    return Judge(replay, model, baseline, train_reference(replay.config, model, baseline))


def eval_lines(replay: Replay, **kwargs: Any) -> list[str]:
    return request_lines(replay.traffic, replay.X_test, replay.p_test, **kwargs)


@dataclass
class CliRun:
    code: int
    out: str
    log: str


def run_cli(replay: Replay, capsys: pytest.CaptureFixture[str], *args: str,
            config: Path | None = None) -> CliRun:
    stream = io.StringIO()
    code = main(["--config", str(config or replay.config.path), "drift", *args],
                reporter=ConsoleReporter(stream))
    return CliRun(code, capsys.readouterr().out, stream.getvalue())


def report_json(out: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((out / REPORT_JSON).read_text())
    return doc


# --- the verdict on replayed evaluation traffic ---------------------------------------------


def test_replayed_evaluation_traffic_shows_no_drift(replay: Replay, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The evaluation set served once (114 requests, written by the serving logger) is not
    drift: exit 0, no feature or prediction flagged, KS against the rebuilt train split."""
    log = write_log(tmp_path / "serving.log", eval_lines(replay))
    out = tmp_path / "report"
    run = run_cli(replay, capsys, "--log", str(log), "--out", str(out))
    assert run.code == cli_drift.EXIT_NO_DRIFT, run.log
    doc = report_json(out)
    assert doc["schema_version"] == 2 and doc["kind"] == "modelgate.drift_report"
    assert doc["prediction"]["kind"] == "p_positive"
    assert {f["kind"] for f in doc["features"]} == {"numeric"}
    assert all(f["missing_fraction"] == 0.0 and not f["missing_drifted"]
               for f in doc["features"])
    assert doc["outcome"] == OUTCOME_NO_DRIFT
    assert doc["drifted_features"] == [] and doc["prediction_drifted"] is False
    assert doc["reference"]["test"] == "ks"
    assert doc["counts"]["scored_records"] == len(replay.X_test)
    assert [f["name"] for f in doc["features"]] == list(replay.traffic.features)
    assert all(f["test"] == "ks" and f["served_rows"] == len(replay.X_test)
               for f in doc["features"])
    # the report and its charts are on disk; no per-feature chart when nothing drifted
    assert (out / REPORT_MD).read_text().startswith("## Drift report")
    plots = sorted(p.name for p in (out / PLOTS_DIR).iterdir())
    assert plots == sorted([OVERVIEW_PNG, PREDICTION_PNG])
    assert (out / PLOTS_DIR / OVERVIEW_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "no_drift" in run.out


def test_psi_over_threshold_alone_is_not_drift_on_a_small_sample(judge: Judge) -> None:
    """A feature whose PSI crosses the threshold only through sampling noise of 114 rows is
    shown as 'PSI high, not significant', not as drift."""
    result = judge(eval_lines(judge.replay))
    noisy = [f for f in result.features if f.psi_over]
    assert result.outcome == OUTCOME_NO_DRIFT
    for f in noisy:  # on the shipped data one feature is at PSI 0.21 with p 0.15
        assert f.pvalue >= result.thresholds.ks_pvalue and not f.drifted
    md = render_markdown(result)
    assert ("PSI high, not significant" in md) == bool(noisy)


def test_each_feature_scaled_by_one_and_a_half_is_flagged_alone(judge: Judge) -> None:
    """Scaling any one feature by 1.5 in the served traffic flags that feature, and only
    that one; the predictions (unchanged) are not flagged."""
    replay = judge.replay
    for j, name in enumerate(replay.traffic.features):
        X = replay.X_test.copy()
        X[:, j] *= 1.5
        result = judge(request_lines(replay.traffic, X, replay.p_test))
        assert result.outcome == OUTCOME_DRIFT, name
        assert result.drifted_features == (name,), name
        assert not result.prediction_drifted


def test_shifted_class_balance_flags_the_prediction_distribution(judge: Judge) -> None:
    """Traffic that is mostly the negative class (every negative test row, ten positive
    ones) shifts P(positive): the prediction distribution is flagged and the served
    positive rate is far below the training split's."""
    replay = judge.replay
    idx = np.r_[np.flatnonzero(replay.y_test == 0), np.flatnonzero(replay.y_test == 1)[:10]]
    thresholds = replay.config.governance.drift.model_copy(update={"min_requests": 50})
    result = judge(request_lines(replay.traffic, replay.X_test[idx], replay.p_test[idx]),
                   thresholds=thresholds)
    assert result.outcome == OUTCOME_DRIFT
    p = result.prediction
    assert p is not None and p.drifted
    assert p.psi > thresholds.prediction_psi_threshold and p.pvalue < thresholds.ks_pvalue
    assert p.baseline_positive_rate is not None and p.served_positive_rate is not None
    assert p.served_positive_rate < p.baseline_positive_rate - 0.3


def test_rejected_and_unscored_requests_are_counted_not_compared(judge: Judge) -> None:
    """422s, health checks and bundle lines are counted; the statistics equal those of
    the scored traffic alone."""
    replay = judge.replay
    clean = judge(eval_lines(replay))
    noisy = judge([bundle_line(replay.traffic), *rejected_lines(replay.traffic, 40),
                   *eval_lines(replay), *health_lines(replay.traffic, 7)])
    assert noisy.counts.rejected == 40 and noisy.counts.not_scored == 7
    assert noisy.counts.other_events == 1
    assert noisy.counts.requests == len(replay.X_test) + 47
    assert noisy.counts.scored_records == clean.counts.scored_records
    assert [f.psi for f in noisy.features] == [f.psi for f in clean.features]
    assert [f.pvalue for f in noisy.features] == [f.pvalue for f in clean.features]


def test_large_batches_with_chunked_features_count_like_single_requests(judge: Judge) -> None:
    """A batch whose features move to follow-up request.features lines is read back row
    for row: same bins, same PSI as the same rows sent one by one."""
    replay = judge.replay
    # past modelgate.serving.logs.LINE_LIMIT on the shipped data
    X = np.vstack([replay.X_test] * 12)
    p = np.concatenate([replay.p_test] * 12)
    batched = request_lines(replay.traffic, X, p, batch=len(X))
    assert len(batched) > 2 and '"features_chunks"' in batched[0]
    single = judge(request_lines(replay.traffic, X, p))
    chunked = judge(batched)
    assert chunked.counts.scored_requests == 1 and chunked.counts.scored_records == len(X)
    assert chunked.counts.feature_rows == len(X) and chunked.counts.incomplete_chunked == 0
    assert [f.psi for f in chunked.features] == [f.psi for f in single.features]


def test_without_the_training_rows_it_falls_back_to_a_binned_test(judge: Judge) -> None:
    """When the data file is not the run's data (other sha256), KS is replaced by a
    chi-square test on the baseline bins, the report says why, and a scaled feature is
    still flagged alone."""
    other = replace(judge.model, data_sha256="0" * 64)
    reference = train_reference(judge.replay.config, other, judge.baseline)
    assert not reference.available and "sha256" in reference.description
    X = judge.replay.X_test.copy()
    X[:, 0] *= 1.5
    result = judge(request_lines(judge.replay.traffic, X, judge.replay.p_test),
                   reference=reference)
    assert result.test == "chi2_binned"
    assert result.drifted_features == (judge.replay.traffic.features[0],)
    assert any("chi-square" in m for m in result.messages)


# --- bad input ------------------------------------------------------------------------------


def test_malformed_lines_are_counted_with_line_numbers(replay: Replay, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Garbage among good lines is skipped, counted by reason, and named by file:line in
    the report; the verdict still stands."""
    good = eval_lines(replay)
    wrong_names = json.loads(good[0])
    wrong_names["feature_names"] = ["x", *wrong_names["feature_names"][1:]]
    bad_prob = json.loads(good[1])
    bad_prob["probabilities"] = [1.5]
    lines = [good[0], "{not json", "[1, 2]", json.dumps(wrong_names), good[1],
             json.dumps(bad_prob), '{"event": "request", "probabilities": NaN}', *good[2:]]
    log = write_log(tmp_path / "serving.log", lines)
    out = tmp_path / "report"
    run = run_cli(replay, capsys, "--log", str(log), "--out", str(out))
    assert run.code == cli_drift.EXIT_NO_DRIFT, run.log
    counts = report_json(out)["counts"]
    assert counts["malformed"] == 5
    assert counts["malformed_by_reason"] == {P_NOT_JSON: 2, P_NOT_OBJECT: 1,
                                             P_BAD_FEATURE_NAMES: 1, P_BAD_PREDICTIONS: 1}
    assert [p["where"] for p in counts["problems"]] == [f"{log}:{n}" for n in (2, 3, 4, 6, 7)]
    assert counts["scored_records"] == len(good)
    md = (out / REPORT_MD).read_text()
    assert "Malformed lines (first 5 of 5)" in md and f"{log}:4" in md


def test_a_log_with_nothing_usable_is_bad_input(replay: Replay, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Only malformed lines: exit 2 and a message naming the first bad line."""
    log = write_log(tmp_path / "garbage.log", ["oops", "{]", "", "{\"event\": 3"])
    run = run_cli(replay, capsys, "--log", str(log), "--out", str(tmp_path / "r"))
    assert run.code == cli_drift.EXIT_BAD_INPUT
    assert "none of the 3 log line(s) is usable" in run.log and f"{log}:1" in run.log
    assert not (tmp_path / "r").exists()


def test_lines_from_other_versions_are_counted_and_skipped(judge: Judge) -> None:
    """Requests answered by another version are counted per version and left out."""
    replay = judge.replay
    result = judge([*eval_lines(replay, version="999"), *eval_lines(replay)])
    assert result.counts.other_versions == {"999": len(replay.X_test)}
    assert result.counts.scored_records == len(replay.X_test)
    assert result.outcome == OUTCOME_NO_DRIFT
    assert "999: 114" in render_markdown(result)


def test_a_log_of_other_versions_only_is_bad_input(replay: Replay, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """No request for the checked version: exit 2, naming the versions the log holds."""
    log = write_log(tmp_path / "serving.log", eval_lines(replay, version="41"))
    run = run_cli(replay, capsys, "--log", str(log))
    assert run.code == cli_drift.EXIT_BAD_INPUT
    assert f"no request for model {replay.traffic.model_name} version " \
           f"{replay.traffic.version}" in run.log
    assert "version 41 (114)" in run.log


def test_fewer_requests_than_the_minimum_is_insufficient_data(
        replay: Replay, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Below drift.min_requests the outcome is its own (exit 3), with no statistics and
    a message saying how many were needed."""
    minimum = replay.config.governance.drift.min_requests
    log = write_log(tmp_path / "serving.log", eval_lines(replay)[:minimum - 1])
    out = tmp_path / "report"
    run = run_cli(replay, capsys, "--log", str(log), "--out", str(out))
    assert run.code == cli_drift.EXIT_INSUFFICIENT
    doc = report_json(out)
    assert doc["outcome"] == OUTCOME_INSUFFICIENT and doc["features"] == []
    assert f"drift needs at least {minimum}" in doc["messages"][0]
    assert "Insufficient data" in (out / REPORT_MD).read_text()


def test_predictions_without_logged_features_are_insufficient_for_features(judge: Judge) -> None:
    """With feature logging off, the predictions are judged but the outcome is
    insufficient data unless the predictions themselves drift."""
    result = judge(eval_lines(judge.replay, log_features=False))
    assert result.outcome == OUTCOME_INSUFFICIENT
    assert result.prediction is not None and result.features == ()
    assert result.messages[0] == MSG_FEATURES_MISSING.format(
        rows=0, scored=len(judge.replay.X_test),
        minimum=judge.replay.config.governance.drift.min_requests)


def test_a_window_without_logs_is_bad_input(replay: Replay, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--since/--until that hold none of the file's requests: exit 2, saying how many
    lines fell outside."""
    log = write_log(tmp_path / "serving.log", eval_lines(replay))
    since, until = START + timedelta(days=3), START + timedelta(days=4)
    run = run_cli(replay, capsys, "--log", str(log), "--since", since.isoformat(),
                  "--until", until.isoformat())
    assert run.code == cli_drift.EXIT_BAD_INPUT
    assert "no request lines" in run.log and "114 outside the window" in run.log


def test_the_file_window_keeps_only_requests_inside_it(judge: Judge) -> None:
    """Lines are one second apart: a 60-second window keeps 61 of them."""
    replay = judge.replay
    scan = LogScan(judge.baseline, model_name=judge.model.name,
                   model_version=judge.model.version, since=START + timedelta(seconds=10),
                   until=START + timedelta(seconds=70))
    scan.feed("log", enumerate(eval_lines(replay), start=1))
    counts = scan.counts()
    assert counts.scored_records == 61 and counts.outside_window == len(replay.X_test) - 61


def test_an_empty_window_and_missing_files_are_bad_input(replay: Replay, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """A reversed window, a missing file and an empty file each exit 2 with a message."""
    log = write_log(tmp_path / "serving.log", eval_lines(replay))
    run = run_cli(replay, capsys, "--log", str(log), "--since", "2026-05-02T00:00:00Z",
                  "--until", "2026-05-01T00:00:00Z")
    assert run.code == cli_drift.EXIT_BAD_INPUT and "time window is empty" in run.log
    run = run_cli(replay, capsys, "--log", str(tmp_path / "nope.log"))
    assert run.code == cli_drift.EXIT_BAD_INPUT and "nope.log: log file not found" in run.log
    run = run_cli(replay, capsys, "--log", str(write_log(tmp_path / "empty.log", [])))
    assert run.code == cli_drift.EXIT_BAD_INPUT and "no request lines" in run.log
    with pytest.raises(SystemExit) as exc:
        run_cli(replay, capsys, "--log", str(log), "--since", "yesterday")
    assert exc.value.code == cli_drift.EXIT_BAD_INPUT


def test_an_unknown_model_version_is_bad_input(replay: Replay, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """--model-version that the registry does not hold: exit 2."""
    log = write_log(tmp_path / "serving.log", eval_lines(replay))
    run = run_cli(replay, capsys, "--log", str(log), "--model-version", "77")
    assert run.code == cli_drift.EXIT_BAD_INPUT
    assert f"model {replay.traffic.model_name} has no version '77'" in run.log


def test_a_version_without_a_baseline_is_bad_input(replay: Replay, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A registered version whose source run never logged baseline_stats.json: exit 2,
    naming the run and the artifact."""
    from mlflow import MlflowClient

    root = make_workspace(tmp_path / "ws", commit=False)
    config = load_config(root / "governance.yml")
    uri = config.tracking_uri()
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("bare", artifact_location=(root / "art").as_uri())
    run = client.create_run(experiment)
    client.set_terminated(run.info.run_id)
    name = config.governance.model.name
    client.create_registered_model(name)
    client.create_model_version(name, source=f"{run.info.artifact_uri}/model",
                                run_id=run.info.run_id,
                                tags={"source_run_id": run.info.run_id})
    log = write_log(tmp_path / "serving.log", eval_lines(replay, version="1"))
    result = run_cli(replay, capsys, "--log", str(log), config=root / "governance.yml")
    assert result.code == cli_drift.EXIT_BAD_INPUT
    assert f"its source run {run.info.run_id} has no readable baseline_stats.json" in result.log


def test_a_malformed_baseline_is_refused() -> None:
    """Fractions that do not match the edges, or a missing section, are refused."""
    good: dict[str, Any] = {"schema_version": 1, "rows": 10, "bins": 10,
            "features": {"a": {"mean": 0.0, "std": 1.0, "bin_edges": [0.0],
                               "bin_fractions": [0.5, 0.5]}},
            "prediction": {"bin_edges": [0.5], "bin_fractions": [0.4, 0.6], "mean": 0.5}}
    assert Baseline.from_json(good, "b").names == ("a",)
    bad_cases = [
        ({**good, "schema_version": 2}, "schema_version 2"),
        ({**good, "features": {"a": {**good["features"]["a"], "bin_fractions": [1.0]}}},
         "1 bin fractions for 1 edges"),
        ({k: v for k, v in good.items() if k != "prediction"}, "'prediction' must be"),
        ({**good, "rows": 0}, "rows must be a positive integer"),
        ({**good, "features": {"a": {**good["features"]["a"], "categories": ["x"]}}},
         "categories must be a non-empty list with one entry per bin"),
        ({**good, "features": {"a": {**good["features"]["a"], "missing_fraction": 1.5}}},
         "missing_fraction must be between 0 and 1"),
        ({**good, "prediction": {**good["prediction"], "kind": "ranking"}},
         "prediction kind 'ranking' is not one of"),
        ({**good, "prediction": {**good["prediction"], "rows": 0}},
         "prediction rows must be a positive integer"),
    ]
    with pytest.raises(DriftInputError, match="a categorical needs its categories"):
        Baseline.from_json(good, "b", types={"a": "categorical"})
    for doc, expected in bad_cases:
        with pytest.raises(DriftInputError, match="not a usable drift baseline") as exc:
            Baseline.from_json(doc, "b")
        assert expected in str(exc.value)


def test_typed_baselines_bin_categories_booleans_and_classes_with_an_other_bin() -> None:
    """A categorical's bins are its categories plus other/unseen; a boolean (typed by
    governance.yml) is false/true/other from its share true; a multiclass prediction is one
    bin per class; a missing value is in no bin."""
    doc: dict[str, Any] = {
        "schema_version": 1, "rows": 10, "bins": 10,
        "features": {
            "grade": {"mean": 0.9, "std": 0.7, "bin_edges": [0.5, 1.5],
                      "bin_fractions": [0.3, 0.5, 0.2], "categories": ["a", "b", "c"],
                      "missing_fraction": 0.2},
            "flag": {"mean": 0.25, "std": 0.4, "bin_edges": [0.0, 1.0],
                     "bin_fractions": [0.0, 0.75, 0.25]}},
        "prediction": {"kind": "class", "bin_edges": [0.5, 1.5],
                       "bin_fractions": [0.2, 0.3, 0.5], "mean": 1.3, "rows": 4}}
    baseline = Baseline.from_json(doc, "b", types={"flag": "boolean"},
                                  class_names=("x", "y", "z"))
    grade, flag = baseline.features
    assert (grade.kind, flag.kind) == ("categorical", "boolean")
    assert grade.bins.bin_labels() == ("a", "b", "c", "other/unseen")
    assert grade.bins.fractions.tolist() == [0.3, 0.5, 0.2, 0.0]
    assert grade.missing_fraction == 0.2
    assert flag.bins.fractions.tolist() == [0.75, 0.25, 0.0]
    values = np.array([0.0, 1.0, 2.0, 2.0, 3.0, 1.5, -1.0, np.nan])
    assert grade.bins.counts(values).tolist() == [1, 1, 2, 3]
    assert flag.bins.counts(values).tolist() == [1, 1, 5]
    assert baseline.prediction_kind == "class" and baseline.prediction_rows == 4
    assert baseline.prediction.bin_labels() == ("x", "y", "z", "other/unseen")
    untyped = Baseline.from_json(doc, "b")
    assert untyped.features[1].kind == "numeric"
    assert untyped.features[1].bins.counts(values).tolist() == [1, 1, 5]  # < 0, [0, 1), >= 1
    assert untyped.features[1].bins.fractions.tolist() == [0.0, 0.75, 0.25]


# --- CloudWatch -----------------------------------------------------------------------------


@pytest.fixture
def cloudwatch(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield boto3.client("logs", region_name=REGION)


def _recent() -> datetime:
    """CloudWatch (and moto) refuse events older than 14 days: log near the real now."""
    return datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def test_the_cloudwatch_window_is_read_under_moto(replay: Replay, tmp_path: Path,
                                                  cloudwatch: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Request lines in the function's log group, between Lambda's START/END/REPORT lines
    (text or JSON log format), are read for the window only; platform lines are counted,
    not malformed."""
    function = replay.config.governance.deploy.function_name
    group = f"/aws/lambda/{function}"
    cloudwatch.create_log_group(logGroupName=group)
    start = _recent()
    lines = eval_lines(replay, clock=StepClock(start))
    inside = [(start + timedelta(seconds=i), line) for i, line in enumerate(lines)]
    platform = [(start, "START RequestId: 8f5e Version: 3"),
                (start, "END RequestId: 8f5e"),
                (start, "REPORT RequestId: 8f5e\tDuration: 12.1 ms"),
                (start, json.dumps({"time": start.isoformat(), "type": "platform.report",
                                    "record": {"requestId": "8f5e"}}))]
    early = start - timedelta(hours=3)
    outside = [(early, line) for line in eval_lines(replay, clock=StepClock(early))[:30]]
    put_events(cloudwatch, group, "2026/05/01/[3]abc", sorted(platform + inside + outside))
    out = tmp_path / "report"
    run = run_cli(replay, capsys, "--cloudwatch", "--since", start.isoformat(),
                  "--until", (start + timedelta(minutes=30)).isoformat(), "--out", str(out))
    assert run.code == cli_drift.EXIT_NO_DRIFT, run.log
    doc = report_json(out)
    assert doc["source"]["kind"] == "cloudwatch" and doc["source"]["detail"] == [group]
    assert doc["counts"]["platform"] == 4 and doc["counts"]["malformed"] == 0
    assert doc["counts"]["scored_records"] == len(lines)


def test_cloudwatch_pages_are_all_read(cloudwatch: Any, replay: Replay) -> None:
    """filter_log_events is paginated: small pages still yield every event once."""
    group = "/aws/lambda/paged"
    cloudwatch.create_log_group(logGroupName=group)
    start = _recent()
    lines = eval_lines(replay)[:57]
    put_events(cloudwatch, group, "s", [(start + timedelta(seconds=i), line)
                                        for i, line in enumerate(lines)])
    read = list(cloudwatch_lines(cloudwatch, group, start, start + timedelta(minutes=30),
                                 page_size=10))
    assert [str(text).rstrip("\n") for _, text in read] == lines


def test_cloudwatch_without_the_log_group_or_logs_is_bad_input(
        replay: Replay, cloudwatch: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """No log group: exit 2 naming it. A group with no events in the window: exit 2."""
    run = run_cli(replay, capsys, "--cloudwatch", "--function", "absent")
    assert run.code == cli_drift.EXIT_BAD_INPUT
    assert "log group /aws/lambda/absent does not exist" in run.log
    cloudwatch.create_log_group(logGroupName="/aws/lambda/quiet")
    run = run_cli(replay, capsys, "--cloudwatch", "--function", "quiet")
    assert run.code == cli_drift.EXIT_BAD_INPUT and "no request lines" in run.log


# --- the GitHub issue -----------------------------------------------------------------------


def _github(double: Any) -> tuple[PyGithubApi, Any]:
    """The adapter drift writes through, and a plain PyGithub view to check what it did."""
    double.add_user("mona")
    double.add_bot()
    double.create_org("acme", members=["mona"])
    double.create_repo(REPO, files={"governance.yml": "x"})
    double.set_permission(REPO, ACTIONS_BOT, "write")
    client = double.client(ACTIONS_BOT)
    return PyGithubApi(client, REPO), client.get_repo(REPO)


def _scaled(judge: Judge) -> DriftResult:
    X = judge.replay.X_test.copy()
    X[:, 0] *= 1.5
    return judge(request_lines(judge.replay.traffic, X, judge.replay.p_test))


def test_the_drift_issue_is_opened_once_edited_then_resolved_and_reopened(
        judge: Judge, github_double: Any) -> None:  # noqa: F811
    """Drift opens ONE labelled issue; the next drift edits it in place; back under the
    threshold it says so (body and comment) and closes; drift again reopens the same one."""
    api, repo = _github(github_double)
    drift = _scaled(judge)
    first = sync_drift_issue(api, drift, render_markdown(drift, charts=False))
    assert first.action == "created" and first.number is not None
    issue = repo.get_issue(first.number)
    assert [label.name for label in issue.labels] == [DRIFT_LABEL]
    assert marker(drift.model.name, drift.model.version) in issue.body
    assert issue.user.login == ACTIONS_BOT

    later = replace(drift, generated_at="2026-05-02T12:00:00+00:00")
    second = sync_drift_issue(api, later, render_markdown(later, charts=False))
    assert (second.action, second.number) == ("updated", first.number)
    assert "2026-05-02T12:00:00" in repo.get_issue(first.number).body
    same = sync_drift_issue(api, later, render_markdown(later, charts=False))
    assert same.action == "unchanged"

    calm = judge(eval_lines(judge.replay))
    resolved = sync_drift_issue(api, calm, render_markdown(calm, charts=False))
    assert (resolved.action, resolved.number) == ("resolved", first.number)
    issue = repo.get_issue(first.number)
    assert issue.state == "closed" and "Back under the thresholds" in issue.body
    assert [c.body for c in issue.get_comments()] == [
        COMMENT_RESOLVED.format(when=calm.generated_at)]
    assert sync_drift_issue(api, calm, "x").action == "none"  # closed stays closed

    again = sync_drift_issue(api, drift, render_markdown(drift, charts=False))
    assert (again.action, again.number) == ("reopened", first.number)
    assert repo.get_issue(first.number).state == "open"
    issues = [i for i in repo.get_issues(state="all") if i.pull_request is None]
    assert [i.number for i in issues] == [first.number]


def test_the_drift_issue_is_per_version_and_ignores_lookalikes(
        judge: Judge, github_double: Any) -> None:  # noqa: F811
    """Another version gets its own issue; an issue someone else wrote with the marker is
    not the bot's, so it is neither edited nor closed."""
    api, repo = _github(github_double)
    drift = _scaled(judge)
    fake = github_double.create_issue(REPO, "mona", title="spoof",
                                      body=marker(drift.model.name, drift.model.version))
    mine = sync_drift_issue(api, drift, render_markdown(drift, charts=False))
    assert mine.action == "created" and mine.number != fake
    other = replace(drift, model=replace(drift.model, version="999"))
    theirs = sync_drift_issue(api, other, render_markdown(other, charts=False))
    assert theirs.action == "created" and theirs.number not in (fake, mine.number)
    found = find_issue(api, drift.model.name, drift.model.version)
    assert found is not None and found.number == mine.number
    assert repo.get_issue(fake).body == marker(drift.model.name, drift.model.version)


def test_the_cli_opens_the_issue_and_exits_one_on_drift(
        replay: Replay, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        github_double: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """`--github-issue` with GITHUB_TOKEN/GITHUB_REPOSITORY/GITHUB_API_URL: exit 1, one
    issue whose body is the report without images, a chart per drifted feature on disk."""
    _github(github_double)
    monkeypatch.setenv("GITHUB_TOKEN", github_double.token_for(ACTIONS_BOT))
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_API_URL", github_double.base_url)
    X = replay.X_test.copy()
    X[:, 2] *= 1.5
    log = write_log(tmp_path / "serving.log",
                    request_lines(replay.traffic, X, replay.p_test))
    out = tmp_path / "report"
    run = run_cli(replay, capsys, "--log", str(log), "--out", str(out), "--github-issue")
    assert run.code == cli_drift.EXIT_DRIFT, run.log
    name = replay.traffic.features[2]
    assert f"drifted: {name}" in run.out and "drift issue #1: created" in run.out
    assert (out / PLOTS_DIR / feature_png(2, name)).is_file()
    body = github_double.client(ACTIONS_BOT).get_repo(REPO).get_issue(1).body
    assert "![" not in body and "Charts are in the report directory" in body
    assert (out / REPORT_MD).read_text().count("![") == 3  # prediction, overview, feature


def test_an_issue_github_refuses_exits_four_after_the_report(
        replay: Replay, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        github_double: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """GitHub refusing the issue (here: a repository the token cannot see) exits 4 with
    one message, and the report is still on disk."""
    _github(github_double)
    monkeypatch.setenv("GITHUB_TOKEN", github_double.token_for(ACTIONS_BOT))
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/absent")
    monkeypatch.setenv("GITHUB_API_URL", github_double.base_url)
    X = replay.X_test.copy()
    X[:, 2] *= 1.5
    log = write_log(tmp_path / "serving.log", request_lines(replay.traffic, X, replay.p_test))
    out = tmp_path / "report"
    run = run_cli(replay, capsys, "--log", str(log), "--out", str(out), "--github-issue")
    assert run.code == cli_drift.EXIT_GITHUB, run.log
    assert MSG_GITHUB_FAILED.format(detail="GitHub answered 404") in run.log
    assert "Traceback" not in run.log + run.out
    assert report_json(out)["outcome"] == OUTCOME_DRIFT


def test_the_cli_refuses_github_issue_without_its_environment(
        replay: Replay, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No token: exit 2 before anything is read."""
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    log = write_log(tmp_path / "serving.log", eval_lines(replay))
    run = run_cli(replay, capsys, "--log", str(log), "--github-issue")
    assert run.code == cli_drift.EXIT_BAD_INPUT and "needs GITHUB_TOKEN" in run.log


# --- streaming and the sample -----------------------------------------------------------------


def test_memory_stays_flat_as_the_log_grows(judge: Judge) -> None:
    """Five times the lines, fed lazily, does not raise the scan's peak allocation: what it
    holds is bounded by the block and reservoir sizes, not by the log."""
    replay = judge.replay
    pool = eval_lines(replay)  # made before tracing starts; lines are replayed from it

    def peak(n: int) -> int:
        scan = LogScan(judge.baseline, model_name=judge.model.name,
                       model_version=judge.model.version)
        lines = ((i + 1, pool[i % len(pool)]) for i in range(n))
        tracemalloc.start()
        try:
            scan.feed("gen", lines)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(1_500), peak(7_500)  # both past one block (BLOCK_ROWS)
    assert large < small * 1.1 + 100_000, (small, large)


def test_the_reservoir_is_a_uniform_repeatable_sample() -> None:
    """Rows 0..N-1 through a 1000-row reservoir: no row twice, mean near N/2, the same
    sample for the same seed."""
    baseline = Baseline.from_json({
        "schema_version": 1, "rows": 10,
        "features": {"a": {"mean": 0.0, "std": 1.0, "bin_edges": [0.0],
                           "bin_fractions": [0.5, 0.5]}},
        "prediction": {"bin_edges": [0.5], "bin_fractions": [0.5, 0.5], "mean": 0.5}}, "t")
    n = 20_000

    def sample() -> np.ndarray[Any, Any]:
        scan = LogScan(baseline, model_name="m", model_version="1", reservoir_size=1000)
        lines = (json.dumps({"event": "request", "status": 200, "validation": "passed",
                             "model_name": "m", "model_version": "1", "predictions": [1],
                             "probabilities": [0.9], "feature_names": ["a"],
                             "features": [[float(i)]]}) for i in range(n))
        scan.feed("t", enumerate(lines, start=1))
        assert scan.counts().feature_rows == n
        return scan.sample()[:, 0].copy()

    first = sample()
    assert len(first) == 1000 and len(np.unique(first)) == 1000
    assert abs(first.mean() - n / 2) < 3 * (n / np.sqrt(12)) / np.sqrt(1000)
    assert np.array_equal(first, sample())


def test_report_strings_from_the_log_are_escaped(judge: Judge) -> None:
    """A version string from the log cannot inject Markdown, HTML or mentions."""
    replay = judge.replay
    lines = [*eval_lines(replay), *eval_lines(replay, version="<b>@team|x</b>")[:3]]
    md = render_markdown(judge(lines))
    assert "<b>" not in md and "@team" not in md
    assert "&lt;b&gt;&#64;team\\|x&lt;/b&gt;: 3" in md


# --- the engines behind the CLI ---------------------------------------------------------------


def _verdict(doc: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on the engine: the outcome, what drifted, every bin count and
    PSI (the KS sample differs between the scan's reservoir and SQL's hash sample)."""
    return {"outcome": doc["outcome"], "drifted": doc["drifted_features"],
            "prediction": doc["prediction_drifted"], "counts": doc["counts"],
            "features": [(f["name"], f["served_rows"], f["served_fractions"], f["psi"])
                         for f in doc["features"]],
            "prediction_bins": doc["prediction"]["served_fractions"]}


def test_the_duckdb_engine_gives_the_scans_report(replay: Replay, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`--engine duckdb` over the same log: the same outcome, counts, bins and PSI as the
    default scan; the report says which engine computed it; one drifted feature too."""
    X = replay.X_test.copy()
    X[:, 0] *= 1.5
    for name, lines in (("steady", eval_lines(replay)),
                        ("shifted", request_lines(replay.traffic, X, replay.p_test))):
        log = write_log(tmp_path / f"{name}.log", lines)
        docs = {}
        for engine in ("scan", "duckdb"):
            out = tmp_path / f"{name}-{engine}"
            run = run_cli(replay, capsys, "--log", str(log), "--engine", engine,
                          "--out", str(out))
            assert run.code in (cli_drift.EXIT_NO_DRIFT, cli_drift.EXIT_DRIFT), run.log
            docs[engine] = report_json(out)
        assert _verdict(docs["duckdb"]) == _verdict(docs["scan"]), name
        # means are sums in another order: equal to the last few bits
        assert [f["served_mean"] for f in docs["duckdb"]["features"]] == pytest.approx(
            [f["served_mean"] for f in docs["scan"]["features"]], rel=1e-12)
        assert docs["duckdb"]["source"]["engine"] == "duckdb"
        assert docs["scan"]["source"]["engine"] == "scan"
    assert docs["duckdb"]["drifted_features"] == [replay.traffic.features[0]]


def test_an_engine_the_source_cannot_take_is_bad_input(replay: Replay, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    """CloudWatch is the scan's; S3 objects are the SQL engines'; a missing local file is
    named whichever engine reads it: each exits 2 with one line."""
    run = run_cli(replay, capsys, "--cloudwatch", "--engine", "duckdb")
    assert run.code == cli_drift.EXIT_BAD_INPUT and "--cloudwatch is read by" in run.log
    run = run_cli(replay, capsys, "--log", "s3://bucket/serving/part-0.gz")
    assert run.code == cli_drift.EXIT_BAD_INPUT and "--engine duckdb or --engine spark" in run.log
    run = run_cli(replay, capsys, "--log", str(tmp_path / "nope.log"), "--engine", "duckdb")
    assert run.code == cli_drift.EXIT_BAD_INPUT and "nope.log: log file not found" in run.log
    assert "Traceback" not in run.log + run.out

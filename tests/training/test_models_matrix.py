# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Models a team brings (design §11): for each task x feature types x estimator family,
from generated data and a governance.yml written as docs/your-own-model.md says, the
road runs data add -> validate-config -> fit -> audits (servable, performance gate,
bias, leakage) -> bundle -> serve -> predict -> drift, the served answers equal the
trained model's, and the drift report over the app's own log lines finds nothing in
traffic like the training data and exactly the shifted features in shifted traffic."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from modelgate.bot.check.audits import bias, leakage, performance_gate, servable
from modelgate.bot.check.audits.base import AuditContext
from modelgate.bot.drift import sql
from modelgate.bot.drift.report import write_report
from modelgate.bot.drift.stats import (
    OUTCOME_DRIFT,
    OUTCOME_NO_DRIFT,
    Baseline,
    DriftResult,
    LogScan,
    ModelVersionRef,
    SourceInfo,
    assess,
    file_lines,
    train_reference,
)
from modelgate.datafiles import disagreements
from modelgate.governance import DriftSection, LoadedConfig, load_config
from modelgate.infra.bundle import BundleMeta, export_bundle, task_fields
from modelgate.serving.app import create_app
from modelgate.serving.manifest import FeatureField
from modelgate.serving.schemas import api_value
from modelgate.serving.settings import Settings
from modelgate.training.baseline import feature_baseline
from modelgate.training.data import Dataset, load_dataset
from modelgate.training.preflight import check_against_data
from modelgate.training.train import FittedModel, PipelinePredictor, fit_and_evaluate
from tests.training.models_matrix_support import (
    BATCH,
    CASES,
    fresh_records,
    shift_for,
    shifted_records,
    team_workspace,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _records(X: np.ndarray, schema: tuple[FeatureField, ...]) -> list[dict[str, Any]]:
    """Coded rows -> API records (category names, true/false, null for missing)."""
    return [{f.name: None if math.isnan(v) else api_value(f, float(v))
             for f, v in zip(schema, row, strict=True)} for row in X]


@pytest.mark.parametrize("name", list(CASES))
def test_a_team_model_travels_the_whole_road(tmp_path: Path, name: str) -> None:
    """Every audit passes on a sound model of every supported kind, its bundle serves
    the trained model's answers, and the OpenAPI schema documents its fields."""
    case = CASES[name]()
    config = load_config(team_workspace(tmp_path, case))
    gov = config.governance
    assert check_against_data(config) == []
    dataset = load_dataset(config)
    assert not disagreements(tmp_path, dataset.path, dataset.manifest.raw, gov.data.id_column)
    fitted = fit_and_evaluate(config, dataset)
    candidate = PipelinePredictor(fitted.pipeline, dataset.features, gov.task)
    ctx = AuditContext(root=tmp_path, config=config, commit="0" * 40, dataset=dataset,
                       split=fitted.split, candidate=candidate,
                       extra={performance_gate.BASELINE_ONLY: True})
    results = {m.AUDIT_ID: m.run(ctx) for m in (servable, performance_gate, bias, leakage)}
    for audit_id, result in results.items():
        assert result.status == "pass", (audit_id, result.summary)

    meta = BundleMeta(model_name=gov.model.name, model_version="1", alias="production",
                      run_id="run1", commit="c0ffee", data_sha256=dataset.sha256,
                      threshold=gov.estimator.threshold,
                      positive_class=gov.data.target.positive_class,
                      negative_class=gov.data.target.negative_class,
                      **task_fields(gov, dataset.categories))
    X_test = dataset.X[fitted.split.test]
    manifest = export_bundle(fitted.pipeline, features=dataset.features,
                             out_dir=tmp_path / "bundle", meta=meta, eval_X=X_test,
                             clock=lambda: datetime.now(UTC))
    assert manifest.task == gov.task

    served_log: list[str] = []  # the app's own log lines, as Lambda ships them
    client = TestClient(create_app(Settings(bundle_uri=str(tmp_path / "bundle")),
                                   log_sink=served_log.append))
    health = client.get("/health").json()
    assert health["status"] == "ready", health
    records = _records(X_test, manifest.feature_schema)
    r = client.post("/predict", json={"records": records})
    assert r.status_code == 200, r.json()
    answers = r.json()["predictions"]
    expected = fitted.p_test
    tol = 1e-4 if gov.task != "regression" else 1e-4 * max(1.0, float(np.abs(expected).max()))
    if gov.task == "binary":
        got = np.array([a["probability_positive_class"] for a in answers])
    elif gov.task == "multiclass":
        got = np.array([[a["probabilities"][c] for c in manifest.classes] for a in answers])
        assert [a["prediction_label"] for a in answers] == [
            manifest.classes[k] for k in expected.argmax(axis=1)]
    else:
        got = np.array([a["prediction"] for a in answers])
        assert {a["unit"] for a in answers} == {"days"}
    assert np.max(np.abs(got - expected)) <= tol
    single = client.post("/predict", json={"features": records[0]})
    assert single.status_code == 200 and "prediction" in single.json()

    doc = client.get("/openapi.json").json()
    record_schema = doc["components"]["schemas"]["FeatureRecord"]
    assert set(record_schema["required"]) == set(dataset.features)
    ok = doc["paths"]["/predict"]["post"]["responses"]["200"]["content"]["application/json"]
    shown = json.dumps(ok)
    expected_model = {"binary": "SinglePredictionResponse", "multiclass": "SingleClassResponse",
                      "regression": "SingleValueResponse"}[gov.task]
    assert expected_model in shown

    # drift: the evaluation rows served again are like training; shifted, they drift
    baseline, model = _baseline(config, dataset, fitted)
    reference = train_reference(config, model, baseline)
    assert reference.available, reference.description
    kinds = {f.name: f.type for f in manifest.feature_schema}
    assert {f.name: f.kind for f in baseline.features} == kinds
    shift = shift_for(manifest.feature_schema)
    like_training = fresh_records(name, manifest.feature_schema)
    for label, traffic, must_drift in (("like-training", like_training, set()),
                                       ("shifted", shifted_records(like_training, shift),
                                        shift.drifted)):
        served_log.clear()
        for start in range(0, len(traffic), BATCH):
            r = client.post("/predict", json={"records": traffic[start:start + BATCH]})
            assert r.status_code == 200, (label, r.json())
        log = tmp_path / f"{label}.log"
        log.write_text("\n".join(served_log) + "\n", encoding="utf-8")
        result = _judge(log, baseline, model, reference, gov.estimator.threshold)
        assert result.counts.scored_records == len(traffic) == result.counts.feature_rows
        assert set(result.drifted_features) == must_drift, (label, result.to_json()["features"])
        assert result.outcome == (OUTCOME_DRIFT if must_drift else OUTCOME_NO_DRIFT), (
            label, json.dumps(result.to_json()["prediction"]))
        by_name = {f.name: f for f in result.features}
        assert all(f.kind == kinds[f.name] for f in result.features)
        assert result.prediction is not None and result.prediction.kind == {
            "binary": "p_positive", "multiclass": "class", "regression": "value"}[gov.task]
        if must_drift:
            assert by_name[shift.numeric].values_drifted
            assert all(by_name[n].values_drifted for n in shift.forced)
            assert all(by_name[n].missing_drifted and by_name[n].missing_fraction > 0.4
                       for n in shift.blanked)
        files = write_report(result, tmp_path / f"{label}-report")
        doc = json.loads(files.json.read_text())
        assert doc["schema_version"] == 2 and doc["prediction"]["kind"] == result.prediction.kind
        assert [f["kind"] for f in doc["features"]] == [kinds[n] for n in dataset.features]
        text = files.markdown.read_text()
        assert all(f"| {kinds[n]} |" in text for n in dataset.features)
        if shift.blanked and must_drift:
            assert "Missing values:" in text


def _baseline(config: LoadedConfig, dataset: Dataset,
              fitted: FittedModel) -> tuple[Baseline, ModelVersionRef]:
    """The baseline training logs for the run (``baseline_stats.json``, as
    ``modelgate.training.train`` writes it: the train split's features, the held-out predictions),
    read back the way ``modelgate drift`` reads it, and the model version it belongs to."""
    gov = config.governance
    doc = json.loads(json.dumps(feature_baseline(dataset.X[fitted.split.train],
                                                 dataset.features, fitted.p_test,
                                                 task=gov.task,
                                                 categories=dataset.categories)))
    baseline = Baseline.from_json(doc, "baseline_stats.json",
                                  types={f.name: f.type for f in gov.data.specs},
                                  class_names=gov.class_names)
    model = ModelVersionRef(gov.model.name, "1", "run1", alias="production",
                            data_sha256=dataset.sha256, threshold=gov.estimator.threshold)
    return baseline, model


def _judge(log: Path, baseline: Baseline, model: ModelVersionRef, reference: Any,
           threshold: float) -> DriftResult:
    """Both engines over the log: identical bins (and missing counts), the same verdict."""
    scan = LogScan(baseline, model_name=model.name, model_version=model.version)
    scan.feed(str(log), file_lines(log))
    queried = sql.duckdb_statistics([log], baseline, model_name=model.name,
                                    model_version=model.version)
    for ours, theirs in zip(scan.feature_counts(), queried.feature_counts(), strict=True):
        assert ours.tolist() == theirs.tolist()
    assert scan.prediction_counts().tolist() == queried.prediction_counts().tolist()
    assert scan.counts().feature_rows == queried.counts().feature_rows
    assert scan.counts().malformed == queried.counts().malformed == 0
    kwargs: dict[str, Any] = {"source": SourceInfo("files", (str(log),)),
                              "reference": reference, "threshold": threshold,
                              "generated_at": datetime(2026, 5, 1, tzinfo=UTC)}
    streamed = assess(scan, model, DriftSection(), **kwargs)
    by_sql = assess(queried, model, DriftSection(), **kwargs)
    assert streamed.drifted_features == by_sql.drifted_features
    assert [f.psi for f in streamed.features] == [f.psi for f in by_sql.features]
    assert [f.missing_fraction for f in streamed.features] == [
        f.missing_fraction for f in by_sql.features]
    return streamed


def test_categorical_fields_are_validated_by_type(tmp_path: Path) -> None:
    """A served categorical takes only its categories, a boolean only true/false, and
    null only where nullable; each problem is a 422 naming the field."""
    case = CASES["binary-categorical-missing-lr"]()
    config = load_config(team_workspace(tmp_path, case))
    gov = config.governance
    dataset = load_dataset(config)
    fitted = fit_and_evaluate(config, dataset)
    meta = BundleMeta(model_name=gov.model.name, model_version="1", alias="production",
                      run_id="run1", commit="c0ffee", data_sha256=dataset.sha256,
                      threshold=0.5, positive_class="approved", negative_class="declined",
                      **task_fields(gov, dataset.categories))
    manifest = export_bundle(fitted.pipeline, features=dataset.features,
                             out_dir=tmp_path / "bundle", meta=meta,
                             eval_X=dataset.X[fitted.split.test],
                             clock=lambda: datetime.now(UTC))
    client = TestClient(create_app(Settings(bundle_uri=str(tmp_path / "bundle")),
                                   log_sink=lambda line: None))
    good = _records(dataset.X[fitted.split.test][:1], manifest.feature_schema)[0]
    assert client.post("/predict", json={"features": {**good, "income": None,
                                                       "employment_type": None}}
                       ).status_code == 200
    cases: list[tuple[dict[str, Any], str]] = [
        ({"region": "mars"}, "unknown_category"), ({"region": None}, "null_not_allowed"),
        ({"has_guarantor": "yes"}, "wrong_type"), ({"x2": "1.0"}, "not_a_number"),
        ({"employment_type": 3.0}, "wrong_type")]
    for change, problem in cases:
        r = client.post("/predict", json={"features": {**good, **change}})
        assert r.status_code == 422, (change, r.json())
        (field,) = change
        assert r.json()["problems"][0]["field"] == field
        assert r.json()["problems"][0]["problem"] == problem


def test_modelgate_check_passes_every_audit_for_a_multiclass_forest(tmp_path: Path) -> None:
    """The whole PR check (training with MLflow, every audit, the card) on a team's
    multiclass random forest, in a repository licensed the REUSE way."""
    import shutil
    import subprocess

    from modelgate.bot.check.pipeline import run_check
    from modelgate.progress import ConsoleReporter

    repo = Path(__file__).resolve().parents[2]
    case = CASES["multiclass-rf"]()
    team_workspace(tmp_path, case)
    shutil.copytree(repo / "LICENSES", tmp_path / "LICENSES")
    (tmp_path / "LICENSES" / "MIT.txt").unlink(missing_ok=True)  # only the repo's doubles use it
    for name in ("pyproject.toml", "uv.lock", "REUSE.toml"):
        shutil.copy2(repo / name, tmp_path / name)
    for name in ("csv", "manifest.json"):  # data add wrote CC0; the repo ships CC-BY's text
        sidecar = tmp_path / "data" / f"{case.name}.{name}.license"
        sidecar.write_text(sidecar.read_text().replace("CC0-1.0", "CC-BY-4.0"))
    manifest_path = tmp_path / "data" / f"{case.name}.manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "license": "CC-BY-4.0"}, indent=2))
    (tmp_path / "governance.yml").write_text(
        "# SPDX-FileCopyrightText: 2026 Example team\n# SPDX-License-Identifier: Apache-2.0\n"
        + case.governance())
    (tmp_path / ".gitignore").write_text(".modelgate/\ncheck/\n")
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=team@example.org", "-c", "user.name=team", "commit", "-q",
                  "-m", "our model"]):
        subprocess.run(["git", *args], cwd=tmp_path, check=True)
    result = run_check(load_config(tmp_path / "governance.yml"), tmp_path / "check",
                       tracking_uri=None, reporter=ConsoleReporter(), timeout_s=300)
    statuses = {e.id: (e.status, e.summary) for e in result.report.audits}
    failed = {k: v for k, v in statuses.items() if v[0] != "pass"}
    assert not failed, failed
    assert "f1_macro" in statuses["performance_gate"][1]


@pytest.mark.parametrize("name", ["multiclass-lr", "regression-ridge"])
def test_a_bundle_gives_its_tasks_whole_output_and_refuses_another_width(
        tmp_path: Path, name: str) -> None:
    """``LoadedBundle.scores`` is every class's probability (multiclass) or the value
    (regression), as float64; a session whose output width is not the task's is refused."""
    from modelgate.serving import bundle as bundles

    case = CASES[name]()
    config = load_config(team_workspace(tmp_path, case))
    gov = config.governance
    dataset = load_dataset(config)
    fitted = fit_and_evaluate(config, dataset)
    meta = BundleMeta(model_name=gov.model.name, model_version="1", alias="production",
                      run_id="run1", commit="c0ffee", data_sha256=dataset.sha256,
                      threshold=gov.estimator.threshold,
                      positive_class=gov.data.target.positive_class,
                      negative_class=gov.data.target.negative_class,
                      **task_fields(gov, dataset.categories))
    X_test = dataset.X[fitted.split.test]
    manifest = export_bundle(fitted.pipeline, features=dataset.features,
                             out_dir=tmp_path / "bundle", meta=meta, eval_X=X_test,
                             clock=lambda: datetime.now(UTC))
    loaded = bundles.load_bundle(str(tmp_path / "bundle"))
    out = loaded.scores(X_test)
    width = len(manifest.classes) if gov.task == "multiclass" else 1
    assert out.dtype == np.float64 and out.shape == (len(X_test), width)
    expected = fitted.p_test.reshape(len(X_test), width)
    assert np.max(np.abs(out - expected)) <= 1e-4 * max(1.0, float(np.abs(expected).max()))
    verified = bundles.verify_bundle_dir(tmp_path / "bundle")
    session = bundles._session(verified.model_bytes)
    other = (manifest.model_copy(update={"classes": (*manifest.classes, "extra")})
             if gov.task == "multiclass" else manifest.model_copy(update={"task": "binary"}))
    with pytest.raises(bundles.BundleError, match=f"no {bundles.output_width(other)}-column"):
        bundles._check_session(session, other)

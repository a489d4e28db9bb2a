# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The governed training run: load -> fingerprint -> split -> fit -> evaluate -> log ->
register. Every control of handbook §3.1 is enforced here, in code, on every run.

Data problems stop the run before MLflow sees anything; a failure after the run started
ends it as FAILED with the reason as a tag, so no half-written run looks like a success.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.pipeline import Pipeline

from modelgate.errors import UsageError
from modelgate.governance import LoadedConfig
from modelgate.hashing import sha256_bytes
from modelgate.progress import ConsoleReporter, Reporter
from modelgate.training import tracking
from modelgate.training.baseline import feature_baseline
from modelgate.training.data import Dataset, Split, load_dataset, split_dataset
from modelgate.training.estimator import build_estimator, loggable_params, model_type
from modelgate.training.evaluate import Evaluation, confusion_png, evaluate_task
from modelgate.training.provenance import Provenance, collect

RUN_MANIFEST_SCHEMA = 1
FINGERPRINT_DECIMALS = 10
RUN_PARAMS = frozenset({"model_type", "pipeline", "test_size", "random_state", "stratify",
                        "threshold"})


class TrainingError(UsageError):
    """The run could not complete; the message says which step and why."""


@dataclass(frozen=True)
class TrainResult:
    run_id: str
    model_name: str
    version: str
    metrics: dict[str, float]
    data_sha256: str
    commit: str
    dirty: bool
    model_fingerprint: str
    experiment_id: str
    tracking_uri: str
    timings: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FittedModel:
    """A fitted pipeline with what is needed to reproduce its evaluation."""

    pipeline: Pipeline
    dataset: Dataset
    split: Split
    p_test: NDArray[np.float64]
    evaluation: Evaluation
    fingerprint: str


def fingerprint(p_positive: NDArray[np.float64]) -> str:
    """sha256 of the evaluation-set probabilities, rounded so that a retrain of the same
    commit on another machine (other BLAS) still matches while any real change does not."""
    rounded = np.round(np.asarray(p_positive, dtype=np.float64), FINGERPRINT_DECIMALS)
    return sha256_bytes(rounded.tobytes())


def _frame(X: NDArray[np.float64], features: tuple[str, ...]) -> Any:
    import pandas as pd

    return pd.DataFrame(X, columns=list(features))


def positive_probability(
    pipeline: Pipeline, X: NDArray[np.float64], features: tuple[str, ...]
) -> NDArray[np.float64]:
    """P(positive) for rows of ``X`` in the configured feature order."""
    classes = list(pipeline.classes_)
    proba = pipeline.predict_proba(_frame(X, features))
    return np.asarray(proba[:, classes.index(1)], dtype=np.float64)


def predict_scores(pipeline: Any, X: NDArray[np.float64], features: tuple[str, ...],
                   task: str) -> NDArray[np.float64]:
    """What the task's metrics and the gate compare: P(positive) (binary), one
    probability column per class index (multiclass), the predicted value (regression)."""
    if task == "binary":
        return positive_probability(pipeline, X, features)
    if task == "regression":
        return np.asarray(pipeline.predict(_frame(X, features)), dtype=np.float64).reshape(-1)
    proba = np.asarray(pipeline.predict_proba(_frame(X, features)), dtype=np.float64)
    classes = [int(c) for c in pipeline.classes_]
    out = np.zeros((proba.shape[0], max(classes) + 1), dtype=np.float64)
    out[:, classes] = proba
    return out


def fit_and_evaluate(config: LoadedConfig, dataset: Dataset | None = None) -> FittedModel:
    """Fit on the train split and evaluate on the pinned test split (no MLflow)."""
    gov = config.governance
    dataset = dataset or load_dataset(config)
    split = split_dataset(dataset, gov)
    pipeline = build_estimator(gov.estimator, gov.task, tuple(gov.data.features),
                               config.root)
    try:
        # fit on named columns so the model itself knows the feature set it expects
        pipeline.fit(_frame(dataset.X[split.train], dataset.features), dataset.y[split.train])
    except Exception as exc:
        raise TrainingError(f"fitting {model_type(pipeline)} failed: {exc}") from exc
    p_test = predict_scores(pipeline, dataset.X[split.test], dataset.features, gov.task)
    evaluation = evaluate_task(gov.task, dataset.y[split.test], p_test,
                               gov.estimator.threshold, gov.class_names)
    return FittedModel(pipeline, dataset, split, p_test, evaluation, fingerprint(p_test))


def _write_artifacts(
    out: Path, config: LoadedConfig, fitted: FittedModel, run_id: str, prov: Provenance
) -> None:
    gov = config.governance
    ds, split, ev = fitted.dataset, fitted.split, fitted.evaluation
    if gov.task != "regression":
        (out / "confusion_matrix.png").write_bytes(confusion_png(ev.confusion, gov.class_names))
    (out / "classification_report.json").write_text(json.dumps(ev.report, indent=2))
    (out / "classification_report.txt").write_text(ev.report_text)
    (out / "evaluation").mkdir()
    test_ids = [str(i) for i in ds.ids[split.test]]
    (out / "evaluation" / "test_ids.json").write_text(json.dumps(
        {"id_column": gov.data.id_column, "data_sha256": ds.sha256, "ids": test_ids}, indent=1))
    (out / "evaluation" / "predictions.json").write_text(json.dumps(
        _predictions_json(gov.task, gov, test_ids, ds.y[split.test], fitted.p_test)))
    # the prediction baseline is the held-out split's: a model that fits its training rows
    # closely (a forest) is surer of them than of any served traffic (drift's false alarm)
    baseline = feature_baseline(ds.X[split.train], ds.features, fitted.p_test, task=gov.task,
                                categories=ds.categories)
    (out / "baseline_stats.json").write_text(json.dumps(baseline, indent=1))
    manifest = {
        "schema_version": RUN_MANIFEST_SCHEMA,
        "run_id": run_id,
        "model_name": gov.model.name,
        "data_sha256": ds.sha256,
        "data_path": gov.data.path.as_posix(),
        "dataset_shape": list(ds.shape),
        "train_rows": len(split.train),
        "test_rows": len(split.test),
        "features": list(ds.features),
        "target": gov.data.target.column,
        "task": gov.task,
        "classes": list(gov.class_names),
        "feature_types": {f.name: f.model_dump(exclude={"name"}) for f in gov.data.specs},
        "categories": {k: list(v) for k, v in ds.categories.items()},
        "positive_class": gov.data.target.positive_class,
        "threshold": gov.estimator.threshold,
        "metrics": ev.metrics,
        "git_commit": prov.commit,
        "git_dirty": prov.dirty,
        "git_tree": prov.tree,
        "lock_sha256": prov.lock_sha256,
        "governance_sha256": config.sha256,
        "model_fingerprint": fitted.fingerprint,
    }
    (out / "run_manifest.json").write_text(json.dumps(manifest, indent=2))


def _predictions_json(task: str, gov: Any, ids: list[str], y: NDArray[Any],
                      scores: NDArray[np.float64]) -> dict[str, Any]:
    """``evaluation/predictions.json``: binary keeps ``p_positive``; multiclass writes
    ``proba`` (one list per row, by class index), regression ``y_pred``."""
    out: dict[str, Any] = {"task": task, "ids": ids}
    if task == "binary":
        out.update(positive_class=gov.data.target.positive_class,
                   threshold=gov.estimator.threshold,
                   y_true=[int(v) for v in y], p_positive=[float(v) for v in scores])
    elif task == "multiclass":
        out.update(classes=list(gov.class_names), y_true=[int(v) for v in y],
                   proba=[[float(v) for v in row] for row in scores])
    else:
        out.update(y_true=[float(v) for v in y], y_pred=[float(v) for v in scores])
    return out


def _log_model(fitted: FittedModel, gov_features: tuple[str, ...], run_id: str,
               commit: str) -> Any:
    import mlflow.sklearn
    import pandas as pd
    import sklearn
    from mlflow.models import infer_signature

    X_test = fitted.dataset.X[fitted.split.test]
    example = pd.DataFrame(X_test[:2], columns=list(gov_features))
    signature = infer_signature(pd.DataFrame(X_test, columns=list(gov_features)), fitted.p_test)
    # MLflow stores scikit-learn models with skops, which refuses types it does not know.
    # We produced this model in this very run, so we declare its own types as trusted; a
    # model from elsewhere is never loaded by a trusted job (the bundle is ONNX).
    trusted: list[str] = []
    with _no_reload_checks(), _trusting_the_saved_types(trusted):
        info = mlflow.sklearn.log_model(
            fitted.pipeline,
            run_id=run_id,  # the experiment is the one tracking.configure set
            skops_trusted_types=trusted,
            name=tracking.MODEL_ARTIFACT,
            signature=signature,
            input_example=example,
            # explicit requirements: inferring them costs seconds per run
            pip_requirements=[f"scikit-learn=={sklearn.__version__}",
                              f"numpy=={np.__version__}"],
            # the workspace's commit, as on the run (see _start_run)
            tags={"mlflow.source.git.commit": commit},
        )
    return info


@contextmanager
def _trusting_the_saved_types(trusted: list[str]) -> Iterator[None]:
    """Fill ``trusted`` (the list given to MLflow as ``skops_trusted_types``) with
    ``skops.io.get_untrusted_types`` of the file MLflow has just dumped, as MLflow loads it
    back to check it and before it records the list in MLmodel: skops' own answer for the
    model's own types, without dumping the model a second time to ask (1-10 ms for a
    linear pipeline, 0.1-0.2 s for a forest). Fails closed: if MLflow did not load the
    dump through ``skops.io.load`` with that very list, the run stops."""
    import skops.io

    original = skops.io.load
    asked: list[Any] = []

    def load(file: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("trusted") is trusted and not asked:
            asked.append(file)
            trusted[:] = skops.io.get_untrusted_types(file=file)
        return original(file, *args, **kwargs)

    skops.io.load = load
    try:
        yield
    finally:
        skops.io.load = original
    if not asked:
        raise TrainingError("MLflow saved the model without loading its skops dump back: "
                            "its trusted types are unknown (an MLflow upgrade changed "
                            "mlflow.sklearn.save_model; see modelgate.training.train)")


@contextmanager
def _no_reload_checks() -> Iterator[None]:
    """Skip what MLflow does while logging a model that is not evidence: checking that
    this environment satisfies the model's requirements (they are this environment's
    own versions; the check first indexes every installed distribution, about 1-2 s once
    per process), serving the input example through a pyfunc reloaded from disk (about
    1 s; modelgate serves the ONNX bundle, and the check and the promotion load the
    registered model themselves and compare its predictions), and reading the git commit
    of the script that started the process for the logged model's tags (GitPython, about
    0.2 s; the workspace's commit is tagged instead, as on the run)."""
    import mlflow.models.utils as model_utils
    import mlflow.tracking.context.registry as context_registry
    import mlflow.utils.environment as env
    from mlflow.tracking.context.git_context import GitRunContext

    resolve_tags = context_registry.resolve_tags
    patched: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
        (env, "warn_dependency_requirement_mismatches", _skip),
        (model_utils, "_validate_serving_input", _skip),
        (context_registry, "resolve_tags",
         lambda tags=None: resolve_tags(tags, ignore=[GitRunContext])))  # type: ignore[list-item]
    saved = [getattr(module, name) for module, name, _ in patched]
    for module, name, replacement in patched:
        setattr(module, name, replacement)
    try:
        yield
    finally:
        for (module, name, _), original in zip(patched, saved, strict=True):
            setattr(module, name, original)


def _skip(*_args: Any, **_kwargs: Any) -> None:
    return None


def _start_run(client: Any, experiment_name: str, run_name: str, tags: dict[str, str]) -> Any:
    """Create the run with our tags and MLflow's context tags except git's. MLflow's git
    context imports GitPython (0.7 s) to read the commit of the script that started the
    process, which is not the workspace's: the workspace's commit and tree are tagged from
    :mod:`modelgate.training.provenance` instead. The run is written to by its id, never
    made MLflow's active run: resuming it as one reads it back twice and writes its status
    again, and a process-wide active run is state a failure could leave behind."""
    from mlflow.tracking.context.git_context import GitRunContext
    from mlflow.tracking.context.registry import resolve_tags
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME

    experiment = client.get_experiment_by_name(experiment_name)
    resolved = resolve_tags({MLFLOW_RUN_NAME: run_name, **tags},
                            ignore=[GitRunContext])  # type: ignore[list-item]
    return client.create_run(experiment.experiment_id, tags=resolved, run_name=run_name)


def train(
    config: LoadedConfig,
    *,
    tracking_uri: str | None = None,
    reporter: Reporter | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> TrainResult:
    """Run the governed training and return what the registry now holds."""
    import mlflow

    rep = reporter or ConsoleReporter()
    gov = config.governance
    timings: dict[str, float] = {}

    def timed(name: str, start: float) -> None:
        timings[name] = round(time.perf_counter() - start, 4)

    t = time.perf_counter()
    with rep.step("Load and verify data"):
        dataset = load_dataset(config)
        rep.info(f"{dataset.path.name}: {dataset.shape[0]} rows x {dataset.shape[1]} columns, "
                 f"sha256 {dataset.sha256[:16]}… (matches manifest)")
    timed("load", t)
    t = time.perf_counter()
    with rep.step("Fit and evaluate"):
        fitted = fit_and_evaluate(config, dataset)
        rep.info(f"{model_type(fitted.pipeline)} on {len(fitted.split.train)} rows; "
                 f"test split {len(fitted.split.test)} rows")
    timed("fit_evaluate", t)
    prov = collect(config.root)
    t = time.perf_counter()
    with rep.step("Connect to MLflow"):
        client = tracking.configure(config, tracking_uri)
        uri = mlflow.get_tracking_uri()
        rep.info(f"tracking URI {uri}")
    timed("mlflow_setup", t)

    t = time.perf_counter()
    with rep.step("Log run and register model"):
        run = _start_run(client, gov.experiment_name,
                         f"{gov.model.name}-{clock().strftime('%Y%m%dT%H%M%SZ')}", {
                             tracking.TAG_DATA_SHA: dataset.sha256,
                             tracking.TAG_COMMIT: prov.commit,
                             "mlflow.source.git.commit": prov.commit,
                             tracking.TAG_DIRTY: str(prov.dirty).lower(),
                             tracking.TAG_TREE: prov.tree,
                             tracking.TAG_LOCK: prov.lock_sha256,
                             tracking.TAG_LOCK_FILE: prov.lock_file,
                             tracking.TAG_CONFIG: config.sha256,
                             tracking.TAG_FINGERPRINT: fitted.fingerprint,
                             tracking.TAG_MODEL_NAME: gov.model.name,
                         })
        run_id = run.info.run_id
        try:
            model_params = loggable_params(fitted.pipeline)
            params = {
                # a model parameter that shares a name with a run-level one keeps a prefix
                **{(f"model.{k}" if k in RUN_PARAMS else k): v for k, v in model_params.items()},
                "model_type": model_type(fitted.pipeline),
                "pipeline": " > ".join(s.class_ for s in gov.estimator.steps),
                "test_size": str(gov.split.test_size),
                "random_state": str(gov.split.random_state),
                "stratify": str(gov.split.stratify).lower(),
                "threshold": str(gov.estimator.threshold),
            }
            _log_params_and_metrics(client, run_id, params, fitted.evaluation.metrics)
            with tempfile.TemporaryDirectory(prefix="modelgate-run-") as tmp:
                _write_artifacts(Path(tmp), config, fitted, run_id, prov)
                client.log_artifacts(run_id, tmp)
            info = _log_model(fitted, dataset.features, run_id, prov.commit)
            version = client.create_model_version(
                gov.model.name if _registered(client, gov.model.name) else
                client.create_registered_model(gov.model.name).name,
                source=info.model_uri,
                run_id=run_id,
                model_id=info.model_id,
                tags={
                    tracking.VERSION_TAG_RUN: run_id,
                    tracking.VERSION_TAG_COMMIT: prov.commit,
                    tracking.VERSION_TAG_DATA: dataset.sha256,
                    tracking.VERSION_TAG_FINGERPRINT: fitted.fingerprint,
                },
                description=f"Trained at commit {prov.commit} on data {dataset.sha256[:16]}",
            )
        except BaseException as exc:  # no half-written run left RUNNING
            client.set_tag(run_id, tracking.TAG_FAILURE, f"{type(exc).__name__}: {exc}"[:5000])
            client.set_terminated(run_id, status="FAILED")
            raise
        client.set_terminated(run_id, status="FINISHED")
        rep.info(f"run {run_id} -> {gov.model.name} version {version.version}")
    timed("log_register", t)

    return TrainResult(
        run_id=run_id,
        model_name=gov.model.name,
        version=str(version.version),
        metrics=fitted.evaluation.metrics,
        data_sha256=dataset.sha256,
        commit=prov.commit,
        dirty=prov.dirty,
        model_fingerprint=fitted.fingerprint,
        experiment_id=run.info.experiment_id,
        tracking_uri=uri,
        timings=timings,
    )


def _log_params_and_metrics(client: Any, run_id: str, params: dict[str, str],
                            metrics: dict[str, float]) -> None:
    """The rows ``mlflow.log_params`` and ``mlflow.log_metrics`` write (metrics at step 0,
    now), in one call, synchronously."""
    from mlflow.entities import Metric, Param
    from mlflow.utils.time import get_current_time_millis

    now: int = get_current_time_millis()  # type: ignore[no-untyped-call]
    client.log_batch(run_id, synchronous=True,
                     params=[Param(key, str(value)) for key, value in params.items()],
                     metrics=[Metric(key, value, now, 0, run_id=run_id)
                              for key, value in metrics.items()])


def _registered(client: Any, name: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        client.get_registered_model(name)
    except MlflowException:
        return False
    return True


@dataclass(frozen=True)
class PipelinePredictor:
    """A fitted pipeline seen through the audits' ``Predictor`` protocol."""

    pipeline: Pipeline
    features: tuple[str, ...]

    task: str | None = None  # None: read from the pipeline (regressor; classes)

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        return positive_probability(self.pipeline, X, self.features)

    def predict_scores(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        """The task's scores (see :func:`predict_scores`)."""
        return predict_scores(self.pipeline, X, self.features,
                              self.task or task_of(self.pipeline))


def task_of(pipeline: Any) -> str:
    """binary, multiclass or regression, from a fitted estimator."""
    from sklearn.base import is_regressor

    if is_regressor(pipeline):
        return "regression"
    return "multiclass" if len(getattr(pipeline, "classes_", ())) > 2 else "binary"

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What the governed run no longer spends on logging the model keeps the evidence it had
(issue 17): the skops trusted types are skops' own answer for the model MLflow saved
(equal to asking skops about a second dump, for each estimator family the matrix covers),
the logged model names the workspace's commit, and MLflow is left as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from modelgate.governance import load_config
from modelgate.training.train import TrainingError, _trusting_the_saved_types, fit_and_evaluate
from tests.conftest import git
from tests.training.models_matrix_support import CASES, Case, team_workspace

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _fitted_pipeline(root: Path, case: Case) -> Any:
    """The case's pipeline fitted the way a team's run fits it (data add, governance.yml)."""
    fitted = fit_and_evaluate(load_config(team_workspace(root, case)))
    return fitted.pipeline, fitted.dataset.X[fitted.split.test][:20]


# one of each estimator family and preprocessing the matrix covers (each leaves other types
# in the dump: none, numpy.dtype from a ColumnTransformer, TreePredictor, Tree, ...)
SKOPS_CASES = ("binary-numeric-lr", "binary-categorical-missing-lr", "binary-nullable-hgb",
               "multiclass-gb", "regression-et")


@pytest.mark.parametrize("name", SKOPS_CASES)
def test_the_trusted_types_are_what_skops_finds_in_a_dump_of_the_model(
        tmp_path: Path, name: str) -> None:
    """MLmodel's skops_trusted_types equal get_untrusted_types(dumps(model)) (what the run
    computed before), MLflow's own reload accepted them and the saved model predicts as
    the fitted one."""
    import mlflow.sklearn
    import pandas as pd
    import skops.io

    pipeline, X = _fitted_pipeline(tmp_path / "ws", CASES[name]())
    expected = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    trusted: list[str] = []
    with _trusting_the_saved_types(trusted):
        mlflow.sklearn.save_model(pipeline, str(tmp_path / "model"), skops_trusted_types=trusted)
    assert trusted == expected
    assert skops.io.load is not None and skops.io.load.__module__ == "skops.io._persist"
    mlmodel = yaml.safe_load((tmp_path / "model" / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["skops_trusted_types"] == expected
    loaded = mlflow.sklearn.load_model(str(tmp_path / "model"))
    frame = pd.DataFrame(X, columns=list(pipeline.feature_names_in_))
    assert np.array_equal(loaded.predict(frame), pipeline.predict(frame))


def test_a_save_that_never_reloads_the_skops_dump_stops_the_run(tmp_path: Path) -> None:
    """Fail closed: if MLflow stops loading the dump back with the given list, the
    trusted types would be recorded empty; the run stops instead."""
    import mlflow.sklearn

    pipeline, _ = _fitted_pipeline(tmp_path / "ws", CASES["binary-numeric-lr"]())
    with pytest.raises(TrainingError, match="trusted types are unknown"), \
            _trusting_the_saved_types([]):
        mlflow.sklearn.save_model(pipeline, str(tmp_path / "model"),
                                  serialization_format="pickle")


def test_the_logged_model_names_the_workspace_commit_and_mlflow_is_restored(
        trained_workspace: tuple[Path, Any]) -> None:
    """The logged model's git tag is the workspace's commit (MLflow's git context, which
    reads the repository of the script that started the process, is left out), and the
    tag resolution and skops' load are MLflow's and skops' own again after the run, which
    never became MLflow's process-wide active run."""
    import mlflow
    import mlflow.tracking.context.registry as context_registry
    import skops.io
    from mlflow import MlflowClient

    root, result = trained_workspace
    client = MlflowClient(tracking_uri=result.tracking_uri, registry_uri=result.tracking_uri)
    version = client.get_model_version(result.model_name, result.version)
    model = client.get_logged_model(str(version.source).removeprefix("models:/"))
    assert model.tags["mlflow.source.git.commit"] == git(root, "rev-parse", "HEAD")
    assert "mlflow.source.git.repoURL" not in model.tags
    assert "mlflow.source.git.branch" not in model.tags
    assert context_registry.resolve_tags.__module__ == "mlflow.tracking.context.registry"
    assert context_registry.resolve_tags.__name__ == "resolve_tags"
    assert skops.io.load.__module__ == "skops.io._persist"
    assert mlflow.active_run() is None

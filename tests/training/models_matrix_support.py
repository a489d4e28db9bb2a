# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Generated data sets and governance.yml files, written the way docs/your-own-model.md
tells a team to: the models a team brings, without the shipped breast-cancer data."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROWS = 600

GOVERNANCE = """\
schema_version: 1
task: {task}
model:
  name: {name}
  intended_use: Ranking cases for a human reviewer.
  out_of_scope_use: Automated decisions without review.
  limitations: Generated data; for the tool's own tests.
data:
  path: data/{name}.csv
  manifest: data/{name}.manifest.json
  id_column: record_id
  target:
{target}
  features:
{features}
estimator:
  steps:
{steps}
split:
  test_size: 0.25
  random_state: 7
  stratify: {stratify}
metrics:
{metrics}
  bootstrap:
    resamples: 1000
    seed: 3
subgroups:
  min_size: 20
{gaps}
  groups:
{groups}
approval:
  roles:
    - name: ml-reviewer
      users: [mo-reviewer]
"""


@dataclass(frozen=True)
class Case:
    """One row of the support table: task x feature types x estimator family."""

    name: str
    task: str
    columns: dict[str, list[str]]  # CSV columns (record_id and the target included)
    target: str
    features: str
    steps: str
    metrics: str
    gaps: str
    groups: str

    def governance(self) -> str:
        return GOVERNANCE.format(
            task=self.task, name=self.name, target=self.target, features=self.features,
            steps=self.steps, stratify=str(self.task != "regression").lower(),
            metrics=self.metrics, gaps=self.gaps, groups=self.groups)

    def write_csv(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        names = list(self.columns)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows(zip(*(self.columns[n] for n in names), strict=True))


def _fmt(values: np.ndarray, missing: np.ndarray | None = None) -> list[str]:
    out = [f"{v:.5f}" for v in values]
    if missing is not None:
        out = ["" if m else v for v, m in zip(out, missing, strict=True)]
    return out


def _ids(rng: np.random.Generator) -> list[str]:
    return [f"R{i:05d}" for i in rng.permutation(ROWS)]


def _numeric(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.normal(size=(ROWS, k))


NUMERIC_FEATURES = "    - x1\n    - x2\n    - x3\n    - x4"
QUANTILE_GROUP = "    - name: x3_band\n      column: x3\n      quantiles: 3"
LOGISTIC = ("    - class: sklearn.preprocessing.StandardScaler\n"
            "    - class: sklearn.linear_model.LogisticRegression\n      params: {max_iter: 1000}")
BINARY_TARGET = ("    column: outcome\n    mapping: {\"yes\": 1, \"no\": 0}\n"
                 "    positive_class: approved\n    negative_class: declined")
MULTI_TARGET = ("    column: species\n"
                "    mapping: {alpha: 0, beta: 1, gamma: 2}")
REG_TARGET = "    column: days\n    unit: days"
CLASS_GAPS = "  max_gap: {accuracy: 0.3}"
MULTI_GAPS = "  max_gap: {accuracy: 0.3, f1_macro: 0.4}"
REG_GAPS = "  max_gap: {mae: 2.0}"


def binary_numeric(steps: str = LOGISTIC, name: str = "binary-numeric-lr",
                   nullable: bool = False, seed: int = 1) -> Case:
    rng = np.random.default_rng(seed)
    X = _numeric(rng, 4)
    score = 1.5 * X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=ROWS)
    missing = rng.random((ROWS, 4)) < 0.1 if nullable else np.zeros((ROWS, 4), dtype=bool)
    missing[:, 2] = False  # the subgroup column
    features = NUMERIC_FEATURES if not nullable else "\n".join(
        f"    - {{name: x{j + 1}, type: numeric, nullable: true}}" if j != 2 else "    - x3"
        for j in range(4))
    return Case(
        name=name, task="binary",
        columns={"record_id": _ids(rng), **{f"x{j + 1}": _fmt(X[:, j], missing[:, j])
                                           for j in range(4)},
                 "outcome": ["yes" if s > 0 else "no" for s in score]},
        target=BINARY_TARGET, features=features, steps=steps,
        metrics="  primary: roc_auc\n  floors: {accuracy: 0.7, roc_auc: 0.75}",
        gaps=CLASS_GAPS, groups=QUANTILE_GROUP)


def binary_categorical_missing(seed: int = 2) -> Case:
    """Categorical strings with empty cells, a nullable numeric and a boolean: the
    ColumnTransformer + SimpleImputer + OneHotEncoder pipeline of issue 15."""
    rng = np.random.default_rng(seed)
    X = _numeric(rng, 4)
    kinds = np.array(["salaried", "self-employed", "contract", "unemployed"])
    employment = kinds[rng.integers(0, 4, ROWS)]
    regions = np.array(["north", "south", "east", "west"])
    region = regions[rng.integers(0, 4, ROWS)]
    guarantor = rng.random(ROWS) < 0.4
    score = (X[:, 0] - 0.8 * X[:, 1] + 1.2 * (employment == "salaried")
             - 1.2 * (employment == "unemployed") + 0.8 * guarantor - 0.4
             + 0.5 * rng.normal(size=ROWS))
    income_missing = rng.random(ROWS) < 0.1
    employment_missing = rng.random(ROWS) < 0.08
    steps = """\
    - class: sklearn.compose.ColumnTransformer
      params:
        transformers:
          - - numbers
            - class: sklearn.pipeline.Pipeline
              params:
                steps:
                  - [impute, {class: sklearn.impute.SimpleImputer, params: {strategy: median}}]
                  - [scale, {class: sklearn.preprocessing.StandardScaler}]
            - [income, x2, x3, x4]
          - - categories
            - class: sklearn.pipeline.Pipeline
              params:
                steps:
                  - [impute, {class: sklearn.impute.SimpleImputer,
                              params: {strategy: most_frequent}}]
                  - [onehot, {class: sklearn.preprocessing.OneHotEncoder,
                              params: {handle_unknown: ignore}}]
            - [employment_type, region]
          - [flags, passthrough, [has_guarantor]]
    - class: sklearn.linear_model.LogisticRegression
      params: {max_iter: 1000}"""
    features = """\
    - {name: income, type: numeric, nullable: true}
    - x2
    - x3
    - x4
    - {name: employment_type, type: categorical, nullable: true}
    - {name: region, type: categorical, categories: [north, south, east, west]}
    - {name: has_guarantor, type: boolean}"""
    groups = ("    - name: employment\n      column: employment_type\n"
              "    - name: x3_band\n      column: x3\n      quantiles: 2")
    return Case(
        name="binary-categorical-missing", task="binary",
        columns={"record_id": _ids(rng), "income": _fmt(X[:, 0] * 1000 + 30000, income_missing),
                 "x2": _fmt(X[:, 1]), "x3": _fmt(X[:, 2]), "x4": _fmt(X[:, 3]),
                 "employment_type": ["" if m else str(e) for e, m in
                                     zip(employment, employment_missing, strict=True)],
                 "region": [str(r) for r in region],
                 "has_guarantor": ["true" if g else "false" for g in guarantor],
                 "outcome": ["yes" if s > 0 else "no" for s in score]},
        target=BINARY_TARGET, features=features, steps=steps,
        metrics="  primary: roc_auc\n  floors: {accuracy: 0.7}",
        gaps="  max_gap: {accuracy: 0.35}", groups=groups)


def multiclass(steps: str = LOGISTIC, name: str = "multiclass-lr", seed: int = 3) -> Case:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, ROWS)
    centres = np.array([[0, 0, 0, 0], [2, 0, 1, 0], [0, 2, -1, 0]], dtype=float)
    X = centres[y] + rng.normal(size=(ROWS, 4))
    return Case(
        name=name, task="multiclass",
        columns={"record_id": _ids(rng), **{f"x{j + 1}": _fmt(X[:, j]) for j in range(4)},
                 "species": [("alpha", "beta", "gamma")[k] for k in y]},
        target=MULTI_TARGET, features=NUMERIC_FEATURES, steps=steps,
        metrics="  primary: f1_macro\n  floors: {accuracy: 0.6, f1_macro: 0.6}",
        gaps=MULTI_GAPS, groups=QUANTILE_GROUP)


def regression(steps: str, name: str, nullable: bool = False, seed: int = 4) -> Case:
    rng = np.random.default_rng(seed)
    X = _numeric(rng, 4)
    y = 20 + 3 * X[:, 0] - 2 * X[:, 1] + X[:, 3] ** 2 + 0.5 * rng.normal(size=ROWS)
    missing = rng.random(ROWS) < 0.1 if nullable else np.zeros(ROWS, dtype=bool)
    features = NUMERIC_FEATURES if not nullable else (
        "    - {name: x1, type: numeric, nullable: true}\n    - x2\n    - x3\n    - x4")
    return Case(
        name=name, task="regression",
        columns={"record_id": _ids(rng), "x1": _fmt(X[:, 0], missing),
                 **{f"x{j + 1}": _fmt(X[:, j]) for j in range(1, 4)}, "days": _fmt(y)},
        target=REG_TARGET, features=features, steps=steps,
        metrics="  primary: rmse\n  ceilings: {rmse: 4.0}\n  floors: {r2: 0.5}",
        gaps=REG_GAPS, groups=QUANTILE_GROUP)


RIDGE = ("    - class: sklearn.preprocessing.StandardScaler\n"
         "    - class: sklearn.linear_model.Ridge\n      params: {alpha: 1.0}")
HGB_CLASSIFIER = ("    - class: sklearn.ensemble.HistGradientBoostingClassifier\n"
                  "      params: {max_iter: 60, random_state: 0}")
RF_CLASSIFIER = ("    - class: sklearn.ensemble.RandomForestClassifier\n"
                 "      params: {n_estimators: 60, max_depth: 6, random_state: 0}")
GB_CLASSIFIER = ("    - class: sklearn.ensemble.GradientBoostingClassifier\n"
                 "      params: {n_estimators: 40, random_state: 0}")
HGB_REGRESSOR = ("    - class: sklearn.ensemble.HistGradientBoostingRegressor\n"
                 "      params: {max_iter: 80, random_state: 0}")
ET_REGRESSOR = ("    - class: sklearn.ensemble.ExtraTreesRegressor\n"
                "      params: {n_estimators: 60, min_samples_leaf: 3, random_state: 0}")

# each takes an optional ``seed=``: another draw from the same distribution (drift traffic)
CASES: dict[str, Callable[..., Case]] = {
    "binary-numeric-lr": binary_numeric,
    "binary-categorical-missing-lr": binary_categorical_missing,
    "binary-nullable-hgb": lambda **kw: binary_numeric(HGB_CLASSIFIER, "binary-nullable-hgb",
                                                       nullable=True, **kw),
    "binary-numeric-rf": lambda **kw: binary_numeric(RF_CLASSIFIER, "binary-numeric-rf", **kw),
    "multiclass-lr": multiclass,
    "multiclass-rf": lambda **kw: multiclass(RF_CLASSIFIER, "multiclass-rf", **kw),
    "multiclass-gb": lambda **kw: multiclass(GB_CLASSIFIER, "multiclass-gb", **kw),
    "regression-ridge": lambda **kw: regression(RIDGE, "regression-ridge", **kw),
    "regression-nullable-hgb": lambda **kw: regression(HGB_REGRESSOR, "regression-nullable-hgb",
                                                       nullable=True, **kw),
    "regression-et": lambda **kw: regression(ET_REGRESSOR, "regression-et", **kw),
}


# --- the drift round: traffic like the training data, then shifted traffic -----------------

SHIFTED_NUMERIC = "x2"  # in every case, numeric; moved by SHIFT_SD in the shifted traffic
SHIFT_SD = 3.0
BLANK_SHARE = 0.6  # share of shifted records sent with a nullable feature missing
BATCH = 10  # records per /predict request in the drift traffic


@dataclass(frozen=True)
class Shift:
    """What the shifted traffic changes, hence what the drift report must find: a moved
    numeric feature, every categorical and boolean forced to one value, and a jump in the
    missing values of every other nullable numeric feature."""

    numeric: str
    forced: dict[str, Any]
    blanked: tuple[str, ...]

    @property
    def drifted(self) -> set[str]:
        return {self.numeric, *self.forced, *self.blanked}


def shift_for(schema: Sequence[Any]) -> Shift:
    """The shift for a served schema (``modelgate.serving.manifest.FeatureField`` entries)."""
    forced: dict[str, Any] = {}
    for field in schema:
        if field.type == "categorical":
            forced[field.name] = field.categories[-1]
        elif field.type == "boolean":
            forced[field.name] = True
    blanked = tuple(f.name for f in schema
                    if f.type == "numeric" and f.nullable and f.name != SHIFTED_NUMERIC)
    return Shift(SHIFTED_NUMERIC, forced, blanked)


def fresh_records(name: str, schema: Sequence[Any], seed: int = 101) -> list[dict[str, Any]]:
    """Traffic like the training data: a new draw of the case's generator (other rows,
    same distribution), as API records (numbers, category names, true/false, null)."""
    case = CASES[name](seed=seed)

    def value(field: Any, text: str) -> Any:
        if text == "":
            return None
        if field.type == "numeric":
            return float(text)
        if field.type == "boolean":
            return text == "true"
        return text

    return [{f.name: value(f, case.columns[f.name][i]) for f in schema}
            for i in range(len(case.columns["record_id"]))]


def shifted_records(records: list[dict[str, Any]], shift: Shift,
                    seed: int = 5) -> list[dict[str, Any]]:
    """The records with the shift applied (API values: names, true/false, null)."""
    rng = np.random.default_rng(seed)
    out = []
    for record in records:
        changed = dict(record)
        if changed[shift.numeric] is not None:
            changed[shift.numeric] = changed[shift.numeric] + SHIFT_SD
        changed.update(shift.forced)
        for name in shift.blanked:
            if rng.random() < BLANK_SHARE:
                changed[name] = None
        out.append(changed)
    return out


def team_workspace(root: Path, case: Case) -> Path:
    """What a team does: the data file, ``modelgate data add``, then governance.yml; the
    path of that governance.yml."""
    from modelgate.datafiles import add_data

    csv_path = root / "data" / f"{case.name}.csv"
    case.write_csv(csv_path)
    (root / "REUSE.toml").write_text("version = 1\n")
    add_data(root, csv_path, license_id="CC0-1.0", copyright_text="2026 Example team",
             source="generated for modelgate's tests", id_column="record_id",
             target_column=case.target.split("column: ")[1].split("\n")[0],
             pii_status="none", certified_by="generated")
    (root / "governance.yml").write_text(case.governance())
    return root / "governance.yml"

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What init decides from the team's CSV when a flag leaves it open: the task, the label
mapping, each feature's type, a sound default estimator and a first subgroup.

Every decision that was not given is said (``Design.notes``), so the person running init
knows what to check in governance.yml before the first pull request.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modelgate.datafiles import MISSING, CsvFacts, DataFileError, check_id_column, describe_csv
from modelgate.errors import UsageError
from modelgate.governance import Task

MAX_CLASSES_INFERRED = 50  # more distinct text labels than this: ask for --task
MAX_INTEGER_CLASSES = 20  # integer targets with at most this many values are classes
MAX_CATEGORIES = 50  # a text column with more distinct values is left out by default
POSITIVE_WORDS = frozenset({"1", "1.0", "true", "yes", "y", "t", "positive", "pos"})
HEADER_SHOWN = 20

MSG_COLUMN = "{flag} {column!r} is not a column of {path}; its header is: {header}"
MSG_ID_IS_TARGET = "--id-column and --target name the same column {column!r}"
MSG_FEATURE_CLASH = "--features lists {column!r}, which is the {role} column"
MSG_TARGET_EMPTY = ("target column {column!r} of {path} has {count} empty cell(s) (first at "
                    "row {row}); fill or drop those rows first")
MSG_TASK_UNKNOWN = ("--task not given and target column {column!r} has {count} distinct "
                    "values, too many to be classes; pass --task regression or multiclass")
MSG_ONE_CLASS = "target column {column!r} of {path} holds only one value {value!r}"
MSG_BINARY = ("--task binary: target column {column!r} has {count} distinct values "
              "{values}; binary needs exactly 2 (use --task multiclass)")
MSG_MULTICLASS = ("--task multiclass: target column {column!r} has {count} distinct values; "
                  "multiclass needs 3 to 1000 (2: use --task binary)")
MSG_REGRESSION = ("--task regression: target column {column!r} holds {value!r} (row {row}), "
                  "not a number")
MSG_NO_FEATURES = ("no feature columns: {path} has only the id and target columns (and free "
                   "text); name the features with --features")
MSG_SUBGROUP = "--subgroup {column!r} is not one of the features {features}"


class InitError(UsageError):
    """A flag or the data cannot give a sound configuration; the message names which."""


@dataclass(frozen=True)
class Column:
    """One feature as governance.yml will declare it."""

    name: str
    type: str  # numeric | categorical | boolean
    nullable: bool
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Subgroup:
    name: str
    column: str
    quantiles: int | None


@dataclass(frozen=True)
class Design:
    """What governance.yml says about the data and the model, and why."""

    task: Task
    mapping: dict[str, int]
    positive: str
    negative: str
    features: tuple[Column, ...]
    steps: list[dict[str, Any]]
    subgroup: Subgroup
    rows: int
    label_counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    path: Path
    facts: CsvFacts
    columns: dict[str, list[str]]

    @property
    def header(self) -> tuple[str, ...]:
        return self.facts.header


def read_table(path: Path) -> Table:
    """The CSV's header and each column's cells (stripped), checked as ``data add`` does."""
    try:
        facts = describe_csv(path)
    except DataFileError as exc:
        raise InitError(f"--data: {exc}") from exc
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    columns = {name: [r[j].strip() for r in rows] for j, name in enumerate(facts.header)}
    return Table(path, facts, columns)


def _header(table: Table) -> str:
    shown = ", ".join(table.header[:HEADER_SHOWN])
    return shown + (f", … ({len(table.header)} columns)" if len(table.header) > HEADER_SHOWN
                    else "")


def require_column(table: Table, flag: str, column: str) -> None:
    if column not in table.header:
        raise InitError(MSG_COLUMN.format(flag=flag, column=column, path=table.path,
                                          header=_header(table)))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _sorted_labels(values: set[str]) -> list[str]:
    if all(_is_number(v) for v in values):
        return sorted(values, key=lambda v: (float(v), v))
    return sorted(values)


def _infer_task(column: str, values: list[str]) -> tuple[Task, str]:
    distinct = set(values)
    numeric = all(_is_number(v) for v in distinct)
    integral = numeric and all(float(v).is_integer() for v in distinct)
    if len(distinct) == 2:
        return "binary", f"column {column!r} has 2 distinct values"
    if numeric and not (integral and len(distinct) <= MAX_INTEGER_CLASSES):
        return "regression", f"column {column!r} holds {len(distinct)} distinct numbers"
    if len(distinct) <= MAX_CLASSES_INFERRED:
        return "multiclass", f"column {column!r} has {len(distinct)} distinct values"
    raise InitError(MSG_TASK_UNKNOWN.format(column=column, count=len(distinct)))


def _binary_mapping(labels: list[str], counts: dict[str, int]) -> tuple[str, str, str]:
    """(positive, negative, why): a label that reads positive, else the rarer class (the
    event a model is usually built to find)."""
    flagged = [v for v in labels if v.lower() in POSITIVE_WORDS]
    if len(flagged) == 1:
        positive = flagged[0]
        why = f"{positive!r} reads as the positive label"
    else:
        positive = min(reversed(labels), key=lambda v: counts[v])
        why = f"{positive!r} is the rarer label ({counts[positive]} rows)"
    negative = next(v for v in labels if v != positive)
    return positive, negative, why


def _target(table: Table, column: str, task: Task | None,
            notes: list[str]) -> tuple[Task, dict[str, int], str, str, dict[str, int]]:
    values = table.columns[column]
    empty = [i for i, v in enumerate(values) if v in MISSING]
    if empty:
        raise InitError(MSG_TARGET_EMPTY.format(column=column, path=table.path,
                                                count=len(empty), row=empty[0] + 2))
    distinct = set(values)
    if len(distinct) < 2:
        raise InitError(MSG_ONE_CLASS.format(column=column, path=table.path,
                                             value=next(iter(distinct), "")))
    if task is None:
        task, why = _infer_task(column, values)
        notes.append(f"task: {task} (inferred: {why}; pass --task to choose)")
    counts = {v: values.count(v) for v in distinct}
    labels = _sorted_labels(distinct)
    if task == "regression":
        bad = next((i for i, v in enumerate(values) if not _is_number(v)), None)
        if bad is not None:
            raise InitError(MSG_REGRESSION.format(column=column, value=values[bad],
                                                  row=bad + 2))
        return task, {}, "", "", {}
    if task == "binary":
        if len(labels) != 2:
            raise InitError(MSG_BINARY.format(column=column, count=len(labels),
                                              values=labels[:10]))
        positive, negative, why = _binary_mapping(labels, counts)
        notes.append(f"data.target: {positive!r} is the positive class (mapped to 1): {why}; "
                     "swap 0 and 1 in data.target.mapping if the other is the event you "
                     "predict")
        return task, {negative: 0, positive: 1}, positive, negative, counts
    if not 3 <= len(labels) <= 1000:
        raise InitError(MSG_MULTICLASS.format(column=column, count=len(labels)))
    return task, {v: i for i, v in enumerate(labels)}, "", "", counts


def _columns(table: Table, names: list[str]) -> tuple[Column, ...]:
    facts = table.facts
    out = []
    for name in names:
        kind, nullable = facts.types[name], facts.nullable[name]
        cats: tuple[str, ...] = ()
        if kind == "categorical":
            cats = tuple(sorted({v for v in table.columns[name] if v not in MISSING}))
        out.append(Column(name, kind, nullable, cats))
    return tuple(out)


def _flow_step(cls: str, **params: Any) -> dict[str, Any]:
    return {"class": cls, "params": params} if params else {"class": cls}


def _pipeline(*steps: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return _flow_step("sklearn.pipeline.Pipeline", steps=[[n, s] for n, s in steps])


IMPUTE_MEDIAN = _flow_step("sklearn.impute.SimpleImputer", strategy="median")
IMPUTE_FREQUENT = _flow_step("sklearn.impute.SimpleImputer", strategy="most_frequent")
SCALE = _flow_step("sklearn.preprocessing.StandardScaler")
ONE_HOT = _flow_step("sklearn.preprocessing.OneHotEncoder", handle_unknown="ignore")


def _model_step(task: Task) -> dict[str, Any]:
    if task == "regression":
        return _flow_step("sklearn.linear_model.Ridge", alpha=1.0)
    return _flow_step("sklearn.linear_model.LogisticRegression", C=1.0, max_iter=1000)


def default_steps(task: Task, features: tuple[Column, ...]) -> list[dict[str, Any]]:
    """Scale numbers, one-hot categories, pass booleans, impute where cells may be empty;
    then a (logistic) linear model. Every step converts to ONNX."""
    if all(c.type == "numeric" and not c.nullable for c in features):
        return [SCALE, _model_step(task)]
    transformers: list[list[Any]] = []
    groups = {kind: [c for c in features if c.type == kind]
              for kind in ("numeric", "categorical", "boolean")}
    if groups["numeric"]:
        nullable = any(c.nullable for c in groups["numeric"])
        enc = _pipeline(("impute", IMPUTE_MEDIAN), ("scale", SCALE)) if nullable else SCALE
        transformers.append(["numbers", enc, [c.name for c in groups["numeric"]]])
    if groups["categorical"]:
        nullable = any(c.nullable for c in groups["categorical"])
        enc = (_pipeline(("impute", IMPUTE_FREQUENT), ("onehot", ONE_HOT)) if nullable
               else ONE_HOT)
        transformers.append(["categories", enc, [c.name for c in groups["categorical"]]])
    if groups["boolean"]:
        nullable = any(c.nullable for c in groups["boolean"])
        transformers.append(["flags", IMPUTE_FREQUENT if nullable else "passthrough",
                             [c.name for c in groups["boolean"]]])
    column_transformer = _flow_step("sklearn.compose.ColumnTransformer",
                                    transformers=transformers)
    return [column_transformer, _model_step(task)]


def _subgroup(features: tuple[Column, ...], chosen: str | None) -> Subgroup:
    by_name = {c.name: c for c in features}
    if chosen is not None:
        if chosen not in by_name:
            raise InitError(MSG_SUBGROUP.format(column=chosen, features=list(by_name)[:20]))
        column = by_name[chosen]
    else:
        column = next((c for c in features if c.type != "numeric"), features[0])
    quantiles = 3 if column.type == "numeric" else None
    return Subgroup(f"by_{column.name}"[:60], column.name, quantiles)


def design(table: Table, *, target: str, id_column: str, task: Task | None,
           features: list[str] | None, estimator: str | None,
           subgroup: str | None) -> Design:
    """Check the flags against the table and decide the rest."""
    require_column(table, "--target", target)
    require_column(table, "--id-column", id_column)
    if target == id_column:
        raise InitError(MSG_ID_IS_TARGET.format(column=target))
    try:
        check_id_column(table.path, table.facts, id_column)
    except DataFileError as exc:
        raise InitError(f"--id-column: {exc}") from exc
    notes: list[str] = []
    task, mapping, positive, negative, counts = _target(table, target, task, notes)
    if features is None:
        names = [c for c in table.header if c not in (target, id_column)]
        wide = [c for c in names if table.facts.types[c] == "categorical"
                and table.facts.distinct[c] > MAX_CATEGORIES]
        names = [c for c in names if c not in wide]
        if not names:
            raise InitError(MSG_NO_FEATURES.format(path=table.path))
        notes.append(f"data.features: every other column ({len(names)}), types read from "
                     "the file; pass --features to choose")
        if wide:
            notes.append(f"left out {wide[:10]}: text with more than {MAX_CATEGORIES} "
                         "distinct values reads as free text or an id, not categories; "
                         "name it in --features to use it anyway")
    else:
        names = features
        for name in names:
            require_column(table, "--features", name)
            if name in (target, id_column):
                role = "target" if name == target else "id"
                raise InitError(MSG_FEATURE_CLASH.format(column=name, role=role))
    columns = _columns(table, names)
    if estimator is None:
        steps = default_steps(task, columns)
        encode = ", one-hot encoding" if any(c.type == "categorical" for c in columns) else ""
        impute = ", imputing empty cells" if any(c.nullable for c in columns) else ""
        notes.append(f"estimator: {steps[-1]['class'].rsplit('.', 1)[-1]} after scaling"
                     f"{encode}{impute}; pass --estimator path/to/file.py:make_pipeline for "
                     "your own")
    else:
        steps = [{"class": estimator}]
    group = _subgroup(columns, subgroup)
    if subgroup is None:
        notes.append(f"subgroups: performance compared across {group.column!r} (the bias "
                     "audit needs at least one group); pass --subgroup to choose")
    return Design(task, mapping, positive, negative, columns, steps, group,
                  len(table.columns[target]), counts, notes)

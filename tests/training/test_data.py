# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bad training input stops with one message naming the file, row or key, a non-zero exit,
and no successful run."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from modelgate.bot.cli.main import main
from modelgate.governance import load_config
from modelgate.hashing import sha256_file
from modelgate.training.data import DataError, load_dataset, split_dataset
from tests.conftest import make_workspace

CSV = "data/breast_cancer.csv"


def _rewrite(
    root: Path, edit: Callable[[list[str]], list[str]], *, fix_manifest: bool = True
) -> None:
    path = root / CSV
    lines = path.read_text().splitlines()
    path.write_text("\n".join(edit(lines)) + "\n")
    if fix_manifest:
        manifest_path = root / "data/breast_cancer.manifest.json"
        manifest = json.loads(manifest_path.read_text())
        manifest["sha256"] = sha256_file(path)
        manifest_path.write_text(json.dumps(manifest))


def _set_cell(lines: list[str], row: int, column: str, value: str) -> list[str]:
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return lines


def _drop_column(lines: list[str], column: str) -> list[str]:
    idx = lines[0].split(",").index(column)
    return [",".join(c for i, c in enumerate(line.split(",")) if i != idx) for line in lines]


CASES = [
    ("non-numeric", lambda ls: _set_cell(ls, 5, "mean_texture", "abc"),
     ["column 'mean_texture'", "non-numeric", "row(s) 6", "'abc'"]),
    ("nan", lambda ls: _set_cell(ls, 7, "worst_area", "NaN"),
     ["column 'worst_area'", "row(s) 8"]),
    ("empty cell", lambda ls: _set_cell(ls, 9, "mean_area", ""),
     ["column 'mean_area'", "row(s) 10"]),
    ("infinite", lambda ls: _set_cell(ls, 3, "mean_radius", "inf"),
     ["column 'mean_radius'", "infinite values", "row(s) 4"]),
    ("duplicated id", lambda ls: _set_cell(ls, 4, "id", ls[2].split(",")[0]),
     ["duplicated ids", "row(s) 3, 5"]),
    ("target outside mapping", lambda ls: _set_cell(ls, 11, "diagnosis", "X"),
     ["target column 'diagnosis'", "'X'", "['B', 'M']", "row(s) 12"]),
    ("missing column", lambda ls: _drop_column(ls, "worst_symmetry"),
     ["missing configured column(s) ['worst_symmetry']"]),
    ("header only", lambda ls: ls[:1], ["header but no rows"]),
]


@pytest.mark.parametrize(("name", "edit", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_data_is_named(tmp_path: Path, name: str, edit: object, expected: list[str]) -> None:
    """Each defect in the CSV is reported with its file, column and row."""
    root = make_workspace(tmp_path, commit=False)
    _rewrite(root, edit)  # type: ignore[arg-type]
    with pytest.raises(DataError) as err:
        load_dataset(load_config(root / "governance.yml"))
    message = str(err.value)
    assert str(root / CSV) in message
    for fragment in expected:
        assert fragment in message, (fragment, message)


def test_manifest_hash_mismatch_is_refused(tmp_path: Path) -> None:
    """A CSV that changed without its manifest is refused, naming both hashes."""
    root = make_workspace(tmp_path, commit=False)
    _rewrite(root, lambda ls: _set_cell(ls, 1, "mean_radius", "18.0"), fix_manifest=False)
    with pytest.raises(DataError, match="does not match the manifest"):
        load_dataset(load_config(root / "governance.yml"))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    """A missing data file, a missing manifest and an unreadable file are each named."""
    root = make_workspace(tmp_path, commit=False)
    config = load_config(root / "governance.yml")
    (root / CSV).chmod(0o000)
    try:
        import os

        if os.geteuid() != 0:  # root reads anything; the check only means something otherwise
            with pytest.raises(DataError, match="cannot read data file"):
                load_dataset(config)
    finally:
        (root / CSV).chmod(0o644)
    (root / CSV).unlink()
    with pytest.raises(DataError, match="data file not found"):
        load_dataset(config)
    (root / "data/breast_cancer.manifest.json").unlink()
    with pytest.raises(DataError, match="dataset manifest not found"):
        load_dataset(config)


def test_split_is_deterministic_and_stratified() -> None:
    """The same configuration gives the same split, with the class balance kept."""
    from tests.conftest import fixture_config

    config = load_config(fixture_config())
    ds = load_dataset(config)
    a, b = split_dataset(ds, config.governance), split_dataset(ds, config.governance)
    assert (a.test == b.test).all() and (a.train == b.train).all()
    assert len(a.test) == 114 and not set(a.train) & set(a.test)
    assert abs(ds.y[a.test].mean() - ds.y.mean()) < 0.01


BAD_FOR_CLI = [
    ("data", lambda ls: _set_cell(ls, 5, "mean_texture", "abc"), "non-numeric"),
    ("config", None, "invalid configuration"),
]


@pytest.mark.parametrize(("kind", "edit", "expected"), BAD_FOR_CLI, ids=["data", "config"])
def test_cli_stops_with_one_message_and_no_successful_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    kind: str, edit: object, expected: str,
) -> None:
    """`modelgate train` on bad input prints one message, exits 1, and MLflow has no run."""
    root = make_workspace(tmp_path, commit=False, fresh_store=True)
    if edit is None:
        gov = root / "governance.yml"
        gov.write_text(gov.read_text().replace("test_size: 0.2", "test_size: two"))
    else:
        _rewrite(root, edit)  # type: ignore[arg-type]
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert main(["train"]) == 2  # bad data or configuration
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err
    assert not (root / ".modelgate" / "mlflow.db").exists()


# --- declared feature types (issue 15), on generated data, not the team's -----------------

TYPED_GOV = """\
schema_version: 1
task: {task}
model: {{name: typed, intended_use: x, out_of_scope_use: x, limitations: x}}
data:
  path: t.csv
  manifest: t.manifest.json
  id_column: id
  target: {target}
  features:
    - {{name: income, type: numeric, nullable: true}}
    - {{name: kind, type: categorical, nullable: true}}
    - {{name: region, type: categorical, categories: [north, south]}}
    - {{name: flag, type: boolean}}
estimator: {{steps: [{{class: sklearn.linear_model.LogisticRegression}}]}}
split: {{test_size: 0.5, random_state: 1, stratify: false}}
approval: {{roles: [{{name: r, users: [u]}}]}}
"""
BINARY_TARGET = "{column: y, mapping: {a: 1, b: 0}, positive_class: a, negative_class: b}"
TYPED_CSV = ("id,income,kind,region,flag,y\n1,10.5,x,north,true,a\n2,,y,south,no,b\n"
             "3,7,,north,1,a\n4,NA,x,south,False,b\n")


def _typed(tmp_path: Path, csv_text: str = TYPED_CSV, task: str = "binary",
           target: str = BINARY_TARGET) -> Path:
    (tmp_path / "t.csv").write_text(csv_text)
    (tmp_path / "t.manifest.json").write_text(json.dumps({
        "sha256": sha256_file(tmp_path / "t.csv"), "rows": 4, "columns": 6, "id_column": "id",
        "license": "CC0-1.0", "source": "test", "pii": {"status": "none",
                                                       "certified_by": "test"}}))
    (tmp_path / "governance.yml").write_text(TYPED_GOV.format(task=task, target=target))
    return tmp_path / "governance.yml"


def test_typed_features_keep_their_type_and_missing_values(tmp_path: Path) -> None:
    """Missing cells are NaN (never "non-numeric"), categories become codes in the
    declared (else sorted) order, booleans 0/1."""
    ds = load_dataset(load_config(_typed(tmp_path)))
    assert ds.categories == {"kind": ("x", "y"), "region": ("north", "south")}
    np.testing.assert_array_equal(ds.X, np.array([
        [10.5, 0, 0, 1], [np.nan, 1, 1, 0], [7, np.nan, 0, 1], [np.nan, 0, 1, 0]]))
    assert ds.y.tolist() == [1, 0, 1, 0]


@pytest.mark.parametrize(("cell_row", "column", "value", "fragment"), [
    (1, "region", "", "column 'region' is empty at row(s) 2; if the feature may be missing"),
    (1, "region", "west", "'west' at row(s) 2, not among its declared categories"),
    (2, "flag", "maybe", "column 'flag' (boolean) has value 'maybe'"),
    (1, "income", "ten", "column 'income' (numeric) has non-numeric values at row(s) 2"),
])
def test_typed_features_name_bad_cells(tmp_path: Path, cell_row: int, column: str, value: str,
                                       fragment: str) -> None:
    """A bad cell of a typed feature names the column, the row and what to do."""
    lines = _set_cell(TYPED_CSV.splitlines(), cell_row, column, value)
    with pytest.raises(DataError) as err:
        load_dataset(load_config(_typed(tmp_path, "\n".join(lines) + "\n")))
    assert fragment in str(err.value)


def test_multiclass_and_regression_targets(tmp_path: Path) -> None:
    """Multiclass labels map to their index; a regression target is its numbers, and a
    missing one is named."""
    multi = TYPED_CSV.replace("4,NA,x,south,False,b", "4,NA,x,south,False,c")
    ds = load_dataset(load_config(_typed(tmp_path, multi, "multiclass",
                                         "{column: y, mapping: {a: 0, b: 1, c: 2}}")))
    assert ds.y.tolist() == [0, 1, 0, 2]
    reg = TYPED_CSV.replace(",a\n", ",1.5\n").replace(",b\n", ",2\n")
    ds = load_dataset(load_config(_typed(tmp_path, reg, "regression", "{column: y}")))
    assert ds.y.dtype == np.float64 and ds.y.tolist() == [1.5, 2.0, 1.5, 2.0]
    with pytest.raises(DataError, match=r"regression.*row\(s\) 3"):
        load_dataset(load_config(_typed(tmp_path, reg.replace("no,2", "no,"), "regression",
                                        "{column: y}")))

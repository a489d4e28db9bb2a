# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate data add`` writes a manifest and REUSE entry that agree with the file; the
lineage check names every later disagreement; validate-config checks columns and builds
the estimator."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from modelgate.bot.cli import data as data_cli
from modelgate.datafiles import (
    LICENSE_TAG,
    DataFileError,
    add_data,
    disagreements,
    reuse_license,
)
from modelgate.governance import ConfigError, load_config
from modelgate.training.preflight import check_against_data, validate_against_data
from tests.training.models_matrix_support import CASES

CSV = "id,kind,score,flag,label\nA1,x,1.5,true,yes\nA2,,2.5,false,no\nA3,y,,true,yes\n"


def _repo(tmp_path: Path, text: str = CSV) -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "t.csv").write_text(text)
    (tmp_path / "REUSE.toml").write_text("version = 1\n")
    return tmp_path / "data" / "t.csv"


def _add(root: Path, path: Path, **kw: object) -> None:
    options: dict[str, object] = {"license_id": "CC-BY-4.0", "copyright_text": "2026 Team",
                                  "source": "export", "id_column": "id"}
    options.update(kw)
    add_data(root, path, **options)  # type: ignore[arg-type]


def test_data_add_writes_manifest_and_reuse_entry(tmp_path: Path) -> None:
    """Rows, columns, types (missing cells seen as nullable), the id column and the
    licence go where the lineage audit and REUSE read them; they agree."""
    path = _repo(tmp_path)
    parser = argparse.ArgumentParser()
    data_cli.register(parser.add_subparsers())
    args = parser.parse_args(["data", "add", str(path), "--license", "CC-BY-4.0", "--copyright",
                              "2026 Team", "--source", "export", "--id-column", "id",
                              "--target", "label", "--root", str(tmp_path)])
    assert args.handler(args, None) == 0
    manifest = json.loads((tmp_path / "data" / "t.manifest.json").read_text())
    assert (manifest["rows"], manifest["columns"], manifest["id_column"]) == (3, 5, "id")
    assert manifest["column_types"]["kind"] == {"type": "categorical", "nullable": True}
    assert manifest["column_types"]["score"] == {"type": "numeric", "nullable": True}
    assert manifest["column_types"]["flag"] == {"type": "boolean", "nullable": False}
    assert reuse_license(tmp_path, "data/t.csv") == ("CC-BY-4.0", "data/t.csv.license")
    assert f"{LICENSE_TAG}: CC-BY-4.0" in (
        tmp_path / "data" / "t.manifest.json.license").read_text()
    assert disagreements(tmp_path, path, manifest, "id") == []


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda m: m.update(rows=4), "manifest rows 4, the file has 3"),
    (lambda m: m.update(columns=6), "manifest columns 6, the file has 5"),
    (lambda m: m.update(id_column="kind"), "manifest id_column 'kind'"),
    (lambda m: m.update(license="MIT"), "manifest license 'MIT', REUSE gives 'CC-BY-4.0'"),
    (lambda m: m.update(sha256="0" * 64), "manifest sha256"),
])
def test_lineage_names_each_disagreement(tmp_path: Path, edit: object, fragment: str) -> None:
    """A hand-edited manifest that no longer tells the truth is named, key by key."""
    path = _repo(tmp_path)
    _add(tmp_path, path)
    manifest = json.loads((tmp_path / "data" / "t.manifest.json").read_text())
    edit(manifest)  # type: ignore[operator]
    problems = disagreements(tmp_path, path, manifest, "id")
    assert any(fragment in p for p in problems), problems


def test_data_add_refuses_bad_input(tmp_path: Path) -> None:
    """A repeated or absent id column, a non-SPDX licence, an existing manifest and a
    REUSE.toml override with another licence each stop with one message."""
    path = _repo(tmp_path, CSV + "A1,x,1,true,no\n")
    with pytest.raises(DataFileError, match="repeats values"):
        _add(tmp_path, path)
    with pytest.raises(DataFileError, match="'nope' is not in the header"):
        _add(tmp_path, path, id_column="nope")
    with pytest.raises(DataFileError, match="not an SPDX licence"):
        _add(tmp_path, path, license_id="my licence!")
    path.write_text(CSV)
    _add(tmp_path, path)
    with pytest.raises(DataFileError, match="pass --force"):
        _add(tmp_path, path)
    (tmp_path / "REUSE.toml").write_text(
        'version = 1\n[[annotations]]\npath = "data/**"\nprecedence = "override"\n'
        'SPDX-FileCopyrightText = "x"\nSPDX-License-Identifier = "MIT"\n')
    with pytest.raises(DataFileError, match=r"already licenses data/t\.csv as 'MIT'"):
        _add(tmp_path, path, force=True)


def test_validate_config_checks_columns_and_builds(tmp_path: Path) -> None:
    """Every column reference is checked against the header, and the estimator built."""
    case = CASES["binary-categorical-missing-lr"]()
    case.write_csv(tmp_path / "data" / f"{case.name}.csv")
    text = case.governance()
    (tmp_path / "governance.yml").write_text(text)
    assert "modelgate data add data/binary-categorical-missing.csv" in " ".join(
        check_against_data(load_config(tmp_path / "governance.yml")))
    _add(tmp_path, tmp_path / "data" / f"{case.name}.csv", id_column="record_id")
    assert check_against_data(load_config(tmp_path / "governance.yml")) == []
    broken = text.replace("column: employment_type", "column: employment").replace(
        "sklearn.linear_model.LogisticRegression", "sklearn.linear_model.NoSuchModel")
    (tmp_path / "governance.yml").write_text(broken)
    with pytest.raises(ConfigError) as err:
        validate_against_data(load_config(tmp_path / "governance.yml"))
    message = str(err.value)
    assert "subgroups.groups[0].column: column 'employment' is not in" in message
    assert "has no attribute 'NoSuchModel'" in message


def test_validate_config_names_what_cannot_be_served(tmp_path: Path) -> None:
    """A pipeline step without an ONNX converter is named by validate-config, with the
    converter's cause, before anyone trains."""
    case = CASES["binary-numeric-lr"]()
    case.write_csv(tmp_path / "data" / f"{case.name}.csv")
    _add(tmp_path, tmp_path / "data" / f"{case.name}.csv", id_column="record_id")
    text = case.governance().replace("sklearn.preprocessing.StandardScaler",
                                     "sklearn.preprocessing.SplineTransformer")
    (tmp_path / "governance.yml").write_text(text)
    (problem,) = check_against_data(load_config(tmp_path / "governance.yml"))
    assert problem.startswith("estimator: not servable: cannot convert the estimator "
                              "(SplineTransformer > LogisticRegression) to ONNX")
    assert "\n" not in problem

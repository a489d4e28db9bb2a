# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The tool's tests never read the team's data: a team that swaps governance.yml and data/
keeps a green ``make test``. Only tests about the shipped example itself read them, marked
``shipped_example``."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

import tests.conftest as conftest
from tests.conftest import REPO, SHIPPED_EXAMPLE_MODULES
from tests.workspace_support import copy_without_team_files, length_of_stay_csv

# names the tests give the repository's root
ROOT_NAMES = {"REPO", "REPO_ROOT", "ROOT", "repo_root"}
MARK = "shipped_example"


def _root_name(node: ast.expr) -> str | None:
    """``REPO`` for ``REPO / "a" / "b"``: the leftmost name of a path expression."""
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        node = node.left
    return node.id if isinstance(node, ast.Name) else None


def _parts(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        if isinstance(node.right, ast.Constant) and isinstance(node.right.value, str):
            parts.insert(0, node.right.value)
        node = node.left
    return parts


def _is_team_path(node: ast.expr) -> bool:
    if not (isinstance(node, ast.BinOp) and _root_name(node) in ROOT_NAMES):
        return False
    parts = _parts(node)
    first = parts[0].split("/")[0] if parts else ""
    return first in ("governance.yml", "data")


def _marked(decorators: list[ast.expr]) -> bool:
    return any(MARK in ast.unparse(d) for d in decorators)


def team_paths(source: str, filename: str) -> list[str]:
    """``line: expression`` for each path into the repository's governance.yml or data/
    outside a test marked ``shipped_example`` (a module's ``pytestmark`` counts)."""
    tree = ast.parse(source, filename=filename)
    module_marked = any(
        isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark"
                                          for t in n.targets) and MARK in ast.unparse(n.value)
        for n in tree.body)
    if module_marked:
        return []
    allowed: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _marked(
                node.decorator_list):
            allowed.update(id(n) for n in ast.walk(node))
    # a path inside a longer one (``REPO / "data"`` in ``REPO / "data" / "x.csv"``) is the
    # same finding
    inner = {id(n.left) for n in ast.walk(tree) if isinstance(n, ast.BinOp)
             and isinstance(n.op, ast.Div)}
    found = [f"{node.lineno}: {ast.unparse(node)}" for node in ast.walk(tree)
             if isinstance(node, ast.BinOp) and id(node) not in allowed | inner
             and _is_team_path(node)]
    return sorted(found, key=lambda f: int(f.split(":")[0]))


def test_no_test_module_reads_the_team_files() -> None:
    """Every path into the repository's governance.yml or data/ is in a test about the
    shipped example; the rest use make_workspace or fixture_config (tests/fixtures)."""
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        if rel in SHIPPED_EXAMPLE_MODULES or rel == "tests/test_team_data_independence.py":
            continue
        offenders += [f"{rel}:{hit}" for hit in team_paths(path.read_text(encoding="utf-8"),
                                                            rel)]
    assert offenders == []


def test_the_source_check_sees_a_team_path_and_respects_the_marker() -> None:
    source = (
        "import pytest\n"
        "def test_a():\n    load(REPO / 'governance.yml')\n"
        "def test_b():\n    open(REPO_ROOT / 'data' / 'x.csv')\n"
        "def test_c():\n    open(REPO / 'README.md')\n"
        "@pytest.mark.shipped_example\ndef test_d():\n    load(REPO / 'governance.yml')\n")
    assert team_paths(source, "t.py") == ["3: REPO / 'governance.yml'",
                                          "5: REPO_ROOT / 'data' / 'x.csv'"]
    assert team_paths("import pytest\npytestmark = pytest.mark.shipped_example\n"
                      "X = REPO / 'data'\n", "t.py") == []


def test_the_audit_hook_sees_a_read_of_the_team_files() -> None:
    """The autouse guard records an open of the repository's governance.yml (here into a
    list of its own, so that this test's own guard stays clean)."""
    before = conftest._shipped_reads
    conftest._shipped_reads = []
    try:
        (REPO / "governance.yml").read_bytes()
        (REPO / "README.md").read_bytes()
        seen = list(conftest._shipped_reads)
    finally:
        conftest._shipped_reads = before
    assert seen == [str(REPO / "governance.yml")]


# --- the proof: another team's repository, the tool's tests green there ---------------

TEAM_CSV = "data/stays.csv"
# a representative slice: configuration, data loading, training and its lineage audit
# (the governance test validates the repository's governance.yml, here the other team's)
SLICE = ("tests/modelgate/test_governance.py", "tests/training/test_data.py",
         "tests/check/audits/test_lineage.py",
         "tests/test_team_data_independence.py::test_no_test_module_reads_the_team_files")


def _team_governance(shipped: str) -> str:
    """Another team's governance.yml: a regression on its own data, the rest of the shipped
    file (approvals, gate, GitHub) kept, as a team edits it."""
    import yaml

    raw = yaml.safe_load(shipped)
    raw["task"] = "regression"
    raw["model"].update(name="length-of-stay", description="Ridge regression of stay length.")
    raw["data"] = {"path": TEAM_CSV, "manifest": "data/stays.manifest.json",
                   "id_column": "admission_id",
                   "target": {"column": "length_of_stay", "unit": "days"},
                   "features": ["age", "creatinine", "heart_rate"]}
    raw["estimator"] = {"steps": [{"class": "sklearn.preprocessing.StandardScaler"},
                                  {"class": "sklearn.linear_model.Ridge",
                                   "params": {"alpha": 1.0}}]}
    raw["split"] = {"test_size": 0.2, "random_state": 42, "stratify": False}
    raw["metrics"] = {"primary": "rmse", "ceilings": {"rmse": 3.0}, "floors": {"r2": 0.3}}
    raw["subgroups"] = {"min_size": 20, "max_gap": {"mae": 2.0},
                        "groups": [{"name": "age_band", "column": "age", "quantiles": 3,
                                    "labels": ["young", "middle", "old"]}]}
    raw["mlflow"]["experiment"] = "length-of-stay"
    return yaml.safe_dump(raw, sort_keys=False)


@pytest.mark.slow
def test_the_tools_tests_pass_in_a_repository_with_another_teams_data(tmp_path: Path) -> None:
    """The repository's tracked files with governance.yml and data/ replaced the way a team
    does it (its CSV, `modelgate data add`, its governance.yml): a slice of the tool's
    tests still passes there, the source guard included."""
    # the working tree as it would be committed: tracked and new files, not ignored ones
    team = copy_without_team_files(tmp_path / "team", untracked=True)
    (team / "data").mkdir()
    (team / TEAM_CSV).write_text(length_of_stay_csv(seed=7, first_id=100000, noise=0.8))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTEST_"))}
    venv_python = str(REPO / ".venv" / "bin" / "python")
    modelgate = str(REPO / ".venv" / "bin" / "modelgate")
    added = subprocess.run(
        [modelgate, "data", "add", TEAM_CSV, "--license", "CC-BY-4.0",
         "--copyright", "2026 Example Hospital", "--source", "ward admissions export",
         "--id-column", "admission_id", "--target", "length_of_stay", "--pii-status", "none"],
        cwd=team, env=env, capture_output=True, text=True)
    assert added.returncode == 0, added.stderr
    (team / "governance.yml").write_text(_team_governance(
        (REPO / "tests" / "fixtures" / "workspace" / "governance.yml").read_text()))
    valid = subprocess.run([modelgate, "validate-config"], cwd=team, env=env,
                           capture_output=True, text=True)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    done = subprocess.run(
        [venv_python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", "-n", "0",
         *SLICE], cwd=team, env={**env, "MODELGATE_FIXTURES": str(conftest.FIXTURES)},
        capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and " failed" not in done.stdout

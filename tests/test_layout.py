# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The layout keeps its promises: who may import whom."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from tests.conftest import REPO


def imports_of(path: Path) -> set[str]:
    """Every module name ``path`` imports, absolute, at any depth of the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def python_files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (REPO / folder).rglob("*.py"))


def importers(files: list[Path], *prefixes: str) -> list[str]:
    """``file: module`` for each import of a module under one of ``prefixes``."""
    return [f"{p.relative_to(REPO)}: {name}" for p in files for name in sorted(imports_of(p))
            if any(name == pre or name.startswith(pre + ".") for pre in prefixes)]


def test_only_the_github_adapter_imports_pygithub() -> None:
    """PyGithub is reached only through bot/github/, the adapter."""
    outside = [p for p in python_files("bot") if "github" not in p.relative_to(REPO).parts[1:2]]
    assert importers(outside, "github") == []


def test_the_github_adapter_knows_nothing_of_the_decision() -> None:
    """The adapter converts GitHub's data; deciding is the approval core's and the chain's."""
    assert importers(python_files("bot/github"), "modelgate.bot.approvals",
                     "modelgate.bot.chain") == []


def test_the_approval_core_is_pure() -> None:
    """The core sees no GitHub client, payload view, MLflow or AWS."""
    assert importers(python_files("bot/approvals"), "github", "modelgate.bot.github",
                     "modelgate.bot.chain", "mlflow", "boto3", "requests") == []


def test_the_demo_does_not_depend_on_the_test_suite() -> None:
    assert importers(python_files("demo"), "tests") == []


@pytest.mark.parametrize("layer", ["modelgate", "training", "infra"])
def test_foundations_and_lower_layers_do_not_reach_up_into_the_bot(layer: str) -> None:
    assert importers(python_files(layer), "modelgate.bot", "demo", "tests") == []


def test_serving_ships_alone() -> None:
    """The Lambda zip holds modelgate/serving/ only: serving never imports the rest of the
    project, MLflow or pandas."""
    assert importers(python_files("lambda"), "mlflow", "pandas", "demo", "modelgate.bot",
                     "modelgate.training", "modelgate.infra") == []
    outside = [line for line in importers(python_files("lambda"), "modelgate")
               if not line.split(": ")[1].startswith("modelgate.serving")]
    assert outside == []


def test_no_product_code_imports_tests() -> None:
    assert importers(python_files("bot", "training", "infra", "modelgate", "lambda"),
                     "tests") == []


# --- one import namespace (issue 18) ---------------------------------------------------

OLD_TOP_LEVEL = {"bot": "bot", "training": "training", "infra": "infra",
                 "serving": "lambda/serving"}
# not data/: the team's folder (its scripts are the team's, tests/conftest.py's guard)
EVERY_FOLDER = ("bot", "training", "infra", "lambda", "modelgate", "demo", "tests", "bench",
                "scripts")


def submodules(folder: str) -> set[str]:
    base = REPO / folder
    return ({p.stem for p in base.glob("*.py")} - {"__init__"}
            | {p.parent.name for p in base.glob("*/__init__.py")})


SUBMODULES = {top: submodules(folder) for top, folder in OLD_TOP_LEVEL.items()}


def old_dotted_strings(path: Path) -> list[str]:
    """String constants naming a module by its old top-level path (a mock.patch target, a
    ``-m`` argument): the first part one of the four, the second a real submodule."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for word in node.value.replace(":", " ").replace('"', " ").split():
                top, _, rest = word.partition(".")
                if rest.split(".")[0] in SUBMODULES.get(top, ()):
                    found.append(f"{path.relative_to(REPO)}: {word}")
    return found


def test_no_module_imports_the_old_top_level_names() -> None:
    """bot, training, infra and serving are modelgate.bot, .training, .infra and .serving:
    the old top-level names would collide with any other distribution so named."""
    files = python_files(*EVERY_FOLDER)
    assert importers(files, *OLD_TOP_LEVEL) == []
    assert [line for p in files for line in old_dotted_strings(p)] == []


def test_the_namespace_links_point_at_the_folders() -> None:
    """modelgate/<name> is a relative symlink to the folder the product was specified in."""
    for name, folder in OLD_TOP_LEVEL.items():
        link = REPO / "modelgate" / name
        assert link.is_symlink(), f"{link} is not a symlink"
        assert link.readlink() == Path("..") / folder
        assert link.resolve() == (REPO / folder).resolve()


def test_python_files_do_not_walk_through_the_links() -> None:
    """Each source file is seen once (rglob does not follow the symlinks)."""
    files = python_files("modelgate")
    assert files and not [p for p in files if p.relative_to(REPO).parts[1] in OLD_TOP_LEVEL]


@pytest.mark.parametrize("name", sorted(OLD_TOP_LEVEL))
def test_the_old_top_level_names_do_not_import_in_the_tests(name: str) -> None:
    """tests/conftest.py refuses them, so a test cannot pass on a second copy of a module."""
    with pytest.raises(ImportError):
        importlib.import_module(name)
    assert importlib.import_module(f"modelgate.{name}").__name__ == f"modelgate.{name}"

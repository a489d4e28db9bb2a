# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The layout keeps its promises: who may import whom."""

from __future__ import annotations

import ast
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
    assert importers(python_files("bot/github"), "bot.approvals", "bot.chain") == []


def test_the_approval_core_is_pure() -> None:
    """The core sees no GitHub client, payload view, MLflow or AWS."""
    assert importers(python_files("bot/approvals"), "github", "bot.github", "bot.chain",
                     "mlflow", "boto3", "requests") == []


def test_the_demo_does_not_depend_on_the_test_suite() -> None:
    assert importers(python_files("demo"), "tests") == []


@pytest.mark.parametrize("layer", ["modelgate", "training", "infra"])
def test_foundations_and_lower_layers_do_not_reach_up_into_the_bot(layer: str) -> None:
    assert importers(python_files(layer), "bot", "demo", "tests") == []


def test_serving_ships_alone() -> None:
    """The Lambda zip holds lambda/serving only: it never imports the rest of the project,
    MLflow or pandas."""
    assert importers(python_files("lambda"), "mlflow", "pandas", "bot", "training", "infra",
                     "modelgate", "demo") == []


def test_no_product_code_imports_tests() -> None:
    assert importers(python_files("bot", "training", "infra", "modelgate", "lambda"),
                     "tests") == []

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Every GitHub call goes through the adapter: only ``bot/github/`` imports PyGithub."""

from __future__ import annotations

import ast

from modelgate.bot.github.api import parse_issue
from tests.conftest import REPO as REPO_ROOT

OUTSIDE = ("bot", "training", "infra", "modelgate")


def _imports_pygithub(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level
                 else [])
        if any(name == "github" or name.startswith("github.") for name in names):
            return True
    return False


def test_only_the_adapter_imports_pygithub() -> None:
    """Drift's issue, the bot and the CLI reach GitHub through ``GitHubApi`` only."""
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for top in OUTSIDE
        for path in sorted((REPO_ROOT / top).rglob("*.py"))
        if "github" not in path.relative_to(REPO_ROOT).parts[1:2]
        and _imports_pygithub(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    assert _imports_pygithub("from github import Auth\n")
    assert _imports_pygithub("import github.Issue\n")
    assert not _imports_pygithub("from modelgate.bot.github.api import PyGithubApi\n")


def test_an_issue_is_read_with_its_labels_and_author() -> None:
    """An issue as GitHub answers it; a deleted author is the ghost, a null body is empty."""
    issue = parse_issue({"number": 7, "title": "Drift", "user": None, "body": None,
                         "state": "closed", "labels": [{"name": "drift"}],
                         "html_url": "https://github.com/acme/model/issues/7"})
    assert (issue.number, issue.author, issue.body, issue.state, issue.labels) == (
        7, "ghost", "", "closed", ("drift",))

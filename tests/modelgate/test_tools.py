# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The project finds the uv it installed for itself, whatever PATH holds."""

from __future__ import annotations

import re
import sysconfig
import tomllib
from pathlib import Path

import pytest

from modelgate import tools
from tests.conftest import REPO


def executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_the_locked_uv_is_found_with_an_empty_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """`.venv/bin/modelgate` run from a plain shell finds the uv `make setup` locked."""
    monkeypatch.setenv("PATH", "")
    found = tools.find_uv(REPO)
    assert found is not None
    assert Path(found).parent == Path(sysconfig.get_path("scripts"))


def test_the_locked_uv_wins_over_one_on_path(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Another uv on PATH does not replace the locked one (the zip follows the lock)."""
    executable(tmp_path / "bin" / "uv")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert tools.find_uv() == str(Path(sysconfig.get_path("scripts")) / "uv")


def test_path_then_the_repository_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a uv beside the interpreter: PATH first, then <repo>/.modelgate/tools/bin."""
    empty = tmp_path / "scripts"
    empty.mkdir()
    monkeypatch.setattr(tools.sysconfig, "get_path", lambda name: str(empty))
    monkeypatch.setenv("PATH", "")
    assert tools.find_uv(tmp_path) is None
    bootstrapped = executable(tmp_path / tools.TOOLS_BIN / "uv")
    assert tools.find_uv(tmp_path) == str(bootstrapped)
    on_path = executable(tmp_path / "bin" / "uv")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert tools.find_uv(tmp_path) == str(on_path)
    assert tools.tool_places(tmp_path) == [str(empty), "PATH",
                                           str(tmp_path / tools.TOOLS_BIN)]


def test_the_makefile_bootstraps_the_locked_uv_version() -> None:
    """`make setup` bootstraps the uv version that pyproject.toml (and so uv.lock) pins."""
    (bootstrap,) = re.findall(r'"uv==([^"]+)"', (REPO / "Makefile").read_text())
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"uv=={bootstrap}" in deps

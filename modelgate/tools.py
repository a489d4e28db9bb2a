# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Find the executables the project installs for itself, whatever PATH says.

`make setup` puts the locked uv in ``.venv/bin`` (uv is a locked dependency) after
bootstrapping the same version into ``.modelgate/tools/bin``. A command run as
``.venv/bin/modelgate`` or ``.venv/bin/python -m ...`` from an ordinary shell has neither
on PATH, so the lookup tries, in order: the running interpreter's own scripts directory
(the locked version: the Lambda zip must not depend on whichever uv a PATH offers first),
PATH, then ``<repo>/.modelgate/tools/bin``.
"""

from __future__ import annotations

import shutil
import sysconfig
from pathlib import Path

TOOLS_BIN = Path(".modelgate") / "tools" / "bin"
SETUP_HINT = "run `make setup`, which installs the locked uv into .venv/bin"


def tool_places(repo_root: Path | None = None) -> list[str]:
    """Where :func:`find_tool` looks, in order (``PATH`` stands for the PATH search)."""
    places = [sysconfig.get_path("scripts"), "PATH"]
    if repo_root is not None:
        places.append(str(Path(repo_root) / TOOLS_BIN))
    return places


def find_tool(name: str, repo_root: Path | None = None) -> str | None:
    """The path of executable ``name`` from the first place of :func:`tool_places` that
    holds it, or None."""
    for place in tool_places(repo_root):
        found = shutil.which(name) if place == "PATH" else shutil.which(name, path=place)
        if found is not None:
            return found
    return None


def find_uv(repo_root: Path | None = None) -> str | None:
    """The uv executable the project installed for itself (see the module docstring)."""
    return find_tool("uv", repo_root)

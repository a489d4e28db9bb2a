# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the audits: running a tool offline, listing tracked files, masking.

Audits run on air-gapped runners, so every tool started from here gets an environment
that points any HTTP client at a closed loopback port and asks uv and pip to stay
offline: a tool that would quietly reach the network fails instead of hanging.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from modelgate.bot.check.audits.base import EvidenceMissing
from modelgate.errors import ModelgateError

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 120.0
LIST_CAP = 20  # longest list of ids, files or findings shown in a report
MASK_CAP = 32  # longest masked value shown in a report
# a closed port on loopback: any HTTP(S) request a child makes fails at once
DEAD_PROXY = "http://127.0.0.1:9"
OFFLINE_VARIABLES = {
    "HTTP_PROXY": DEAD_PROXY,
    "HTTPS_PROXY": DEAD_PROXY,
    "ALL_PROXY": DEAD_PROXY,
    "http_proxy": DEAD_PROXY,
    "https_proxy": DEAD_PROXY,
    "all_proxy": DEAD_PROXY,
    "NO_PROXY": "",
    "no_proxy": "",
    "UV_OFFLINE": "1",
    "PIP_NO_INDEX": "1",
    "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS": "",
    "GIT_TERMINAL_PROMPT": "0",
}

TOOL_MISSING = "{tool} cannot be started: it is not installed or not on PATH"
TOOL_TIMEOUT = "{command} did not finish within {timeout:.0f} s"
NOT_A_REPO = "{root} is not a git work tree, so its tracked files cannot be listed: {detail}"


class ToolError(ModelgateError, RuntimeError):
    """A tool could not be started, timed out, or said something we cannot read."""


@dataclass(frozen=True)
class ToolResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def offline_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process that must not use the network."""
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE_VARIABLES)
    return env


def run_tool(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    env: Mapping[str, str] | None = None,
) -> ToolResult:
    """Run a command offline and capture its output; a missing tool or a time-out raises."""
    command = " ".join(argv[:3])
    started = time.perf_counter()
    try:
        # argv is built by the audits from fixed parts, never a shell line
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=offline_env(env),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ToolError(TOOL_MISSING.format(tool=argv[0])) from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(TOOL_TIMEOUT.format(command=command, timeout=timeout_s)) from exc
    return ToolResult(
        argv=tuple(argv),
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        seconds=time.perf_counter() - started,
    )


def tracked_files(root: Path, *, timeout_s: float = 60.0) -> list[str]:
    """Paths (relative to ``root``, POSIX form) that git tracks and that exist on disk."""
    git = shutil.which("git")
    if git is None:
        raise EvidenceMissing(NOT_A_REPO.format(root=root, detail="git is not installed"))
    result = run_tool([git, "ls-files", "-z", "--cached"], cwd=root, timeout_s=timeout_s)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-1:] or [f"exit {result.returncode}"]
        raise EvidenceMissing(NOT_A_REPO.format(root=root, detail=detail[0]))
    names = sorted({n for n in result.stdout.split("\0") if n})
    return [n for n in names if (root / n).is_file()]


def shape(value: str, cap: int = MASK_CAP) -> str:
    """A value's shape with every letter and digit hidden (``123-45-6789`` -> ``###-##-####``)."""
    out = []
    for ch in value[:cap]:
        if ch.isdigit():
            out.append("#")
        elif ch.isalpha():
            out.append("x")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(value) > cap else "")


def mask(value: str, entity: str) -> str:
    """A masked stand-in for a personal value, safe to put in a report."""
    if entity == "EMAIL_ADDRESS" and "@" in value:
        local, _, domain = value.strip().rpartition("@")
        tld = domain.rsplit(".", 1)[1] if "." in domain else ""
        tld = tld if tld.isalpha() and len(tld) <= 6 else "***"
        return f"{local[:1]}***@***.{tld}"
    return shape(value.strip())


def capped(items: Sequence[T], limit: int = LIST_CAP) -> list[T]:
    """The first ``limit`` items; pair with the full count so nothing looks hidden."""
    return list(items[:limit])

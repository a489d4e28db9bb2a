# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The variables and secrets the workflows read, found in the workflow files themselves,
so the doctor's list never drifts from them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from modelgate.bot.doctor.core import NameUse
from modelgate.errors import UsageError

WORKFLOWS_DIR = Path(".github") / "workflows"
REFERENCE_RE = re.compile(r"\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)")
AUTOMATIC = frozenset({("secrets", "GITHUB_TOKEN")})  # GitHub provides it to every job


class WorkflowReadError(UsageError):
    """A workflow file that is not a YAML mapping."""


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _environment(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    if isinstance(env, dict):
        env = env.get("name")
    return env if isinstance(env, str) and "${{" not in env else None


def uses_in(text: str, workflow: str) -> list[NameUse]:
    """Each job's ``vars.X`` and ``secrets.X``, workflow-level ``env`` counted for every job."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WorkflowReadError(f"{workflow}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise WorkflowReadError(f"{workflow}: expected a mapping at the top level")
    shared = list(_strings(doc.get("env", {})))
    found: list[NameUse] = []
    for job_id, job in (doc.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        env = _environment(job)
        for text_ in [*shared, *_strings(job)]:
            for kind, name in REFERENCE_RE.findall(text_):
                if (kind, name) not in AUTOMATIC:
                    found.append(NameUse(kind, name, workflow, str(job_id), env))
    return found


def workflow_uses(root: Path) -> tuple[NameUse, ...]:
    """Every reference in ``root/.github/workflows/*.yml`` (and ``*.yaml``), sorted."""
    folder = root / WORKFLOWS_DIR
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    uses = [u for f in files for u in uses_in(f.read_text(encoding="utf-8"), f.name)]
    unique = dict.fromkeys(uses)
    return tuple(sorted(unique, key=lambda u: (u.kind, u.name, u.workflow, u.job)))

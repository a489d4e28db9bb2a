# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The variables and secrets the workflows read, found in the workflow files themselves,
so the doctor's list never drifts from them.

Workflows are read as GitHub runs them: a job that calls a reusable workflow (``uses:``)
is replaced by the called workflow's jobs, each with its own ``environment:``, and a
workflow that only runs when called (``on: workflow_call``) is not a workflow of its own.
From "Reusing workflows"
https://docs.github.com/en/actions/how-tos/sharing-automations/reuse-workflows#using-inputs-and-secrets-in-a-reusable-workflow
("Environment secrets cannot be passed from the caller workflow as on.workflow_call does
not support the environment keyword. If you include the environment keyword in the
reusable workflow at the job level, the environment secret will be used, and not the
secret passed from the caller workflow."): a secret the caller passes by name is needed
where the CALLED job reads it, in that job's environment (or the repository or
organization); the caller's ``${{ secrets.X }}`` is no requirement of its own. A secret
the called job reads but the caller neither passes nor inherits is empty there: passing the
name is what lets the called job resolve it from its environment (actions/runner#4453;
github.com/pmalarme/github-secrets shows the precedence), so it is marked not passed.

A team's callers name modelgate's gate as ``owner/modelgate/.github/workflows/gate-X.yml@sha``
and hold no gate-*.yml: the doctor reads the installed modelgate's own copy (shipped in the
wheel as ``modelgate/gate_workflows/``; in the source tree, ``.github/workflows/``),
offline and the same for every token; its version is the one the caller pins
(``modelgate-requirement``, written by ``modelgate init`` with the same release's sha).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, cast

import yaml

import modelgate
from modelgate.bot.doctor.core import CALLED_BY, NameUse
from modelgate.errors import UsageError

WORKFLOWS_DIR = Path(".github") / "workflows"
REFERENCE_RE = re.compile(r"\b(vars|secrets)\.([A-Za-z_][A-Za-z0-9_]*)")
AUTOMATIC = frozenset({("secrets", "GITHUB_TOKEN")})  # GitHub provides it to every job
LOCAL_CALL_RE = re.compile(r"^\./\.github/workflows/(?P<file>[\w.-]+\.ya?ml)$")
REMOTE_CALL_RE = re.compile(
    r"^[\w.-]+/[\w.-]+/\.github/workflows/(?P<file>[\w.-]+\.ya?ml)@\S+$")
GATE_FILE_RE = re.compile(r"^gate-[\w.-]+\.ya?ml$")  # modelgate's reusable workflows
# the wheel ships .github/workflows as modelgate/gate_workflows (pyproject force-include);
# the source tree (and an editable install) has them at the repository root
GATE_DIRS = (Path(modelgate.__file__).parent / "gate_workflows",
             Path(__file__).resolve().parents[2] / WORKFLOWS_DIR)


class WorkflowReadError(UsageError):
    """A workflow file that is not a YAML mapping, or a call that cannot be followed."""


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


def _load(text: str, workflow: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise WorkflowReadError(f"{workflow}: not valid YAML: {exc}") from exc
    if not isinstance(doc, dict):
        raise WorkflowReadError(f"{workflow}: expected a mapping at the top level")
    return doc


def _triggers(doc: Mapping[Any, Any]) -> set[str]:
    on = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as true
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(t) for t in on}
    return {str(t) for t in on} if isinstance(on, dict) else set()


def only_called(text: str, workflow: str) -> bool:
    """True for a reusable workflow that GitHub runs only when a caller calls it."""
    return _triggers(_load(text, workflow)) == {"workflow_call"}


def gate_workflow(name: str) -> Path | None:
    """The installed modelgate's own copy of its reusable workflow ``name``."""
    if not GATE_FILE_RE.match(name):
        return None
    return next((d / name for d in GATE_DIRS if (d / name).is_file()), None)


def _called(target: str, root: Path | None, where: str) -> tuple[str, str] | None:
    """The called workflow's file name and text; None for a remote workflow that is not
    modelgate's (read as an ordinary job: its caller's references count there)."""
    local = LOCAL_CALL_RE.match(target)
    if local:
        if root is None:
            return None
        path = root / WORKFLOWS_DIR / local["file"]
        if not path.is_file():
            raise WorkflowReadError(f"{where} calls {target}, which is not in "
                                    f"{root / WORKFLOWS_DIR}: add it or fix jobs.<job>.uses")
        return path.name, path.read_text(encoding="utf-8")
    remote = REMOTE_CALL_RE.match(target)
    found = gate_workflow(remote["file"]) if remote else None
    return (found.name, found.read_text(encoding="utf-8")) if found else None


Kind = Literal["vars", "secrets"]


def _references(node: Any) -> list[tuple[Kind, str]]:
    return [(cast(Kind, kind), name) for text in _strings(node)
            for kind, name in REFERENCE_RE.findall(text) if (kind, name) not in AUTOMATIC]


def _through(use: NameUse, caller: str, passed: Any) -> list[NameUse]:
    """A use inside a called workflow, as a caller's job passing ``passed`` (its
    ``secrets:``) makes it run."""
    workflow = f"{caller}{CALLED_BY}{use.workflow}"
    if use.kind == "vars":  # `vars` in a called workflow are the caller repository's
        return [NameUse("vars", use.name, workflow, use.job, use.environment, use.passed)]
    if passed == "inherit":
        return [NameUse("secrets", use.name, workflow, use.job, use.environment, use.passed)]
    mapping = passed if isinstance(passed, dict) else {}
    if use.name not in mapping:
        return [NameUse("secrets", use.name, workflow, use.job, use.environment, False)]
    if use.environment is not None:  # the environment's secret of that name wins
        return [NameUse("secrets", use.name, workflow, use.job, use.environment, use.passed)]
    return [NameUse("secrets", name, workflow, use.job, None, use.passed)
            for kind, name in _references(mapping[use.name]) if kind == "secrets"]


def uses_in(text: str, workflow: str, root: Path | None = None,
            _calling: tuple[str, ...] = ()) -> list[NameUse]:
    """Each job's ``vars.X`` and ``secrets.X``, workflow-level ``env`` counted for every job;
    a job that calls a reusable workflow contributes the called jobs (``root``: the
    repository whose ``./.github/workflows`` local calls name)."""
    doc = _load(text, workflow)
    shared = _references(doc.get("env", {}))
    found: list[NameUse] = []
    for job_id, job in (doc.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        target = job.get("uses")
        where = f"{workflow} job {job_id}"
        called = _called(target, root, where) if isinstance(target, str) else None
        if called is None:
            env = _environment(job)
            found += [NameUse(kind, name, workflow, str(job_id), env)
                      for kind, name in [*shared, *_references(job)]]
            continue
        name, called_text = called
        if name in _calling or name == workflow:
            raise WorkflowReadError(f"{where} calls {name}, which calls it back: "
                                    f"{' -> '.join([*_calling, workflow, name])}")
        # the caller job itself reads what its `with:` and `if:` name (no environment: a
        # calling job cannot have one); its `secrets:` only pass values on
        own = {k: v for k, v in job.items() if k != "secrets"}
        found += [NameUse(kind, n, workflow, str(job_id)) for kind, n
                  in _references(own)]
        for use in uses_in(called_text, name, root, (*_calling, workflow)):
            found += _through(use, workflow, job.get("secrets"))
    return found


def workflow_uses(root: Path) -> tuple[NameUse, ...]:
    """Every reference in ``root/.github/workflows/*.yml`` (and ``*.yaml``) as GitHub runs
    them: callers followed into what they call, called-only workflows not on their own."""
    folder = root / WORKFLOWS_DIR
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    uses: list[NameUse] = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        if not only_called(text, f.name):
            uses += uses_in(text, f.name, root)
    unique = dict.fromkeys(uses)
    return tuple(sorted(unique, key=lambda u: (u.kind, u.name, u.workflow, u.job)))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Reading the GitHub Actions workflows as data, and the security rules they must keep.

Each rule is a function from a workflow to a list of violations (empty when it holds), so
the tests can show a rule holds for the shipped workflows *and* catches a broken one.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO

WORKFLOWS_DIR = REPO / ".github" / "workflows"

# events whose runs execute code from the pull request with a read-only token
UNTRUSTED_EVENTS = frozenset({"pull_request"})
# events whose runs get a write token (and secrets) whatever the pull request contains
TRUSTED_EVENTS = frozenset({"workflow_run", "issue_comment", "pull_request_target"})

CHECKOUT = "actions/checkout"
DOWNLOAD_ARTIFACT = "actions/download-artifact"
UPLOAD_ARTIFACT = "actions/upload-artifact"
CACHE = "actions/cache"  # restore + save in one step: never used
CACHE_RESTORE = "actions/cache/restore"
CACHE_SAVE = "actions/cache/save"
SCAN_CACHE_PATH = "${{ runner.temp }}/modelgate-scan-cache"
SCAN_CACHE_PREFIX = "modelgate-scan-"
SCAN_CACHE_KEY = SCAN_CACHE_PREFIX + "${{ github.run_id }}-${{ github.run_attempt }}"
AWS_CREDENTIALS = "aws-actions/configure-aws-credentials"

# owner/repo[/path]@<full commit SHA>
PINNED_USES_RE = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@(?P<sha>[0-9a-f]{40})$")
USES_LINE_RE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
VERSION_COMMENT_RE = re.compile(r"#\s*v\d+\.\d+\.\d+\b")
# what in a trusted workflow would point a checkout (or anything else) at the PR's code
PR_CODE_REFS = ("github.event.pull_request.head", "github.head_ref", "refs/pull/",
                "merge_commit_sha")
# the same for a workflow_run: data to compare with, never what an action checks out
RUN_HEAD_REFS = ("workflow_run.head_sha", "workflow_run.head_branch",
                 "workflow_run.head_repository", "workflow_run.head_commit")
# shell commands that would bring PR code into a trusted job
FETCH_CODE_RE = re.compile(r"\b(?:git\s+(?:checkout|fetch|pull|switch|clone|worktree)|"
                           r"gh\s+(?:pr\s+checkout|repo\s+clone))\b")
SHELL_VAR_RE = re.compile(r"\$(?:\{(?P<braced>\w+)\}|(?P<plain>[A-Za-z_]\w*))")
ASSIGNMENT_RE = re.compile(r"^\s*(?:export\s+|local\s+)?(?P<name>[A-Za-z_]\w*)=")
# variables every runner sets; a modelgate step may rely on them without an env: entry
RUNNER_VARS_RE = re.compile(r"^(?:GITHUB|RUNNER|CI$)")


@dataclass(frozen=True)
class Workflow:
    """One workflow file: its raw text (comments matter) and its parsed form."""

    path: Path
    text: str
    doc: dict[Any, Any]  # YAML 1.1 turns the key `on` into True

    @property
    def file(self) -> str:
        return self.path.name

    @property
    def name(self) -> str:
        return str(self.doc.get("name", ""))

    @property
    def triggers(self) -> dict[str, Any]:
        """``on:`` as a mapping; YAML 1.1 reads the bare key ``on`` as ``True``."""
        on = self.doc.get("on", self.doc.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return {str(event): None for event in on}
        if isinstance(on, dict):
            return {str(k): v for k, v in on.items()}
        return {}

    @property
    def jobs(self) -> dict[str, dict[str, Any]]:
        jobs = self.doc.get("jobs") or {}
        return {str(k): v for k, v in jobs.items()}

    @property
    def trusted(self) -> bool:
        return bool(TRUSTED_EVENTS & set(self.triggers))

    @property
    def untrusted(self) -> bool:
        return bool(UNTRUSTED_EVENTS & set(self.triggers))

    def steps(self) -> Iterator[tuple[str, int, dict[str, Any]]]:
        """Every step as (job id, position in its job, step)."""
        for job_id, job in self.jobs.items():
            for index, step in enumerate(job.get("steps") or []):
                yield job_id, index, step


def load_workflow(path: Path) -> Workflow:
    text = path.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: not a workflow (top level is {type(doc).__name__})")
    return Workflow(path=path, text=text, doc=doc)


def load_files(directory: Path = WORKFLOWS_DIR) -> dict[str, Workflow]:
    """Every workflow file as written: the callers and the reusable gate-*.yml."""
    return {p.name: load_workflow(p) for p in sorted(directory.glob("*.y*ml"))}


def called(workflow: Workflow) -> bool:
    """A reusable workflow only (``on: workflow_call``): it runs as part of its caller."""
    return set(workflow.triggers) == {"workflow_call"}


LEVELS = {"none": 0, "read": 1, "write": 2}


def capped(own: dict[str, str], caller: dict[str, str]) -> dict[str, str]:
    """A called job's token: its own ``permissions:`` capped by the caller job's (GitHub:
    a called workflow can only downgrade what the caller granted)."""
    out = {}
    for scope, level in own.items():
        top = caller.get(scope, "none")
        out[scope] = level if LEVELS.get(level, 0) <= LEVELS.get(top, 0) else top
    return out


def local_target(uses: str, directory: Path) -> Path | None:
    """The file a job's ``uses:`` calls when it is this repository's own gate workflow
    (``./.github/workflows/X.yml``, or ``<owner>/modelgate/.github/workflows/X.yml@<ref>``
    as in a team's caller), else None."""
    match = CALL_RE.match(uses)
    return directory / match["file"] if match else None


CALL_RE = re.compile(r"^(?:\./|[\w.-]+/modelgate/)\.github/workflows/(?P<file>gate-[\w-]+\.yml)"
                     r"(?:@[0-9a-f]{40})?$")


def resolve(caller: Workflow, directory: Path = WORKFLOWS_DIR) -> Workflow:
    """The caller as GitHub runs it: its triggers and concurrency, and in place of each
    calling job the called workflow's jobs, each with the token GitHub gives it (its own
    permissions capped by the calling job's). The text is both files', so rules that look
    for words (``secrets.``, a PR ref) see what the run holds."""
    jobs: dict[str, Any] = {}
    texts = [caller.text]
    for job_id, job in caller.jobs.items():
        target = local_target(str(job.get("uses", "")), directory)
        if target is None:
            jobs[job_id] = job
            continue
        gate = load_workflow(target)
        texts.append(gate.text)
        granted = job.get("permissions") or {}
        for inner_id, inner in gate.jobs.items():
            merged = dict(inner)
            merged["permissions"] = capped(dict(inner.get("permissions") or {}),
                                           dict(granted) if isinstance(granted, dict) else {})
            jobs[inner_id] = merged
    doc = {**caller.doc, "jobs": jobs}
    return Workflow(path=caller.path, text="\n".join(texts), doc=doc)


def load_workflows(directory: Path = WORKFLOWS_DIR) -> dict[str, Workflow]:
    """The workflows GitHub starts (the callers), each resolved with the jobs it calls."""
    files = load_files(directory)
    return {name: resolve(wf, directory) for name, wf in files.items() if not called(wf)}


def call_problems(caller: Workflow, directory: Path = WORKFLOWS_DIR) -> list[str]:
    """A calling job calls a gate workflow of this repository (a team's: by commit SHA),
    grants at least what each called job declares, passes only secrets the called file
    declares (never ``secrets: inherit``) and gives every input the called file requires."""
    problems = []
    for job_id, job in caller.jobs.items():
        if "uses" not in job:
            continue
        target = local_target(str(job["uses"]), directory)
        if target is None or not target.is_file():
            problems.append(f"{caller.file}: job {job_id} calls {job['uses']!r}, not a gate "
                            "workflow of modelgate pinned by commit SHA")
            continue
        gate = load_workflow(target)
        spec = gate.triggers.get("workflow_call") or {}
        granted = job.get("permissions") or {}
        for inner_id, inner in gate.jobs.items():
            own = dict(inner.get("permissions") or {})
            if capped(own, dict(granted)) != own:
                problems.append(f"{caller.file}: job {job_id} grants {granted!r}, less than "
                                f"{target.name} job {inner_id} needs ({own!r})")
        if job.get("secrets") == "inherit":
            problems.append(f"{caller.file}: job {job_id} passes every secret (inherit)")
        declared = set(spec.get("secrets") or {})
        for name in (job.get("secrets") or {}) if isinstance(job.get("secrets"), dict) else {}:
            if name not in declared:
                problems.append(f"{caller.file}: job {job_id} passes {name}, which "
                                f"{target.name} does not declare")
        given = set(job.get("with") or {})
        for name, inp in (spec.get("inputs") or {}).items():
            if (inp or {}).get("required") and name not in given:
                problems.append(f"{caller.file}: job {job_id} does not give {name}")
        problems += [f"{caller.file}: job {job_id} gives {name}, not an input of "
                     f"{target.name}" for name in given - set(spec.get("inputs") or {})]
    return problems


def action_of(step: dict[str, Any]) -> str:
    """``actions/checkout`` for ``actions/checkout@<sha>``; empty for a ``run:`` step."""
    uses = str(step.get("uses", ""))
    return uses.split("@", 1)[0]


def step_label(workflow: Workflow, job_id: str, index: int, step: dict[str, Any]) -> str:
    title = step.get("name", step.get("uses", "run"))
    return f"{workflow.file}: job {job_id}, step {index + 1} ({title})"


# ----------------------------------------------------------------------------- the rules


def unpinned_actions(workflow: Workflow) -> list[str]:
    """Every ``uses:`` names a full commit SHA, with the release it is as a comment."""
    problems = []
    for job_id, index, step in workflow.steps():
        if "uses" in step and not PINNED_USES_RE.match(str(step["uses"])):
            problems.append(f"{step_label(workflow, job_id, index, step)}: "
                            f"{step['uses']} is not pinned by a full commit SHA")
    for job_id, job in workflow.jobs.items():
        uses = str(job.get("uses", ""))
        if uses and not (PINNED_USES_RE.match(uses) or uses.startswith("./.github/workflows/")):
            problems.append(f"{workflow.file}: job {job_id} calls {job['uses']} unpinned")
    for number, line in enumerate(workflow.text.splitlines(), start=1):
        match = USES_LINE_RE.match(line)
        if match and match["ref"].startswith("./"):
            continue  # this repository's own gate workflow: the caller's own commit
        if match and not VERSION_COMMENT_RE.search(match["rest"]):
            problems.append(f"{workflow.file}:{number}: {match['ref']} has no '# vX.Y.Z' comment")
    return problems


def permission_problems(workflow: Workflow) -> list[str]:
    """``permissions: {}`` at the top, and every job says exactly what it needs."""
    problems = []
    if workflow.doc.get("permissions", None) != {}:
        problems.append(f"{workflow.file}: workflow-level permissions must be {{}}, "
                        f"found {workflow.doc.get('permissions')!r}")
    for job_id, job in workflow.jobs.items():
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            problems.append(f"{workflow.file}: job {job_id} has no permissions mapping "
                            f"(found {perms!r}); write-all or read-all is too much")
            continue
        for scope, level in perms.items():
            if level not in ("read", "write", "none"):
                problems.append(f"{workflow.file}: job {job_id}: {scope}: {level!r}")
    return problems


def timeout_problems(workflow: Workflow, *, most: int = 60) -> list[str]:
    problems = []
    for job_id, job in workflow.jobs.items():
        minutes = job.get("timeout-minutes")
        if not isinstance(minutes, int) or not 0 < minutes <= most:
            problems.append(f"{workflow.file}: job {job_id}: timeout-minutes must be 1..{most}, "
                            f"found {minutes!r}")
    return problems


def expressions_in_run(workflow: Workflow) -> list[str]:
    """No ``${{ }}`` in a shell line: values reach the shell through ``env:`` only."""
    return [f"{step_label(workflow, job_id, index, step)}: run: contains '${{{{'"
            for job_id, index, step in workflow.steps()
            if "${{" in str(step.get("run", ""))]


def credential_problems(workflow: Workflow) -> list[str]:
    """Checkouts keep no token in .git/config, where later steps (or artifacts) find it."""
    problems = []
    for job_id, index, step in workflow.steps():
        if action_of(step) == CHECKOUT and (step.get("with") or {}).get(
                "persist-credentials") is not False:
            problems.append(f"{step_label(workflow, job_id, index, step)}: "
                            "checkout without persist-credentials: false")
    return problems


def download_problems(workflow: Workflow) -> list[str]:
    """Artifacts are data from another run: they land outside the checked-out code."""
    problems = []
    for job_id, index, step in workflow.steps():
        path = str((step.get("with") or {}).get("path", ""))
        if action_of(step) == DOWNLOAD_ARTIFACT and not path.startswith("${{ runner.temp }}/"):
            problems.append(f"{step_label(workflow, job_id, index, step)}: artifacts go under "
                            f"runner.temp, outside the checked-out code (path {path!r})")
    return problems


def untrusted_problems(workflow: Workflow) -> list[str]:
    """A workflow that runs PR code: read-only token, no secrets, no cloud identity."""
    if not workflow.untrusted:
        return []
    problems = []
    for job_id, job in workflow.jobs.items():
        for scope, level in (job.get("permissions") or {}).items():
            if level == "write":
                problems.append(f"{workflow.file}: job {job_id} runs PR code with "
                                f"{scope}: write")
        if "environment" in job:
            problems.append(f"{workflow.file}: job {job_id} runs PR code in an environment")
    for needle in ("secrets.", "vars."):
        if needle in workflow.text:
            problems.append(f"{workflow.file} runs PR code and mentions {needle!r}")
    return problems


def trusted_problems(workflow: Workflow) -> list[str]:
    """A workflow with a write token never checks out, downloads into, or runs PR code."""
    if not workflow.trusted:
        return []
    problems = []
    for needle in PR_CODE_REFS:
        if needle in workflow.text:
            problems.append(f"{workflow.file} has a write token and mentions {needle!r}")
    for job_id, index, step in workflow.steps():
        where = step_label(workflow, job_id, index, step)
        with_ = step.get("with") or {}
        if job_id in data_readers(workflow) and action_of(step) == CHECKOUT and with_.get(
                "path") not in (None, "", "."):
            continue  # the PR's files as data, in their own folder, in a read-only job
        problems += [f"{where}: an action in a trusted job takes {needle!r}"
                     for needle in RUN_HEAD_REFS if needle in repr(with_)]
        if FETCH_CODE_RE.search(str(step.get("run", ""))):
            problems.append(f"{where}: a trusted job fetches code in a shell step")
        if action_of(step) == CHECKOUT:
            if "ref" in with_:
                problems.append(f"{where}: a trusted checkout takes the default ref "
                                f"(base branch), not ref: {with_['ref']!r}")
            if "repository" in with_:
                problems.append(f"{where}: a trusted checkout of another repository "
                                f"({with_['repository']!r})")
        if action_of(step) == CACHE:
            problems.append(f"{where}: a cache shared with PR runs can be poisoned")
        if action_of(step) == CACHE_RESTORE and not scan_cache_step(step):
            problems.append(f"{where}: a trusted job restores a cache other than the "
                            "content-keyed scan cache only trusted jobs save")
    return problems


def scan_cache_step(step: dict[str, Any]) -> bool:
    """modelgate's scan cache (content-keyed results of the pinned modelgate), under
    runner.temp, with a key unique per run and its prefix as the only restore key."""
    with_ = step.get("with") or {}
    return (with_.get("path") == SCAN_CACHE_PATH and with_.get("key") == SCAN_CACHE_KEY
            and with_.get("restore-keys", SCAN_CACHE_PREFIX) == SCAN_CACHE_PREFIX)


def cache_save_problems(workflow: Workflow) -> list[str]:
    """Only trusted jobs save a cache, and only the scan cache: a job that runs PR code
    would write its own scope only, but the rule keeps every saved entry trusted."""
    problems = []
    for job_id, index, step in workflow.steps():
        where = step_label(workflow, job_id, index, step)
        if action_of(step) in (CACHE, CACHE_SAVE) and workflow.untrusted:
            problems.append(f"{where}: a job that runs PR code saves a cache")
        if action_of(step) == CACHE_SAVE and not scan_cache_step(step):
            problems.append(f"{where}: a cache other than the scan cache is saved")
    return problems


def data_readers(workflow: Workflow) -> set[str]:
    """Jobs of a trusted workflow that may read PR files as data: a read-only
    GITHUB_TOKEN, no App token, no secret, no environment, no cloud identity."""
    out = set()
    for job_id, job in workflow.jobs.items():
        perms = job.get("permissions") or {}
        if (isinstance(perms, dict) and set(perms.values()) <= {"read"}
                and "secrets." not in repr(job) and "environment" not in job
                and "create-github-app-token" not in repr(job)):
            out.add(job_id)
    return out


RULES = (unpinned_actions, permission_problems, timeout_problems, expressions_in_run,
         credential_problems, download_problems, untrusted_problems, trusted_problems,
         cache_save_problems)


def all_problems(workflow: Workflow) -> list[str]:
    return [problem for rule in RULES for problem in rule(workflow)]


# ----------------------------------------------------------------------------- modelgate steps


@dataclass(frozen=True)
class Invocation:
    """One ``modelgate ...`` command line found in a workflow's ``run:`` step."""

    workflow: str
    job: str
    step_index: int
    step_name: str
    argv: tuple[str, ...]  # after ``modelgate``, variables not yet substituted
    env: dict[str, str] = field(default_factory=dict)
    assigned: frozenset[str] = frozenset()

    @property
    def command(self) -> str:
        return next((a for a in self.argv if not a.startswith("-")), "")

    @property
    def label(self) -> str:
        return f"{self.workflow}:{self.job}:{self.step_index + 1}:{self.command or '?'}"


def logical_lines(script: str) -> list[str]:
    """Shell lines with backslash continuations joined."""
    return script.replace("\\\n", " ").splitlines()


def modelgate_invocations(workflow: Workflow) -> list[Invocation]:
    """Every command line whose program is ``modelgate`` (any path to it), in order."""
    found = []
    for job_id, index, step in workflow.steps():
        script = str(step.get("run", ""))
        if not script:
            continue
        env = {str(k): str(v) for k, v in (workflow.doc.get("env") or {}).items()}
        env |= {str(k): str(v) for k, v in (workflow.jobs[job_id].get("env") or {}).items()}
        env |= {str(k): str(v) for k, v in (step.get("env") or {}).items()}
        assigned: set[str] = set()
        for line in logical_lines(script):
            match = ASSIGNMENT_RE.match(line)
            if match:
                assigned.add(match["name"])
                continue
            if "modelgate" not in line:
                continue  # other shell (a jq filter over two lines, say) is not parsed
            tokens = shlex.split(line, comments=True)
            starts = [i for i, t in enumerate(tokens) if Path(t).name == "modelgate"]
            if starts:
                found.append(Invocation(
                    workflow=workflow.file, job=job_id, step_index=index,
                    step_name=str(step.get("name", "")), argv=tuple(tokens[starts[0] + 1:]),
                    env=env, assigned=frozenset(assigned)))
    return found


def undefined_variables(invocation: Invocation) -> list[str]:
    """Variables the command line uses that neither ``env:``, the script nor the runner set."""
    names = {m["braced"] or m["plain"] for arg in invocation.argv
             for m in SHELL_VAR_RE.finditer(arg)}
    return sorted(n for n in names if n not in invocation.env and n not in invocation.assigned
                  and not RUNNER_VARS_RE.match(n))


def dummy_value(name: str) -> str:
    """A value of the right shape for a variable, chosen by its name."""
    upper = name.upper()
    if upper.endswith("SHA"):
        return "f" * 40  # a commit sha
    if upper.endswith(("NUMBER", "_PR")):
        return "42"
    if upper.endswith(("DIR", "PATH")):
        return "/tmp/modelgate-dummy"
    if upper.endswith("URL"):
        return "https://github.com/octo/repo/actions/runs/1"
    if upper.startswith("SINCE"):
        return "2026-01-01T00:00:00Z"
    if upper.startswith("UNTIL"):
        return "2026-01-02T00:00:00Z"
    return f"dummy-{name.lower()}"


def substitute(argv: tuple[str, ...]) -> list[str]:
    return [SHELL_VAR_RE.sub(lambda m: dummy_value(m["braced"] or m["plain"]), a) for a in argv]


def flag_value(argv: tuple[str, ...], flag: str) -> str | None:
    """The raw value given to ``flag`` (``--flag V`` or ``--flag=V``), or None."""
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None

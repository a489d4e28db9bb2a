# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The whole road on one machine: pull requests played through the same `modelgate`
commands the workflows run, read from `.github/workflows/*.yml`, in the order they run,
with the environment GitHub Actions gives them (event files, GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, tokens), against the local GitHub double, a local MLflow tracking
server and a moto server standing in for S3, IAM, Lambda and CloudWatch.

`make demo` runs it and prints each step, the PR comment and a traced prediction; the
end-to-end test asserts on what it returns. What cannot run here is emulated and said so:
`actions/*` steps (checkout is a git clone, artifacts are zips handed to the double), the
release's `gh api` lookup of the audited run, and Lambda itself (moto cannot run code
without Docker: the deployed configuration is read back from moto and the same handler
runs in this process). The double does not run git, so its merge is replayed in the real
repository with the message the bot sent (and the replayed commit is made an object of
the double, so the release can tag it).

The release signs its statement with a P-256 key made in the work directory (the
workflow's key-file path: the `production` secret written to a file; production's
default is KMS, which moto would fake rather than exercise). Deploy, `modelgate trace
--verify` and the Lambda trust its public half (the variable
`MODELGATE_STATEMENT_PUBKEY`). The released card goes to the double: a commit to
`model_cards/`, a tag and a GitHub release with the statement as assets.

The road stops at the first step that fails when the story needs it to pass (a job not
marked ``expect_failure``, a `modelgate` call, a merge that did not happen): it prints
that step's message and exits with status 1 (``EXIT_ROAD_STOPPED``), instead of walking
on into a later step that would fail for want of what the failed one should have made.
"""

from __future__ import annotations

import base64
import contextlib
import io
import itertools
import json
import logging
import math
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from demo import actions_cache  # noqa: E402
from demo.github_double import ACTIONS_BOT  # noqa: E402
from demo.github_double.double import GitHubDouble  # noqa: E402
from demo.mlflow_store import mlflow_template_db  # noqa: E402
from demo.timing import GIT, IMPORTS, MODELGATE, PROCESSES, SLEEPS, STARTUP, spent  # noqa: E402

REPO = "modelgate-demo/breast-cancer"
AUTHOR = "pat-author"
ROLE_HOLDERS = {"data-steward": "dana-steward", "ml-reviewer": "mo-reviewer",
                "clinical-safety": "cleo-clinician",
                # the road's PRs edit governance.yml, a gate path: the gate role approves too
                "gate-owners": "gita-gatekeeper"}
WORKFLOWS = ROOT / ".github" / "workflows"
# a caller job's `uses:`: this repository's own copy, or modelgate's at a ref (a team's)
CALL_RE = re.compile(r"^(?:\./|[\w.-]+/[\w.-]+/)\.github/workflows/(?P<file>[\w.-]+\.ya?ml)"
                     r"(?:@\S+)?$")
INSTALL_STEP = "Install modelgate (the caller's pin)"
# the install step's own check of a team's pin (gate-*.yml): one release, by version or hash
PIN_RE = re.compile(r"^modelgate(==[0-9A-Za-z.+!-]+| @ https://[^\s#]+#sha256=[0-9a-f]{64})$")
LEVELS = {"none": 0, "read": 1, "write": 2}
MSG_NO_CALLED_JOB = "{workflow}: no job {job!r}, and no job calling a workflow that has it"
MSG_BAD_INSTALL = ("{where}: the caller installs modelgate with install={install!r}, "
                   "requirement={requirement!r}; the road plays install: source (this "
                   "repository) or a pinned requirement with an installed modelgate (team mode)")
EXPR_RE = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
SHELL_VAR_RE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
FUNCTION_URL_HOST = "road.lambda-url.us-east-1.on.aws"
GIT_ENV = {"GIT_AUTHOR_NAME": "pat", "GIT_AUTHOR_EMAIL": "pat@example.com",
           "GIT_COMMITTER_NAME": "pat", "GIT_COMMITTER_EMAIL": "pat@example.com"}
# the team's own GitHub App, as docs/using-modelgate.md sets it up: installed on the demo
# repository with the manifest's permissions; every job mints its token from it
APP_SLUG = "modelgate"
APP_BOT = f"{APP_SLUG}[bot]"
DEMO_APP_ID = 424242
APP_MANIFEST = ROOT / ".github" / "modelgate-app-manifest.json"
EXIT_ROAD_STOPPED = 1
MSG_STEP_FAILED = "{where}: step {step!r} failed (exit {status})"
MSG_PASSED_UNEXPECTEDLY = "{where}: every step passed, but the road expected this job to fail"
MSG_STOPPED = "the road stopped: {reason}"
SIGNING_KEY_STEP = "Write the release signing key (key file, when the secret is set)"


class RoadStopped(RuntimeError):
    """A step the road needed failed; the message says which and why."""


def say(text: str) -> None:
    print(text, flush=True)


def require(condition: bool, reason: str) -> None:
    """Stop the road with ``reason`` unless ``condition`` holds."""
    if not condition:
        raise RoadStopped(reason)


def _unescape(data: str) -> str:
    """Undo the workflow-command escaping of an ``::error`` line's text."""
    return data.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def step_message(stdout: str, stderr: str) -> str:
    """What a failed `modelgate` step said: its ``::error`` texts, else its last stderr lines."""
    errors = [_unescape(line.split("::", 2)[2]) for line in stdout.splitlines()
              if line.startswith("::error") and line.count("::") >= 2]
    if errors:
        return "\n".join(errors)
    return "\n".join([ln for ln in stderr.splitlines() if ln.strip()][-5:])


def leading_comments(text: str) -> str:
    """The comment lines a YAML file starts with (its SPDX header among them)."""
    lines = text.splitlines()
    count = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), len(lines))
    return "".join(ln + "\n" for ln in lines[:count])


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV}
    with spent(GIT):
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, check=False)
    if done.returncode != 0:
        raise RoadStopped(f"git {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout.strip()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def patched_env(values: dict[str, str], cwd: Path) -> Iterator[None]:
    saved = dict(os.environ)
    here = Path.cwd()
    os.environ.update(values)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


# ----------------------------------------------------------------------- services


@dataclass
class Services:
    double: GitHubDouble
    mlflow_uri: str
    moto_url: str
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    moto: Any = None

    def wait_for_mlflow(self) -> None:
        with spent(STARTUP):
            wait_for_mlflow(self.mlflow_uri, self.procs[0])

    def stop(self) -> None:
        from demo import timing

        timing.uninstall()
        self.double.stop()
        for proc in self.procs:
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=30)
        if self.moto is not None:
            self.moto.stop()


def start_mlflow(workdir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start the tracking server; :func:`wait_for_mlflow` waits until it answers."""
    port = free_port()
    store = workdir / "mlflow-server"
    store.mkdir()
    shutil.copy2(mlflow_template_db(), store / "db.sqlite")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1",
         "--port", str(port), "--backend-store-uri", f"sqlite:///{store / 'db.sqlite'}",
         "--artifacts-destination", (store / "artifacts").as_uri(), "--workers", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=store,
        # no background job workers: the road logs runs and models, it runs no MLflow jobs
        env={**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})
    return f"http://127.0.0.1:{port}", proc


def wait_for_mlflow(uri: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as r:  # nosec B310 - loopback
                if r.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.terminate()
            raise RoadStopped("the MLflow tracking server did not start")
        time.sleep(0.1)


def start_services(workdir: Path) -> Services:
    """The MLflow server first (its start-up is the longest), moto and the double while
    it starts; then the road's timing hooks (:mod:`demo.timing`) on their addresses.
    :meth:`Services.wait_for_mlflow` waits until the server answers, so the caller can
    prepare the repository meanwhile."""
    from demo import timing

    with spent(STARTUP):
        uri, proc = start_mlflow(workdir)
        try:
            from moto.server import ThreadedMotoServer

            moto_port = free_port()
            # moto's HTTP server logs every request through werkzeug; the transcript is the road's
            logging.getLogger("werkzeug").setLevel(logging.ERROR)
            moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
            moto.start()
            # moto's accounts live in the process: a road starts with none (an earlier
            # road in this process, say a test's, made the same role and function)
            reset = urllib.request.Request(f"http://127.0.0.1:{moto_port}/moto-api/reset",
                                           method="POST")
            with urllib.request.urlopen(reset, timeout=30):  # nosec B310 - loopback http
                pass
            double = GitHubDouble().start()
            services = Services(double=double, mlflow_uri=uri,
                                moto_url=f"http://127.0.0.1:{moto_port}", procs=[proc],
                                moto=moto)
        except BaseException:
            proc.terminate()
            raise
    timing.install(double_url=double.base_url, mlflow_url=uri, moto_url=services.moto_url)
    return services


# moto's documented dummy credentials, for the local moto server only
AWS_ENV = {"AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing",  # pragma: allowlist secret
           "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_REGION": "us-east-1"}


# ----------------------------------------------------------------------- workflows


def _lookup(expr: str, ctx: dict[str, Any]) -> str:
    node: Any = ctx
    for part in expr.split("."):
        if not isinstance(node, dict) or part not in node:
            raise KeyError(f"the road cannot evaluate ${{{{ {expr} }}}}: add it to the context")
        node = node[part]
    return "" if node is None else str(node)


def capped(own: dict[str, str], caller: dict[str, str]) -> dict[str, str]:
    """A called job's GITHUB_TOKEN: its own `permissions:` capped by the calling job's
    ("Reusing workflows": a called workflow can only downgrade the caller's permissions)."""
    out = {}
    for scope, level in own.items():
        top = caller.get(scope, "none")
        out[scope] = level if LEVELS.get(level, 0) <= LEVELS.get(top, 0) else top
    return out


def evaluate(text: str, ctx: dict[str, Any]) -> str:
    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if "||" in expr:  # `a || b`: the first that is set
            for alt in (e.strip() for e in expr.split("||")):
                with contextlib.suppress(KeyError):
                    value = _lookup(alt, ctx)
                    if value:
                        return value
            return ""
        return _lookup(expr, ctx)
    return EXPR_RE.sub(one, text)


COMPARISON_RE = re.compile(r"([A-Za-z_][\w.-]*)\s*(==|!=)\s*'([^']*)'")


def comparisons_hold(condition: str, ctx: dict[str, Any]) -> bool:
    """A step's ``if:`` as the workflows write it: status functions (``always()``,
    ``!cancelled()``; the road cancels nothing) joined by ``&&`` to comparisons of a
    context value with a string (``steps.verdict.outcome != 'skipped'``, ``vars.X != ''``).
    An unset value reads as ''. Anything else (``||``, other functions) holds."""
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if "||" in text:
        return True
    for path, op, literal in COMPARISON_RE.findall(text):
        try:
            value = _lookup(path, ctx)
        except KeyError:
            value = ""
        if (value == literal) != (op == "=="):
            return False
    return True


@dataclass
class StepResult:
    name: str
    status: int
    output: str = ""
    message: str = ""
    seconds: float = 0.0


@dataclass
class Timed:
    """One job the road played (or one thing it did between jobs) and its wall time."""

    label: str
    seconds: float


TIMES: list[Timed] = []  # this process's road, in order (printed at the end)


def seconds(value: float) -> str:
    return f"{value:.1f} s"


@contextlib.contextmanager
def stage(label: str) -> Iterator[None]:
    """Something the road does between jobs, timed under ``label``."""
    started = time.perf_counter()
    try:
        yield
    finally:
        TIMES.append(Timed(label, time.perf_counter() - started))


def time_report() -> str:
    """The two tables `make demo` ends with: by job or stage, and by kind."""
    from demo import timing

    return ("Where the time went, by job and stage:\n"
            + timing.by_label([(t.label, t.seconds) for t in TIMES])
            + "\n\nand by kind (each second counted once: a request made inside a step is "
            "the request's):\n" + timing.LEDGER.table())


Emulator = Callable[[dict[str, Any], dict[str, str], "Job"], int]


@dataclass
class Job:
    """One job of one workflow file, run step by step.

    A failing step stops the road (:class:`RoadStopped`) unless ``expect_failure`` is set;
    then the job goes on as GitHub runs it (only ``always()``/``cancelled()`` steps) and
    the road stops if, after all, nothing failed."""

    workflow: str
    job: str
    ctx: dict[str, Any]
    cwd: Path
    env: dict[str, str]
    emulate: dict[str, Emulator]
    results: list[StepResult] = field(default_factory=list)
    expect_failure: bool = False
    # mints the job's GITHUB_TOKEN with exactly its `permissions:` map
    job_token: Callable[[dict[str, str]], str] | None = None
    step: dict[str, Any] = field(default_factory=dict)
    # where the caller workflows are: the team's checkout, or (None) this repository's
    workflows: Path | None = None
    # an installed modelgate's argv prefix, run as a subprocess; None: in this process
    cli: Sequence[str] | None = None
    called: str = ""  # the gate workflow file the job came from, when it was called

    @property
    def failed(self) -> bool:
        return any(r.status != 0 for r in self.results)

    def resolve(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The job to run and its token's permissions. A job of the caller file runs as
        written; otherwise the caller job whose `uses:` calls a workflow holding it is
        followed (this repository's copy of that workflow, whatever ref a team's caller
        names), with `with:` bound into `inputs` (the called file's defaults first) and
        `secrets:` into `secrets`, both evaluated in the caller's context. A called job
        with an `environment:` also reads that environment's secrets, which win over the
        passed ones; its token is its own `permissions:` capped by the caller job's."""
        doc = yaml.safe_load(((self.workflows or WORKFLOWS) / self.workflow).read_text())
        jobs = doc["jobs"]
        top = doc.get("permissions") or {}
        if self.job in jobs and "uses" not in jobs[self.job]:
            return jobs[self.job], dict(jobs[self.job].get("permissions") or {})
        for caller in jobs.values():
            match = CALL_RE.match(str(caller.get("uses", "")))
            if match is None:
                continue
            gate = yaml.safe_load((WORKFLOWS / match["file"]).read_text())
            if self.job not in gate["jobs"]:
                continue
            spec = (gate.get("on", gate.get(True)) or {})["workflow_call"] or {}
            inputs = {k: str((v or {}).get("default", "")) for k, v in
                      (spec.get("inputs") or {}).items()}
            inputs |= {k: evaluate(str(v), self.ctx) for k, v in
                       (caller.get("with") or {}).items()}
            given = caller.get("secrets") or {}
            require(given != "inherit", f"{self.workflow}: a caller passes every secret")
            secrets = {k: evaluate(str(v), self.ctx) for k, v in given.items()}
            job = gate["jobs"][self.job]
            if "environment" in job:  # the road's secrets are the environments' secrets
                secrets |= self.ctx["secrets"]
            self.ctx = {**self.ctx, "inputs": inputs, "secrets": secrets}
            self.called = match["file"]
            granted = caller.get("permissions", top) or {}
            return job, capped(dict(job.get("permissions") or {}), dict(granted))
        raise RoadStopped(MSG_NO_CALLED_JOB.format(workflow=self.workflow, job=self.job))

    def run(self) -> Job:
        started = time.perf_counter()
        job, permissions = self.resolve()
        via = f" -> {self.called}" if self.called else ""
        say(f"  ── {self.workflow}{via} / {self.job}")
        if self.job_token is not None:
            self.ctx["github"]["token"] = self.job_token(permissions)
        try:
            self._steps(job)
        finally:
            took = time.perf_counter() - started
            TIMES.append(Timed(f"{self.workflow}{via} / {self.job}", took))
            say(f"     job {self.job}: {seconds(took)}")
        return self

    def _steps(self, job: dict[str, Any]) -> None:
        for step in job["steps"]:
            self.step = step
            name = step.get("name", step.get("uses", "step"))
            condition = str(step.get("if", ""))
            if ((self.failed and "always()" not in condition and "cancelled()" not in condition)
                    or not comparisons_hold(condition, self.ctx)):
                self.results.append(StepResult(name, 0, "skipped"))
                self._outcome("skipped")
                continue
            env = {k: evaluate(str(v), self.ctx) for k, v in (step.get("env") or {}).items()}
            started = time.perf_counter()
            if "uses" in step:
                action = step["uses"].split("@")[0]
                given = step.get("with") or {}
                inputs = {k: evaluate(str(v), self.ctx) for k, v in given.items()}
                status = self.emulate[action](inputs, env, self)
            else:
                status = self._run_script(name, str(step["run"]), env,
                                          str(step.get("working-directory", "")))
            took = time.perf_counter() - started
            self.results.append(StepResult(name, status, seconds=took))
            self._outcome("success" if status == 0 else "failure")
            say(f"     {'✓' if status == 0 else '✗'} {name} · {seconds(took)}")
            if status != 0 and not self.expect_failure:
                raise RoadStopped(self._failure(name, status))
        if self.expect_failure and not self.failed:
            raise RoadStopped(MSG_PASSED_UNEXPECTEDLY.format(where=self.where))

    def _outcome(self, outcome: str) -> None:
        """``steps.<id>.outcome`` (and ``conclusion``: the road has no continue-on-error)."""
        if self.step.get("id"):
            entry = self.ctx["steps"].setdefault(self.step["id"], {"outputs": {}})
            entry["outcome"] = entry["conclusion"] = outcome

    @property
    def where(self) -> str:
        return f"{self.workflow} / {self.job}"

    def _failure(self, name: str, status: int) -> str:
        """The failed step's name and exit status, then what the step said."""
        said = next((r.message for r in reversed(self.results) if r.message), "")
        head = MSG_STEP_FAILED.format(where=self.where, step=name, status=status)
        return f"{head}\n{said}" if said else head

    def _run_script(self, name: str, script: str, env: dict[str, str],
                    workdir: str = "") -> int:
        if script.strip() == "make setup":
            return 0  # this process already runs from the locked environment
        lines = [ln for ln in script.replace("\\\n", " ").splitlines() if ln.strip()]
        if not all(Path(shlex.split(ln)[0]).name == "modelgate" for ln in lines):
            return self.emulate[name]({}, env, self)
        status = 0
        given = {**self.env, **env}  # the runner's variables, then the step's env:
        for line in lines:
            argv = [SHELL_VAR_RE.sub(lambda m: given.get(m.group(1), os.environ.get(
                m.group(1), m.group(0))), a) for a in shlex.split(line)[1:]]
            status = self._modelgate(argv, env, self.cwd / workdir)
            if status != 0:
                break
        return status

    def _modelgate(self, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> int:
        say(f"       $ modelgate {' '.join(argv)}")
        status, text, errors = call_modelgate(self.cli, argv, {**self.env, **env},
                                              cwd or self.cwd)
        message = step_message(text, errors) if status != 0 else ""
        self.results.append(StepResult("modelgate " + argv[0], status, text, message))
        for line in text.splitlines():
            if line.startswith("::error") or not line.startswith("::"):
                say(f"         {line}")
        if status != 0:
            for line in errors.splitlines()[-5:]:
                say(f"         {line}")
        return status


def step_outputs(job: Job) -> dict[str, Any]:
    """``steps.<id>.outputs`` of the job's current step (a throwaway dict without an id)."""
    step_id = job.step.get("id")
    if not step_id:
        return {}
    found: dict[str, Any] = job.ctx["steps"].setdefault(step_id, {"outputs": {}})["outputs"]
    return found


def call_modelgate(cli: Sequence[str] | None, argv: list[str], env: dict[str, str],
                   cwd: Path) -> tuple[int, str, str]:
    """One `modelgate` command: (exit status, stdout, stderr). In this process from the
    working tree when ``cli`` is None, else the installed modelgate ``cli`` names, as a
    subprocess with the step's environment."""
    if cli is not None:
        with spent(PROCESSES):
            done = subprocess.run([*cli, *argv], cwd=cwd, env={**os.environ, **env},
                                  capture_output=True, text=True, check=False)
        return done.returncode, done.stdout, done.stderr
    from demo.timing import paced_without_waiting

    with spent(MODELGATE), paced_without_waiting():
        from modelgate.bot.cli.main import main

        with patched_env(env, cwd):
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = main(argv)
                except SystemExit as exc:
                    status = int(exc.code or 0)
    return status, out.getvalue(), err.getvalue()


# ----------------------------------------------------------------------- the road


@dataclass
class PullRun:
    number: int
    branch: str
    head_sha: str
    artifact_dir: Path | None = None
    check_conclusion: str = ""
    merged: bool = False
    merge_sha: str | None = None


@dataclass
class Road:
    workdir: Path
    services: Services
    origin: Path
    bot_token: str
    runner_temp: Path
    transcript: list[str] = field(default_factory=list)
    comment_file: Path | None = None
    signing_pem: str = ""  # the release's P-256 private key (the `production` secret)
    statement_pubkey: str = ""  # its public half (the variable deploy and Lambda trust)
    repo: str = REPO  # the repository on the GitHub double
    callers: Path | None = None  # the team's caller workflows; None: this repository's
    cli: Sequence[str] | None = None  # an installed modelgate (team mode), else in-process
    role_holders: dict[str, str] = field(default_factory=lambda: dict(ROLE_HOLDERS))
    function_name: str = "modelgate-breast-cancer"  # governance.yml deploy.function_name

    # GitHub's Actions cache of the repository (actions/cache/restore, actions/cache/save)
    cache: actions_cache.ActionsCache = field(default_factory=actions_cache.ActionsCache)

    # run ids: one per job the road plays, unique (the scan cache's keys carry it)
    _run_ids: Iterator[int] = field(default_factory=lambda: itertools.count(int(time.time())))

    # -- helpers ------------------------------------------------------------------------
    def job_setup(self, event_name: str, event_path: Path, job_dir: Path, *,
                  ref: str = actions_cache.DEFAULT_BRANCH_REF
                  ) -> tuple[dict[str, Any], dict[str, str]]:
        """A job's contexts and runner environment: its own run id and RUNNER_TEMP (empty,
        as on a fresh runner), ``ref`` the run's (a PR's merge ref, else the default
        branch), which also scopes its Actions cache."""
        temp = job_dir / "runner-temp"
        temp.mkdir(parents=True, exist_ok=True)
        run_id = str(next(self._run_ids))
        ctx = self.base_ctx(temp)
        ctx["github"] |= {"ref": ref, "run_id": run_id, "run_attempt": "1"}
        env = self.actions_env(event_name, event_path, job_dir)
        env |= {"RUNNER_TEMP": str(temp), "GITHUB_RUN_ID": run_id, "GITHUB_REF": ref}
        return ctx, env

    def base_ctx(self, temp: Path) -> dict[str, Any]:
        return {"github": {"token": self.bot_token, "repository": self.repo,
                           "server_url": self.services.double.base_url, "event": {}},
                "runner": {"temp": str(temp), "os": "Linux", "arch": "X64"},
                "vars": {"MLFLOW_TRACKING_URI": self.services.mlflow_uri,
                         "AWS_REGION": "us-east-1",
                         "AWS_DEPLOY_ROLE_ARN": "arn:aws:iam::123456789012:role/deploy",
                         "AWS_READ_ROLE_ARN": "arn:aws:iam::123456789012:role/read",
                         "MODELGATE_APP_CLIENT_ID": f"Iv23-{APP_SLUG}-demo",
                         # the key-file signer: no KMS key; deploy trusts this PEM
                         "MODELGATE_KMS_KEY_ID": "",
                         "MODELGATE_STATEMENT_PUBKEY": self.statement_pubkey},
                "secrets": {"MLFLOW_TRACKING_USERNAME": "", "MLFLOW_TRACKING_PASSWORD": "",
                            # the double mints App tokens without a JWT
                            "MODELGATE_APP_PRIVATE_KEY": "demo-key",  # pragma: allowlist secret
                            "MODELGATE_SIGNING_KEY_PEM": self.signing_pem},
                "inputs": {}, "steps": {}}

    def actions_env(self, event_name: str, event_path: Path, job_dir: Path) -> dict[str, str]:
        job_dir.mkdir(parents=True, exist_ok=True)
        (job_dir / "summary.md").touch()
        (job_dir / "output").touch()
        return {"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_EVENT_NAME": event_name,
                "GITHUB_EVENT_PATH": str(event_path), "GITHUB_REPOSITORY": self.repo,
                "GITHUB_API_URL": self.services.double.base_url,
                "GITHUB_SERVER_URL": self.services.double.base_url,
                "GITHUB_STEP_SUMMARY": str(job_dir / "summary.md"),
                "GITHUB_OUTPUT": str(job_dir / "output"),
                "GITHUB_RUN_ATTEMPT": "1", "GITHUB_WORKSPACE": str(job_dir / "checkout"),
                "AWS_ENDPOINT_URL": self.services.moto_url, **AWS_ENV}

    def checkout(self, dest: Path, ref: str) -> None:
        git(self.workdir, "clone", "-q", "--no-hardlinks", str(self.origin), str(dest))
        git(dest, "checkout", "-q", ref)
        # the runner's embedded MLflow store starts empty (a migrated copy saves seconds)
        (dest / ".modelgate").mkdir(exist_ok=True)
        shutil.copy2(mlflow_template_db(), dest / ".modelgate" / "mlflow.db")

    def event(self, event: Any, job_dir: Path) -> Path:
        job_dir.mkdir(parents=True, exist_ok=True)
        return Path(event.write(job_dir))

    # -- pull requests --------------------------------------------------------------------
    def open_pull(self, branch: str, change: Callable[[dict[str, Any]], None],
                  title: str) -> PullRun:
        with stage("open a PR (git commit, the double's pull)"):
            git(self.origin, "checkout", "-q", "-b", branch, "main")
            sha = self._commit_governance(change, title)
            shown = git(self.origin, "show", f"{sha}:governance.yml") + "\n"
            number = self.services.double.create_pull(
                self.repo, AUTHOR, head_ref=branch, head_sha=sha, title=title,
                files={"governance.yml": shown})
        say(f"\n▶ PR #{number} opened by @{AUTHOR}: {title} (head {sha[:12]})")
        # pr-labels.yml sees the opening as it happens (who pushed the first head)
        event = self.services.double.webhooks.pull_request(self.repo, number, "opened", target=True)
        self.handle("pr-labels.yml", "handle", event, f"pr{number}-opened-{sha[:7]}")
        return PullRun(number=number, branch=branch, head_sha=sha)

    def _commit_governance(self, change: Callable[[dict[str, Any]], None], message: str) -> str:
        """Apply ``change`` to governance.yml on the checked-out branch (its leading
        comments kept), commit, go back to main; the commit's sha."""
        gov_path = self.origin / "governance.yml"
        gov = yaml.safe_load(gov_path.read_text())
        change(gov)
        header = leading_comments(gov_path.read_text())
        gov_path.write_text(header + yaml.safe_dump(gov, sort_keys=False))
        git(self.origin, "commit", "-q", "-am", message)
        sha = git(self.origin, "rev-parse", "HEAD")
        git(self.origin, "checkout", "-q", "main")
        return sha

    def push(self, run: PullRun, change: Callable[[dict[str, Any]], None], message: str) -> None:
        with stage("push to a PR (git commit, the double's push)"):
            git(self.origin, "checkout", "-q", run.branch)
            sha = self._commit_governance(change, message)
            gov_text = git(self.origin, "show", f"{sha}:governance.yml") + "\n"
            self.services.double.push(self.repo, run.number, {"governance.yml": gov_text},
                                      sha=sha, message=message)
        run.head_sha = sha
        say(f"\n▶ @{AUTHOR} pushed {sha[:12]} to PR #{run.number}")
        event = self.services.double.webhooks.pull_request(self.repo, run.number, "synchronize",
                                                           target=True)
        self.handle("pr-labels.yml", "handle", event, f"pr{run.number}-sync-{sha[:7]}")

    def handle(self, workflow: str, job: str, event: Any, tag: str, *,
               expect_failure: bool = False) -> Job:
        job_dir = self.workdir / "jobs" / tag
        path = self.event(event, job_dir)
        checkout = job_dir / "checkout"
        if job != "verdict":  # it checks out into folders of its own
            with stage("check out main for a bot job (before its steps)"):
                self.checkout(checkout, "main")
        number = (event.payload.get("pull_request") or {}).get("number")
        ctx, env = self.job_setup(event.name, path, job_dir,
                                  ref=actions_cache.job_ref(event.name, number))
        ctx["github"]["event"] = event.payload
        ctx["github"]["workspace"] = str(checkout)
        return Job(workflow, job, ctx, checkout, env, self.emulators(job_dir),
                   expect_failure=expect_failure, job_token=self.job_token,
                   workflows=self.callers, cli=self.cli).run()

    def job_token(self, permissions: dict[str, str]) -> str:
        """The GITHUB_TOKEN of one job: exactly its `permissions:` map (id-token is OIDC,
        which the double does not serve)."""
        scopes = {k: v for k, v in permissions.items() if k != "id-token"}
        return self.services.double.add_job_token(self.repo, permissions=scopes)

    def pr_check(self, run: PullRun, *, expect_failure: bool = False) -> None:
        event = self.services.double.webhooks.pull_request(self.repo, run.number, "synchronize"
                                                           if run.artifact_dir else "opened")
        job_dir = self.workdir / "jobs" / f"pr{run.number}-check-{run.head_sha[:7]}"
        path = self.event(event, job_dir)
        ctx, env = self.job_setup("pull_request", path, job_dir,
                                  ref=actions_cache.job_ref("pull_request", run.number))
        ctx["github"]["event"] = event.payload
        env["GITHUB_BASE_REF"] = "main"
        job = Job("pr-check.yml", "check", ctx, job_dir / "checkout", env,
                  self.emulators(job_dir, pull=run), expect_failure=expect_failure,
                  job_token=self.job_token, workflows=self.callers, cli=self.cli)
        job.run()
        run.check_conclusion = "failure" if job.failed else "success"

    def pr_report(self, run: PullRun) -> Job:
        """The trusted verdict (default branch's modelgate, PR files as data), then the
        report of that verdict with the App's token."""
        run_id = self._check_run_id[run.head_sha]
        event = self.services.double.webhooks.workflow_run(self.repo, run_id)
        tag = f"pr{run.number}-{{}}-{run.head_sha[:7]}"
        self.handle("pr-report.yml", "verdict", event, tag.format("verdict"),
                    expect_failure=run.check_conclusion == "failure")
        return self.handle("pr-report.yml", "report", event, tag.format("report"))

    def approve(self, run: PullRun, login: str, body: str = "/approve") -> None:
        comment_id = self.services.double.comment_as(login, self.repo, run.number, body)
        say(f"\n▶ @{login} comments {body!r} on PR #{run.number}")
        event = self.services.double.webhooks.issue_comment(self.repo, comment_id)
        self.handle("pr-commands.yml", "handle", event, f"pr{run.number}-c{comment_id}")
        pull = self.services.double.pull(self.repo, run.number)
        if pull["merged"] and not run.merged:
            run.merged = True
            self._replay_merge(run, pull)

    def _replay_merge(self, run: PullRun, pull: dict[str, Any]) -> None:
        double_sha = pull["merge_commit_sha"]
        message = self.services.double.state.repos[self.repo.casefold()].commits[double_sha].message
        git(self.origin, "merge", "-q", "--no-ff", run.head_sha, "-m", message)
        run.merge_sha = git(self.origin, "rev-parse", "HEAD")
        # the statement names this sha and the release tags it: the double holds it too
        from demo.github_double.state import Commit

        repo = self.services.double.state.repos[self.repo.casefold()]
        made = repo.commits[double_sha]
        repo.commits[run.merge_sha] = Commit(sha=run.merge_sha, message=message,
                                             author=made.author, tree=dict(made.tree),
                                             parents=made.parents, created_at=made.created_at)
        say(f"  merged by the bot with the head pinned at {run.head_sha[:12]}; "
            f"the road replays it in git as {run.merge_sha[:12]}")
        dispatch = self.services.double.dispatches(self.repo)[-1]
        say(f"  release dispatched: {dispatch}")

    def release(self, run: PullRun, *, audited_report: Path | None = None,
                expect_failure: bool = False) -> Job:
        if run.merge_sha is None:
            raise RoadStopped(f"PR #{run.number} was not merged: there is nothing to release")
        job_dir = self.workdir / "jobs" / f"pr{run.number}-release-{run.merge_sha[:7]}"
        inputs = {"merge_sha": run.merge_sha, "pr_number": str(run.number),
                  "audited_head_sha": run.head_sha}
        event_path = job_dir / "workflow_dispatch.json"
        job_dir.mkdir(parents=True, exist_ok=True)
        event_path.write_text(json.dumps({"inputs": inputs}))
        ctx, env = self.job_setup("workflow_dispatch", event_path, job_dir)
        ctx["inputs"] = inputs
        ctx["steps"] = {"audited": {"outputs": {"run-id": str(self._check_run_id[run.head_sha])}}}
        env.pop("GITHUB_TOKEN", None)
        emulators = self.emulators(job_dir, audited_override=audited_report)
        return Job("release.yml", "release", ctx, job_dir / "checkout", env, emulators,
                   expect_failure=expect_failure, job_token=self.job_token,
                   workflows=self.callers, cli=self.cli).run()

    # -- emulated actions -----------------------------------------------------------------
    _check_run_id: dict[str, int] = field(default_factory=dict)
    _verdict_dir: Path | None = None

    def app_token(self, inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
        """actions/create-github-app-token: an installation token of the demo's App for
        this repository, narrowed by the step's `permission-*` inputs."""
        wanted = {k.removeprefix("permission-").replace("-", "_"): v
                  for k, v in inputs.items() if k.startswith("permission-")}
        token = self.services.double.app_token(APP_SLUG, self.repo, permissions=wanted)
        job.ctx["steps"][job.step["id"]] = {"outputs": {"token": token, "app-slug": APP_SLUG}}
        return 0

    def write_signing_key(self, inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
        """The release's key-file step: the secret into RUNNER_TEMP (0600), its path as
        the step's output."""
        if not env.get("SIGNING_KEY_PEM"):  # an unset output reads as ""
            job.ctx["steps"][job.step["id"]] = {"outputs": {"path": ""}}
            return 0
        key = Path(job.ctx["runner"]["temp"]) / "modelgate-signing-key.pem"
        key.write_text(env["SIGNING_KEY_PEM"].rstrip("\n") + "\n")
        key.chmod(0o600)
        job.ctx["steps"][job.step["id"]] = {"outputs": {"path": str(key)}}
        return 0

    def install(self, inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
        """The gate's install step. `install: source` (this repository): this process
        already runs from the locked environment. A team's pinned requirement: the
        installed modelgate the road was given is that release (emulated as installed).
        Anything else fails as the step would."""
        install, requirement = env.get("INSTALL", ""), env.get("REQUIREMENT", "")
        if (install == "source" and self.cli is None) or (
                install == "requirement" and PIN_RE.match(requirement) and self.cli):
            return 0
        say("       " + MSG_BAD_INSTALL.format(where=job.where, install=install,
                                               requirement=requirement))
        return 1

    def download_verdict(self, dest: Path) -> int:
        """download-artifact without run-id: the verdict this same run uploaded."""
        require(self._verdict_dir is not None, "no verdict was uploaded")
        if self._verdict_dir is not None and dest != self._verdict_dir:
            shutil.copytree(self._verdict_dir, dest, dirs_exist_ok=True)
        return 0

    def setup_python(self, inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
        """This process is the job's 3.11; another version is looked up on the machine
        and named in the step's `python-path` output, as the action does."""
        version = str(inputs.get("python-version", ""))
        if not job.step.get("id") or version.startswith("3.11"):
            return 0
        from modelgate.infra.package import find_python, runtime_target

        found = find_python(runtime_target(f"python{version}", "x86_64"))
        if found is None:
            job.results.append(StepResult("setup-python", 1, message=(
                f"actions/setup-python {version}: no Python {version} on this machine "
                "(the road looks where `modelgate package` does: pyenv, uv, PATH)")))
            return 1
        job.ctx["steps"][job.step["id"]] = {"outputs": {"python-path": found}}
        return 0

    def emulators(self, job_dir: Path, *, pull: PullRun | None = None,
                  audited_override: Path | None = None
                  ) -> dict[str, Emulator]:
        checkout = job_dir / "checkout"

        def do_checkout(inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
            dest = checkout / inputs["path"] if inputs.get("path") else checkout
            if not dest.exists():
                self.checkout(dest, inputs.get("ref") or "main")
            return 0

        def noop(inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
            return 0

        def upload(inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
            source = checkout / inputs["path"]
            if inputs["name"] == "modelgate-verdict":
                self._verdict_dir = Path(inputs["path"])  # handed to the report job
                return 0
            if pull is None or inputs["name"] != "modelgate-audit":
                return 0
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for file in sorted(source.rglob("*")):
                    if file.is_file():
                        zf.write(file, file.relative_to(source).as_posix())
            failed = job.failed
            run_id = self.services.double.add_workflow_run(
                self.repo, name="modelgate PR check", head_sha=pull.head_sha,
                pull_number=pull.number, event="pull_request", workflow_file="pr-check.yml",
                conclusion="failure" if failed else "success")
            self.services.double.add_artifact(self.repo, run_id, "modelgate-audit", buf.getvalue())
            self._check_run_id[pull.head_sha] = run_id
            pull.artifact_dir = source
            return 0

        def download(inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
            dest = Path(inputs["path"])
            if "run-id" not in inputs:  # an artifact of this same run: the verdict
                return self.download_verdict(dest)
            run_id = int(inputs["run-id"])
            repo = self.services.double.state.repos[self.repo.casefold()]
            artifact = next(repo.artifacts[a] for a in repo.runs[run_id].artifacts
                            if repo.artifacts[a].name == inputs["name"])
            if dest.exists():
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            with zipfile.ZipFile(io.BytesIO(artifact.data)) as zf:
                zf.extractall(dest)  # the road's own zip; the CLI re-validates every file
            if audited_override is not None:
                shutil.copy2(audited_override, dest / "audit_report.json")
            return 0

        def bind(inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
            meta = json.loads((Path(env["ARTIFACT_DIR"]) / "run_metadata.json").read_text())
            return 0 if meta.get("head_sha") == env["BUILT_SHA"] else 1

        cache = actions_cache.emulators(
            self.cache, ref_of=lambda job: str(job.ctx["github"].get(
                "ref", actions_cache.DEFAULT_BRANCH_REF)),
            roots_of=lambda job: {"WORKSPACE": Path(job.cwd),
                                  "RUNNER_TEMP": Path(job.ctx["runner"]["temp"])},
            outputs_of=step_outputs, say=say)
        return {
            **cache,
            "actions/checkout": do_checkout, "actions/setup-python": self.setup_python,
            "actions/upload-artifact": upload, "actions/download-artifact": download,
            "actions/create-github-app-token": self.app_token,
            # the road runs one job at a time: nothing older is ever still running
            "Wait for older releases and rollbacks (first come, first served)": noop,
            "aws-actions/configure-aws-credentials": noop,
            "Bind the evidence to the commit the run built": bind,
            "Find the PR check run that audited the head": noop,
            SIGNING_KEY_STEP: self.write_signing_key,
            INSTALL_STEP: self.install,
        }



def setup(workdir: Path, *, source: Path = ROOT, modelgate: Sequence[str] | None = None,
          repo: str = REPO) -> Road:
    """Start the services and give them the repository the road plays; stop them if that
    fails.

    ``source`` is that repository (cloned as origin): this one by default, or a team's,
    whose caller workflows, governance.yml (role holders, model, deploy target) and data
    the road then reads. ``modelgate``, when given, is the argv prefix of an installed
    modelgate (say ``[venv/bin/modelgate]``) run as a subprocess for every `modelgate`
    step, the callers' pinned install being emulated as done; else the steps run in this
    process from the working tree."""
    services = start_services(workdir)
    warm = None if modelgate is not None else warm_imports()
    try:
        road = _prepare(workdir, services, source=source, cli=modelgate, repo=repo)
        services.wait_for_mlflow()  # it started while the repository was prepared
        if warm is not None:
            with spent(IMPORTS):
                warm.join()
        return road
    except BaseException:
        services.stop()
        raise


# what the first in-process `modelgate check` imports anyway (the CLI, training, MLflow,
# scikit-learn, pandas): imported while the services start and the repository is prepared
WARM_IMPORTS = ("modelgate.bot.cli.main", "modelgate.bot.check.pipeline",
                "modelgate.training.train", "mlflow", "mlflow.sklearn", "pandas",
                "sklearn.linear_model", "sklearn.model_selection", "sklearn.compose")


def warm_imports() -> threading.Thread:
    """Import :data:`WARM_IMPORTS` in a thread: the road runs `modelgate` in this process,
    so a module imported once serves every step; a failed import is left for the step
    that needs it to report."""
    import importlib

    def run() -> None:
        for name in WARM_IMPORTS:
            with contextlib.suppress(Exception):
                importlib.import_module(name)

    thread = threading.Thread(target=run, name="road-warm-imports", daemon=True)
    thread.start()
    return thread


APP_ID_RE = re.compile(r"^(?P<key>\s+app_id:)[ \t]*null\b", re.MULTILINE)


def role_holders(gov: dict[str, Any]) -> dict[str, str]:
    """role -> the one login the road has approve it: the role's first user."""
    holders = {}
    for role in (gov.get("approval") or {}).get("roles") or []:
        users = role.get("users") or []
        require(bool(users) and int(role.get("required", 1)) <= 1,
                f"governance.yml role {role.get('name')!r}: the road plays roles with at "
                "least one user and `required: 1`")
        holders[str(role["name"])] = str(users[0])
    return holders


def _prepare(workdir: Path, services: Services, *, source: Path = ROOT,
             cli: Sequence[str] | None = None, repo: str = REPO) -> Road:
    gh = services.double
    owner = repo.split("/")[0]
    origin = workdir / "origin"
    git(workdir, "clone", "-q", "--no-hardlinks", str(source), str(origin))
    gov_path = origin / "governance.yml"
    text = gov_path.read_text()
    gov = yaml.safe_load(text)
    holders = role_holders(gov)
    people = [AUTHOR, *dict.fromkeys(holders.values())]
    for login in people:
        gh.add_user(login)
    bot_token = gh.add_bot()
    gh.create_org(owner, members=people)
    for role in gov["approval"]["roles"]:  # a role's teams hold its users
        for team in role.get("teams") or []:
            gh.add_team(owner, team.split("/")[-1], members=list(role.get("users") or []))
    app_id = (gov.get("github") or {}).get("app_id")
    if app_id is None:
        require(APP_ID_RE.search(text) is not None,
                "governance.yml has no `github.app_id: null` to fill")
        gov_path.write_text(APP_ID_RE.sub(rf"\g<key> {DEMO_APP_ID}", text, count=1))
        git(origin, "commit", "-q", "-am", "The demo's modelgate GitHub App")
        app_id = DEMO_APP_ID
    base = git(origin, "rev-parse", "HEAD")
    gh.create_repo(repo, files={"README.md": "demo"})
    gh.commit(repo, "main", {"governance.yml": (origin / "governance.yml").read_text()},
              sha=base, message="the repository the road plays")
    for login in people:
        gh.set_permission(repo, login, "write")
    gh.set_permission(repo, ACTIONS_BOT, "write")
    manifest = json.loads(APP_MANIFEST.read_text())
    gh.install_app(repo, APP_SLUG, int(app_id), permissions=manifest["default_permissions"])
    # docs/ruleset.json's rule: the `modelgate` check, from this App only
    gh.add_ruleset(repo, required_checks=[("modelgate", int(app_id))], strict=True)
    runner_temp = workdir / "runner-temp"
    runner_temp.mkdir()
    deploy = gov.get("deploy") or {}
    function_name = str(deploy.get("function_name", "modelgate-serving"))
    _aws_infrastructure(services.moto_url, bucket=str(deploy.get("bucket", "modelgate-bundles")),
                        function_name=function_name)
    private_pem, public_pem = signing_key(workdir)
    callers = None if source.resolve() == ROOT else origin / ".github" / "workflows"
    return Road(workdir=workdir, services=services, origin=origin, bot_token=bot_token,
                runner_temp=runner_temp, signing_pem=private_pem, statement_pubkey=public_pem,
                repo=repo, callers=callers, cli=cli, role_holders=holders,
                function_name=function_name)


def signing_key(workdir: Path) -> tuple[str, str]:
    """A fresh ECDSA P-256 key for the release statement: (private PEM, public PEM), both
    also kept in the work directory (release-signing-key.pem, release-signing-key.pub)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    (workdir / "release-signing-key.pem").write_text(private)
    (workdir / "release-signing-key.pem").chmod(0o600)
    (workdir / "release-signing-key.pub").write_text(public)
    return private, public


def _aws_infrastructure(endpoint: str, *, bucket: str = "modelgate-bundles",
                        function_name: str = "modelgate-breast-cancer") -> None:
    """What `infra/template.yaml` would create: the bundle bucket, the role, the function."""
    import boto3

    kw = {"endpoint_url": endpoint, "region_name": "us-east-1",
          "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}  # pragma: allowlist secret
    boto3.client("s3", **kw).create_bucket(Bucket=bucket)
    iam = boto3.client("iam", **kw)
    trust = {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"Service": "lambda.amazonaws.com"}}]}
    iam.create_role(RoleName="modelgate-serving", AssumeRolePolicyDocument=json.dumps(trust))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("placeholder.py", "def handler(event, context):\n    return {}\n")
    boto3.client("lambda", **kw).create_function(
        FunctionName=function_name, Runtime="python3.12",
        Role="arn:aws:iam::123456789012:role/modelgate-serving",
        Handler="placeholder.handler", Code={"ZipFile": buf.getvalue()})


# ----------------------------------------------------------------------- serving


@dataclass
class Served:
    request_id: str
    body: dict[str, Any]
    log_lines: list[str]
    lambda_version: str
    handler_file: str = ""  # where the handler's modelgate.serving came from (zip runs)


def _function_url_event(method: str, path: str, body: str | None) -> dict[str, Any]:
    """A Lambda Function URL request (payload format 2.0)."""
    event: dict[str, Any] = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": FUNCTION_URL_HOST},
        "requestContext": {
            "accountId": "anonymous", "apiId": "road", "domainName": FUNCTION_URL_HOST,
            "domainPrefix": "road", "requestId": "road", "routeKey": "$default",
            "stage": "$default", "time": "23/Nov/2026:12:00:00 +0000", "timeEpoch": 0,
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "127.0.0.1", "userAgent": "modelgate-road"}},
        "isBase64Encoded": False,
    }
    if body is not None:
        event["body"] = body
    return event


def invoke_live(road: Road, records: list[dict[str, float]], log_file: Path) -> Served:
    """POST /predict on a fresh container of the function's `live` alias."""
    body = json.dumps({"records": records} if len(records) > 1 else {"features": records[0]})
    return call_live(road, "POST", "/predict", body, log_file)


def call_live(road: Road, method: str, path: str, body: str | None, log_file: Path) -> Served:
    """A fresh container of the function's `live` alias, as Lambda would start it: the
    deployed environment read back from moto (with the trusted key deploy put there),
    the handler run on an HTTP API event."""
    with stage(f"Lambda {method} {path} (in process)"):
        return _call_live(road, method, path, body, log_file)


def _call_live(road: Road, method: str, path: str, body: str | None, log_file: Path) -> Served:
    import boto3

    lam = boto3.client("lambda", endpoint_url=road.services.moto_url, **_aws_kwargs())
    cfg = lam.get_function_configuration(FunctionName=road.function_name, Qualifier="live")
    env = {**cfg["Environment"]["Variables"], "AWS_ENDPOINT_URL": road.services.moto_url,
           **AWS_ENV}
    event = _function_url_event(method, path, body)
    out = io.StringIO()
    with patched_env(env, road.workdir), contextlib.redirect_stdout(out):
        from modelgate.serving import bundle as serving_bundle
        from modelgate.serving.app import create_app
        from modelgate.serving.handler import make_handler

        serving_bundle.reset_cache()
        handler = make_handler(create_app())
        response = handler(event, _Context(
            function_name=road.function_name,
            invoked_function_arn=f"{FUNCTION_ARN}:{road.function_name}:live"))
    lines = [ln for ln in out.getvalue().splitlines() if ln.startswith("{")]
    with log_file.open("a", encoding="utf-8") as fh:
        fh.writelines(ln + "\n" for ln in lines)
    answer: dict[str, Any] = json.loads(base64.b64decode(response["body"])
                                        if response.get("isBase64Encoded") else response["body"])
    return Served(request_id=answer["request_id"], body=answer, log_lines=lines,
                  lambda_version=cfg["Version"])


FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function"
# what the Lambda Python runtime provides beside the zip (infra/package.py RUNTIME_PROVIDED)
# and what those import: pure-Python packages, taken from this interpreter
RUNTIME_LAYER = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "dateutil", "six")
ZIP_HANDLER = """
import json, sys
task, runtime, event_path, out_path = sys.argv[1:5]
sys.path[:0] = [task, runtime]
class Context:
    def __init__(self, values):
        self.__dict__.update(values)
    def get_remaining_time_in_millis(self):
        return 30000
request = json.load(open(event_path))
import modelgate.serving.handler
response = modelgate.serving.handler.handler(request["event"], Context(request["context"]))
json.dump({"response": response, "serving": modelgate.serving.__file__}, open(out_path, "w"))
"""


def _runtime_layer(dest: Path) -> Path:
    """The packages Lambda's runtime offers (boto3 and its dependencies), linked from this
    interpreter: the zip does not ship them and must find them, as in Lambda."""
    import importlib.util

    dest.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_LAYER:
        spec = importlib.util.find_spec(name)
        require(spec is not None and spec.origin is not None,
                f"{name} is not installed here: cannot stand in for the Lambda runtime's")
        assert spec is not None and spec.origin is not None
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        link = dest / source.name
        if not link.exists():
            link.symlink_to(source)
    return dest


def call_live_zip(road: Road, zip_path: Path, method: str, path: str, body: str | None,
                  log_file: Path) -> Served:
    """Like :func:`call_live`, but the handler is the deployed zip's: ``zip_path`` (checked
    to be the code of the `live` alias) unzipped and run by a Python of the function's
    runtime, isolated (``-I -S``: only the zip and the runtime's boto3): what runs is what
    `modelgate package` built and deploy shipped (:func:`play` keeps the in-process one)."""
    with stage(f"Lambda {method} {path} (the deployed zip)"), spent(PROCESSES):
        return _call_live_zip(road, zip_path, method, path, body, log_file)


def _call_live_zip(road: Road, zip_path: Path, method: str, path: str, body: str | None,
                   log_file: Path) -> Served:
    import hashlib

    import boto3

    from modelgate.infra.package import find_python, runtime_target

    lam = boto3.client("lambda", endpoint_url=road.services.moto_url, **_aws_kwargs())
    cfg = lam.get_function_configuration(FunctionName=road.function_name, Qualifier="live")
    digest = base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()
    require(cfg["CodeSha256"] == digest,
            f"{zip_path} is not the code of {road.function_name}:live ({cfg['CodeSha256']})")
    python = find_python(runtime_target(cfg["Runtime"], cfg.get("Architectures", ["x86_64"])[0]))
    require(python is not None, f"no Python of the function's runtime {cfg['Runtime']} here "
                                "to run the deployed zip (pyenv, uv, PATH)")
    assert python is not None
    work = road.workdir / "lambda" / digest.replace("/", "_")
    task = work / "task"
    if not task.exists():
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(task)
    layer = _runtime_layer(road.workdir / "lambda" / "runtime")
    request = {"event": _function_url_event(method, path, body), "context": {
        "function_name": road.function_name, "aws_request_id": "road",
        "invoked_function_arn": f"{FUNCTION_ARN}:{road.function_name}:live",
        "memory_limit_in_mb": 1024}}
    (work / "event.json").write_text(json.dumps(request), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(work), **cfg["Environment"]["Variables"],
           "AWS_ENDPOINT_URL": road.services.moto_url, **AWS_ENV}
    # -B: Lambda's /var/task is read-only, and the layer links into this interpreter's
    # site-packages, which another Python's bytecode must not be written into
    done = subprocess.run([python, "-I", "-S", "-B", "-c", ZIP_HANDLER, str(task), str(layer),
                           str(work / "event.json"), str(work / "out.json")],
                          cwd=work, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    require(done.returncode == 0, f"the deployed handler failed (exit {done.returncode}):\n"
                                  f"{done.stderr[-3000:]}")
    result = json.loads((work / "out.json").read_text(encoding="utf-8"))
    require(Path(result["serving"]).resolve().is_relative_to(task.resolve()),
            f"modelgate.serving was imported from {result['serving']}, not the zip")
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    with log_file.open("a", encoding="utf-8") as fh:
        fh.writelines(ln + "\n" for ln in lines)
    response = result["response"]
    answer: dict[str, Any] = json.loads(base64.b64decode(response["body"])
                                        if response.get("isBase64Encoded") else response["body"])
    return Served(request_id=answer["request_id"], body=answer, log_lines=lines,
                  lambda_version=cfg["Version"], handler_file=str(result["serving"]))


@dataclass
class _Context:
    function_name: str = "modelgate-breast-cancer"
    aws_request_id: str = "road"
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:modelgate-breast-cancer:live")
    memory_limit_in_mb: int = 1024

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def _aws_kwargs() -> dict[str, str]:
    return {"region_name": "us-east-1", "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing"}  # pragma: allowlist secret


def eval_records(origin: Path, n: int = 3) -> list[dict[str, float]]:
    from modelgate.governance import load_config
    from modelgate.training.data import load_dataset, split_dataset

    config = load_config(origin / "governance.yml")
    ds = load_dataset(config)
    split = split_dataset(ds, config.governance)
    return [dict(zip(ds.features, map(float, ds.X[i]), strict=True)) for i in split.test[:n]]


def modelgate(road: Road, argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run one `modelgate` command as a person would; a failure stops the road."""
    job = Job("-", "-", {}, cwd, {**env, "AWS_ENDPOINT_URL": road.services.moto_url, **AWS_ENV},
              {}, cli=road.cli)
    started = time.perf_counter()
    with stage(f"modelgate {argv[0]} (by hand)"):
        status = job._modelgate(argv, {})
    say(f"       took {seconds(time.perf_counter() - started)}")
    if status != 0:
        head = f"modelgate {argv[0]} failed (exit {status})"
        said = job.results[-1].message
        raise RoadStopped(f"{head}\n{said}" if said else head)
    return status, job.results[-1].output


def trace_verified(road: Road, request_id: str, log_file: Path) -> str:
    """`modelgate trace --verify` of one served request, trusting the release key; the
    road stops on a MISMATCH."""
    trusted = {"MODELGATE_STATEMENT_PUBKEY": road.statement_pubkey}
    _, text = modelgate(road, ["trace", request_id, "--log", str(log_file), "--with-deploy",
                               "--verify", "--tracking-uri", road.services.mlflow_uri],
                        road.origin, trusted)
    say(f"\n▶ modelgate trace {request_id} --verify\n{text}")
    require("MISMATCH" not in text, "the trace found a MISMATCH")
    return text


def run_modelgate(road: Road, argv: list[str], cwd: Path, env: dict[str, str]
                  ) -> tuple[int, str]:
    """Run one `modelgate` command whose failure the story expects: (status, what it
    printed on stdout and stderr)."""
    say(f"       $ modelgate {' '.join(argv)}")
    full = {**env, "AWS_ENDPOINT_URL": road.services.moto_url, **AWS_ENV}
    started = time.perf_counter()
    with stage(f"modelgate {argv[0]} (by hand)"):
        status, out, err = call_modelgate(road.cli, argv, full, cwd)
    say(f"       took {seconds(time.perf_counter() - started)}")
    return status, out + err


@dataclass
class Released:
    """What one release job left: its records' statement digests and the GitHub release."""

    release_statement: str
    deploy_statement: str
    tag: str
    release_url: str
    assets: list[str]
    card_path: str


def released(road: Road, job: Job) -> Released:
    """Read the release and deploy records the job wrote, and the card it published."""
    from demo.github_double.routes.releases import releases_of

    out = job.cwd / "out" / "release"
    release = json.loads((out / "release.json").read_text())
    deploy = json.loads((out / "deploy.json").read_text())
    repo = road.services.double.state.repos[road.repo.casefold()]
    book = releases_of(road.services.double.state).of(repo)
    model_version = str(release["version"])
    tag = f"{release['model_name']}/v{model_version}"
    found = [r for r in book.releases.values() if r.tag_name == tag]
    require(len(found) == 1, f"the release published no GitHub release {tag!r}")
    card = f"model_cards/{release['model_name']}/v{model_version}.md"
    head = repo.commits[repo.branches[repo.default_branch]]
    require(card in head.tree, f"the release committed no {card} to the default branch")
    require(f"refs/tags/{tag}" in book.refs, f"the release made no tag {tag}")
    base = road.services.double.base_url
    done = Released(release_statement=str(release.get("statement_sha256") or ""),
                    deploy_statement=str(deploy.get("statement_sha256") or ""), tag=tag,
                    release_url=f"{base}/{road.repo}/releases/tag/{tag}",
                    assets=[a.name for a in found[0].assets], card_path=card)
    say(f"  release record: statement sha256 {done.release_statement}")
    say(f"  deploy record:  statement sha256 {done.deploy_statement}")
    say(f"  card {card} committed ({head.message!r}); tag {tag} -> "
        f"{book.tags[book.refs['refs/tags/' + tag]].object_sha[:12]}; release {done.release_url} "
        f"with {', '.join(done.assets)}")
    return done


def card_comment(gh: GitHubDouble, number: int, repo: str = REPO) -> str:
    """The bot's one living comment on PR ``number``."""
    found = [body for login, body in gh.comments(repo, number)
             if login == APP_BOT and body.startswith("<!-- modelgate:card")]
    require(len(found) == 1, f"PR #{number} has {len(found)} modelgate comments, not one")
    return found[0]


# ----------------------------------------------------------------------- scenario


def _set_c(value: float) -> Callable[[dict[str, Any]], None]:
    def change(gov: dict[str, Any]) -> None:
        gov["estimator"]["steps"][-1]["params"]["C"] = value
    return change


def _dummy(gov: dict[str, Any]) -> None:
    gov["estimator"]["steps"] = [{"class": "sklearn.dummy.DummyClassifier",
                                  "params": {"strategy": "prior"}}]


@dataclass
class RoadResult:
    first: PullRun
    worse: PullRun
    second: PullRun
    comment: str
    second_comment: str
    served_first: Served
    served_second: Served
    served_after_rollback: Served
    trace_text: str
    first_release: Released
    second_release: Released
    model_info: dict[str, Any]
    history_at: str
    history_text: str
    incident_status: int
    incident_text: str
    labels_after_push: list[str]
    refused_release_status: int
    refused_release_output: str
    seconds: float
    timing: str = ""  # where the time went (:func:`time_report`)


def wait_until(epoch: float) -> None:
    """Sleep until the wall clock reaches ``epoch`` (not at all if it has)."""
    with spent(SLEEPS):
        while (left := epoch - time.time()) > 0:
            time.sleep(left)


def play(workdir: Path) -> RoadResult:
    from demo import timing

    started = time.monotonic()
    timing.reset()
    TIMES.clear()
    with stage("start the services, prepare the repository"):
        road = setup(workdir)
    gh = road.services.double
    log_file = workdir / "serving.log"
    try:
        # 1. a PR that retunes the model: check, report, approvals, merge, release, deploy
        first = road.open_pull("tune-c", _set_c(0.5), "Retune regularisation (C=0.5)")
        road.pr_check(first)
        road.pr_report(first)
        for login in ROLE_HOLDERS.values():
            road.approve(first, login)
        require(first.merged, f"the bot did not merge PR #{first.number}, approved and green")
        # the one living comment, as it reads after the merge (edited in place all along)
        comment = card_comment(gh, first.number)
        first_release = released(road, road.release(first))
        first_deployed = time.time()
        require(first_release.release_statement == first_release.deploy_statement != "",
                "the deploy record does not carry the statement the release signed")
        served_first = invoke_live(road, eval_records(road.origin), log_file)
        say(f"\n▶ POST /predict on live (Lambda version {served_first.lambda_version}): "
            f"{json.dumps(served_first.body)[:300]}")
        logged = [json.loads(ln) for ln in served_first.log_lines]
        said = {ln.get("statement_sha256") for ln in logged if ln.get("event") == "request"}
        say(f"  served log line: statement_sha256 {', '.join(map(str, said))}")
        require(said == {first_release.deploy_statement},
                f"the served log line carries statement {said}, not the deployed one")
        model_info = call_live(road, "GET", "/model-info", None, log_file).body
        say(f"\n▶ GET /model-info on live: statement_sha256 {model_info.get('statement_sha256')}")
        require(model_info.get("statement_sha256") == first_release.deploy_statement,
                "/model-info does not carry the deployed statement")
        trace_text = trace_verified(road, served_first.request_id, log_file)
        # `history --at` takes whole seconds: the first whole second after the first
        # deploy finished (no sleep unless the trace took less than that); the second
        # deploy starts at least one second after it (checked before that release)
        wait_until(math.ceil(first_deployed))
        between_at = math.floor(time.time())
        between = datetime.fromtimestamp(between_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

        # 2. a worse model: the gate fails, approvals cannot merge it; a push resets them
        worse = road.open_pull("dummy-model", _dummy, "Try a prior-only model")
        road.pr_check(worse, expect_failure=True)
        road.pr_report(worse)
        for login in ROLE_HOLDERS.values():
            road.approve(worse, login)
        require(not worse.merged, f"the bot merged PR #{worse.number}, whose gate failed")
        road.push(worse, _set_c(2.0), "Back to logistic regression")
        labels_after_push = gh.labels(REPO, worse.number)

        # 3. a release whose retrained fingerprint differs from the audited one is refused
        tampered = workdir / "tampered_report.json"
        report = json.loads((first.artifact_dir / "audit_report.json").read_text())  # type: ignore[operator]
        report["model_fingerprint"] = "0" * 64
        tampered.write_text(json.dumps(report))
        refused = road.release(first, audited_report=tampered, expect_failure=True)
        refused_out = "\n".join(r.output for r in refused.results)

        # 4. a second release, then rollback returns the first version's predictions
        second = road.open_pull("tune-c-again", _set_c(0.25), "Retune regularisation (C=0.25)")
        road.pr_check(second)
        road.pr_report(second)
        for login in ROLE_HOLDERS.values():
            road.approve(second, login)
        require(second.merged, f"the bot did not merge PR #{second.number}, approved and green")
        # the report job judged this PR's gate against the bundle production serves (v1)
        second_comment = card_comment(gh, second.number)
        wait_until(between_at + 1)  # the second deploy falls after `between`
        second_release = released(road, road.release(second))
        served_second = invoke_live(road, eval_records(road.origin), log_file)
        tracking = {"MLFLOW_TRACKING_URI": road.services.mlflow_uri}
        _, history_text = modelgate(road, ["history", "--at", between], road.origin, tracking)
        say(f"\n▶ modelgate history --at {between} (between the two deploys)\n{history_text}")
        require(f"served breast-cancer-classifier v{served_first.body['model_version']} "
                in history_text and first_release.deploy_statement in history_text,
                "history does not answer the first version with its statement")
        status, _ = modelgate(road, ["rollback"], road.origin, tracking)
        say(f"\n▶ modelgate rollback: exit {status}")
        served_back = invoke_live(road, eval_records(road.origin), log_file)

        # 5. someone moves the live alias by hand: verify --registry calls it an incident
        import boto3

        lam = boto3.client("lambda", endpoint_url=road.services.moto_url, **_aws_kwargs())
        lam.update_alias(FunctionName=road.function_name, Name="live",
                         FunctionVersion=served_second.lambda_version)
        say(f"\n▶ by hand: aws lambda update-alias --function-name modelgate-breast-cancer "
            f"--name live --function-version {served_second.lambda_version}")
        incident_status, incident_out = run_modelgate(road, ["verify", "--registry"],
                                                      road.origin, tracking)
        incident_text = "\n".join(ln[ln.index("INCIDENT:"):] for ln in
                                  incident_out.splitlines() if "INCIDENT:" in ln)
        say(f"  exit {incident_status}\n  {incident_text}")
        require(incident_status == 1 and incident_text.startswith("INCIDENT:"),
                f"verify --registry did not report the alias moved by hand (exit "
                f"{incident_status}): {incident_out.strip()[-300:]}")
        road.comment_file = workdir / "pr-comment.md"
        road.comment_file.write_text(comment)
        return RoadResult(first=first, worse=worse, second=second, comment=comment,
                          second_comment=second_comment,
                          served_first=served_first, served_second=served_second,
                          served_after_rollback=served_back, trace_text=trace_text,
                          first_release=first_release, second_release=second_release,
                          model_info=model_info, history_at=between,
                          history_text=history_text, incident_status=incident_status,
                          incident_text=incident_text,
                          labels_after_push=labels_after_push,
                          refused_release_status=int(refused.failed),
                          refused_release_output=refused_out,
                          seconds=time.monotonic() - started, timing=time_report())
    finally:
        road.services.stop()


@dataclass
class TeamRoadResult:
    """What the team road made: the PR, its comment, the release and the traced prediction."""

    pull: PullRun
    comment: str
    release: Released
    served: Served
    trace_text: str
    role_holders: dict[str, str]
    model_name: str
    records: list[dict[str, float]]  # what was sent to /predict
    seconds: float


CARD_TEXT = {  # what a team writes for the card fields `modelgate init` leaves as TODO
    "description": "A model of {name}, from the inputs listed in governance.yml.",
    "intended_use": "Decision support for the team's reviewers of {name}.",
    "out_of_scope_use": "Automated decisions without a person's review.",
    "limitations": "Trained on one extract of the team's data; other periods may differ.",
}


def _reviewed(gov: dict[str, Any]) -> None:
    """A settings change any team's governance.yml can take: the model card's texts
    written (those still TODO) and the description marked reviewed."""
    model = gov.setdefault("model", {})
    for key, text in CARD_TEXT.items():
        if not model.get(key) or str(model[key]).startswith("TODO"):
            model[key] = text.format(name=model.get("name", "the model"))
    model["description"] = f"{str(model['description']).rstrip()} Reviewed through the gate."


def play_team(workdir: Path, *, source: Path, modelgate: Sequence[str],
              repo: str = "modelgate-team/model") -> TeamRoadResult:
    """The road for any team's repository, with an installed modelgate: a PR changing
    the team's governance.yml -> PR check -> report (trusted verdict, then the report) ->
    each role's /approve -> the bot merges -> release (retrain, same model, sign) ->
    deploy (moto) -> a prediction through the Lambda handler -> `modelgate trace` of it.
    Features, model name, roles and the deploy target come from the source's
    governance.yml and data, never from the shipped example."""
    started = time.monotonic()
    road = setup(workdir, source=source, modelgate=modelgate, repo=repo)
    gh = road.services.double
    log_file = workdir / "serving.log"
    try:
        pull = road.open_pull("team-change", _reviewed, "Describe the reviewed model")
        road.pr_check(pull)
        road.pr_report(pull)
        for login in road.role_holders.values():
            road.approve(pull, login)
        require(pull.merged, f"the bot did not merge PR #{pull.number}, approved and green")
        comment = card_comment(gh, pull.number, road.repo)
        release_job = road.release(pull)
        done = released(road, release_job)
        require(done.release_statement == done.deploy_statement != "",
                "the deploy record does not carry the statement the release signed")
        records = eval_records(road.origin)
        body = json.dumps({"records": records} if len(records) > 1
                          else {"features": records[0]})
        # the handler of the zip `modelgate package` built and deploy shipped, not this
        # process's modelgate.serving
        served = call_live_zip(road, release_job.cwd / "dist" / "lambda.zip", "POST",
                               "/predict", body, log_file)
        say(f"\n▶ POST /predict on live (Lambda version {served.lambda_version}, the "
            f"deployed zip's handler): {json.dumps(served.body)[:300]}")
        trace_text = trace_verified(road, served.request_id, log_file)
        gov = yaml.safe_load((road.origin / "governance.yml").read_text())
        return TeamRoadResult(pull=pull, comment=comment, release=done, served=served,
                              trace_text=trace_text, role_holders=dict(road.role_holders),
                              model_name=str(gov["model"]["name"]), records=records,
                              seconds=time.monotonic() - started)
    finally:
        road.services.stop()


EXIT_NO_FIXTURES = 2
MSG_NO_FIXTURES = ("the road needs the shared fixtures (GitHub's REST specs for the double, "
                   "the recorded payloads) and found none at {path}: put shared/ beside the "
                   "checkout, or name the folder in MODELGATE_FIXTURES")


def main() -> int:
    """Play the road and print what it made; exit ``EXIT_ROAD_STOPPED`` when a step fails."""
    from demo.fixtures import FIXTURES

    if not FIXTURES.is_dir():  # the double's GitHub specs and the recorded payloads
        print(MSG_NO_FIXTURES.format(path=FIXTURES), file=sys.stderr, flush=True)
        return EXIT_NO_FIXTURES
    keep = os.environ.get("MODELGATE_DEMO_DIR")
    workdir = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="modelgate-road-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        result = play(workdir)
    except RoadStopped as exc:
        print(MSG_STOPPED.format(reason=exc), file=sys.stderr, flush=True)
        return EXIT_ROAD_STOPPED
    say("\n" + "=" * 78 + "\nThe PR comment the bot posted (also in "
        f"{workdir / 'pr-comment.md'}):\n" + "=" * 78)
    say(result.comment)
    say("=" * 78 + f"\nTraced prediction:\n{result.trace_text}")
    say(f"\nWhat served at {result.history_at}:\n{result.history_text}")
    say(f"\nThe alias moved by hand:\n{result.incident_text}")
    say("\n" + result.timing)
    say(f"\nThe road took {result.seconds:.0f} s; everything it wrote is in {workdir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

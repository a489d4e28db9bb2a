# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The gate as reusable workflows (issue 18): every job-bearing workflow is a
``gate-*.yml`` called by a thin caller, so a team's repository holds only the callers
(``bot/init/workflows/``, pinned by SHA) and no copy of modelgate. Trusted jobs install
modelgate at the caller's pin, never from the checkout.
"""

from __future__ import annotations

import copy
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO
from tests.workflows_support import (
    WORKFLOWS_DIR,
    Workflow,
    call_problems,
    called,
    load_files,
    load_workflow,
    load_workflows,
)

TEMPLATES_DIR = REPO / "bot" / "init" / "workflows"
FILES = load_files()
GATES = {name: wf for name, wf in FILES.items() if called(wf)}
CALLERS = {name: wf for name, wf in FILES.items() if not called(wf)}
# this repository's own CI is not part of the gate a team adopts
NOT_FOR_TEAMS = {"ci.yml"}
INSTALL_STEP = "Install modelgate (the caller's pin)"
TEAM_USES_RE = re.compile(r"^MODELGATE_REPO/\.github/workflows/(?P<file>gate-[\w-]+\.yml)"
                          r"@MODELGATE_REF$")
GOOD_PINS = ["modelgate==0.1.0", "modelgate==1.2.3rc1",
             "modelgate @ https://example.com/modelgate-0.1.0-py3-none-any.whl#sha256="
             + "a" * 64]
BAD_PINS = ["", "modelgate", "modelgate>=0.1", "modelgate==0.1.0 ; evil", "othertool==1.0",
            "modelgate @ https://example.com/modelgate.whl", "-e .", "modelgate @ file:///x.whl"]


def team_caller(name: str, sha: str = "a" * 40) -> Workflow:
    """A template as `modelgate init` writes it: the placeholders filled."""
    path = TEMPLATES_DIR / name
    text = (path.read_text(encoding="utf-8").replace("MODELGATE_REPO", "octo/modelgate")
            .replace("MODELGATE_REF", sha).replace("MODELGATE_REQUIREMENT", "modelgate==0.1.0"))
    return Workflow(path=path, text=text, doc=yaml.safe_load(text))


def test_every_gate_workflow_is_only_callable() -> None:
    """gate-*.yml run only when called: no trigger of their own, no token of their own,
    and no concurrency group (the caller holds it; the same group in both would deadlock)."""
    assert set(GATES) == {f"gate-{n}.yml" for n in
                          ("check", "report", "commands", "labels", "release", "rollback",
                           "drift")}
    for name, wf in GATES.items():
        assert wf.doc["permissions"] == {}, name
        assert "concurrency" not in wf.doc, name
        inputs = wf.triggers["workflow_call"]["inputs"]
        assert inputs["install"]["default"] == "requirement", name
        assert inputs["modelgate-requirement"]["default"] == "", name


def test_every_caller_calls_a_gate_workflow_soundly() -> None:
    """Each workflow a run starts either holds no gate job (ci, the review relay) or calls
    a gate workflow granting what its jobs need and passing only declared secrets."""
    for name, wf in CALLERS.items():
        assert call_problems(wf) == [], name
        uses = [job["uses"] for job in wf.jobs.values() if "uses" in job]
        if name in NOT_FOR_TEAMS | {"pr-review.yml"}:
            assert uses == []
        else:
            assert uses == [f"./.github/workflows/{'gate-' + GATE_OF[name]}.yml"]


GATE_OF = {"pr-check.yml": "check", "pr-report.yml": "report", "pr-commands.yml": "commands",
           "pr-labels.yml": "labels", "release.yml": "release", "rollback.yml": "rollback",
           "drift.yml": "drift"}


def test_a_called_job_keeps_exactly_its_own_permissions() -> None:
    """The caller grants no less than each called job declares: the token GitHub gives
    (own permissions capped by the caller's) is the one the gate file says."""
    for name, wf in load_workflows().items():
        for job_id, job in wf.jobs.items():
            for gate in GATES.values():
                if job_id in gate.jobs and name in GATE_OF:
                    assert job["permissions"] == gate.jobs[job_id]["permissions"]


def normalized(doc: dict[Any, Any]) -> dict[Any, Any]:
    """A caller with its two team points taken out: the call target and the install input."""
    out = copy.deepcopy(doc)
    for job in (out.get("jobs") or {}).values():
        if "uses" in job:
            job["uses"] = Path(str(job["uses"]).split("@")[0]).name
            for key in ("install", "modelgate-requirement"):
                (job.get("with") or {}).pop(key, None)
    return out


def test_the_team_templates_are_these_callers_but_for_target_and_pin() -> None:
    """bot/init/workflows/ holds one template per caller a team needs, equal to this
    repository's caller except the uses target (modelgate's repository at a commit, the
    placeholders `modelgate init` fills) and the install input (the pinned release)."""
    templates = {p.name for p in TEMPLATES_DIR.glob("*.yml")}
    assert templates == set(CALLERS) - NOT_FOR_TEAMS
    for name in sorted(templates):
        text = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        assert normalized(doc) == normalized(CALLERS[name].doc), name
        for job in doc["jobs"].values():
            if "uses" in job:
                match = TEAM_USES_RE.match(job["uses"])
                assert match and (WORKFLOWS_DIR / match["file"]).is_file(), job["uses"]
                assert job["with"]["install"] == "requirement"
                assert job["with"]["modelgate-requirement"] == "MODELGATE_REQUIREMENT"
        assert "install: source" not in text and "./.github/" not in text


@pytest.mark.parametrize("name", sorted(set(CALLERS) - NOT_FOR_TEAMS))
def test_a_filled_team_caller_is_sound(name: str) -> None:
    """Filled in, a team's caller calls modelgate's gate by a full commit SHA; with a
    branch or tag instead, the rule refuses it."""
    assert call_problems(team_caller(name)) == []
    if any("uses" in job for job in team_caller(name).jobs.values()):
        assert call_problems(team_caller(name, sha="main")) != []


def test_unsound_calls_are_caught() -> None:
    """Too small a grant, every secret inherited, a missing required input, an input or
    a secret the gate does not declare: each is named."""
    base = CALLERS["release.yml"]

    def mutated(change: Any) -> Workflow:
        doc = copy.deepcopy(base.doc)
        change(doc["jobs"]["release"])
        return Workflow(path=base.path, text=base.text, doc=doc)

    def small(job: dict[str, Any]) -> None:
        job["permissions"] = {"contents": "read"}

    def inherit(job: dict[str, Any]) -> None:
        job["secrets"] = "inherit"  # pragma: allowlist secret

    def no_merge(job: dict[str, Any]) -> None:
        del job["with"]["merge_sha"]

    def extra(job: dict[str, Any]) -> None:
        job["with"]["ref"] = "x"
        job["secrets"]["AWS_SECRET_ACCESS_KEY"] = "x"  # pragma: allowlist secret

    for change, needle in ((small, "less than"), (inherit, "inherit"),
                           (no_merge, "merge_sha"), (extra, "ref")):
        problems = call_problems(mutated(change))
        assert any(needle in p for p in problems), (needle, problems)
    assert any("AWS_SECRET_ACCESS_KEY" in p for p in call_problems(mutated(extra)))


def pin_check(requirement: str, install: str = "requirement") -> subprocess.CompletedProcess[str]:
    """The install step's script up to (not including) the install itself: it accepts or
    refuses the caller's pin exactly as on a runner."""
    gate = load_workflow(WORKFLOWS_DIR / "gate-check.yml")
    (step,) = [s for _, _, s in gate.steps() if s.get("name") == INSTALL_STEP]
    script = str(step["run"]).split('venv="', 1)[0]
    script = script.replace("make setup", "echo SOURCE; exit 0") + "echo ACCEPTED\n"
    return subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True,
                          env={"INSTALL": install, "REQUIREMENT": requirement,
                               "PATH": "/usr/bin:/bin"}, check=False, timeout=30)


@pytest.mark.parametrize("requirement", GOOD_PINS)
def test_the_install_step_takes_one_pinned_release(requirement: str) -> None:
    done = pin_check(requirement)
    assert done.returncode == 0 and "ACCEPTED" in done.stdout


@pytest.mark.parametrize("requirement", BAD_PINS)
def test_the_install_step_refuses_an_unpinned_or_foreign_requirement(requirement: str) -> None:
    """Fail closed: no pin, a range, extra text or another package stops the job, with one
    line saying what the caller must set."""
    done = pin_check(requirement)
    assert done.returncode == 1 and "ACCEPTED" not in done.stdout
    assert "::error title=modelgate::the caller workflow must pin modelgate" in done.stdout
    assert "modelgate-requirement" in done.stdout


def test_an_unknown_install_mode_is_refused() -> None:
    assert pin_check("modelgate==0.1.0", install="pr").returncode == 1
    assert "SOURCE" in pin_check("", install="source").stdout


def test_every_trusted_gate_job_installs_before_it_runs_modelgate() -> None:
    """Each gate job that runs modelgate has the install step, and no step installs or
    runs anything from the checkout's own .venv."""
    for name, gate in GATES.items():
        for job_id, job in gate.jobs.items():
            names = [s.get("name") for s in job["steps"]]
            assert INSTALL_STEP in names, (name, job_id)
            assert ".venv/bin" not in repr([s.get("run", "") for s in job["steps"]
                                            if s.get("name") != INSTALL_STEP]), (name, job_id)


# ----------------------------------------------------------------------------- the road


def road_job(workflow: str, job: str, callers: Path = WORKFLOWS_DIR,
             inputs: dict[str, str] | None = None) -> Any:
    from demo import road

    ctx = {"github": {"token": "", "event": {}}, "inputs": dict(inputs or {}), "steps": {},
           "secrets": {"MODELGATE_APP_PRIVATE_KEY": "env-key",  # pragma: allowlist secret
                       "MLFLOW_TRACKING_PASSWORD": "env-pw",  # pragma: allowlist secret
                       "MLFLOW_TRACKING_USERNAME": "", "MODELGATE_SIGNING_KEY_PEM": ""},
           "vars": {}, "runner": {"temp": "/tmp"}}
    return road.Job(workflow, job, ctx, Path("/nonexistent"), {}, {}, workflows=callers)


def test_the_road_follows_a_call_with_the_callers_inputs_and_a_capped_token() -> None:
    """pr-report.yml's verdict job is gate-report.yml's, with `install: source` bound and
    the other input at its default; its token is its own permissions (the caller grants
    more); it reads no secret (no environment, none passed)."""
    job = road_job("pr-report.yml", "verdict")
    spec, permissions = job.resolve()
    assert job.called == "gate-report.yml"
    assert spec["name"] == "trusted verdict"
    assert permissions == {"actions": "read", "contents": "read"}
    assert job.ctx["inputs"] == {"install": "source", "modelgate-requirement": ""}
    passed = {"MODELGATE_APP_PRIVATE_KEY": "env-key"}  # pragma: allowlist secret
    assert job.ctx["secrets"] == passed  # by name
    report = road_job("pr-report.yml", "report")
    _, permissions = report.resolve()
    assert permissions == {"contents": "read", "id-token": "write"}
    # environment modelgate-app: that environment's secrets are read too
    assert report.ctx["secrets"]["MLFLOW_TRACKING_PASSWORD"] == "env-pw"  # pragma: allowlist secret


def test_the_road_caps_a_called_job_by_the_caller_and_follows_a_team_caller(
        tmp_path: Path) -> None:
    """A team's caller (modelgate at a SHA) runs this repository's gate file; a caller
    granting less than the called job declares gets a smaller token, as on GitHub."""
    team = team_caller("release.yml")
    doc = copy.deepcopy(team.doc)
    doc["jobs"]["release"]["permissions"] = {"contents": "read", "actions": "none"}
    (tmp_path / "release.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    job = road_job("release.yml", "release", tmp_path,
                   {"merge_sha": "a" * 40, "pr_number": "7", "audited_head_sha": "b" * 40})
    _, permissions = job.resolve()
    assert job.called == "gate-release.yml"
    assert permissions == {"actions": "none", "contents": "read", "id-token": "none"}
    assert job.ctx["inputs"]["install"] == "requirement"
    assert job.ctx["inputs"]["modelgate-requirement"] == "modelgate==0.1.0"
    assert job.ctx["inputs"]["merge_sha"] == "a" * 40


def test_the_road_refuses_inherited_secrets_and_a_job_nobody_calls(tmp_path: Path) -> None:
    from demo import road

    doc = copy.deepcopy(CALLERS["pr-commands.yml"].doc)
    doc["jobs"]["handle"]["secrets"] = "inherit"  # pragma: allowlist secret
    (tmp_path / "pr-commands.yml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    with pytest.raises(road.RoadStopped, match="passes every secret"):
        road_job("pr-commands.yml", "handle", tmp_path).resolve()
    with pytest.raises(road.RoadStopped, match="no job 'nothing'"):
        road_job("pr-check.yml", "nothing").resolve()


@pytest.mark.parametrize(("install", "requirement", "cli", "status"), [
    ("source", "", None, 0),  # this repository: the road runs from its locked env
    ("requirement", "modelgate==0.1.0", ["modelgate"], 0),  # team mode: installed already
    ("requirement", "modelgate==0.1.0", None, 1),  # no installed modelgate to stand for it
    ("requirement", "modelgate>=0.1", ["modelgate"], 1),  # not a pin
    ("source", "", ["modelgate"], 1),  # a team's caller cannot install its own checkout
])
def test_the_roads_install_step_accepts_only_what_it_can_stand_for(
        install: str, requirement: str, cli: list[str] | None, status: int,
        tmp_path: Path) -> None:
    from demo import road

    played = road.Road(workdir=tmp_path, services=Any, origin=tmp_path,  # type: ignore[arg-type]
                       bot_token="", runner_temp=tmp_path, cli=cli)
    job = road_job("pr-check.yml", "check")
    assert played.install({}, {"INSTALL": install, "REQUIREMENT": requirement}, job) == status

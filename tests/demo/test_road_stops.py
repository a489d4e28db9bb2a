# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The road stops at the first failed step, with that step's message and exit status 1.

A tiny workflow drives the road's own step machinery: a real `modelgate package` that
cannot find uv, then steps that must never run. The 3-minute road is not played.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import modelgate.infra.package
from demo import road
from modelgate.infra.package import ERR_NO_UV

REPO = Path(__file__).resolve().parents[2]
NO_UV_HEAD = ERR_NO_UV.split("{", 1)[0]  # "uv not found (looked in "


def write_workflow(workflows: Path, out: Path) -> None:
    """A release-like job: a step, `modelgate package`, a deploy, an always() upload."""
    workflows.mkdir()
    (workflows / "stops.yml").write_text(f"""\
jobs:
  release:
    steps:
      - name: Check out
        uses: fake/checkout
      - name: modelgate package
        run: .venv/bin/modelgate package --project-root {REPO} --out {out}
      - name: modelgate deploy
        uses: fake/deploy
      - name: Upload the records
        if: always()
        uses: fake/upload
""")


@pytest.fixture
def ran(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The fake workflow in place, uv nowhere to be found; returns the steps that ran."""
    write_workflow(tmp_path / "workflows", tmp_path / "lambda.zip")
    monkeypatch.setattr(road, "WORKFLOWS", tmp_path / "workflows")
    monkeypatch.setattr(modelgate.infra.package, "find_uv", lambda repo_root=None: None)
    return []


def make_job(tmp_path: Path, ran: list[str], *, expect_failure: bool = False) -> road.Job:
    def emulator(name: str) -> road.Emulator:
        def run(inputs: dict[str, Any], env: dict[str, str], job: road.Job) -> int:
            ran.append(name)
            return 0
        return run

    emulate = {f"fake/{n}": emulator(n) for n in ("checkout", "deploy", "upload")}
    return road.Job("stops.yml", "release", {}, tmp_path, {"GITHUB_ACTIONS": "true"}, emulate,
                    expect_failure=expect_failure)


def test_a_failed_step_stops_the_job_with_its_message(tmp_path: Path, ran: list[str]) -> None:
    """It raises RoadStopped naming the workflow, job, step and exit status, carrying the
    step's own error text; no later step runs."""
    with pytest.raises(road.RoadStopped) as stopped:
        make_job(tmp_path, ran).run()
    message = str(stopped.value)
    assert message.startswith(road.MSG_STEP_FAILED.format(
        where="stops.yml / release", step="modelgate package", status=1))
    assert NO_UV_HEAD in message and "make setup" in message
    assert ran == ["checkout"]
    assert not (tmp_path / "lambda.zip").exists()


def test_an_expected_failure_goes_on_as_github_does(tmp_path: Path, ran: list[str]) -> None:
    """A job the road expects to fail skips the later steps but runs its always() steps."""
    job = make_job(tmp_path, ran, expect_failure=True).run()
    assert job.failed
    assert ran == ["checkout", "upload"]


def test_an_expected_failure_that_passes_stops_the_road(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A job expected to fail whose every step passed stops the road too."""
    ran: list[str] = []
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "stops.yml").write_text(
        "jobs:\n  release:\n    steps:\n      - uses: fake/checkout\n")
    monkeypatch.setattr(road, "WORKFLOWS", workflows)
    with pytest.raises(road.RoadStopped, match="expected this job to fail"):
        make_job(tmp_path, ran, expect_failure=True).run()


class FakeDouble:
    """Just what `play` reads from the GitHub double: the bot's card comment."""

    def comments(self, repo: str, number: int) -> list[tuple[str, str]]:
        return [(road.APP_BOT, "<!-- modelgate:card -->")]


class FakeServices:
    def __init__(self) -> None:
        self.double = FakeDouble()
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True


class FakeRoad:
    """A road whose PR merges at once and whose release runs the failing workflow."""

    def __init__(self, release_job: road.Job) -> None:
        self.services = FakeServices()
        self.release_job = release_job

    def open_pull(self, branch: str, change: Any, title: str) -> road.PullRun:
        return road.PullRun(number=1, branch=branch, head_sha="a" * 40)

    def pr_check(self, run: road.PullRun, **kwargs: Any) -> None:
        run.check_conclusion = "success"

    def pr_report(self, run: road.PullRun) -> None:
        return None

    def approve(self, run: road.PullRun, login: str) -> None:
        run.merged, run.merge_sha = True, "b" * 40

    def release(self, run: road.PullRun, **kwargs: Any) -> road.Job:
        return self.release_job.run()


def test_make_demo_exits_1_with_the_message_and_no_later_step(
        tmp_path: Path, ran: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m demo.road` prints the failed step's message, exits 1, never serves a
    prediction from the deploy that did not happen, prints no traceback, stops services."""
    fake = FakeRoad(make_job(tmp_path, ran))
    served: list[object] = []
    monkeypatch.setattr(road, "setup", lambda workdir: fake)
    monkeypatch.setattr(road, "invoke_live", lambda *args: served.append(args))
    monkeypatch.setenv("MODELGATE_DEMO_DIR", str(tmp_path / "road"))

    assert road.main() == road.EXIT_ROAD_STOPPED == 1

    err = capsys.readouterr().err
    assert err.startswith("the road stopped: stops.yml / release: step 'modelgate package'")
    assert NO_UV_HEAD in err and "Traceback" not in err
    assert served == [] and ran == ["checkout"]
    assert fake.services.stopped


def test_make_demo_without_the_shared_fixtures_says_where_to_put_them(tmp_path: Path) -> None:
    """A fresh clone without shared/ beside it: one line naming the folder, exit 2, no
    traceback (the double cannot serve GitHub's REST API without its specs)."""
    import os
    import subprocess
    import sys

    missing = tmp_path / "no-fixtures"
    env = {**os.environ, "MODELGATE_FIXTURES": str(missing), "MODELGATE_DEMO_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "demo.road"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert str(missing) in done.stderr and "MODELGATE_FIXTURES" in done.stderr

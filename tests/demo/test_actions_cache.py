# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The road's Actions cache keeps GitHub's rules ("Restrictions for accessing a cache",
"Matching a cache key"): a PR run's save is invisible to the default branch and to other
PRs, a PR run restores the default branch's entry, a saved key is never overwritten, and
prefix matches take the newest entry of the nearest scope. Played through the road's own
job runner on a small workflow of this test's."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from demo import actions_cache
from demo.actions_cache import ActionsCache, CacheInputError, job_ref
from demo.road import Job

WORKFLOW = """\
on: workflow_call
jobs:
  scan:
    steps:
      - name: Restore the scan results
        id: restore
        uses: actions/cache/restore@0400d5f644dc74513175e3cd8d07132dd4860809 # v4.2.4
        with:
          path: ${{ runner.temp }}/scan-cache
          key: ${{ inputs.key }}
          restore-keys: ${{ inputs.restore_keys }}
      - name: Scan
        run: scan
      - name: Save the scan results
        uses: actions/cache/save@0400d5f644dc74513175e3cd8d07132dd4860809 # v4.2.4
        with:
          path: ${{ runner.temp }}/scan-cache
          key: ${{ inputs.key }}
"""


class Runner:
    """Runs the workflow's one job as a run in a ref, with one shared cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = ActionsCache()
        self.said: list[str] = []
        (root / "wf").mkdir()
        (root / "wf" / "scan.yml").write_text(WORKFLOW)
        self.runs = 0

    def run(self, ref: str, key: str, *, restore_keys: str = "", write: str | None = None
            ) -> tuple[str | None, dict[str, Any]]:
        """(what the scan found restored, the restore step's outputs); ``write``: what the
        scan leaves to save (None: nothing, the save step warns and saves nothing)."""
        self.runs += 1
        workspace = self.root / f"run{self.runs}"
        workspace.mkdir()
        temp = self.root / f"run{self.runs}-temp"  # each job's own, as its runner's
        temp.mkdir()
        seen: list[str | None] = []

        def scan(inputs: dict[str, Any], env: dict[str, str], job: Job) -> int:
            file = Path(job.ctx["runner"]["temp"]) / "scan-cache" / "results.json"
            seen.append(file.read_text() if file.exists() else None)
            if write is None:
                shutil.rmtree(file.parent, ignore_errors=True)
            else:
                file.parent.mkdir(exist_ok=True)
                file.write_text(write)
            return 0

        emulate = {**actions_cache.emulators(
            self.cache, ref_of=lambda job: str(job.ctx["github"]["ref"]),
            roots_of=lambda job: {"WORKSPACE": Path(job.cwd),
                                  "RUNNER_TEMP": Path(job.ctx["runner"]["temp"])},
            outputs_of=lambda job: job.ctx["steps"].setdefault(
                job.step["id"], {"outputs": {}})["outputs"],
            say=self.said.append), "Scan": scan}
        ctx: dict[str, Any] = {"github": {"ref": ref}, "steps": {}, "runner": {"temp": str(temp)},
                               "inputs": {"key": key, "restore_keys": restore_keys}}
        Job("scan.yml", "scan", ctx, workspace, {}, emulate, workflows=self.root / "wf").run()
        return seen[0], ctx["steps"]["restore"]["outputs"]


MAIN = job_ref("workflow_run", None)
PR1 = job_ref("pull_request", 1)
PR2 = job_ref("pull_request", 2)


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


def test_the_runs_refs() -> None:
    assert MAIN == "refs/heads/main"
    assert PR1 == "refs/pull/1/merge"
    for event in ("workflow_run", "issue_comment", "pull_request_target", "push",
                  "workflow_dispatch", "schedule"):
        assert job_ref(event, 7) == MAIN
    # push and workflow_dispatch run in the ref they ran on; the others ignore it
    assert job_ref("push", None, ref="refs/heads/feature") == "refs/heads/feature"
    assert job_ref("workflow_dispatch", None, ref="refs/heads/feature") == "refs/heads/feature"
    assert job_ref("workflow_run", None, ref="refs/heads/feature") == MAIN


def test_a_writers_own_branch_cannot_plant_what_the_default_branch_restores(
        runner: Runner) -> None:
    """Someone with write access pushes a branch whose own workflow saves a scan-cache
    key: it lands in that branch's scope, which no default-branch run (the trusted
    verdict, the release) reads; only that branch's own runs restore it."""
    branch = job_ref("push", None, ref="refs/heads/attacker")
    assert runner.run(branch, "modelgate-scan-1", write="planted")[0] is None
    found, _ = runner.run(MAIN, "modelgate-scan-2", restore_keys="modelgate-scan-")
    assert found is None
    found, _ = runner.run(PR1, "modelgate-scan-3", restore_keys="modelgate-scan-")
    assert found is None
    found, _ = runner.run(branch, "modelgate-scan-4", restore_keys="modelgate-scan-")
    assert found == "planted"


def test_a_pr_run_restores_the_default_branchs_entry(runner: Runner) -> None:
    assert runner.run(MAIN, "scan-base", write="main's")[0] is None
    found, outputs = runner.run(PR1, "scan-base")
    assert found == "main's"
    assert outputs == {"cache-hit": "true", "cache-primary-key": "scan-base",
                       "cache-matched-key": "scan-base"}


def test_a_pr_runs_save_is_invisible_to_the_default_branch_and_other_prs(
        runner: Runner) -> None:
    runner.run(MAIN, "scan-base", write="main's")
    runner.run(PR1, "scan-pr1", write="pr1's")
    # the default branch: no exact hit, and the prefix finds only its own (older) entry
    found, outputs = runner.run(MAIN, "scan-pr1", restore_keys="scan-")
    assert (found, outputs["cache-hit"], outputs["cache-matched-key"]) == (
        "main's", "false", "scan-base")
    # another PR: the same
    found, outputs = runner.run(PR2, "scan-pr1", restore_keys="scan-")
    assert (found, outputs["cache-matched-key"]) == ("main's", "scan-base")
    # the PR's own re-run finds it, before the default branch's
    found, outputs = runner.run(PR1, "scan-pr1")
    assert (found, outputs["cache-hit"]) == ("pr1's", "true")
    found, outputs = runner.run(PR1, "scan-x", restore_keys="scan-")
    assert (found, outputs["cache-matched-key"]) == ("pr1's", "scan-pr1")


def test_nothing_in_reach_is_a_miss(runner: Runner) -> None:
    runner.run(PR1, "scan-pr1", write="pr1's")
    found, outputs = runner.run(MAIN, "scan-pr1", restore_keys="scan-")
    assert found is None
    assert outputs == {"cache-hit": "false", "cache-primary-key": "scan-pr1",
                       "cache-matched-key": ""}
    assert any("Cache not found for input keys: scan-pr1, scan-" in s for s in runner.said)


def test_a_saved_key_is_never_overwritten(runner: Runner) -> None:
    runner.run(MAIN, "scan-base", write="first")
    runner.run(MAIN, "scan-base", write="second")  # restored "first", wrote "second"
    assert any("Unable to reserve cache with key scan-base" in s for s in runner.said)
    assert runner.run(PR1, "scan-base")[0] == "first"
    # the same key in another scope is another cache
    runner.run(PR1, "scan-base", write="pr1's")
    assert runner.run(PR1, "scan-base")[0] == "pr1's"  # its own ref first
    assert runner.run(MAIN, "scan-base")[0] == "first"


def test_prefix_matches_take_the_newest_entry(runner: Runner) -> None:
    runner.run(MAIN, "scan-a", write="older")
    runner.run(MAIN, "scan-b", write="newer")
    found, outputs = runner.run(PR1, "scan-c", restore_keys="nothing-\nscan-")
    assert (found, outputs["cache-matched-key"]) == ("newer", "scan-b")
    # the key itself is tried as a prefix before the restore keys
    runner.run(MAIN, "scan-c-1", write="key prefix")
    found, outputs = runner.run(PR1, "scan-c", restore_keys="scan-a")
    assert (found, outputs["cache-matched-key"]) == ("key prefix", "scan-c-1")


def test_other_paths_are_another_version() -> None:
    cache = ActionsCache()
    assert cache.save(MAIN, "k", ["RUNNER_TEMP/scan-cache"], b"x")
    assert cache.restore(MAIN, "k", [], ["RUNNER_TEMP/other"]).entry is None
    assert cache.restore(MAIN, "k", [], ["RUNNER_TEMP/scan-cache"]).exact


def test_paths_in_a_jobs_own_folders_are_the_same_path_in_every_job(tmp_path: Path) -> None:
    one = {"WORKSPACE": tmp_path / "ws1", "RUNNER_TEMP": tmp_path / "t1"}
    two = {"WORKSPACE": tmp_path / "ws2", "RUNNER_TEMP": tmp_path / "t2"}
    (one["RUNNER_TEMP"] / "c").mkdir(parents=True)
    (one["RUNNER_TEMP"] / "c" / "f").write_text("x")
    data = actions_cache.pack(one, [str(one["RUNNER_TEMP"] / "c")])
    assert data is not None
    assert actions_cache.portable(str(two["RUNNER_TEMP"] / "c"), two) == "RUNNER_TEMP/c"
    actions_cache.unpack(two, data)
    assert (two["RUNNER_TEMP"] / "c" / "f").read_text() == "x"
    assert actions_cache.pack(two, ["missing"]) is None


def test_keys_github_refuses() -> None:
    cache = ActionsCache()
    with pytest.raises(CacheInputError, match="512"):
        cache.save(MAIN, "k" * 513, ["p"], b"x")
    with pytest.raises(CacheInputError, match="commas"):
        cache.restore(MAIN, "a,b", [], ["p"])

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Issue 18 end to end: a team adopts modelgate from the wheel, without this repository.

The wheel is built and installed into a fresh venv; an empty git repository gets a
generated data set and what that installed `modelgate init` writes (thin caller
workflows pinned to a modelgate commit, governance.yml, manifest, REUSE entries); then
the road plays that repository: every `modelgate` step runs the installed command as a
subprocess, and the caller workflows are followed into this repository's gate-*.yml.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo import road
from tests.conftest import REPO, mlflow_uris_kept
from tests.demo.team_repo_support import FEATURES, ROLES, TEAM_MODEL, make_team_repo

pytestmark = pytest.mark.slow

UV = Path(sys.executable).with_name("uv")


def run(argv: list[str], cwd: Path) -> str:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(argv)}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding only the built wheel and its locked dependencies."""
    where = tmp_path_factory.mktemp("wheel")
    run([str(UV), "build", "--wheel", "-o", str(where / "dist")], REPO)
    (wheel,) = (where / "dist").glob("modelgate-*.whl")
    constraints = where / "constraints.txt"
    run([str(UV), "export", "--frozen", "--no-hashes", "--no-emit-project", "--no-dev",
         "-o", str(constraints)], REPO)
    venv = where / "venv"
    run([str(UV), "venv", "-q", "-p", sys.executable, str(venv)], where)
    run([str(UV), "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
         str(wheel), "-c", str(constraints)], where)
    return venv


@pytest.fixture(scope="module")
def team(installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("team") / "loans"
    make_team_repo(repo, [str(installed / "bin" / "modelgate")])
    return repo


@pytest.fixture(scope="module")
def road_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("team-road")


@pytest.fixture(scope="module")
def attempt(installed: Path, team: Path, road_dir: Path) -> Any:
    """The team road's result, or the RoadStopped it ended with (its work directory
    keeps every job's files either way)."""
    with mlflow_uris_kept():
        try:
            return road.play_team(road_dir, source=team,
                                  modelgate=[str(installed / "bin" / "modelgate")])
        except road.RoadStopped as exc:
            return exc


@pytest.fixture()
def played(attempt: Any) -> Any:
    if isinstance(attempt, road.RoadStopped):
        raise attempt
    return attempt


def test_the_team_repository_holds_no_file_of_modelgate(team: Path) -> None:
    """Only the team's data, governance.yml, manifest, licences and thin callers: no
    code of modelgate, and every caller calls modelgate's gate by commit SHA with the
    pinned release to install."""
    files = run(["git", "ls-files"], team).split()
    assert not [f for f in files if f.endswith(".py") or f.split("/")[0] in
                ("bot", "training", "modelgate", "lambda", "demo", "Makefile")]
    for name in files:
        if name.startswith(".github/workflows/") and name != ".github/workflows/pr-review.yml":
            doc = yaml.safe_load((team / name).read_text(encoding="utf-8"))
            (job,) = doc["jobs"].values()
            assert job["uses"].startswith("modelgate-org/modelgate/.github/workflows/gate-")
            assert job["uses"].endswith("@0123456789abcdef0123456789abcdef01234567")
            assert job["with"] == {**job["with"], "install": "requirement",
                                   "modelgate-requirement": "modelgate==0.1.0"}


def test_a_team_pr_is_checked_approved_merged_and_released(attempt: Any,
                                                           road_dir: Path) -> None:
    """With the installed modelgate only: the PR check passed on the team's data, the
    trusted verdict and the report ran, every role approved, the bot merged, and the
    release retrained the same model and signed its statement."""
    (check,) = (road_dir / "jobs").glob("pr1-check-*")
    report = json.loads((check / "checkout" / "out" / "audit_report.json").read_text())
    assert report["passed"] is True
    (release_dir,) = (road_dir / "jobs").glob("pr1-release-*")
    release = json.loads((release_dir / "checkout" / "out" / "release" / "release.json")
                         .read_text())
    assert release["model_name"] == TEAM_MODEL and str(release["version"]) == "1"
    assert len(str(release["statement_sha256"])) == 64


def test_a_team_pr_travels_the_whole_road_with_the_installed_modelgate(played: Any) -> None:
    """check -> report -> every role approves -> merged -> released and signed ->
    deployed -> the prediction was served by the released version -> the trace names the
    PR, the approvals and the statement."""
    pull = played.pull
    assert pull.check_conclusion == "success" and pull.merged and pull.merge_sha
    assert played.model_name == TEAM_MODEL and played.role_holders == ROLES
    assert "<!-- modelgate:card" in played.comment
    release = played.release
    assert release.tag == f"{TEAM_MODEL}/v1"
    assert release.release_statement == release.deploy_statement != ""
    body = played.served.body
    assert body["model_version"] == "1" and body["count"] == 3
    assert body.get("statement_sha256", release.deploy_statement) == release.deploy_statement
    trace = played.trace_text
    assert f"PR        #{pull.number} (audited head {pull.head_sha})" in trace
    for role, login in ROLES.items():
        assert f"approved  {role}: {login} at " in trace
    assert release.deploy_statement in trace
    assert "deployed  modelgate-loan-approval:1 by deploy " in trace
    assert "MISMATCH" not in trace


def test_the_prediction_came_from_the_deployed_zip(played: Any, road_dir: Path) -> None:
    """The handler that answered is the one in the zip `modelgate package` built from the
    installed modelgate and deploy shipped (its sha256 checked against the live alias)."""
    handler = Path(played.served.handler_file)
    assert handler.is_relative_to(road_dir / "lambda")
    assert handler.parts[-3:] == ("modelgate", "serving", "__init__.py")


def test_the_team_road_served_the_team_features(played: Any) -> None:
    """Nothing of the breast-cancer example: the records sent carry the team's columns."""
    assert "breast" not in played.trace_text
    assert [set(r) for r in played.records] == [set(FEATURES)] * 3

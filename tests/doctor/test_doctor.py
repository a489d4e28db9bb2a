# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate doctor`` against the GitHub double: a sound set-up exits 0, each unsound one
exits 1 and names what to change, an unreadable one exits 4 and names the permission."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from modelgate.bot.cli import doctor as cli_doctor
from modelgate.bot.doctor.workflows import WORKFLOWS_DIR, workflow_uses
from modelgate.bot.init.render import PLACEHOLDERS, workflow_templates
from tests.doctor.conftest import (
    ADMIN,
    APP_ID,
    APP_PERMISSIONS,
    REPO,
    RULESET,
    SLUG,
    WRITER,
    Scene,
)


def _ruleset(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    body = copy.deepcopy(RULESET)
    change(body)
    return body


def _status_rule(body: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = next(r for r in body["rules"] if r["type"] == "required_status_checks")
    return rule


def _replace_ruleset(scene: Scene, change: Callable[[dict[str, Any]], None]) -> None:
    scene.controls.clear_rulesets(REPO)
    scene.controls.set_ruleset(REPO, _ruleset(change))


def test_sound_setup_exits_0(scene: Scene) -> None:
    """It accepts exactly docs/ruleset.json with the rest set as documented."""
    run = scene.run()
    assert run.code == cli_doctor.EXIT_SOUND, run.out
    assert f"✓ required-check: 'modelgate' is required on 'main' from the App (id {APP_ID})" in (
        run.out)
    assert "✗" not in run.out
    assert "sound: the gate holds" in run.out
    # the double answers every merge button: squash and rebase are named as a risk only
    assert "! merge-method: squash and rebase merges are allowed too" in run.out


def _any_source(body: dict[str, Any]) -> None:
    del _status_rule(body)["parameters"]["required_status_checks"][0]["integration_id"]


def _other_app(body: dict[str, Any]) -> None:
    _status_rule(body)["parameters"]["required_status_checks"][0]["integration_id"] = 15368


def _not_strict(body: dict[str, Any]) -> None:
    _status_rule(body)["parameters"]["strict_required_status_checks_policy"] = False


def _evaluate(body: dict[str, Any]) -> None:
    body["enforcement"] = "evaluate"


def _team_bypass(body: dict[str, Any]) -> None:
    body["bypass_actors"] = [{"actor_id": 7, "actor_type": "Team", "bypass_mode": "always"}]


def _squash_only(body: dict[str, Any]) -> None:
    pr = next(r for r in body["rules"] if r["type"] == "pull_request")
    pr["parameters"]["allowed_merge_methods"] = ["squash"]


def _no_force_push_rule(body: dict[str, Any]) -> None:
    body["rules"] = [r for r in body["rules"] if r["type"] != "non_fast_forward"]


@pytest.mark.parametrize(("change", "named"), [
    (_any_source, "'modelgate' is required from any source"),
    (_other_app, "'modelgate' is required from app id 15368, not the App"),
    (_not_strict, "✗ up-to-date: the strict policy is off"),
    (_evaluate, "its enforcement is 'evaluate'"),
    (_team_bypass, "✗ bypass: ruleset 'modelgate release gate' lets Team 7 (always) skip"),
    (_squash_only, "allows only squash; the bot merges with 'merge'"),
    (_no_force_push_rule, "lacks the rule 'Block force pushes'"),
])
def test_unsound_rulesets_exit_1_and_say_what(scene: Scene,
                                              change: Callable[[dict[str, Any]], None],
                                              named: str) -> None:
    """Each broken ruleset is named, with its fix, and the verdict is unsound."""
    _replace_ruleset(scene, change)
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND, run.out
    assert named in run.out
    assert "UNSOUND" in run.out


def test_no_ruleset(scene: Scene) -> None:
    """Without any ruleset or protection the required check is missing."""
    scene.controls.clear_rulesets(REPO)
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert ("✗ required-check: no active ruleset or branch protection on 'main' requires the "
            "status check 'modelgate'") in run.out
    assert "fix: Settings → Rules → Rulesets → New ruleset → Import a ruleset" in run.out


def test_admin_bypass_is_a_risk_not_a_failure(scene: Scene) -> None:
    """Repository admins on the bypass list are named; the gate still counts as sound."""
    _replace_ruleset(scene, lambda b: b.update(bypass_actors=[
        {"actor_id": 5, "actor_type": "RepositoryRole", "bypass_mode": "pull_request"}]))
    run = scene.run()
    assert run.code == cli_doctor.EXIT_SOUND, run.out
    assert "! bypass: ruleset 'modelgate release gate' lets RepositoryRole 5 (pull_request)" in (
        run.out)


def test_classic_protection_from_the_app_is_sound(scene: Scene) -> None:
    """Branch protection pinned to the App (with PR, no force push) serves as well."""
    scene.controls.clear_rulesets(REPO)
    scene.controls.set_protection(REPO, "main", checks=[("modelgate", APP_ID)])
    run = scene.run()
    assert run.code == cli_doctor.EXIT_SOUND, run.out
    assert "by branch protection" in run.out


def test_classic_protection_from_any_source(scene: Scene) -> None:
    scene.controls.clear_rulesets(REPO)
    scene.controls.set_protection(REPO, "main", checks=[("modelgate", None)])
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert "'modelgate' is required from any source" in run.out


@pytest.mark.parametrize(("setup", "named"), [
    (lambda c: c.set_environment(REPO, "production", branches=("main",)),
     "✗ environment-reviewers: 'production' has no required reviewers"),
    (lambda c: c.set_environment(REPO, "production", reviewers=["rita"], branches="protected"),
     "✗ environment-branches: 'production' accepts deployments from any protected branch"),
    (lambda c: c.set_environment(REPO, "production", reviewers=["rita"]),
     "'production' accepts deployments from any branch"),
    (lambda c: c.delete_environment(REPO, "production"),
     "✗ environment: environment 'production' does not exist"),
    (lambda c: c.set_names(REPO, variables={"MLFLOW_TRACKING_URI": "x"}),
     "✗ variable: vars.AWS_REGION is read by"),
    (lambda c: c.set_actions(REPO, default_workflow_permissions="write"),
     "✗ workflow-permissions: the default GITHUB_TOKEN can write"),
    (lambda c: c.set_actions(REPO, can_approve_pull_request_reviews=True),
     "✗ workflow-approvals: GitHub Actions may create and approve pull requests"),
    (lambda c: c.set_actions(REPO, retention_days=7),
     "✗ retention: artifacts and logs are kept 7 days, shorter than the 30-day approval"),
    (lambda c: c.uninstall_app(REPO),
     "✗ app-installation: the App 'modelgate' is not installed on acme/model"),
    (lambda c: c.install_app(REPO, app_id=APP_ID, slug=SLUG,
                             permissions={"checks": "write", "contents": "read",
                                          "administration": "write"}),
     "✗ app-permissions: the App lacks actions: write, contents: write, metadata: read, "
     "pull_requests: write, statuses: read, workflows: write"),
])
def test_unsound_settings_exit_1_and_say_what(scene: Scene, setup: Callable[[Any], None],
                                              named: str) -> None:
    """Environment, names, Actions settings and the installation, each named."""
    setup(scene.controls)
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND, run.out
    assert named in run.out


def test_extra_app_permissions_are_named(scene: Scene) -> None:
    scene.controls.install_app(REPO, app_id=APP_ID, slug=SLUG, permissions={
        **APP_PERMISSIONS, "administration": "write", "issues": "write"})
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert "the App holds more than it needs: administration: write, issues: write" in run.out


def test_missing_environment_secret(scene: Scene) -> None:
    """A secret read by an environment's job must be in that environment (or above)."""
    scene.controls.set_environment(REPO, "production", reviewers=["rita"], branches=("main",))
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert ("secrets.MLFLOW_TRACKING_PASSWORD is read by release.yml -> gate-release.yml job "
            "release but not set for environment 'production'") in run.out


def test_the_apps_key_environment_is_checked(scene: Scene) -> None:
    """modelgate-app holds MODELGATE_APP_PRIVATE_KEY and only the release branch may use it;
    vars.MODELGATE_APP_CLIENT_ID is found from the workflows."""
    sound = scene.run()
    assert "✓ app-environment: only 'main' may use 'modelgate-app'" in sound.out
    assert "✓ app-key: 'modelgate-app' holds MODELGATE_APP_PRIVATE_KEY" in sound.out
    assert "✓ variable: vars.MODELGATE_APP_CLIENT_ID is set" in sound.out
    scene.controls.set_environment(REPO, "modelgate-app", branches=None,
                                   secrets={"MODELGATE_APP_PRIVATE_KEY"})
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert "✗ app-environment: 'modelgate-app' is not limited to 'main'" in run.out
    scene.controls.set_environment(REPO, "modelgate-app", branches=("main",))
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert "✗ app-key: 'modelgate-app' does not hold MODELGATE_APP_PRIVATE_KEY" in run.out
    scene.controls.delete_environment(REPO, "modelgate-app")
    run = scene.run()
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert "✗ app-environment: environment 'modelgate-app' (the App's key) does not exist" \
        in run.out


def test_writer_token_cannot_read_admin_settings(scene: Scene) -> None:
    """A writer's token reads the rules but not the admin settings: exit 4, permission named."""
    run = scene.run(token=scene.double.token_for(WRITER))
    assert run.code == cli_doctor.EXIT_CANNOT_READ, run.out
    assert "? workflow-permissions: cannot read the default workflow permissions" in run.out
    assert "fix: run doctor with a token that has Administration: read" in run.out
    assert "cannot read the bypass list of ruleset 'modelgate release gate'" in run.out


def test_without_the_app_key_the_installation_is_unknown(scene: Scene) -> None:
    run = scene.run(app_key=False)
    assert run.code == cli_doctor.EXIT_CANNOT_READ, run.out
    assert "MODELGATE_APP_PRIVATE_KEY" in run.out


def test_no_token_is_a_usage_error(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    run = scene.run(token="", app_key=False)
    assert run.code == cli_doctor.EXIT_USAGE
    assert cli_doctor.MSG_NO_TOKEN in capsys.readouterr().err + run.out


def test_a_refused_repository_read_exits_4(scene: Scene) -> None:
    """A token that cannot see the private repository is told so, without a traceback."""
    outsider = scene.double.add_user("olive")
    run = scene.run(token=outsider)
    assert run.code == cli_doctor.EXIT_CANNOT_READ
    assert ADMIN not in run.out


TEAM_PIN = "0123456789abcdef0123456789abcdef01234567"  # pragma: allowlist secret


def _team_repository(tmp_path: Path) -> Path:
    """A team's repository as ``modelgate init`` leaves it: the callers alone, pinned to
    modelgate's gate by commit SHA, no gate-*.yml of its own."""
    folder = tmp_path / "team" / WORKFLOWS_DIR
    folder.mkdir(parents=True)
    for name, text in workflow_templates().items():
        for placeholder, value in zip(PLACEHOLDERS, ("acme-tools/modelgate", TEAM_PIN,
                                                     "modelgate==0.1.0"), strict=True):
            text = text.replace(placeholder, value)
        (folder / name).write_text(text, encoding="utf-8")
    return tmp_path / "team"


def test_a_team_repository_of_callers_is_read_through_the_gate(scene: Scene,
                                                               tmp_path: Path) -> None:
    """Each secret belongs to the called gate job and its environment, found in this
    modelgate's own gate-*.yml; the callers' pass-through `secrets.X` ask for no repository
    secret; findings name the caller and the called job."""
    team = _team_repository(tmp_path)
    assert not list((team / WORKFLOWS_DIR).glob("gate-*.yml"))
    uses = {(u.kind, u.name, u.workflow, u.job, u.environment)
            for u in workflow_uses(team)}
    assert ("secrets", "MODELGATE_APP_PRIVATE_KEY", "pr-commands.yml -> gate-commands.yml",
            "handle", "modelgate-app") in uses
    assert ("secrets", "MODELGATE_APP_PRIVATE_KEY", "release.yml -> gate-release.yml",
            "release", "production") in uses
    assert ("secrets", "MLFLOW_TRACKING_PASSWORD", "drift.yml -> gate-drift.yml", "drift",
            "monitoring") in uses
    assert not [u for u in uses if u[0] == "secrets" and u[4] is None]
    assert {u[2].split(" -> ")[0] for u in uses} <= {
        "pr-commands.yml", "pr-labels.yml", "pr-report.yml", "release.yml", "rollback.yml",
        "drift.yml", "pr-check.yml"}
    run = scene.run(workflows_root=team)
    assert run.code == cli_doctor.EXIT_SOUND, run.out
    assert ("✓ secret: secrets.MODELGATE_APP_PRIVATE_KEY is set (pr-commands.yml -> "
            "gate-commands.yml job handle)") in run.out
    assert "also a repository secret" not in run.out
    held = {u[1] for u in uses if u[0] == "secrets" and u[4] == "production"}
    scene.controls.set_environment(REPO, "production", reviewers=["rita"], branches=("main",),
                                   secrets=held - {"MODELGATE_APP_PRIVATE_KEY"})
    run = scene.run(workflows_root=team)
    assert run.code == cli_doctor.EXIT_UNSOUND
    assert ("✗ secret: secrets.MODELGATE_APP_PRIVATE_KEY is read by release.yml -> "
            "gate-release.yml job release but not set for environment 'production'") in run.out
    # the key as a repository secret is still unsound, whoever passes it on
    scene.controls.set_names(REPO, secrets={"MODELGATE_APP_PRIVATE_KEY"})
    run = scene.run(workflows_root=team)
    assert "✗ app-key: MODELGATE_APP_PRIVATE_KEY is also a repository secret" in run.out


def test_a_caller_of_a_missing_local_workflow_is_a_usage_error(
        scene: Scene, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "repo" / WORKFLOWS_DIR
    folder.mkdir(parents=True)
    (folder / "pr-check.yml").write_text(
        "on: pull_request\njobs:\n  check:\n    uses: ./.github/workflows/gate-check.yml\n",
        encoding="utf-8")
    run = scene.run(workflows_root=tmp_path / "repo")
    assert run.code == cli_doctor.EXIT_USAGE
    assert "pr-check.yml job check calls ./.github/workflows/gate-check.yml, which is not in" \
        in capsys.readouterr().err + run.out

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The doctor's pure core: settings in, findings out, no client; and the workflow reader
and the App JWT it relies on."""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import replace
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from modelgate.bot.cli.doctor import DoctorUsageError, mint_app_jwt
from modelgate.bot.doctor.core import (
    BypassActor,
    Environment,
    Expectations,
    Finding,
    Installation,
    MergeMethods,
    Names,
    NameUse,
    Protection,
    RequiredCheck,
    Rule,
    Ruleset,
    Settings,
    Status,
    Unreadable,
    WorkflowPermissions,
    diagnose,
    verdict,
)
from modelgate.bot.doctor.workflows import WorkflowReadError, uses_in, workflow_uses
from tests.conftest import REPO as REPO_ROOT

APP = 4242
PERMS = {"checks": "write", "contents": "write"}
EXPECT = Expectations(app_id=APP, app_slug="modelgate", release_branch="main",
                      app_permissions=PERMS)
CHECK = RequiredCheck("modelgate", APP)
RULES = (Rule("required_status_checks", 1, (CHECK,), strict=True),
         Rule("pull_request", 1, merge_methods=("merge",)), Rule("non_fast_forward", 1),
         Rule("deletion", 1))
RULESET = Ruleset(1, "gate", "active", (), (CHECK,))
USE = NameUse("vars", "AWS_REGION", "release.yml", "release", "production")
SOUND = Settings(
    repo="acme/model",
    branch_rules=RULES,
    rulesets=(RULESET,),
    protection=None,
    merge_methods=MergeMethods(merge=True, squash=False, rebase=False),
    environment=Environment("production", ("rita",), True, False, "custom", ("main",)),
    installation=Installation(APP, "modelgate", PERMS, "selected", False),
    workflow_permissions=WorkflowPermissions("read", False),
    retention_days=30,
    names=Names(repo_vars=frozenset({"AWS_REGION"}), repo_secrets=frozenset(),
                env_secrets={"modelgate-app": frozenset({"MODELGATE_APP_PRIVATE_KEY"})}),
    uses=(USE,),
    app_environment=Environment("modelgate-app", (), False, False, "custom", ("main",)),
)
ADMIN_ONLY = "Administration: read"


def statuses(settings: Settings, expect: Expectations = EXPECT) -> dict[str, set[Status]]:
    found: dict[str, set[Status]] = {}
    for f in diagnose(settings, expect):
        found.setdefault(f.check, set()).add(f.status)
    return found


def test_sound_settings_are_sound() -> None:
    """Every check passes on the documented set-up, and nothing is a risk."""
    findings = diagnose(SOUND, EXPECT)
    assert {f.status for f in findings} == {"ok"}
    assert verdict(findings) == "sound"


def _rules(*rules: Rule) -> tuple[Rule, ...]:
    return (*rules, *RULES[1:])


@pytest.mark.parametrize(("change", "check", "status"), [
    # the required check: missing, from any source, from another app, not strict
    ({"branch_rules": RULES[1:], "rulesets": ()}, "required-check", "fail"),
    ({"branch_rules": _rules(Rule("required_status_checks", 1,
                                  (RequiredCheck("modelgate", None),), True))},
     "required-check", "fail"),
    ({"branch_rules": _rules(Rule("required_status_checks", 1,
                                  (RequiredCheck("modelgate", 15368),), True))},
     "required-check", "fail"),
    ({"branch_rules": _rules(Rule("required_status_checks", 1, (CHECK,), False))},
     "up-to-date", "fail"),
    # an evaluate-mode ruleset enforces nothing
    ({"branch_rules": RULES[1:], "rulesets": (replace(RULESET, enforcement="evaluate"),)},
     "required-check", "fail"),
    # bypass: a team fails, admins are a risk, the App itself is fine, hidden is unknown
    ({"rulesets": (replace(RULESET, bypass_actors=(BypassActor("Team", 3),)),)}, "bypass",
     "fail"),
    ({"rulesets": (replace(RULESET, bypass_actors=(BypassActor("OrganizationAdmin", 1),)),)},
     "bypass", "risk"),
    ({"rulesets": (replace(RULESET, bypass_actors=(BypassActor("Integration", APP),)),)},
     "bypass", "ok"),
    ({"rulesets": (replace(RULESET, bypass_actors=None),)}, "bypass", "unknown"),
    ({"branch_rules": (RULES[0], RULES[1], RULES[3])}, "rule-non_fast_forward", "fail"),
    # classic protection stands in for a ruleset; admins not enforced is a risk
    ({"branch_rules": (), "rulesets": (),
      "protection": Protection((CHECK,), True, False, True, False, False, False)},
     "bypass", "risk"),
    ({"branch_rules": (), "rulesets": (),
      "protection": Protection((CHECK,), True, True, True, False, False, False)},
     "required-check", "ok"),
    ({"protection": Unreadable("branch protection", ADMIN_ONLY)}, "required-check", "unknown"),
    # merge methods
    ({"merge_methods": MergeMethods(False, True, True)}, "merge-method", "fail"),
    ({"merge_methods": MergeMethods(True, True, False)}, "merge-method", "risk"),
    ({"branch_rules": (*RULES, Rule("required_linear_history", 1))}, "merge-method", "fail"),
    ({"merge_methods": MergeMethods(None, None, None)}, "merge-method", "unknown"),
    # the environment
    ({"environment": None}, "environment", "fail"),
    ({"environment": replace(SOUND.environment, reviewers=())},
     "environment-reviewers", "fail"),
    ({"environment": replace(SOUND.environment, prevent_self_review=False)},
     "environment-reviewers", "risk"),
    ({"environment": replace(SOUND.environment, branch_policy="all")},
     "environment-branches", "fail"),
    ({"environment": replace(SOUND.environment, custom_branches=("main", "dev"))},
     "environment-branches", "fail"),
    # the installation
    ({"installation": None}, "app-installation", "fail"),
    ({"installation": Installation(APP, "modelgate", PERMS, "all", False)},
     "app-installation", "risk"),
    ({"installation": Installation(APP, "modelgate", PERMS, "selected", True)},
     "app-installation", "fail"),
    ({"installation": Installation(APP, "modelgate", {"checks": "read"}, "selected", False)},
     "app-permissions", "fail"),
    ({"installation": Installation(APP, "modelgate", {**PERMS, "administration": "read"},
                                   "selected", False)}, "app-permissions", "fail"),
    ({"installation": Unreadable("the installation", "the App's key")}, "app-installation",
     "unknown"),
    # Actions settings
    ({"workflow_permissions": WorkflowPermissions("write", False)}, "workflow-permissions",
     "fail"),
    ({"workflow_permissions": WorkflowPermissions("read", True)}, "workflow-approvals", "fail"),
    ({"retention_days": 29}, "retention", "fail"),
    ({"retention_days": Unreadable("retention", ADMIN_ONLY)}, "retention", "unknown"),
    # names: missing, set in the job's environment, or unreadable
    ({"names": Names(frozenset(), frozenset())}, "variable", "fail"),
    ({"names": Names(frozenset(), frozenset(),
                     env_vars={"production": frozenset({"AWS_REGION"})})}, "variable", "ok"),
    ({"names": Names(Unreadable("variables", "Variables: read"), frozenset())}, "variable",
     "unknown"),
    # the App's key: its environment missing, open to other branches, without the key,
    # unreadable; the key also a repository secret
    ({"app_environment": None}, "app-environment", "fail"),
    ({"app_environment": Environment("modelgate-app", (), False, False, "all", ())},
     "app-environment", "fail"),
    ({"app_environment": Environment("modelgate-app", (), False, False, "custom",
                                     ("main", "dev"))}, "app-environment", "fail"),
    ({"app_environment": Unreadable("environment 'modelgate-app'", "Administration: read")},
     "app-environment", "unknown"),
    ({"names": Names(repo_vars=frozenset({"AWS_REGION"}), repo_secrets=frozenset())},
     "app-key", "fail"),
    ({"names": Names(repo_vars=frozenset({"AWS_REGION"}), repo_secrets=frozenset(),
                     env_secrets={"modelgate-app": Unreadable("secrets", "Secrets: read")})},
     "app-key", "unknown"),
    ({"names": replace(SOUND.names, repo_secrets=frozenset({"MODELGATE_APP_PRIVATE_KEY"}))},
     "app-key", "fail"),
])
def test_each_setting_is_judged(change: dict[str, object], check: str, status: Status) -> None:
    """One setting changed from the sound set-up gives the named status on its check."""
    assert status in statuses(replace(SOUND, **change))[check]


def test_without_an_app_there_is_no_key_to_check() -> None:
    """Legacy mode (no github.app_id) has no App key, so no environment for it."""
    checks = statuses(replace(SOUND, app_environment=None), replace(EXPECT, app_id=None))
    assert "app-environment" not in checks and "app-key" not in checks


def test_without_an_app_id_the_source_cannot_be_judged() -> None:
    findings = diagnose(SOUND, replace(EXPECT, app_id=None))
    assert any(f.check == "required-check" and f.status == "fail" and "github.app_id" in f.message
               for f in findings)


def test_verdict_order() -> None:
    """Any failure is unsound; otherwise anything unread makes it unreadable; risks pass."""
    ok, risk = Finding("a", "ok", "m"), Finding("b", "risk", "m")
    unknown, fail = Finding("c", "unknown", "m"), Finding("d", "fail", "m")
    assert verdict([ok, risk]) == "sound"
    assert verdict([ok, unknown, risk]) == "unreadable"
    assert verdict([unknown, fail]) == "unsound"


def test_a_failure_line_carries_its_fix() -> None:
    line = Finding("retention", "fail", "too short", "raise it", "https://docs").line()
    assert line == "✗ retention: too short\n    fix: raise it"


def test_workflow_names_come_from_the_workflows() -> None:
    """The shipped workflows' names, with each job's environment; GITHUB_TOKEN is GitHub's."""
    uses = workflow_uses(REPO_ROOT)
    assert ("vars", "AWS_DEPLOY_ROLE_ARN", "production") in {
        (u.kind, u.name, u.environment) for u in uses}
    assert "GITHUB_TOKEN" not in {u.name for u in uses}


def test_workflow_level_env_counts_for_every_job() -> None:
    text = ("env:\n  A: ${{ vars.SHARED }}\njobs:\n  one:\n    environment: {name: prod}\n"
            "    steps: [{run: 'echo ${{ secrets.KEY }} ${{ secrets.GITHUB_TOKEN }}'}]\n")
    assert uses_in(text, "w.yml") == [NameUse("vars", "SHARED", "w.yml", "one", "prod"),
                                      NameUse("secrets", "KEY", "w.yml", "one", "prod")]
    with pytest.raises(WorkflowReadError, match=r"w\.yml"):
        uses_in("- a list", "w.yml")


def test_the_app_jwt_is_signed_by_the_key_and_short_lived() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    token = mint_app_jwt(APP, pem, now=1_700_000_000)
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"],
                        options={"verify_exp": False, "verify_iat": False})
    assert claims == {"iss": str(APP), "iat": 1_700_000_000 - 60, "exp": 1_700_000_000 + 540}
    with pytest.raises(DoctorUsageError, match="MODELGATE_APP_PRIVATE_KEY"):
        mint_app_jwt(APP, "not a key")


SIGNING_USES = (NameUse("vars", "MODELGATE_KMS_KEY_ID", "release.yml", "release", "production"),
                NameUse("secrets", "MODELGATE_SIGNING_KEY_PEM", "release.yml", "release",
                        "production"),
                NameUse("vars", "MODELGATE_STATEMENT_PUBKEY", "release.yml", "release",
                        "production"))


@pytest.mark.parametrize(("variables", "secrets", "sound"), [
    ({"MODELGATE_KMS_KEY_ID"}, set(), True),
    ({"MODELGATE_STATEMENT_PUBKEY"}, {"MODELGATE_SIGNING_KEY_PEM"}, True),
    ({"MODELGATE_STATEMENT_PUBKEY"}, set(), False),
    (set(), set(), False),
])
def test_the_signing_key_is_a_kms_key_or_a_key_file(variables: set[str], secrets: set[str],
                                                     sound: bool) -> None:
    """The release signs with KMS or with a key file (and deploy trusts its public half):
    either set is enough, half of the key-file pair is not."""
    names = dataclasses.replace(
        SOUND.names, repo_vars=frozenset({"AWS_REGION", *variables}),
        repo_secrets=frozenset(secrets))
    settings = dataclasses.replace(SOUND, names=names, uses=(USE, *SIGNING_USES))
    assert verdict(diagnose(settings, EXPECT)) == ("sound" if sound else "unsound")


CALLED = """\
on:
  workflow_call:
    secrets: {KEY: {required: false}}
jobs:
  deploy:
    environment: prod
    steps: [{run: 'echo ${{ secrets.KEY }} ${{ secrets.OTHER }} ${{ vars.REGION }}'}]
  plain:
    steps: [{run: 'echo ${{ secrets.KEY }}'}]
"""


def _repo(tmp_path: Path, caller: str) -> Path:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "gate-x.yml").write_text(CALLED, encoding="utf-8")
    (folder / "caller.yml").write_text(caller, encoding="utf-8")
    return tmp_path


def test_a_call_is_read_as_the_called_jobs_with_their_environments(tmp_path: Path) -> None:
    """A secret passed by name belongs to the called job (its environment's secret wins);
    one the caller does not pass is marked; the called-only file is not read on its own."""
    root = _repo(tmp_path, "on: push\njobs:\n  go:\n    uses: ./.github/workflows/gate-x.yml\n"
                           "    with: {region: '${{ vars.CALLER_VAR }}'}\n"
                           "    secrets: {KEY: '${{ secrets.KEY }}'}\n")
    via = "caller.yml -> gate-x.yml"
    assert workflow_uses(root) == (
        NameUse("secrets", "KEY", via, "deploy", "prod"),
        NameUse("secrets", "KEY", via, "plain", None),
        NameUse("secrets", "OTHER", via, "deploy", "prod", passed=False),
        NameUse("vars", "CALLER_VAR", "caller.yml", "go"),
        NameUse("vars", "REGION", via, "deploy", "prod"),
    )
    names = dataclasses.replace(SOUND.names, repo_secrets=frozenset({"KEY", "OTHER"}),
                                repo_vars=frozenset({"CALLER_VAR", "REGION"}))
    findings = diagnose(dataclasses.replace(SOUND, names=names, uses=workflow_uses(root)),
                        EXPECT)
    failed = [f for f in findings if f.status == "fail"]
    assert [f.message for f in failed] == [
        "secrets.OTHER is read by caller.yml -> gate-x.yml job deploy but caller.yml does not "
        "pass it: the called job sees it empty"]
    assert "secrets: add OTHER: ${{ secrets.OTHER }}" in failed[0].fix


def test_inherited_secrets_pass_every_name(tmp_path: Path) -> None:
    root = _repo(tmp_path, "on: push\njobs:\n  go:\n    uses: ./.github/workflows/gate-x.yml\n"
                           "    secrets: inherit\n")
    assert all(u.passed for u in workflow_uses(root))


def test_a_remote_call_reads_this_modelgates_own_gate(tmp_path: Path) -> None:
    """owner/modelgate/...gate-X.yml@sha is this modelgate's copy; another repository's
    workflow is read as a plain job."""
    text = ("on: push\njobs:\n  a:\n    uses: acme/modelgate/.github/workflows/gate-commands.yml"
            f"@{'0' * 40}\n    secrets: {{MODELGATE_APP_PRIVATE_KEY: "
            "'${{ secrets.MODELGATE_APP_PRIVATE_KEY }}'}\n"
            f"  b:\n    uses: acme/other/.github/workflows/deploy.yml@{'1' * 40}\n"
            "    secrets: {T: '${{ secrets.T }}'}\n")
    found = {(u.name, u.workflow, u.job, u.environment) for u in uses_in(text, "c.yml")
             if u.kind == "secrets"}
    assert found == {("MODELGATE_APP_PRIVATE_KEY", "c.yml -> gate-commands.yml", "handle",
                      "modelgate-app"), ("T", "c.yml", "b", None)}


def test_a_call_back_is_a_usage_error(tmp_path: Path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    loop = "on: workflow_call\njobs:\n  j:\n    uses: ./.github/workflows/{}.yml\n"
    (folder / "a.yml").write_text(loop.format("b"), encoding="utf-8")
    (folder / "b.yml").write_text(loop.format("a"), encoding="utf-8")
    with pytest.raises(WorkflowReadError, match=r"a\.yml -> b\.yml -> a\.yml"):
        uses_in(loop.format("b"), "a.yml", tmp_path)


def test_the_wheel_ships_every_gate_workflow() -> None:
    """pyproject force-includes the folder the doctor reads gate-*.yml from when installed."""
    with (REPO_ROOT / "pyproject.toml").open("rb") as handle:
        hatch = tomllib.load(handle)["tool"]["hatch"]["build"]["targets"]
    assert hatch["wheel"]["force-include"][".github/workflows"] == "modelgate/gate_workflows"
    assert ".github/workflows" in hatch["sdist"]["only-include"]

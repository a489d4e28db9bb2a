# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The workflows' security contract, read from the files themselves: triggers, per-job
permissions, pinned actions, concurrency, timeouts, and the trust boundary between the
job that runs pull request code and the jobs that hold a write token."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from tests.workflows_support import (
    AWS_CREDENTIALS,
    CACHE,
    CACHE_RESTORE,
    CACHE_SAVE,
    CHECKOUT,
    DOWNLOAD_ARTIFACT,
    PINNED_USES_RE,
    SCAN_CACHE_PATH,
    UPLOAD_ARTIFACT,
    Workflow,
    action_of,
    all_problems,
    credential_problems,
    expressions_in_run,
    load_workflows,
    permission_problems,
    scan_cache_step,
    timeout_problems,
    trusted_problems,
    unpinned_actions,
    untrusted_problems,
)

WORKFLOWS = load_workflows()

PR_CHECK_PATHS = {"governance.yml", "training/**", "data/**", "pyproject.toml", "uv.lock"}

# the whole set: a workflow added without a line here fails, so does one removed
# Each job's GITHUB_TOKEN. What writes to GitHub is the modelgate App's token, minted in the
# job with the `permission-*` inputs tests/workflows/test_permissions.py derives; the
# GITHUB_TOKEN keeps what the other steps need (test_permissions.py derives that too).
EXPECTED_PERMISSIONS: dict[str, dict[str, dict[str, str]]] = {
    "pr-check.yml": {"check": {"contents": "read"}},
    "pr-report.yml": {"verdict": {"actions": "read", "contents": "read"},
                      "report": {"contents": "read", "id-token": "write"}},
    "pr-commands.yml": {"handle": {"contents": "read"}},
    "pr-labels.yml": {"handle": {"contents": "read"}},
    "pr-review.yml": {"relay": {}},
    "release.yml": {"release": {"actions": "read", "contents": "read", "id-token": "write"}},
    "rollback.yml": {"rollback": {"actions": "read", "contents": "read", "id-token": "write"}},
    "drift.yml": {"drift": {"contents": "read", "id-token": "write", "issues": "write"}},
    "ci.yml": {"test": {"contents": "read"}, "lint": {"contents": "read"}},
}
# per-PR concurrency: the expression that names the pull request, and whether a newer
# event cancels the run in progress (only where a newer run makes the old one worthless)
PER_PR_CONCURRENCY = {
    "pr-check.yml": ("github.event.pull_request.number", True),
    "pr-commands.yml": ("github.event.issue.number || "
                        "github.event.workflow_run.pull_requests[0].number || "
                        "github.event.workflow_run.head_branch", False),
    "pr-labels.yml": ("github.event.pull_request.number", False),
    "pr-review.yml": ("github.event.pull_request.number", False),
    "ci.yml": ("github.event.pull_request.number", True),
}
CRON_FIELD_RE = re.compile(r"^[\d*/,-]+$")


def workflow(name: str) -> Workflow:
    return WORKFLOWS[name]


def job(name: str, job_id: str | None = None) -> dict[str, Any]:
    if job_id is not None:
        return workflow(name).jobs[job_id]
    (only,) = workflow(name).jobs.values()
    return only


def steps_using(name: str, action: str) -> list[dict[str, Any]]:
    return [s for _, _, s in workflow(name).steps() if action_of(s) == action]


def test_the_expected_workflows_exist() -> None:
    """Every workflow of the road is there, and nothing else unreviewed runs."""
    assert set(WORKFLOWS) == set(EXPECTED_PERMISSIONS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PERMISSIONS))
def test_every_rule_holds(name: str) -> None:
    """Pinned actions, `permissions: {}` on top, timeouts, no expression in a shell line,
    no persisted token, and the trust boundary all hold for each shipped workflow."""
    assert all_problems(workflow(name)) == []


@pytest.mark.parametrize("name", sorted(EXPECTED_PERMISSIONS))
def test_each_job_gets_exactly_its_permissions(name: str) -> None:
    """Each job's token has the scopes it needs and no others."""
    got = {job_id: j.get("permissions") for job_id, j in workflow(name).jobs.items()}
    assert got == EXPECTED_PERMISSIONS[name]


def test_the_pr_check_runs_on_pull_requests_for_model_changes() -> None:
    """The untrusted check runs on pull_request (never _target) for training code, data,
    governance.yml and the lock."""
    triggers = workflow("pr-check.yml").triggers
    assert set(triggers) == {"pull_request"}
    assert set(triggers["pull_request"]["paths"]) >= PR_CHECK_PATHS


def test_the_report_follows_the_pr_check_by_name() -> None:
    """workflow_run matches by workflow name: a renamed check would silently end reporting."""
    triggers = workflow("pr-report.yml").triggers
    assert set(triggers) == {"workflow_run"}
    assert triggers["workflow_run"] == {"workflows": [workflow("pr-check.yml").name],
                                        "types": ["completed"]}


def test_the_report_reports_only_pull_request_runs_that_reached_a_verdict() -> None:
    """A failed audit is still reported; a cancelled or push-triggered run is not."""
    condition = " ".join(str(job("pr-report.yml", "verdict")["if"]).split())
    assert "github.event.workflow_run.event == 'pull_request'" in condition
    assert "conclusion == 'success'" in condition and "conclusion == 'failure'" in condition


def test_the_verdict_downloads_the_artifact_of_the_triggering_run() -> None:
    """The artifact comes from THAT run (run-id), outside the checked-out code."""
    (download,) = [s for s in job("pr-report.yml", "verdict")["steps"]
                   if action_of(s) == DOWNLOAD_ARTIFACT]
    with_ = download["with"]
    assert with_["run-id"] == "${{ github.event.workflow_run.id }}"
    assert with_["github-token"] == "${{ github.token }}"
    assert with_["name"] == steps_using("pr-check.yml", UPLOAD_ARTIFACT)[0]["with"]["name"]
    assert str(with_["path"]).startswith("${{ runner.temp }}/")


def test_the_verdict_binds_the_artifact_and_the_checkout_to_the_commit_the_run_built() -> None:
    """A PR run can write any PR number and commit into its artifact; the trusted verdict
    requires both the artifact and the PR checkout to be the run's head as GitHub
    reports it, and the report posts only that verdict (never the PR job's own report)."""
    verdict_job = job("pr-report.yml", "verdict")
    (verdict,) = [s for s in verdict_job["steps"] if "modelgate verdict" in str(s.get("run"))]
    assert verdict["env"]["BUILT_SHA"] == "${{ github.event.workflow_run.head_sha }}"
    assert '--head-sha "$BUILT_SHA"' in verdict["run"]
    (pr_tree,) = [s for s in verdict_job["steps"]
                  if action_of(s) == CHECKOUT and s["with"].get("path") == "pr"]
    assert pr_tree["with"]["ref"] == "${{ github.event.workflow_run.head_sha }}"
    report_job = job("pr-report.yml", "report")
    assert report_job["needs"] == "verdict"
    (download,) = [s for s in report_job["steps"] if action_of(s) == DOWNLOAD_ARTIFACT]
    assert download["with"]["name"] == "modelgate-verdict" and "run-id" not in download["with"]
    assert not [s for s in report_job["steps"] if action_of(s) == CHECKOUT and s.get("with",
                {}).get("ref")]


def test_commands_and_label_guard_listen_to_the_right_events() -> None:
    """Comments (created, edited, deleted) on pull requests and reviews relayed by
    pr-review.yml; label changes, pushes and a retargeted base."""
    assert workflow("pr-commands.yml").triggers == {
        "issue_comment": {"types": ["created", "edited", "deleted"]},
        "workflow_run": {"workflows": [workflow("pr-review.yml").name],
                         "types": ["completed"]}}
    assert job("pr-commands.yml")["if"] == (
        "github.event.issue.pull_request || (github.event_name == 'workflow_run' && "
        "github.event.workflow_run.event == 'pull_request_review')")
    assert workflow("pr-labels.yml").triggers == {
        "pull_request_target": {"types": ["opened", "reopened", "synchronize", "edited",
                                          "ready_for_review", "labeled", "unlabeled"]}}


def test_the_review_relay_holds_nothing() -> None:
    """pull_request_review runs on the PR's merge ref: the relay has no permission, no
    environment, no checkout, no action and no event text; one step that only logs."""
    relay = workflow("pr-review.yml")
    assert relay.triggers == {"pull_request_review": {"types": ["submitted", "edited",
                                                                "dismissed"]}}
    assert relay.doc["permissions"] == {}
    (only,) = relay.jobs.values()
    assert only["permissions"] == {} and "environment" not in only
    (step,) = only["steps"]
    assert set(step) == {"name", "run"}
    assert "${{" not in step["run"] and "secrets" not in str(relay.doc)


def test_commands_and_label_guard_share_one_queue_per_pull_request() -> None:
    """A label event and a comment for the same PR never run at the same time."""
    groups = {workflow(n).doc["concurrency"]["group"] for n in ("pr-commands.yml",
                                                                 "pr-labels.yml")}
    assert {g.split("${{")[0] for g in groups} == {"modelgate-pr-"}


@pytest.mark.parametrize("name", sorted(PER_PR_CONCURRENCY))
def test_concurrency_is_per_pull_request(name: str) -> None:
    """Runs for one PR queue (or supersede each other); runs for different PRs do not."""
    expression, cancels = PER_PR_CONCURRENCY[name]
    concurrency = workflow(name).doc["concurrency"]
    assert expression in concurrency["group"]
    assert concurrency["cancel-in-progress"] is cancels


def test_every_workflow_has_concurrency() -> None:
    """Every workflow names a concurrency group."""
    for wf in WORKFLOWS.values():
        assert wf.doc.get("concurrency", {}).get("group"), wf.file


def test_releases_and_rollbacks_queue_and_never_cancel_each_other() -> None:
    """No group is shared across merges or with rollbacks (a shared group keeps one
    pending run and cancels the one before it); each run waits in the same turnstile for
    every older release and rollback run instead."""
    release = workflow("release.yml").doc["concurrency"]
    rollback = workflow("rollback.yml").doc["concurrency"]
    assert release["group"] == "modelgate-release-${{ inputs.merge_sha }}"
    assert rollback["group"] == "modelgate-rollback-${{ github.run_id }}"
    assert release["cancel-in-progress"] is False and rollback["cancel-in-progress"] is False
    turnstiles = [[s for s in job(n)["steps"] if str(s.get("name", "")).startswith(
        "Wait for older releases and rollbacks")] for n in ("release.yml", "rollback.yml")]
    assert all(len(found) == 1 for found in turnstiles)
    (first,), (second,) = turnstiles
    assert first == second and job("release.yml")["steps"][0] == first
    assert job("rollback.yml")["steps"][0] == second
    for needle in ("release.yml rollback.yml", '.status != \\"completed\\"', "sleep"):
        assert needle in first["run"], needle


def test_the_release_is_dispatched_with_the_merge_and_the_audited_head() -> None:
    """workflow_dispatch (a GITHUB_TOKEN merge starts no push run) with three required inputs."""
    triggers = workflow("release.yml").triggers
    assert set(triggers) == {"workflow_dispatch"}
    inputs = triggers["workflow_dispatch"]["inputs"]
    assert set(inputs) == {"merge_sha", "pr_number", "audited_head_sha"}
    assert all(spec["required"] is True for spec in inputs.values())


@pytest.mark.parametrize("name", ["release.yml", "rollback.yml"])
def test_deploys_run_in_the_production_environment_from_the_default_branch(name: str) -> None:
    """Protection rules on `production` apply; a dispatch of another branch's copy is a no-op."""
    release = job(name)
    assert release["environment"] == "production"
    assert release["if"] == "github.ref_name == github.event.repository.default_branch"


def test_secrets_are_read_only_inside_an_environment() -> None:
    """Every job that names a secret runs in a GitHub environment, whose secrets and
    protection rules the team controls (and whose name the OIDC trust policy pins)."""
    for wf in WORKFLOWS.values():
        for job_id, job_ in wf.jobs.items():
            if "secrets." in repr(job_):
                assert job_.get("environment") in ("production", "monitoring", "modelgate-app"), (
                    wf.file, job_id)
    assert job("drift.yml")["environment"] == "monitoring"


@pytest.mark.parametrize("name", ["release.yml", "rollback.yml", "drift.yml", "pr-report.yml"])
def test_aws_access_is_an_oidc_role_never_a_stored_key(name: str) -> None:
    """configure-aws-credentials assumes a role from a repository variable; no access keys."""
    (aws,) = steps_using(name, AWS_CREDENTIALS)
    (holder,) = [j for j in workflow(name).jobs.values() if aws in j["steps"]]
    assert holder["permissions"]["id-token"] == "write"
    assert re.fullmatch(r"\$\{\{ vars\.AWS_\w+_ROLE_ARN \}\}", aws["with"]["role-to-assume"])
    assert not {"aws-access-key-id", "aws-secret-access-key"} & set(aws["with"])
    assert "AWS_SECRET_ACCESS_KEY" not in workflow(name).text


def test_the_report_judges_the_gate_against_production_with_a_read_role() -> None:
    """The report job re-judges the performance gate against the live bundle, with its own
    read-only role (never the deploy role), and asks for it only when the team set it."""
    (aws,) = steps_using("pr-report.yml", AWS_CREDENTIALS)
    assert aws["with"]["role-to-assume"] == "${{ vars.AWS_READ_ROLE_ARN }}"
    assert aws["if"] == "vars.AWS_READ_ROLE_ARN != ''"
    (report,) = [s for s in job("pr-report.yml", "report")["steps"] if "modelgate report --" in
                 str(s.get("run", ""))]
    assert "--production lambda" in report["run"]
    assert set(re.findall(r"secrets\.\w+", workflow("pr-report.yml").text)) == {
        "secrets.MODELGATE_APP_PRIVATE_KEY"}


def test_the_release_checks_out_the_merged_commit() -> None:
    """Retraining happens at the merge the bot made, passed as an input, with its parents
    (the audited head among them) there for the tree check."""
    (checkout,) = steps_using("release.yml", CHECKOUT)
    assert checkout["with"]["ref"] == "${{ inputs.merge_sha }}"
    assert checkout["with"]["fetch-depth"] == 2


def test_the_release_gets_the_tracking_server_from_variables_and_secrets() -> None:
    """The persistent MLflow server: URI from a variable, credentials from secrets, and
    only in the steps that talk to it (release and deploy), never in the others."""
    steps = [s for _, _, s in workflow("release.yml").steps()]
    talking = [s for s in steps if re.search(r"modelgate (release|deploy) ", str(s.get("run")))]
    assert len(talking) == 2
    for step in talking:
        assert step["env"]["MLFLOW_TRACKING_URI"] == "${{ vars.MLFLOW_TRACKING_URI }}"
        assert step["env"]["MLFLOW_TRACKING_USERNAME"] == (
            "${{ secrets.MLFLOW_TRACKING_USERNAME }}")
        assert step["env"]["MLFLOW_TRACKING_PASSWORD"] == (
            "${{ secrets.MLFLOW_TRACKING_PASSWORD }}")
    # the other steps name only the signing key (written to a file) and the App's key
    others = repr([s for s in steps if s not in talking])
    assert set(re.findall(r"secrets\.\w+", others)) == {
        "secrets.MODELGATE_SIGNING_KEY_PEM", "secrets.MODELGATE_APP_PRIVATE_KEY"}


def test_the_release_signs_with_kms_or_a_key_file_and_deploy_verifies() -> None:
    """The signer: the KMS key from a variable (production's default, through the OIDC
    role) or a PEM private key from an environment secret written to a file in
    RUNNER_TEMP; deploy trusts the PEM public key from a variable or the KMS key's public
    half. The key file never lands in the workspace and no key is on a command line."""
    steps = [s for _, _, s in workflow("release.yml").steps()]
    (write,) = [s for s in steps if s.get("id") == "signing-key"]
    assert write["env"] == {"SIGNING_KEY_PEM": "${{ secrets.MODELGATE_SIGNING_KEY_PEM }}"}
    assert '"${RUNNER_TEMP}/' in write["run"] and "umask 077" in write["run"]
    assert 'if [ -z "$SIGNING_KEY_PEM" ]; then exit 0; fi' in write["run"]
    (release,) = [s for s in steps if "modelgate release " in str(s.get("run"))]
    (deploy,) = [s for s in steps if "modelgate deploy " in str(s.get("run"))]
    assert release["env"]["MODELGATE_SIGNING_KEY"] == "${{ steps.signing-key.outputs.path }}"
    assert release["env"]["MODELGATE_KMS_KEY_ID"] == "${{ vars.MODELGATE_KMS_KEY_ID }}"
    assert deploy["env"]["MODELGATE_STATEMENT_PUBKEY"] == (
        "${{ vars.MODELGATE_STATEMENT_PUBKEY }}")
    assert deploy["env"]["MODELGATE_KMS_KEY_ID"] == "${{ vars.MODELGATE_KMS_KEY_ID }}"
    assert steps.index(write) < steps.index(release) < steps.index(deploy)
    assert "PEM" not in release["run"] and "--signing-key" not in release["run"]


def test_the_release_publishes_the_card_with_a_contents_only_app_token() -> None:
    """--publish-card gets the App's token, minted with `contents: write` alone, right
    before the release step; the job's own GITHUB_TOKEN stays read-only."""
    steps = [s for _, _, s in workflow("release.yml").steps()]
    (mint,) = steps_using("release.yml", "actions/create-github-app-token")
    assert {k: v for k, v in mint["with"].items() if k.startswith("permission-")} == {
        "permission-contents": "write"}
    (release,) = [s for s in steps if "modelgate release " in str(s.get("run"))]
    assert "--publish-card" in release["run"]
    assert release["env"]["GITHUB_TOKEN"] == "${{ steps.app-token.outputs.token }}"
    assert steps.index(mint) + 1 == steps.index(release)
    assert set(job("release.yml")["permissions"].values()) <= {"read", "write"}
    assert job("release.yml")["permissions"]["contents"] == "read"


def test_the_rollback_records_its_move_in_the_ledger_and_the_registry() -> None:
    """rollback appends to the ledger mirrored in MLflow: it gets the tracking server."""
    (step,) = [s for _, _, s in workflow("rollback.yml").steps()
               if "modelgate rollback" in str(s.get("run"))]
    assert step["env"] == {
        "MLFLOW_TRACKING_URI": "${{ vars.MLFLOW_TRACKING_URI }}",
        "MLFLOW_TRACKING_USERNAME": "${{ secrets.MLFLOW_TRACKING_USERNAME }}",
        "MLFLOW_TRACKING_PASSWORD": "${{ secrets.MLFLOW_TRACKING_PASSWORD }}"}


def test_a_released_card_never_starts_a_model_check() -> None:
    """`paths` cannot sit beside `paths-ignore`: model_cards/ is a final `!` pattern."""
    paths = workflow("pr-check.yml").triggers["pull_request"]["paths"]
    assert "paths-ignore" not in workflow("pr-check.yml").triggers["pull_request"]
    assert paths[-1] == "!model_cards/**"


def test_the_release_reads_the_audited_evidence_of_the_audited_head() -> None:
    """The audited report comes from a successful PR check run on the audited head,
    looked up by the workflow and downloaded outside the workspace."""
    steps = [s for _, _, s in workflow("release.yml").steps()]
    (lookup,) = [s for s in steps if s.get("id") == "audited"]
    assert lookup["env"]["AUDITED_HEAD_SHA"] == "${{ inputs.audited_head_sha }}"
    assert "actions/workflows/pr-check.yml/runs" in lookup["run"]
    assert "status=success" in lookup["run"] and "event=pull_request" in lookup["run"]
    (download,) = steps_using("release.yml", DOWNLOAD_ARTIFACT)
    assert download["with"]["run-id"] == "${{ steps.audited.outputs.run-id }}"
    assert download["with"]["name"] == steps_using("pr-check.yml", UPLOAD_ARTIFACT)[0][
        "with"]["name"]
    assert steps.index(lookup) < steps.index(download)


def test_the_pr_check_checks_out_the_head_without_a_token() -> None:
    """The PR's own head is what gets audited; the read-only token is not left in .git."""
    (checkout,) = steps_using("pr-check.yml", CHECKOUT)
    assert checkout["with"] == {"ref": "${{ github.event.pull_request.head.sha }}",
                                "persist-credentials": False}


def test_the_pr_check_uploads_its_evidence_even_when_an_audit_failed() -> None:
    """A failing audit exits 1; the evidence of the failure is still uploaded."""
    (upload,) = steps_using("pr-check.yml", UPLOAD_ARTIFACT)
    assert upload["if"] == "always()"
    assert upload["with"]["if-no-files-found"] == "error"


def test_the_drift_monitor_runs_on_a_schedule() -> None:
    """A daily cron (five valid fields) plus a manual start."""
    triggers = workflow("drift.yml").triggers
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    (entry,) = triggers["schedule"]
    fields = entry["cron"].split()
    assert len(fields) == 5 and all(CRON_FIELD_RE.match(f) for f in fields)


def test_ci_runs_the_readme_commands() -> None:
    """The project's own CI: `make test` and `make lint` on pushes and pull requests."""
    assert set(workflow("ci.yml").triggers) == {"push", "pull_request"}
    runs = [s.get("run") for _, _, s in workflow("ci.yml").steps() if "run" in s]
    assert runs == ["make test", "make lint"]


def test_one_action_one_commit() -> None:
    """An action is pinned to the same commit everywhere, so one review covers all uses."""
    pins: dict[str, set[str]] = {}
    for wf in WORKFLOWS.values():
        for _, _, step in wf.steps():
            if "uses" in step:
                name, sha = str(step["uses"]).split("@")
                pins.setdefault(name, set()).add(sha)
    assert {name: len(shas) for name, shas in pins.items() if len(shas) > 1} == {}


# ----------------------------------------------------------------------------- the rules bite


def mutated(name: str, change: Any) -> Workflow:
    """A copy of a shipped workflow with one change applied to its parsed form."""
    original = workflow(name)
    doc = copy.deepcopy(original.doc)
    change(doc)
    return Workflow(path=original.path, text=original.text, doc=doc)


def first_step(doc: dict[str, Any], action: str) -> dict[str, Any]:
    for job_ in doc["jobs"].values():
        for step in job_["steps"]:
            if str(step.get("uses", "")).startswith(action + "@"):
                found: dict[str, Any] = step
                return found
    raise AssertionError(f"no {action} step")


def test_a_trusted_checkout_of_the_pr_head_is_caught() -> None:
    """It flags a workflow_run job that checks out the head it was triggered by."""
    def checkout_head(doc: dict[str, Any]) -> None:
        report = doc["jobs"]["report"]["steps"]
        next(s for s in report if str(s.get("uses", "")).startswith(CHECKOUT + "@"))[
            "with"]["ref"] = "${{ github.event.workflow_run.head_sha }}"

    problems = trusted_problems(mutated("pr-report.yml", checkout_head))
    assert any("takes the default ref" in p for p in problems)
    assert any("workflow_run.head_sha" in p for p in problems)


def test_a_trusted_shell_fetch_of_pr_code_is_caught() -> None:
    """It flags `git fetch`/`gh pr checkout` in a shell step of a trusted job."""
    def fetch(doc: dict[str, Any]) -> None:
        doc["jobs"]["handle"]["steps"][-1]["run"] = 'gh pr checkout "$PR" && make setup'

    assert any("fetches code" in p for p in trusted_problems(mutated("pr-commands.yml",
                                                                     fetch)))


def test_pr_files_as_data_only_in_a_job_without_write_token_or_secret() -> None:
    """The verdict job may check out the PR head into its own folder; give that job a
    write scope (or an App token) and the same checkout is flagged."""
    assert trusted_problems(workflow("pr-report.yml")) == []

    def with_write(doc: dict[str, Any]) -> None:
        doc["jobs"]["verdict"]["permissions"]["pull-requests"] = "write"

    problems = trusted_problems(mutated("pr-report.yml", with_write))
    assert any("takes the default ref" in p for p in problems)
    assert any("workflow_run.head_sha" in p for p in problems)


def test_an_artifact_downloaded_into_the_workspace_is_caught() -> None:
    """It flags a download that could overwrite the checked-out code, in any workflow."""
    def into_workspace(doc: dict[str, Any]) -> None:
        first_step(doc, DOWNLOAD_ARTIFACT)["with"]["path"] = "."

    assert any("runner.temp" in p for p in all_problems(mutated("pr-report.yml",
                                                                into_workspace)))
    assert any("runner.temp" in p for p in all_problems(mutated("release.yml",
                                                                into_workspace)))


def test_write_access_or_a_secret_in_the_pr_check_is_caught() -> None:
    """It flags the untrusted job getting a write scope or reading a secret."""
    def write_and_secret(doc: dict[str, Any]) -> None:
        doc["jobs"]["check"]["permissions"]["pull-requests"] = "write"
        doc["jobs"]["check"]["steps"][0]["env"] = {"T": "${{ secrets.TOKEN }}"}

    wf = mutated("pr-check.yml", write_and_secret)
    broken = Workflow(path=wf.path, text=wf.text + "\n# ${{ secrets.TOKEN }}\n", doc=wf.doc)
    problems = untrusted_problems(broken)
    assert any("pull-requests: write" in p for p in problems)
    assert any("'secrets.'" in p for p in problems)


def test_an_expression_in_a_shell_line_is_caught() -> None:
    """It flags `${{ github.event.* }}` text interpolated into a run: script."""
    def inject(doc: dict[str, Any]) -> None:
        doc["jobs"]["check"]["steps"][-2]["run"] = (
            "modelgate evidence --pr ${{ github.event.pull_request.number }}")

    assert expressions_in_run(mutated("pr-check.yml", inject)) != []


def test_an_unpinned_action_is_caught() -> None:
    """It flags a tag instead of a commit, in the parsed form and in the text."""
    def by_tag(doc: dict[str, Any]) -> None:
        first_step(doc, CHECKOUT)["uses"] = "actions/checkout@v5"

    assert unpinned_actions(mutated("ci.yml", by_tag)) != []
    assert not PINNED_USES_RE.match("actions/checkout@08c6903")
    text_only = workflow("ci.yml")
    stripped = Workflow(path=text_only.path, doc=text_only.doc,
                        text=re.sub(r" # v\d+\.\d+\.\d+", "", text_only.text))
    assert any("no '# vX.Y.Z' comment" in p for p in unpinned_actions(stripped))


def test_missing_permissions_timeouts_and_persisted_tokens_are_caught() -> None:
    """It flags inherited permissions, a job without a timeout and a checkout that keeps
    its token."""
    def loosen(doc: dict[str, Any]) -> None:
        doc["permissions"] = "read-all"
        del doc["jobs"]["test"]["permissions"]
        del doc["jobs"]["test"]["timeout-minutes"]
        del first_step(doc, CHECKOUT)["with"]["persist-credentials"]

    wf = mutated("ci.yml", loosen)
    assert len(permission_problems(wf)) == 2
    assert len(timeout_problems(wf)) == 1
    assert len(credential_problems(wf)) == 1


# --- the scan cache -----------------------------------------------------------------------

SCAN_CACHE_FILE = SCAN_CACHE_PATH + "/scan.json"


def _step_index(name: str, job_id: str, predicate: Any) -> int:
    (index,) = [i for j, i, s in workflow(name).steps() if j == job_id and predicate(s)]
    return index


def _runs(command: str) -> Any:
    return lambda s: f"modelgate {command} " in str(s.get("run", "")) + " "


@pytest.mark.parametrize("name, job_id, command, saves", [
    ("pr-check.yml", "check", "check", False),
    ("pr-report.yml", "verdict", "verdict", True),
    ("release.yml", "release", "release", True),
])
def test_the_scan_cache_is_restored_everywhere_and_saved_only_by_trusted_jobs(
        name: str, job_id: str, command: str, saves: bool) -> None:
    """The PR check restores the scan cache and never saves it; the trusted verdict and
    the release restore it before their audits and save it after; each audit step finds
    the file through MODELGATE_SCAN_CACHE."""
    wf = workflow(name)
    steps = [(j, i, s) for j, i, s in wf.steps() if j == job_id]
    restores = [i for _, i, s in steps if action_of(s) == CACHE_RESTORE]
    saves_at = [i for _, i, s in steps if action_of(s) == CACHE_SAVE]
    audit = _step_index(name, job_id, _runs(command))
    assert len(restores) == 1 and restores[0] < audit
    assert saves_at == ([s for s in saves_at if s > audit] if saves else [])
    assert len(saves_at) == (1 if saves else 0)
    assert all(scan_cache_step(s) for _, _, s in steps
               if action_of(s) in (CACHE_RESTORE, CACHE_SAVE))
    assert not any(action_of(s) == CACHE for _, _, s in steps)
    audit_step = next(s for _, i, s in steps if i == audit)
    assert audit_step["env"]["MODELGATE_SCAN_CACHE"] == SCAN_CACHE_FILE
    for _, _, s in steps:
        if action_of(s) in (CACHE_RESTORE, CACHE_SAVE):
            assert set(s["with"]) <= {"path", "key", "restore-keys"}


def test_a_cache_saved_by_the_pr_check_or_another_cache_in_a_trusted_job_is_caught() -> None:
    """It flags the PR check saving a cache (its entries would be the PR code's), and a
    trusted job restoring or saving any cache but the content-keyed scan cache."""
    def save_in_pr_check(doc: dict[str, Any]) -> None:
        step = copy.deepcopy(first_step(doc, CACHE_RESTORE))
        step["uses"] = step["uses"].replace(CACHE_RESTORE, CACHE_SAVE)
        del step["with"]["restore-keys"]
        doc["jobs"]["check"]["steps"].append(step)

    assert any("runs PR code saves a cache" in p
               for p in all_problems(mutated("pr-check.yml", save_in_pr_check)))

    def other_cache(doc: dict[str, Any]) -> None:
        first_step(doc, CACHE_RESTORE)["with"]["restore-keys"] = "pip-"
        first_step(doc, CACHE_SAVE)["with"]["key"] = "pip-${{ github.run_id }}"

    problems = all_problems(mutated("pr-report.yml", other_cache))
    assert any("restores a cache other than" in p for p in problems)
    assert any("other than the scan cache is saved" in p for p in problems)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The ``modelgate`` command lines in the workflows, parsed by the real CLI parser and
checked for order, so a renamed flag, a missing subcommand or a step moved out of place
fails here rather than on a pull request. (Running them end to end is the E2E test's job.)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re

import pytest

from modelgate.bot.cli.main import build_parser
from tests.workflows_support import (
    AWS_CREDENTIALS,
    DOWNLOAD_ARTIFACT,
    UPLOAD_ARTIFACT,
    Invocation,
    Workflow,
    action_of,
    dummy_value,
    flag_value,
    load_workflows,
    modelgate_invocations,
    substitute,
    undefined_variables,
)

WORKFLOWS = load_workflows()
INVOCATIONS = [inv for wf in WORKFLOWS.values() for inv in modelgate_invocations(wf)]

# the modelgate subcommands of each workflow, in the order they must run
EXPECTED_COMMANDS = {
    "pr-check.yml": ["check", "evidence"],
    "pr-report.yml": ["verdict", "report"],
    "pr-commands.yml": ["handle"],
    "pr-labels.yml": ["handle"],
    "pr-review.yml": [],
    "release.yml": ["release", "package", "deploy"],
    "rollback.yml": ["rollback"],
    "drift.yml": ["drift"],
    "ci.yml": [],
}
# Subcommands other engineers are still adding to bot/cli.py (issue 7). While one is not
# registered, its workflow line is an expected failure (xfail) with the parser's message;
# once registered it must parse like every other line. Names not listed here get no grace.
PENDING_SUBCOMMANDS: frozenset[str] = frozenset()
# installs modelgate at the caller's pin (or, here, `make setup` from uv.lock) and puts
# that one install first on PATH for the steps after it
INSTALL_STEP = "Install modelgate (the caller's pin)"


def step_position(workflow: Workflow, *, action: str = "", run: str = "",
                  job_id: str | None = None, name: str = "") -> int:
    """Index of the one step using ``action`` (or whose run: is ``run``) in the job
    (the only one, unless ``job_id`` names it)."""
    if job_id is None:
        (job,) = workflow.jobs.values()
    else:
        job = workflow.jobs[job_id]
    found = [i for i, step in enumerate(job["steps"])
             if (action and action_of(step) == action) or (run and step.get("run") == run)
             or (name and step.get("name") == name)]
    assert len(found) == 1, f"{workflow.file}: {len(found)} steps match {action or run!r}"
    return found[0]


def invocations(name: str) -> list[Invocation]:
    return [inv for inv in INVOCATIONS if inv.workflow == name]


def registered_subcommands() -> set[str]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def parse(invocation: Invocation) -> tuple[int, str]:
    """Run the real argparse parser; (exit status or 0, its error output)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = build_parser().parse_args(substitute(invocation.argv))
        except SystemExit as exc:
            return int(exc.code or 0), err.getvalue()
    assert args.command == invocation.command
    return 0, ""


def test_every_workflow_runs_its_modelgate_commands_in_order() -> None:
    """check then evidence; release then package then deploy; one command elsewhere."""
    got = {name: [inv.command for inv in invocations(name)] for name in WORKFLOWS}
    assert got == EXPECTED_COMMANDS


@pytest.mark.parametrize("invocation", INVOCATIONS, ids=lambda inv: inv.label)
def test_the_cli_accepts_each_command_line(invocation: Invocation) -> None:
    """The subcommand exists and takes exactly these flags (values from env: stand-ins)."""
    status, error = parse(invocation)
    if (status != 0 and invocation.command in PENDING_SUBCOMMANDS
            and invocation.command not in registered_subcommands()):
        pytest.xfail(f"modelgate {invocation.command} is not in bot/cli.py yet")
    assert status == 0, (f"{invocation.label}: modelgate {' '.join(invocation.argv)}\n"
                         f"rejected by modelgate.bot.cli.main.build_parser(): {error.strip()}")


@pytest.mark.parametrize("invocation", INVOCATIONS, ids=lambda inv: inv.label)
def test_each_variable_a_command_uses_is_set(invocation: Invocation) -> None:
    """Every $VAR on a modelgate line comes from env: or the script, so a typo is no
    silent empty argument."""
    assert undefined_variables(invocation) == []


@pytest.mark.parametrize("invocation", INVOCATIONS, ids=lambda inv: inv.label)
def test_commands_run_the_locked_install_after_it_is_made(invocation: Invocation) -> None:
    """modelgate is the one the install step put on PATH (the caller's pin), installed
    before the step runs; the script names it as ``modelgate``, never a path into the
    checkout (whose .venv a pull request could have committed)."""
    workflow = WORKFLOWS[invocation.workflow]
    assert invocation.step_name, "a modelgate step has a name for the log"
    assert step_position(workflow, name=INSTALL_STEP, job_id=invocation.job) < invocation.step_index
    script = str(workflow.jobs[invocation.job]["steps"][invocation.step_index]["run"])
    assert re.search(r"(^|\s)modelgate\s", script) and ".venv/bin/modelgate" not in script


def test_the_evidence_joins_the_check_output_and_is_what_gets_uploaded() -> None:
    """evidence writes into check's --out, and that directory is uploaded after both."""
    check, evidence = invocations("pr-check.yml")
    workflow = WORKFLOWS["pr-check.yml"]
    upload_at = step_position(workflow, action=UPLOAD_ARTIFACT)
    assert check.step_index < evidence.step_index < upload_at
    out = flag_value(check.argv, "--out")
    assert out is not None and flag_value(evidence.argv, "--out") == out
    (job,) = workflow.jobs.values()
    assert job["steps"][upload_at]["with"]["path"].rstrip("/") == out.rstrip("/")


def test_the_evidence_step_runs_when_an_audit_failed() -> None:
    """check exits 1 on a failed audit; evidence of that failure is still written."""
    _, evidence = invocations("pr-check.yml")
    (job,) = WORKFLOWS["pr-check.yml"].jobs.values()
    condition = str(job["steps"][evidence.step_index].get("if", ""))
    assert "!cancelled()" in condition or "always()" in condition
    assert "steps.check.outcome" in condition


def test_the_evidence_names_the_pull_request_and_its_head() -> None:
    """--pr and --head-sha come from the pull_request event, through env:."""
    _, evidence = invocations("pr-check.yml")
    assert flag_value(evidence.argv, "--pr") == "$PR_NUMBER"
    assert flag_value(evidence.argv, "--head-sha") == "$HEAD_SHA"
    assert evidence.env["PR_NUMBER"] == "${{ github.event.pull_request.number }}"
    assert evidence.env["HEAD_SHA"] == "${{ github.event.pull_request.head.sha }}"


def test_the_verdict_reads_the_pr_tree_and_the_artifact_that_were_fetched() -> None:
    """verdict --pr-tree is the PR checkout's folder, --artifact the download's path, and
    its --out is what gets uploaded; it runs from the default branch's checkout."""
    verdict, _ = invocations("pr-report.yml")
    workflow = WORKFLOWS["pr-report.yml"]
    job = workflow.jobs["verdict"]
    download_at = step_position(workflow, action=DOWNLOAD_ARTIFACT, job_id="verdict")
    upload_at = step_position(workflow, action=UPLOAD_ARTIFACT, job_id="verdict")
    assert download_at < verdict.step_index < upload_at
    assert flag_value(verdict.argv, "--artifact") == "$ARTIFACT_DIR"
    assert verdict.env["ARTIFACT_DIR"] == job["steps"][download_at]["with"]["path"]
    assert verdict.env["PR_TREE"] == "${{ github.workspace }}/pr"
    assert verdict.env["VERDICT_DIR"] == job["steps"][upload_at]["with"]["path"].rstrip("/")
    assert job["steps"][verdict.step_index]["working-directory"] == "modelgate"
    assert flag_value(verdict.argv, "--base-config") == "governance.yml"


def test_the_report_reads_the_verdict_that_was_downloaded() -> None:
    """report --artifact is the trusted verdict, downloaded from this run."""
    _, report = invocations("pr-report.yml")
    workflow = WORKFLOWS["pr-report.yml"]
    download_at = step_position(workflow, action=DOWNLOAD_ARTIFACT, job_id="report")
    assert download_at < report.step_index
    job = workflow.jobs["report"]
    assert flag_value(report.argv, "--artifact") == "$VERDICT_DIR"
    assert report.env["VERDICT_DIR"] == job["steps"][download_at]["with"]["path"]
    assert report.env["GITHUB_TOKEN"] == "${{ steps.app-token.outputs.token }}"


@pytest.mark.parametrize("name", ["pr-commands.yml", "pr-labels.yml"])
def test_handle_gets_a_token_and_reads_the_event_from_the_runner(name: str) -> None:
    """handle takes no arguments: event name, payload path and repository are the runner's."""
    (handle,) = invocations(name)
    assert handle.argv == ("handle",)
    assert handle.env == {"GITHUB_TOKEN": "${{ steps.app-token.outputs.token }}",
                          "MODELGATE_BOT_LOGIN": "${{ steps.app-token.outputs.app-slug }}[bot]"}


@pytest.mark.parametrize("name", ["pr-commands.yml", "pr-labels.yml"])
def test_handle_dispatches_this_release_workflow_with_its_inputs(name: str) -> None:
    """After its merge, handle dispatches release.yml with exactly the inputs it declares,
    and looks for the PR check's artifact under the name it is uploaded as."""
    from modelgate.bot.chain.sync import RELEASE_INPUTS

    (handle,) = invocations(name)
    args = build_parser().parse_args(substitute(handle.argv))
    release = WORKFLOWS[args.release_workflow]
    assert set(release.triggers["workflow_dispatch"]["inputs"]) == set(RELEASE_INPUTS)
    (job,) = WORKFLOWS["pr-check.yml"].jobs.values()
    uploads = [s for s in job["steps"] if action_of(s) == UPLOAD_ARTIFACT]
    assert [s["with"]["name"] for s in uploads] == [args.artifact_name]


def test_the_release_passes_its_inputs_and_deploys_what_it_packaged() -> None:
    """release gets the three dispatch inputs and the downloaded audited report; deploy
    ships package's zip, after AWS login."""
    release, package, deploy = invocations("release.yml")
    assert release.step_index < package.step_index < deploy.step_index
    assert {flag: flag_value(release.argv, flag) for flag in
            ("--merge-sha", "--pr", "--audited-head-sha")} == {
        "--merge-sha": "$MERGE_SHA", "--pr": "$PR_NUMBER",
        "--audited-head-sha": "$AUDITED_HEAD_SHA"}
    assert {release.env[v] for v in ("MERGE_SHA", "PR_NUMBER", "AUDITED_HEAD_SHA")} == {
        "${{ inputs.merge_sha }}", "${{ inputs.pr_number }}", "${{ inputs.audited_head_sha }}"}
    (job,) = WORKFLOWS["release.yml"].jobs.values()
    download_at = step_position(WORKFLOWS["release.yml"], action=DOWNLOAD_ARTIFACT)
    assert download_at < release.step_index
    assert flag_value(release.argv, "--audited-report") == "$AUDITED_DIR/audit_report.json"
    assert release.env["AUDITED_DIR"] == job["steps"][download_at]["with"]["path"]
    zip_path = flag_value(package.argv, "--out")
    assert zip_path is not None and flag_value(deploy.argv, "--zip") == zip_path
    assert step_position(WORKFLOWS["release.yml"], action=AWS_CREDENTIALS) < release.step_index


@pytest.mark.parametrize("name", ["rollback.yml", "drift.yml"])
def test_aws_commands_run_after_the_role_is_assumed(name: str) -> None:
    """Credentials exist before the command that needs them."""
    (command,) = invocations(name)
    assert step_position(WORKFLOWS[name], action=AWS_CREDENTIALS) < command.step_index


def test_the_drift_window_is_computed_in_the_script() -> None:
    """drift reads CloudWatch over an explicit window; the function comes from
    governance.yml (the CLI's default), so it is not copied into the workflow."""
    (drift,) = invocations("drift.yml")
    assert "--cloudwatch" in drift.argv and "--github-issue" in drift.argv
    assert flag_value(drift.argv, "--function") is None
    assert {flag_value(drift.argv, f) for f in ("--since", "--until")} == {
        "$since_ts", "$until_ts"}
    assert {"since_ts", "until_ts"} <= drift.assigned
    assert drift.env["MLFLOW_TRACKING_URI"] == "${{ vars.MLFLOW_TRACKING_URI }}"


# ----------------------------------------------------------------------------- the test bites


def test_a_renamed_flag_is_rejected() -> None:
    """It fails a command line whose flag the CLI does not know."""
    (check, _) = invocations("pr-check.yml")
    renamed = Invocation(workflow=check.workflow, job=check.job, step_index=check.step_index,
                         step_name=check.step_name, argv=("check", "--output", "out"))
    status, error = parse(renamed)
    assert status == 2 and "--output" in error


def test_only_subcommands_being_written_are_pending() -> None:
    """The grace list names commands the workflows use, and never one the CLI has had."""
    used = {inv.command for inv in INVOCATIONS}
    assert used >= PENDING_SUBCOMMANDS
    assert "check" in registered_subcommands() and "check" not in PENDING_SUBCOMMANDS


def test_a_missing_subcommand_is_rejected() -> None:
    """It fails a command line whose subcommand the CLI does not have."""
    bogus = Invocation(workflow="x.yml", job="j", step_index=0, step_name="n",
                       argv=("no-such-command", "--out", "out"))
    status, error = parse(bogus)
    assert status == 2 and "no-such-command" in error


def test_an_undefined_variable_is_caught() -> None:
    """It flags $VARS that nothing sets, but not the runner's own GITHUB_* variables."""
    inv = Invocation(workflow="x.yml", job="j", step_index=0, step_name="n",
                     argv=("report", "--artifact", "$ARTIFCT_DIR", "--run-url",
                           "${GITHUB_SERVER_URL}/x"), env={"ARTIFACT_DIR": "/tmp"})
    assert undefined_variables(inv) == ["ARTIFCT_DIR"]


def test_stand_in_values_have_the_shape_the_flags_expect() -> None:
    """SHAs are 40 hex digits, numbers are numbers, times are ISO 8601."""
    assert len(dummy_value("HEAD_SHA")) == 40
    assert dummy_value("PR_NUMBER").isdigit()
    assert dummy_value("since_ts").endswith("Z")

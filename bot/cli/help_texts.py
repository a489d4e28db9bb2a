# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What ``modelgate COMMAND --help`` says beyond the options: a description, an example and
the exit codes that command can end with, one entry per command.

:func:`modelgate.bot.cli.main.build_parser` applies an entry to the command of the same name when a
family registers it, so a family module names its options and nothing else; a new command
adds its entry here (``tests/cli/test_conventions.py`` checks that every command has one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from modelgate.errors import ExitCode, describe_exit_codes

E = ExitCode


@dataclass(frozen=True)
class CommandHelp:
    """A command's ``--help`` description, examples and exit codes."""

    description: str
    examples: tuple[str, ...]
    codes: tuple[ExitCode, ...]
    meanings: Mapping[ExitCode, str] = field(default_factory=dict)

    def epilog(self) -> str:
        """The examples, then the exit codes (the command's own wording where it has one)."""
        examples = "\n".join(f"  {line}" for line in self.examples)
        codes = describe_exit_codes(sorted({*self.codes, E.INTERNAL}),
                                    {**SHORT_MEANINGS, **self.meanings})
        return f"example:\n{examples}\n\nexit status:\n{codes}"


# a command's page says it shorter than ``modelgate --help`` (which speaks for them all)
SHORT_MEANINGS = {
    E.OK: "success",
    E.FAILED: "refused",
    E.USAGE: "bad usage, input or configuration (governance.yml included)",
    E.INSUFFICIENT_DATA: "not enough data to decide",
    E.GITHUB_FAILED: "GitHub refused a call or could not be reached",
    E.SERVICE_FAILED: "MLflow or AWS failed or refused a call",
    E.INTERNAL: "a bug in modelgate: one line names the file holding the traceback "
                "(--verbose prints it)",
}

# every command that reads governance.yml can end with a bad configuration (2)
_BASE = (E.OK, E.USAGE)

HELP: dict[str, CommandHelp] = {
    "train": CommandHelp(
        "Run the governed training on the configured data: verify the data against its\n"
        "manifest, fit and evaluate, log the run with all its evidence to MLflow and\n"
        "register a model version. A working tree with uncommitted changes is refused\n"
        "before anything runs; --allow-dirty trains anyway into a scratch store under\n"
        ".modelgate/scratch and registers no version in the team's registry.",
        ("modelgate train", "modelgate train --json --tracking-uri http://mlflow:5000"),
        (*_BASE, E.SERVICE_FAILED),
        {E.USAGE: "invalid governance.yml or data, a dirty working tree"}),
    "check": CommandHelp(
        "Train (as `modelgate train`), run every audit with a time limit each, and write\n"
        "audit_report.json, checklist.md and the model card into --out. This is the PR job.",
        ("modelgate check --out out", "modelgate check --allow-dirty --audit-timeout 600"),
        (E.OK, E.FAILED, E.USAGE, E.SERVICE_FAILED),
        {E.FAILED: "an audit failed (the report says which)",
         E.USAGE: "invalid governance.yml or data, a dirty working tree"}),
    "validate-config": CommandHelp(
        "Read governance.yml and validate every key; an invalid one is named with its value.",
        ("modelgate validate-config --config path/to/governance.yml",),
        _BASE, {E.USAGE: "governance.yml is missing or invalid"}),
    "handle": CommandHelp(
        "Handle the GitHub event of this Actions job: an /approve, /hold or label command,\n"
        "a review, a push or a check run. Reads GITHUB_EVENT_NAME, GITHUB_EVENT_PATH,\n"
        "GITHUB_REPOSITORY, GITHUB_TOKEN and GITHUB_API_URL as Actions sets them; an event\n"
        "that needs nothing exits 0 after saying why.",
        ("modelgate handle --merge-method squash",),
        (E.OK, E.FAILED, E.USAGE, E.GITHUB_FAILED, E.SERVICE_FAILED),
        {E.FAILED: "the event was refused (the reply on the PR says why)",
         E.USAGE: "the job's environment or the event payload is unusable"}),
    "report": CommandHelp(
        "Post an audit artifact on its pull request: the one card comment (edited in\n"
        "place), the modelgate check run and the labels, after GitHub confirms the head.",
        ("modelgate report --artifact modelgate-audit.zip --pr 42",),
        (E.OK, E.FAILED, E.USAGE, E.GITHUB_FAILED, E.SERVICE_FAILED),
        {E.USAGE: "the artifact or the job's environment is unusable"}),
    "evidence": CommandHelp(
        "Add the pull request's metadata and the evaluation evidence to the output of\n"
        "`modelgate check`, making it the audit artifact the trusted jobs read as data.",
        ("modelgate evidence --out out --pr 42 --head-sha 0123abc",),
        (*_BASE, E.FAILED),
        {E.FAILED: "the evidence cannot be assembled"}),
    "release": CommandHelp(
        "After the merge: check that the merged tree is the audited head's tree, retrain at\n"
        "the merge commit, require the audited fingerprint, re-run the audits, then promote\n"
        "and export the bundle (unless --no-promote). Prints the release record as JSON.",
        ("modelgate release --merge-sha abc123 --pr 42 --audited-head-sha def456 \\\n"
         "      --audited-report artifact/audit_report.json --record out/release.json",),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "the release was refused (tree, fingerprint or audits differ)"}),
    "verify": CommandHelp(
        "Verify a bundle and its signed release statement offline (every file's sha256, the\n"
        "signature, the trusted key), or with --registry compare the MLflow and Lambda\n"
        "aliases with the ledger's head: an alias move the ledger does not hold is an\n"
        "incident.",
        ("modelgate verify s3://bucket/bundles/model/v3 --key release.pub",
         "modelgate verify --registry"),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "the bundle, its statement or an alias does not verify"}),
    "history": CommandHelp(
        "Answer which model version served at a given time, with its release statement,\n"
        "from the hash-chained ledger of alias moves.",
        ("modelgate history --at 2026-12-01T10:00:00Z --json",),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "nothing served then, or the ledger does not verify"}),
    "data": CommandHelp(
        "Data files the model trains on: `modelgate data add PATH` writes a data file's\n"
        "manifest (sha256, rows, columns, types, id column) and its REUSE licence entry.",
        ("modelgate data add data/visits.csv --license CC-BY-4.0 --copyright '2024 Example' \\\n"
         "      --source https://example.org/visits --id-column visit_id",),
        _BASE,
        {E.USAGE: "bad input: unreadable CSV, a missing or repeated id, a licence that is "
                  "not SPDX, an existing manifest without --force"}),
    "init": CommandHelp(
        "Make this git repository ready for the gate: write governance.yml (every key\n"
        "commented), the caller workflows pinned to a modelgate commit, model_cards/, the\n"
        "data manifest and its REUSE entries and a .gitignore line; validate the result as\n"
        "validate-config does and say what is still to do on GitHub (doctor runs when\n"
        "GITHUB_TOKEN and --repo are given). A missing flag is asked for on a terminal.\n"
        "A second run keeps every file; a file that differs needs --force.",
        ("modelgate init --data data/churn.csv --target churned --id-column customer_id \\\n"
         "      --license CC-BY-4.0 --copyright '2026 Example Ltd' --source 'CRM export' \\\n"
         "      --role data-steward=dana --role ml-reviewer=mo --role gate-owners=gita \\\n"
         "      --modelgate-ref 0123456789abcdef0123456789abcdef01234567",),
        _BASE,
        {E.OK: "written (or already there) and valid",
         E.USAGE: "bad usage or input: a missing flag without a terminal, an unknown "
                  "column, not a git repository, a file that would be overwritten without "
                  "--force, a governance.yml that does not validate"}),
    "trace": CommandHelp(
        "Trace one served prediction (by its request_id) back to the model version, run,\n"
        "data hash, commit, audits and approvals, and optionally the Lambda deploy.",
        ("modelgate trace 5f0c8e1a-... --log serving.log",
         "modelgate trace 5f0c8e1a-... --cloudwatch --with-deploy --json"),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "the request or its model cannot be found"}),
    "promote": CommandHelp(
        "Promote an audited model version to the staging or production alias: check its\n"
        "evidence, export the bundle, check parity, upload it to S3 with its sha256, move\n"
        "the MLflow alias and write promotion.json.",
        ("modelgate promote --version 3 --alias staging",
         "modelgate promote --version 3 --alias production --require-staging"),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "the version may not be promoted (the message names what is missing)"}),
    "serve": CommandHelp(
        "Serve a bundle locally with uvicorn: the same FastAPI app Lambda runs, with\n"
        "/health, /model-info, /predict and /docs. The bundle is verified before it starts.",
        ("modelgate serve --bundle out/promotions/model-v3-staging/bundle --port 8080",),
        (E.OK, E.FAILED, E.USAGE),
        {E.FAILED: "the bundle cannot be served or the settings are refused"}),
    "package": CommandHelp(
        "Build the Lambda zip from uv.lock for the given runtime and architecture, and print\n"
        "its size report (the zip must stay under Lambda's 250 MB unzipped limit).",
        ("modelgate package --out dist/lambda.zip --arch arm64",),
        (E.OK, E.FAILED, E.USAGE),
        {E.FAILED: "the package cannot be built or must not be shipped"}),
    "deploy": CommandHelp(
        "Publish the zip as a new, immutable Lambda version serving the promoted bundle\n"
        "(pinned to the sha256 recorded at promotion) and move the live alias to it.",
        ("modelgate deploy --zip dist/lambda.zip --record out/deploy.json",),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "refused: no promoted version, or its bundle changed since"}),
    "rollback": CommandHelp(
        "Move the live Lambda alias back to the previously deployed version.",
        ("modelgate rollback --record out/rollback.json",),
        (*_BASE, E.FAILED, E.SERVICE_FAILED),
        {E.FAILED: "there is no earlier version to roll back to"}),
    "drift": CommandHelp(
        "Compare served inputs and predictions with the model version's training baseline,\n"
        "from request log files or the function's CloudWatch log group; write the report\n"
        "and, with --github-issue, open or update the version's drift issue.",
        ("modelgate drift --log requests.jsonl --since 2026-01-01T00:00",
         "modelgate drift --cloudwatch --github-issue --out drift-report"),
        (E.OK, E.FAILED, E.USAGE, E.INSUFFICIENT_DATA, E.GITHUB_FAILED, E.SERVICE_FAILED),
        {E.OK: "no drift",
         E.FAILED: "drift found",
         E.USAGE: "bad input: no baseline, no logs in the window, an unknown version, "
                  "unreadable files",
         E.INSUFFICIENT_DATA: "fewer scored records than drift.min_requests: neither pass "
                              "nor fail",
         E.GITHUB_FAILED: "the report is written, its GitHub issue is not"}),
    "verdict": CommandHelp(
        "Recompute every audit verdict with this (trusted) modelgate, reading a pull\n"
        "request's checkout and its PR job's artifact as data, never running them. Run it\n"
        "with the default branch's modelgate, in a job with no write token and no secret.",
        ("modelgate verdict --pr-tree pr --artifact modelgate-audit.zip --pr 42 \\\n"
         "      --head-sha def456 --base-config base/governance.yml",),
        (E.OK, E.FAILED, E.USAGE),
        {E.OK: "every audit passed",
         E.FAILED: "an audit failed (verdict.json names those the PR job passed)",
         E.USAGE: "bad input: --pr-tree, --artifact, --base-config or --out unusable"}),
    "doctor": CommandHelp(
        "Read the repository's settings and say, line by line, what is missing for the gate\n"
        "to be sound, with the exact setting to change. Token: GITHUB_TOKEN or GH_TOKEN (a\n"
        "repository admin's reads everything); MODELGATE_APP_PRIVATE_KEY lets it read the\n"
        "App's installation too.",
        ("GITHUB_TOKEN=... modelgate doctor --repo owner/name",),
        (E.OK, E.FAILED, E.USAGE, E.GITHUB_FAILED),
        {E.OK: "sound (risks may be listed)",
         E.FAILED: "unsound: a line is marked ✗",
         E.USAGE: "no token, a bad --repo, an invalid governance.yml or workflow file",
         E.GITHUB_FAILED: "some settings could not be read and nothing read was unsound"}),
}

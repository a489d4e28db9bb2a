# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate handle`` and ``modelgate report``: the bot's two entry points in Actions.

Both read what GitHub Actions hands a job (``GITHUB_EVENT_NAME``, ``GITHUB_EVENT_PATH``,
``GITHUB_REPOSITORY``, ``GITHUB_TOKEN``, ``GITHUB_API_URL``), build the GitHub adapter
once, and pass it in. Known failures (a bad event, a refused artifact, GitHub refusing a
request, an invalid ``governance.yml`` on the base branch) are
:class:`~modelgate.errors.ModelgateError`: one clear message and their exit code; an
event that needs nothing exits 0 after saying why. Both entry functions catch them
themselves (tests call them directly, with a sleep they control).
"""

from __future__ import annotations

import argparse
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.bot.chain.check_run import write_job_summary
from modelgate.bot.chain.dispatch import handle_event
from modelgate.bot.chain.sync import (
    DEFAULT_BOT_LOGIN,
    ApprovalBot,
    BotConfig,
    ReportInput,
    run_report,
)
from modelgate.bot.check.artifact import AuditArtifact, StaleArtifact, load_artifact
from modelgate.bot.cli.support import boto3_client
from modelgate.bot.github.api import DEFAULT_REQUEST_INTERVAL, DEFAULT_WRITE_INTERVAL, PyGithubApi
from modelgate.bot.github.events import read_event
from modelgate.errors import ExitCode, ModelgateError, UsageError
from modelgate.progress import Reporter

DEFAULT_API_URL = "https://api.github.com"
REPO_RE = re.compile(r"^[\w.-]+/[\w.-]+$")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")

MISSING_ENV = "{name} is not set: run this in GitHub Actions or set it by hand"
BAD_REPO = "GITHUB_REPOSITORY must be owner/name, got {value!r}"
TITLE_HANDLE = "modelgate handle"
TITLE_REPORT = "modelgate report"
STALE = "{error}; this report is superseded and nothing was posted"
HANDLED = "{action}: {reason}"

Sleep = Callable[[float], None]


def _one_line(text: str) -> str:
    """Text that may quote an artifact or a payload, unable to start a workflow command."""
    return CONTROL_RE.sub(" ", text)


class SettingsError(UsageError):
    """The job's environment lacks what the bot needs."""


@dataclass(frozen=True)
class Settings:
    repo: str
    token: str
    api_url: str
    org_token: str | None
    run_url: str | None
    summary_path: Path | None
    config: BotConfig
    request_interval: float
    write_interval: float

    @classmethod
    def from_env(cls, env: Mapping[str, str], args: argparse.Namespace) -> Settings:
        repo = env.get("GITHUB_REPOSITORY", "")
        if not repo:
            raise SettingsError(MISSING_ENV.format(name="GITHUB_REPOSITORY"))
        if not REPO_RE.match(repo):
            raise SettingsError(BAD_REPO.format(value=repo))
        token = env.get("GITHUB_TOKEN", "")
        if not token:
            raise SettingsError(MISSING_ENV.format(name="GITHUB_TOKEN"))
        server, run_id = env.get("GITHUB_SERVER_URL"), env.get("GITHUB_RUN_ID")
        run_url = None
        if server and run_id:
            run_url = f"{server.rstrip('/')}/{repo}/actions/runs/{run_id}"
        summary = env.get("GITHUB_STEP_SUMMARY")
        config = BotConfig(
            bot_login=args.bot_login or env.get("MODELGATE_BOT_LOGIN") or DEFAULT_BOT_LOGIN,
            governance_path=args.governance_path,
            merge_method=args.merge_method,
            release_workflow=args.release_workflow,
            audit_workflow=args.audit_workflow,
            artifact_name=args.artifact_name,
        )
        return cls(
            repo=repo,
            token=token,
            api_url=(args.api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/"),
            org_token=env.get("MODELGATE_ORG_TOKEN") or None,
            run_url=run_url,
            summary_path=Path(summary) if summary else None,
            config=config,
            request_interval=args.request_interval,
            write_interval=args.write_interval,
        )


def build_bot(settings: Settings, rep: Reporter, *, sleep: Sleep = time.sleep) -> ApprovalBot:
    """The one client (two when an organisation token is given) and the bot around it."""
    api = PyGithubApi.connect(
        settings.repo, settings.token, api_url=settings.api_url, org_token=settings.org_token,
        request_interval=settings.request_interval, write_interval=settings.write_interval,
        sleep=sleep, log=rep.warning,
    )
    return ApprovalBot(api, settings.config, rep, sleep=sleep)


def run_handle(
    args: argparse.Namespace, rep: Reporter, env: Mapping[str, str], *, sleep: Sleep = time.sleep
) -> int:
    """Handle the event of this job; ``env`` and ``sleep`` are passed in for tests."""
    try:
        settings = Settings.from_env(env, args)
        name = env.get("GITHUB_EVENT_NAME", "")
        path = env.get("GITHUB_EVENT_PATH", "")
        if not path:
            raise SettingsError(MISSING_ENV.format(name="GITHUB_EVENT_PATH"))
        event = read_event(name, Path(path))
        bot = build_bot(settings, rep, sleep=sleep)
        handled = handle_event(
            event, bot, summary=lambda text: write_job_summary(settings.summary_path, text)
        )
    except StaleArtifact as exc:
        rep.warning(STALE.format(error=exc), title=TITLE_HANDLE)
        return ExitCode.OK
    except ModelgateError as exc:
        rep.error(str(exc), title=TITLE_HANDLE)
        return exc.exit_code
    rep.info(HANDLED.format(action=handled.action, reason=_one_line(handled.reason)))
    return ExitCode.FAILED if handled.failed else ExitCode.OK


def run_report_command(
    args: argparse.Namespace, rep: Reporter, env: Mapping[str, str], *, sleep: Sleep = time.sleep
) -> int:
    """Post the report of an artifact already on disk (zip or directory)."""
    try:
        settings = Settings.from_env(env, args)
        artifact = load_artifact(args.artifact)
        if args.production == "lambda":
            artifact = _judged_against_production(artifact, Path(args.governance_path), rep)
        bot = build_bot(settings, rep, sleep=sleep)
        run_url = args.run_url or settings.run_url
        audit_run = args.audit_run_id or _int_env(env, "MODELGATE_AUDIT_RUN_ID")
        result = run_report(
            bot,
            ReportInput(artifact, run_url, audit_run),
            pr_number=args.pr,
            summary=lambda text: write_job_summary(settings.summary_path, text),
        )
    except StaleArtifact as exc:
        rep.warning(STALE.format(error=exc), title=TITLE_REPORT)
        return ExitCode.OK
    except ModelgateError as exc:
        rep.error(str(exc), title=TITLE_REPORT)
        return exc.exit_code
    if result.refused_report is not None:
        # the audits of the head were failed closed and the comment says why
        return ExitCode.FAILED
    rep.info(f"report posted on #{result.number} ({result.comment} comment)")
    return ExitCode.OK


def _judged_against_production(artifact: AuditArtifact, governance: Path,
                               rep: Reporter) -> AuditArtifact:
    """The PR job could only compare with a baseline; judge its gate again against the
    bundle production serves (see ``modelgate.bot.check.production_gate``), with this
    checkout's rules."""
    from modelgate.bot.check.production_gate import rejudge
    from modelgate.governance import load_config

    gov = load_config(governance).governance
    region = gov.deploy.region
    judged, note = rejudge(artifact, gov, lambda: (boto3_client("lambda", region),
                                                   boto3_client("s3", region)))
    gate = [a for a in judged.report.audits if a.id == "performance_gate"]
    if gate and gate[0].status == "error":
        rep.error(note, title=TITLE_REPORT)
    else:
        rep.info(note)
    return judged


def _int_env(env: Mapping[str, str], name: str) -> int | None:
    value = env.get(name, "")
    return int(value) if value.isdigit() else None


def cmd_handle(args: argparse.Namespace, rep: Reporter) -> int:
    return run_handle(args, rep, os.environ)


def cmd_report(args: argparse.Namespace, rep: Reporter) -> int:
    return run_report_command(args, rep, os.environ)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api-url", help="GitHub API base URL (default: $GITHUB_API_URL, "
                        f"else {DEFAULT_API_URL})")
    parser.add_argument("--bot-login", help="the bot's own login (default: "
                        f"$MODELGATE_BOT_LOGIN, else {DEFAULT_BOT_LOGIN})")
    parser.add_argument("--governance-path", default="governance.yml",
                        help="path of governance.yml in the repository (read on the base branch)")
    parser.add_argument("--merge-method", choices=("merge", "squash", "rebase"), default="merge")
    parser.add_argument("--release-workflow", default="release.yml",
                        help="workflow file dispatched after a merge (default: release.yml)")
    parser.add_argument("--audit-workflow", default="modelgate-audit.yml",
                        help="workflow file (or name) of the untrusted audit job")
    parser.add_argument("--artifact-name", default="modelgate-audit",
                        help="name of the audit job's artifact")
    parser.add_argument("--request-interval", type=float, default=DEFAULT_REQUEST_INTERVAL,
                        help="seconds between GitHub requests (0 disables pacing)")
    parser.add_argument("--write-interval", type=float, default=DEFAULT_WRITE_INTERVAL,
                        help="seconds between GitHub writes (0 disables pacing)")


def register(sub: Any) -> None:
    """Add the GitHub subcommands to the ``modelgate`` parser."""
    p = sub.add_parser("handle", help="handle the GitHub event of this Actions job")
    _common(p)
    p.set_defaults(handler=cmd_handle)
    p = sub.add_parser("report", help="post an audit artifact: card comment, check run, labels")
    p.add_argument("--artifact", type=Path, required=True,
                   help="the audit artifact: its zip, or the directory it was unpacked to")
    p.add_argument("--pr", type=int, help="pull request number (default: from the artifact, "
                   "accepted only when GitHub confirms its head)")
    p.add_argument("--run-url", help="link to the full report (default: this workflow run)")
    p.add_argument("--audit-run-id", type=int,
                   help="the PR check's workflow run whose artifact the release will read "
                   "(default: $MODELGATE_AUDIT_RUN_ID); without it the bot does not merge "
                   "when an App is configured")
    p.add_argument("--production", choices=("lambda", "none"), default="none",
                   help="judge the performance gate again against the bundle the Lambda's "
                   "live alias serves (needs read access to Lambda and S3); 'none' keeps "
                   "the PR job's own comparison (default)")
    _common(p)
    p.set_defaults(handler=cmd_report)

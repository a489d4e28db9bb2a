# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Subcommands that join the road: ``evidence`` (PR job), ``release`` (after merge) and
``trace`` (the auditor's question)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.support import aws_errors, boto3_client, mlflow_errors, write_record
from modelgate.errors import ExitCode
from modelgate.governance import load_config
from modelgate.progress import Reporter

if TYPE_CHECKING:
    from bot.check.report import AuditReport

TITLE_REFUSED = "release refused"
MSG_BAD_REPORT = "{path}: not a valid audit report: {error}"


def _env_int(name: str, default: int | None = None) -> int | None:
    value = os.environ.get(name)
    return int(value) if value and value.isdigit() else default


def cmd_evidence(args: argparse.Namespace, rep: Reporter) -> int:
    from bot.check.evidence import write_evidence

    config = load_config(args.config)
    out = args.out if args.out.is_absolute() else config.root / args.out
    repository = args.repository or os.environ.get("GITHUB_REPOSITORY")
    base_ref = args.base_ref or os.environ.get("GITHUB_BASE_REF") or "main"
    run_id = args.workflow_run_id or _env_int("GITHUB_RUN_ID")
    if not repository or run_id is None:
        rep.error("set --repository and --workflow-run-id (GitHub Actions sets "
                  "GITHUB_REPOSITORY and GITHUB_RUN_ID)", title="modelgate evidence")
        return ExitCode.USAGE
    meta = write_evidence(config, out, repository=repository, pr_number=args.pr,
                          head_sha=args.head_sha, base_ref=base_ref, workflow_run_id=run_id,
                          workflow_run_attempt=_env_int("GITHUB_RUN_ATTEMPT", 1) or 1)
    print(f"evidence for PR #{meta.pr_number} at {meta.head_sha} (tree {meta.tree_sha}) in {out}")
    return ExitCode.OK


def _audited_report(path: Path) -> AuditReport:
    """The PR check's ``audit_report.json``; unreadable or invalid refuses the release."""
    from pydantic import ValidationError

    from bot.check.report import AuditReport
    from bot.release.release import ReleaseRefused

    try:
        return AuditReport.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ReleaseRefused(MSG_BAD_REPORT.format(path=path, error=exc)) from exc


def cmd_release(args: argparse.Namespace, rep: Reporter) -> int:
    from bot.check.evidence import EvidenceError
    from bot.release.promote import PromotionError
    from bot.release.release import ReleaseRefused, release

    config = load_config(args.config)
    promote_fn: Any = None
    s3: Any = None
    out = args.out if args.out.is_absolute() else config.root / args.out
    try:  # these three keep the title a refused release has always had
        audited = _audited_report(args.audited_report)
        if not args.no_promote:
            from bot.release.promote import promote as promote_fn

            s3 = boto3_client("s3", config.governance.deploy.region)
        record = release(config, merge_sha=args.merge_sha, audited_head_sha=args.audited_head_sha,
                         audited=audited, pr_number=args.pr, out_dir=out,
                         tracking_uri=args.tracking_uri, reporter=rep, promote=promote_fn,
                         s3_client=s3)
    except (ReleaseRefused, EvidenceError, PromotionError) as exc:
        rep.error(str(exc), title=TITLE_REFUSED)
        return exc.exit_code
    text = json.dumps(record.to_json(), indent=2)
    print(text)
    write_record(args.record, text, rep)
    rep.summary(f"### modelgate release: {record.model_name} v{record.version}\n\n"
                f"PR #{record.pr_number}, merge `{record.merge_sha[:12]}`, fingerprint "
                f"`{record.model_fingerprint[:16]}` = audited; alias `{record.alias}`; "
                f"bundle `{record.bundle_uri}`.")
    return ExitCode.OK


def cmd_trace(args: argparse.Namespace, rep: Reporter) -> int:
    from bot.release.trace import cloudwatch_lines, iter_log_lines, render, trace
    from training import tracking

    config = load_config(args.config)
    client = tracking.configure(config, args.tracking_uri)
    deploy = config.governance.deploy
    lambda_client: Any = None
    logs_client: Any = None
    function = args.function or deploy.function_name
    if args.cloudwatch or args.with_deploy:
        logs_client = boto3_client("logs", deploy.region)
        lambda_client = boto3_client("lambda", deploy.region)
    lines: Any
    if args.log:
        lines = iter_log_lines(args.log)
    elif args.cloudwatch:
        lines = cloudwatch_lines(logs_client, function, args.request_id, region=deploy.region)
    else:
        rep.error("give --log FILE... or --cloudwatch", title="modelgate trace")
        return ExitCode.USAGE
    with aws_errors(), mlflow_errors():
        result = trace(args.request_id, lines, client, lambda_client=lambda_client,
                       function_name=function)
    print(json.dumps(result.to_json(), indent=2) if args.json else render(result))
    return ExitCode.OK


def register(sub: Any) -> None:
    p = sub.add_parser("evidence", help="add PR metadata and evaluation evidence to the "
                       "check output (the audit artifact)")
    p.add_argument("--out", type=Path, default=Path("out"))
    p.add_argument("--pr", type=int, required=True)
    p.add_argument("--head-sha", required=True)
    p.add_argument("--repository", help="owner/name (default: GITHUB_REPOSITORY)")
    p.add_argument("--base-ref", help="base branch (default: GITHUB_BASE_REF)")
    p.add_argument("--workflow-run-id", type=int, help="default: GITHUB_RUN_ID")
    p.set_defaults(handler=cmd_evidence)

    p = sub.add_parser("release", help="after the merge: tree check, retrain, fingerprint "
                       "check, audits, then promote")
    p.add_argument("--merge-sha", required=True)
    p.add_argument("--pr", type=int, required=True)
    p.add_argument("--audited-head-sha", required=True)
    p.add_argument("--audited-report", type=Path, required=True,
                   help="audit_report.json from the PR check's artifact")
    p.add_argument("--tracking-uri")
    p.add_argument("--out", type=Path, default=Path("out/release"))
    p.add_argument("--record", type=Path, help="also write the release record here")
    p.add_argument("--no-promote", action="store_true", help="stop after the checks")
    p.set_defaults(handler=cmd_release)

    p = sub.add_parser("trace", help="trace a served prediction back to data, code, run, "
                       "audits, approvals and deploy")
    p.add_argument("request_id")
    p.add_argument("--log", type=Path, nargs="+", help="request log files (JSON lines)")
    p.add_argument("--cloudwatch", action="store_true", help="read the function's log group")
    p.add_argument("--function", help="Lambda function (default: governance.yml deploy)")
    p.add_argument("--with-deploy", action="store_true",
                   help="look up which Lambda deploy published the version")
    p.add_argument("--tracking-uri")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_trace)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Subcommands that join the road: ``evidence`` (PR job), ``release`` (after merge),
``trace`` (the auditor's question), ``verify`` (a bundle and its signed statement, or the
aliases against the ledger) and ``history`` (what served at a time)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from modelgate.bot.cli.support import aws_errors, boto3_client, mlflow_errors, write_record
from modelgate.errors import ExitCode, ModelgateError
from modelgate.governance import load_config
from modelgate.progress import Reporter

if TYPE_CHECKING:
    from modelgate.bot.check.report import AuditReport

TITLE_REFUSED = "release refused"
ENV_SIGNING_KEY = "MODELGATE_SIGNING_KEY"
ENV_KMS_KEY = "MODELGATE_KMS_KEY_ID"
MSG_NO_SIGNER = (f"no signer for the release statement: pass --signing-key PEM or --kms-key ID "
                 f"(or set {ENV_SIGNING_KEY} / {ENV_KMS_KEY}); the Sigstore keyless path is "
                 "documented in docs/release-statement.md")
MSG_BAD_REPORT = "{path}: not a valid audit report: {error}"


def _env_int(name: str, default: int | None = None) -> int | None:
    value = os.environ.get(name)
    return int(value) if value and value.isdigit() else default


def cmd_evidence(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.check.evidence import write_evidence

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

    from modelgate.bot.check.report import AuditReport
    from modelgate.bot.release.release import ReleaseRefused

    try:
        return AuditReport.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as exc:
        raise ReleaseRefused(MSG_BAD_REPORT.format(path=path, error=exc)) from exc


def _signer(args: argparse.Namespace, region: str) -> Any:
    """The release statement's signer from the flags or the environment (None: unsigned)."""
    from modelgate.bot.release.signing import KeySigner, KmsSigner

    key = args.signing_key or (Path(os.environ[ENV_SIGNING_KEY])
                               if os.environ.get(ENV_SIGNING_KEY) else None)
    if key is not None:
        return KeySigner.from_pem_file(key)
    kms = args.kms_key or os.environ.get(ENV_KMS_KEY)
    if kms:
        return KmsSigner(boto3_client("kms", region), kms)
    return None


def cmd_release(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.check.evidence import EvidenceError
    from modelgate.bot.release.ledger import LedgerError, caller_identity, ledger_for
    from modelgate.bot.release.promote import PromotionError
    from modelgate.bot.release.release import ReleaseRefused, release
    from modelgate.bot.release.signing import SigningError

    config = load_config(args.config)
    promote_fn: Any = None
    s3: Any = None
    extra: dict[str, Any] = {}
    out = args.out if args.out.is_absolute() else config.root / args.out
    region = config.governance.deploy.region
    try:  # these keep the title a refused release has always had
        audited = _audited_report(args.audited_report)
        signer = _signer(args, region)
        if signer is None and not args.no_promote:
            if os.environ.get("GITHUB_ACTIONS") == "true":
                raise ReleaseRefused(MSG_NO_SIGNER)
            rep.warning(MSG_NO_SIGNER + " (continuing unsigned outside GitHub Actions: deploy "
                        "will refuse this bundle)")
        if not args.no_promote:
            from modelgate.bot.release.promote import promote as promote_fn
            from modelgate.training import tracking

            s3 = boto3_client("s3", region)
            extra = {"ledger": ledger_for(config, s3, tracking.configure(config,
                                                                          args.tracking_uri)),
                     "actor": caller_identity(boto3_client("sts", region))}
        record = release(config, merge_sha=args.merge_sha, audited_head_sha=args.audited_head_sha,
                         audited=audited, pr_number=args.pr, out_dir=out,
                         tracking_uri=args.tracking_uri, reporter=rep, promote=promote_fn,
                         s3_client=s3, signer=signer,
                         repository=args.repository or os.environ.get("GITHUB_REPOSITORY", ""),
                         **extra)
    except (ReleaseRefused, EvidenceError, PromotionError, SigningError, LedgerError) as exc:
        rep.error(str(exc), title=TITLE_REFUSED)
        return exc.exit_code
    if args.publish_card and record.statement_sha256:
        _publish_card(args, out, rep)
    text = json.dumps(record.to_json(), indent=2)
    print(text)
    write_record(args.record, text, rep)
    rep.summary(f"### modelgate release: {record.model_name} v{record.version}\n\n"
                f"PR #{record.pr_number}, merge `{record.merge_sha[:12]}`, fingerprint "
                f"`{record.model_fingerprint[:16]}` = audited; alias `{record.alias}`; "
                f"bundle `{record.bundle_uri}`; statement sha256 `{record.statement_sha256}`.")
    return ExitCode.OK


def _publish_card(args: argparse.Namespace, out: Path, rep: Reporter) -> None:
    """Commit the card, tag the merge commit, publish the GitHub release (App token)."""
    from modelgate.bot.github.releases import connect
    from modelgate.bot.release.cards import publish
    from modelgate.bot.release.promote import BUNDLE_DIR

    token = os.environ.get("GITHUB_TOKEN", "")
    repository = args.repository or os.environ.get("GITHUB_REPOSITORY", "")
    if not token or not repository:
        rep.warning("--publish-card needs GITHUB_TOKEN (the App's) and the repository; "
                    "the card was not published", title="modelgate release")
        return
    api = os.environ.get("GITHUB_API_URL", "https://api.github.com")
    done = publish(connect(token, repository, api), out / BUNDLE_DIR, branch=args.branch)
    rep.info(f"card {done.card_path}, tag {done.tag}, release {done.release_url}")


def cmd_verify(args: argparse.Namespace, rep: Reporter) -> int:
    """A bundle and its statement (offline), or the aliases against the ledger."""
    from modelgate.bot.release.verify import render, resolve_trusted_pem, trusted_keys, verify

    config = load_config(args.config)
    d = config.governance.deploy
    if args.registry:
        return _verify_registry(args, config)
    if not args.bundle:
        rep.error("give a bundle directory or s3:// prefix, or --registry",
                  title="modelgate verify")
        return ExitCode.USAGE
    with aws_errors():
        kms = boto3_client("kms", d.region) if args.kms_key else None
        pem = resolve_trusted_pem(args.key, args.kms_key, env=dict(os.environ), kms_client=kms)
        s3 = boto3_client("s3", d.region) if str(args.bundle).startswith("s3://") else None
        result = verify(str(args.bundle), trusted_keys(pem), governance=config.governance,
                        statement_file=args.statement, s3_client=s3)
    print(render(result))
    return ExitCode.OK


class Incident(ModelgateError):
    """An alias moved outside modelgate (not in the ledger)."""


def _verify_registry(args: argparse.Namespace, config: Any) -> int:
    from modelgate.bot.release.history import registry_incidents
    from modelgate.bot.release.ledger import ledger_for
    from modelgate.bot.release.promote import mlflow_alias
    from modelgate.training import tracking

    d = config.governance.deploy
    with aws_errors(), mlflow_errors():
        client = tracking.configure(config, args.tracking_uri)
        ledger = ledger_for(config, boto3_client("s3", d.region))
        incidents = registry_incidents(
            ledger, mlflow_client=client, mlflow_alias=mlflow_alias(config, "production"),
            lambda_client=boto3_client("lambda", d.region), function=d.function_name,
            live_alias=d.live_alias)
    if incidents:
        raise Incident("\n".join(incidents))
    print(f"registry ok: the aliases of {config.governance.model.name} are where the ledger "
          "last put them")
    return ExitCode.OK


def cmd_history(args: argparse.Namespace, rep: Reporter) -> int:
    """Which version served at a time, with its statement."""
    from datetime import UTC, datetime

    from modelgate.bot.release.history import served_at
    from modelgate.bot.release.ledger import ledger_for
    from modelgate.bot.release.promote import mlflow_alias

    config = load_config(args.config)
    d = config.governance.deploy
    try:
        when = datetime.fromisoformat(args.at.replace("Z", "+00:00"))
    except ValueError:
        rep.error(f"--at {args.at!r} is not an ISO 8601 time", title="modelgate history")
        return ExitCode.USAGE
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    with aws_errors():
        ledger = ledger_for(config, boto3_client("s3", d.region))
        served = served_at(ledger, when, function=d.function_name, live_alias=d.live_alias,
                           mlflow_alias=mlflow_alias(config, "production"))
    if args.json:
        print(json.dumps({"at": served.when, "target": served.target,
                          "entry": None if served.entry is None else
                          json.loads(served.entry.encode())}, indent=2))
    else:
        print(served.render())
    return ExitCode.OK if served.entry is not None else ExitCode.FAILED


def cmd_trace(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.release.trace import cloudwatch_lines, iter_log_lines, render, trace
    from modelgate.training import tracking

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
        statement = _traced_statement(args, config, client, lines) if args.verify else None
        if statement is not None:
            lines, statement = statement
        result = trace(args.request_id, lines, client, lambda_client=lambda_client,
                       function_name=function, statement=statement)
    print(json.dumps(result.to_json(), indent=2) if args.json else render(result))
    if result.mismatches:
        raise TraceMismatch("; ".join(result.mismatches))
    return ExitCode.OK


class TraceMismatch(ModelgateError):
    """A link of the trace disagrees with the signed release statement."""


def _traced_statement(args: argparse.Namespace, config: Any, client: Any,
                      lines: Any) -> tuple[Any, Any]:
    """(the log lines, kept; the verified statement of the bundle promoted for the
    request's version)."""
    from modelgate.bot.release.promote import TAG_PROMOTED, mlflow_alias, parse_promoted_tag
    from modelgate.bot.release.trace import TraceError, find_request
    from modelgate.bot.release.verify import resolve_trusted_pem, trusted_keys, verify

    kept = list(lines)
    request = find_request(kept, args.request_id)
    name, version = request.get("model_name"), request.get("model_version")
    alias = request.get("alias") or mlflow_alias(config, "production")
    tags = client.get_model_version(str(name), str(version)).tags or {}
    promoted = parse_promoted_tag(tags.get(TAG_PROMOTED.format(alias=alias)))
    if promoted is None:
        raise TraceError(f"version {version} carries no promotion record for alias {alias!r}: "
                         "no bundle to verify")
    d = config.governance.deploy
    pem = resolve_trusted_pem(args.key, None, env=dict(os.environ))
    checked = verify(promoted.bundle_uri, trusted_keys(pem),
                     s3_client=boto3_client("s3", d.region))
    return kept, checked.statement


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
    p.add_argument("--out", type=Path, default=Path("out/release"))
    p.add_argument("--record", type=Path, help="also write the release record here")
    p.add_argument("--no-promote", action="store_true", help="stop after the checks")
    p.add_argument("--signing-key", type=Path,
                   help=f"ECDSA P-256 PEM private key that signs the release statement "
                        f"(default: {ENV_SIGNING_KEY})")
    p.add_argument("--kms-key", help=f"AWS KMS key id/ARN that signs it (default: {ENV_KMS_KEY})")
    p.add_argument("--repository", help="owner/name (default: GITHUB_REPOSITORY)")
    p.add_argument("--publish-card", action="store_true",
                   help="commit model_cards/<model>/v<N>.md (+ JSON), tag the merge commit "
                        "<model>/v<N> and publish a GitHub release with the statement")
    p.add_argument("--branch", default="main", help="where the card is committed")
    p.set_defaults(handler=cmd_release)

    p = sub.add_parser("verify", help="verify a bundle and its signed release statement "
                       "offline, or (--registry) the aliases against the ledger")
    p.add_argument("bundle", nargs="?", help="bundle directory or s3://bucket/prefix")
    p.add_argument("--statement", type=Path,
                   help="release.sigstore.json to use instead of the bundle's own")
    p.add_argument("--key", type=Path, help="trusted PEM public key (default: "
                   "MODELGATE_STATEMENT_PUBKEY)")
    p.add_argument("--kms-key", help="KMS key whose public half is trusted")
    p.add_argument("--registry", action="store_true",
                   help="compare the MLflow and Lambda aliases with the ledger head; a move "
                        "not in the ledger is an incident (exit 1)")
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser("history", help="which model version served at a time, with its "
                       "statement (from the ledger)")
    p.add_argument("--at", required=True, help="ISO 8601 time, e.g. 2026-12-01T10:00:00Z")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_history)

    p = sub.add_parser("trace", help="trace a served prediction back to data, code, run, "
                       "audits, approvals and deploy")
    p.add_argument("request_id")
    p.add_argument("--log", type=Path, nargs="+", help="request log files (JSON lines)")
    p.add_argument("--cloudwatch", action="store_true", help="read the function's log group")
    p.add_argument("--function", help="Lambda function (default: governance.yml deploy)")
    p.add_argument("--with-deploy", action="store_true",
                   help="look up which Lambda deploy published the version")
    p.add_argument("--json", action="store_true")
    p.add_argument("--verify", action="store_true",
                   help="verify every link by hash against the bundle's signed statement")
    p.add_argument("--key", type=Path, help="trusted PEM public key (default: "
                   "MODELGATE_STATEMENT_PUBKEY)")
    p.set_defaults(handler=cmd_trace)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Release subcommands: ``promote``, ``serve``, ``package``, ``deploy``, ``rollback``.

Each is a thin adapter over one function (:func:`modelgate.bot.release.promote.promote`,
:func:`modelgate.serving.local.serve`, :func:`modelgate.infra.package.build_package`,
:func:`modelgate.infra.deploy.deploy`, :func:`modelgate.infra.deploy.rollback`): it builds the
MLflow and boto3
clients once, calls it, prints the result; a refused or failed step is a
:class:`~modelgate.errors.ModelgateError` (AWS's and MLflow's exceptions translated here),
which ``modelgate`` prints as one clear message with its exit status (1 refused, 5 AWS
or MLflow failed; see ``modelgate COMMAND --help``), never a traceback.
boto3 reads credentials the usual way and honours ``AWS_ENDPOINT_URL`` (a local moto
server, say); the region comes from ``governance.yml`` ``deploy.region``.

Which bundle ``deploy`` ships when ``--bundle-uri`` is not given: the one recorded on the
version that the ``production`` alias (``--model-alias``) points at, pinned to the
sha256 recorded at promotion, so only a promoted, audited version reaches Lambda.
``deploy`` also needs the bundle's signed release statement to verify with the trusted
key (``--statement-key PEM``, ``MODELGATE_STATEMENT_PUBKEY`` or ``--kms-key``) and its
approvals to satisfy this branch's ``governance.yml``. ``promote``, ``deploy`` and
``rollback`` each append the alias move to the ledger (:mod:`modelgate.bot.release.ledger`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelgate.bot.cli.support import aws_errors, boto3_client, mlflow_errors, write_record
from modelgate.errors import ExitCode, ModelgateError
from modelgate.governance import load_config
from modelgate.progress import Reporter

DEFAULT_RUNTIME = "python3.12"
DEFAULT_ARCH = "x86_64"
DEFAULT_ZIP = Path("dist/lambda.zip")
PROMOTIONS_DIR = Path("out/promotions")
RELEASES_PREFIX = "releases"
# modelgate.bot.release.promote.STAGES, repeated so that building the parser imports no model stack
STAGES = ("staging", "production")

MSG_PROMOTED = ("promoted {name} version {version} to alias {alias!r} (was {previous})\n"
                "  run       {run_id}\n  commit    {commit}\n  data      sha256 {data}\n"
                "  bundle    {uri}\n  sha256    {sha}{reused}\n"
                "  parity    max |diff| {diff:.3g} <= {tolerance:g} on {rows} rows "
                "({dtype} input)\n  record    {record}")
MSG_NO_BUNDLE = "bundle {uri} cannot be served: {error}"
MSG_SETTINGS = "serving settings: {error}"
MSG_SERVING = "serving {name} version {version} ({alias}) from {uri} on http://{host}:{port}"
MSG_NO_ALIAS = ("alias {alias!r} of {name} points at no version; promote one first "
                "(modelgate promote --version N --alias {stage})")
MSG_NO_PROMOTION = ("version {version} of {name} carries no {tag} record; promote it with "
                    "modelgate promote, or pass --bundle-uri")
MSG_PINNED = "bundle {uri} does not match its promotion record: {error}"
MSG_NO_ROLE = ("function {function} does not exist yet, so it has no role to reuse; pass "
               "--role-arn (the RoleArn output of infra/template.yaml)")


class Refused(ModelgateError):
    """A precondition of the command that does not hold (a bundle that cannot be served,
    settings the server refuses, no promoted version); the message is for the user."""


def _now() -> datetime:
    return datetime.now(UTC)


# --- promote ----------------------------------------------------------------------------


def cmd_promote(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.release.promote import promote
    from modelgate.training import tracking

    config = load_config(args.config)
    gov = config.governance
    stamp = _now().strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out or PROMOTIONS_DIR / f"{gov.model.name}-v{args.version}-{args.alias}-" \
                            f"{stamp}"
    out = out if out.is_absolute() else config.root / out
    with aws_errors(), mlflow_errors():
        from modelgate.bot.release.ledger import caller_identity, ledger_for

        client = tracking.configure(config, args.tracking_uri)
        s3 = boto3_client("s3", gov.deploy.region)
        actor = caller_identity(boto3_client("sts", gov.deploy.region))
        with rep.step(f"Promote {gov.model.name} version {args.version} to {args.alias}"):
            record = promote(client, config, version=args.version, alias=args.alias,
                             s3_client=s3, out_dir=out, clock=_now,
                             require_staging=args.require_staging,
                             ledger=ledger_for(config, s3, client), actor=actor)
    parity = record.parity
    print(MSG_PROMOTED.format(
        name=record.model_name, version=record.version, alias=record.alias,
        previous=f"version {record.previous_version}" if record.previous_version else "not set",
        run_id=record.run_id, commit=record.commit, data=record.data_sha256,
        uri=record.bundle_uri, sha=record.bundle_sha256,
        reused=" (already in S3, verified and reused)" if record.bundle_reused else "",
        diff=parity["max_abs_diff"], tolerance=parity["tolerance"], rows=parity["rows"],
        dtype=parity["input_dtype"], record=out / "promotion.json"))
    rep.summary(f"### modelgate promote: {record.model_name} v{record.version} -> "
                f"`{record.alias}`\n\nBundle `{record.bundle_uri}` (sha256 "
                f"`{record.bundle_sha256[:16]}`), commit `{record.commit[:12]}`.")
    return ExitCode.OK


# --- serve ------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.serving.bundle import BundleError, cached_bundle
    from modelgate.serving.local import serve
    from modelgate.serving.settings import Settings, SettingsError

    uri = str(args.bundle)
    # serving cannot import modelgate, so its two errors are translated here
    try:
        Settings(bundle_uri=uri)
        # verified before the server starts (and kept: the app's loader finds it cached),
        # so a bad bundle stops here with its reason instead of a server that answers 503
        bundle = cached_bundle(uri)
    except SettingsError as exc:
        raise Refused(MSG_SETTINGS.format(error=exc)) from exc
    except BundleError as exc:
        raise Refused(MSG_NO_BUNDLE.format(uri=uri, error=exc)) from exc
    m = bundle.manifest
    rep.info(MSG_SERVING.format(name=m.model_name, version=m.model_version, alias=m.alias,
                                uri=uri, host=args.host, port=args.port))
    try:
        serve(uri, host=args.host, port=args.port)
    except SettingsError as exc:  # another MODELGATE_* variable the server refuses
        raise Refused(MSG_SETTINGS.format(error=exc)) from exc
    return ExitCode.OK


# --- package ----------------------------------------------------------------------------


def cmd_package(args: argparse.Namespace, rep: Reporter) -> int:
    """Serving's code and pins come from the installed modelgate, not from the project."""
    from modelgate.infra.package import build_package

    root = (args.project_root or Path(args.config).resolve().parent).resolve()
    out: Path = args.out if args.out.is_absolute() else root / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    with rep.step(f"Build the Lambda zip for {args.runtime} {args.arch}"):
        report = build_package(root, out, runtime=args.runtime, arch=args.arch,
                               python=args.python)
    print(report.to_json() if args.json else report.summary())
    return ExitCode.OK


# --- deploy and rollback ----------------------------------------------------------------


def _promoted_bundle(args: argparse.Namespace, config: Any) -> tuple[str, str]:
    """(bundle URI, manifest sha256) recorded on the version the model alias points at."""
    from modelgate.bot.release.promote import (
        TAG_PROMOTED,
        alias_version,
        mlflow_alias,
        parse_promoted_tag,
    )
    from modelgate.training import tracking

    name = config.governance.model.name
    alias = mlflow_alias(config, args.model_alias)
    client = tracking.configure(config, args.tracking_uri)
    version = alias_version(client, name, alias)
    if version is None:
        raise Refused(MSG_NO_ALIAS.format(alias=alias, name=name, stage=args.model_alias))
    tag = TAG_PROMOTED.format(alias=alias)
    promoted = parse_promoted_tag(client.get_model_version(name, version).tags.get(tag))
    if promoted is None:
        raise Refused(MSG_NO_PROMOTION.format(version=version, name=name, tag=tag))
    return promoted.bundle_uri, promoted.bundle_sha256


def _role_arn(lam: Any, function: str, given: str | None) -> str:
    if given:
        return given
    from botocore.exceptions import ClientError

    try:
        return str(lam.get_function_configuration(FunctionName=function)["Role"])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise Refused(MSG_NO_ROLE.format(function=function)) from None
        raise


def _mlflow(config: Any, uri: str | None) -> Any:
    from modelgate.training import tracking

    return tracking.configure(config, uri)


def cmd_deploy(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.release.ledger import caller_identity, lambda_target, ledger_for
    from modelgate.bot.release.verify import governance_reasons, resolve_trusted_pem
    from modelgate.infra.deploy import deploy
    from modelgate.serving.attestation import VerifiedStatement
    from modelgate.serving.bundle import BundleError, load_bundle

    config = load_config(args.config)
    d = config.governance.deploy

    def allowed(statement: VerifiedStatement) -> list[str]:
        return governance_reasons(statement.predicate, config.governance)

    with aws_errors(), mlflow_errors():
        s3 = boto3_client("s3", d.region)
        lam = boto3_client("lambda", d.region)
        uri = args.bundle_uri
        if uri is None:
            uri, sha = _promoted_bundle(args, config)
            try:  # the bundle in S3 must still be the one promotion recorded
                load_bundle(uri, expected_manifest_sha256=sha, s3_client_factory=lambda: s3)
            except BundleError as exc:
                raise Refused(MSG_PINNED.format(uri=uri, error=exc)) from None
        role = _role_arn(lam, d.function_name, args.role_arn)
        pem = resolve_trusted_pem(args.statement_key, args.kms_key, env=dict(os.environ),
                                  kms_client=boto3_client("kms", d.region))
        actor = caller_identity(boto3_client("sts", d.region))
        record = deploy(lam, s3, zip_path=args.zip, bucket=d.bucket,
                        key_prefix=f"{d.prefix.strip('/')}/{RELEASES_PREFIX}",
                        function_name=d.function_name, role_arn=role, bundle_uri=uri,
                        runtime=args.runtime, arch=args.arch, alias=d.live_alias,
                        trusted_keys_pem=pem, statement_check=allowed)
        ledger = ledger_for(config, s3, _mlflow(config, args.tracking_uri))
        entry = ledger.append(action="deploy", target=lambda_target(d.function_name, d.live_alias),
                              model_version=record.model_version, to=record.version,
                              previous=record.previous_version,
                              statement_sha256=record.statement_sha256, actor=actor, at=_now())
        rep.info(f"ledger entry {entry.seq}: {entry.target} -> {entry.to}")
    text = record.to_json()
    print(text)
    write_record(args.record, text, rep)
    rep.summary(f"### modelgate deploy: {record.function_name}:{record.alias} -> version "
                f"{record.version}\n\nModel {record.model_name} v{record.model_version}, "
                f"bundle sha256 `{record.bundle_sha256[:16]}`, previous version "
                f"{record.previous_version or 'none'}.")
    return ExitCode.OK


def cmd_rollback(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.release.ledger import caller_identity, lambda_target, ledger_for
    from modelgate.infra.deploy import rollback

    config = load_config(args.config)
    d = config.governance.deploy
    with aws_errors(), mlflow_errors():
        lam = boto3_client("lambda", d.region)
        actor = caller_identity(boto3_client("sts", d.region))
        record = rollback(lam, function_name=d.function_name, alias=d.live_alias)
        ledger = ledger_for(config, boto3_client("s3", d.region),
                            _mlflow(config, args.tracking_uri))
        target = lambda_target(d.function_name, d.live_alias)
        entry = ledger.append(action="rollback", target=target,
                              model_version=record.model_version, to=record.version,
                              previous=record.previous_version,
                              statement_sha256=ledger.statement_for(target, record.version),
                              actor=actor, at=_now())
        rep.info(f"ledger entry {entry.seq}: {entry.target} -> {entry.to}")
    text = record.to_json()
    print(text)
    write_record(args.record, text, rep)
    rep.summary(f"### modelgate rollback: {record.function_name}:{record.alias} -> version "
                f"{record.version} (was {record.previous_version})")
    return ExitCode.OK


# --- the parser -------------------------------------------------------------------------


def _version(text: str) -> str:
    value = text.strip()
    if not value.isdigit() or len(value) > 9:
        raise argparse.ArgumentTypeError(f"a model version is a positive number, got {text!r}")
    return str(int(value))


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 1 to 65535, got {text!r}")
    return int(text)


def register(sub: Any) -> None:
    """Add the release subcommands to the ``modelgate`` parser."""
    add: Callable[..., argparse.ArgumentParser] = sub.add_parser

    p = add("promote", help="promote an audited model version to an MLflow alias, with its "
                            "verified bundle in S3")
    p.add_argument("--version", required=True, type=_version, help="the model version")
    p.add_argument("--alias", required=True, choices=STAGES,
                   help="the stage (mapped to its alias name by governance.yml aliases:)")
    p.add_argument("--require-staging", action="store_true",
                   help="refuse production unless this version was promoted to staging")
    p.add_argument("--out", type=Path, default=None,
                   help=f"where the bundle copy and promotion.json go (default: "
                        f"{PROMOTIONS_DIR}/<model>-v<N>-<alias>-<time>)")
    p.set_defaults(handler=cmd_promote)

    p = add("serve", help="serve a bundle locally with uvicorn (the Lambda app)")
    p.add_argument("--bundle", required=True, help="bundle directory or s3://bucket/prefix")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000)")
    p.set_defaults(handler=cmd_serve)

    p = add("package", help="build the Lambda zip (the installed modelgate's serving code, "
                            "pinned to modelgate's own lock) and print its size report")
    p.add_argument("--out", type=Path, default=DEFAULT_ZIP, help=f"default {DEFAULT_ZIP}")
    p.add_argument("--runtime", default=DEFAULT_RUNTIME, help=f"default {DEFAULT_RUNTIME}")
    p.add_argument("--arch", default=DEFAULT_ARCH, help="x86_64 (default) or arm64")
    p.add_argument("--python", default=None,
                   help="interpreter of the runtime's Python version that compiles the "
                        "bytecode (default: found on this machine; none: sources only)")
    p.add_argument("--project-root", type=Path, default=None,
                   help="the repository: a relative --out is under it, and its "
                        ".modelgate/tools/bin may hold uv (default: beside --config)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=cmd_package)

    p = add("deploy", help="publish the zip as a new Lambda version and move the live alias")
    p.add_argument("--zip", required=True, type=Path, help="the zip from modelgate package")
    p.add_argument("--bundle-uri", help="s3:// bundle to serve (default: the one promoted to "
                                        "--model-alias, pinned to its recorded sha256)")
    p.add_argument("--model-alias", choices=STAGES, default="production",
                   help="whose bundle to deploy when --bundle-uri is not given")
    p.add_argument("--role-arn", help="execution role (default: the existing function's)")
    p.add_argument("--runtime", default=DEFAULT_RUNTIME, help=f"default {DEFAULT_RUNTIME}")
    p.add_argument("--arch", default=DEFAULT_ARCH, help="x86_64 (default) or arm64")
    p.add_argument("--record", type=Path, help="also write the deploy record JSON here")
    p.add_argument("--statement-key", type=Path,
                   help="PEM public key the release statement must be signed by (default: "
                        "MODELGATE_STATEMENT_PUBKEY, or --kms-key)")
    p.add_argument("--kms-key", help="KMS key id/ARN whose public half is the trusted key "
                                     "(default: MODELGATE_KMS_KEY_ID)")
    p.set_defaults(handler=cmd_deploy)

    p = add("rollback", help="move the live alias back to the previously deployed version")
    p.add_argument("--record", type=Path, help="also write the rollback record JSON here")
    p.set_defaults(handler=cmd_rollback)

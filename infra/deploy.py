# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Deploy the serving zip to Lambda as an immutable version behind an alias, and roll back.

How a deploy is made safe (verified bundle, pinned sha256, the alias moved last, the
ledger) is in docs/design/deploy.md.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from botocore.exceptions import ClientError

from modelgate.errors import ModelgateError
from modelgate.hashing import hex_to_base64, sha256_file
from modelgate.infra.package import PackageError, check_zip, lambda_architecture, runtime_target
from modelgate.serving.attestation import TrustedKey, VerifiedStatement
from modelgate.serving.bundle import BundleError, load_bundle, parse_s3_uri
from modelgate.serving.manifest import BundleManifest
from modelgate.serving.settings import ENV_BUNDLE_SHA256, ENV_BUNDLE_URI, ENV_STATEMENT_PUBKEY

SCHEMA_VERSION = 1
HANDLER = "modelgate.serving.handler.handler"
DEFAULT_MEMORY_MB = 1024  # onnxruntime's cold start is CPU-bound; CPU scales with memory
DEFAULT_TIMEOUT_S = 30
WAIT_TIMEOUT_S = 300.0
WAIT_INTERVAL_S = 2.0
HISTORY_KEEP = 10
DESCRIPTION_LIMIT = 256  # Lambda's limit for version and alias descriptions
NOT_FOUND = "ResourceNotFoundException"
VERSION_DESCRIPTION_RE = re.compile(
    r"^modelgate deploy (?P<deploy_id>\S+)(?: model (?P<model_name>\S+) v(?P<model_version>\S+)"
    r"(?: bundle (?P<bundle_sha256>[0-9a-f]{64})(?: commit (?P<commit>\S+))?)?)?")

LOG_STEP = "deploy %s: %s"
ERR_STEP = "deploy {deploy_id}: step {step!r} failed: {reason}. {alias_state}"
ALIAS_UNCHANGED = "Alias {alias!r} is unchanged (still {version})."
ERR_ZIP_MISSING = "zip {path} does not exist"
ERR_BUNDLE_URI = ("bundle URI {uri!r} cannot be deployed ({reason}): the function reads its "
                  "bundle from s3://<bucket>/<prefix>, never from a local path")
ERR_CODE_SHA = "Lambda reports code sha256 {actual}, the uploaded zip is {expected}"
ERR_WAIT_FAILED = "function {name} ({qualifier}) {what} failed: {reason}"
ERR_WAIT_TIMEOUT = "function {name} ({qualifier}) was not ready after {seconds:.0f} s ({state})"
ERR_NO_KEY = ("no trusted key for the release statement: deploy refuses a bundle it cannot "
              "verify (pass the statement's public key, or the KMS key that signed it)")
ERR_STATEMENT = "the release statement does not allow this deploy: {reasons}"
ERR_NO_ALIAS = "function {name} has no alias {alias!r}: nothing to roll back"
ERR_NO_HISTORY = ("alias {alias!r} of {name} records no previous version (description: "
                  "{description!r}); deploy with modelgate to start a history")

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeployError(ModelgateError):
    """A deploy or rollback that stopped; the message names the step and the alias state."""


class LambdaClient(Protocol):
    """The Lambda calls a deploy makes (a boto3 ``lambda`` client satisfies it)."""

    def get_function(self, **kwargs: Any) -> Any: ...
    def get_function_configuration(self, **kwargs: Any) -> Any: ...
    def create_function(self, **kwargs: Any) -> Any: ...
    def update_function_configuration(self, **kwargs: Any) -> Any: ...
    def update_function_code(self, **kwargs: Any) -> Any: ...
    def publish_version(self, **kwargs: Any) -> Any: ...
    def get_alias(self, **kwargs: Any) -> Any: ...
    def create_alias(self, **kwargs: Any) -> Any: ...
    def update_alias(self, **kwargs: Any) -> Any: ...


class S3Client(Protocol):
    """The S3 calls a deploy makes (a boto3 ``s3`` client satisfies it)."""

    def put_object(self, **kwargs: Any) -> Any: ...
    def get_object(self, **kwargs: Any) -> Any: ...
    def get_paginator(self, operation_name: str) -> Any: ...


@dataclass
class DeployRecord:
    """What one deploy or rollback did; plain JSON for ``modelgate trace``."""

    kind: Literal["deploy", "rollback"]
    deploy_id: str
    function_name: str
    alias: str
    version: str
    previous_version: str | None
    started_at: str
    finished_at: str = ""
    status: Literal["published", "live"] = "published"
    function_arn: str = ""
    created_function: bool = False
    runtime: str = ""
    architecture: str = ""
    zip_sha256: str = ""
    code_sha256: str = ""
    code_uri: str = ""
    record_uri: str = ""
    bundle_uri: str = ""
    bundle_sha256: str = ""
    statement_sha256: str = ""
    statement_keyid: str = ""
    model_name: str = ""
    model_version: str = ""
    model_alias: str = ""
    run_id: str = ""
    commit: str = ""
    source_deploy_id: str = ""  # rollback: the deploy that published the restored version
    steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> DeployRecord:
        data = json.loads(text)
        if data.get("schema_version") != SCHEMA_VERSION:
            raise ValueError(f"deploy record schema_version {data.get('schema_version')!r} "
                             f"is not {SCHEMA_VERSION}")
        return cls(**data)


# --- alias history ----------------------------------------------------------------------


def encode_history(deploy_id: str, previous: list[str]) -> str:
    """The alias description: deploy id and earlier versions, newest first, ≤ 256 chars."""
    kept = previous[:HISTORY_KEEP]
    while True:
        text = json.dumps({"schema_version": SCHEMA_VERSION, "deploy_id": deploy_id,
                           "previous": kept}, separators=(",", ":"))
        if len(text) <= DESCRIPTION_LIMIT or not kept:
            return text[:DESCRIPTION_LIMIT]
        kept = kept[:-1]


def decode_history(description: str) -> list[str] | None:
    """Earlier versions recorded in an alias description, or None if it holds none."""
    try:
        data = json.loads(description)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        return None
    previous = data.get("previous")
    if not isinstance(previous, list) or not all(isinstance(v, str) for v in previous):
        return None
    return list(previous)


# --- helpers ----------------------------------------------------------------------------


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'ClientError')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


def check_bundle_uri(uri: str) -> None:
    """Refuse a bundle URI the function could not read (serving's own parser decides)."""
    try:
        parse_s3_uri(uri)
    except BundleError as exc:
        raise DeployError(ERR_BUNDLE_URI.format(uri=uri, reason=exc)) from None


def _join(*parts: str) -> str:
    return "/".join(p.strip("/") for p in parts if p.strip("/"))


@dataclass(frozen=True)
class BundleIdentity:
    """The manifest of the bundle a deploy points the function at, and its digest."""

    manifest: BundleManifest
    sha256: str
    statement: VerifiedStatement | None = None


StatementCheck = Callable[[VerifiedStatement], list[str]]


def verify_bundle(s3_client: S3Client, bundle_uri: str, *,
                  trusted_keys: Sequence[TrustedKey] | None = None,
                  statement_check: StatementCheck | None = None) -> BundleIdentity:
    """Run the function's own cold-start check on the bundle before pointing at it.

    The same code the Lambda runs (download, manifest schema, file digests, ONNX identity,
    one example row), so a bundle that would not serve is refused here. The digest is the
    sha256 of ``manifest.json``, which lists every file's digest: it pins the whole bundle
    and becomes the function's ``MODELGATE_BUNDLE_SHA256``.
    """
    loaded = load_bundle(bundle_uri, s3_client_factory=lambda: s3_client,
                         trusted_keys=trusted_keys)
    if loaded.statement is not None and statement_check is not None:
        reasons = statement_check(loaded.statement)
        if reasons:
            raise DeployError(ERR_STATEMENT.format(reasons="; ".join(reasons)))
    return BundleIdentity(manifest=loaded.manifest, sha256=loaded.manifest_sha256,
                          statement=loaded.statement)


def wait_until_ready(lambda_client: LambdaClient, function_name: str, *,
                     qualifier: str = "$LATEST", timeout_s: float = WAIT_TIMEOUT_S,
                     interval_s: float = WAIT_INTERVAL_S, sleep: Sleep = time.sleep) -> None:
    """Poll until the function is Active and its last update Successful.

    Counted in polls rather than wall time, so a test clock cannot make it spin forever.
    """
    polls = max(1, math.ceil(timeout_s / interval_s))
    state = "unknown"
    for attempt in range(polls):
        config = lambda_client.get_function_configuration(FunctionName=function_name,
                                                          Qualifier=qualifier)
        state = config.get("State", "Active")
        update = config.get("LastUpdateStatus", "Successful")
        if state == "Failed":
            raise DeployError(ERR_WAIT_FAILED.format(
                name=function_name, qualifier=qualifier, what="state",
                reason=config.get("StateReason", "no reason given")))
        if update == "Failed":
            raise DeployError(ERR_WAIT_FAILED.format(
                name=function_name, qualifier=qualifier, what="update",
                reason=config.get("LastUpdateStatusReason", "no reason given")))
        if state in ("Active", "Inactive") and update == "Successful":
            return
        state = f"State={state}, LastUpdateStatus={update}"
        if attempt + 1 < polls:
            sleep(interval_s)
    raise DeployError(ERR_WAIT_TIMEOUT.format(name=function_name, qualifier=qualifier,
                                              seconds=timeout_s, state=state))


def _current_alias(lambda_client: LambdaClient, function_name: str,
                   alias: str) -> dict[str, Any] | None:
    try:
        return dict(lambda_client.get_alias(FunctionName=function_name, Name=alias))
    except ClientError as exc:
        if _code(exc) == NOT_FOUND:
            return None
        raise


@dataclass(frozen=True)
class LiveBundle:
    """What an alias serves: the function version and the bundle in its environment."""

    function_version: str
    bundle_uri: str
    bundle_sha256: str | None


def live_bundle(lambda_client: LambdaClient, function_name: str, alias: str) -> LiveBundle | None:
    """The bundle behind ``function_name:alias``; None when the function or the alias does
    not exist. Other AWS errors propagate."""
    current = _current_alias(lambda_client, function_name, alias)
    if current is None:
        return None
    version = str(current["FunctionVersion"])
    conf = lambda_client.get_function_configuration(FunctionName=function_name,
                                                    Qualifier=version)
    env = (conf.get("Environment") or {}).get("Variables") or {}
    return LiveBundle(version, str(env.get(ENV_BUNDLE_URI, "")),
                      str(env.get(ENV_BUNDLE_SHA256, "")) or None)


def _existing_function(lambda_client: LambdaClient, function_name: str) -> dict[str, Any] | None:
    try:
        return dict(lambda_client.get_function(FunctionName=function_name)["Configuration"])
    except ClientError as exc:
        if _code(exc) == NOT_FOUND:
            return None
        raise


def version_description(identity: BundleIdentity, deploy_id: str) -> str:
    """The published version's description; the deploy id comes first so truncation at
    Lambda's 256 characters can only cut the tail."""
    manifest = identity.manifest
    text = (f"modelgate deploy {deploy_id} model {manifest.model_name} "
            f"v{manifest.model_version} bundle {identity.sha256} commit {manifest.commit}")
    return text[:DESCRIPTION_LIMIT]


def parse_version_description(description: str) -> dict[str, str]:
    """The fields of :func:`version_description` that survived intact (empty if not ours)."""
    match = VERSION_DESCRIPTION_RE.match(description)
    return {} if match is None else {k: v for k, v in match.groupdict().items() if v}


# --- deploy -----------------------------------------------------------------------------


class _Steps:
    """Runs named steps: logs each, records it, and turns a failure into a DeployError."""

    def __init__(self, record: DeployRecord, clock: Clock) -> None:
        self.record = record
        self.clock = clock
        self.alias_state = ALIAS_UNCHANGED.format(
            alias=record.alias, version=record.previous_version or "absent")

    def run(self, name: str) -> _StepContext:
        return _StepContext(self, name)


class _StepContext:
    def __init__(self, steps: _Steps, name: str) -> None:
        self.steps = steps
        self.name = name

    def __enter__(self) -> None:
        logger.info(LOG_STEP, self.steps.record.deploy_id, self.name)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: object) -> Literal[False]:
        record = self.steps.record
        if exc is None:
            record.steps.append(f"{self.steps.clock().isoformat()} {self.name}")
            return False
        if isinstance(exc, (ClientError, DeployError, PackageError, BundleError, OSError)):
            message = ERR_STEP.format(deploy_id=record.deploy_id, step=self.name,
                                      reason=_reason(exc), alias_state=self.steps.alias_state)
            logger.error(message)
            raise DeployError(message) from exc
        return False


def _deploy_id(now: datetime, suffix: str) -> str:
    """Short and sortable: the record's S3 key adds the function name."""
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{suffix}"


def _ensure_function(lambda_client: LambdaClient, record: DeployRecord, *, role_arn: str,
                     code: dict[str, str], memory_mb: int, timeout_s: int,
                     wait: Callable[[str], None], identity: BundleIdentity,
                     pubkey_pem: str) -> dict[str, Any]:
    existing = _existing_function(lambda_client, record.function_name)
    description = f"modelgate serving: {identity.manifest.model_name}"[:DESCRIPTION_LIMIT]
    settings: dict[str, Any] = {
        "FunctionName": record.function_name, "Runtime": record.runtime, "Role": role_arn,
        "Handler": HANDLER, "MemorySize": memory_mb, "Timeout": timeout_s,
        "Description": description,
    }
    if existing is None:
        record.created_function = True
        settings["Environment"] = {"Variables": {ENV_BUNDLE_URI: record.bundle_uri,
                                                 ENV_BUNDLE_SHA256: record.bundle_sha256,
                                                 ENV_STATEMENT_PUBKEY: pubkey_pem}}
        created = lambda_client.create_function(
            **settings, Code=code, Architectures=[record.architecture], Publish=False)
        wait("$LATEST")
        return dict(created)
    wait("$LATEST")  # an update still in progress would refuse ours (ResourceConflict)
    variables = dict(existing.get("Environment", {}).get("Variables", {}))
    # other variables (set by the stack, say) are kept; the bundle pair is ours
    variables[ENV_BUNDLE_URI] = record.bundle_uri
    variables[ENV_BUNDLE_SHA256] = record.bundle_sha256
    variables[ENV_STATEMENT_PUBKEY] = pubkey_pem
    lambda_client.update_function_configuration(**settings,
                                                Environment={"Variables": variables})
    wait("$LATEST")
    updated = lambda_client.update_function_code(
        FunctionName=record.function_name, **code, Architectures=[record.architecture],
        Publish=False)
    wait("$LATEST")
    return dict(updated)


def deploy(lambda_client: LambdaClient, s3_client: S3Client, *, zip_path: Path, bucket: str,
           key_prefix: str, function_name: str, role_arn: str, bundle_uri: str, runtime: str,
           arch: str, alias: str = "live", clock: Clock = utc_now,
           memory_mb: int = DEFAULT_MEMORY_MB, timeout_s: int = DEFAULT_TIMEOUT_S,
           wait_timeout_s: float = WAIT_TIMEOUT_S, sleep: Sleep = time.sleep,
           trusted_keys_pem: str | None = None,
           statement_check: StatementCheck | None = None) -> DeployRecord:
    """Publish ``zip_path`` as a new version of ``function_name`` and move ``alias`` to it,
    once the bundle's release statement verifies with ``trusted_keys_pem``."""
    zip_path = Path(zip_path)
    if not zip_path.is_file():
        raise DeployError(ERR_ZIP_MISSING.format(path=zip_path))
    if not trusted_keys_pem:
        raise DeployError(ERR_NO_KEY)
    from modelgate.serving.attestation import StatementError, load_public_keys

    try:
        keys = load_public_keys(trusted_keys_pem)
    except StatementError as exc:
        raise DeployError(f"{ERR_NO_KEY}: {exc}") from None
    # Fail before touching AWS: wrong wheels or a bundle that is not in S3 never go live.
    check_zip(zip_path, runtime_target(runtime, arch))
    check_bundle_uri(bundle_uri)
    zip_sha256 = sha256_file(zip_path)
    code_sha256 = hex_to_base64(zip_sha256)
    started = clock()
    record = DeployRecord(
        kind="deploy", deploy_id=_deploy_id(started, zip_sha256[:8]),
        function_name=function_name, alias=alias, version="", previous_version=None,
        started_at=started.isoformat(), runtime=runtime, architecture=lambda_architecture(arch),
        zip_sha256=zip_sha256, code_sha256=code_sha256, bundle_uri=bundle_uri)
    steps = _Steps(record, clock)
    code_key = _join(key_prefix, "lambda", f"{zip_sha256}.zip")
    record_key = _join(key_prefix, "deploys", function_name, f"{record.deploy_id}.json")
    record.code_uri = f"s3://{bucket}/{code_key}"
    record.record_uri = f"s3://{bucket}/{record_key}"

    def wait(qualifier: str) -> None:
        wait_until_ready(lambda_client, function_name, qualifier=qualifier,
                         timeout_s=wait_timeout_s, sleep=sleep)

    with steps.run("read alias"):
        current = _current_alias(lambda_client, function_name, alias)
        record.previous_version = None if current is None else str(current["FunctionVersion"])
        steps.alias_state = ALIAS_UNCHANGED.format(alias=alias,
                                                   version=record.previous_version or "absent")
    with steps.run("verify bundle"):
        identity = verify_bundle(s3_client, bundle_uri, trusted_keys=keys,
                                 statement_check=statement_check)
        manifest = identity.manifest
        record.bundle_sha256 = identity.sha256
        assert identity.statement is not None  # trusted keys were given
        record.statement_sha256 = identity.statement.digest
        record.statement_keyid = identity.statement.keyid
        record.model_name, record.model_version = manifest.model_name, manifest.model_version
        record.model_alias, record.run_id = manifest.alias, manifest.run_id
        record.commit = manifest.commit
    with steps.run("upload zip"), zip_path.open("rb") as body:
        s3_client.put_object(Bucket=bucket, Key=code_key, Body=body,
                             ChecksumSHA256=code_sha256)
    with steps.run("create or update function"):
        applied = _ensure_function(
            lambda_client, record, role_arn=role_arn,
            code={"S3Bucket": bucket, "S3Key": code_key}, memory_mb=memory_mb,
            timeout_s=timeout_s, wait=wait, identity=identity,
            pubkey_pem=trusted_keys_pem.strip())
        if applied.get("CodeSha256") != code_sha256:
            raise DeployError(ERR_CODE_SHA.format(actual=applied.get("CodeSha256"),
                                                  expected=code_sha256))
    with steps.run("publish version"):
        published = lambda_client.publish_version(
            FunctionName=function_name, CodeSha256=code_sha256,
            Description=version_description(identity, record.deploy_id))
        record.version = str(published["Version"])
        record.function_arn = str(published["FunctionArn"])
        wait(record.version)
    with steps.run("write deploy record"):
        s3_client.put_object(Bucket=bucket, Key=record_key, Body=record.to_json().encode(),
                             ContentType="application/json")
    with steps.run("move alias"):
        _move_alias(lambda_client, record, current)
    record.status = "live"
    record.finished_at = clock().isoformat()
    try:
        s3_client.put_object(Bucket=bucket, Key=record_key, Body=record.to_json().encode(),
                             ContentType="application/json")
    except ClientError as exc:  # the alias has moved; the record above already names it
        warning = f"could not mark {record.record_uri} live: {_reason(exc)}"
        logger.warning(warning)
        record.warnings.append(warning)
    logger.info(LOG_STEP, record.deploy_id,
                f"alias {alias} -> version {record.version} (was {record.previous_version})")
    return record


def _move_alias(lambda_client: LambdaClient, record: DeployRecord,
                current: dict[str, Any] | None) -> None:
    if current is None:
        lambda_client.create_alias(FunctionName=record.function_name, Name=record.alias,
                                   FunctionVersion=record.version,
                                   Description=encode_history(record.deploy_id, []))
        return
    history = decode_history(str(current.get("Description", ""))) or []
    previous = record.previous_version
    if previous is not None and previous != record.version:
        history = [previous, *history]
    lambda_client.update_alias(FunctionName=record.function_name, Name=record.alias,
                               FunctionVersion=record.version,
                               Description=encode_history(record.deploy_id, history),
                               RevisionId=current["RevisionId"])


def rollback(lambda_client: LambdaClient, *, function_name: str, alias: str = "live",
             clock: Clock = utc_now) -> DeployRecord:
    """Move ``alias`` back to the version it pointed at before the last deploy."""
    started = clock()
    record = DeployRecord(kind="rollback",
                          deploy_id=_deploy_id(started, "rollback"),
                          function_name=function_name, alias=alias, version="",
                          previous_version=None, started_at=started.isoformat())
    steps = _Steps(record, clock)
    with steps.run("read alias"):
        current = _current_alias(lambda_client, function_name, alias)
        if current is None:
            raise DeployError(ERR_NO_ALIAS.format(name=function_name, alias=alias))
        record.previous_version = str(current["FunctionVersion"])
        steps.alias_state = ALIAS_UNCHANGED.format(alias=alias, version=record.previous_version)
        description = str(current.get("Description", ""))
        history = decode_history(description)
        if not history:
            raise DeployError(ERR_NO_HISTORY.format(alias=alias, name=function_name,
                                                    description=description))
        record.version = history[0]
    with steps.run("check target version"):
        target = lambda_client.get_function_configuration(FunctionName=function_name,
                                                          Qualifier=record.version)
        record.function_arn = str(target["FunctionArn"])
        record.runtime = str(target.get("Runtime", ""))
        record.code_sha256 = str(target.get("CodeSha256", ""))
        record.architecture = str((target.get("Architectures") or [""])[0])
        env = target.get("Environment", {}).get("Variables", {})
        record.bundle_uri = str(env.get(ENV_BUNDLE_URI, ""))
        published = parse_version_description(str(target.get("Description", "")))
        record.source_deploy_id = published.get("deploy_id", "")
        record.model_name = published.get("model_name", "")
        record.model_version = published.get("model_version", "")
        record.bundle_sha256 = published.get("bundle_sha256", "")
        record.commit = published.get("commit", "")
    with steps.run("move alias"):
        lambda_client.update_alias(FunctionName=function_name, Name=alias,
                                   FunctionVersion=record.version,
                                   Description=encode_history(record.deploy_id, history[1:]),
                                   RevisionId=current["RevisionId"])
    record.status = "live"
    record.finished_at = clock().isoformat()
    logger.info(LOG_STEP, record.deploy_id,
                f"alias {alias} -> version {record.version} (was {record.previous_version})")
    return record

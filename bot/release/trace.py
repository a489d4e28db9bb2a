# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate trace REQUEST_ID``: the auditor's question in one command.

From one request log line it follows the chain: served version and alias -> MLflow run ->
data sha256 and manifest -> commit -> pull request -> audit report -> who approved each
role and when -> which deploy published it. Every link is read from the system that owns
it (the log, the registry, the run's artifacts, Lambda), and a link that cannot be
resolved is shown as missing, never guessed.

With a verified release statement (``modelgate trace --verify``) every link is checked by
hash instead of trusting tags: the log line's ``statement_sha256`` must be the digest of
the signed statement of the bundle promoted for that version, the statement's subjects
are the bundle's files (checked when it was verified), and the statement's run, data,
commit and model version must equal what the log line and the registry say. Each check
is listed under ``verified``, each disagreement under ``mismatches``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from modelgate.bot.check.pipeline import RUN_AUDIT_DIR, VERSION_TAG_PASSED
from modelgate.bot.check.report import AuditReport
from modelgate.bot.release.release import (
    TAG_APPROVALS,
    TAG_AUDITED_HEAD,
    TAG_MERGE,
    TAG_PR,
    TAG_RELEASED,
)
from modelgate.errors import ModelgateError
from modelgate.infra.cloudwatch import LogsClient, function_log_group, log_events
from modelgate.training import tracking

TRACE_SCHEMA_VERSION = 1


class TraceError(ModelgateError):
    """The request or its model cannot be found; the message says where we looked."""


@dataclass
class Trace:
    schema_version: int
    request_id: str
    request: dict[str, Any]
    model_name: str
    version: str
    alias: str | None
    run_id: str | None = None
    data_sha256: str | None = None
    data_manifest: dict[str, Any] = field(default_factory=dict)
    commit: str | None = None
    pull_request: int | None = None
    audited_head_sha: str | None = None
    merge_sha: str | None = None
    released_at: str | None = None
    audit: dict[str, Any] = field(default_factory=dict)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    deploy: dict[str, Any] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    statement_sha256: str | None = None
    verified: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def iter_log_lines(paths: Iterable[Path]) -> Iterator[str]:
    for path in paths:
        with path.open(encoding="utf-8", errors="replace") as fh:
            yield from fh


def cloudwatch_lines(logs_client: LogsClient, function_name: str, request_id: str, *,
                     region: str = "") -> Iterator[str]:
    """Lines of the function's log group that mention the request id."""
    for event in log_events(logs_client, function_log_group(function_name),
                            filter_pattern=f'"{request_id}"', region=region):
        yield event.message


def find_request(lines: Iterable[str], request_id: str) -> dict[str, Any]:
    """The ``request`` line with that id (cheap substring test before parsing)."""
    for line in lines:
        if request_id not in line:
            continue
        start = line.find("{")
        try:
            data = json.loads(line[start:]) if start >= 0 else None
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("event") == "request" \
                and data.get("request_id") == request_id:
            return data
    raise TraceError(f"no request line with request_id {request_id!r} in the log")


def _artifact_json(client: Any, run_id: str, path: str) -> dict[str, Any] | None:
    try:
        local = client.download_artifacts(run_id, path)
        data = json.loads(Path(local).read_text(encoding="utf-8"))
    except Exception:  # a missing link is reported, not raised
        return None
    return data if isinstance(data, dict) else None


def _deploy(lambda_client: Any, function_name: str, version: str) -> dict[str, Any]:
    """The Lambda version(s) whose description names this model version."""
    from modelgate.infra.deploy import parse_version_description

    found: list[dict[str, Any]] = []
    paginator = lambda_client.get_paginator("list_versions_by_function")
    for page in paginator.paginate(FunctionName=function_name):
        for fn in page.get("Versions", []):
            fields = parse_version_description(fn.get("Description", ""))
            if fields.get("model_version") == version:
                found.append({"lambda_version": fn["Version"], "deploy_id": fields.get("deploy_id"),
                              "bundle_sha256": fields.get("bundle_sha256"),
                              "commit": fields.get("commit"),
                              "last_modified": fn.get("LastModified")})
    return {"function": function_name, "versions": found}


def verify_links(t: Trace, statement: Any) -> None:
    """Check the trace's links against a verified statement (a ``VerifiedStatement``)."""
    pred = statement.predicate
    train, src, model = (pred.get(k) or {} for k in ("training", "source", "model"))
    checks = [("statement sha256 (log line -> signed statement)", t.statement_sha256,
               statement.digest),
              ("model version", t.version, model.get("version")),
              ("run id", t.run_id, train.get("runId")),
              ("data sha256", t.data_sha256, train.get("dataSha256")),
              ("commit", t.commit, src.get("mergeCommit"))]
    for label, seen, signed in checks:
        if seen == signed:
            t.verified.append(f"{label} = {signed}")
        else:
            t.mismatches.append(f"{label}: {seen} here, {signed} in the signed statement")
    t.verified.append(f"bundle files = statement subjects ({len(statement.statement['subject'])})")
    t.approvals = list(pred.get("approvals") or [])  # the signed approvals, not the tag's
    t.pull_request = src.get("pullRequest")
    t.audited_head_sha, t.merge_sha = src.get("auditedHead"), src.get("mergeCommit")


def trace(request_id: str, lines: Iterable[str], client: Any, *, lambda_client: Any = None,
          function_name: str | None = None, statement: Any = None) -> Trace:
    request = find_request(lines, request_id)
    name, version = request.get("model_name"), request.get("model_version")
    if not name or not version:
        raise TraceError(f"request {request_id} was answered without a model "
                         f"(status {request.get('status')}): nothing to trace")
    result = Trace(schema_version=TRACE_SCHEMA_VERSION, request_id=request_id, request=request,
                   model_name=str(name), version=str(version), alias=request.get("alias"))
    mv = client.get_model_version(str(name), str(version))
    tags = dict(mv.tags or {})
    result.run_id = mv.run_id
    run = client.get_run(mv.run_id)
    result.data_sha256 = run.data.tags.get(tracking.TAG_DATA_SHA)
    result.commit = run.data.tags.get(tracking.TAG_COMMIT)
    manifest = _artifact_json(client, mv.run_id, "run_manifest.json") or {}
    result.data_manifest = {k: manifest.get(k) for k in ("data_path", "data_sha256",
                                                          "dataset_shape", "features")
                            if k in manifest}
    if tags.get(TAG_PR):
        result.pull_request = int(tags[TAG_PR])
    result.audited_head_sha = tags.get(TAG_AUDITED_HEAD)
    result.merge_sha = tags.get(TAG_MERGE)
    result.released_at = tags.get(TAG_RELEASED)
    report_json = _artifact_json(client, mv.run_id, f"{RUN_AUDIT_DIR}/audit_report.json")
    if report_json is not None:
        report = AuditReport.model_validate(report_json)
        result.audit = {"passed": report.passed, "commit": report.commit,
                        "audits": {a.id: a.status for a in report.audits},
                        "recorded_on_version": tags.get(VERSION_TAG_PASSED)}
    if tags.get(TAG_APPROVALS):
        result.approvals = list(json.loads(tags[TAG_APPROVALS]))
    if lambda_client is not None and function_name:
        result.deploy = _deploy(lambda_client, function_name, str(version))
    result.statement_sha256 = request.get("statement_sha256")
    if statement is not None:
        verify_links(result, statement)
    for label, value in (("data sha256", result.data_sha256), ("commit", result.commit),
                         ("pull request", result.pull_request),
                         ("audit report", result.audit or None),
                         ("approvals", result.approvals or None),
                         ("deploy", (result.deploy or {}).get("versions") or None)):
        if value is None:
            result.missing.append(label)
    return result


def render(t: Trace) -> str:
    req = t.request
    lines = [
        f"request   {t.request_id} at {req.get('timestamp')}: {req.get('path')} -> "
        f"status {req.get('status')}, predictions {req.get('predictions')}",
        f"served by {t.model_name} v{t.version} (alias {t.alias})",
        f"run       {t.run_id}",
        f"data      sha256 {t.data_sha256}  {t.data_manifest.get('data_path', '')} "
        f"{t.data_manifest.get('dataset_shape', '')}",
        f"commit    {t.commit}" + (" (the merge commit)" if t.merge_sha == t.commit
                                     else f" (merge {t.merge_sha})" if t.merge_sha else ""),
        f"PR        #{t.pull_request} (audited head {t.audited_head_sha})"
        if t.pull_request else "PR        (not recorded)",
    ]
    if t.audit:
        statuses = ", ".join(f"{k} {v}" for k, v in t.audit["audits"].items())
        lines.append(f"audits    {'passed' if t.audit['passed'] else 'FAILED'} at "
                     f"{t.audit['commit'][:12]}: {statuses}")
    for a in t.approvals:
        lines.append(f"approved  {a.get('role')}: {a.get('login')} at {a.get('at')}")
    for d in (t.deploy or {}).get("versions", []):
        lines.append(f"deployed  {t.deploy['function']}:{d['lambda_version']} by deploy "
                     f"{d['deploy_id']} at {d['last_modified']}")
    if t.statement_sha256:
        lines.append(f"statement sha256 {t.statement_sha256}")
    lines += [f"verified  {v}" for v in t.verified]
    lines += [f"MISMATCH  {m}" for m in t.mismatches]
    if t.missing:
        lines.append(f"missing   {', '.join(t.missing)}")
    return "\n".join(lines)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate release``: the trusted job after the bot's merge.

It never loads anything the PR job produced. It proves the merged tree is the audited
tree, retrains at the merge commit against the persistent tracking server, proves the new
model is the audited one (same fingerprint: reproducibility makes that possible), re-runs
every audit there, and only then records the release on the version and promotes it.
A version registered by a refused release stays in the registry, tagged with the reason,
and can never be promoted (promotion requires the passed audit recorded on it).
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404 - fixed git argv
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelgate.bot.approvals.trailers import approvals_from_message
from modelgate.bot.check.evidence import git_tree
from modelgate.bot.check.pipeline import VERSION_TAG_REPORT_SHA, run_check
from modelgate.bot.check.report import AuditReport
from modelgate.bot.release import statement as st
from modelgate.bot.release.signing import Signer
from modelgate.errors import ModelgateError
from modelgate.governance import LoadedConfig
from modelgate.hashing import sha256_bytes
from modelgate.progress import ConsoleReporter, Reporter
from modelgate.training import tracking

RELEASE_SCHEMA_VERSION = 1
TAG_PR = "modelgate.pr"
TAG_AUDITED_HEAD = "modelgate.audited_head_sha"
TAG_MERGE = "modelgate.merge_sha"
TAG_REFUSED = "modelgate.release.refused"
TAG_RELEASED = "modelgate.released_at"
TAG_APPROVALS = "modelgate.approvals"
NEED_SERVER = (
    "the release must train against the persistent MLflow tracking server, but "
    "MLFLOW_TRACKING_URI is not set (or points at a local file): set the repository "
    "variable MLFLOW_TRACKING_URI and the secrets MLFLOW_TRACKING_USERNAME and "
    "MLFLOW_TRACKING_PASSWORD, and pass them to the release job"
)


def _commit_message(root: Path, sha: str) -> str:
    done = subprocess.run(["git", "log", "-1", "--format=%B", sha], cwd=root,  # nosec
                          capture_output=True, text=True, timeout=30, check=False)
    return done.stdout if done.returncode == 0 else ""


class ReleaseRefused(ModelgateError):
    """The release stopped before promotion; the message says why."""


@dataclass(frozen=True)
class ReleaseRecord:
    schema_version: int
    model_name: str
    version: str
    run_id: str
    merge_sha: str
    audited_head_sha: str
    tree_sha: str
    pr_number: int
    model_fingerprint: str
    alias: str
    bundle_uri: str | None
    released_at: str
    statement_sha256: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _base_governance(config: LoadedConfig, merge_sha: str) -> tuple[str, str]:
    """(base commit, sha256 of governance.yml there): the configuration that judged the PR
    is the base branch's, i.e. the merge commit's first parent's."""
    rel = config.path.resolve().relative_to(config.root.resolve()).as_posix()
    base = subprocess.run(["git", "rev-parse", f"{merge_sha}^1"], cwd=config.root,  # nosec
                          capture_output=True, text=True, timeout=30, check=False).stdout.strip()
    shown = subprocess.run(["git", "show", f"{merge_sha}^1:{rel}"], cwd=config.root,  # nosec
                           capture_output=True, timeout=30, check=False)
    if not base or shown.returncode != 0:
        raise ReleaseRefused(f"cannot read {rel} at the merge commit's base ({merge_sha}^1)")
    return base, sha256_bytes(shown.stdout)


def _gate_change(config: LoadedConfig, base: str, merge_sha: str) -> bool:
    """Did the merge change the gate itself (``governance.yml`` ``gate: paths``)?"""
    from modelgate.bot.approvals.gate import gate_paths

    done = subprocess.run(["git", "diff", "--name-only", base, merge_sha],  # nosec
                          cwd=config.root, capture_output=True, text=True, timeout=30,
                          check=False)
    if done.returncode != 0:
        return True  # unknown: require the gate role
    return bool(gate_paths(done.stdout.split(), config.governance.gate.paths))


def _head(root: Path) -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,  # nosec
                          text=True, timeout=30, check=False)
    return done.stdout.strip()


def _is_local(uri: str) -> bool:
    return uri.startswith(("sqlite:", "file:")) or "://" not in uri


def release(
    config: LoadedConfig, *, merge_sha: str, audited_head_sha: str, audited: AuditReport,
    pr_number: int, out_dir: Path, tracking_uri: str | None = None,
    require_server: bool | None = None, reporter: Reporter | None = None,
    promote: Callable[..., Any] | None = None, s3_client: Any = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    signer: Signer | None = None, repository: str = "", ledger: Any = None,
    actor: dict[str, str | None] | None = None,
) -> ReleaseRecord:
    """Verify, retrain, re-audit, compare, then promote; raise ``ReleaseRefused`` otherwise."""
    rep = reporter or ConsoleReporter()
    gov = config.governance
    uri = config.tracking_uri(tracking_uri)
    if require_server is None:
        require_server = os.environ.get("GITHUB_ACTIONS") == "true"
    if require_server and _is_local(uri):
        raise ReleaseRefused(NEED_SERVER)
    with rep.step("Check the merged tree against the audited head"):
        head = _head(config.root)
        if head != merge_sha:
            raise ReleaseRefused(f"the checkout is at {head or 'no commit'}, not at the merge "
                                 f"commit {merge_sha}")
        if audited.commit != audited_head_sha or not audited.passed:
            raise ReleaseRefused(f"the audit report is for {audited.commit} "
                                 f"(passed: {audited.passed}), not a pass at {audited_head_sha}")
        merged_tree = git_tree(config.root, merge_sha)
        audited_tree = git_tree(config.root, audited_head_sha)
        if merged_tree != audited_tree:
            raise ReleaseRefused(
                f"the merged tree {merged_tree} differs from the audited head's tree "
                f"{audited_tree}: the base moved between the audit and the merge; "
                "re-run the audits on an updated pull request")
        rep.info(f"tree {merged_tree} = audited tree")
    with rep.step("Retrain and re-audit at the merge commit"):
        result = run_check(config, out_dir, tracking_uri=tracking_uri, reporter=rep,
                           clock=clock)
    report = result.report
    client = tracking.configure(config, tracking_uri)
    version = str(report.model_version)

    def refuse(reason: str) -> ReleaseRefused:
        client.set_model_version_tag(gov.model.name, version, TAG_REFUSED, reason[:5000])
        return ReleaseRefused(reason)

    # every reason at once, identity first: a reviewer fixing one should not meet the next
    reasons = []
    if report.model_fingerprint != audited.model_fingerprint:
        reasons.append(
            f"the retrained model's fingerprint {report.model_fingerprint} differs from the "
            f"audited {audited.model_fingerprint}: it is not the model that was approved")
    if not report.passed:
        failing = ", ".join(a.id for a in report.failing())
        reasons.append(f"audits failed at the merge commit: {failing}")
    if reasons:
        raise refuse("; ".join(reasons))
    message = _commit_message(config.root, merge_sha)
    approvals = approvals_from_message(message)
    for key, value in ((TAG_PR, str(pr_number)), (TAG_AUDITED_HEAD, audited_head_sha),
                       (TAG_MERGE, merge_sha), (TAG_RELEASED, clock().isoformat()),
                       (TAG_APPROVALS, json.dumps(approvals, separators=(",", ":")))):
        client.set_model_version_tag(gov.model.name, version, key, value)
    rep.info(f"fingerprint {str(report.model_fingerprint)[:16]}… = audited; "
             f"{gov.model.name} v{version} released from PR #{pr_number}")
    bundle_uri = statement_sha256 = None
    assert report.run_id is not None and report.model_fingerprint is not None
    attest = None
    if signer is not None:
        run_tags = client.get_run(report.run_id).data.tags
        vtags = client.get_model_version(gov.model.name, version).tags or {}
        base, gov_sha = _base_governance(config, merge_sha)
        facts = st.ReleaseFacts(
            repository=repository, pull_request=pr_number, audited_head=audited_head_sha,
            merge_commit=merge_sha, tree=merged_tree, governance_ref=base,
            governance_sha256=gov_sha, audit_report_sha256=str(vtags.get(VERSION_TAG_REPORT_SHA)),
            audit_passed=report.passed, audit_commit=report.commit,
            verdicts={a.id: a.status for a in report.audits}, model_name=gov.model.name,
            model_version=version, alias=gov.aliases.production, run_id=report.run_id,
            data_sha256=str(report.data_sha256),
            lock_sha256=str(run_tags.get(tracking.TAG_LOCK)),
            model_fingerprint=report.model_fingerprint,
            released_at=clock().isoformat(timespec="seconds"),
            approvals=st.approvals_from_message(message),
            author=st.author_from_message(message),
            gate_change=_gate_change(config, base, merge_sha))

        def attest(bundle_dir: Path) -> st.WrittenStatement:
            return st.attest(bundle_dir, facts, signer)
    if promote is not None:
        with rep.step(f"Promote v{version} to {gov.aliases.production}"):
            extra: dict[str, Any] = {"attest": attest} if attest is not None else {}
            if ledger is not None:
                extra |= {"ledger": ledger, "actor": actor}
            record = promote(client, config, version=version, alias=gov.aliases.production,
                             s3_client=s3_client, out_dir=out_dir, clock=clock, **extra)
            bundle_uri = getattr(record, "bundle_uri", None)
            statement_sha256 = getattr(record, "statement_sha256", None)
    return ReleaseRecord(
        schema_version=RELEASE_SCHEMA_VERSION, model_name=gov.model.name, version=version,
        run_id=report.run_id, merge_sha=merge_sha, audited_head_sha=audited_head_sha,
        tree_sha=merged_tree, pr_number=pr_number, model_fingerprint=report.model_fingerprint,
        alias=gov.aliases.production, bundle_uri=bundle_uri,
        released_at=clock().isoformat(timespec="seconds"), statement_sha256=statement_sha256,
    )

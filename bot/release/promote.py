# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate promote``: move an MLflow alias to an audited version, with its bundle in S3.

Handbook §3.3: a version is promoted only when its source run holds every piece of
evaluation evidence and the audit report recorded on the version passed on the commit
that produced it. Every check reads the store itself, and all missing pieces are named at
once in :class:`PromotionRefused`:

* the version exists, names its source run, and its ``source_run_id`` tag agrees;
* the run is FINISHED, from a clean tree, with every required tag, metric and artifact
  (:data:`modelgate.training.tracking.REQUIRED_TAGS`, ``required_metrics(task)``,
  ``required_artifacts(task)``),
  and the version's ``git_commit``/``data_sha256``/``model_fingerprint`` tags equal the run's;
* the version carries ``modelgate.audit.passed == "true"`` and ``modelgate.audit.commit``
  equal to the run's commit; the recorded ``audit/audit_report.json`` artifact has the
  sha256 the version records, validates as :class:`modelgate.bot.check.report.AuditReport`, passed,
  lists every audit of the runner with status ``pass``, and names this model, commit,
  run, version, data and fingerprint;
* ``governance.yml`` still gives the features, task, threshold and positive class the run
  was trained with (the bundle carries them), the data file still has the run's sha256, and
  the model loaded from the registry reproduces the run's fingerprint (its task's scores)
  on the pinned evaluation rows (so the model exported is the model that was audited);
* with ``require_staging=True`` (``modelgate promote --require-staging``), promotion to
  ``production`` also needs an earlier promotion of the same version to ``staging`` (its
  ``modelgate.promoted.<staging alias>`` tag).

Staging first is NOT required by default. Every check that a staging promotion would
have proved (evidence, audit record, fingerprint, ONNX parity, the bundle's cold-start
check read back from S3) runs again on every promotion, and the release road of the
handbook (§6, ``bot/release.py``) retrains at the merge commit and promotes that new
version straight to production: it has never been anywhere else, and a staging hop
right before production would add no evidence. Teams that want the hop turn it on.

Order. The alias moves LAST: the bundle is exported (ONNX, parity within
:data:`modelgate.infra.bundle.PARITY_TOLERANCE` on the pinned evaluation rows, recorded in the
manifest), uploaded under ``<deploy.prefix>/bundles/<model>/v<version>/<alias>/``, and
read back from S3 through serving's own cold-start check before the alias is touched. A
failure at any of those steps therefore leaves the alias exactly where it was, with
nothing to undo. The promotion is then recorded on the version as the tag
``modelgate.promoted.<alias>`` (JSON: bundle URI, bundle sha256 = sha256 of
``manifest.json``, date, previous version); if that write fails the alias is put back.

Bundles are immutable: a second promotion of the same version to the same alias (say,
to move ``production`` back to it) reuses the bundle already in S3 after verifying it
and checking that its manifest names this version, run, commit and data.
"""

from __future__ import annotations

import json
import math
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from modelgate.bot.check import runner
from modelgate.bot.check.audits import model_card
from modelgate.bot.check.pipeline import (
    RUN_AUDIT_DIR,
    VERSION_TAG_COMMIT,
    VERSION_TAG_PASSED,
    VERSION_TAG_REPORT_SHA,
)
from modelgate.bot.check.report import REPORT_FILE, AuditReport
from modelgate.bot.release.ledger import Ledger, caller_identity, mlflow_target
from modelgate.errors import ModelgateError
from modelgate.governance import LoadedConfig
from modelgate.hashing import sha256_bytes, sha256_file
from modelgate.infra.bundle import (
    BundleExportError,
    BundleMeta,
    BundleUploadError,
    export_bundle,
    task_fields,
    upload_bundle,
)
from modelgate.serving.attestation import STATEMENT_FILE
from modelgate.serving.bundle import BundleError, download_s3_bundle, load_bundle
from modelgate.serving.manifest import MANIFEST_NAME, BundleManifest
from modelgate.training import tracking
from modelgate.training.data import DataError, load_dataset
from modelgate.training.train import fingerprint, predict_scores

STAGES = ("staging", "production")
TAG_PROMOTED = "modelgate.promoted.{alias}"
RECORD_SCHEMA_VERSION = 1
PROMOTION_FILE = "promotion.json"
BUNDLE_DIR = "bundle"
AUDIT_REPORT_ARTIFACT = f"{RUN_AUDIT_DIR}/{REPORT_FILE}"
TEST_IDS_ARTIFACT = "evaluation/test_ids.json"
RUN_MANIFEST_ARTIFACT = "run_manifest.json"
REQUIRED_AUDITS: tuple[str, ...] = (
    *(module.AUDIT_ID for module in runner.AUDITS_BEFORE_CARD), model_card.AUDIT_ID)
MAX_ARTIFACT_DEPTH = 4
NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
# sklearn warns when a pipeline fitted on named columns gets a bare array; the exporter
# feeds arrays in the configured feature order, which is what the names say.
FEATURE_NAME_WARNING = "X does not have valid feature names"

R_STAGE = "{alias!r} is not a promotion target; use one of {stages}"
R_NO_VERSION = "model {name!r} has no version {version!r} in the registry"
R_VERSION_UNREADABLE = "version {version!r} of {name!r} cannot be read: {error}"
R_NO_RUN = "version {version} names no source run"
R_RUN_TAG = "version tag source_run_id is {tag!r}, but the version's source run is {run_id}"
R_RUN_UNREADABLE = "source run {run_id} cannot be read: {error}"
R_RUN_STATUS = "source run {run_id} is {status}, not FINISHED"
R_MISSING_TAGS = "source run lacks tags {names}"
R_DIRTY = "source run was trained from a tree with uncommitted changes (git_dirty={value!r})"
R_MISSING_METRICS = "source run lacks metrics {names}"
R_BAD_METRICS = "source run has non-finite metrics {names}"
R_MISSING_ARTIFACTS = "source run lacks evaluation artifacts {names}"
R_VERSION_TAG = "version tag {tag} is {version_value!r}, but the source run's is {run_value!r}"
R_AUDIT_NONE = "no audit report is recorded on version {version} (tag {tag} is absent)"
R_AUDIT_FAILED = "the audit report recorded on version {version} failed ({tag}={value!r})"
R_AUDIT_COMMIT = ("the audit report was recorded for commit {audited!r}, but version {version} "
                  "was trained at commit {commit!r}")
R_NO_REPORT_SHA = "version {version} records no audit report sha256 (tag {tag} is absent)"
R_REPORT_UNREADABLE = "the recorded audit report {path} cannot be read: {error}"
R_REPORT_SHA = ("the audit report artifact {path} has sha256 {actual}, but version {version} "
                "records {expected}: it changed after it was recorded")
R_REPORT_INVALID = "the audit report artifact {path} is not a valid audit report: {error}"
R_REPORT_FIELD = "the audit report's {field} is {actual!r}, expected {expected!r}"
R_REPORT_NOT_PASSED = "the audit report did not pass (failing: {audits})"
R_REPORT_MISSING_AUDITS = "the audit report lacks audits {ids}"
R_STAGING_FIRST = ("version {version} was never promoted to {staging!r}; promote it there "
                   "before {production!r}")
R_CONFIG_CHANGED = ("governance.yml gives {field} {config!r}, but the run was trained with "
                    "{run!r}; retrain and audit under the current configuration")
R_RUN_MANIFEST = "the run's {path} cannot be read: {error}"
R_DATA = "the data cannot be loaded to rebuild the evaluation rows: {error}"
R_DATA_SHA = ("the data file's sha256 is {actual}, but the run was trained on {expected}; "
              "the pinned evaluation rows cannot be rebuilt")
R_TEST_IDS = "the pinned evaluation set {path} is unusable: {error}"
R_FINGERPRINT = ("the registry's model gives fingerprint {actual} on the pinned evaluation "
                 "rows, but the run recorded {expected}: it is not the audited model")
R_MODEL = "models:/{name}/{version} cannot be loaded: {error}"

F_BUNDLE_DIR = "{path} exists and is not empty; choose another output directory"
F_EXPORT = "bundle export failed: {error}"
F_UPLOAD = "bundle upload failed: {error}"
F_VERIFY = "the bundle in S3 at {uri} does not verify: {error}"
F_IDENTITY = ("S3 already holds a bundle at {uri} that names {field} {actual!r}, not "
              "{expected!r}; bundles are immutable, so the promotion stops")
F_COPY = "the manifest in S3 differs from the one just exported"
F_S3 = "cannot read s3://{bucket}/{prefix}: {error}"
F_ALIAS = "cannot move alias {alias!r}: {error}"
F_RECORD = ("cannot record the promotion on version {version} ({error}); alias {alias!r} was "
            "put back to {previous}")
ALIAS_STATE = "Alias {alias!r} is unchanged ({state})."

Clock = Callable[[], datetime]
Attest = Callable[[Path], object]  # writes the signed release statement into a bundle dir


class PromotionError(ModelgateError):
    """A promotion that did not happen; the message says why and where the alias is."""


class PromotionRefused(PromotionError):
    """The version may not be promoted; ``reasons`` names each missing piece."""

    def __init__(self, name: str, version: str, alias: str, reasons: list[str],
                 alias_state: str) -> None:
        self.reasons = list(reasons)
        lines = "\n".join(f"  - {r}" for r in self.reasons)
        super().__init__(f"promotion of {name} version {version} to {alias!r} refused:\n"
                         f"{lines}\n{alias_state}")


class PromotionFailed(PromotionError):
    """A step after the checks failed (export, parity, upload, S3, registry)."""


@dataclass(frozen=True)
class PromotionRecord:
    """What one promotion did; also written as ``promotion.json`` and (in part) as the
    version tag ``modelgate.promoted.<alias>``."""

    model_name: str
    version: str
    stage: str
    alias: str
    previous_version: str | None
    run_id: str
    commit: str
    data_sha256: str
    model_fingerprint: str
    audit_report_sha256: str
    bundle_uri: str
    bundle_sha256: str
    bundle_dir: str
    bundle_reused: bool
    parity: dict[str, Any]
    promoted_at: str
    statement_sha256: str | None = None
    ledger_seq: int | None = None
    schema_version: int = RECORD_SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    def tag_value(self) -> str:
        """The compact JSON stored in ``modelgate.promoted.<alias>``."""
        return json.dumps({
            "schema_version": RECORD_SCHEMA_VERSION, "bundle_uri": self.bundle_uri,
            "bundle_sha256": self.bundle_sha256, "promoted_at": self.promoted_at,
            "previous_version": self.previous_version}, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class PromotedTag:
    """A parsed ``modelgate.promoted.<alias>`` tag."""

    bundle_uri: str
    bundle_sha256: str
    promoted_at: str
    previous_version: str | None


def parse_promoted_tag(value: str | None) -> PromotedTag | None:
    """The tag's content, or None when it is absent or not one modelgate wrote."""
    if not value:
        return None
    try:
        data = json.loads(value)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or data.get("schema_version") != RECORD_SCHEMA_VERSION:
        return None
    uri, sha, at = data.get("bundle_uri"), data.get("bundle_sha256"), data.get("promoted_at")
    previous = data.get("previous_version")
    if not (isinstance(uri, str) and isinstance(sha, str) and isinstance(at, str)):
        return None
    return PromotedTag(uri, sha, at, previous if isinstance(previous, str) else None)


@dataclass(frozen=True)
class Evidence:
    """What the checks established about the version, for the export that follows."""

    name: str
    version: str
    run_id: str
    commit: str
    data_sha256: str
    model_fingerprint: str
    report_sha256: str
    version_tags: dict[str, str]


def stage_of(config: LoadedConfig, alias: str) -> str:
    """The stage (``staging``/``production``) named by a stage or a configured alias name."""
    aliases = config.governance.aliases
    if alias in STAGES:
        return alias
    for stage in STAGES:
        if alias == getattr(aliases, stage):
            return stage
    configured = sorted({*STAGES, aliases.staging, aliases.production})
    raise PromotionRefused(config.governance.model.name, "?", alias,
                           [R_STAGE.format(alias=alias, stages=", ".join(configured))], "")


def mlflow_alias(config: LoadedConfig, alias: str) -> str:
    """The configured MLflow alias name for a stage (or for a configured alias name)."""
    return str(getattr(config.governance.aliases, stage_of(config, alias)))


def alias_version(client: Any, name: str, alias: str) -> str | None:
    """The version an alias points at, or None when it is not set (or the model is new)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def bundle_prefix(config: LoadedConfig, version: str, alias: str) -> str:
    """``<deploy.prefix>/bundles/<model>/v<version>/<alias>``: one immutable bundle each."""
    gov = config.governance
    parts = [gov.deploy.prefix.strip("/"), "bundles", gov.model.name, f"v{version}", alias]
    return "/".join(p for p in parts if p)


# --- the checks -------------------------------------------------------------------------


def _artifact_paths(client: Any, run_id: str, path: str | None = None, depth: int = 0
                    ) -> set[str]:
    found: set[str] = set()
    for info in client.list_artifacts(run_id, path):
        if info.is_dir and depth < MAX_ARTIFACT_DEPTH:
            found |= _artifact_paths(client, run_id, info.path, depth + 1)
        elif not info.is_dir:
            found.add(info.path)
    return found


def _download(client: Any, run_id: str, path: str, dest: Path) -> bytes:
    import mlflow

    local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=path,
                                                dst_path=str(dest),
                                                tracking_uri=client.tracking_uri)
    return Path(local).read_bytes()


def _check_run(client: Any, run: Any, task: str, reasons: list[str]) -> None:
    run_id = run.info.run_id
    if run.info.status != "FINISHED":
        reasons.append(R_RUN_STATUS.format(run_id=run_id, status=run.info.status))
    tags = dict(run.data.tags)
    missing = [t for t in tracking.REQUIRED_TAGS if not tags.get(t)]
    if missing:
        reasons.append(R_MISSING_TAGS.format(names=missing))
    if tags.get(tracking.TAG_DIRTY, "false") != "false":
        reasons.append(R_DIRTY.format(value=tags.get(tracking.TAG_DIRTY)))
    metrics = dict(run.data.metrics)
    required = tracking.required_metrics(task)
    absent = [m for m in required if m not in metrics]
    if absent:
        reasons.append(R_MISSING_METRICS.format(names=absent))
    bad = [m for m in required if m in metrics and not math.isfinite(metrics[m])]
    if bad:
        reasons.append(R_BAD_METRICS.format(names=bad))
    present = _artifact_paths(client, run_id)
    lacking = [a for a in tracking.required_artifacts(task) if a not in present]
    if lacking:
        reasons.append(R_MISSING_ARTIFACTS.format(names=lacking))


def _check_version_tags(vtags: dict[str, str], rtags: dict[str, str], reasons: list[str]) -> None:
    for vtag, rtag in ((tracking.VERSION_TAG_COMMIT, tracking.TAG_COMMIT),
                       (tracking.VERSION_TAG_DATA, tracking.TAG_DATA_SHA),
                       (tracking.VERSION_TAG_FINGERPRINT, tracking.TAG_FINGERPRINT)):
        if vtags.get(vtag) != rtags.get(rtag):
            reasons.append(R_VERSION_TAG.format(tag=vtag, version_value=vtags.get(vtag),
                                                run_value=rtags.get(rtag)))


def _check_audit_tags(version: str, vtags: dict[str, str], commit: str,
                      reasons: list[str]) -> None:
    passed = vtags.get(VERSION_TAG_PASSED)
    if passed is None:
        reasons.append(R_AUDIT_NONE.format(version=version, tag=VERSION_TAG_PASSED))
    elif passed != "true":
        reasons.append(R_AUDIT_FAILED.format(version=version, tag=VERSION_TAG_PASSED,
                                             value=passed))
    audited = vtags.get(VERSION_TAG_COMMIT)
    if audited is not None and audited != commit:
        reasons.append(R_AUDIT_COMMIT.format(audited=audited, version=version, commit=commit))
    elif audited is None and passed is not None:
        reasons.append(R_AUDIT_COMMIT.format(audited=None, version=version, commit=commit))
    if vtags.get(VERSION_TAG_REPORT_SHA) is None:
        reasons.append(R_NO_REPORT_SHA.format(version=version, tag=VERSION_TAG_REPORT_SHA))


def _check_report(raw: bytes, expected: dict[str, str | None], report_sha: str | None,
                  version: str, reasons: list[str]) -> None:
    actual_sha = sha256_bytes(raw)
    if report_sha is not None and actual_sha != report_sha:
        reasons.append(R_REPORT_SHA.format(path=AUDIT_REPORT_ARTIFACT, actual=actual_sha,
                                           version=version, expected=report_sha))
    try:
        report = AuditReport.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        reasons.append(R_REPORT_INVALID.format(path=AUDIT_REPORT_ARTIFACT,
                                               error=f"{where}: {first['msg']}"))
        return
    for name, want in expected.items():
        got = getattr(report, name)
        if got != want:
            reasons.append(R_REPORT_FIELD.format(field=name, actual=got, expected=want))
    failing = [f"{a.id} ({a.status})" for a in report.audits if a.status != "pass"]
    if not report.passed or failing:
        reasons.append(R_REPORT_NOT_PASSED.format(audits=", ".join(failing) or "none listed"))
    ids = {a.id for a in report.audits}
    lacking = [a for a in REQUIRED_AUDITS if a not in ids]
    if lacking:
        reasons.append(R_REPORT_MISSING_AUDITS.format(ids=lacking))


def check_promotable(client: Any, config: LoadedConfig, version: str, alias: str,
                     *, workdir: Path) -> Evidence:
    """Run every check of the module docstring; raise :class:`PromotionRefused` naming
    each failure, or return what they established."""
    from mlflow.exceptions import MlflowException

    name = config.governance.model.name
    state = ALIAS_STATE.format(alias=alias, state=_state(alias_version(client, name, alias)))

    def refuse(reasons: list[str]) -> PromotionRefused:
        return PromotionRefused(name, version, alias, reasons, state)

    try:
        mv = client.get_model_version(name, version)
    except MlflowException as exc:
        missing = exc.error_code == NOT_FOUND
        raise refuse([(R_NO_VERSION if missing else R_VERSION_UNREADABLE).format(
            name=name, version=version, error=_short(exc))]) from None
    reasons: list[str] = []
    run_id = str(mv.run_id or "")
    vtags = {str(k): str(v) for k, v in (mv.tags or {}).items()}
    if not run_id:
        raise refuse([R_NO_RUN.format(version=version)])
    if vtags.get(tracking.VERSION_TAG_RUN) != run_id:
        reasons.append(R_RUN_TAG.format(tag=vtags.get(tracking.VERSION_TAG_RUN), run_id=run_id))
    try:
        run = client.get_run(run_id)
    except MlflowException as exc:
        raise refuse([*reasons, R_RUN_UNREADABLE.format(run_id=run_id,
                                                        error=exc.error_code)]) from None
    _check_run(client, run, config.governance.task, reasons)
    rtags = {str(k): str(v) for k, v in run.data.tags.items()}
    _check_version_tags(vtags, rtags, reasons)
    commit = rtags.get(tracking.TAG_COMMIT, "")
    _check_audit_tags(version, vtags, commit, reasons)
    try:
        raw = _download(client, run_id, AUDIT_REPORT_ARTIFACT, workdir / "audit")
    except (MlflowException, OSError) as exc:
        reasons.append(R_REPORT_UNREADABLE.format(path=AUDIT_REPORT_ARTIFACT,
                                                  error=_short(exc)))
    else:
        expected: dict[str, str | None] = {
            "model_name": name, "commit": commit, "run_id": run_id, "model_version": version,
            "data_sha256": rtags.get(tracking.TAG_DATA_SHA),
            "model_fingerprint": rtags.get(tracking.TAG_FINGERPRINT)}
        _check_report(raw, expected, vtags.get(VERSION_TAG_REPORT_SHA), version, reasons)
    if reasons:
        raise refuse(reasons)
    return Evidence(name=name, version=version, run_id=run_id, commit=commit,
                    data_sha256=rtags[tracking.TAG_DATA_SHA],
                    model_fingerprint=rtags[tracking.TAG_FINGERPRINT],
                    report_sha256=vtags[VERSION_TAG_REPORT_SHA], version_tags=vtags)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:300]


def _state(version: str | None) -> str:
    return f"still version {version}" if version is not None else "still not set"


# --- the evaluation rows and the model --------------------------------------------------


@dataclass(frozen=True)
class _Pinned:
    X: NDArray[np.float64]
    features: tuple[str, ...]
    threshold: float
    positive_class: str
    negative_class: str
    categories: dict[str, tuple[str, ...]]


def _pinned_rows(client: Any, config: LoadedConfig, ev: Evidence, workdir: Path,
                 reasons: list[str]) -> _Pinned | None:
    """Rebuild the pinned evaluation rows and check the configuration still matches the
    run's (features, threshold, positive class go into the bundle)."""
    gov = config.governance
    try:
        run_manifest = json.loads(_download(client, ev.run_id, RUN_MANIFEST_ARTIFACT,
                                            workdir / "run"))
        pinned = json.loads(_download(client, ev.run_id, TEST_IDS_ARTIFACT, workdir / "run"))
    except Exception as exc:  # MLflow, OS and JSON errors all mean "no usable evidence"
        reasons.append(R_RUN_MANIFEST.format(
            path=f"{RUN_MANIFEST_ARTIFACT} or {TEST_IDS_ARTIFACT}", error=_short(exc)))
        return None
    recorded = {"task": "binary", **run_manifest}  # runs before tasks were all binary
    for field, configured in (("features", list(gov.data.features)),
                              ("task", gov.task),
                              ("threshold", gov.estimator.threshold),
                              ("positive_class", gov.data.target.positive_class)):
        if recorded.get(field) != configured:
            reasons.append(R_CONFIG_CHANGED.format(field=field, config=configured,
                                                   run=recorded.get(field)))
    try:
        dataset = load_dataset(config)
    except DataError as exc:
        reasons.append(R_DATA.format(error=exc))
        return None
    if dataset.sha256 != ev.data_sha256:
        reasons.append(R_DATA_SHA.format(actual=dataset.sha256, expected=ev.data_sha256))
    ids = pinned.get("ids") if isinstance(pinned, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        reasons.append(R_TEST_IDS.format(path=TEST_IDS_ARTIFACT, error="no list of ids"))
        return None
    if pinned.get("data_sha256") != ev.data_sha256:
        reasons.append(R_TEST_IDS.format(path=TEST_IDS_ARTIFACT,
                                         error=f"recorded for data {pinned.get('data_sha256')}"))
    position = {str(i): k for k, i in enumerate(dataset.ids)}
    unknown = [i for i in ids if i not in position]
    if unknown or len(set(ids)) != len(ids):
        reasons.append(R_TEST_IDS.format(
            path=TEST_IDS_ARTIFACT,
            error=f"{len(unknown)} id(s) not in the data, {len(ids) - len(set(ids))} repeated"))
        return None
    X = dataset.X[[position[i] for i in ids]]
    return _Pinned(X=X, features=dataset.features, threshold=gov.estimator.threshold,
                   positive_class=gov.data.target.positive_class,
                   negative_class=gov.data.target.negative_class,
                   categories=dict(dataset.categories))


def _load_model(ev: Evidence, reasons: list[str]) -> Any:
    """The registered model, through the registry (``models:/name/version``)."""
    import mlflow.sklearn

    try:
        return mlflow.sklearn.load_model(f"models:/{ev.name}/{ev.version}")
    except Exception as exc:  # MLflow, skops and OS errors all mean "cannot load"
        reasons.append(R_MODEL.format(name=ev.name, version=ev.version, error=_short(exc)))
        return None


# --- the bundle -------------------------------------------------------------------------


def _identity_mismatch(manifest: BundleManifest, ev: Evidence, alias: str
                       ) -> tuple[str, str, str] | None:
    for field, actual, expected in (("model_name", manifest.model_name, ev.name),
                                    ("model_version", manifest.model_version, ev.version),
                                    ("alias", manifest.alias, alias),
                                    ("run_id", manifest.run_id, ev.run_id),
                                    ("commit", manifest.commit, ev.commit),
                                    ("data_sha256", manifest.data_sha256, ev.data_sha256)):
        if actual != expected:
            return field, actual, expected
    return None


def _s3_has_objects(s3_client: Any, bucket: str, prefix: str) -> bool:
    try:
        listing = s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix + "/", MaxKeys=1)
    except Exception as exc:  # botocore raises many types; each means "cannot list"
        raise PromotionFailed(F_S3.format(bucket=bucket, prefix=prefix,
                                          error=_short(exc))) from None
    return bool(listing.get("Contents"))


def _export(client: Any, config: LoadedConfig, ev: Evidence, alias: str, bundle_dir: Path,
            workdir: Path, clock: Clock, state: str) -> None:
    """Rebuild the evaluation rows, check the model is the audited one, export the bundle."""
    reasons: list[str] = []
    pinned = _pinned_rows(client, config, ev, workdir, reasons)
    model = _load_model(ev, reasons) if pinned is not None else None
    if pinned is not None and model is not None:
        scores = predict_scores(model, pinned.X, pinned.features, config.governance.task)
        actual = fingerprint(scores)
        if actual != ev.model_fingerprint:
            reasons.append(R_FINGERPRINT.format(actual=actual, expected=ev.model_fingerprint))
    if reasons or pinned is None:
        raise PromotionRefused(ev.name, ev.version, alias, reasons, state)
    meta = BundleMeta(model_name=ev.name, model_version=ev.version, alias=alias,
                      run_id=ev.run_id, commit=ev.commit, data_sha256=ev.data_sha256,
                      threshold=pinned.threshold, positive_class=pinned.positive_class,
                      negative_class=pinned.negative_class,
                      **task_fields(config.governance, pinned.categories))
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=FEATURE_NAME_WARNING, category=UserWarning)
            export_bundle(model, features=pinned.features, out_dir=bundle_dir, meta=meta,
                          eval_X=pinned.X, clock=clock)
    except BundleExportError as exc:
        raise PromotionFailed(f"{F_EXPORT.format(error=exc)}. {state}") from None


def _publish_bundle(client: Any, config: LoadedConfig, ev: Evidence, alias: str, *,
                    s3_client: Any, bundle_dir: Path, workdir: Path, clock: Clock,
                    state: str, attest: Attest | None = None
                    ) -> tuple[str, BundleManifest, str, bool]:
    """Export and upload (or reuse what S3 holds), then verify the S3 copy as the Lambda
    would. Returns (uri, manifest, manifest sha256, reused)."""
    bucket = config.governance.deploy.bucket
    prefix = bundle_prefix(config, ev.version, alias)
    uri = f"s3://{bucket}/{prefix}"
    reused = _s3_has_objects(s3_client, bucket, prefix)
    if not reused:
        _export(client, config, ev, alias, bundle_dir, workdir, clock, state)
        if attest is not None:  # sign the release statement over the exported files
            attest(bundle_dir)
        try:
            upload_bundle(s3_client, bundle_dir, bucket, prefix)
        except BundleUploadError as exc:
            raise PromotionFailed(f"{F_UPLOAD.format(error=exc)}. {state}") from None
    try:
        loaded = load_bundle(uri, s3_client_factory=lambda: s3_client,
                             download_root=workdir)
    except BundleError as exc:
        raise PromotionFailed(f"{F_VERIFY.format(uri=uri, error=exc)}. {state}") from None
    if not reused and sha256_file(bundle_dir / MANIFEST_NAME) != loaded.manifest_sha256:
        raise PromotionFailed(F_VERIFY.format(uri=uri, error=F_COPY) + f". {state}")
    mismatch = _identity_mismatch(loaded.manifest, ev, alias)
    if mismatch is not None:
        field, actual, expected = mismatch
        raise PromotionFailed(F_IDENTITY.format(uri=uri, field=field, actual=actual,
                                                expected=expected) + f". {state}")
    if reused:  # keep a local copy beside the record, as a fresh export does
        bundle_dir.mkdir(parents=True, exist_ok=True)
        try:
            download_s3_bundle(s3_client, uri, bundle_dir)
        except BundleError as exc:
            raise PromotionFailed(f"{F_VERIFY.format(uri=uri, error=exc)}. {state}") from None
    return uri, loaded.manifest, loaded.manifest_sha256, reused


# --- promote ----------------------------------------------------------------------------


def _move_alias(client: Any, record: PromotionRecord) -> None:
    """Point the alias at the version, then record the promotion; undo the move if the
    record cannot be written, so the alias never points at an unrecorded promotion."""
    name, alias, version = record.model_name, record.alias, record.version
    state = ALIAS_STATE.format(alias=alias, state=_state(record.previous_version))
    try:
        client.set_registered_model_alias(name, alias, version)
    except Exception as exc:  # MLflow client or transport errors
        raise PromotionFailed(f"{F_ALIAS.format(alias=alias, error=_short(exc))}. {state}"
                              ) from None
    try:
        client.set_model_version_tag(name, version, TAG_PROMOTED.format(alias=alias),
                                     record.tag_value())
    except Exception as exc:  # MLflow client or transport errors
        if record.previous_version is None:
            client.delete_registered_model_alias(name, alias)
        else:
            client.set_registered_model_alias(name, alias, record.previous_version)
        raise PromotionFailed(F_RECORD.format(version=version, error=_short(exc), alias=alias,
                                              previous=record.previous_version or "not set")
                              ) from None


def promote(client: Any, config: LoadedConfig, *, version: str, alias: str, s3_client: Any,
            out_dir: Path, clock: Clock, require_staging: bool = False,
            attest: Attest | None = None, ledger: Ledger | None = None,
            actor: dict[str, str | None] | None = None) -> PromotionRecord:
    """Promote ``version`` to ``alias``: a stage (``staging``, ``production``) or the
    alias name ``governance.yml`` configures for one.

    ``client`` is the ``MlflowClient`` from :func:`modelgate.training.tracking.configure` (which
    also points ``mlflow`` at the same store, for ``models:/`` URIs); ``s3_client`` a
    boto3 S3 client. The bundle and ``promotion.json`` are written to ``out_dir``.
    ``attest`` (the release) signs the statement into a fresh bundle before its upload;
    ``ledger`` records the alias move (with ``actor``) once it is made.
    """
    version = str(version).strip()
    name = config.governance.model.name
    stage = stage_of(config, alias)
    target = mlflow_alias(config, stage)
    bundle_dir = Path(out_dir) / BUNDLE_DIR
    if bundle_dir.exists() and (not bundle_dir.is_dir() or any(bundle_dir.iterdir())):
        raise PromotionFailed(F_BUNDLE_DIR.format(path=bundle_dir))
    previous = alias_version(client, name, target)
    state = ALIAS_STATE.format(alias=target, state=_state(previous))
    with tempfile.TemporaryDirectory(prefix="modelgate-promote-") as tmp:
        workdir = Path(tmp)
        ev = check_promotable(client, config, version, target, workdir=workdir)
        if require_staging and stage == "production":
            staging = config.governance.aliases.staging
            if parse_promoted_tag(ev.version_tags.get(TAG_PROMOTED.format(alias=staging))) is None:
                raise PromotionRefused(name, version, target, [R_STAGING_FIRST.format(
                    version=version, staging=staging, production=target)], state)
        uri, manifest, sha, reused = _publish_bundle(
            client, config, ev, target, s3_client=s3_client, bundle_dir=bundle_dir,
            workdir=workdir, clock=clock, state=state, attest=attest)
    statement = bundle_dir / STATEMENT_FILE
    record = PromotionRecord(
        model_name=name, version=version, stage=stage, alias=target, previous_version=previous,
        run_id=ev.run_id, commit=ev.commit, data_sha256=ev.data_sha256,
        model_fingerprint=ev.model_fingerprint, audit_report_sha256=ev.report_sha256,
        bundle_uri=uri, bundle_sha256=sha, bundle_dir=str(bundle_dir), bundle_reused=reused,
        parity=manifest.parity.model_dump(), promoted_at=clock().isoformat(),
        statement_sha256=sha256_file(statement) if statement.is_file() else None)
    _move_alias(client, record)
    if ledger is not None:
        entry = ledger.append(action="promote", target=mlflow_target(target),
                              model_version=version, to=version, previous=previous,
                              statement_sha256=record.statement_sha256,
                              actor=actor or caller_identity(None), at=clock())
        record = replace(record, ledger_seq=entry.seq)
    Path(out_dir, PROMOTION_FILE).write_text(record.to_json() + "\n", encoding="utf-8")
    return record

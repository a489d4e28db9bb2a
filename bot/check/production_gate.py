# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The performance gate, judged again by the trusted report job against what production
actually serves.

The PR job cannot see production (no secrets, no AWS), so its gate compares with the
majority-class baseline. The report job can: it finds the bundle behind the Lambda's live
alias, verifies it (sha256 of every file), scores it with ONNX Runtime on the evaluation
rows the PR job shipped as data, and judges those scores against the candidate's
predictions with the same code and the base branch's thresholds. Nothing the PR produced
is loaded as code or model. The candidate's predictions are the PR's own claim; the
release job proves them (retrain at the merge commit, same fingerprint, every audit
again against the production alias) before anything is promoted.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelgate.bot.check.artifact import ArtifactError, AuditArtifact, parse_json
from modelgate.bot.check.audits import performance_gate
from modelgate.bot.check.audits.performance_gate import Reference
from modelgate.bot.check.card import checklist_of, performance_from_gate
from modelgate.bot.check.pending import entry
from modelgate.bot.check.report import EVAL_ROWS_FILE, PREDICTIONS_FILE, AuditEntry
from modelgate.errors import ModelgateError
from modelgate.governance import DeploySection, Governance

Clients = Callable[[], tuple[Any, Any]]  # () -> (lambda client, s3 client)

NOT_DEPLOYED = ("no production deployment: function {function} has no alias {alias}, so the "
                "gate of the PR job (against the majority-class baseline) stands")
E_LOOKUP = ("cannot read the production deployment (function {function}, alias {alias}): "
            "{error}. The report job needs read access: set the repository variable "
            "AWS_READ_ROLE_ARN to a role allowed lambda:GetAlias, "
            "lambda:GetFunctionConfiguration and s3:GetObject on the bundle prefix")
E_NO_URI = "the live version {version} of {function} has no {env} in its environment"
E_BUNDLE = "the production bundle {uri} was refused: {error}"
E_FILE = "the artifact's {name} is unusable: {error}"
E_FEATURES = ("production v{version} needs the features {missing}, which the pull request's "
              "evaluation rows do not have: the two cannot be scored on the same rows")
E_MISMATCH = "the artifact's {name} does not match {other}: {what}"


class GateError(ModelgateError):
    """Production cannot be compared; the gate fails closed with this reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class EvaluationRows(_Strict):
    """``evaluation_rows.json`` as the PR job wrote it (untrusted)."""

    schema_version: Literal[1]
    data_sha256: Sha256
    features: Annotated[list[Name], Field(min_length=1, max_length=10_000)]
    ids: Annotated[list[Name], Field(min_length=2, max_length=1_000_000)]
    y_true: list[Literal[0, 1]]
    X: list[list[float]]


class CandidatePredictions(_Strict):
    """``candidate_predictions.json``: the candidate's scores on those rows (untrusted)."""

    ids: list[Name]
    y_true: list[Literal[0, 1]]
    p_positive: list[float]


@dataclasses.dataclass(frozen=True)
class Production:
    """The verified bundle the live alias serves."""

    version: str
    bundle_uri: str
    features: tuple[str, ...]
    positive_probability: Callable[[np.ndarray[Any, Any]], np.ndarray[Any, Any]]


def find_production(clients: Clients, deploy: DeploySection,
                    workdir: Path) -> Production | None:
    """The bundle behind ``deploy.function_name:deploy.live_alias``, verified; None when
    nothing is deployed. Any other failure is a ``GateError`` (fail closed)."""
    from modelgate.infra.deploy import live_bundle
    from modelgate.serving.bundle import BundleError, load_bundle
    from modelgate.serving.settings import ENV_BUNDLE_URI

    where = {"function": deploy.function_name, "alias": deploy.live_alias}
    try:
        lambda_client, s3_client = clients()
        live = live_bundle(lambda_client, deploy.function_name, deploy.live_alias)
    except Exception as exc:  # boto3/botocore: no region, no credentials, denied, ...
        raise GateError(E_LOOKUP.format(**where, error=f"{type(exc).__name__}: {exc}")
                        ) from None
    if live is None:
        return None
    if not live.bundle_uri:
        raise GateError(E_NO_URI.format(version=live.function_version,
                                        function=deploy.function_name, env=ENV_BUNDLE_URI))
    try:
        bundle = load_bundle(live.bundle_uri, expected_manifest_sha256=live.bundle_sha256,
                             s3_client_factory=lambda: s3_client, download_root=workdir)
    except BundleError as exc:
        raise GateError(E_BUNDLE.format(uri=live.bundle_uri, error=exc)) from None
    return Production(version=bundle.manifest.model_version, bundle_uri=live.bundle_uri,
                      features=tuple(bundle.features),
                      positive_probability=bundle.positive_probability)


def _document(artifact: AuditArtifact, name: str, model: type[BaseModel]) -> Any:
    raw = artifact.files.get(name)
    if raw is None:
        raise GateError(E_FILE.format(name=name, error="missing from the artifact"))
    try:
        return model.model_validate(parse_json(name, raw))
    except ArtifactError as exc:
        raise GateError(E_FILE.format(name=name, error=exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise GateError(E_FILE.format(name=name, error=f"{first['msg']} at {where}")) from None


def _rows(artifact: AuditArtifact) -> tuple[EvaluationRows, CandidatePredictions]:
    rows: EvaluationRows = _document(artifact, EVAL_ROWS_FILE, EvaluationRows)
    preds: CandidatePredictions = _document(artifact, PREDICTIONS_FILE, CandidatePredictions)
    n, width = len(rows.ids), len(rows.features)
    checks = [
        (len(rows.y_true) == n and len(rows.X) == n, EVAL_ROWS_FILE, "itself",
         "ids, labels and rows differ in length"),
        (all(len(r) == width for r in rows.X), EVAL_ROWS_FILE, "its feature list",
         f"a row without exactly {width} values"),
        (all(math.isfinite(v) for r in rows.X for v in r), EVAL_ROWS_FILE, "itself",
         "a value that is not a finite number"),
        (len(set(rows.y_true)) == 2, EVAL_ROWS_FILE, "itself", "only one class"),
        (rows.data_sha256 == artifact.report.data_sha256, EVAL_ROWS_FILE, "the report",
         "another data sha256"),
        (preds.ids == rows.ids and preds.y_true == rows.y_true, PREDICTIONS_FILE,
         EVAL_ROWS_FILE, "other ids or labels"),
        (len(preds.p_positive) == n
         and all(0.0 <= p <= 1.0 for p in preds.p_positive), PREDICTIONS_FILE, "itself",
         "not one probability in [0, 1] per row"),
    ]
    for ok, name, other, what in checks:
        if not ok:
            raise GateError(E_MISMATCH.format(name=name, other=other, what=what))
    return rows, preds


def judge(artifact: AuditArtifact, production: Production, gov: Governance) -> AuditEntry:
    """The gate entry for the candidate's predictions against production's, same rows."""
    rows, preds = _rows(artifact)
    missing = [f for f in production.features if f not in rows.features]
    if missing:
        raise GateError(E_FEATURES.format(version=production.version,
                                          missing=", ".join(missing[:10])))
    X = np.asarray(rows.X, dtype=np.float64)
    columns = [rows.features.index(f) for f in production.features]
    reference = Reference(f"production v{production.version}", production.version,
                          production.positive_probability(X[:, columns]))
    result = performance_gate.judge(gov, np.asarray(rows.y_true, dtype=np.int64),
                                    np.asarray(preds.p_positive, dtype=np.float64),
                                    reference, artifact.report.model_version)
    details = {**result.details, "judged_by": "report job, against the live bundle",
               "bundle_uri": production.bundle_uri}
    return entry(result.id, result.title, result.status, result.summary, details,
                 result.duration_s)


def failed_entry(reason: str) -> AuditEntry:
    return entry(performance_gate.AUDIT_ID, performance_gate.TITLE, "error", reason,
                 {"judged_by": "report job", "error": reason})


def with_gate(artifact: AuditArtifact, entry: AuditEntry) -> AuditArtifact:
    """The artifact with its gate entry replaced (report, verdict, card and checklist)."""
    audits = [entry if a.id == entry.id else a for a in artifact.report.audits]
    if entry.id not in {a.id for a in audits}:
        audits.append(entry)
    report = artifact.report.model_copy(update={
        "audits": audits, "passed": all(a.status == "pass" for a in audits)})
    card = artifact.card
    checklist = checklist_of(audits)
    run_metrics = {m.name: m.value for m in card.performance.metrics if m.value is not None}
    performance = (performance_from_gate(entry.details, run_metrics) if entry.status != "error"
                   else card.performance)
    card = card.model_copy(update={"checklist": checklist, "performance": performance})
    return dataclasses.replace(artifact, report=report, card=card)


def rejudge(artifact: AuditArtifact, gov: Governance,
            clients: Clients) -> tuple[AuditArtifact, str]:
    """The artifact as the trusted job judges it, and one line saying what it did."""
    deploy = gov.deploy
    try:
        with tempfile.TemporaryDirectory(prefix="modelgate-production-") as tmp:
            production = find_production(clients, deploy, Path(tmp))
            judged = judge(artifact, production, gov) if production is not None else None
    except GateError as exc:
        return with_gate(artifact, failed_entry(str(exc))), str(exc)
    if production is None or judged is None:
        return artifact, NOT_DEPLOYED.format(function=deploy.function_name,
                                             alias=deploy.live_alias)
    note = (f"performance gate judged against production v{production.version} "
            f"({production.bundle_uri}): {judged.status}")
    return with_gate(artifact, judged), note

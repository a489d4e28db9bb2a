# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``governance.yml``: the one configuration file, validated on load.

Every part of modelgate (training, audits, bot, promotion, drift) reads its settings
from here, so a team swaps in its own data and model by editing this file alone. Errors
name the file, the key, the value found and what was expected, because the person reading
them is usually looking at a red CI job, not at this code.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from modelgate.errors import ModelgateError

CONFIG_FILENAME = "governance.yml"
LABEL_LIMIT = 50  # GitHub's maximum label name length
APPROVED_LABEL_PREFIX = "approved:"
ROLE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "roc_auc")
MetricName = Literal["accuracy", "precision", "recall", "f1", "roc_auc"]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class ConfigError(ModelgateError):
    """A configuration file that cannot be used, with a message naming key and value."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSection(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][\w.-]*$")]
    description: str = ""
    intended_use: Annotated[str, Field(min_length=1)]
    out_of_scope_use: Annotated[str, Field(min_length=1)]
    limitations: Annotated[str, Field(min_length=1)]
    owners: list[str] = Field(default_factory=list)


class TargetSection(_Strict):
    column: Annotated[str, Field(min_length=1)]
    mapping: dict[str, Literal[0, 1]]
    positive_class: Annotated[str, Field(min_length=1)]
    negative_class: Annotated[str, Field(min_length=1)]

    @field_validator("mapping", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        # YAML reads `1: 1` with integer keys; CSV labels are text.
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _both_classes(self) -> TargetSection:
        if set(self.mapping.values()) != {0, 1}:
            raise ValueError(
                f"target.mapping must map at least one label to 1 and one to 0, got {self.mapping}"
            )
        return self


class DataSection(_Strict):
    path: Path
    manifest: Path
    id_column: Annotated[str, Field(min_length=1)]
    target: TargetSection
    features: Annotated[list[str], Field(min_length=1)]

    @model_validator(mode="after")
    def _distinct_columns(self) -> DataSection:
        dupes = sorted({f for f in self.features if self.features.count(f) > 1})
        if dupes:
            raise ValueError(f"data.features lists {dupes} more than once")
        clash = {self.id_column, self.target.column} & set(self.features)
        if clash:
            raise ValueError(f"data.features must not include the id or target column: {clash}")
        if self.id_column == self.target.column:
            raise ValueError("data.id_column and data.target.column must differ")
        return self


class EstimatorStep(_Strict):
    class_: Annotated[str, Field(alias="class", pattern=r"^[A-Za-z_][\w.]*(:[\w.]+)?$")]
    params: dict[str, Any] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class EstimatorSection(_Strict):
    steps: Annotated[list[EstimatorStep], Field(min_length=1)]
    threshold: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.5


class SplitSection(_Strict):
    test_size: Annotated[float, Field(gt=0.0, lt=1.0)]
    random_state: Annotated[int, Field(ge=0)]
    stratify: bool = True


class BootstrapSection(_Strict):
    resamples: Annotated[int, Field(ge=1000, le=100_000)] = 2000
    seed: int = 0


class MetricsSection(_Strict):
    primary: MetricName = "roc_auc"
    min_delta: Annotated[float, Field(ge=0.0)] = 0.0
    floors: dict[MetricName, Fraction] = Field(default_factory=dict)
    bootstrap: BootstrapSection = BootstrapSection()


class SubgroupSpec(_Strict):
    name: Annotated[str, Field(min_length=1)]
    column: Annotated[str, Field(min_length=1)]
    quantiles: Annotated[int, Field(ge=2, le=20)] | None = None
    labels: list[str] | None = None

    @model_validator(mode="after")
    def _labels_fit(self) -> SubgroupSpec:
        if (self.labels is not None and self.quantiles is not None
                and len(self.labels) != self.quantiles):
            raise ValueError(
                    f"subgroup {self.name!r}: {len(self.labels)} labels for "
                f"{self.quantiles} quantile bands"
            )
        return self


def _default_gap() -> dict[MetricName, float]:
    return {"accuracy": 0.1}


class SubgroupsSection(_Strict):
    min_size: Annotated[int, Field(ge=1)] = 20
    max_gap: dict[MetricName, Fraction] = Field(default_factory=_default_gap)
    groups: list[SubgroupSpec] = Field(default_factory=list)


class LeakageSection(_Strict):
    near_duplicate_distance: Annotated[float, Field(ge=0.0)] = 0.05
    single_feature_auc_max: Annotated[float, Field(gt=0.5, le=1.0)] = 0.995


class Role(_Strict):
    name: str
    users: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    required: Annotated[int, Field(ge=1, le=10)] = 1

    @field_validator("name")
    @classmethod
    def _label_safe(cls, name: str) -> str:
        if not ROLE_NAME_RE.match(name):
            raise ValueError(
                f"role name {name!r} must be lowercase letters, digits, '-' or '_' "
                "(it becomes a GitHub label)"
            )
        label = APPROVED_LABEL_PREFIX + name
        if len(label) > LABEL_LIMIT:
            raise ValueError(
                f"label {label!r} is {len(label)} characters; GitHub allows {LABEL_LIMIT}"
            )
        return name

    @field_validator("teams")
    @classmethod
    def _team_form(cls, teams: list[str]) -> list[str]:
        for team in teams:
            if not re.match(r"^[\w.-]+/[\w.-]+$", team):
                raise ValueError(f"team {team!r} must be written 'org/team-slug'")
        return teams

    @model_validator(mode="after")
    def _has_holders(self) -> Role:
        if not self.users and not self.teams:
            raise ValueError(f"role {self.name!r} has no users and no teams")
        if self.teams == [] and len(self.users) < self.required:
            raise ValueError(
                f"role {self.name!r} requires {self.required} approvers "
                f"but lists only {len(self.users)} users"
            )
        return self


class ApprovalSection(_Strict):
    roles: Annotated[list[Role], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> ApprovalSection:
        names = [r.name for r in self.roles]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"approval.roles names {dupes} more than once")
        return self


class AliasesSection(_Strict):
    staging: str = "staging"
    production: str = "production"


class MlflowSection(_Strict):
    tracking_uri: str | None = None
    experiment: str | None = None


class DeploySection(_Strict):
    bucket: str = "modelgate-bundles"
    prefix: str = "models"
    function_name: str = "modelgate-serving"
    region: str = "us-east-1"
    live_alias: str = "live"


class DriftSection(_Strict):
    psi_threshold: Annotated[float, Field(gt=0.0)] = 0.2
    ks_pvalue: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.01
    prediction_psi_threshold: Annotated[float, Field(gt=0.0)] = 0.2
    min_requests: Annotated[int, Field(ge=1)] = 100


AppAccess = Literal["read", "write", "admin"]


def _default_app_permissions() -> dict[str, AppAccess]:
    return {"actions": "read", "checks": "write", "contents": "write", "issues": "write",
            "metadata": "read", "pull_requests": "write", "workflows": "write"}


class GitHubSection(_Strict):
    """How the repository must be set up for the gate to hold; ``modelgate doctor`` checks
    the live settings against it."""

    app_id: Annotated[int, Field(ge=1)] | None = None  # the App's numeric id (App settings)
    app_slug: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")] = "modelgate"
    release_branch: Annotated[str, Field(min_length=1)] | None = None  # None: default branch
    check_name: Annotated[str, Field(min_length=1)] = "modelgate"
    merge_method: Literal["merge", "squash", "rebase"] = "merge"
    environment: Annotated[str, Field(min_length=1)] = "production"
    approval_window_days: Annotated[int, Field(ge=1, le=400)] = 30
    app_permissions: dict[str, AppAccess] = Field(default_factory=_default_app_permissions)


PiiEntity = Literal[
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "UK_NHS", "UK_NINO", "FR_NIR", "IBAN",
    "PASSPORT", "MEDICAL_RECORD_NUMBER", "DATE_OF_BIRTH", "DATE", "STREET_ADDRESS", "POSTCODE",
    "IP_ADDRESS", "CREDIT_CARD",
]
PII_ENTITIES: tuple[str, ...] = get_args(PiiEntity)


def _default_phone_regions() -> list[str]:
    return ["US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"]


class PiiSection(_Strict):
    """The pii audit's thresholds: a match counts when its score (0-1) reaches its entity's
    threshold (``thresholds``, else ``min_score``). Scores: 0.85 checksum-valid or labelled
    by a context word, 0.6-0.7 a specific shape, 0.3 bare digits no column confirms."""

    min_score: Fraction = 0.4
    thresholds: dict[PiiEntity, Fraction] = Field(default_factory=dict)
    phone_regions: Annotated[
        list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]], Field(min_length=1)
    ] = Field(default_factory=_default_phone_regions)
    column_share: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5  # of a column, to judge it
    name_min_distinct: Annotated[int, Field(ge=1)] = 10  # distinct names to call a column names


class Governance(_Strict):
    """The validated content of ``governance.yml``."""

    schema_version: Literal[1] = 1
    model: ModelSection
    data: DataSection
    estimator: EstimatorSection
    split: SplitSection
    metrics: MetricsSection = MetricsSection()
    subgroups: SubgroupsSection = SubgroupsSection()
    leakage: LeakageSection = LeakageSection()
    pii: PiiSection = PiiSection()
    approval: ApprovalSection
    aliases: AliasesSection = AliasesSection()
    mlflow: MlflowSection = MlflowSection()
    deploy: DeploySection = DeploySection()
    drift: DriftSection = DriftSection()
    github: GitHubSection = GitHubSection()

    @model_validator(mode="after")
    def _subgroup_columns_exist(self) -> Governance:
        known = {*self.data.features, self.data.id_column}
        for group in self.subgroups.groups:
            if group.column not in known and group.quantiles is not None:
                raise ValueError(
                    f"subgroup {group.name!r}: quantile bands need a feature column, "
                    f"{group.column!r} is not in data.features"
                )
        return self

    @property
    def experiment_name(self) -> str:
        return self.mlflow.experiment or self.model.name


class LoadedConfig(BaseModel):
    """A validated configuration plus where it came from (paths resolve against ``root``)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    governance: Governance
    path: Path
    root: Path
    sha256: str

    def resolve(self, relative: Path) -> Path:
        return relative if relative.is_absolute() else (self.root / relative)

    @property
    def data_path(self) -> Path:
        return self.resolve(self.governance.data.path)

    @property
    def manifest_path(self) -> Path:
        return self.resolve(self.governance.data.manifest)

    @property
    def state_dir(self) -> Path:
        """Where the embedded MLflow store and local outputs live (git-ignored)."""
        return self.root / ".modelgate"

    def tracking_uri(self, override: str | None = None) -> str:
        """CLI flag, then ``MLFLOW_TRACKING_URI``, then the file, then the embedded default."""
        uri = (override or os.environ.get("MLFLOW_TRACKING_URI")
               or self.governance.mlflow.tracking_uri)
        if uri:
            return uri
        return f"sqlite:///{(self.state_dir / 'mlflow.db').as_posix()}"


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def format_validation_error(path: Path, exc: ValidationError) -> str:
    lines = [f"{path}: invalid configuration ({exc.error_count()} problem(s))"]
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = err["msg"]
        if err["type"] == "missing":
            lines.append(f"  - key '{key}': required key is missing")
        elif err["type"] == "extra_forbidden":
            lines.append(f"  - key '{key}': unknown key (value {_describe(err['input'])})")
        else:
            lines.append(f"  - key '{key}': {msg}; got {_describe(err['input'])}")
    return "\n".join(lines)


def parse_governance(text: str, path: Path) -> Governance:
    """Validate configuration text; ``path`` is only used in messages."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level, got {_describe(raw)}")
    try:
        return Governance.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc)) from exc


def load_config(path: Path | str = CONFIG_FILENAME) -> LoadedConfig:
    """Read and validate ``governance.yml``; relative data paths resolve next to it."""
    path = Path(path).resolve()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    governance = parse_governance(text, path)
    return LoadedConfig(
        governance=governance,
        path=path,
        root=path.parent,
        sha256=hashlib.sha256(data).hexdigest(),
    )

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

from modelgate.errors import UsageError

CONFIG_FILENAME = "governance.yml"
LABEL_LIMIT = 50  # GitHub's maximum label name length
APPROVED_LABEL_PREFIX = "approved:"
ROLE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "roc_auc")  # binary's
MetricName = Literal["accuracy", "precision", "recall", "f1", "roc_auc"]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class ConfigError(UsageError):
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


Task = Literal["binary", "multiclass", "regression"]
FeatureType = Literal["numeric", "categorical", "boolean"]
# metric -> True when higher is better; per task, the metrics evaluation computes
TASK_METRICS: dict[str, dict[str, bool]] = {
    "binary": {"accuracy": True, "precision": True, "recall": True, "f1": True,
               "roc_auc": True},
    "multiclass": {"accuracy": True, "balanced_accuracy": True, "precision_macro": True,
                   "recall_macro": True, "f1_macro": True, "f1_weighted": True,
                   "roc_auc_ovr": True},
    "regression": {"mae": False, "rmse": False, "r2": True},
}
DEFAULT_PRIMARY: dict[str, str] = {"binary": "roc_auc", "multiclass": "f1_macro",
                                   "regression": "rmse"}
FEATURE_SPECS_KEY = "feature_specs"


def higher_is_better(metric: str) -> bool:
    """The direction of ``metric`` (any task's); unknown metrics count as higher-better."""
    for by_metric in TASK_METRICS.values():
        if metric in by_metric:
            return by_metric[metric]
    return True


CategoryName = Annotated[str, Field(min_length=1, max_length=200)]


class FeatureSpec(_Strict):
    """One feature column: its type, whether it may be empty, and (for a categorical)
    the categories it may take, in the order their codes follow."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    type: FeatureType = "numeric"
    nullable: bool = False
    categories: Annotated[list[CategoryName], Field(min_length=1)] | None = None

    @field_validator("categories", mode="before")
    @classmethod
    def _categories_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [v if isinstance(v, str) else str(v) for v in value]
        return value

    @model_validator(mode="after")
    def _categories_fit(self) -> FeatureSpec:
        if self.categories is not None:
            if self.type != "categorical":
                raise ValueError(f"feature {self.name!r}: categories are for type categorical, "
                                 f"not {self.type}")
            dupes = sorted({c for c in self.categories if self.categories.count(c) > 1})
            if dupes:
                raise ValueError(f"feature {self.name!r}: categories list {dupes} twice")
        return self


class TargetSection(_Strict):
    """The label column. Classification maps each label to a class index (0..k-1; for
    binary, the positive class is 1); regression takes the column's numbers as they are."""

    column: Annotated[str, Field(min_length=1)]
    mapping: dict[str, Annotated[int, Field(ge=0, le=999)]] | None = None
    positive_class: str = ""  # binary only: the name of the class mapped to 1
    negative_class: str = ""  # binary only: the name of the class mapped to 0
    unit: str = ""  # regression only, for the card and the API ("mm", "days")

    @field_validator("mapping", mode="before")
    @classmethod
    def _keys_as_text(cls, value: Any) -> Any:
        # YAML reads `1: 1` with integer keys; CSV labels are text.
        if isinstance(value, dict):
            return {str(k): v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _indices_without_gaps(self) -> TargetSection:
        if not self.mapping:
            return self
        k = len(set(self.mapping.values()))
        if k < 2:
            raise ValueError("data.target.mapping must map at least one label to each class "
                             f"index (one to 0, one to 1, …), got {self.mapping}")
        beyond = [label for label, i in self.mapping.items() if i >= k]
        if beyond:  # k distinct indices all below k are exactly 0..k-1
            label = beyond[0]
            raise ValueError(f"data.target.mapping.{label} is {self.mapping[label]}: class "
                             f"indices must be 0..{k - 1} without gaps for {k} classes")
        return self

    def check_task(self, task: str) -> None:
        """Raise ValueError naming the key that does not fit ``task``."""
        if task == "regression":
            given = [k for k in ("mapping", "positive_class", "negative_class")
                     if getattr(self, k)]
            if given:
                raise ValueError(f"data.target.{given[0]} is for classification; a regression "
                                 "target is the column's numbers (remove it, or set task)")
            return
        if self.unit:
            raise ValueError("data.target.unit is for regression targets")
        if not self.mapping:
            raise ValueError(f"task {task}: data.target.mapping must map each label to a class "
                             "index (0, 1, ...)")
        indices = sorted(set(self.mapping.values()))
        if indices != list(range(len(indices))):
            raise ValueError(f"data.target.mapping must use class indices 0..k-1 without gaps, "
                             f"got {self.mapping}")
        if task == "binary":
            if indices != [0, 1]:
                raise ValueError(f"task binary: data.target.mapping must map labels to 0 and 1, "
                                 f"got {self.mapping} (for more classes set task: multiclass)")
            if not self.positive_class or not self.negative_class:
                raise ValueError("task binary: data.target.positive_class and negative_class "
                                 "name the classes mapped to 1 and 0")
            if self.positive_class == self.negative_class:
                raise ValueError("data.target.positive_class and negative_class must differ")
        else:
            if len(indices) < 3:
                raise ValueError(f"task multiclass needs at least 3 classes, data.target.mapping "
                                 f"has {len(indices)} (use task: binary)")
            if self.positive_class or self.negative_class:
                raise ValueError("data.target.positive_class / negative_class are for task "
                                 "binary; a multiclass model answers every class")

    def class_names(self, task: str) -> tuple[str, ...]:
        """Class index -> name: (negative, positive) for binary; for multiclass the first
        label mapped to each index."""
        if task == "binary":
            return (self.negative_class, self.positive_class)
        if task == "regression" or not self.mapping:
            return ()
        names: dict[int, str] = {}
        for label, index in self.mapping.items():
            names.setdefault(index, label)
        return tuple(names[i] for i in sorted(names))


def _split_feature_specs(raw: Any) -> Any:
    """``features`` may list names (numeric, not nullable) or mappings with a type; the
    names stay in ``features`` and the full specs go to ``feature_specs``."""
    if not isinstance(raw, dict) or not isinstance(raw.get("features"), list):
        return raw
    if FEATURE_SPECS_KEY in raw:
        # a dumped Governance read back (the trusted verdict does): names and specs agree
        given = raw[FEATURE_SPECS_KEY] or []
        if not given or [s.get("name") if isinstance(s, dict) else getattr(s, "name", None)
                         for s in given] == raw["features"]:
            return raw
        raise ValueError(f"data.{FEATURE_SPECS_KEY} is derived from data.features; "
                         "declare types in data.features")
    specs: list[Any] = []
    names: list[Any] = []
    for item in raw["features"]:
        if isinstance(item, dict):
            specs.append(item)
            names.append(item.get("name"))
        else:
            specs.append({"name": item})
            names.append(item)
    return {**raw, "features": names, FEATURE_SPECS_KEY: specs}


class DataSection(_Strict):
    path: Path
    manifest: Path
    id_column: Annotated[str, Field(min_length=1)]
    target: TargetSection
    features: Annotated[list[str], Field(min_length=1)]
    feature_specs: tuple[FeatureSpec, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _typed_features(cls, value: Any) -> Any:
        return _split_feature_specs(value)

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

    @property
    def specs(self) -> tuple[FeatureSpec, ...]:
        """Every feature's spec, in ``features`` order (plain names are numeric)."""
        if self.feature_specs:
            return self.feature_specs
        return tuple(FeatureSpec(name=n) for n in self.features)

    @property
    def all_numeric(self) -> bool:
        return all(s.type == "numeric" and not s.nullable for s in self.specs)


class EstimatorStep(_Strict):
    # module.Class, module:factory, or a file of the repository: path/to/file.py:factory
    class_: Annotated[str, Field(alias="class", pattern=r"^([A-Za-z_][\w.]*(:[\w.]+)?"
                                 r"|[\w.-][\w./-]*\.py:[\w.]+)$")]
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
    """``primary`` is compared with production (its direction comes from the metric:
    mae and rmse are better lower); ``floors`` are minimums for higher-is-better metrics,
    ``ceilings`` maximums for lower-is-better ones."""

    primary: str | None = None  # None: roc_auc (binary), f1_macro (multiclass), rmse
    min_delta: Annotated[float, Field(ge=0.0)] = 0.0
    floors: dict[str, Annotated[float, Field(le=1.0)]] = Field(default_factory=dict)
    ceilings: dict[str, Annotated[float, Field(ge=0.0)]] = Field(default_factory=dict)
    bootstrap: BootstrapSection = BootstrapSection()

    def check_task(self, task: str) -> None:
        known = TASK_METRICS[task]
        if self.primary is not None and self.primary not in known:
            raise ValueError(f"metrics.primary {self.primary!r} is not a {task} metric; "
                             f"choose one of {sorted(known)}")
        for key, names in (("floors", self.floors), ("ceilings", self.ceilings)):
            for name in names:
                if name not in known:
                    raise ValueError(f"metrics.{key}.{name} is not a {task} metric; "
                                     f"choose from {sorted(known)}")
                if known[name] != (key == "floors"):
                    other = "ceilings" if key == "floors" else "floors"
                    raise ValueError(f"metrics.{key}.{name}: {name} is better "
                                     f"{'lower' if key == 'floors' else 'higher'}; "
                                     f"put it under metrics.{other}")


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


DEFAULT_GAP: dict[str, dict[str, float]] = {"binary": {"accuracy": 0.1},
                                             "multiclass": {"accuracy": 0.1},
                                             "regression": {}}


class SubgroupsSection(_Strict):
    """``max_gap``: the largest allowed difference of a metric between any subgroup and
    the whole evaluation set (None: accuracy 0.1 for classification, none for
    regression, whose metrics have units)."""

    min_size: Annotated[int, Field(ge=1)] = 20
    max_gap: dict[str, Annotated[float, Field(ge=0.0)]] | None = None
    groups: list[SubgroupSpec] = Field(default_factory=list)


class LeakageSection(_Strict):
    near_duplicate_distance: Annotated[float, Field(ge=0.0)] = 0.05
    single_feature_auc_max: Annotated[float, Field(gt=0.5, le=1.0)] = 0.995


class Role(_Strict):
    """A role and its holders. A ``users`` entry is a login, or ``{login, id}`` to pin the
    role to that GitHub account (a login can be renamed and taken by someone else); the
    pinned ids are kept in ``user_ids``."""

    name: str
    users: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    required: Annotated[int, Field(ge=1, le=10)] = 1
    user_ids: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _pinned_users(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("users"), list):
            return data
        logins: list[Any] = []
        ids: dict[str, Any] = dict(data.get("user_ids") or {})
        for entry in data["users"]:
            if isinstance(entry, dict):
                if set(entry) != {"login", "id"}:
                    raise ValueError("a users entry is a login or {login: <name>, id: <user id>}")
                logins.append(entry["login"])
                ids[str(entry["login"])] = entry["id"]
            else:
                logins.append(entry)
        return {**data, "users": logins, "user_ids": ids}

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
    review_approves: bool = False  # an APPROVE review counts as a bare /approve

    @model_validator(mode="after")
    def _unique(self) -> ApprovalSection:
        names = [r.name for r in self.roles]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"approval.roles names {dupes} more than once")
        return self


def _default_gate_paths() -> list[str]:
    return ["bot/**", "training/**", ".github/**", "governance.yml", "Makefile",
            "pyproject.toml", "uv.lock", "scripts/**"]


class GateSection(_Strict):
    """Changes to the gate itself need one more role: ``role`` (listed in
    ``approval.roles``) is required only when the pull request touches one of ``paths``
    (glob patterns; ``**`` crosses folders)."""

    role: str | None = None
    paths: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=_default_gate_paths)


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
    return {"actions": "write", "checks": "write", "contents": "write",
            "metadata": "read", "pull_requests": "write", "statuses": "read",
            "workflows": "write"}


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
    task: Task = "binary"
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
    gate: GateSection = GateSection()

    @model_validator(mode="after")
    def _gate_role_exists(self) -> Governance:
        names = [r.name for r in self.approval.roles]
        if self.gate.role is not None and self.gate.role not in names:
            raise ValueError(f"gate.role {self.gate.role!r} is not one of approval.roles {names}")
        if self.gate.role is not None and names == [self.gate.role]:
            raise ValueError("approval.roles needs a role besides the gate role")
        return self

    @model_validator(mode="after")
    def _task_fits(self) -> Governance:
        self.data.target.check_task(self.task)
        self.metrics.check_task(self.task)
        for name in self.subgroups.max_gap or {}:
            if name not in TASK_METRICS[self.task]:
                raise ValueError(f"subgroups.max_gap.{name} is not a {self.task} metric; "
                                 f"choose from {sorted(TASK_METRICS[self.task])}")
        return self

    @property
    def primary_metric(self) -> str:
        return self.metrics.primary or DEFAULT_PRIMARY[self.task]

    @property
    def max_gap(self) -> dict[str, float]:
        gaps = self.subgroups.max_gap
        return dict(DEFAULT_GAP[self.task] if gaps is None else gaps)

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.data.target.class_names(self.task)

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
        elif err["type"] == "value_error" and not err["loc"]:
            # a check across sections: its message names the keys; the input is everything
            lines.append(f"  - {str(msg).removeprefix('Value error, ')}")
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

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The text of the files init writes: governance.yml (every key carries a comment saying
what it does and its default), the caller workflows (the templates in ``workflows/`` with
their three pins substituted) and the model cards' README.

governance.yml is written line by line rather than dumped: a YAML dumper drops comments,
and the comments are the file's documentation for the team that now owns it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.bot.init.infer import Column, Design
from modelgate.datafiles import COPYRIGHT_TAG, LICENSE_TAG

WORKFLOWS_DIR = Path(__file__).resolve().parent / "workflows"
PLACEHOLDERS = ("MODELGATE_REPO", "MODELGATE_REF", "MODELGATE_REQUIREMENT")
CHECK_WORKFLOW = "pr-check.yml"
PATHS_LINE = "    paths:\n"  # the first one in pr-check.yml is the pull_request filter
PLAIN_RE = re.compile(r"^[A-Za-z_][\w.\-/]*$")
YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"})
TODO = "TODO"
GATE_PATHS = (".github/**", "governance.yml", "pyproject.toml", "uv.lock")
# the files init writes are modelgate's templates filled in, licensed as the workflow
# templates are (a fixed year, so that a run next year keeps them byte for byte)
TEMPLATE_LICENSE = "Apache-2.0"
HEADER_LINES = (f"{COPYRIGHT_TAG}: 2026 modelgate contributors",
                f"{LICENSE_TAG}: {TEMPLATE_LICENSE}")


@dataclass(frozen=True)
class RoleInput:
    name: str
    users: tuple[str, ...]


@dataclass(frozen=True)
class Identity:
    """The names init chooses for the model and the pins of the caller workflows."""

    model_name: str
    data_path: str  # relative to the repository root, posix
    manifest_path: str
    id_column: str
    target: str
    roles: tuple[RoleInput, ...]
    gate_role: str | None
    owners: tuple[str, ...]
    modelgate_repo: str
    modelgate_ref: str
    modelgate_requirement: str


def scalar(value: Any) -> str:
    """A YAML scalar: plain where that reads back as the same string, else quoted."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if PLAIN_RE.match(text) and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value in YAML flow style (one line)."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


class _Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def comment(self, indent: int, text: str) -> None:
        self.lines.append(f"{' ' * indent}# {text}")

    def key(self, indent: int, key: str, value: Any, comment: str) -> None:
        """``key: value  # comment``; a mapping or list value given as ``...`` opens a block."""
        shown = "" if value is ... else f" {flow(value)}"
        self.lines.append(f"{' ' * indent}{key}:{shown}  # {comment}")

    def item(self, indent: int, value: Any, comment: str) -> None:
        self.lines.append(f"{' ' * indent}- {flow(value)}  # {comment}")

    def blank(self) -> None:
        self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _model(w: _Lines, ident: Identity) -> None:
    w.key(0, "model", ..., "what the model card and the registry say about the model")
    w.key(2, "name", ident.model_name, "the registered model's name and the card's title "
          "(letters, digits, . _ -)")
    w.key(2, "description", f"{TODO}: what the model predicts, from which inputs",
          "one paragraph for the card (default: empty)")
    w.key(2, "intended_use", f"{TODO}: who uses the predictions, for which decision",
          "required: the card's intended use")
    w.key(2, "out_of_scope_use", f"{TODO}: uses the model must not be put to",
          "required: the card's out-of-scope uses")
    w.key(2, "limitations", f"{TODO}: what the data cannot tell (population, period, "
          "collection)", "required: the card's limitations")
    w.key(2, "owners", list(ident.owners), "who answers for the model: logins or team "
          "names, shown on the card (default: none)")


def _feature(c: Column) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": c.name, "type": c.type, "nullable": c.nullable}
    if c.categories:
        spec["categories"] = list(c.categories)
    return spec


def _feature_comment(c: Column) -> str:
    empty = "may be empty" if c.nullable else "never empty"
    if c.type == "categorical":
        return (f"{len(c.categories)} categories, {empty}; a value outside the list is "
                "refused (add it here)")
    return f"{c.type}, {empty} in the data file"


def _data(w: _Lines, ident: Identity, d: Design) -> None:
    w.key(0, "data", ..., "the training data; training refuses a file that differs from "
          "its manifest")
    w.key(2, "path", ident.data_path, "the CSV, relative to this file")
    w.key(2, "manifest", ident.manifest_path, "its manifest (sha256, rows, columns, "
          "licence, PII status), written by `modelgate data add`")
    w.key(2, "id_column", ident.id_column, "unique row ids: the pinned evaluation set and "
          "the leakage audit use them")
    w.key(2, "target", ..., "the column the model predicts")
    w.key(4, "column", ident.target, "its name in the CSV header")
    if d.task == "regression":
        w.key(4, "unit", "", "the unit of its numbers for the card and the API, e.g. days "
              "(default: none)")
    else:
        w.key(4, "mapping", ..., "label in the CSV -> class index (0..k-1)"
              + ("; the class mapped to 1 is the positive one" if d.task == "binary" else ""))
        for label, index in d.mapping.items():
            w.key(6, scalar(label), index, f"{d.label_counts.get(label, 0)} of {d.rows} rows")
    if d.task == "binary":
        w.key(4, "positive_class", d.positive, "the name of the class mapped to 1 (card, "
              "API, recall and precision)")
        w.key(4, "negative_class", d.negative, "the name of the class mapped to 0")
    w.key(2, "features", ..., "the model's inputs in order, exactly what the API takes; "
          "type numeric | categorical | boolean, nullable: empty cells allowed")
    for c in d.features:
        w.item(4, _feature(c), _feature_comment(c))


def _step_comment(step: Mapping[str, Any]) -> str:
    cls = str(step["class"])
    if cls.endswith("ColumnTransformer"):
        return "routes each kind of feature to its encoder (columns named from data.features)"
    if ".py:" in cls:
        return "your code: a callable in this repository returning a scikit-learn estimator"
    return "import path of the step (module.Class or module:factory)"


def _estimator(w: _Lines, d: Design) -> None:
    w.key(0, "estimator", ..., "the model: a scikit-learn Pipeline built from these steps")
    w.key(2, "steps", ..., "import path + params per step; the last step is the model "
          "(a classifier with predict_proba, or a regressor)")
    for step in d.steps:
        w.lines.append(f"    - class: {scalar(step['class'])}  # {_step_comment(step)}")
        params = step.get("params")
        if not params:
            continue
        w.key(6, "params", ..., "keyword arguments of the class (a {class: ...} value is "
              "built the same way)")
        for name, value in params.items():
            if name == "transformers":
                w.key(8, name, ..., "[name, encoder, [columns]] per kind of feature")
                for entry in value:
                    w.item(10, entry, f"{entry[0]}: {len(entry[2])} column(s)")
            else:
                w.key(8, name, value, "see the class's scikit-learn documentation")
    w.key(2, "threshold", 0.5, "binary: the probability of the positive class at which "
          "the model says positive (default 0.5)")


def _gates(w: _Lines, d: Design) -> None:
    classify = d.task != "regression"
    w.key(0, "split", ..., "the pinned evaluation set every later model is compared on: "
          "change it only on purpose")
    w.key(2, "test_size", 0.2, "share of rows held out for evaluation")
    w.key(2, "random_state", 42, "seed of the split")
    w.key(2, "stratify", classify, "keep class shares equal in both parts (classification)")
    w.blank()
    w.key(0, "metrics", ..., "the performance gate")
    w.key(2, "primary", None, "compared with production; null: roc_auc (binary), f1_macro "
          "(multiclass), rmse (regression)")
    w.key(2, "min_delta", 0.0, "how much the primary metric must beat production (or, "
          "before the first release, a trivial baseline) by")
    w.key(2, "floors", {}, "minimums for higher-is-better metrics, e.g. {accuracy: 0.9}")
    w.key(2, "ceilings", {}, "maximums for mae / rmse (regression), e.g. {rmse: 2.5}")
    w.key(2, "bootstrap", ..., "the confidence interval of the difference with production")
    w.key(4, "resamples", 2000, "paired bootstrap resamples (1000 to 100000)")
    w.key(4, "seed", 0, "its seed")
    w.blank()
    w.key(0, "subgroups", ..., "the bias audit: performance per subgroup of the "
          "evaluation set")
    w.key(2, "min_size", 20, "groups with fewer rows are shown as too small, not judged")
    w.key(2, "max_gap", None, "largest allowed gap of a metric between a group and the "
          "whole set; null: accuracy 0.10 (classification), none (regression)")
    w.key(2, "groups", ..., "a numeric column in quantile bands, or a categorical "
          "column's values")
    g = d.subgroup
    spec: dict[str, Any] = {"name": g.name, "column": g.column}
    if g.quantiles is not None:
        spec["quantiles"] = g.quantiles
    w.item(4, spec, "quantile bands of a number" if g.quantiles else "one group per value")
    w.blank()
    w.key(0, "leakage", ..., "the leakage audit")
    w.key(2, "near_duplicate_distance", 0.05, "rows closer than this (scaled features) "
          "across the split count as duplicates")
    w.key(2, "single_feature_auc_max", 0.995, "a single feature predicting the target "
          "this well is leakage")
    w.blank()
    w.key(0, "pii", ..., "the pii audit: a match counts when its score (0-1) reaches its "
          "entity's threshold")
    w.key(2, "min_score", 0.4, "the threshold of every entity not listed below")
    w.key(2, "thresholds", {}, "per entity, e.g. {PHONE_NUMBER: 0.3}")
    w.key(2, "phone_regions", ["US", "GB", "DE", "FR", "IL", "IN", "CA", "BR"],
          "regions whose phone numbers are recognised")
    w.key(2, "column_share", 0.5, "the share of a column that makes it a column of ids "
          "or names")
    w.key(2, "name_min_distinct", 10, "fewer distinct name-shaped values are labels, "
          "not people")


def _approval(w: _Lines, ident: Identity) -> None:
    w.key(0, "approval", ..., "who must /approve a pull request before the bot merges it")
    w.key(2, "roles", ..., "every role approves; the author cannot; one person fills one "
          "role")
    for role in ident.roles:
        gate = " (gate changes only, see gate:)" if role.name == ident.gate_role else ""
        w.lines.append(f"    - name: {scalar(role.name)}  # becomes the label "
                       f"approved:{role.name}{gate}")
        w.key(6, "users", list(role.users), "GitHub logins; {login: x, id: 123} pins the "
              "account")
        w.key(6, "required", 1, "distinct approvers this role needs (default 1)")
    w.key(2, "review_approves", False, "true: an Approve review counts as /approve "
          "(default false)")
    w.blank()
    w.key(0, "gate", ..., "changes to the gate itself need one more role")
    w.key(2, "role", ident.gate_role, "that role (one of approval.roles); null: none")
    w.key(2, "paths", list(GATE_PATHS), "what counts as the gate: the caller workflows "
          "and their pins, this file, the dependency files")


def _github(w: _Lines, ident: Identity) -> None:
    w.key(0, "aliases", ..., "MLflow registry aliases")
    w.key(2, "staging", "staging", "the alias a release moves first")
    w.key(2, "production", "production", "the alias serving follows")
    w.blank()
    w.key(0, "mlflow", ..., "where runs and the registry live")
    w.key(2, "tracking_uri", None, "null: SQLite under .modelgate/ (local, git-ignored); "
          "MLFLOW_TRACKING_URI overrides it")
    w.key(2, "experiment", ident.model_name, "the MLflow experiment (default: model.name)")
    w.blank()
    w.key(0, "deploy", ..., "serving on AWS Lambda (docs/github-setup.md)")
    w.key(2, "bucket", "modelgate-bundles", "the S3 bucket of model bundles (bucket "
          "names are global: choose yours)")
    w.key(2, "prefix", ident.model_name, "the key prefix of this model's bundles")
    w.key(2, "function_name", f"modelgate-{ident.model_name}"[:64], "the Lambda function")
    w.key(2, "region", "us-east-1", "its AWS region (the AWS_REGION variable too)")
    w.key(2, "live_alias", "live", "the Lambda alias that serves")
    w.blank()
    w.key(0, "drift", ..., "the daily drift report")
    w.key(2, "psi_threshold", 0.2, "population stability index of a feature that counts "
          "as drift")
    w.key(2, "ks_pvalue", 0.01, "Kolmogorov-Smirnov p-value below which a number drifted")
    w.key(2, "prediction_psi_threshold", 0.2, "the same for the predictions")
    w.key(2, "min_requests", 100, "fewer served requests: no verdict")
    w.blank()
    w.key(0, "github", ..., "how the repository must be set up; `modelgate doctor` checks "
          "it")
    w.key(2, "app_id", None, "your modelgate App's numeric id (App settings -> General); "
          "the ruleset requires the check from it")
    w.key(2, "app_slug", "modelgate", "the App's slug: the bot writes as <slug>[bot]")
    w.key(2, "release_branch", None, "null: the default branch")
    w.key(2, "check_name", "modelgate", "the check run the ruleset requires")
    w.key(2, "merge_method", "merge", "the bot's merge: the release finds the audited "
          "head as a parent")
    w.key(2, "environment", "production", "the environment of the release and rollback")
    w.key(2, "approval_window_days", 30, "days approvals may take (artifact retention "
          "must be at least this)")
    w.key(2, "app_permissions", ..., "exactly what the App's installation may hold")
    for name, access in (("actions", "write"), ("checks", "write"), ("contents", "write"),
                         ("metadata", "read"), ("pull_requests", "write"),
                         ("statuses", "read"), ("workflows", "write")):
        w.key(4, name, access, "read | write")


def governance_text(ident: Identity, d: Design) -> str:
    """governance.yml for ``ident`` and ``d``, a comment on every key."""
    w = _Lines()
    for line in (*HEADER_LINES, "modelgate governance: the one configuration file, written by "
                 "`modelgate init`.", "Every key is validated on load; `modelgate "
                 "validate-config` names what is wrong.", "Replace each TODO before the "
                 "first pull request: the model card shows them."):
        w.comment(0, line)
    w.key(0, "schema_version", 1, "this file's format; modelgate refuses others")
    w.key(0, "task", d.task, "binary | multiclass | regression")
    w.blank()
    _model(w, ident)
    w.blank()
    _data(w, ident, d)
    w.blank()
    _estimator(w, d)
    w.blank()
    _gates(w, d)
    w.blank()
    _approval(w, ident)
    w.blank()
    _github(w, ident)
    return w.text()


def workflow_templates(folder: Path | None = None) -> dict[str, str]:
    """The caller workflow templates shipped with modelgate, by file name."""
    folder = folder or WORKFLOWS_DIR
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.yml"))}


def render_workflow(name: str, template: str, ident: Identity,
                    extra_paths: Sequence[str] = ()) -> str:
    """A template with its pins substituted; the PR check also watches ``extra_paths``
    (the folders of the team's data and training code)."""
    text = template
    for placeholder, value in zip(PLACEHOLDERS, (ident.modelgate_repo, ident.modelgate_ref,
                                                 ident.modelgate_requirement), strict=True):
        text = text.replace(placeholder, value)
    if name == CHECK_WORKFLOW and extra_paths and PATHS_LINE in text:
        added = "".join(f"      - {scalar(p)}  # modelgate init: your data and code\n"
                        for p in extra_paths)
        text = text.replace(PATHS_LINE, PATHS_LINE + added, 1)
    return text


CARDS_README = f"""\
<!--
{HEADER_LINES[0]}
{HEADER_LINES[1]}
-->
# Model cards

`modelgate release` commits one card per released version here,
`<model>/v<N>.md` and its JSON twin, with the merge commit it was built from. Do not edit
them: each is the record of what was approved and deployed.
"""
GITIGNORE_NEW = f"# {HEADER_LINES[0]}\n# {HEADER_LINES[1]}\n"

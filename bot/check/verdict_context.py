# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What the trusted verdict reads, read as data: a pull request's checkout and its artifact.

Nothing here imports, executes or unpickles anything from either. The checkout gives the
model definition (the PR's ``governance.yml``: model, data, estimator, split), the data
file and its manifest, and the list of files the code audits look at; the base branch's
``governance.yml`` gives every threshold and role. The artifact gives the PR job's claims:
which run and version it trained, and the candidate's scores on the evaluation rows. Those
scores are used through :class:`ClaimedPredictor`, which answers only for the rows of the
test split rebuilt here; the release proves the claim by retraining (fingerprint).

A problem with the PR's content is not an error of this job: it is recorded as the reason
the audits that need that input fail (fail closed), so the approvers read it in the report.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ValidationError

from modelgate.bot.check.artifact import ArtifactError, AuditArtifact, load_artifact, parse_json
from modelgate.bot.check.audits._util import ToolError, run_tool
from modelgate.bot.check.audits.base import EvidenceMissing
from modelgate.bot.check.production_gate import CandidatePredictions, EvaluationRows
from modelgate.bot.check.report import EVAL_ROWS_FILE, PREDICTIONS_FILE
from modelgate.errors import ExitCode, ModelgateError
from modelgate.governance import (
    CONFIG_FILENAME,
    ConfigError,
    Governance,
    LoadedConfig,
    parse_governance,
)
from modelgate.training.data import DataError, Dataset, Split, load_dataset, split_dataset

# sections of the PR's governance.yml that define the model; every other one is policy
# (thresholds, subgroups, roles, aliases, deployment) and comes from the base branch
MODEL_SECTIONS = ("model", "data", "estimator", "split")
MAX_CONFIG_BYTES = 1024 * 1024
MAX_DATA_BYTES = 1024 * 1024 * 1024
SHA1_RE = re.compile(r"^[0-9a-f]{40}$")
GIT_TIMEOUT_S = 60.0
# git never runs a file-system monitor named by the checkout's configuration
GIT_SAFE = ("-c", "core.fsmonitor=false")

E_NO_TREE = "--pr-tree {path}: not a directory"
E_NO_ARTIFACT = "--artifact {path}: no such file or directory"
E_BASE = "--base-config: {error}"
E_INSIDE = ("{what} {path} lies inside the pull request's tree {tree}: the trusted verdict "
            "must run from the default branch's code, outside the tree it judges")
P_CONFIG = "the pull request's {name} cannot be used: {error}"
P_MERGED = ("the pull request's model definition does not fit the base branch's policy: "
            "{error}")
P_PATH = "governance.yml data.{key} {path!r}: {why}"
P_DATA = "the pull request's data cannot be used: {error}"
P_ARTIFACT = "the PR job's artifact cannot be used: {error}"
P_CLAIM = "the artifact's {name} is unusable: {error}"
P_ROWS = ("the artifact's evaluation rows differ from the test split rebuilt from the pull "
          "request's data (test_size {test_size}, random_state {seed}): {what}")
P_NOT_ASKED = ("the candidate's claimed scores answer only for the {n} rows of the rebuilt "
               "test split; {missing} of the {asked} rows asked for are not among them")
P_AMBIGUOUS = ("the claim gives {n} identical feature rows different scores, so it cannot "
               "answer for them")


class VerdictInputError(ModelgateError):
    """The verdict cannot start: a path or the base configuration given to it is unusable."""

    exit_code = ExitCode.USAGE


class Refused(ModelgateError):
    """A PR input that cannot be used; its message becomes the reason audits fail."""

    exit_code = ExitCode.FAILED


# ----------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class PrTree:
    """The checked-out pull request, as files to read."""

    root: Path
    files: tuple[str, ...]  # regular files only, relative POSIX paths
    listed_by: str  # "git ls-files" or "walk"
    head: str | None  # the checked-out commit (None without .git)
    tree: str | None
    clean: bool | None  # tracked files unchanged since that commit
    skipped: tuple[str, ...] = ()  # symbolic links and other non-regular entries


def git_output(root: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = run_tool([git, *GIT_SAFE, *args], cwd=root, timeout_s=GIT_TIMEOUT_S)
    except ToolError:
        return None
    return done.stdout if done.returncode == 0 else None


def _regular(root: Path, name: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(root / name).st_mode)
    except OSError:
        return False


def _walk(root: Path) -> tuple[list[str], list[str]]:
    files: list[str] = []
    skipped: list[str] = []
    for here, dirs, names in os.walk(root, followlinks=False):
        rel = Path(here).relative_to(root)
        for d in list(dirs):
            if d == ".git" or (Path(here) / d).is_symlink():
                dirs.remove(d)
                if d != ".git":
                    skipped.append((rel / d).as_posix())
        for name in names:
            path = (rel / name).as_posix()
            (files if _regular(root, path) else skipped).append(path)
    return sorted(files), sorted(skipped)


def read_tree(root: Path) -> PrTree:
    """The files of the checkout (git's index, or a walk without .git) and its commit."""
    if not (root / ".git").exists():
        files, skipped = _walk(root)
        return PrTree(root, tuple(files), "walk", None, None, None, tuple(skipped))
    listed = git_output(root, "ls-files", "-z", "--cached")
    if listed is None:
        raise EvidenceMissing(f"{root}: git cannot list the checkout's files")
    names = sorted({n for n in listed.split("\0") if n})
    files = [n for n in names if _regular(root, n)]
    skipped = [n for n in names if n not in set(files) and os.path.lexists(root / n)]
    head = (git_output(root, "rev-parse", "HEAD") or "").strip()
    tree = (git_output(root, "rev-parse", "HEAD^{tree}") or "").strip()
    status = git_output(root, "status", "--porcelain", "--untracked-files=no")
    return PrTree(root, tuple(files), "git ls-files", head if SHA1_RE.match(head) else None,
                  tree if SHA1_RE.match(tree) else None,
                  None if status is None else status.strip() == "", tuple(skipped))


# ----------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Definition:
    """The configuration the audits judge with: the PR's model, the base's policy."""

    config: LoadedConfig
    pr_sha256: str
    policy_ignored: tuple[str, ...]  # policy sections the PR's file changes (not applied)


def _read_small(path: Path, limit: int) -> bytes:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise Refused(f"{path.name} not found") from None
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"{path.name} is not a regular file (a symbolic link is not followed)")
    if info.st_size > limit:
        raise Refused(f"{path.name} is {info.st_size} bytes; at most {limit}")
    return path.read_bytes()


def inside(root: Path, relative: Path, key: str) -> Path:
    """``root / relative`` when it is a regular file in the tree reached without links."""
    text = relative.as_posix()
    if relative.is_absolute() or ".." in PurePosixPath(text).parts:
        raise Refused(P_PATH.format(key=key, path=text, why="must stay inside the tree"))
    here = root
    for part in PurePosixPath(text).parts:
        here = here / part
        if here.is_symlink():
            raise Refused(P_PATH.format(key=key, path=text, why="passes a symbolic link"))
    if not here.is_file():
        raise Refused(P_PATH.format(key=key, path=text, why="no such file in the tree"))
    if here.stat().st_size > MAX_DATA_BYTES:
        raise Refused(P_PATH.format(key=key, path=text, why=f"over {MAX_DATA_BYTES} bytes"))
    return here


def merge_config(base: LoadedConfig, pr_root: Path) -> Definition:
    """The PR's model sections over the base's policy, validated together."""
    pr_root = pr_root.resolve()
    path = pr_root / CONFIG_FILENAME
    try:
        raw = _read_small(path, MAX_CONFIG_BYTES)
        pr = parse_governance(raw.decode("utf-8"), path)
    except (Refused, ConfigError, UnicodeDecodeError) as exc:
        raise Refused(P_CONFIG.format(name=CONFIG_FILENAME, error=exc)) from None
    for key, rel in (("path", pr.data.path), ("manifest", pr.data.manifest)):
        inside(pr_root, rel, key)
    base_doc = base.governance.model_dump(by_alias=True)
    pr_doc = pr.model_dump(by_alias=True)
    merged = {**base_doc, **{k: pr_doc[k] for k in MODEL_SECTIONS}}
    try:
        governance = Governance.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise Refused(P_MERGED.format(error=first["msg"])) from None
    ignored = tuple(k for k in base_doc if k not in MODEL_SECTIONS and base_doc[k] != pr_doc[k])
    config = LoadedConfig(governance=governance, path=path, root=pr_root,
                          sha256=hashlib.sha256(raw).hexdigest())
    return Definition(config, config.sha256, ignored)


def load_data(config: LoadedConfig) -> tuple[Dataset, Split]:
    """The PR's data, verified against its manifest, and the split rebuilt here."""
    try:
        dataset = load_dataset(config)
        return dataset, split_dataset(dataset, config.governance)
    except DataError as exc:
        raise Refused(P_DATA.format(error=exc)) from None


# ----------------------------------------------------------------------------- the claims


@dataclass(frozen=True)
class Claims:
    """The PR job's artifact; ``problem`` says why it cannot be used when it cannot."""

    artifact: AuditArtifact | None
    rows: EvaluationRows | None = None
    predictions: CandidatePredictions | None = None
    problem: str | None = None  # the artifact itself
    scores_problem: str | None = None  # its evaluation rows or predictions


def _document(artifact: AuditArtifact, name: str, model: type[BaseModel]) -> Any:
    raw = artifact.files.get(name)
    if raw is None:
        raise Refused(P_CLAIM.format(name=name, error="missing from the artifact"))
    try:
        return model.model_validate(parse_json(name, raw))
    except ArtifactError as exc:
        raise Refused(P_CLAIM.format(name=name, error=exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"]))
        raise Refused(P_CLAIM.format(name=name, error=f"{first['msg']} at {where}")) from None


def read_claims(path: Path) -> Claims:
    """The artifact, validated as hostile input (:mod:`modelgate.bot.check.artifact`)."""
    try:
        artifact = load_artifact(path)
    except ArtifactError as exc:
        return Claims(None, problem=P_ARTIFACT.format(error=exc))
    try:
        rows = _document(artifact, EVAL_ROWS_FILE, EvaluationRows)
        preds = _document(artifact, PREDICTIONS_FILE, CandidatePredictions)
    except Refused as exc:
        return Claims(artifact, scores_problem=str(exc))
    return Claims(artifact, rows, preds)


# ----------------------------------------------------------------------------- the candidate


def _key(row: NDArray[np.float64]) -> bytes:
    return np.ascontiguousarray(row + 0.0).tobytes()  # -0.0 and 0.0 are one measurement


@dataclass(frozen=True)
class ClaimedPredictor:
    """The PR job's scores, answering only for the feature rows it was given."""

    scores: dict[bytes, float | None]  # None: identical rows with different scores
    rows: int
    fingerprint: str = field(default="")

    @classmethod
    def of(cls, X: NDArray[np.float64], p: Sequence[float], fingerprint: str) -> ClaimedPredictor:
        scores: dict[bytes, float | None] = {}
        for row, value in zip(X, p, strict=True):
            key = _key(row)
            if key in scores and scores[key] != value:
                scores[key] = None
            else:
                scores.setdefault(key, float(value))
        return cls(scores, len(X), fingerprint)

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        found = [self.scores.get(_key(row), math.nan) for row in np.asarray(X, np.float64)]
        missing = sum(1 for v in found if v is not None and math.isnan(v))
        if missing:
            raise EvidenceMissing(P_NOT_ASKED.format(n=self.rows, missing=missing,
                                                     asked=len(found)))
        if any(v is None for v in found):
            raise EvidenceMissing(P_AMBIGUOUS.format(n=sum(v is None for v in found)))
        return np.asarray(found, dtype=np.float64)


@dataclass(frozen=True)
class RefusedClaim:
    """Stands in for a claim that cannot be used: every question fails with the reason."""

    reason: str

    def predict_positive(self, X: NDArray[np.float64]) -> NDArray[np.float64]:
        raise EvidenceMissing(self.reason)


def _rows_problem(rows: EvaluationRows, preds: CandidatePredictions, dataset: Dataset,
                  split: Split) -> str | None:
    """What differs between the claimed rows and the rebuilt test split, if anything."""
    test = split.test
    checks = [
        (rows.data_sha256 == dataset.sha256, "they were taken from other data (sha256 "
         f"{rows.data_sha256[:12]}…, the tree's data is {dataset.sha256[:12]}…)"),
        (rows.features == list(dataset.features), "another feature list"),
        (rows.ids == [str(i) for i in dataset.ids[test]], "other ids or another order"),
        (rows.y_true == [int(v) for v in dataset.y[test]], "other labels"),
        (len(rows.X) == len(test) and all(len(r) == len(dataset.features) for r in rows.X)
         and np.array_equal(np.asarray(rows.X, dtype=np.float64), dataset.X[test]),
         "other feature values"),
        (preds.ids == rows.ids and preds.y_true == rows.y_true,
         "the predictions name other ids or labels than the rows"),
        (len(preds.p_positive) == len(test)
         and all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in preds.p_positive),
         "the predictions are not one probability in [0, 1] per row"),
    ]
    return next((what for ok, what in checks if not ok), None)


def claimed_candidate(claims: Claims, dataset: Dataset | None, split: Split | None,
                      gov: Governance) -> ClaimedPredictor | RefusedClaim:
    """The claim as a predictor when it covers exactly the rebuilt test split."""
    from modelgate.training.train import fingerprint

    if claims.artifact is None:
        return RefusedClaim(claims.problem or P_ARTIFACT.format(error="not read"))
    if claims.rows is None or claims.predictions is None:
        return RefusedClaim(claims.scores_problem or P_ARTIFACT.format(error="no scores"))
    if dataset is None or split is None:
        return RefusedClaim("the claimed scores cannot be checked: the pull request's data "
                            "could not be loaded")
    what = _rows_problem(claims.rows, claims.predictions, dataset, split)
    if what is not None:
        return RefusedClaim(P_ROWS.format(test_size=gov.split.test_size,
                                          seed=gov.split.random_state, what=what))
    p = claims.predictions.p_positive
    return ClaimedPredictor.of(dataset.X[split.test], p,
                               fingerprint(np.asarray(p, dtype=np.float64)))


# ----------------------------------------------------------------------------- guards


def _within(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def refuse_unsafe_layout(pr_root: Path, out_dir: Path, code_dir: Path,
                         sys_path: Sequence[str]) -> None:
    """Refuse to run if this code, its import path or its output lie in the PR's tree
    (a misconfigured job would then judge a PR with the PR's own code)."""
    if _within(code_dir, pr_root):
        raise VerdictInputError(E_INSIDE.format(what="modelgate's code", path=code_dir,
                                                tree=pr_root))
    for entry in sys_path:
        where = Path(entry or os.getcwd())
        if where.exists() and _within(where, pr_root):
            raise VerdictInputError(E_INSIDE.format(what="the import path entry", path=where,
                                                    tree=pr_root))
    if _within(out_dir, pr_root):
        raise VerdictInputError(E_INSIDE.format(what="--out", path=out_dir, tree=pr_root))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Load the training data, check it against its manifest, fingerprint and split it.

Every check here stops with one message naming the file, the row or the column, because
a model trained on silently coerced data is exactly what an auditor will ask about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from modelgate.errors import UsageError
from modelgate.governance import FeatureSpec, Governance, LoadedConfig
from modelgate.hashing import sha256_file

MAX_ROWS_NAMED = 5
# cells read as missing (after stripping spaces); only a nullable feature may hold them
MISSING_MARKERS = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"})
TRUE_TEXT = frozenset({"true", "1", "yes", "y", "t"})
FALSE_TEXT = frozenset({"false", "0", "no", "n", "f"})


class DataError(UsageError):
    """Training data that cannot be used, with a message naming file, row or column."""


@dataclass(frozen=True)
class DatasetManifest:
    """The dataset's provenance record (``data/*.manifest.json``)."""

    path: Path
    sha256: str
    rows: int
    columns: int
    id_column: str
    license: str
    source: str
    pii_status: str
    pii_certified_by: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Dataset:
    """The validated data, ids kept for lineage.

    ``X`` is float64 in configured feature order whatever the declared types: a numeric
    is its number, a boolean 0/1, a categorical the index of its value in
    ``categories[name]``; a missing value (only in a nullable feature) is NaN. ``y`` is
    the class index (int64) for classification, the value (float64) for regression.
    """

    path: Path
    sha256: str
    frame: pd.DataFrame
    ids: NDArray[Any]
    X: NDArray[np.float64]
    y: NDArray[Any]
    features: tuple[str, ...]
    manifest: DatasetManifest
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, int]:
        return (int(self.frame.shape[0]), int(self.frame.shape[1]))


@dataclass(frozen=True)
class Split:
    """Row positions of the deterministic train/test split (the test set is the pinned
    evaluation set that later audits reuse)."""

    train: NDArray[np.intp]
    test: NDArray[np.intp]


def load_manifest(path: Path) -> DatasetManifest:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataError(f"{path}: dataset manifest not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read dataset manifest: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: dataset manifest is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise DataError(f"{path}: dataset manifest must be a JSON object")
    try:
        pii = raw["pii"]
        return DatasetManifest(
            path=path,
            sha256=str(raw["sha256"]),
            rows=int(raw["rows"]),
            columns=int(raw["columns"]),
            id_column=str(raw["id_column"]),
            license=str(raw["license"]),
            source=str(raw["source"]),
            pii_status=str(pii["status"]),
            pii_certified_by=str(pii["certified_by"]),
            raw=raw,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: dataset manifest lacks or mistypes key {exc}") from exc


def _rows(positions: NDArray[Any] | list[int]) -> str:
    # +2: one for the header line, one because people count rows from 1
    shown = [str(int(p) + 2) for p in list(positions)[:MAX_ROWS_NAMED]]
    more = len(positions) - len(shown)
    return ", ".join(shown) + (f" (and {more} more)" if more > 0 else "")


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        # everything as text first: we decide what a number is, not pandas' inference
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{path}: data file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read data file: {exc}") from exc
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: data file is empty") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a well-formed CSV: {exc}") from exc


def _missing(values: pd.Series, spec: FeatureSpec, path: Path) -> NDArray[np.bool_]:
    missing = values.isin(MISSING_MARKERS).to_numpy()
    if missing.any() and not spec.nullable:
        rows = np.flatnonzero(missing)
        raise DataError(
            f"{path}: column '{spec.name}' is empty at row(s) {_rows(rows)}; if the feature "
            f"may be missing, declare it in governance.yml data.features as "
            f"{{name: {spec.name}, type: {spec.type}, nullable: true}}"
        )
    return np.asarray(missing, dtype=np.bool_)


def _numeric(values: pd.Series, missing: NDArray[np.bool_], spec: FeatureSpec,
             path: Path) -> NDArray[np.float64]:
    col = pd.to_numeric(values.where(~missing, "nan"), errors="coerce")
    bad = np.flatnonzero(col.isna().to_numpy() & ~missing)
    if bad.size:
        sample = values.iloc[int(bad[0])]
        raise DataError(
            f"{path}: column '{spec.name}' (numeric) has non-numeric values at row(s) "
            f"{_rows(bad)} (first: {sample!r}); if it holds categories, declare it "
            f"{{name: {spec.name}, type: categorical}} in governance.yml data.features"
        )
    out = col.to_numpy(dtype=np.float64)
    nonfinite = np.flatnonzero(np.isinf(out))
    if nonfinite.size:
        raise DataError(
            f"{path}: column '{spec.name}' has infinite values at row(s) {_rows(nonfinite)}"
        )
    return np.asarray(out, dtype=np.float64)


def _boolean(values: pd.Series, missing: NDArray[np.bool_], spec: FeatureSpec,
             path: Path) -> NDArray[np.float64]:
    lowered = values.str.lower()
    is_true = lowered.isin(TRUE_TEXT).to_numpy()
    is_false = lowered.isin(FALSE_TEXT).to_numpy()
    bad = np.flatnonzero(~(is_true | is_false | missing))
    if bad.size:
        raise DataError(
            f"{path}: column '{spec.name}' (boolean) has value {values.iloc[int(bad[0])]!r} "
            f"at row(s) {_rows(bad)}; write true/false, yes/no or 1/0"
        )
    return np.where(missing, np.nan, np.where(is_true, 1.0, 0.0))


def category_list(values: pd.Series, missing: NDArray[np.bool_],
                  spec: FeatureSpec) -> tuple[str, ...]:
    """The declared categories, else the column's distinct values sorted (codes follow
    this order, so the same data gives the same codes)."""
    if spec.categories is not None:
        return tuple(spec.categories)
    return tuple(sorted(set(values[~missing])))


def _categorical(values: pd.Series, missing: NDArray[np.bool_], categories: tuple[str, ...],
                 spec: FeatureSpec, path: Path) -> NDArray[np.float64]:
    index = {c: float(i) for i, c in enumerate(categories)}
    codes = values.map(index).to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(np.isnan(codes) & ~missing)
    if bad.size:
        raise DataError(
            f"{path}: column '{spec.name}' has value {values.iloc[int(bad[0])]!r} at row(s) "
            f"{_rows(bad)}, not among its declared categories {list(categories)[:20]}; add it "
            "to data.features[].categories in governance.yml"
        )
    return np.where(missing, np.nan, codes)


def encode_features(frame: pd.DataFrame, specs: tuple[FeatureSpec, ...],
                    path: Path) -> tuple[NDArray[np.float64], dict[str, tuple[str, ...]]]:
    """Text columns -> float64 matrix by declared type (see :class:`Dataset`)."""
    columns: list[NDArray[np.float64]] = []
    categories: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        values = frame[spec.name].str.strip()
        missing = _missing(values, spec, path)
        if spec.type == "numeric":
            columns.append(_numeric(values, missing, spec, path))
        elif spec.type == "boolean":
            columns.append(_boolean(values, missing, spec, path))
        else:
            cats = category_list(values, missing, spec)
            categories[spec.name] = cats
            columns.append(_categorical(values, missing, cats, spec, path))
    return np.column_stack(columns), categories


def _target(frame: pd.DataFrame, gov: Governance, path: Path) -> NDArray[Any]:
    column = gov.data.target.column
    labels = frame[column].str.strip()
    if gov.task == "regression":
        values = pd.to_numeric(labels, errors="coerce").to_numpy(dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise DataError(
                f"{path}: target column '{column}' (regression) has a missing or non-numeric "
                f"value {labels.iloc[int(bad[0])]!r} at row(s) {_rows(bad)}"
            )
        return np.asarray(values, dtype=np.float64)
    mapping = gov.data.target.mapping or {}
    unknown = np.flatnonzero(~labels.isin(list(mapping)).to_numpy())
    if unknown.size:
        raise DataError(
            f"{path}: target column '{column}' has value "
            f"{labels.iloc[int(unknown[0])]!r} outside the mapping {sorted(mapping)} "
            f"at row(s) {_rows(unknown)}"
        )
    y = labels.map(mapping).to_numpy(dtype=np.int64)
    absent = sorted(set(mapping.values()) - set(np.unique(y).tolist()))
    if len(np.unique(y)) < 2:
        raise DataError(f"{path}: target column '{column}' holds only one class")
    if absent:
        names = gov.class_names
        raise DataError(f"{path}: target column '{column}' never holds class(es) "
                        f"{[names[i] for i in absent]} that data.target.mapping declares")
    return np.asarray(y, dtype=np.int64)


def load_dataset(config: LoadedConfig, *, verify_manifest: bool = True) -> Dataset:
    """Read, verify and convert the configured data file."""
    gov: Governance = config.governance
    path = config.data_path
    manifest = load_manifest(config.manifest_path)
    try:
        digest = sha256_file(path)
    except FileNotFoundError:
        raise DataError(f"{path}: data file not found") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read data file: {exc.strerror}") from exc
    if verify_manifest and digest != manifest.sha256:
        raise DataError(
            f"{path}: sha256 {digest} does not match the manifest {config.manifest_path} "
            f"({manifest.sha256}); the data changed without its manifest being updated"
        )
    frame = _read_csv(path)
    required = [gov.data.id_column, gov.data.target.column, *gov.data.features]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: missing configured column(s) {missing}")
    if frame.empty:
        raise DataError(f"{path}: data file has a header but no rows")
    ids = frame[gov.data.id_column].str.strip()
    blank = np.flatnonzero((ids == "").to_numpy())
    if blank.size:
        raise DataError(
            f"{path}: id column '{gov.data.id_column}' is empty at row(s) {_rows(blank)}"
        )
    dup = np.flatnonzero(ids.duplicated(keep=False).to_numpy())
    if dup.size:
        raise DataError(
            f"{path}: id column '{gov.data.id_column}' has duplicated ids at row(s) {_rows(dup)} "
            f"(first: {ids.iloc[int(dup[0])]!r})"
        )
    y = _target(frame, gov, path)
    X, categories = encode_features(frame, gov.data.specs, path)
    return Dataset(
        path=path,
        sha256=digest,
        frame=frame,
        ids=ids.to_numpy(dtype=object),
        X=X,
        y=y,
        features=tuple(gov.data.features),
        manifest=manifest,
        categories=categories,
    )


def split_dataset(dataset: Dataset, gov: Governance) -> Split:
    """Deterministic (stratified) split by row position."""
    from sklearn.model_selection import train_test_split

    positions = np.arange(len(dataset.y))
    try:
        train, test = train_test_split(
            positions,
            test_size=gov.split.test_size,
            random_state=gov.split.random_state,
            stratify=dataset.y if gov.split.stratify and gov.task != "regression" else None,
        )
    except ValueError as exc:
        raise DataError(f"{dataset.path}: cannot split with {gov.split}: {exc}") from exc
    return Split(train=np.sort(train), test=np.sort(test))

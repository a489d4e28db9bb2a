# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Load the training data, check it against its manifest, fingerprint and split it.

Every check here stops with one message naming the file, the row or the column, because
a model trained on silently coerced data is exactly what an auditor will ask about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from modelgate.errors import ModelgateError
from modelgate.governance import Governance, LoadedConfig
from modelgate.hashing import sha256_file

MAX_ROWS_NAMED = 5


class DataError(ModelgateError):
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
    """The validated data: features as float64, labels as 0/1, ids kept for lineage."""

    path: Path
    sha256: str
    frame: pd.DataFrame
    ids: NDArray[Any]
    X: NDArray[np.float64]
    y: NDArray[np.int64]
    features: tuple[str, ...]
    manifest: DatasetManifest

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


def _features_as_float(frame: pd.DataFrame, features: list[str], path: Path) -> NDArray[np.float64]:
    columns = []
    for name in features:
        col = pd.to_numeric(frame[name].str.strip(), errors="coerce")
        bad = np.flatnonzero(col.isna().to_numpy())
        if bad.size:
            sample = frame[name].iloc[int(bad[0])]
            raise DataError(
                f"{path}: column '{name}' has non-numeric values at row(s) {_rows(bad)} "
                f"(first: {sample!r})"
            )
        values = col.to_numpy(dtype=np.float64)
        nonfinite = np.flatnonzero(~np.isfinite(values))
        if nonfinite.size:
            raise DataError(
                f"{path}: column '{name}' has NaN or infinite values at row(s) {_rows(nonfinite)}"
            )
        columns.append(values)
    return np.column_stack(columns)


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
    labels = frame[gov.data.target.column].str.strip()
    mapping = gov.data.target.mapping
    unknown = np.flatnonzero(~labels.isin(list(mapping)).to_numpy())
    if unknown.size:
        raise DataError(
            f"{path}: target column '{gov.data.target.column}' has value "
            f"{labels.iloc[int(unknown[0])]!r} outside the mapping {sorted(mapping)} "
            f"at row(s) {_rows(unknown)}"
        )
    y = labels.map(mapping).to_numpy(dtype=np.int64)
    if len(np.unique(y)) < 2:
        raise DataError(f"{path}: target column '{gov.data.target.column}' holds only one class")
    X = _features_as_float(frame, list(gov.data.features), path)
    return Dataset(
        path=path,
        sha256=digest,
        frame=frame,
        ids=ids.to_numpy(dtype=object),
        X=X,
        y=y,
        features=tuple(gov.data.features),
        manifest=manifest,
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
            stratify=dataset.y if gov.split.stratify else None,
        )
    except ValueError as exc:
        raise DataError(f"{dataset.path}: cannot split with {gov.split}: {exc}") from exc
    return Split(train=np.sort(train), test=np.sort(test))

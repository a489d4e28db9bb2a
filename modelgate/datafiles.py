# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""A data file's facts, its manifest and its REUSE licence, and whether they agree.

``modelgate data add`` writes the manifest (sha256, rows, columns, column types, the id
column checked against the file) and the REUSE entry (a ``.license`` file next to the
data and the manifest) from the licence the team names; the ``lineage`` audit asks
:func:`disagreements` whether a manifest still tells the truth about its file.
"""

from __future__ import annotations

import csv
import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.errors import ModelgateError
from modelgate.hashing import sha256_file

MANIFEST_SCHEMA_VERSION = 1
SPDX_ID_RE = re.compile(r"^[A-Za-z0-9.+-]+( (AND|OR|WITH) [A-Za-z0-9.+-]+)*$")
# split so that `reuse lint` does not read this module's own lines as licence tags
LICENSE_TAG = "SPDX-License-" + "Identifier"
COPYRIGHT_TAG = "SPDX-File" + "CopyrightText"
LICENSE_LINE_RE = re.compile(LICENSE_TAG + r":\s*(.+?)\s*$", re.MULTILINE)
MISSING = frozenset({"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"})


class DataFileError(ModelgateError):
    """A data file, manifest or licence entry that cannot be used; the message names it."""


@dataclass(frozen=True)
class CsvFacts:
    """What the file itself says: its digest, size and columns with inferred types."""

    sha256: str
    rows: int
    header: tuple[str, ...]
    types: dict[str, str]  # column -> numeric | boolean | categorical
    nullable: dict[str, bool]
    distinct: dict[str, int]

    @property
    def columns(self) -> int:
        return len(self.header)


def _kind(values: list[str]) -> str:
    present = [v for v in values if v not in MISSING]
    if present and all(v.lower() in {"true", "false"} for v in present):
        return "boolean"
    try:
        for v in present:
            float(v)
    except ValueError:
        return "categorical"
    return "numeric"


def describe_csv(path: Path) -> CsvFacts:
    """Read ``path`` (UTF-8 CSV with a header) and describe it."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise DataFileError(f"{path}: data file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataFileError(f"{path}: cannot read as a UTF-8 CSV: {exc}") from exc
    if not rows:
        raise DataFileError(f"{path}: data file is empty")
    header = tuple(c.strip() for c in rows[0])
    body = rows[1:]
    short = [i + 2 for i, r in enumerate(body) if len(r) != len(header)]
    if short:
        raise DataFileError(f"{path}: row(s) {short[:5]} have another number of cells than "
                            f"the header's {len(header)}")
    columns = {name: [r[j].strip() for r in body] for j, name in enumerate(header)}
    return CsvFacts(
        sha256=sha256_file(path), rows=len(body), header=header,
        types={n: _kind(v) for n, v in columns.items()},
        nullable={n: any(x in MISSING for x in v) for n, v in columns.items()},
        distinct={n: len(set(v)) for n, v in columns.items()},
    )


def check_id_column(path: Path, facts: CsvFacts, id_column: str) -> None:
    """The id column exists, is never empty and never repeats."""
    if id_column not in facts.header:
        raise DataFileError(f"{path}: id column {id_column!r} is not in the header "
                            f"{list(facts.header)[:20]}")
    if facts.nullable[id_column]:
        raise DataFileError(f"{path}: id column {id_column!r} has empty cells")
    if facts.distinct[id_column] != facts.rows:
        raise DataFileError(f"{path}: id column {id_column!r} repeats values "
                            f"({facts.distinct[id_column]} distinct in {facts.rows} rows)")


def _glob(pattern: str, path: str) -> bool:
    """REUSE.toml globbing: ``*`` stays within a directory, ``**`` crosses them."""
    regex = re.escape(pattern).replace(r"\*\*", "\0").replace(r"\*", "[^/]*")
    return re.fullmatch(regex.replace("\0", ".*"), path) is not None


def reuse_license(root: Path, relative: str) -> tuple[str | None, str]:
    """The licence REUSE gives ``relative`` and where it comes from: an ``override``
    annotation in REUSE.toml wins, then the ``.license`` file, then another annotation."""
    sidecar = root / f"{relative}.license"
    side = None
    if sidecar.is_file():
        found = LICENSE_LINE_RE.search(sidecar.read_text(encoding="utf-8"))
        side = found.group(1) if found else None
    annotated: list[tuple[str, str]] = []
    toml = root / "REUSE.toml"
    if toml.is_file():
        try:
            doc = tomllib.loads(toml.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DataFileError(f"{toml}: not valid TOML: {exc}") from exc
        for ann in doc.get("annotations", []):
            paths = ann.get("path", [])
            paths = [paths] if isinstance(paths, str) else paths
            if any(_glob(str(p), relative) for p in paths):
                annotated.append((str(ann.get("precedence", "closest")),
                                  str(ann.get("SPDX-License-Identifier", ""))))
    for precedence, license_id in annotated:
        if precedence == "override":
            return license_id, "REUSE.toml (override)"
    if side is not None:
        return side, f"{relative}.license"
    if annotated:
        return annotated[0][1], "REUSE.toml"
    return None, "no REUSE entry"


def disagreements(root: Path, data_path: Path, manifest: dict[str, Any],
                  id_column: str) -> list[str]:
    """Where the manifest and the file (or REUSE) disagree; empty when they agree."""
    facts = describe_csv(data_path)
    out: list[str] = []
    for key, actual in (("sha256", facts.sha256), ("rows", facts.rows),
                        ("columns", facts.columns)):
        if manifest.get(key) != actual:
            out.append(f"manifest {key} {manifest.get(key)!r}, the file has {actual!r}")
    if manifest.get("id_column") != id_column:
        out.append(f"manifest id_column {manifest.get('id_column')!r}, governance.yml "
                   f"data.id_column {id_column!r}")
    try:
        check_id_column(data_path, facts, id_column)
    except DataFileError as exc:
        out.append(str(exc))
    try:
        relative = data_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        out.append(f"{data_path} is outside the repository, so REUSE cannot license it")
        return out
    license_id, source = reuse_license(root, relative)
    uses_reuse = (root / "REUSE.toml").is_file() or (root / "LICENSES").is_dir()
    if license_id is None and not uses_reuse:
        return out  # no REUSE in this repository: the ip_headers audit reports that
    if license_id != manifest.get("license"):
        out.append(f"manifest license {manifest.get('license')!r}, REUSE gives "
                   f"{license_id!r} ({source})")
    return out


@dataclass(frozen=True)
class Added:
    manifest: Path
    license_files: tuple[Path, ...]
    facts: CsvFacts


def add_data(root: Path, path: Path, *, license_id: str, copyright_text: str, source: str,
             id_column: str, target_column: str | None = None,
             manifest_path: Path | None = None, pii_status: str = "unreviewed",
             certified_by: str = "", force: bool = False) -> Added:
    """Write ``path``'s manifest and its REUSE ``.license`` files (data and manifest)."""
    if not SPDX_ID_RE.match(license_id):
        raise DataFileError(f"--license {license_id!r} is not an SPDX licence expression "
                            "(e.g. CC-BY-4.0, see https://spdx.org/licenses/)")
    facts = describe_csv(path)
    check_id_column(path, facts, id_column)
    if target_column is not None and target_column not in facts.header:
        raise DataFileError(f"{path}: target column {target_column!r} is not in the header")
    manifest_path = manifest_path or path.with_name(f"{path.stem}.manifest.json")
    if manifest_path.exists() and not force:
        raise DataFileError(f"{manifest_path} exists; pass --force to replace it")
    try:
        relative = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise DataFileError(f"{path} is outside the repository {root}") from None
    existing, where = reuse_license(root, relative)
    if where == "REUSE.toml (override)" and existing != license_id:
        raise DataFileError(f"REUSE.toml already licenses {relative} as {existing!r} with "
                            f"precedence override; change that annotation to {license_id!r}")
    manifest = {
        "schema_version": MANIFEST_SCHEMA_VERSION,
        "name": path.stem, "file": path.name, "source": source, "license": license_id,
        "rows": facts.rows, "columns": facts.columns, "sha256": facts.sha256,
        "id_column": id_column, "target_column": target_column,
        "column_types": {c: {"type": facts.types[c], "nullable": facts.nullable[c]}
                         for c in facts.header if c not in (id_column, target_column)},
        "pii": {"status": pii_status, "certified_by": certified_by or "not yet reviewed"},
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    sidecar_text = f"{COPYRIGHT_TAG}: {copyright_text}\n{LICENSE_TAG}: {license_id}\n"
    written = []
    for target in (path, manifest_path):
        sidecar = target.with_name(target.name + ".license")
        sidecar.write_text(sidecar_text, encoding="utf-8")
        written.append(sidecar)
    return Added(manifest_path, tuple(written), facts)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Build ``data/breast_cancer.csv`` and its manifest from the original UCI ``wdbc.data``.

The UCI file has no header; columns are ID, diagnosis, then 30 reals ordered
mean x 10, standard error x 10, worst x 10. We name them as scikit-learn does, with
spaces turned into underscores, and copy every value verbatim (no float re-formatting),
so the CSV is a faithful, checkable transcription of the source.

Usage: python data/build_breast_cancer.py [path/to/wdbc.data]
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "fixtures" / "wdbc" / "wdbc.data"
SOURCE_SHA256 = "d606af411f3e5be8a317a5a8b652b425aaf0ff38ca683d5327ffff94c3695f4a"

BASES = [
    "radius", "texture", "perimeter", "area", "smoothness", "compactness",
    "concavity", "concave_points", "symmetry", "fractal_dimension",
]
FEATURES = (
    [f"mean_{b}" for b in BASES] + [f"{b}_error" for b in BASES] + [f"worst_{b}" for b in BASES]
)


def build(source: Path, out_csv: Path, out_manifest: Path) -> dict[str, object]:
    raw = source.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{source}: sha256 {digest} is not the UCI original {SOURCE_SHA256}")
    rows = list(csv.reader(io.StringIO(raw.decode("ascii"))))
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "diagnosis", *FEATURES])
    for n, row in enumerate(rows, start=1):
        if len(row) != 32:
            raise SystemExit(f"{source}: line {n} has {len(row)} fields, expected 32")
        writer.writerow(row)
    data = buf.getvalue().encode("ascii")
    out_csv.write_bytes(data)
    manifest: dict[str, object] = {
        "schema_version": 1,
        "name": "Breast Cancer Wisconsin (Diagnostic)",
        "file": out_csv.name,
        "source": "UCI Machine Learning Repository, wdbc.data",
        "source_url": "https://archive.ics.uci.edu/dataset/17/breast+cancer+wisconsin+diagnostic",
        "source_sha256": SOURCE_SHA256,
        "doi": "10.24432/C5DW2B",
        "citation": "Wolberg, W., Mangasarian, O., Street, N., & Street, W. (1995). "
        "Breast Cancer Wisconsin (Diagnostic) [Dataset]. UCI Machine Learning Repository.",
        "license": "CC-BY-4.0",
        "collected": "1995",
        "rows": len(rows),
        "columns": 2 + len(FEATURES),
        "sha256": hashlib.sha256(data).hexdigest(),
        "id_column": "id",
        "id_column_kind": "study sample id assigned by the UCI donors; not a medical record number",
        "target_column": "diagnosis",
        "pii": {
            "status": "none",
            "certified_by": "modelgate pii audit (recognizers for names, emails, phones, SSN, "
            "MRN, dates of birth, addresses, IPs, Luhn-valid card numbers) and data steward review",
            "notes": "Features are computed from digitized images of fine needle aspirates; "
            "no direct or indirect identifiers are present.",
        },
    }
    out_manifest.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str]) -> int:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    manifest = build(source, HERE / "breast_cancer.csv", HERE / "breast_cancer.manifest.json")
    print(f"wrote {manifest['rows']} rows, sha256 {manifest['sha256']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

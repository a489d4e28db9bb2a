# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate data add PATH``: write a data file's manifest and its REUSE licence entry.

The manifest records sha256, rows, columns, each column's inferred type and the id column
(checked against the file: present, never empty, never repeated); the licence the team
names goes into ``PATH.license`` and ``MANIFEST.license`` (REUSE sidecar files), so
``reuse lint`` and the lineage audit both see it.

Exit codes: 0 written; 2 bad input (unreadable CSV, an id column that is missing or
repeats, a licence that is not SPDX, a manifest that exists without ``--force``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from modelgate.errors import ExitCode
from modelgate.progress import Reporter

HELP = "write a data file's manifest (sha256, rows, columns, types, id column) and REUSE entry"
MSG_ADDED = ("{manifest}: {rows} rows x {columns} columns, sha256 {sha}…, id column "
             "{id_column!r}, license {license} ({sidecars})")


def cmd_data_add(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.datafiles import add_data

    del rep  # the result is the one line on stdout
    root = Path(args.root).resolve()
    added = add_data(root, Path(args.path).resolve(), license_id=args.license,
                     copyright_text=args.copyright, source=args.source,
                     id_column=args.id_column, target_column=args.target,
                     manifest_path=args.manifest.resolve() if args.manifest else None,
                     pii_status=args.pii_status, certified_by=args.pii_certified_by,
                     force=args.force)
    print(MSG_ADDED.format(manifest=added.manifest, rows=added.facts.rows,
                           columns=added.facts.columns, sha=added.facts.sha256[:16],
                           id_column=args.id_column, license=args.license,
                           sidecars=", ".join(p.name for p in added.license_files)))
    return ExitCode.OK


def register(sub: Any) -> None:
    data = sub.add_parser("data", help="data files: manifests and licensing")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    p = data_sub.add_parser("add", help=HELP)
    p.add_argument("path", type=Path, help="the CSV file (inside the repository)")
    p.add_argument("--license", required=True, help="SPDX licence id, e.g. CC-BY-4.0")
    p.add_argument("--copyright", required=True,
                   help="who holds the copyright, e.g. '2024 Example Hospital'")
    p.add_argument("--source", required=True, help="where the data comes from (URL, system)")
    p.add_argument("--id-column", required=True, help="the column of unique row ids")
    p.add_argument("--target", help="the label column (checked against the header)")
    p.add_argument("--manifest", type=Path,
                   help="manifest path (default: PATH's stem + .manifest.json beside it)")
    p.add_argument("--pii-status", default="unreviewed",
                   help="none | present | unreviewed (the pii audit checks it)")
    p.add_argument("--pii-certified-by", default="", help="who or what certified the status")
    p.add_argument("--root", type=Path, default=Path("."),
                   help="the repository root (REUSE.toml's folder; default: .)")
    p.add_argument("--force", action="store_true", help="replace an existing manifest")
    p.set_defaults(handler=cmd_data_add)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Measure the Lambda package: size against Lambda's limits, biggest packages, build time.

    .venv/bin/python bench/package.py [--runtime python3.12] [--arch x86_64] [--no-cold]

The cold build uses an empty, temporary uv cache (every wheel is downloaded from the
registry); the warm build reuses that cache, as CI does between runs. Both must give the
same sha256, which is also printed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from modelgate.infra.package import (
    MIB,
    UNZIPPED_LIMIT_BYTES,
    UNZIPPED_TARGET_BYTES,
    ZIPPED_LIMIT_BYTES,
    PackageReport,
    timed_build,
)

REPO = Path(__file__).resolve().parents[1]


def show(label: str, report: PackageReport, seconds: float) -> None:
    print(f"== {label}: {seconds:.1f} s")
    print(f"zip       {report.zip_bytes / MIB:7.1f} MiB  "
          f"({report.zip_bytes / ZIPPED_LIMIT_BYTES:.0%} of the {ZIPPED_LIMIT_BYTES // MIB} MiB "
          "direct-upload limit)")
    print(f"unzipped  {report.unzipped_bytes / MIB:7.1f} MiB  "
          f"({report.unzipped_bytes / UNZIPPED_LIMIT_BYTES:.0%} of Lambda's "
          f"{UNZIPPED_LIMIT_BYTES // MIB} MiB limit, "
          f"{report.unzipped_bytes / UNZIPPED_TARGET_BYTES:.0%} of our "
          f"{UNZIPPED_TARGET_BYTES // MIB} MiB budget)")
    print(f"files     {report.file_count}")
    print(f"sha256    {report.sha256}")
    print(f"target    {report.target}; bytecode files: {report.bytecode_files}")
    print("biggest packages (unzipped):")
    for name, size in report.largest:
        print(f"  {size / MIB:7.1f} MiB  {name}")
    for warning in report.warnings:
        print(f"warning: {warning}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runtime", default="python3.12")
    parser.add_argument("--arch", default="x86_64")
    parser.add_argument("--no-cold", action="store_true",
                        help="skip the empty-cache build (no downloads)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="modelgate-bench-") as work:
        root = Path(work)
        cache = root / "uv-cache" if not args.no_cold else None
        shas = []
        runs = ["cold cache", "warm cache"] if cache else ["warm cache (your uv cache)"]
        for index, label in enumerate(runs):
            report, seconds = timed_build(REPO, root / f"build-{index}.zip", runtime=args.runtime,
                                          arch=args.arch, cache_dir=cache)
            show(label, report, seconds)
            shas.append(report.sha256)
        if len(shas) > 1:
            print(f"deterministic: {'yes' if len(set(shas)) == 1 else 'NO'} "
                  f"(cold and warm builds {'match' if len(set(shas)) == 1 else 'differ'})")


if __name__ == "__main__":
    main()

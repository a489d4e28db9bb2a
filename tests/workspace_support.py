# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The tests' own team: a governance.yml, manifest and REUSE.toml owned by the tests
(``tests/fixtures/workspace/``) and the WDBC copy from the shared fixtures.

The repository's ``governance.yml`` and ``data/`` belong to the team that uses modelgate: a
team that swaps data, model and task must keep a green ``make test``, so the tool's tests
never read them (``tests/test_team_data_independence.py`` holds them to it)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from demo.fixtures import FIXTURES

FIXTURE_DIR = Path(__file__).resolve().parent / "fixtures" / "workspace"
FIXTURE_CONFIG = FIXTURE_DIR / "governance.yml"
FIXTURE_REUSE = FIXTURE_DIR / "REUSE.workspace.toml"
DATA_CSV = "data/breast_cancer.csv"
DATA_MANIFEST = "data/breast_cancer.manifest.json"
WDBC = FIXTURES / "wdbc" / "wdbc.data"

# wdbc.data has no header: ID, diagnosis, then mean x 10, standard error x 10, worst x 10
_BASES = ("radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
          "concave_points", "symmetry", "fractal_dimension")
WDBC_HEADER = ("id", "diagnosis", *(f"mean_{b}" for b in _BASES),
               *(f"{b}_error" for b in _BASES), *(f"worst_{b}" for b in _BASES))

MSG_NO_WDBC = ("the WDBC fixture {path} is missing: the tests' data comes from the shared "
               "fixtures (CI puts shared/ beside the checkout; MODELGATE_FIXTURES names "
               "another folder)")
MSG_SHA = ("{csv} built from {source} has sha256 {actual}, but the tests' manifest {manifest} "
           "says {expected}: the shared WDBC copy changed")


def wdbc_csv() -> bytes:
    """``wdbc.data`` with a header row, every value copied verbatim."""
    if not WDBC.is_file():
        raise FileNotFoundError(MSG_NO_WDBC.format(path=WDBC))
    rows = list(csv.reader(io.StringIO(WDBC.read_text(encoding="ascii"))))
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(WDBC_HEADER)
    writer.writerows(rows)
    return buf.getvalue().encode("ascii")


def _write_tree(dest: Path) -> None:
    data = wdbc_csv()
    manifest_path = FIXTURE_DIR / DATA_MANIFEST
    expected = json.loads(manifest_path.read_text(encoding="utf-8"))["sha256"]
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(MSG_SHA.format(csv=DATA_CSV, source=WDBC, actual=actual,
                                        manifest=manifest_path, expected=expected))
    (dest / "data").mkdir(parents=True)
    (dest / DATA_CSV).write_bytes(data)
    shutil.copy2(manifest_path, dest / DATA_MANIFEST)
    shutil.copy2(FIXTURE_CONFIG, dest / "governance.yml")


@lru_cache(maxsize=1)
def fixture_tree() -> Path:
    """A read-only folder with the tests' governance.yml, the WDBC CSV and its manifest,
    built once per content (parallel workers share it: whoever renames first wins)."""
    key = hashlib.sha256()
    for path in (FIXTURE_CONFIG, FIXTURE_DIR / DATA_MANIFEST, WDBC):
        key.update(path.read_bytes() if path.is_file() else b"")
    base = Path(tempfile.gettempdir()) / f"modelgate-tests-{os.getuid()}"
    base.mkdir(parents=True, exist_ok=True)
    final = base / f"team-{key.hexdigest()[:16]}"
    if (final / "governance.yml").is_file():
        return final
    scratch = Path(tempfile.mkdtemp(prefix="building-", dir=base))
    _write_tree(scratch)
    try:
        os.rename(scratch, final)
    except OSError:  # another worker built it first
        shutil.rmtree(scratch, ignore_errors=True)
    return final


def fixture_config() -> Path:
    """The tests' governance.yml, beside its data: for tests that read a configuration
    and its data but write nothing (a test that trains uses ``make_workspace``)."""
    return fixture_tree() / "governance.yml"


def copy_team_files(dest: Path) -> None:
    """The tests' governance.yml, data file and manifest into ``dest``."""
    tree = fixture_tree()
    for name in ("governance.yml", DATA_CSV, DATA_MANIFEST):
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(tree / name, target)


def copy_without_team_files(dest: Path, *, untracked: bool = False) -> Path:
    """This repository without its team's files (governance.yml, data/): the tree a team
    starts from when it swaps the example out. Git's files as they are in the working
    tree (with ``untracked``, new files that are not ignored too); the namespace's
    symlinks (modelgate/bot -> ../bot) stay links."""
    from tests.conftest import REPO, git

    listing = ["ls-files", "-z", *(["--cached", "--others", "--exclude-standard"]
                                   if untracked else [])]
    for rel in git(REPO, *listing).split("\0"):
        if not rel or rel == "governance.yml" or rel.split("/")[0] == "data":
            continue
        src, target = REPO / rel, dest / rel
        if src.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(src.readlink())
        elif src.is_file():  # a tracked file deleted in the working tree is not copied
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def length_of_stay_csv(rows: int = 400, *, seed: int, first_id: int, noise: float) -> str:
    """Another team's data: length of stay, linear in age, creatinine and heart rate
    (1 + 0.05 age + 2 creatinine + 0.01 heart rate) plus normal noise."""
    import numpy as np

    rng = np.random.default_rng(seed)
    lines = ["admission_id,age,creatinine,heart_rate,length_of_stay"]
    for i in range(rows):
        age, creat, hr = rng.uniform(20, 90), rng.uniform(0.5, 3.0), rng.uniform(50, 120)
        stay = 1 + 0.05 * age + 2.0 * creat + 0.01 * hr + rng.normal(0, noise)
        lines.append(f"A{first_id + i},{age:.1f},{creat:.2f},{hr:.0f},{stay:.2f}")
    return "\n".join(lines) + "\n"

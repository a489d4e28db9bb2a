# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""A team's repository made from nothing: an empty git repository, a generated data set
and whatever the installed modelgate's `modelgate init` writes (governance.yml, the
caller workflows pinned to a modelgate commit, the manifest, REUSE entries). No file is
copied from this repository, so the team road shows the gate works without it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import numpy as np

TEAM_MODEL = "loan-approval"
DATA = Path("data") / "loans.csv"
FEATURES = ("income", "debt_ratio", "years_employed", "credit_lines", "age")
TARGET = "approved"
ID_COLUMN = "application_id"
ROLES = {"data-steward": "tess-steward", "ml-reviewer": "rui-reviewer",
         "gate-owners": "gail-gatekeeper"}
# the modelgate commit the callers pin; the road runs this repository's gate files
MODELGATE_REF = "0123456789abcdef0123456789abcdef01234567"  # pragma: allowlist secret
GIT_ENV = {"GIT_AUTHOR_NAME": "team", "GIT_AUTHOR_EMAIL": "team@example.com",
           "GIT_COMMITTER_NAME": "team", "GIT_COMMITTER_EMAIL": "team@example.com"}


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, env={**os.environ, **GIT_ENV},
                          capture_output=True, text=True, check=True)
    return done.stdout.strip()


def write_loans(path: Path, rows: int = 800, seed: int = 7) -> None:
    """A noisy loan-approval set: approval follows income and debt with overlap, so no
    single feature separates the classes (the leakage audit) and a linear model does well
    but not perfectly."""
    rng = np.random.default_rng(seed)
    income = rng.normal(60_000, 18_000, rows).clip(12_000, None)
    debt = rng.beta(2, 5, rows)
    years = rng.gamma(2.0, 3.0, rows)
    lines = rng.poisson(4, rows)
    age = rng.integers(21, 70, rows)
    score = (income - 60_000) / 18_000 - 3.0 * (debt - 0.29) / 0.16 * 0.5 + 0.15 * years
    approved = (score + rng.normal(0, 0.6, rows)) > 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow([ID_COLUMN, *FEATURES, TARGET])
        for i in range(rows):
            out.writerow([f"A{100000 + i}", round(float(income[i]), 2),
                          round(float(debt[i]), 4), round(float(years[i]), 2),
                          int(lines[i]), int(age[i]), "yes" if approved[i] else "no"])


# the team's own licensing (split so that REUSE does not read it as this file's)
TEAM_SPDX = ("# SPDX-" "FileCopyrightText: 2026 Example Lending\n"
             "# SPDX-" "License-Identifier: CC0-1.0\n")
PYPROJECT = TEAM_SPDX + """\
[project]
name = "loan-approval"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["scikit-learn>=1.5"]
"""
LOCK_LICENSE = TEAM_SPDX.replace("# ", "")


def venv_of(modelgate: Sequence[str]) -> Path:
    """The venv an installed `.../bin/modelgate` lives in."""
    return Path(modelgate[0]).resolve().parent.parent


def lock_project(root: Path, modelgate: Sequence[str]) -> None:
    """The team's own project file and its lock (the security audit wants the
    dependencies pinned, the lineage audit the lock's hash), locked offline by the uv
    installed next to modelgate."""
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    uv = venv_of(modelgate) / "bin" / "uv"
    subprocess.run([str(uv), "lock", "--offline", "-q"], cwd=root, check=True,
                   capture_output=True, text=True)
    (root / "uv.lock.license").write_text(LOCK_LICENSE, encoding="utf-8")


def add_license_texts(root: Path, modelgate: Sequence[str]) -> None:
    """The licence texts `reuse lint` says are missing, as `reuse download` writes them:
    taken from the reuse package installed next to modelgate (no network)."""
    python = venv_of(modelgate) / "bin" / "python"
    done = subprocess.run([str(python), "-P", "-m", "reuse", "lint", "--json"], cwd=root,
                          capture_output=True, text=True, check=False)
    missing = json.loads(done.stdout)["non_compliant"].get("missing_licenses") or {}
    texts = sorted(venv_of(modelgate).glob("lib/python*/site-packages/reuse-*.dist-info/"
                                           "licenses/LICENSES"))
    for name in missing:
        found = [d / f"{name}.txt" for d in texts if (d / f"{name}.txt").is_file()]
        assert found, f"no text of {name} to add to LICENSES/"
        (root / "LICENSES").mkdir(exist_ok=True)
        shutil.copyfile(found[0], root / "LICENSES" / f"{name}.txt")


def make_team_repo(root: Path, modelgate: Sequence[str]) -> None:
    """``root`` (empty) becomes a team's repository on branch main: its data and its
    locked project committed, then `modelgate init` run with the installed modelgate
    ``modelgate``, the licence texts REUSE asks for, and all of it committed."""
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    write_loans(root / DATA)
    lock_project(root, modelgate)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "The loan applications and the project")
    argv = [*modelgate, "init", "--data", DATA.as_posix(), "--target", TARGET,
            "--id-column", ID_COLUMN, "--task", "binary", "--features", ",".join(FEATURES),
            "--model-name", TEAM_MODEL, "--license", "CC0-1.0",
            "--copyright", "2026 Example Lending", "--source", "generated by the test",
            "--pii-status", "none", "--pii-certified-by", ROLES["data-steward"],
            *(a for role, login in ROLES.items() for a in ("--role", f"{role}={login}")),
            "--gate-role", "gate-owners", "--modelgate-repo", "modelgate-org/modelgate",
            "--modelgate-ref", MODELGATE_REF, "--modelgate-requirement", "modelgate==0.1.0"]
    done = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise AssertionError(f"modelgate init failed (exit {done.returncode}):\n"
                             f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    add_license_texts(root, modelgate)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "modelgate init")

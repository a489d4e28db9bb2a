# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The security audit: bandit, detect-secrets and the lock, on temporary git repositories."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import shutil
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modelgate.bot.check.audits import _scan_cache, security
from modelgate.bot.check.audits._util import DEAD_PROXY, ToolError, run_tool
from modelgate.bot.check.audits.base import AuditResult, EvidenceMissing
from modelgate.tools import find_uv
from tests.audit_support import block_network, git_repo, shipped_context


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    attempts = block_network(monkeypatch)
    yield
    assert attempts == [], f"the audit tried to reach the network: {attempts}"


UV = find_uv()
needs_uv = pytest.mark.skipif(UV is None, reason="uv is not installed")

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["packaging>=24"]
"""
# what `uv lock` writes for PYPROJECT (hashes are packaging 26.3's published ones)
UV_LOCK = """\
version = 1
revision = 5
requires-python = ">=3.11"

[[package]]
name = "demo"
version = "0.1.0"
source = { virtual = "." }
dependencies = [
    { name = "packaging" },
]

[package.metadata]
requires-dist = [{ name = "packaging", specifier = ">=24" }]

[[package]]
name = "packaging"
version = "26.3"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.pythonhosted.org/packages/7d/fa/3944b40b07da9ce895c0e6303a5ab7d53da063554f534556b134a54d6093/packaging-26.3.tar.gz", hash = "sha256:94edc256424af38762eb31306eed28beb9f0efc50a8837492c9d6fd6004aed79", size = 313412, upload-time = "2026-08-04T18:15:28.737Z" }
wheels = [
    { url = "https://files.pythonhosted.org/packages/63/34/ba1c580383c9eada3711951fef0795c80b829a078d72188184bcab9dd527/packaging-26.3-py3-none-any.whl", hash = "sha256:d7193f7c8e4e93f444fde0262bf90af30e16fa0ad0ad44cb553c87339b23cd1c", size = 129956, upload-time = "2026-08-04T18:15:27.159Z" },
]
"""  # noqa: E501
CLEAN = {
    "pyproject.toml": PYPROJECT,
    "uv.lock": UV_LOCK,
    "demo/__init__.py": '"""Demo."""\n',
    "demo/run.py": (
        "import subprocess\n\n\n"
        "def count(path: str) -> str:\n"
        '    return subprocess.run(["wc", "-l", path], capture_output=True, text=True).stdout\n'
    ),
    "data/manifest.json": json.dumps(
        {"sha256": "425263b2245a8369a892452fc434abf4452f09c4a361b3e90ccdbdcb57b23022"}
    ),
}
SHELL_TRUE = (
    "import subprocess\n\n\n"
    "def run(cmd: str) -> int:\n"
    "    return subprocess.call(cmd, shell=True)\n"
)
# built at run time so that this file itself holds no key for a scanner to find
FAKE_KEY_ID = "AKIA" + "Q7ZL3M2XK9PT4RWB"
FAKE_SECRET = "".join(random.Random(20261123).choices(string.ascii_letters + string.digits, k=40))


def audit(root: Path, uv: str | None = None) -> AuditResult:
    return security.audit(root, uv=uv)


@pytest.mark.parametrize("uv", [None, pytest.param(UV, marks=needs_uv)], ids=["toml", "uv"])
def test_a_clean_tree_passes(tmp_path: Path, uv: str | None) -> None:
    """It passes safe code, no secrets (a declared sha256 is not one) and a matching lock."""
    root = git_repo(tmp_path / "repo", CLEAN)
    result = audit(root, uv)
    assert result.status == "pass", result.summary
    assert result.details["bandit"]["files"] == 2
    assert result.details["secrets"]["excluded"] == ["uv.lock"]
    assert result.details["secrets"]["declared_hashes_skipped"] == 1
    assert result.details["dependencies"]["locked_packages"] == 1
    assert len(result.details["dependencies"]["checked_with"]) == (2 if uv else 1)


def test_the_entry_point_audits_the_context_root(tmp_path: Path) -> None:
    """It runs on ctx.root through run(ctx)."""
    root = git_repo(tmp_path / "repo", CLEAN)
    result = security.run(dataclasses.replace(shipped_context(), root=root))
    assert result.status == "pass", result.summary


def test_shell_true_fails(tmp_path: Path) -> None:
    """It fails on subprocess with shell=True, naming file, line and bandit test."""
    root = git_repo(tmp_path / "repo", {**CLEAN, "demo/shell.py": SHELL_TRUE})
    result = audit(root)
    assert result.status == "fail"
    issues = result.details["bandit"]["issues"]
    assert [(i["file"], i["line"], i["test"].split()[0]) for i in issues] == [
        ("demo/shell.py", 5, "B602")
    ]
    assert issues[0]["severity"] in {"MEDIUM", "HIGH"}
    assert "demo/shell.py:5 B602" in result.summary


def test_test_code_is_left_to_the_tests(tmp_path: Path) -> None:
    """It leaves files under tests/ out of the bandit scan (BANDIT_EXCLUDE_PREFIXES)."""
    root = git_repo(tmp_path / "repo", {**CLEAN, "tests/test_shell.py": SHELL_TRUE})
    result = audit(root)
    assert result.status == "pass", result.summary


def test_unparseable_code_fails(tmp_path: Path) -> None:
    """It fails when bandit cannot parse a file: unscanned code is not clean code."""
    root = git_repo(tmp_path / "repo", {**CLEAN, "demo/broken.py": "def broken(:\n"})
    result = audit(root)
    assert result.status == "fail"
    assert result.details["bandit"]["errors"][0]["file"] == "demo/broken.py"


def test_a_hard_coded_aws_key_fails_without_being_reported(tmp_path: Path) -> None:
    """It fails on an AWS key pair in code, giving file, line and type but not the key."""
    settings = (
        '"""Settings."""\n\n'
        f'AWS_ACCESS_KEY_ID = "{FAKE_KEY_ID}"\n'
        f'aws_secret_access_key = "{FAKE_SECRET}"\n'
    )
    root = git_repo(tmp_path / "repo", {**CLEAN, "demo/settings.py": settings})
    result = audit(root)
    assert result.status == "fail"
    findings = result.details["secrets"]["findings"]
    assert ("demo/settings.py", 3, "AWS Access Key") in {
        (f["file"], f["line"], f["type"]) for f in findings
    }
    assert any(f["line"] == 4 for f in findings)
    text = json.dumps(result.to_json())
    assert FAKE_KEY_ID not in text
    assert FAKE_SECRET not in text
    assert FAKE_SECRET[:12] not in text


@pytest.mark.parametrize("uv", [None, pytest.param(UV, marks=needs_uv)], ids=["toml", "uv"])
def test_an_unlocked_dependency_fails(tmp_path: Path, uv: str | None) -> None:
    """It fails when pyproject.toml asks for a package the lock does not hold."""
    pyproject = PYPROJECT.replace('["packaging>=24"]', '["packaging>=24", "requests>=2.31"]')
    root = git_repo(tmp_path / "repo", {**CLEAN, "pyproject.toml": pyproject})
    result = audit(root, uv)
    assert result.status == "fail"
    problems = result.details["dependencies"]["problems"]
    assert security.LOCK_NOT_LOCKED.format(name="requests") in problems
    assert any("requests>=2.31" in p for p in problems)
    if uv:
        assert any(p.startswith("uv lock --check --offline:") for p in problems)


def test_a_changed_specifier_fails(tmp_path: Path) -> None:
    """It fails when the lock recorded another version range than pyproject.toml asks for."""
    pyproject = PYPROJECT.replace("packaging>=24", "packaging>=25")
    root = git_repo(tmp_path / "repo", {**CLEAN, "pyproject.toml": pyproject})
    problems = audit(root).details["dependencies"]["problems"]
    assert problems == [
        security.LOCK_DIFFERS.format(
            group="dependencies", expected=["packaging>=25"], locked=["packaging>=24"]
        )
    ]


def test_a_locked_package_without_hashes_is_not_pinned(tmp_path: Path) -> None:
    """It fails when a registry package in the lock carries no hashes."""
    lock = "\n".join(line for line in UV_LOCK.splitlines() if "hash =" not in line) + "\n"
    lock = lock.replace("wheels = [\n]\n", "")
    root = git_repo(tmp_path / "repo", {**CLEAN, "uv.lock": lock})
    problems = audit(root).details["dependencies"]["problems"]
    assert security.LOCK_UNPINNED.format(name="packaging") in problems


def test_a_missing_lock_fails(tmp_path: Path) -> None:
    """It fails when there is no uv.lock at all."""
    files = {k: v for k, v in CLEAN.items() if k != "uv.lock"}
    root = git_repo(tmp_path / "repo", files)
    result = audit(root, UV)
    assert result.status == "fail"
    assert result.details["dependencies"]["problems"] == [security.LOCK_MISSING]


def test_outside_a_git_work_tree_is_missing_evidence(tmp_path: Path) -> None:
    """It raises EvidenceMissing when the tracked files cannot be listed."""
    (tmp_path / "plain").mkdir()
    with pytest.raises(EvidenceMissing, match="not a git work tree"):
        audit(tmp_path / "plain")


def test_tools_run_with_the_network_pointed_at_a_closed_port(tmp_path: Path) -> None:
    """It starts every tool with proxies at a closed loopback port and uv offline."""
    script = "import json, os; print(json.dumps(dict(os.environ)))"
    env = json.loads(run_tool([sys.executable, "-c", script], cwd=tmp_path).stdout)
    assert env["HTTPS_PROXY"] == env["HTTP_PROXY"] == DEAD_PROXY
    assert env["UV_OFFLINE"] == "1"
    assert env["NO_PROXY"] == ""


def test_a_missing_or_hanging_tool_is_an_error(tmp_path: Path) -> None:
    """It raises, never passes, when a tool cannot start or does not finish in time."""
    with pytest.raises(ToolError, match="cannot be started"):
        run_tool([str(tmp_path / "no-such-tool")], cwd=tmp_path)
    with pytest.raises(ToolError, match="did not finish within"):
        run_tool([sys.executable, "-c", "import time; time.sleep(30)"], cwd=tmp_path, timeout_s=0.5)


def test_an_unchanged_file_is_never_rescanned_with_a_cache(tmp_path: Path) -> None:
    """With a cache, a second scan of the same bytes scans nothing; a file that changed
    since (a key planted after the cache was written) is scanned and fails."""
    root = git_repo(tmp_path / "repo", CLEAN)
    cache = tmp_path / "cache" / "secrets.json"
    first = security.audit(root, uv=None, cache=cache)
    assert first.status == "pass" and first.details["secrets"]["from_cache"] == 0
    again = security.audit(root, uv=None, cache=cache)
    secrets = again.details["secrets"]
    assert secrets["from_cache"] == secrets["files"] and secrets["workers"] == 0
    assert again.details["secrets"]["count"] == 0
    (root / "demo" / "run.py").write_text(f'KEY_ID = "{FAKE_KEY_ID}"\n', encoding="utf-8")
    changed = security.audit(root, uv=None, cache=cache)
    assert changed.status == "fail"
    assert changed.details["secrets"]["from_cache"] == secrets["files"] - 1
    assert FAKE_KEY_ID not in cache.read_text(encoding="utf-8")


def test_a_cache_from_another_scanner_is_not_trusted(tmp_path: Path) -> None:
    """A cache written by another detect-secrets (or settings), or in another layout, is
    ignored, not believed: a clean result planted under another scanner's key is a miss."""
    keys = "demo/keys.py"
    data = f'KEY_ID = "{FAKE_KEY_ID}"\n'
    root = git_repo(tmp_path / "repo", {**CLEAN, keys: data})
    clean = {"findings": [], "hashes": 0}
    cache = tmp_path / "secrets.json"
    for doc in ({"schema_version": _scan_cache.CACHE_SCHEMA, "results": {
                    _scan_cache.key("detect-secrets:other", keys, data.encode()): clean}},
                {"schema_version": 1, "scanner": "x", "results": {}}, ["not", "a", "dict"]):
        cache.write_text(json.dumps(doc), encoding="utf-8")
        result = security.audit(root, uv=None, cache=cache)
        assert result.status == "fail" and result.details["secrets"]["from_cache"] == 0
    cache.write_text("{not json", encoding="utf-8")
    assert security.audit(root, uv=None, cache=cache).status == "fail"


def _without_cache_counts(details: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(details))
    for part in ("bandit", "secrets"):
        out[part].pop("from_cache")
    out["secrets"].pop("workers")
    return out


NOSEC_AND_LOW = (
    "import subprocess\n\n\n"
    "def run(cmd: str) -> int:\n"
    "    assert cmd\n"
    "    return subprocess.call(cmd, shell=True)  # nosec B602\n"
)


def test_bandit_results_are_cached_per_file_with_the_same_totals(tmp_path: Path) -> None:
    """Cached and uncached audits of the same tree give the same details (issues, parse
    errors, low-severity and nosec counts) but for the from_cache counts; after one file
    changes, only it is scanned again, and its new issue is found."""
    tree = {**CLEAN, "demo/shell.py": SHELL_TRUE, "demo/broken.py": "def broken(:\n",
            "demo/waived.py": NOSEC_AND_LOW}
    root = git_repo(tmp_path / "repo", tree)
    cache = tmp_path / "cache" / "scan.json"
    uncached = security.audit(root, uv=None)
    first = security.audit(root, uv=None, cache=cache)
    again = security.audit(root, uv=None, cache=cache)
    bandit = again.details["bandit"]
    assert first.details["bandit"]["from_cache"] == 0
    assert bandit["from_cache"] == bandit["files"] == 5
    assert bandit["count"] == 1 and bandit["error_count"] == 1
    assert bandit["nosec_waivers"] >= 1 and bandit["low_severity_count"] >= 1
    assert again.summary == first.summary == uncached.summary
    assert (_without_cache_counts(again.details) == _without_cache_counts(first.details)
            == _without_cache_counts(uncached.details))
    (root / "demo" / "run.py").write_text(SHELL_TRUE, encoding="utf-8")
    changed = security.audit(root, uv=None, cache=cache)
    assert changed.details["bandit"]["from_cache"] == 4
    assert [i["file"] for i in changed.details["bandit"]["issues"]] == [
        "demo/run.py", "demo/shell.py"]


def test_a_bandit_entry_of_the_wrong_shape_is_rescanned(tmp_path: Path) -> None:
    """An entry under the right key that is not a bandit result (say, planted with the
    issue removed from another file's name) is a miss, never a pass."""
    root = git_repo(tmp_path / "repo", {**CLEAN, "demo/shell.py": SHELL_TRUE})
    cache = tmp_path / "scan.json"
    k = _scan_cache.key(security.bandit_id(), "demo/shell.py", SHELL_TRUE.encode())
    planted: dict[str, Any]
    for planted in ({"issues": [], "errors": []},
                    {"issues": [{"file": "other.py", "line": 1}], "errors": [], "low": 0,
                     "nosec": 0}):
        cache.write_text(json.dumps({"schema_version": _scan_cache.CACHE_SCHEMA,
                                     "results": {k: planted}}), encoding="utf-8")
        result = security.audit(root, uv=None, cache=cache)
        assert result.status == "fail" and result.details["bandit"]["count"] == 1


def test_the_cache_keeps_the_current_tree_first_and_at_most_two_trees(
        tmp_path: Path) -> None:
    """The cache is rewritten with this tree's results first, then the earlier entries up
    to as many again: it never grows past two trees' worth, and what another tree left is
    still there for the next run."""
    root = git_repo(tmp_path / "repo", CLEAN)
    cache = tmp_path / "scan.json"
    security.audit(root, uv=None, cache=cache)
    first = json.loads(cache.read_text(encoding="utf-8"))["results"]
    for n in range(4):  # four more trees, each with another demo/run.py
        (root / "demo" / "run.py").write_text(f"X = {n}\n", encoding="utf-8")
        security.audit(root, uv=None, cache=cache)
    results = json.loads(cache.read_text(encoding="utf-8"))["results"]
    assert len(first) == 6  # bandit: 2 files; secrets: 4 (uv.lock excluded)
    assert len(results) == _scan_cache.KEEP_TREES * len(first)
    # every later run.py's two entries (bandit, secrets) are kept; the oldest one's not
    assert len(set(results) - set(first)) == 4 * 2 and len(set(first) - set(results)) == 2
    again = security.audit(root, uv=None, cache=cache).details
    assert again["bandit"]["from_cache"] == again["bandit"]["files"]


def test_the_shipped_training_data_is_left_to_the_pii_audit() -> None:
    """The data file whose sha256 its manifest records and which holds only numbers and
    labels is not secret-scanned (the reason is in the report); nothing else is skipped."""
    ctx = shipped_context()
    skip = security.verified_data_files(ctx.root, ctx.config)
    data = ctx.config.data_path.relative_to(ctx.root).as_posix()
    assert skip == {data: security.SKIP_VERIFIED_DATA.format(
        manifest=ctx.config.manifest_path.name)}


@pytest.mark.parametrize("change", ["letters", "sha256"])
def test_data_that_could_hide_a_secret_is_scanned(tmp_path: Path, change: str) -> None:
    """A data file with a word in a cell, or whose bytes are not the manifest's, is
    scanned like any other file."""
    ctx = shipped_context()
    root = tmp_path / "ws"
    for rel in (ctx.config.data_path, ctx.config.manifest_path):
        dest = root / rel.relative_to(ctx.root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(rel, dest)
    data = root / ctx.config.data_path.relative_to(ctx.root)
    text = data.read_text(encoding="utf-8")
    if change == "letters":
        first, _, rest = text.partition("\n")
        row, _, tail = rest.partition("\n")
        text = f"{first}\n{row.replace(',', ',' + FAKE_KEY_ID + ',', 1)}\n{tail}"
        data.write_text(text, encoding="utf-8")
        manifest = data.with_name(ctx.config.manifest_path.name)
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        doc["sha256"] = hashlib.sha256(data.read_bytes()).hexdigest()
        manifest.write_text(json.dumps(doc), encoding="utf-8")
    else:
        data.write_text(text + "\n", encoding="utf-8")
    config = ctx.config.model_copy(update={"root": root})
    assert security.verified_data_files(root, config) == {}


def test_the_trusted_verdict_reads_and_fills_the_scan_cache(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict's security audit takes the cache from MODELGATE_SCAN_CACHE (the old
    name still works): a second verdict on the same files scans none of them again."""
    from modelgate.bot.check.verdict_audits import INPUTS, Inputs, TrustedSecurity
    from modelgate.bot.check.verdict_context import Claims, PrTree

    root = git_repo(tmp_path / "repo", CLEAN)
    tree = PrTree(root=root, files=tuple(sorted(CLEAN)), listed_by="walk", head=None,
                  tree=None, clean=None)
    inputs = Inputs(tree=tree, claims=Claims(artifact=None), definition=None,
                    data_problem=None)
    ctx = dataclasses.replace(shipped_context(), root=root, extra={INPUTS: inputs})
    cache = tmp_path / "runner-temp" / "scan.json"
    monkeypatch.delenv("MODELGATE_SCAN_CACHE", raising=False)
    monkeypatch.setenv("MODELGATE_SECRET_SCAN_CACHE", str(cache))
    first = TrustedSecurity().run(ctx)
    assert first.status == "pass" and cache.is_file()
    monkeypatch.setenv("MODELGATE_SCAN_CACHE", str(cache))
    again = TrustedSecurity().run(ctx).details
    assert again["bandit"]["from_cache"] == again["bandit"]["files"] == 2
    assert again["secrets"]["from_cache"] == again["secrets"]["files"]

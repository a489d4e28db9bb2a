# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Is the code free of known-bad patterns and secrets, and are its dependencies pinned?

Three checks over the files git tracks (what the commit holds, not what lies around):

* bandit, as a child process with JSON output, over the project's Python code: any
  issue of medium severity or above fails, as does a file bandit cannot parse;
* detect-secrets, as a library with its default plugins, over every tracked text file:
  any secret fails, and the report says file, line and type, never the secret;
* the lock: ``uv.lock`` must pin every dependency and record exactly what
  ``pyproject.toml`` asks for, read from the TOML here, and confirmed with
  ``uv lock --check --offline`` when uv is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
import tomllib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from bot.check.audits._util import (
    DEFAULT_TIMEOUT_S,
    LIST_CAP,
    ToolError,
    capped,
    run_tool,
    tracked_files,
)
from bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing

AUDIT_ID = "security"
TITLE = "Code free of known-bad patterns and secrets; dependencies pinned"

# bandit looks at the project's Python code: every tracked .py file except these
BANDIT_EXCLUDE_PREFIXES = ("tests/", ".venv/", "venv/")
# -P: never put the working directory (the audited tree) first on sys.path, or a tree
# holding a ``bandit/`` package would run its own code instead of the tool
BANDIT_COMMAND = (sys.executable, "-P", "-m", "bandit")
BANDIT_FAIL_SEVERITIES = frozenset({"MEDIUM", "HIGH"})
BANDIT_BATCH = 400  # files per bandit call, well under any command-line limit
BANDIT_PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})  # their text quotes the value
# detect-secrets looks at every tracked file except lock files (hashes by the hundred)
SECRET_SCAN_EXCLUDE = frozenset({"uv.lock"})
# a hex string of a digest's length on a line that says it is a digest is not a secret
HASH_LENGTHS = frozenset({32, 40, 64, 128})
HASH_WORDS_RE = re.compile(r"sha(?:1|224|256|384|512)?|md5|hash|digest|checksum|commit", re.I)
HEX_ENTROPY_TYPE = "Hex High Entropy String"
ALLOWLIST_PRAGMA = "pragma: allowlist secret"
PYPROJECT = "pyproject.toml"
LOCK_FILE = "uv.lock"
UV_TIMEOUT_S = 60.0

SUMMARY_PASS = (
    "bandit: nothing at medium or above in {py} Python file(s); no secrets in {scanned} "
    "file(s); {lock} pins {locked} package(s) and agrees with pyproject.toml"
)
PROBLEM_BANDIT = "bandit: {n} issue(s) at medium or above ({where})"
PROBLEM_BANDIT_ERRORS = "bandit could not scan {n} file(s) ({where})"
PROBLEM_SECRETS = "{n} possible secret(s) ({where})"
PROBLEM_LOCK = "dependencies: {what}"
NO_PYPROJECT = "{root}/pyproject.toml not found: the dependencies cannot be checked"
BAD_TOML = "{path} is not valid TOML: {error}"
BANDIT_BAD_OUTPUT = "bandit exited {code} without a readable JSON report: {detail}"

LOCK_MISSING = "uv.lock is missing: nothing pins the dependencies"
LOCK_NO_ROOT = "uv.lock has no entry for the project {name!r}: it was locked for another project"
LOCK_NOT_LOCKED = "{name} is required by pyproject.toml but not locked"
LOCK_DIFFERS = "{group}: pyproject.toml asks for {expected}, uv.lock recorded {locked}"
LOCK_UNPINNED = "{name} is locked without a version or without hashes"
LOCK_BAD_REQUIREMENT = "pyproject.toml: cannot read requirement {text!r}: {error}"
UV_DISAGREES = "uv lock --check --offline: {detail}"

_EXTRA_MARKER_RE = re.compile(r"""extra\s*==\s*['"]([^'"]+)['"]""")


def _where(items: Iterable[str], limit: int = 3) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f", +{len(items) - limit} more" if len(items) > limit else "")


# ----------------------------------------------------------------------------- bandit


def python_files(files: Sequence[str]) -> list[str]:
    """The tracked files bandit looks at."""
    return [f for f in files if f.endswith(".py") and not f.startswith(BANDIT_EXCLUDE_PREFIXES)]


def _bandit_batch(root: Path, batch: Sequence[str]) -> dict[str, Any]:
    result = run_tool(
        [*BANDIT_COMMAND, "-f", "json", "-q", "--", *batch], cwd=root, timeout_s=DEFAULT_TIMEOUT_S
    )
    try:
        report = json.loads(result.stdout)
        if not isinstance(report, dict) or not isinstance(report.get("results"), list):
            raise ValueError("no 'results' list")
    except ValueError as exc:
        detail = (result.stderr.strip() or str(exc))[-500:]
        raise ToolError(BANDIT_BAD_OUTPUT.format(code=result.returncode, detail=detail)) from exc
    if result.returncode not in (0, 1):
        detail = result.stderr.strip()[-500:]
        raise ToolError(BANDIT_BAD_OUTPUT.format(code=result.returncode, detail=detail))
    return report


def run_bandit(root: Path, files: Sequence[str]) -> dict[str, Any]:
    """Bandit over ``files``: issues at medium or above, parse errors, and what was waived."""
    issues: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    low = nosec = 0
    for start in range(0, len(files), BANDIT_BATCH):
        report = _bandit_batch(root, files[start : start + BANDIT_BATCH])
        for r in report["results"]:
            severity = str(r.get("issue_severity", "")).upper()
            if severity not in BANDIT_FAIL_SEVERITIES:
                low += 1
                continue
            text = str(r.get("issue_text", ""))
            if r.get("test_id") in BANDIT_PASSWORD_TESTS:
                text = re.sub(r"'[^']*'", "'***'", text)
            issues.append(
                {
                    "file": Path(str(r.get("filename", ""))).as_posix(),
                    "line": int(r.get("line_number", 0)),
                    "test": f"{r.get('test_id')} {r.get('test_name')}",
                    "severity": severity,
                    "confidence": str(r.get("issue_confidence", "")).upper(),
                    "issue": text,
                    "cwe": (r.get("issue_cwe") or {}).get("id"),
                }
            )
        for e in report.get("errors", []):
            name = Path(str(e.get("filename", ""))).as_posix()
            errors.append({"file": name, "reason": str(e.get("reason", ""))})
        totals = report.get("metrics", {}).get("_totals", {})
        nosec += int(totals.get("nosec", 0)) + int(totals.get("skipped_tests", 0))
    issues.sort(key=lambda i: (i["file"], i["line"]))
    return {
        "files": len(files),
        "fail_at": sorted(BANDIT_FAIL_SEVERITIES),
        "count": len(issues),
        "issues": capped(issues),
        "errors": capped(errors),
        "error_count": len(errors),
        "low_severity_count": low,
        "nosec_waivers": nosec,
    }


# ----------------------------------------------------------------------------- secrets


def _line(path: Path, number: int) -> str:
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for i, text in enumerate(fh, start=1):
                if i == number:
                    return text
    except OSError:
        return ""
    return ""


def _is_declared_hash(secret_type: str, value: str | None, line: str) -> bool:
    return (
        secret_type == HEX_ENTROPY_TYPE
        and value is not None
        and len(value) in HASH_LENGTHS
        and HASH_WORDS_RE.search(line) is not None
    )


def scan_secrets(root: Path, files: Sequence[str]) -> dict[str, Any]:
    """detect-secrets (default plugins and filters) over ``files``; values never kept."""
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    scanned = [f for f in files if Path(f).name not in SECRET_SCAN_EXCLUDE]
    collection = SecretsCollection(root=str(root))
    with default_settings():
        for name in scanned:
            collection.scan_file(name)  # one by one: no process pool inside an audit

    findings: list[dict[str, Any]] = []
    hashes = 0
    for name, secrets in collection.data.items():
        for secret in secrets:
            line = _line(root / name, secret.line_number)
            if _is_declared_hash(secret.type, secret.secret_value, line):
                hashes += 1
                continue
            findings.append(
                {"file": Path(name).as_posix(), "line": secret.line_number, "type": secret.type}
            )
    findings.sort(key=lambda f: (f["file"], f["line"], f["type"]))
    pragmas = []
    for name in scanned:
        try:
            if ALLOWLIST_PRAGMA in (root / name).read_text(encoding="utf-8", errors="replace"):
                pragmas.append(name)
        except OSError:
            continue
    return {
        "files": len(scanned),
        "excluded": sorted(set(files) - set(scanned)),
        "count": len(findings),
        "findings": capped(findings),
        "declared_hashes_skipped": hashes,
        "files_with_allowlist_pragma": capped(pragmas),
    }


# ----------------------------------------------------------------------------- the lock


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EvidenceMissing(BAD_TOML.format(path=path, error=exc)) from exc


def _key(name: str, extras: Iterable[str], specifier: str) -> str:
    extras_text = ",".join(sorted(canonicalize_name(e) for e in extras))
    try:
        spec = str(SpecifierSet(specifier))
    except InvalidSpecifier:
        spec = specifier
    return f"{canonicalize_name(name)}{f'[{extras_text}]' if extras_text else ''}{spec}"


def _expected(
    project: dict[str, Any], groups: dict[str, Any], problems: list[str]
) -> tuple[dict[str, set[str]], set[str]]:
    """Requirements by group ("" = the main dependencies, "extra:x", "group:x") as
    comparable keys, and the names of all of them."""
    wanted: dict[str, list[Any]] = {"": list(project.get("dependencies", []))}
    for extra, reqs in project.get("optional-dependencies", {}).items():
        wanted[f"extra:{canonicalize_name(extra)}"] = list(reqs)
    for group, reqs in groups.items():
        wanted[f"group:{canonicalize_name(group)}"] = list(reqs)
    out: dict[str, set[str]] = {}
    names: set[str] = set()
    for group, reqs in wanted.items():
        keys = out.setdefault(group, set())
        for text in reqs:
            if not isinstance(text, str):
                continue  # {include-group = "..."}: uv records the included group itself
            try:
                req = Requirement(text)
            except InvalidRequirement as exc:
                problems.append(LOCK_BAD_REQUIREMENT.format(text=text, error=exc))
                continue
            keys.add(_key(req.name, req.extras, str(req.specifier)))
            names.add(canonicalize_name(req.name))
    return out, names


def _locked(root_pkg: dict[str, Any]) -> dict[str, set[str]]:
    """What uv recorded as the project's requirements, grouped like :func:`_expected`."""
    metadata = root_pkg.get("metadata", {})
    out: dict[str, set[str]] = {"": set()}
    for entry in metadata.get("requires-dist", []):
        extra = _EXTRA_MARKER_RE.search(str(entry.get("marker", "")))
        group = f"extra:{canonicalize_name(extra.group(1))}" if extra else ""
        key = _key(entry["name"], entry.get("extras", []), str(entry.get("specifier", "")))
        out.setdefault(group, set()).add(key)
    for group, entries in metadata.get("requires-dev", {}).items():
        keys = out.setdefault(f"group:{canonicalize_name(group)}", set())
        for entry in entries:
            keys.add(_key(entry["name"], entry.get("extras", []), str(entry.get("specifier", ""))))
    return out


def _pinned(pkg: dict[str, Any]) -> bool:
    source = pkg.get("source", {})
    if "version" not in pkg:
        return False
    if "registry" in source:
        artifacts = [pkg.get("sdist", {}), *pkg.get("wheels", [])]
        return any(artifacts) and all("hash" in a for a in artifacts if a)
    return True  # git (pinned by commit in the source URL), path and workspace members


def _is_root(pkg: dict[str, Any], name: str) -> bool:
    source = pkg.get("source", {})
    local = source.get("editable") == "." or source.get("virtual") == "."
    return canonicalize_name(str(pkg.get("name", ""))) == name and local


def check_lock_file(root: Path) -> dict[str, Any]:
    """Compare ``uv.lock`` with ``pyproject.toml`` by reading both (no uv needed)."""
    pyproject_path = root / PYPROJECT
    if not pyproject_path.is_file():
        raise EvidenceMissing(NO_PYPROJECT.format(root=root))
    pyproject = _load_toml(pyproject_path)
    project = pyproject.get("project", {})
    name = canonicalize_name(str(project.get("name", "")))
    problems: list[str] = []
    lock_path = root / LOCK_FILE
    if not lock_path.is_file():
        return {"lock_file": None, "locked_packages": 0, "problems": [LOCK_MISSING]}
    lock = _load_toml(lock_path)
    packages = [p for p in lock.get("package", []) if isinstance(p, dict)]
    root_pkg = next((p for p in packages if _is_root(p, name)), None)
    expected, wanted_names = _expected(project, pyproject.get("dependency-groups", {}), problems)
    locked_names = {canonicalize_name(str(p.get("name", ""))) for p in packages}
    problems += [LOCK_NOT_LOCKED.format(name=n) for n in sorted(wanted_names - locked_names)]
    if root_pkg is None:
        problems.append(LOCK_NO_ROOT.format(name=name))
    else:
        recorded = _locked(root_pkg)
        for group in sorted(set(expected) | set(recorded)):
            want, have = expected.get(group, set()), recorded.get(group, set())
            if want != have:
                problems.append(
                    LOCK_DIFFERS.format(
                        group=group or "dependencies",
                        expected=sorted(want - have) or "nothing more",
                        locked=sorted(have - want) or "nothing more",
                    )
                )
    others = [p for p in packages if p is not root_pkg]
    problems += [LOCK_UNPINNED.format(name=p.get("name", "?")) for p in others if not _pinned(p)]
    return {"lock_file": LOCK_FILE, "locked_packages": len(others), "problems": problems}


def check_lock_with_uv(root: Path, uv: str) -> dict[str, Any]:
    """``uv lock --check --offline``: uv's own verdict, markers and all."""
    result = run_tool([uv, "lock", "--check", "--offline"], cwd=root, timeout_s=UV_TIMEOUT_S)
    if result.returncode == 2 and "unexpected argument" in result.stderr:
        result = run_tool([uv, "lock", "--locked", "--offline"], cwd=root, timeout_s=UV_TIMEOUT_S)
    version = run_tool([uv, "--version"], cwd=root, timeout_s=UV_TIMEOUT_S).stdout.strip()
    problems = []
    if result.returncode != 0:
        lines = [ln for ln in result.stderr.strip().splitlines() if ln.strip()]
        detail = " ".join(lines[-3:]) or f"exit {result.returncode}"
        problems.append(UV_DISAGREES.format(detail=detail))
    return {"uv": version or uv, "problems": problems}


# ----------------------------------------------------------------------------- the audit


def audit(root: Path, *, uv: str | None, files: Sequence[str] | None = None) -> AuditResult:
    """Bandit, detect-secrets and the lock check over the tracked files of ``root``;
    ``uv`` is the uv executable that confirms the lock (``None``: read the TOML only);
    ``files`` replaces ``git ls-files`` when the caller listed the tree itself (the
    trusted verdict, which reads a pull request's checkout as data)."""
    started = time.perf_counter()
    files = tracked_files(root) if files is None else sorted(files)
    py = python_files(files)
    bandit = run_bandit(root, py)
    secrets = scan_secrets(root, files)
    lock = check_lock_file(root)
    lock["checked_with"] = ["pyproject.toml and uv.lock read as TOML"]
    if uv and lock["lock_file"]:
        by_uv = check_lock_with_uv(root, uv)
        lock["checked_with"].append(by_uv["uv"])
        lock["problems"] += by_uv["problems"]

    problems = []
    if bandit["count"]:
        where = _where(f"{i['file']}:{i['line']} {i['test'].split()[0]}" for i in bandit["issues"])
        problems.append(PROBLEM_BANDIT.format(n=bandit["count"], where=where))
    if bandit["error_count"]:
        where = _where(e["file"] for e in bandit["errors"])
        problems.append(PROBLEM_BANDIT_ERRORS.format(n=bandit["error_count"], where=where))
    if secrets["count"]:
        where = _where(f"{f['file']}:{f['line']} {f['type']}" for f in secrets["findings"])
        problems.append(PROBLEM_SECRETS.format(n=secrets["count"], where=where))
    if lock["problems"]:
        problems.append(PROBLEM_LOCK.format(what=_where(lock["problems"], limit=2)))
    lock["problems"] = capped(lock["problems"])

    if problems:
        summary = "; ".join(problems)
    else:
        summary = SUMMARY_PASS.format(
            py=bandit["files"],
            scanned=secrets["files"],
            lock=LOCK_FILE,
            locked=lock["locked_packages"],
        )
    return AuditResult(
        id=AUDIT_ID,
        title=TITLE,
        status="fail" if problems else "pass",
        summary=summary,
        details={
            "tracked_files": len(files),
            "bandit": {**bandit, "excluded_prefixes": list(BANDIT_EXCLUDE_PREFIXES)},
            "secrets": secrets,
            "dependencies": lock,
            "list_cap": LIST_CAP,
        },
        duration_s=time.perf_counter() - started,
    )


def run(ctx: AuditContext) -> AuditResult:
    """The audit entry point: the repository at ``ctx.root``, with uv from PATH if present."""
    return audit(ctx.root, uv=shutil.which("uv"))

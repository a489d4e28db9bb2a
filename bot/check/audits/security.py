# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Is the code free of known-bad patterns and secrets, and are its dependencies pinned?

Three checks over the files git tracks (what the commit holds, not what lies around):

* bandit, as a child process with JSON output, over the project's Python code: any
  issue of medium severity or above fails, as does a file bandit cannot parse;
* detect-secrets with its default plugins over every tracked text file, in a few child
  processes side by side (``_secret_scan``): any secret fails, and the report says file,
  line and type, never the secret. The training data whose sha256 its manifest records
  and which holds only numbers and labels is left to the pii audit (no plugin can match
  it); results can be cached per file (path + bytes + scanner), so an unchanged file is
  never rescanned by whoever keeps the cache;
* the lock: ``uv.lock`` must pin every dependency and record exactly what
  ``pyproject.toml`` asks for, read from the TOML here, and confirmed with
  ``uv lock --check --offline`` when uv is installed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from modelgate.bot.check.audits._secret_scan import scanner_id
from modelgate.bot.check.audits._util import (
    DEFAULT_TIMEOUT_S,
    LIST_CAP,
    ToolError,
    capped,
    run_tool,
    tracked_files,
)
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.governance import LoadedConfig
from modelgate.tools import find_uv

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
# -P as for bandit: the audited tree never shadows the scanner's own modules
SECRET_SCAN_COMMAND = (sys.executable, "-P", "-m", "modelgate.bot.check.audits._secret_scan")
MAX_SCAN_WORKERS = 4
CACHE_SCHEMA = 1
SCAN_CACHE_EXTRA = "scan_cache"  # AuditContext.extra: the path of the secret-scan cache
SCAN_BAD_OUTPUT = "the secret scan exited {code} without a readable JSON report: {detail}"
SKIP_VERIFIED_DATA = ("training data: sha256 as recorded in {manifest}, only numbers and "
                      "declared labels (no secret can match), every cell read by the pii audit")
NUMBER_CELL = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
DATA_LABEL_RE = re.compile(r"[A-Za-z0-9_ .-]{1,40}")
DATA_HEADER_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_ ]*(?:,[A-Za-z_][A-Za-z0-9_ ]*)*")
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


def _scan_key(scanner: str, name: str, data: bytes) -> str:
    """A cached scan result holds for exactly these bytes at this path, scanned by this
    detect-secrets with these plugins and filters."""
    h = hashlib.sha256(scanner.encode())
    h.update(b"\0" + name.encode("utf-8", "surrogateescape") + b"\0")
    h.update(data)
    return h.hexdigest()


def _load_cache(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}  # no cache, or an unreadable one: scan everything
    return doc if isinstance(doc, dict) and doc.get("schema_version") == CACHE_SCHEMA else {}


def _save_cache(path: Path, scanner: str, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"schema_version": CACHE_SCHEMA, "scanner": scanner,
                               "results": results}), encoding="utf-8")
    os.replace(tmp, path)


def _groups(root: Path, names: Sequence[str], count: int) -> list[list[str]]:
    """``names`` in ``count`` groups of about equal bytes (largest first, to the lightest)."""
    def nbytes(name: str) -> int:
        try:
            return (root / name).stat().st_size
        except OSError:
            return 0  # detect-secrets reports what it cannot open; it is not ours to guess

    sizes = sorted((nbytes(n), n) for n in names)
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(names))))]
    loads = [0] * len(groups)
    for size, name in reversed(sizes):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += size
    return [g for g in groups if g]


def _scan_group(root: Path, names: Sequence[str], tmp: Path) -> dict[str, Any]:
    listing = tmp / f"files-{abs(hash(tuple(names)))}.txt"
    listing.write_text("\n".join(names) + "\n", encoding="utf-8")
    result = run_tool([*SECRET_SCAN_COMMAND, str(root), str(listing)], cwd=root,
                      timeout_s=DEFAULT_TIMEOUT_S)
    try:
        out = json.loads(result.stdout)
        if result.returncode != 0 or not isinstance(out, dict):
            raise ValueError(f"exit {result.returncode}")
    except ValueError as exc:
        detail = (result.stderr.strip() or str(exc))[-500:]
        raise ToolError(SCAN_BAD_OUTPUT.format(code=result.returncode, detail=detail)) \
            from exc
    return out


def scan_secrets(root: Path, files: Sequence[str], *, skip: Mapping[str, str] | None = None,
                 cache: Path | None = None, workers: int | None = None) -> dict[str, Any]:
    """detect-secrets (default plugins and filters) over ``files``; values never kept.

    ``skip`` maps files that cannot hold a secret to why (see :func:`verified_data_files`);
    ``cache`` is a file of earlier results keyed by each file's path and bytes and the
    scanner's identity, so an unchanged file is never scanned twice by the same
    detect-secrets (the caller decides whose results it trusts). The files left are
    scanned by ``workers`` child processes side by side (default: one per CPU, at most 4).
    """
    skip = dict(skip or {})
    scanned = [f for f in files if Path(f).name not in SECRET_SCAN_EXCLUDE and f not in skip]
    scanner = scanner_id()
    cached_doc = _load_cache(cache)
    known: dict[str, Any] = (cached_doc.get("results", {})
                             if cached_doc.get("scanner") == scanner else {})
    keys: dict[str, str] = {}
    pragmas = []
    for name in scanned:
        try:
            data = (root / name).read_bytes()
        except OSError:
            data = b""
        keys[name] = _scan_key(scanner, name, data)
        if ALLOWLIST_PRAGMA.encode() in data:
            pragmas.append(name)
    results: dict[str, Any] = {n: known[keys[n]] for n in scanned if keys[n] in known}
    todo = [n for n in scanned if n not in results]
    count = workers or min(os.cpu_count() or 1, MAX_SCAN_WORKERS)
    if todo:
        with tempfile.TemporaryDirectory(prefix="modelgate-secrets-") as tmp, \
                ThreadPoolExecutor(max_workers=count) as pool:
            done = pool.map(lambda g: _scan_group(root, g, Path(tmp)), _groups(root, todo, count))
            for part in done:
                for name in todo:
                    if name in part:
                        results[name] = part[name]
        missing = [n for n in todo if n not in results]
        if missing:
            raise ToolError(SCAN_BAD_OUTPUT.format(
                code=0, detail=f"no result for {_where(missing)}"))
    if cache is not None:  # this tree's results only: the cache never grows past a tree
        _save_cache(cache, scanner, {keys[n]: results[n] for n in scanned})

    findings: list[dict[str, Any]] = []
    hashes = 0
    for name in scanned:
        findings += results[name]["findings"]
        hashes += int(results[name]["hashes"])
    findings.sort(key=lambda f: (f["file"], f["line"], f["type"]))
    return {
        "files": len(scanned),
        "excluded": sorted(set(files) - set(scanned) - set(skip)),
        "skipped": [{"file": n, "why": why} for n, why in sorted(skip.items()) if n in files],
        "from_cache": len(scanned) - len(todo),
        "workers": min(count, len(todo)),
        "count": len(findings),
        "findings": capped(findings),
        "declared_hashes_skipped": hashes,
        "files_with_allowlist_pragma": capped(pragmas),
    }


def verified_data_files(root: Path, config: LoadedConfig) -> dict[str, str]:
    """The training data file, when no secret can be in it: its sha256 is the one its
    manifest records (so its bytes are the reviewed ones, and the pii audit reads every
    cell of exactly those bytes), its header holds plain column names and every other
    line only numbers and the target's declared labels. No detect-secrets plugin can match
    such a line: they need quotes (entropy), letters (keys, tokens, keywords) or
    punctuation (URLs, private keys) that these lines cannot hold."""
    try:
        path = config.data_path.resolve()
        name = path.relative_to(root.resolve()).as_posix()
        recorded = str(json.loads(config.manifest_path.read_text(encoding="utf-8"))["sha256"])
        data = path.read_bytes()
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    if hashlib.sha256(data).hexdigest() != recorded:
        return {}
    target = config.governance.data.target
    labels = sorted({*(target.mapping or {})}, key=len, reverse=True)
    cell = "|".join([NUMBER_CELL, *(re.escape(label) for label in labels if
                                     DATA_LABEL_RE.fullmatch(label))])
    line_re = re.compile(rf"(?:{cell})?(?:,(?:{cell})?)*\r?")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        return {}
    header, _, body = text.partition("\n")
    if not DATA_HEADER_RE.fullmatch(header.rstrip("\r")):
        return {}
    if not all(line_re.fullmatch(line) for line in body.split("\n")):
        return {}
    return {name: SKIP_VERIFIED_DATA.format(manifest=config.manifest_path.name)}


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


def audit(root: Path, *, uv: str | None, files: Sequence[str] | None = None,
          skip: Mapping[str, str] | None = None, cache: Path | None = None) -> AuditResult:
    """Bandit, detect-secrets and the lock check over the tracked files of ``root``;
    ``uv`` is the uv executable that confirms the lock (``None``: read the TOML only);
    ``files`` replaces ``git ls-files`` when the caller listed the tree itself (the
    trusted verdict, which reads a pull request's checkout as data); ``skip`` and
    ``cache`` as for :func:`scan_secrets`. Bandit, the secret scan's children and uv run
    side by side: all three are child processes."""
    started = time.perf_counter()
    files = tracked_files(root) if files is None else sorted(files)
    py = python_files(files)
    with ThreadPoolExecutor(max_workers=3) as pool:
        bandit_job = pool.submit(run_bandit, root, py)
        secrets_job = pool.submit(scan_secrets, root, files, skip=skip, cache=cache)
        lock = check_lock_file(root)
        uv_job = pool.submit(check_lock_with_uv, root, uv) if uv and lock["lock_file"] else None
        bandit, secrets = bandit_job.result(), secrets_job.result()
        lock["checked_with"] = ["pyproject.toml and uv.lock read as TOML"]
        if uv_job is not None:
            by_uv = uv_job.result()
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
    """The audit entry point: the repository at ``ctx.root``, with uv from PATH if present;
    the manifest-verified training data is left to the pii audit; earlier results are
    reused from ``ctx.extra[SCAN_CACHE_EXTRA]`` (a path) when the caller keeps a cache."""
    cache = ctx.extra.get(SCAN_CACHE_EXTRA)
    return audit(ctx.root, uv=find_uv(ctx.root), skip=verified_data_files(ctx.root, ctx.config),
                 cache=Path(cache) if cache else None)

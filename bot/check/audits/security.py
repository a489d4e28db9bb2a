# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Is the code free of known-bad patterns and secrets, and are its dependencies pinned?

Three checks over the files git tracks (what the commit holds, not what lies around):

* bandit, as child processes with JSON output, over the project's Python code: any
  issue of medium severity or above fails, as does a file bandit cannot parse; its
  results are per file and can be cached like the secret scan's;
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from modelgate.bot.check.audits._scan_cache import ScanCache
from modelgate.bot.check.audits._scan_cache import key as _cache_key
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
BANDIT_FLAGS = ("-f", "json", "-q")
BANDIT_PLUGIN_GROUPS = ("bandit.plugins", "bandit.blacklists")  # the tests bandit runs
BANDIT_BATCH = 400  # files per bandit call, well under any command-line limit
BANDIT_MIN_GROUP = 40  # fewer files than this per process: one bandit start is most of it
# bump when what we keep of bandit's report for the same bytes changes (the cache key has it)
BANDIT_FILTER_VERSION = "1"
BANDIT_PASSWORD_TESTS = frozenset({"B105", "B106", "B107"})  # their text quotes the value
# detect-secrets looks at every tracked file except lock files (hashes by the hundred)
SECRET_SCAN_EXCLUDE = frozenset({"uv.lock"})
# -P as for bandit: the audited tree never shadows the scanner's own modules
SECRET_SCAN_COMMAND = (sys.executable, "-P", "-m", "modelgate.bot.check.audits._secret_scan")
MAX_SCAN_WORKERS = 4
SCAN_CACHE_EXTRA = "scan_cache"  # AuditContext.extra: the path of the scan cache
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


def bandit_id() -> str:
    """What bandit's verdict on a file depends on besides its path and bytes: bandit's
    version, the plugins it loads (with their distributions' versions), the Python that
    parses the file, our flags and our reading of its report. Given files as arguments,
    bandit reads no ``.bandit`` or other configuration from the tree."""
    from importlib import metadata

    plugins = sorted(
        f"{ep.group}:{ep.name}={ep.value}@{ep.dist.name if ep.dist else '?'}"
        f"=={ep.dist.version if ep.dist else '?'}"
        for group in BANDIT_PLUGIN_GROUPS for ep in metadata.entry_points(group=group)
    )
    doc = {"tool": "bandit", "bandit": metadata.version("bandit"), "python": sys.version,
           "command": [*BANDIT_COMMAND[1:], *BANDIT_FLAGS], "plugins": plugins,
           "fail_at": sorted(BANDIT_FAIL_SEVERITIES), "filter": BANDIT_FILTER_VERSION}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def _bandit_batch(root: Path, batch: Sequence[str]) -> dict[str, Any]:
    result = run_tool(
        [*BANDIT_COMMAND, *BANDIT_FLAGS, "--", *batch], cwd=root, timeout_s=DEFAULT_TIMEOUT_S
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


def _bandit_per_file(report: dict[str, Any], batch: Sequence[str]) -> dict[str, dict[str, Any]]:
    """One bandit report split by file: issues at medium or above (password values
    masked), parse errors, how many low-severity issues and waivers."""
    out: dict[str, dict[str, Any]] = {
        name: {"issues": [], "errors": [], "low": 0, "nosec": 0} for name in batch}

    def mine(filename: object) -> dict[str, Any]:
        name = Path(str(filename)).as_posix()
        if name not in out:  # never seen: bandit's output is not what we asked for
            raise ToolError(BANDIT_BAD_OUTPUT.format(
                code=0, detail=f"a result for {name!r}, which was not scanned"))
        return out[name]

    for r in report["results"]:
        entry = mine(r.get("filename", ""))
        severity = str(r.get("issue_severity", "")).upper()
        if severity not in BANDIT_FAIL_SEVERITIES:
            entry["low"] += 1
            continue
        text = str(r.get("issue_text", ""))
        if r.get("test_id") in BANDIT_PASSWORD_TESTS:
            text = re.sub(r"'[^']*'", "'***'", text)
        entry["issues"].append({
            "file": Path(str(r.get("filename", ""))).as_posix(),
            "line": int(r.get("line_number", 0)),
            "test": f"{r.get('test_id')} {r.get('test_name')}",
            "severity": severity,
            "confidence": str(r.get("issue_confidence", "")).upper(),
            "issue": text,
            "cwe": (r.get("issue_cwe") or {}).get("id"),
        })
    for e in report.get("errors", []):
        name = Path(str(e.get("filename", ""))).as_posix()
        mine(name)["errors"].append({"file": name, "reason": str(e.get("reason", ""))})
    for filename, metrics in report.get("metrics", {}).items():
        if filename == "_totals" or not isinstance(metrics, dict):
            continue
        mine(filename)["nosec"] += (int(metrics.get("nosec", 0))
                                    + int(metrics.get("skipped_tests", 0)))
    return out


def _valid_bandit(name: str) -> Callable[[Any], bool]:
    def valid(value: Any) -> bool:
        return (isinstance(value, dict) and set(value) == {"issues", "errors", "low", "nosec"}
                and isinstance(value["low"], int) and isinstance(value["nosec"], int)
                and isinstance(value["issues"], list) and isinstance(value["errors"], list)
                and all(isinstance(i, dict) and i.get("file") == name
                        and isinstance(i.get("line"), int) for i in value["issues"])
                and all(isinstance(e, dict) and e.get("file") == name
                        for e in value["errors"]))
    return valid


def run_bandit(root: Path, files: Sequence[str], *, cache: ScanCache | None = None,
               workers: int | None = None) -> dict[str, Any]:
    """Bandit over ``files``: issues at medium or above, parse errors, and what was waived.

    Results are per file, so those ``cache`` holds for a file's path and bytes are reused
    and the rest are scanned by up to ``workers`` bandit processes side by side (default:
    one per CPU, at most 4; small batches share one); the totals are the same either way.
    """
    scanner = bandit_id()
    results: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    for name in files:
        try:
            data = (root / name).read_bytes()
        except OSError:
            continue  # bandit reports what it cannot read; never cached
        keys[name] = _cache_key(scanner, name, data)
        hit = cache.get(keys[name], _valid_bandit(name)) if cache is not None else None
        if hit is not None:
            results[name] = hit
    todo = [n for n in files if n not in results]
    cpus = workers or min(os.cpu_count() or 1, MAX_SCAN_WORKERS)
    count = max(1, min(cpus, len(todo) // BANDIT_MIN_GROUP), -(-len(todo) // BANDIT_BATCH))
    if todo:
        groups = [g[i : i + BANDIT_BATCH] for g in _groups(root, sorted(todo), count)
                  for i in range(0, len(g), BANDIT_BATCH)]
        with ThreadPoolExecutor(max_workers=count) as pool:
            for batch, report in zip(groups, pool.map(lambda g: _bandit_batch(root, g), groups),
                                     strict=True):
                for name, found in _bandit_per_file(report, batch).items():
                    results[name] = found
                    if cache is not None and name in keys:
                        cache.put(keys[name], found)
    issues = [i for name in files for i in results[name]["issues"]]
    errors = [e for name in files for e in results[name]["errors"]]
    issues.sort(key=lambda i: (i["file"], i["line"]))
    return {
        "files": len(files),
        "fail_at": sorted(BANDIT_FAIL_SEVERITIES),
        "count": len(issues),
        "issues": capped(issues),
        "errors": capped(errors),
        "error_count": len(errors),
        "low_severity_count": sum(int(results[n]["low"]) for n in files),
        "nosec_waivers": sum(int(results[n]["nosec"]) for n in files),
        "from_cache": len(files) - len(todo),
    }


# ----------------------------------------------------------------------------- secrets


def _groups(root: Path, names: Sequence[str], count: int) -> list[list[str]]:
    """``names`` in ``count`` groups of about equal bytes (largest first, to the lightest)."""
    def nbytes(name: str) -> int:
        try:
            return (root / name).stat().st_size
        except OSError:
            return 0  # the tool reports what it cannot open; it is not ours to guess

    sizes = sorted((nbytes(n), n) for n in names)
    groups: list[list[str]] = [[] for _ in range(max(1, min(count, len(names))))]
    loads = [0] * len(groups)
    for size, name in reversed(sizes):
        i = loads.index(min(loads))
        groups[i].append(name)
        loads[i] += size
    return [sorted(g) for g in groups if g]


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


def _valid_secrets(name: str) -> Callable[[Any], bool]:
    def valid(value: Any) -> bool:
        return (isinstance(value, dict) and isinstance(value.get("hashes"), int)
                and isinstance(value.get("findings"), list)
                and all(isinstance(f, dict) and f.get("file") == name
                        and isinstance(f.get("line"), int) and isinstance(f.get("type"), str)
                        for f in value["findings"]))
    return valid


def scan_secrets(root: Path, files: Sequence[str], *, skip: Mapping[str, str] | None = None,
                 cache: ScanCache | None = None, workers: int | None = None) -> dict[str, Any]:
    """detect-secrets (default plugins and filters) over ``files``; values never kept.

    ``skip`` maps files that cannot hold a secret to why (see :func:`verified_data_files`);
    ``cache`` holds earlier results keyed by each file's path and bytes and the scanner's
    identity, so an unchanged file is never scanned twice by the same detect-secrets (the
    caller decides whose results it trusts). The files left are scanned by ``workers``
    child processes side by side (default: one per CPU, at most 4).
    """
    skip = dict(skip or {})
    scanned = [f for f in files if Path(f).name not in SECRET_SCAN_EXCLUDE and f not in skip]
    scanner = "detect-secrets:" + scanner_id()
    keys: dict[str, str] = {}
    pragmas = []
    results: dict[str, Any] = {}
    for name in scanned:
        try:
            data = (root / name).read_bytes()
        except OSError:
            data = b""
        keys[name] = _cache_key(scanner, name, data)
        if ALLOWLIST_PRAGMA.encode() in data:
            pragmas.append(name)
        hit = cache.get(keys[name], _valid_secrets(name)) if cache is not None else None
        if hit is not None:
            results[name] = hit
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
        if cache is not None:
            for name in todo:
                cache.put(keys[name], results[name])

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
    trusted verdict, which reads a pull request's checkout as data); ``skip`` as for
    :func:`scan_secrets`; ``cache`` the file of earlier per-file results of bandit and
    detect-secrets (:mod:`._scan_cache`), rewritten with this tree's. Bandit, the secret
    scan's children and uv run side by side: all are child processes."""
    started = time.perf_counter()
    files = tracked_files(root) if files is None else sorted(files)
    py = python_files(files)
    known = ScanCache(cache)
    with ThreadPoolExecutor(max_workers=3) as pool:
        bandit_job = pool.submit(run_bandit, root, py, cache=known)
        secrets_job = pool.submit(scan_secrets, root, files, skip=skip, cache=known)
        lock = check_lock_file(root)
        uv_job = pool.submit(check_lock_with_uv, root, uv) if uv and lock["lock_file"] else None
        bandit, secrets = bandit_job.result(), secrets_job.result()
        known.save()  # after both, and only when both finished: a failed scan saves nothing
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

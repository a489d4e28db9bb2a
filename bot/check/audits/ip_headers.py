# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Are the sources license-compliant?

``reuse lint`` (the FSFE's REUSE tool, installed with modelgate) decides: every file
carries copyright and licensing information (an SPDX header, a ``.license`` sidecar or a
``REUSE.toml`` annotation), every license used has its text in ``LICENSES/`` and every
text there is used. In a git repository reuse skips what ``.gitignore`` ignores. The tool
runs as a child of this interpreter, offline, and its JSON report is read, not its prose.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from modelgate.bot.check.audits._util import DEFAULT_TIMEOUT_S, ToolError, capped, run_tool
from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing

AUDIT_ID = "ip_headers"
TITLE = "Sources carry license and copyright information (REUSE)"

# -P: the audited tree is the working directory and must never shadow the tool's package
REUSE_COMMAND = (sys.executable, "-P", "-m", "reuse")
REUSE_TIMEOUT_S = DEFAULT_TIMEOUT_S
# reuse's ``non_compliant`` keys, in the order a reader fixes them, with what they mean
PROBLEMS: dict[str, str] = {
    "missing_licensing_info": "file(s) without licensing information",
    "missing_copyright_info": "file(s) without copyright information",
    "missing_licenses": "license(s) used but without a text in LICENSES/",
    "unused_licenses": "license text(s) in LICENSES/ that no file uses",
    "bad_licenses": "unrecognised license(s)",
    "deprecated_licenses": "deprecated license identifier(s)",
    "licenses_without_extension": "license file(s) in LICENSES/ without an extension",
    "read_errors": "file(s) reuse could not read",
}
NAMED_IN_SUMMARY = 3

SUMMARY_PASS = "REUSE compliant: {files} file(s) carry copyright and licensing information"
SUMMARY_FAIL = "not REUSE compliant: {problems}"
NO_ROOT = "the repository root {root} does not exist"
BAD_OUTPUT = "reuse lint exited {code} without a readable JSON report: {detail}"


def _relative(item: Any, root: Path) -> str:
    text = str(item)
    path = Path(text)
    if path.is_absolute():
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            return text
    return text


def _items(value: Any) -> list[Any]:
    # lists of paths or license ids; some reuse versions map license -> files instead
    if isinstance(value, dict):
        return sorted(value)
    if isinstance(value, list):
        return value
    return []


def lint(root: Path, timeout_s: float = REUSE_TIMEOUT_S) -> dict[str, Any]:
    """Run ``reuse lint --json`` on ``root`` and return its report."""
    result = run_tool(
        [*REUSE_COMMAND, "--root", str(root), "lint", "--json"], cwd=root, timeout_s=timeout_s
    )
    if result.returncode not in (0, 1):
        detail = (result.stderr.strip() or result.stdout.strip())[-500:]
        raise ToolError(BAD_OUTPUT.format(code=result.returncode, detail=detail))
    try:
        report = json.loads(result.stdout)
        if not isinstance(report, dict) or not isinstance(report.get("non_compliant"), dict):
            raise ValueError("no 'non_compliant' section")
        if not isinstance(report.get("summary", {}).get("compliant"), bool):
            raise ValueError("no 'summary.compliant' flag")
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise ToolError(BAD_OUTPUT.format(code=result.returncode, detail=exc)) from exc
    report["_exit_code"] = result.returncode
    return report


def run(ctx: AuditContext) -> AuditResult:
    """Lint the repository with reuse; fail on any non-compliant file or license."""
    started = time.perf_counter()
    root = ctx.root
    if not root.is_dir():
        raise EvidenceMissing(NO_ROOT.format(root=root))
    report = lint(root)
    non_compliant = report["non_compliant"]
    problems: dict[str, dict[str, Any]] = {}
    for key in [*PROBLEMS, *sorted(set(non_compliant) - set(PROBLEMS))]:
        items = sorted({_relative(i, root) for i in _items(non_compliant.get(key))})
        if items:
            problems[key] = {
                "what": PROBLEMS.get(key, key.replace("_", " ")),
                "count": len(items),
                "items": capped(items),
            }
    summary_block = report.get("summary", {})
    # the exit code and the flag must both say compliant; either one alone is not enough
    compliant = bool(summary_block.get("compliant")) and report["_exit_code"] == 0 and not problems
    if compliant:
        summary = SUMMARY_PASS.format(files=summary_block.get("files_total", "all"))
    else:
        parts = []
        for p in problems.values():
            named = ", ".join(p["items"][:NAMED_IN_SUMMARY])
            more = p["count"] - min(p["count"], NAMED_IN_SUMMARY)
            parts.append(f"{p['count']} {p['what']} ({named}{f', +{more} more' if more else ''})")
        summary = SUMMARY_FAIL.format(problems="; ".join(parts) or "reuse reports non-compliance")
    return AuditResult(
        id=AUDIT_ID,
        title=TITLE,
        status="pass" if compliant else "fail",
        summary=summary,
        details={
            "tool": f"reuse {report.get('reuse_tool_version', '?')}",
            "spec": report.get("reuse_spec_version"),
            "compliant": compliant,
            "files_total": summary_block.get("files_total"),
            "used_licenses": summary_block.get("used_licenses", []),
            "problems": problems,
            "recommendations": report.get("recommendations", []),
        },
        duration_s=time.perf_counter() - started,
    )

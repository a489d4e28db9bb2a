# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The ``modelgate`` check run on the head commit, and the job summary.

The check run is the whole merge decision (a ruleset requires it from the App): it is
``completed/success`` only when the audits passed on this head, every role approved it,
nothing holds, no tamper finding is open, the base is the release branch and the head is
up to date; failing audits conclude ``failure``; otherwise it stays ``in_progress`` with
what is missing. Its ``output.text`` also carries the bot's ledger (see ``ledger``). Only
check runs made by the bot's own App count, so no other workflow can turn the gate green.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from modelgate.bot.check.report import AuditReport, checklist_markdown
from modelgate.bot.github.api import CheckOutput, CheckRunInfo, GitHubApi
from modelgate.markdown import code_span, escape_md, escape_md_code

CHECK_NAME = "modelgate"
OUTPUT_LIMIT = 65_535  # characters, for output.summary and output.text
TITLE_LIMIT = 255
SUMMARY_FILE_LIMIT = 1024 * 1024  # GitHub's job-summary limit per step, in bytes
CUT_NOTE = "\n\n…(shortened to fit GitHub's limit; the full report is in the workflow run)"

PENDING_TITLE = "Waiting for the audits of {sha}"
PENDING_SUMMARY = (
    "The audit job for {sha} has not reported yet. Approvals count only for a head whose "
    "audits reported after it was pushed."
)
PASSED_TITLE = "{passed} of {total} audits passed"
FAILED_TITLE = "{passed} of {total} audits passed; failing: {failing}"
NO_REPORT_TITLE = "No audit report for {sha}"
REPORT_HEAD = "Audits of {model} on {sha}: **{verdict}**."
DETAIL_ROW = "| {id} | {status} | {duration:.2f} s | {summary} |"


def fit_text(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Whole lines up to ``limit`` characters, with a note when something was cut."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(CUT_NOTE)].rsplit("\n", 1)[0]
    if kept.count("```") % 2:
        kept = kept.rsplit("```", 1)[0]
    return kept + CUT_NOTE


def conclusion_of(report: AuditReport) -> str:
    """``success`` only when the report says it passed and every audit agrees."""
    return "success" if report.passed and not report.failing() else "failure"


def report_output(report: AuditReport) -> CheckOutput:
    """Title, checklist and per-audit table, every string from the artifact escaped."""
    total = len(report.audits)
    failing = report.failing()
    passed = total - len(failing)
    if failing:
        names = ", ".join(a.id for a in failing)
        title = FAILED_TITLE.format(passed=passed, total=total, failing=names)
    else:
        title = PASSED_TITLE.format(passed=passed, total=total)
    verdict = "passed" if conclusion_of(report) == "success" else "failed"
    summary = "\n\n".join(
        [
            REPORT_HEAD.format(
                model=escape_md(report.model_name), sha=code_span(report.commit), verdict=verdict
            ),
            checklist_markdown(report.audits),
        ]
    )
    rows = [
        DETAIL_ROW.format(
            id=code_span(a.id),
            status=a.status,
            duration=a.duration_s,
            summary=escape_md_code(a.summary),
        )
        for a in report.audits
    ]
    text = "\n".join(["| audit | status | time | summary |", "| --- | --- | --- | --- |", *rows])
    return CheckOutput(title[:TITLE_LIMIT], fit_text(summary), fit_text(text))


DECISION_READY = "Ready to merge: every role approved {sha}"
DECISION_WAITING = "Waiting: {first}"
DECISION_FAILED = "The audits failed on {sha}"
DECISION_HEAD = "Merge decision for {sha}: **{verdict}**."
DECISION_MISSING = "What is still needed:"
DECISION_UNSOUND = (
    "⚠️ No GitHub App is configured (`github.app_id` in governance.yml): anyone's workflow "
    "can post a `modelgate` check, so this gate is not sound. `modelgate doctor` says how to "
    "set one up."
)
AUDITS_HEADING = "### Audits"
NO_AUDITS = "The audits of this head have not reported yet."


def decision_output(
    sha: str,
    reasons: Sequence[str],
    *,
    audit_summary: str | None,
    audit_table: str,
    failed: bool,
    sound: bool,
    ledger_block: str,
) -> CheckOutput:
    """The decision: a title, what is missing, the audits' checklist; the ledger after."""
    if failed:
        title, verdict = DECISION_FAILED.format(sha=sha[:12]), "failed"
    elif reasons:
        title, verdict = DECISION_WAITING.format(first=reasons[0]), "waiting"
    else:
        title, verdict = DECISION_READY.format(sha=sha[:12]), "ready"
    parts = [DECISION_HEAD.format(sha=code_span(sha), verdict=verdict)]
    if not sound:
        parts.append(DECISION_UNSOUND)
    if reasons:
        parts.append("\n".join([DECISION_MISSING, *(f"- {escape_md_code(r, limit=1000)}"
                                                     for r in reasons[:30])]))
    parts.append(AUDITS_HEADING)
    parts.append(audit_summary or NO_AUDITS)
    summary = fit_text("\n\n".join(parts))
    room = OUTPUT_LIMIT - len(ledger_block) - 2
    text = (fit_text(audit_table, max(room, 0)) + "\n\n" if audit_table and room > 200 else "")
    return CheckOutput(title[:TITLE_LIMIT], summary, text + ledger_block)


def pending_output(sha: str) -> CheckOutput:
    return CheckOutput(
        PENDING_TITLE.format(sha=sha[:12]), PENDING_SUMMARY.format(sha=code_span(sha))
    )


def no_report_output(sha: str, reason: str) -> CheckOutput:
    summary = fit_text(escape_md(reason, limit=2000))
    return CheckOutput(NO_REPORT_TITLE.format(sha=sha[:12]), summary)


def ours(runs: Sequence[CheckRunInfo], app_slug: str | None) -> list[CheckRunInfo]:
    """The check runs the bot's own app made, oldest first."""
    mine = [r for r in runs if app_slug is None or r.app_slug == app_slug]
    return sorted(mine, key=lambda r: r.id)


def upsert_check(
    api: GitHubApi,
    sha: str,
    existing: Sequence[CheckRunInfo],
    *,
    conclusion: str | None,
    output: CheckOutput,
    details_url: str | None,
    name: str = CHECK_NAME,
) -> CheckRunInfo:
    """Update the newest of the bot's check runs on ``sha``, or create the first one."""
    status = "completed" if conclusion is not None else "in_progress"
    if existing:
        latest = max(existing, key=lambda r: r.id)
        return api.update_check_run(
            latest.id, status=status, conclusion=conclusion, output=output,
            details_url=details_url,
        )
    return api.create_check_run(
        sha, name, status=status, conclusion=conclusion, output=output, details_url=details_url
    )


def write_job_summary(path: Path | None, markdown: str) -> bool:
    """Append to ``$GITHUB_STEP_SUMMARY`` within GitHub's size limit; ``False`` without one."""
    if path is None:
        return False
    data = markdown.rstrip() + "\n\n"
    encoded = data.encode("utf-8")
    if len(encoded) > SUMMARY_FILE_LIMIT:
        data = fit_text(data, SUMMARY_FILE_LIMIT // 4)  # a character is at most 4 bytes
    with path.open("a", encoding="utf-8") as fh:
        fh.write(data)
    return True

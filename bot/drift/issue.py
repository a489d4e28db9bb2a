# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""ONE GitHub issue per model version, labelled ``drift``, kept up to date by the bot.

The issue is found by a hidden marker in its body AND the bot as its author (an issue
anyone else writes with the marker is ignored), so repeated checks edit it in place
rather than opening new ones. Every call goes through the adapter
:class:`modelgate.bot.github.api.GitHubApi`. Its life:

- drift, no issue yet: open it with the report;
- drift, issue open: edit the body (nothing is written when the text is unchanged);
- drift, issue closed: reopen it, edit the body, comment that drift is back;
- no drift, issue open: edit the body to say it is back under the thresholds, comment
  the same, and close it (reason ``completed``); drift later reopens the same issue;
- no drift and no open issue, or insufficient data: leave GitHub alone (insufficient data
  is neither a pass nor a fail, so it neither closes nor reopens anything).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from modelgate.bot.drift.stats import OUTCOME_DRIFT, OUTCOME_NO_DRIFT, DriftResult
from modelgate.bot.github.api import GitHubApi, GitHubApiError, GitHubDataError, IssueInfo
from modelgate.errors import ExitCode, ModelgateError
from modelgate.markdown import code_span

DRIFT_LABEL = "drift"
BOT_LOGIN = "github-actions[bot]"  # the author of issues written with GITHUB_TOKEN
BODY_LIMIT = 65_536  # GitHub's limit on an issue body, in characters
MARKER = "<!-- modelgate:drift-issue model={name} version={version} -->"
TITLE = "Drift: {name} version {version}"
HEAD_DRIFT = ("_Kept up to date by `modelgate drift`: this issue is edited in place on "
              "every check of this model version and closes itself when drift is back "
              "under the thresholds._")
HEAD_RESOLVED = ("> ✅ **Back under the thresholds** as of the check at {when}: no feature "
                 "and not the prediction distribution drifts. The latest report follows; "
                 "this issue reopens if drift returns.")
COMMENT_RESOLVED = ("✅ Drift is back under the thresholds (check at {when}). Closing; the "
                    "same issue reopens if drift returns.")
COMMENT_REOPENED = "🔴 Drift is back (check at {when}): {what}. The body holds the report."
TRUNCATED = "\n\n_…report truncated to GitHub's issue size limit; the full report is in the " \
            "workflow artifact._\n"

MSG_GITHUB_FAILED = "the drift issue could not be written: {detail}"

Action = Literal["created", "updated", "reopened", "resolved", "unchanged", "none"]


class DriftIssueError(ModelgateError):
    """GitHub refused the drift issue; the report is written, only the issue is missing."""

    exit_code = ExitCode.GITHUB_FAILED


@dataclass(frozen=True)
class IssueSync:
    """What the check did on GitHub."""

    action: Action
    number: int | None = None
    url: str | None = None


def marker(model_name: str, version: str) -> str:
    return MARKER.format(name=model_name, version=version)


def _fit(body: str) -> str:
    if len(body) <= BODY_LIMIT:
        return body
    return body[:BODY_LIMIT - len(TRUNCATED)] + TRUNCATED


def issue_body(result: DriftResult, report_markdown: str) -> str:
    """Marker, a one-line header for the state, then the report (without images)."""
    head = (HEAD_DRIFT if result.outcome == OUTCOME_DRIFT
            else HEAD_RESOLVED.format(when=result.generated_at))
    return _fit(f"{marker(result.model.name, result.model.version)}\n{head}\n\n"
                f"{report_markdown}")


def find_issue(api: GitHubApi, model_name: str, version: str, *,
               bot_login: str = BOT_LOGIN) -> IssueInfo | None:
    """The bot's issue for this version (oldest first if a race ever made two)."""
    mark = marker(model_name, version)
    for issue in api.list_issues(creator=bot_login):
        if issue.author == bot_login and mark in issue.body:
            return issue
    return None


def _what(result: DriftResult) -> str:
    parts = [code_span(n) for n in result.drifted_features]
    if result.prediction_drifted:
        parts.append("the prediction distribution")
    return ", ".join(parts) or "drift"


def sync_drift_issue(api: GitHubApi, result: DriftResult, report_markdown: str, *,
                     bot_login: str = BOT_LOGIN) -> IssueSync:
    """Open, edit, reopen or close the version's drift issue to match ``result``.

    ``report_markdown`` is the report drawn for places without the chart files
    (``render_markdown(..., charts=False)``). GitHub refusing is :class:`DriftIssueError`.
    """
    if result.outcome not in (OUTCOME_DRIFT, OUTCOME_NO_DRIFT):
        return IssueSync("none")
    try:
        return _sync(api, result, report_markdown, bot_login)
    except (GitHubApiError, GitHubDataError) as exc:
        raise DriftIssueError(MSG_GITHUB_FAILED.format(detail=exc)) from exc


def _sync(api: GitHubApi, result: DriftResult, report_markdown: str,
          bot_login: str) -> IssueSync:
    m = result.model
    issue = find_issue(api, m.name, m.version, bot_login=bot_login)
    body = issue_body(result, report_markdown)
    if result.outcome == OUTCOME_DRIFT:
        if issue is None:
            created = api.create_issue(TITLE.format(name=m.name, version=m.version), body,
                                       [DRIFT_LABEL])
            _ensure_label(api, created)
            return IssueSync("created", created.number, created.html_url)
        if issue.state == "closed":
            reopened = api.edit_issue(issue.number, body=body, state="open")
            _ensure_label(api, reopened)
            api.create_comment(issue.number, COMMENT_REOPENED.format(
                when=result.generated_at, what=_what(result)))
            return IssueSync("reopened", issue.number, issue.html_url)
        if issue.body == body:
            return IssueSync("unchanged", issue.number, issue.html_url)
        edited = api.edit_issue(issue.number, body=body)
        _ensure_label(api, edited)
        return IssueSync("updated", issue.number, issue.html_url)
    if issue is None or issue.state == "closed":
        return IssueSync("none", issue.number if issue else None,
                         issue.html_url if issue else None)
    api.create_comment(issue.number, COMMENT_RESOLVED.format(when=result.generated_at))
    api.edit_issue(issue.number, body=body, state="closed", state_reason="completed")
    return IssueSync("resolved", issue.number, issue.html_url)


def _ensure_label(api: GitHubApi, issue: IssueInfo) -> None:
    """GitHub silently drops labels on create without push access; add it explicitly so
    the issue is findable by label, and fail loudly when that is not allowed either."""
    if DRIFT_LABEL not in issue.labels:
        api.add_labels(issue.number, [DRIFT_LABEL])

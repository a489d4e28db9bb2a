# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What a GITHUB_TOKEN or an App installation token must hold for each routed operation.

GitHub lists, per endpoint, the permission an App (and so a workflow's GITHUB_TOKEN, an
installation of the `github-actions` App) needs:
https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps
A call without it answers 403 `Resource not accessible by integration`. Role-based tokens
(people, and the double's historical bot tokens) are judged by the repository role instead,
in each route (`routes.base.require`).

A job's map is its workflow `permissions:` key: every scope not named is `none`, and
`metadata: read` is always there
(https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from demo.github_double.errors import NOT_ACCESSIBLE_BY_INTEGRATION, ApiError, not_found
from demo.github_double.state import GitHubState, Repo, Token

Level = Literal["read", "write"]
LEVELS = {"none": 0, "read": 1, "write": 2}
# The scopes a workflow's `permissions:` key takes (docs above). `workflows` is not one:
# no GITHUB_TOKEN can change `.github/workflows/`.
JOB_SCOPES = frozenset(
    {
        "actions",
        "attestations",
        "checks",
        "contents",
        "deployments",
        "discussions",
        "id_token",
        "issues",
        "models",
        "packages",
        "pages",
        "pull_requests",
        "repository_projects",
        "security_events",
        "statuses",
    }
)
# What an App installation can be granted (a subset: the ones the double judges).
APP_SCOPES = JOB_SCOPES | {"administration", "members", "metadata", "workflows"}
# GitHub's "restricted" default for a job without `permissions:`.
RESTRICTED_DEFAULT: Mapping[str, str] = {"contents": "read", "packages": "read"}


@dataclass(frozen=True)
class Needs:
    """Any one of `scopes` at `level`; `issue_target` narrows `issues`/`pull_requests`
    by what the path points at (a plain issue needs `issues`)."""

    scopes: tuple[str, ...]
    level: Level
    issue_target: bool = False


def _issue(level: Level) -> Needs:
    # "Issues" or "Pull requests" (write) for a PR; an issue needs "Issues".
    return Needs(("issues", "pull_requests"), level, issue_target=True)


REQUIRED: dict[str, Needs] = {
    # Issues and their comments, labels, history
    "issues/list-for-repo": Needs(("issues",), "read"),
    "issues/create": Needs(("issues",), "write"),
    "issues/get": _issue("read"),
    "issues/update": _issue("write"),
    "issues/list-comments": _issue("read"),
    "issues/create-comment": _issue("write"),
    "issues/get-comment": _issue("read"),
    "issues/update-comment": _issue("write"),
    "issues/delete-comment": _issue("write"),
    "reactions/list-for-issue-comment": _issue("read"),
    "reactions/create-for-issue-comment": _issue("write"),
    "issues/list-labels-on-issue": _issue("read"),
    "issues/add-labels": _issue("write"),
    "issues/set-labels": _issue("write"),
    "issues/remove-all-labels": _issue("write"),
    "issues/remove-label": _issue("write"),
    "issues/list-labels-for-repo": Needs(("issues", "pull_requests"), "read"),
    "issues/create-label": Needs(("issues", "pull_requests"), "write"),
    "issues/list-events": _issue("read"),
    "issues/list-events-for-timeline": _issue("read"),
    # Pull requests; the merge is a write to the base branch: "Contents" (write)
    "pulls/list": Needs(("pull_requests",), "read"),
    "pulls/get": Needs(("pull_requests",), "read"),
    "pulls/update": Needs(("pull_requests",), "write"),
    "pulls/list-files": Needs(("pull_requests",), "read"),
    "pulls/list-reviews": Needs(("pull_requests",), "read"),
    "pulls/get-review": Needs(("pull_requests",), "read"),
    "pulls/create-review": Needs(("pull_requests",), "write"),
    "pulls/dismiss-review": Needs(("pull_requests",), "write"),
    "pulls/check-if-merged": Needs(("pull_requests",), "read"),
    "pulls/merge": Needs(("contents",), "write"),
    "pulls/update-branch": Needs(("pull_requests",), "write"),
    "repos/list-pull-requests-associated-with-commit": Needs(("pull_requests",), "read"),
    # Checks and statuses
    "checks/create": Needs(("checks",), "write"),
    "checks/update": Needs(("checks",), "write"),
    "checks/get": Needs(("checks",), "read"),
    "checks/list-for-ref": Needs(("checks",), "read"),
    "checks/list-suites-for-ref": Needs(("checks",), "read"),
    "checks/get-suite": Needs(("checks",), "read"),
    "checks/list-for-suite": Needs(("checks",), "read"),
    "repos/create-commit-status": Needs(("statuses",), "write"),
    "repos/get-combined-status-for-ref": Needs(("statuses",), "read"),
    # Repository, contents, people
    "repos/get": Needs(("metadata",), "read"),
    "repos/get-content": Needs(("contents",), "read"),
    "git/get-commit": Needs(("contents",), "read"),
    "repos/compare-commits-with-basehead": Needs(("contents",), "read"),
    "repos/get-collaborator-permission-level": Needs(("metadata",), "read"),
    "teams/get-membership-for-user-in-org": Needs(("members",), "read"),
    "repos/create-dispatch-event": Needs(("contents",), "write"),
    # Actions
    "actions/list-workflow-run-artifacts": Needs(("actions",), "read"),
    "actions/download-artifact": Needs(("actions",), "read"),
    "actions/create-workflow-dispatch": Needs(("actions",), "write"),
}
UNMETERED_BY_PERMISSION = frozenset({"rate-limit/get"})


def register(operation_id: str, scopes: tuple[str, ...], level: Level) -> None:
    """For route modules added later (e.g. repository settings): the permission their
    operations need, from the docs page above."""
    if operation_id in REQUIRED:
        raise ValueError(f"{operation_id} already has a permission rule")
    REQUIRED[operation_id] = Needs(scopes, level)


def normalise(
    permissions: Mapping[str, str], allowed: frozenset[str], who: str
) -> dict[str, str]:
    """`pull-requests` -> `pull_requests`, unknown scopes and levels refused, metadata read."""
    out: dict[str, str] = {}
    for raw, level in permissions.items():
        scope = raw.replace("-", "_")
        if scope not in allowed:
            raise ValueError(f"{who} cannot hold the {raw!r} permission")
        if level not in LEVELS:
            raise ValueError(f"{raw}: {level!r} is not read, write or none")
        out[scope] = level
    out.setdefault("metadata", "read")
    return out


def holds(token: Token, scope: str, level: Level) -> bool:
    granted = (token.permissions or {}).get(scope, "none")
    return LEVELS[granted] >= LEVELS[level]


def enforce(
    state: GitHubState,
    token: Token,
    operation_id: str,
    path: Mapping[str, str],
) -> None:
    """403 unless a scoped token holds what the operation needs; 404 for a repository the
    token was not issued for (its installation does not include it)."""
    if token.permissions is None or operation_id in UNMETERED_BY_PERMISSION:
        return
    repo: Repo | None = None
    if "owner" in path and "repo" in path:
        repo = state.repos.get(f"{path['owner']}/{path['repo']}".casefold())
        if repo is not None and not token.reaches(repo):
            raise not_found()
    needs = REQUIRED.get(operation_id)
    if needs is None:
        raise ApiError(403, NOT_ACCESSIBLE_BY_INTEGRATION)
    scopes = needs.scopes
    if needs.issue_target and repo is not None and not _targets_pull(repo, path):
        scopes = ("issues",)
    if not any(holds(token, scope, needs.level) for scope in scopes):
        raise ApiError(403, NOT_ACCESSIBLE_BY_INTEGRATION)


def _targets_pull(repo: Repo, path: Mapping[str, str]) -> bool:
    number: int | None = None
    if "issue_number" in path and str(path["issue_number"]).isdigit():
        number = int(path["issue_number"])
    elif "comment_id" in path and str(path["comment_id"]).isdigit():
        comment = repo.comments.get(int(path["comment_id"]))
        number = comment.issue_number if comment is not None else None
    if number is None:
        return True  # nothing to narrow by: the handler answers 404
    issue = repo.issues.get(number)
    return issue is None or issue.pull is not None

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Webhook payloads drawn from the double's current state, so end-to-end tests can play
the events GitHub would send (`pull_request`, `pull_request_target`, `issue_comment`,
`workflow_run`).

Each payload starts from a real fixture in `shared/fixtures/github-webhooks/` and has the
fields the double models overwritten, so keys the double does not model keep their real
shape. `installation` is dropped: the double has no App installation to point at, and
Actions payloads for a GITHUB_TOKEN do not depend on it.
"""

from __future__ import annotations

import copy
import functools
import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft7Validator
from jsonschema.validators import extend
from referencing import Registry
from referencing.jsonschema import DRAFT7

from demo.fixtures import FIXTURES, load_fixture_json
from demo.github_double.openapi import SpecViolation
from demo.github_double.render import JSON, Renderer, iso
from demo.github_double.state import GitHubState, Issue, Repo, WorkflowRun, node_id

PullAction = Literal["opened", "synchronize", "reopened", "labeled", "unlabeled", "closed"]
PULL_TEMPLATES: dict[str, str] = {
    "opened": "github-webhooks/pull_request.opened.json",
    "synchronize": "github-webhooks/pull_request.synchronize.json",
    "reopened": "github-webhooks/pull_request.reopened.json",
    "labeled": "github-webhooks/pull_request.labeled.json",
    # The real capture: `pull_request.labels` no longer lists the removed label.
    "unlabeled": "github-webhooks/pull_request.unlabeled.pytorch.json",
    "closed": "github-webhooks/pull_request.closed.merged.create-issue-branch.json",
}
CLOSED_NOT_MERGED = "github-webhooks/pull_request.closed.not_merged.json"
COMMENT_ON_PR = "github-webhooks/issue_comment.created.on_pr.packit.json"
COMMENT_ON_ISSUE = "github-webhooks/issue_comment.created.on_issue.json"
COMMENT_EDITED = "github-webhooks/issue_comment.edited.on_issue.json"
COMMENT_DELETED = "github-webhooks/issue_comment.deleted.on_issue.json"
PULL_EDITED = "github-webhooks/pull_request.opened.json"  # no captured `edited`: same shape
REVIEW_TEMPLATE = "github-webhooks/pull_request_review.submitted.commented.json"
# Schemas the shared set lacks, copied verbatim from octokit/webhooks (MIT), same layout.
LOCAL_SCHEMAS = Path(__file__).parent / "spec" / "webhooks" / "api.github.com"
WORKFLOW_RUN_TEMPLATES = {
    "completed": "github-webhooks/workflow_run.completed.with_pull_requests.json",
    "requested": "github-webhooks/workflow_run.requested.json",
}
DROPPED = ("installation",)
SCHEMAS = FIXTURES / "github-webhooks" / "schemas" / "api.github.com"
SCHEMA_BASE = "https://webhook-schemas.double/api.github.com/"


def _ignore(*_: Any) -> None:
    """`additionalProperties: false` is dropped: the schemas predate fields GitHub now
    sends (`user_view_type`, 2024), so `required` and types are the useful strictness."""


LenientDraft7: Any = extend(Draft7Validator, {"additionalProperties": _ignore})  # type: ignore[no-untyped-call]


@functools.cache
def _schema_registry() -> Registry[Any]:
    """octokit's per-event schemas, resolved as ajv does: event schemas at the root (their
    `common/x` refs resolve there), common ones beside each other."""
    resources = []
    found = [(SCHEMAS, p) for p in SCHEMAS.rglob("*.schema.json")]
    found += [(LOCAL_SCHEMAS, p) for p in LOCAL_SCHEMAS.rglob("*.schema.json")]
    for root, path in found:
        contents = json.loads(path.read_text(encoding="utf-8"))
        contents.pop("$id", None)
        contents.pop("$schema", None)
        relative = path.relative_to(root).as_posix()
        if not relative.startswith("common/"):
            relative = relative.removesuffix(".schema.json").replace("/", "$")
        resources.append((SCHEMA_BASE + relative, DRAFT7.create_resource(contents)))
    return Registry().with_resources(resources)


def schema_errors(event_name: str, payload: JSON) -> list[str]:
    """Where a payload breaks octokit's schema for its event and action."""
    kind = "pull_request" if event_name == "pull_request_target" else event_name
    ref = f"{SCHEMA_BASE}{kind}${payload['action']}"
    validator = LenientDraft7({"$ref": ref}, registry=_schema_registry())
    return [f"{e.json_path}: {e.message[:200]}" for e in validator.iter_errors(payload)]


@dataclass(frozen=True)
class WebhookEvent:
    """An event name and its payload, ready for GITHUB_EVENT_PATH or an HTTP delivery."""

    name: str
    payload: JSON

    def write(self, directory: Path) -> Path:
        path = directory / f"{self.name}.{self.payload.get('action', 'event')}.json"
        path.write_text(json.dumps(self.payload, indent=2), encoding="utf-8")
        return path

    def env(self, path: Path) -> dict[str, str]:
        return {"GITHUB_EVENT_NAME": self.name, "GITHUB_EVENT_PATH": str(path)}

    def headers(self) -> dict[str, str]:
        return {"X-GitHub-Event": self.name, "X-GitHub-Delivery": str(uuid.uuid4())}


class WebhookFactory:
    """Builds payloads for one double; every call reads the state at that moment."""

    def __init__(self, state: GitHubState, render: Renderer) -> None:
        self.state = state
        self.render = render

    @staticmethod
    def _finish(name: str, payload: JSON) -> WebhookEvent:
        problems = schema_errors(name, payload)
        if problems:
            raise SpecViolation(f"{name} payload breaks its webhook schema: {problems[:5]}")
        return WebhookEvent(name, payload)

    def _start(self, template: str, repo: Repo, sender: str) -> JSON:
        payload: JSON = copy.deepcopy(load_fixture_json(template))
        for key in DROPPED:
            payload.pop(key, None)
        render = self.render
        payload["repository"] = render.repository(repo)
        payload["sender"] = render.user(sender)
        org = self.state.orgs.get(repo.owner.login)
        if org is None:
            payload.pop("organization", None)
        else:
            account = render.account(org.account)
            payload["organization"] = {
                key: account[key]
                for key in (
                    "login",
                    "id",
                    "node_id",
                    "url",
                    "repos_url",
                    "events_url",
                    "avatar_url",
                )
            } | {
                "hooks_url": f"{account['url']}/hooks",
                "issues_url": f"{account['url']}/issues",
                "members_url": f"{account['url']}/members{{/member}}",
                "public_members_url": f"{account['url']}/public_members{{/member}}",
                "description": None,
            }
        return payload

    def pull_request(
        self,
        repo_name: str,
        number: int,
        action: PullAction,
        *,
        sender: str | None = None,
        label: str | None = None,
        before: str | None = None,
        target: bool = False,
    ) -> WebhookEvent:
        """`pull_request` (or, with `target`, `pull_request_target`: same payload)."""
        with self.state.lock:
            repo = self.state.repo_for_tests(repo_name)
            issue, pull = repo.pull(number)
            who = sender or issue.author
            template = PULL_TEMPLATES[action]
            if action == "closed" and not pull.merged:
                template = CLOSED_NOT_MERGED
            payload = self._start(template, repo, who)
            payload["action"] = action
            payload["number"] = number
            payload["pull_request"] = self.render.pull(repo, issue)
            if action in ("labeled", "unlabeled"):
                if label is None:
                    raise ValueError(f"a {action} event needs the label name")
                found = repo.label_named(label)
                if found is None:
                    raise KeyError(f"no label {label!r} in {repo_name}")
                payload["label"] = self.render.label(repo, found)
            else:
                payload.pop("label", None)
            if action == "synchronize":
                change = pull.head_changes[-1] if pull.head_changes else None
                if change is not None and sender is None:
                    payload["sender"] = self.render.user(change.actor)
                payload["before"] = before or (
                    change.before if change else _previous_head(repo, issue)
                )
                payload["after"] = pull.head_sha
            else:
                payload.pop("before", None)
                payload.pop("after", None)
        return self._finish("pull_request_target" if target else "pull_request", payload)

    def issue_comment(
        self,
        repo_name: str,
        comment_id: int,
        *,
        action: Literal["created", "edited", "deleted"] = "created",
        previous_body: str | None = None,
        sender: str | None = None,
    ) -> WebhookEvent:
        """`sender` is who acted: the author for `created`; for `edited`/`deleted` whoever
        edited or deleted it (pass it; GitHub does not name the author there)."""
        with self.state.lock:
            repo = self.state.repo_for_tests(repo_name)
            comment = repo.comments[comment_id]
            issue = repo.issues[comment.issue_number]
            if action == "deleted":
                template = COMMENT_DELETED
            elif action == "edited":
                template = COMMENT_EDITED
            else:
                template = COMMENT_ON_PR if issue.pull is not None else COMMENT_ON_ISSUE
            payload = self._start(template, repo, sender or comment.author)
            payload["action"] = action
            payload["issue"] = self.render.issue(repo, issue)
            payload["comment"] = self.render.comment(repo, comment)
            if action == "edited":
                if previous_body is None:
                    raise ValueError("an edited event needs the body before the edit")
                payload["changes"] = {"body": {"from": previous_body}}
            else:
                payload.pop("changes", None)
        return self._finish("issue_comment", payload)

    def pull_request_edited(
        self,
        repo_name: str,
        number: int,
        *,
        sender: str,
        base_from: tuple[str, str] | None = None,
        title_from: str | None = None,
        body_from: str | None = None,
    ) -> WebhookEvent:
        """`pull_request` `edited`: `changes.base.ref.from`/`sha.from` on retargeting."""
        with self.state.lock:
            repo = self.state.repo_for_tests(repo_name)
            issue, _ = repo.pull(number)
            payload = self._start(PULL_EDITED, repo, sender)
            payload["action"] = "edited"
            payload["number"] = number
            payload["pull_request"] = self.render.pull(repo, issue)
            changes: JSON = {}
            if base_from is not None:
                changes["base"] = {"ref": {"from": base_from[0]}, "sha": {"from": base_from[1]}}
            if title_from is not None:
                changes["title"] = {"from": title_from}
            if body_from is not None:
                changes["body"] = {"from": body_from}
            payload["changes"] = changes
        return self._finish("pull_request", payload)

    def pull_request_review(
        self,
        repo_name: str,
        number: int,
        review_id: int,
        action: Literal["submitted", "dismissed"] = "submitted",
        *,
        sender: str | None = None,
    ) -> WebhookEvent:
        """`pull_request_review`: the review (state, body, `commit_id`) and `sender` (the
        reviewer, or for `dismissed` the dismisser)."""
        with self.state.lock:
            repo = self.state.repo_for_tests(repo_name)
            issue, pull = repo.pull(number)
            review = next(r for r in pull.reviews if r.id == review_id)
            payload = self._start(REVIEW_TEMPLATE, repo, sender or review.user)
            payload["action"] = action
            payload["pull_request"] = self.render.pull(repo, issue)
            drawn = self.render.review(repo, issue, review)
            drawn["state"] = review.state.lower()
            drawn["submitted_at"] = iso(review.submitted_at)
            drawn["updated_at"] = iso(review.dismissed_at or review.submitted_at)
            payload["review"] = drawn
        return self._finish("pull_request_review", payload)

    def workflow_run(
        self,
        repo_name: str,
        run_id: int,
        *,
        action: Literal["completed", "requested"] = "completed",
    ) -> WebhookEvent:
        with self.state.lock:
            repo = self.state.repo_for_tests(repo_name)
            run = repo.runs[run_id]
            payload = self._start(WORKFLOW_RUN_TEMPLATES[action], repo, run.actor)
            payload["action"] = action
            payload["workflow_run"] = self._run(payload["workflow_run"], repo, run)
            payload["workflow"] = self._workflow(payload["workflow"], repo, run)
        return self._finish("workflow_run", payload)

    def _run(self, template: JSON, repo: Repo, run: WorkflowRun) -> JSON:
        render = self.render
        url = f"{render.repo_url(repo)}/actions/runs/{run.id}"
        commit = repo.commits[run.head_sha]
        person = {"name": commit.author, "email": f"{commit.author}@users.noreply.double"}
        body: JSON = dict(template)
        body.update(
            {
                "id": run.id,
                "name": run.name,
                "display_title": commit.message.splitlines()[0] if commit.message else run.name,
                "node_id": node_id("WFR", run.id),
                "head_branch": run.head_branch,
                "head_sha": run.head_sha,
                "path": run.path,
                "run_number": run.run_number,
                "run_attempt": 1,
                "event": run.event,
                "status": run.status,
                "conclusion": run.conclusion,
                "workflow_id": _workflow_id(run),
                "check_suite_id": run.id + 1,
                "check_suite_node_id": node_id("CS", run.id + 1),
                "url": url,
                "html_url": f"{render.repo_html(repo)}/actions/runs/{run.id}",
                "pull_requests": [
                    render.pull_minimal(repo, repo.issues[n]) for n in run.pull_numbers
                ],
                "created_at": iso(run.created_at),
                "updated_at": iso(run.created_at),
                "run_started_at": iso(run.created_at),
                "actor": render.user(run.actor),
                "triggering_actor": render.user(run.actor),
                "jobs_url": f"{url}/jobs",
                "logs_url": f"{url}/logs",
                "check_suite_url": f"{render.repo_url(repo)}/check-suites/{run.id + 1}",
                "artifacts_url": f"{url}/artifacts",
                "cancel_url": f"{url}/cancel",
                "rerun_url": f"{url}/rerun",
                "previous_attempt_url": None,
                "workflow_url": f"{render.repo_url(repo)}/actions/workflows/{_workflow_id(run)}",
                "head_commit": {
                    "id": commit.sha,
                    "tree_id": render.git_commit(repo, commit)["tree"]["sha"],
                    "message": commit.message,
                    "timestamp": iso(commit.created_at),
                    "author": person,
                    "committer": person,
                },
                "repository": _minimal_repo(render.repository(repo)),
                "head_repository": _minimal_repo(render.repository(repo)),
            }
        )
        return body

    def _workflow(self, template: JSON, repo: Repo, run: WorkflowRun) -> JSON:
        render = self.render
        body: JSON = dict(template)
        body.update(
            {
                "id": _workflow_id(run),
                "name": run.name,
                "node_id": node_id("W", _workflow_id(run)),
                "path": run.path,
                "state": "active",
                "url": f"{render.repo_url(repo)}/actions/workflows/{_workflow_id(run)}",
                "html_url": f"{render.repo_html(repo)}/blob/{repo.default_branch}/{run.path}",
                "badge_url": f"{render.repo_html(repo)}/workflows/{run.name}/badge.svg",
            }
        )
        return body


def _workflow_id(run: WorkflowRun) -> int:
    return 7000 + sum(run.path.encode()) % 1000


def _minimal_repo(full: JSON) -> JSON:
    keep = (
        "id",
        "node_id",
        "name",
        "full_name",
        "private",
        "owner",
        "html_url",
        "description",
        "fork",
        "url",
    )
    return {key: full[key] for key in keep} | {
        key: value for key, value in full.items() if key.endswith("_url")
    }


def _previous_head(repo: Repo, issue: Issue) -> str:
    assert issue.pull is not None
    commit = repo.commits[issue.pull.head_sha]
    return commit.parents[0] if commit.parents else issue.pull.base_sha

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Repository settings as `modelgate doctor` reads them: rulesets and the rules on a
branch, classic branch protection, environments and their deployment branches, the
App's installation (JWT only), Actions' default token permissions and retention, and the
names of variables and secrets. Operations: `spec/settings.json`.

`SettingsControls(double)` sets the scene; the settings live beside the double's state,
one `RepoSettings` per repository, and are drawn as GitHub's JSON on each request.
"""

from __future__ import annotations

import copy
import fnmatch
import secrets as token_bytes
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from demo.github_double.errors import ApiError, not_found
from demo.github_double.routes.base import (
    Context,
    Page,
    Request,
    Response,
    RouteTable,
    require,
    visible_repo,
)
from demo.github_double.state import GitHubState, Repo, Token, node_id

route = RouteTable()
JSON = dict[str, Any]
JWT_ONLY = "A JSON web token could not be decoded"
NOT_PROTECTED = "Branch not protected"
ALL_RULESETS = "~ALL"
DEFAULT_BRANCH = "~DEFAULT_BRANCH"


@dataclass
class EnvironmentSettings:
    name: str
    id: int
    reviewers: tuple[str, ...] = ()
    prevent_self_review: bool = False
    can_admins_bypass: bool = True
    wait_timer: int = 0
    # None: all branches; "protected": protected branches; a tuple: these branch patterns
    branches: tuple[str, ...] | str | None = None
    tags: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)


@dataclass
class Installation:
    id: int
    app_id: int
    app_slug: str
    permissions: dict[str, str]
    repository_selection: str = "selected"
    suspended: bool = False


@dataclass
class RepoSettings:
    rulesets: dict[int, JSON] = field(default_factory=dict)
    protections: dict[str, JSON] = field(default_factory=dict)
    environments: dict[str, EnvironmentSettings] = field(default_factory=dict)
    installation: Installation | None = None
    default_workflow_permissions: str = "read"
    can_approve_pull_request_reviews: bool = False
    retention_days: int = 90
    variables: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    org_variables: dict[str, str] = field(default_factory=dict)
    org_secrets: set[str] = field(default_factory=set)


@dataclass
class SettingsState:
    repos: dict[str, RepoSettings] = field(default_factory=dict)
    jwts: dict[str, int] = field(default_factory=dict)  # token -> app id

    def of(self, repo: Repo) -> RepoSettings:
        return self.repos.setdefault(repo.full_name.casefold(), RepoSettings())


_STATES: weakref.WeakKeyDictionary[GitHubState, SettingsState] = weakref.WeakKeyDictionary()


def settings_of(state: GitHubState) -> SettingsState:
    """The settings side-table of one double."""
    found = _STATES.get(state)
    if found is None:
        found = _STATES[state] = SettingsState()
    return found


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _ref_hits(pattern: str, repo: Repo, branch: str) -> bool:
    if pattern == ALL_RULESETS:
        return True
    if pattern == DEFAULT_BRANCH:
        return branch == repo.default_branch
    return fnmatch.fnmatchcase(f"refs/heads/{branch}", pattern)


def _applies(ruleset: JSON, repo: Repo, branch: str) -> bool:
    ref = (ruleset.get("conditions") or {}).get("ref_name") or {}
    include, exclude = ref.get("include", []), ref.get("exclude", [])
    return any(_ref_hits(p, repo, branch) for p in include) and not any(
        _ref_hits(p, repo, branch) for p in exclude)


def _ruleset_json(ctx: Context, repo: Repo, ruleset: JSON, req: Request, *,
                  full: bool) -> JSON:
    url = f"{ctx.render.repo_url(repo)}/rulesets/{ruleset['id']}"
    admin = repo.can(req.login, "admin")
    body: JSON = {
        "id": ruleset["id"],
        "name": ruleset["name"],
        "target": ruleset.get("target", "branch"),
        "source_type": "Repository",
        "source": repo.full_name,
        "enforcement": ruleset["enforcement"],
        "node_id": node_id("RRS", int(ruleset["id"])),
        "_links": {"self": {"href": url},
                   "html": {"href": f"{ctx.render.repo_html(repo)}/rules/{ruleset['id']}"}},
        "created_at": ruleset["created_at"],
        "updated_at": ruleset["created_at"],
    }
    if full:
        body["conditions"] = ruleset.get("conditions")
        body["rules"] = copy.deepcopy(ruleset.get("rules", []))
        if admin:  # GitHub shows the bypass list only to those who may edit the ruleset
            body["bypass_actors"] = copy.deepcopy(ruleset.get("bypass_actors", []))
        body["current_user_can_bypass"] = "always" if admin and any(
            a.get("actor_type") == "RepositoryRole" for a in ruleset.get("bypass_actors", [])
        ) else "never"
    return body


@route("repos/get-repo-rulesets", resource="RepositoryRuleset")
def list_rulesets(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    found = settings_of(ctx.state).of(repo).rulesets.values()
    return Page([_ruleset_json(ctx, repo, r, req, full=False) for r in found])


@route("repos/get-repo-ruleset", resource="RepositoryRuleset")
def get_ruleset(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    ruleset = settings_of(ctx.state).of(repo).rulesets.get(int(req.path["ruleset_id"]))
    if ruleset is None:
        raise not_found()
    return Response(200, _ruleset_json(ctx, repo, ruleset, req, full=True))


@route("repos/get-branch-rules", resource="RepositoryRule")
def branch_rules(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    branch = str(req.path["branch"])
    items: list[JSON] = []
    for ruleset in settings_of(ctx.state).of(repo).rulesets.values():
        if ruleset["enforcement"] != "active" or not _applies(ruleset, repo, branch):
            continue
        for rule in ruleset.get("rules", []):
            items.append({**copy.deepcopy(rule), "ruleset_source_type": "Repository",
                          "ruleset_source": repo.full_name, "ruleset_id": ruleset["id"]})
    return Page(items)


def _enabled(url: str, value: bool) -> JSON:
    return {"url": url, "enabled": value}


@route("repos/get-branch-protection", resource="BranchProtection")
def branch_protection(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "admin")
    branch = str(req.path["branch"])
    raw = settings_of(ctx.state).of(repo).protections.get(branch)
    if raw is None:
        raise ApiError(404, NOT_PROTECTED)
    url = f"{ctx.render.repo_url(repo)}/branches/{branch}/protection"
    checks = raw.get("checks", [])
    body: JSON = {
        "url": url,
        "required_status_checks": {
            "url": f"{url}/required_status_checks",
            "contexts_url": f"{url}/required_status_checks/contexts",
            "strict": raw.get("strict", False),
            "contexts": [c["context"] for c in checks],
            "checks": [{"context": c["context"], "app_id": c.get("app_id")} for c in checks],
        },
        "enforce_admins": _enabled(f"{url}/enforce_admins", raw.get("enforce_admins", False)),
        "required_linear_history": {"enabled": raw.get("linear_history", False)},
        "allow_force_pushes": {"enabled": raw.get("allow_force_pushes", False)},
        "allow_deletions": {"enabled": raw.get("allow_deletions", False)},
    }
    if raw.get("require_pull_request", True):
        body["required_pull_request_reviews"] = {
            "url": f"{url}/required_pull_request_reviews",
            "dismiss_stale_reviews": True,
            "require_code_owner_reviews": False,
            "required_approving_review_count": 0,
        }
    return Response(200, body)


def _environment(ctx: Context, repo: Repo, req: Request) -> EnvironmentSettings:
    env = settings_of(ctx.state).of(repo).environments.get(str(req.path["environment_name"]))
    if env is None:
        raise not_found()
    return env


@route("repos/get-environment", resource="Environment")
def get_environment(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    env = _environment(ctx, repo, req)
    url = f"{ctx.render.repo_url(repo)}/environments/{env.name}"
    created = _iso(repo.created_at)
    rules: list[JSON] = []
    if env.wait_timer:
        rules.append({"id": env.id * 10 + 1, "node_id": node_id("GA", env.id * 10 + 1),
                      "type": "wait_timer", "wait_timer": env.wait_timer})
    if env.reviewers:
        rules.append({
            "id": env.id * 10 + 2, "node_id": node_id("GA", env.id * 10 + 2),
            "type": "required_reviewers", "prevent_self_review": env.prevent_self_review,
            "reviewers": [{"type": "User", "reviewer": ctx.render.user(login)}
                          for login in env.reviewers],
        })
    if env.branches is None:
        policy: JSON | None = None
    else:
        protected = env.branches == "protected"
        policy = {"protected_branches": protected, "custom_branch_policies": not protected}
    body = {
        "id": env.id, "node_id": node_id("EN", env.id), "name": env.name, "url": url,
        "html_url": f"{ctx.render.repo_html(repo)}/deployments/activity_log?environments_"
                    f"filter={env.name}",
        "created_at": created, "updated_at": created, "protection_rules": rules,
        "deployment_branch_policy": policy, "can_admins_bypass": env.can_admins_bypass,
    }
    return Response(200, body)


@route("repos/list-deployment-branch-policies", resource="DeploymentBranchPolicy")
def deployment_branch_policies(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    env = _environment(ctx, repo, req)
    names = [] if not isinstance(env.branches, tuple) else [(n, "branch") for n in env.branches]
    names += [(n, "tag") for n in env.tags]
    items = [{"id": env.id * 100 + i, "node_id": node_id("GBP", env.id * 100 + i),
              "name": name, "type": kind} for i, (name, kind) in enumerate(names, 1)]
    return Page(items, key="branch_policies", extra={"total_count": len(items)})


@route("apps/get-repo-installation", resource="Installation")
def repo_installation(ctx: Context, req: Request) -> Response:
    found = settings_of(ctx.state)
    app_id = found.jwts.get(req.token.value)
    if app_id is None:
        raise ApiError(401, JWT_ONLY)
    repo = ctx.state.repo(str(req.path["owner"]), str(req.path["repo"]))
    inst = found.of(repo).installation
    if inst is None or inst.app_id != app_id:
        raise not_found()
    owner = ctx.render.account(repo.owner)
    created = _iso(repo.created_at)
    api = ctx.render.repo_url(repo).split("/repos/")[0]
    body = {
        "id": inst.id, "account": owner, "repository_selection": inst.repository_selection,
        "access_tokens_url": f"{api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"{ctx.render.repo_html(repo).rsplit('/', 1)[0]}/settings/installations/"
                    f"{inst.id}",
        "app_id": inst.app_id, "app_slug": inst.app_slug, "target_id": repo.owner.id,
        "target_type": repo.owner.kind if repo.owner.kind != "Bot" else "User",
        "permissions": dict(inst.permissions), "events": [], "created_at": created,
        "updated_at": created, "single_file_name": None, "suspended_by": None,
        "suspended_at": created if inst.suspended else None,
    }
    return Response(200, body)


@route("actions/get-github-actions-default-workflow-permissions-repository",
       resource="WorkflowPermissions")
def workflow_permissions(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "admin")
    s = settings_of(ctx.state).of(repo)
    return Response(200, {"default_workflow_permissions": s.default_workflow_permissions,
                          "can_approve_pull_request_reviews":
                              s.can_approve_pull_request_reviews})


@route("actions/get-artifact-and-log-retention-settings-repository", resource="Retention")
def retention(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "admin")
    days = settings_of(ctx.state).of(repo).retention_days
    return Response(200, {"days": days, "maximum_allowed_days": 400})


def _variables(ctx: Context, repo: Repo, values: Mapping[str, str]) -> Page:
    stamp = _iso(repo.created_at)
    items = [{"name": k, "value": v, "created_at": stamp, "updated_at": stamp}
             for k, v in sorted(values.items())]
    return Page(items, key="variables", extra={"total_count": len(items)})


def _secrets(repo: Repo, names: Iterable[str]) -> Page:
    stamp = _iso(repo.created_at)
    items = [{"name": n, "created_at": stamp, "updated_at": stamp} for n in sorted(names)]
    return Page(items, key="secrets", extra={"total_count": len(items)})


def _collaborator(ctx: Context, req: Request) -> tuple[Repo, RepoSettings]:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    return repo, settings_of(ctx.state).of(repo)


@route("actions/list-repo-variables", resource="ActionsVariable")
def repo_variables(ctx: Context, req: Request) -> Page:
    repo, s = _collaborator(ctx, req)
    return _variables(ctx, repo, s.variables)


@route("actions/list-repo-secrets", resource="ActionsSecret")
def repo_secrets(ctx: Context, req: Request) -> Page:
    repo, s = _collaborator(ctx, req)
    return _secrets(repo, s.secrets)


@route("actions/list-repo-organization-variables", resource="ActionsVariable")
def org_variables(ctx: Context, req: Request) -> Page:
    repo, s = _collaborator(ctx, req)
    return _variables(ctx, repo, s.org_variables)


@route("actions/list-repo-organization-secrets", resource="ActionsSecret")
def org_secrets(ctx: Context, req: Request) -> Page:
    repo, s = _collaborator(ctx, req)
    return _secrets(repo, s.org_secrets)


@route("actions/list-environment-variables", resource="ActionsVariable")
def environment_variables(ctx: Context, req: Request) -> Page:
    repo, _ = _collaborator(ctx, req)
    return _variables(ctx, repo, _environment(ctx, repo, req).variables)


@route("actions/list-environment-secrets", resource="ActionsSecret")
def environment_secrets(ctx: Context, req: Request) -> Page:
    repo, _ = _collaborator(ctx, req)
    return _secrets(repo, _environment(ctx, repo, req).secrets)


# -- test controls -----------------------------------------------------------------------


class SettingsControls:
    """What a test sets: `SettingsControls(double).set_ruleset("acme/model", {...})`.

    Controls never go through HTTP and are never recorded as calls."""

    def __init__(self, double: Any) -> None:
        self._double = double
        self._state: GitHubState = double.state
        self._settings = settings_of(self._state)

    def _repo(self, full_name: str) -> tuple[Repo, RepoSettings]:
        repo = self._state.repo_for_tests(full_name)
        return repo, self._settings.of(repo)

    def set_ruleset(self, repo: str, ruleset: Mapping[str, Any]) -> int:
        """Add a ruleset in GitHub's import format (name, target, enforcement, conditions,
        rules, bypass_actors); returns its id."""
        with self._state.lock:
            _, s = self._repo(repo)
            ruleset_id = self._state.next_id("ruleset")
            s.rulesets[ruleset_id] = {**copy.deepcopy(dict(ruleset)), "id": ruleset_id,
                                      "created_at": _iso(self._double.clock.now())}
            return ruleset_id

    def clear_rulesets(self, repo: str) -> None:
        with self._state.lock:
            self._repo(repo)[1].rulesets.clear()

    def set_protection(self, repo: str, branch: str, *, checks: Iterable[tuple[str, int | None]],
                       strict: bool = True, enforce_admins: bool = True,
                       require_pull_request: bool = True, allow_force_pushes: bool = False,
                       allow_deletions: bool = False, linear_history: bool = False) -> None:
        """Classic branch protection; each check is (context, app_id or None for any)."""
        with self._state.lock:
            self._repo(repo)[1].protections[branch] = {
                "checks": [{"context": c, "app_id": a} for c, a in checks], "strict": strict,
                "enforce_admins": enforce_admins, "require_pull_request": require_pull_request,
                "allow_force_pushes": allow_force_pushes, "allow_deletions": allow_deletions,
                "linear_history": linear_history}

    def set_environment(self, repo: str, name: str, *, reviewers: Iterable[str] = (),
                        prevent_self_review: bool = True, can_admins_bypass: bool = False,
                        branches: tuple[str, ...] | str | None = None,
                        tags: tuple[str, ...] = (), variables: Mapping[str, str] | None = None,
                        secrets: Iterable[str] = ()) -> None:
        """An environment; `branches`: None (all), "protected", or name patterns."""
        with self._state.lock:
            _, s = self._repo(repo)
            for login in reviewers:
                self._state.account(login)
            s.environments[name] = EnvironmentSettings(
                name=name, id=self._state.next_id("environment"), reviewers=tuple(reviewers),
                prevent_self_review=prevent_self_review, can_admins_bypass=can_admins_bypass,
                branches=branches, tags=tags, variables=dict(variables or {}),
                secrets=set(secrets))

    def delete_environment(self, repo: str, name: str) -> None:
        with self._state.lock:
            self._repo(repo)[1].environments.pop(name, None)

    def install_app(self, repo: str, *, app_id: int, slug: str, permissions: Mapping[str, str],
                    repository_selection: str = "selected", suspended: bool = False) -> None:
        with self._state.lock:
            self._repo(repo)[1].installation = Installation(
                id=self._state.next_id("installation"), app_id=app_id, app_slug=slug,
                permissions=dict(permissions), repository_selection=repository_selection,
                suspended=suspended)

    def uninstall_app(self, repo: str) -> None:
        with self._state.lock:
            self._repo(repo)[1].installation = None

    def app_jwt(self, app_id: int, slug: str) -> str:
        """A credential the double takes for a JWT signed by the App `app_id`."""
        with self._state.lock:
            login = f"{slug}[bot]"
            if login not in self._state.accounts:
                self._state.add_account(login, "Bot")
            value = f"eyJ.double.{token_bytes.token_hex(12)}"
            self._state.tokens[value] = Token(value, login, False)
            self._settings.jwts[value] = app_id
            return value

    def set_actions(self, repo: str, *, default_workflow_permissions: str | None = None,
                    can_approve_pull_request_reviews: bool | None = None,
                    retention_days: int | None = None) -> None:
        with self._state.lock:
            _, s = self._repo(repo)
            if default_workflow_permissions is not None:
                s.default_workflow_permissions = default_workflow_permissions
            if can_approve_pull_request_reviews is not None:
                s.can_approve_pull_request_reviews = can_approve_pull_request_reviews
            if retention_days is not None:
                s.retention_days = retention_days

    def set_names(self, repo: str, *, variables: Mapping[str, str] | None = None,
                  secrets: Iterable[str] | None = None,
                  org_variables: Mapping[str, str] | None = None,
                  org_secrets: Iterable[str] | None = None) -> None:
        """Replace the repository's (and the organization's shared) variables and secrets."""
        with self._state.lock:
            _, s = self._repo(repo)
            if variables is not None:
                s.variables = dict(variables)
            if secrets is not None:
                s.secrets = set(secrets)
            if org_variables is not None:
                s.org_variables = dict(org_variables)
            if org_secrets is not None:
                s.org_secrets = set(org_secrets)

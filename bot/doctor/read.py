# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one place where GitHub's settings JSON becomes the doctor's typed values.

Every read is made once; a read the token may not make becomes :class:`Unreadable` (with
the permission to ask for) instead of stopping the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, TypeVar

from modelgate.bot.doctor.core import (
    BypassActor,
    Environment,
    Expectations,
    Installation,
    MergeMethods,
    Names,
    NameUse,
    Protection,
    Read,
    RequiredCheck,
    Rule,
    Ruleset,
    Settings,
    Unreadable,
    WorkflowPermissions,
)
from modelgate.bot.github.settings import JSON, NameKind, SettingsApi, SettingsUnavailable
from modelgate.governance import GitHubSection

T = TypeVar("T")


def _try(call: Callable[[], T]) -> Read[T]:
    try:
        return call()
    except SettingsUnavailable as exc:
        return Unreadable(exc.what, exc.permission)


def _checks(parameters: Mapping[str, Any]) -> tuple[RequiredCheck, ...]:
    return tuple(RequiredCheck(str(c["context"]), c.get("integration_id"))
                 for c in parameters.get("required_status_checks", []))


def rule(raw: Mapping[str, Any]) -> Rule:
    """One rule of ``GET /rules/branches/{branch}`` (or of a ruleset's ``rules``)."""
    params = raw.get("parameters") or {}
    methods = params.get("allowed_merge_methods")
    return Rule(
        type=str(raw["type"]),
        ruleset_id=raw.get("ruleset_id"),
        checks=_checks(params) if raw["type"] == "required_status_checks" else (),
        strict=bool(params.get("strict_required_status_checks_policy", False)),
        merge_methods=tuple(methods) if methods is not None else None,
    )


def ruleset(raw: Mapping[str, Any]) -> Ruleset:
    """A ruleset as ``GET /rulesets/{id}`` draws it; no ``bypass_actors`` means hidden."""
    actors = raw.get("bypass_actors")
    checks = tuple(c for r in raw.get("rules") or [] for c in rule(r).checks)
    return Ruleset(
        id=int(raw["id"]),
        name=str(raw["name"]),
        enforcement=str(raw["enforcement"]),
        bypass_actors=None if actors is None else tuple(
            BypassActor(str(a["actor_type"]), a.get("actor_id"),
                        str(a.get("bypass_mode", "always"))) for a in actors),
        checks=checks,
    )


def _enabled(raw: Mapping[str, Any], key: str) -> bool:
    return bool((raw.get(key) or {}).get("enabled", False))


def protection(raw: Mapping[str, Any]) -> Protection:
    """Classic branch protection; ``app_id`` null on a check means any source."""
    status = raw.get("required_status_checks") or {}
    checks = [RequiredCheck(str(c["context"]), c.get("app_id")) for c in status.get("checks", [])]
    listed = {c.context for c in checks}
    checks += [RequiredCheck(str(c), None) for c in status.get("contexts", []) if c not in listed]
    return Protection(
        checks=tuple(checks),
        strict=bool(status.get("strict", False)),
        enforce_admins=_enabled(raw, "enforce_admins"),
        requires_pull_request=raw.get("required_pull_request_reviews") is not None,
        allow_force_pushes=_enabled(raw, "allow_force_pushes"),
        allow_deletions=_enabled(raw, "allow_deletions"),
        linear_history=_enabled(raw, "required_linear_history"),
    )


def merge_methods(raw: Mapping[str, Any]) -> MergeMethods:
    """The repository's merge buttons (absent from the JSON without push access)."""
    return MergeMethods(raw.get("allow_merge_commit"), raw.get("allow_squash_merge"),
                        raw.get("allow_rebase_merge"))


def environment(raw: Mapping[str, Any], policies: Iterable[Mapping[str, Any]]) -> Environment:
    """An environment with its reviewers and deployment branch policy."""
    reviewers: list[str] = []
    prevent_self = False
    for rule_ in raw.get("protection_rules") or []:
        if rule_.get("type") == "required_reviewers":
            prevent_self = bool(rule_.get("prevent_self_review", False))
            for entry in rule_.get("reviewers") or []:
                who = entry.get("reviewer") or {}
                reviewers.append(str(who.get("login") or who.get("slug") or who.get("id")))
    policy = raw.get("deployment_branch_policy")
    kind: Literal["all", "protected", "custom"] = "all"
    if policy is not None:
        kind = "protected" if policy.get("protected_branches") else "custom"
    listed = list(policies) if kind == "custom" else []
    return Environment(
        name=str(raw["name"]),
        reviewers=tuple(reviewers),
        prevent_self_review=prevent_self,
        can_admins_bypass=bool(raw.get("can_admins_bypass", True)),
        branch_policy=kind,
        custom_branches=tuple(str(p["name"]) for p in listed
                              if p.get("type", "branch") == "branch"),
        custom_tags=tuple(str(p["name"]) for p in listed if p.get("type") == "tag"),
    )


def installation(raw: Mapping[str, Any]) -> Installation:
    return Installation(
        app_id=int(raw["app_id"]),
        app_slug=str(raw.get("app_slug", "")),
        permissions={str(k): str(v) for k, v in (raw.get("permissions") or {}).items()},
        repository_selection=str(raw.get("repository_selection", "")),
        suspended=raw.get("suspended_at") is not None,
    )


def _environment(api: SettingsApi, name: str) -> Environment | None:
    raw = api.environment(name)
    if raw is None:
        return None
    policy = raw.get("deployment_branch_policy") or {}
    policies = api.deployment_branch_policies(name) if policy.get("custom_branch_policies") else []
    return environment(raw, policies)


def _names(api: SettingsApi, uses: Iterable[NameUse], organization: bool,
           extra_envs: Iterable[str] = ()) -> Names:
    envs = sorted({*(u.environment for u in uses if u.environment is not None), *extra_envs})

    def org(kind: NameKind) -> Read[frozenset[str]]:
        return _try(lambda: api.organization_names(kind)) if organization else frozenset()

    return Names(
        repo_vars=_try(lambda: api.names("variables")),
        repo_secrets=_try(lambda: api.names("secrets")),
        org_vars=org("variables"),
        org_secrets=org("secrets"),
        env_vars={e: _try(lambda e=e: api.names("variables", e)) for e in envs},  # type: ignore[misc]
        env_secrets={e: _try(lambda e=e: api.names("secrets", e)) for e in envs},  # type: ignore[misc]
    )


def expectations(section: GitHubSection, default_branch: str) -> Expectations:
    """governance.yml's ``github`` section, with the release branch resolved."""
    return Expectations(
        app_id=section.app_id,
        app_slug=section.app_slug,
        release_branch=section.release_branch or default_branch,
        check_name=section.check_name,
        merge_method=section.merge_method,
        environment=section.environment,
        approval_window_days=section.approval_window_days,
        app_permissions=dict(section.app_permissions),
    )


def gather(api: SettingsApi, section: GitHubSection,
           uses: tuple[NameUse, ...]) -> tuple[Settings, Expectations]:
    """Read every setting the doctor judges. Raises :class:`SettingsUnavailable` only
    when the repository itself cannot be read."""
    repo: JSON = api.repository()
    expect = expectations(section, str(repo["default_branch"]))
    branch = expect.release_branch
    rules = _try(lambda: tuple(rule(r) for r in api.branch_rules(branch)))
    ids = sorted({r.ruleset_id for r in rules if r.ruleset_id is not None}) if not isinstance(
        rules, Unreadable) else []
    listed = _try(api.rulesets)
    others = [] if isinstance(listed, Unreadable) else [
        int(r["id"]) for r in listed if r.get("target", "branch") == "branch"]
    rulesets = _try(lambda: tuple(ruleset(api.ruleset(i)) for i in sorted({*ids, *others})))
    raw_protection = _try(lambda: api.branch_protection(branch))
    prot: Read[Protection | None] = raw_protection if isinstance(
        raw_protection, Unreadable) else (None if raw_protection is None
                                          else protection(raw_protection))
    raw_installation = _try(api.installation)
    inst: Read[Installation | None] = raw_installation if isinstance(
        raw_installation, Unreadable) else (None if raw_installation is None
                                            else installation(raw_installation))
    wp = _try(api.workflow_permissions)
    retention = _try(api.retention)
    owner_type = str((repo.get("owner") or {}).get("type", ""))
    settings = Settings(
        repo=str(repo["full_name"]),
        branch_rules=rules,
        rulesets=rulesets,
        protection=prot,
        merge_methods=merge_methods(repo),
        environment=_try(lambda: _environment(api, expect.environment)),
        installation=inst,
        workflow_permissions=wp if isinstance(wp, Unreadable) else WorkflowPermissions(
            str(wp["default_workflow_permissions"]), bool(wp["can_approve_pull_request_reviews"])),
        retention_days=retention if isinstance(retention, Unreadable) else int(retention["days"]),
        names=_names(api, uses, owner_type == "Organization",
                      (expect.app_environment,) if expect.app_id is not None else ()),
        uses=uses,
        app_environment=(_try(lambda: _environment(api, expect.app_environment))
                         if expect.app_id is not None else None),
    )
    return settings, expect

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The doctor's judgement: repository settings in, findings out, no client.

Each check says ``ok``, ``fail`` (the gate is unsound until the named setting changes),
``risk`` (sound, but a person could still get around it: named, never fatal) or
``unknown`` (the setting could not be read; the message names the permission). Messages,
fixes and the GitHub documentation behind each check are module constants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeAlias, TypeVar

Status = Literal["ok", "fail", "risk", "unknown"]
Verdict = Literal["sound", "unsound", "unreadable"]
T = TypeVar("T")

MARKS: Mapping[Status, str] = {"ok": "✓", "fail": "✗", "risk": "!", "unknown": "?"}
ADMIN_ROLE_ID = 5  # the built-in repository role "admin" as a ruleset bypass actor
ACCESS_RANK = {"read": 1, "write": 2, "admin": 3}

DOC_BRANCH_RULES = "https://docs.github.com/rest/repos/rules#get-rules-for-a-branch"
DOC_RULESET = "https://docs.github.com/rest/repos/rules#get-a-repository-ruleset"
DOC_AVAILABLE_RULES = ("https://docs.github.com/repositories/configuring-branches-and-merges-"
                       "in-your-repository/managing-rulesets/available-rules-for-rulesets")
DOC_PROTECTION = "https://docs.github.com/rest/branches/branch-protection#get-branch-protection"
DOC_REPO = "https://docs.github.com/rest/repos/repos#get-a-repository"
DOC_ENVIRONMENT = "https://docs.github.com/rest/deployments/environments#get-an-environment"
DOC_BRANCH_POLICIES = ("https://docs.github.com/rest/deployments/branch-policies"
                       "#list-deployment-branch-policies")
DOC_INSTALLATION = ("https://docs.github.com/rest/apps/apps"
                    "#get-a-repository-installation-for-the-authenticated-app")
DOC_WORKFLOW_PERMISSIONS = ("https://docs.github.com/rest/actions/permissions"
                            "#get-default-workflow-permissions-for-a-repository")
DOC_RETENTION = ("https://docs.github.com/rest/actions/permissions"
                 "#get-artifact-and-log-retention-settings-for-a-repository")
DOC_VARIABLES = "https://docs.github.com/rest/actions/variables#list-repository-variables"
DOC_SECRETS = (  # pragma: allowlist secret
    "https://docs.github.com/rest/actions/secrets#list-repository-secrets")

DOC_REUSE_SECRETS = ("https://docs.github.com/en/actions/how-tos/sharing-automations/"
                     "reuse-workflows#using-inputs-and-secrets-in-a-reusable-workflow")
CALLED_BY = " -> "  # NameUse.workflow of a called job: "caller.yml -> called.yml"

RULESET_PAGE = "Settings → Rules → Rulesets"
FIX_IMPORT = (f"{RULESET_PAGE} → New ruleset → Import a ruleset: docs/ruleset.json (set "
              "integration_id to the App id), or add rule 'Require status checks to pass' "
              "with check {check!r} and source the App {slug!r}")


APP_ENVIRONMENT = "modelgate-app"
APP_KEY_SECRET = "MODELGATE_APP_PRIVATE_KEY"  # pragma: allowlist secret


@dataclass(frozen=True)
class Unreadable:
    """A setting the token could not read, and the permission that would read it."""

    what: str
    permission: str


Read: TypeAlias = T | Unreadable


@dataclass(frozen=True)
class RequiredCheck:
    context: str
    integration_id: int | None  # None: any source may set it


@dataclass(frozen=True)
class Rule:
    """One active rule on the branch, as ``GET /rules/branches/{branch}`` lists it."""

    type: str
    ruleset_id: int | None = None
    checks: tuple[RequiredCheck, ...] = ()
    strict: bool = False
    merge_methods: tuple[str, ...] | None = None  # pull_request rule: allowed methods


@dataclass(frozen=True)
class BypassActor:
    actor_type: str
    actor_id: int | None
    bypass_mode: str = "always"


@dataclass(frozen=True)
class Ruleset:
    id: int
    name: str
    enforcement: str
    bypass_actors: tuple[BypassActor, ...] | None  # None: hidden from this token
    checks: tuple[RequiredCheck, ...] = ()  # its required_status_checks rule, if any


@dataclass(frozen=True)
class Protection:
    """Classic branch protection on the release branch."""

    checks: tuple[RequiredCheck, ...]
    strict: bool
    enforce_admins: bool
    requires_pull_request: bool
    allow_force_pushes: bool
    allow_deletions: bool
    linear_history: bool


@dataclass(frozen=True)
class MergeMethods:
    merge: bool | None
    squash: bool | None
    rebase: bool | None

    def allows(self, method: str) -> bool | None:
        value: bool | None = getattr(self, method)
        return value


@dataclass(frozen=True)
class Environment:
    name: str
    reviewers: tuple[str, ...]
    prevent_self_review: bool
    can_admins_bypass: bool
    branch_policy: Literal["all", "protected", "custom"]
    custom_branches: tuple[str, ...] = ()  # name patterns of type branch
    custom_tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Installation:
    app_id: int
    app_slug: str
    permissions: Mapping[str, str]
    repository_selection: str
    suspended: bool


@dataclass(frozen=True)
class WorkflowPermissions:
    default: str
    can_approve_pull_requests: bool


@dataclass(frozen=True)
class NameUse:
    """One ``vars.X`` or ``secrets.X`` a workflow job reads; ``workflow`` names the chain of
    calls (``pr-commands.yml -> gate-commands.yml``) and ``job`` the job that reads it."""

    kind: Literal["vars", "secrets"]
    name: str
    workflow: str
    job: str
    environment: str | None = None
    # False: a called job reads the secret but its caller neither passes nor inherits it
    passed: bool = True


@dataclass(frozen=True)
class Names:
    """Variable and secret names visible to the repository's jobs, by scope."""

    repo_vars: Read[frozenset[str]]
    repo_secrets: Read[frozenset[str]]
    org_vars: Read[frozenset[str]] = frozenset()
    org_secrets: Read[frozenset[str]] = frozenset()
    env_vars: Mapping[str, Read[frozenset[str]]] = field(default_factory=dict)
    env_secrets: Mapping[str, Read[frozenset[str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Expectations:
    """What governance.yml's ``github`` section asks of the repository."""

    app_id: int | None
    app_slug: str
    release_branch: str
    check_name: str = "modelgate"
    merge_method: str = "merge"
    environment: str = "production"
    approval_window_days: int = 30
    app_permissions: Mapping[str, str] = field(default_factory=dict)
    app_environment: str = APP_ENVIRONMENT


@dataclass(frozen=True)
class Settings:
    """Everything the doctor read, each part either a value or :class:`Unreadable`."""

    repo: str
    branch_rules: Read[tuple[Rule, ...]]
    rulesets: Read[tuple[Ruleset, ...]]
    protection: Read[Protection | None]
    merge_methods: Read[MergeMethods]
    environment: Read[Environment | None]
    installation: Read[Installation | None]
    workflow_permissions: Read[WorkflowPermissions]
    retention_days: Read[int]
    names: Names
    uses: tuple[NameUse, ...] = ()
    # the environment holding the App's key; None: it does not exist
    app_environment: Read[Environment | None] = None


@dataclass(frozen=True)
class Finding:
    check: str
    status: Status
    message: str
    fix: str = ""
    doc: str = ""

    def line(self) -> str:
        text = f"{MARKS[self.status]} {self.check}: {self.message}"
        return f"{text}\n    fix: {self.fix}" if self.fix and self.status != "ok" else text


def _unknown(check: str, value: Unreadable, doc: str) -> Finding:
    return Finding(check, "unknown", f"cannot read {value.what}",
                   f"run doctor with a token that has {value.permission}", doc)


# -- the required check ----------------------------------------------------------------


@dataclass(frozen=True)
class _Requirement:
    where: str
    check: RequiredCheck
    strict: bool
    ruleset_id: int | None = None


def _requirements(s: Settings, e: Expectations) -> list[_Requirement]:
    found: list[_Requirement] = []
    if not isinstance(s.branch_rules, Unreadable):
        for rule in s.branch_rules:
            for check in rule.checks:
                if rule.type == "required_status_checks" and check.context == e.check_name:
                    found.append(_Requirement(f"ruleset {rule.ruleset_id}", check, rule.strict,
                                              rule.ruleset_id))
    if isinstance(s.protection, Protection):
        for check in s.protection.checks:
            if check.context == e.check_name:
                found.append(_Requirement("branch protection", check, s.protection.strict))
    return found


def _source_finding(reqs: list[_Requirement], s: Settings, e: Expectations) -> Finding:
    name = "required-check"
    fix = FIX_IMPORT.format(check=e.check_name, slug=e.app_slug)
    if not reqs:
        idle = [] if isinstance(s.rulesets, Unreadable) else [
            r for r in s.rulesets if r.enforcement != "active"
            and any(c.context == e.check_name for c in r.checks)]
        if idle:
            r = idle[0]
            return Finding(name, "fail", f"ruleset {r.name!r} requires {e.check_name!r} but "
                           f"its enforcement is {r.enforcement!r}, so nothing is enforced",
                           f"{RULESET_PAGE} → {r.name} → Enforcement status: Active",
                           DOC_BRANCH_RULES)
        return Finding(name, "fail", f"no active ruleset or branch protection on "
                       f"{e.release_branch!r} requires the status check {e.check_name!r}",
                       fix, DOC_BRANCH_RULES)
    if e.app_id is None:
        return Finding(name, "fail", f"{e.check_name!r} is required, but governance.yml "
                       "github.app_id is not set, so its source cannot be judged",
                       "set github.app_id in governance.yml to the App's id (App settings → "
                       "General → App ID)", DOC_AVAILABLE_RULES)
    if any(r.check.integration_id == e.app_id for r in reqs):
        where = next(r.where for r in reqs if r.check.integration_id == e.app_id)
        return Finding(name, "ok", f"{e.check_name!r} is required on {e.release_branch!r} "
                       f"from the App (id {e.app_id}) by {where}", doc=DOC_BRANCH_RULES)
    sources = sorted({str(r.check.integration_id) for r in reqs
                      if r.check.integration_id is not None})
    if sources:
        text = f"from app id {', '.join(sources)}, not the App (id {e.app_id})"
    else:
        text = ("from any source: any workflow's GITHUB_TOKEN can create a passing check of "
                "that name")
    return Finding(name, "fail", f"{e.check_name!r} is required {text}",
                   f"{RULESET_PAGE} → the ruleset → Require status checks to pass → "
                   f"{e.check_name} → source: {e.app_slug} (integration_id {e.app_id})",
                   DOC_AVAILABLE_RULES)


def _strict_finding(reqs: list[_Requirement]) -> Finding:
    if any(r.strict for r in reqs):
        return Finding("up-to-date", "ok", "branches must be up to date before merging",
                       doc=DOC_AVAILABLE_RULES)
    return Finding("up-to-date", "fail", "the strict policy is off: a pull request can "
                   "merge on a check that judged an older base",
                   f"{RULESET_PAGE} → the ruleset → Require status checks to pass → tick "
                   "'Require branches to be up to date before merging' "
                   "(strict_required_status_checks_policy: true)", DOC_AVAILABLE_RULES)


def _actor_risk(actor: BypassActor, e: Expectations) -> Status:
    if actor.actor_type == "Integration" and e.app_id is not None and actor.actor_id == e.app_id:
        return "ok"
    if actor.actor_type == "OrganizationAdmin" or (
            actor.actor_type == "RepositoryRole" and actor.actor_id == ADMIN_ROLE_ID):
        return "risk"
    return "fail"


def _describe(actor: BypassActor) -> str:
    who = actor.actor_type if actor.actor_id is None else f"{actor.actor_type} {actor.actor_id}"
    return f"{who} ({actor.bypass_mode})"


def _bypass_findings(reqs: list[_Requirement], s: Settings, e: Expectations) -> list[Finding]:
    name = "bypass"
    out: list[Finding] = []
    ids = {r.ruleset_id for r in reqs if r.ruleset_id is not None}
    if ids and isinstance(s.rulesets, Unreadable):
        return [_unknown(name, s.rulesets, DOC_RULESET)]
    rulesets = [] if isinstance(s.rulesets, Unreadable) else [r for r in s.rulesets
                                                              if r.id in ids]
    for ruleset in rulesets:
        if ruleset.bypass_actors is None:
            out.append(_unknown(name, Unreadable(
                f"the bypass list of ruleset {ruleset.name!r}",
                "admin access to the repository (Administration: write)"), DOC_RULESET))
            continue
        fails = [a for a in ruleset.bypass_actors if _actor_risk(a, e) == "fail"]
        risks = [a for a in ruleset.bypass_actors if _actor_risk(a, e) == "risk"]
        fix = f"{RULESET_PAGE} → {ruleset.name} → Bypass list: remove " + "{who}"
        if fails:
            who = ", ".join(_describe(a) for a in fails)
            out.append(Finding(name, "fail", f"ruleset {ruleset.name!r} lets {who} skip the "
                               "check", fix.format(who=who), DOC_RULESET))
        if risks:
            who = ", ".join(_describe(a) for a in risks)
            out.append(Finding(name, "risk", f"ruleset {ruleset.name!r} lets {who} merge "
                               "without the check", fix.format(who=who), DOC_RULESET))
    if isinstance(s.protection, Protection) and s.protection.checks and not (
            s.protection.enforce_admins):
        out.append(Finding(name, "risk", "branch protection does not apply to administrators",
                           "Settings → Branches → the rule → tick 'Do not allow bypassing "
                           "the above settings'", DOC_PROTECTION))
    if not out and reqs:
        out.append(Finding(name, "ok", "nobody who can write may skip the check",
                           doc=DOC_RULESET))
    return out


_BRANCH_RULES: tuple[tuple[str, str, str], ...] = (
    ("pull_request", "changes reach the branch only through pull requests",
     "Require a pull request before merging"),
    ("non_fast_forward", "force pushes are blocked", "Block force pushes"),
    ("deletion", "the branch cannot be deleted", "Restrict deletions"),
)


def _branch_rule_findings(s: Settings, e: Expectations) -> list[Finding]:
    if isinstance(s.branch_rules, Unreadable):
        return [_unknown("branch-rules", s.branch_rules, DOC_BRANCH_RULES)]
    types = {r.type for r in s.branch_rules}
    p = s.protection if isinstance(s.protection, Protection) else None
    classic = {"pull_request": bool(p and p.requires_pull_request),
               "non_fast_forward": bool(p and not p.allow_force_pushes),
               "deletion": bool(p and not p.allow_deletions)}
    out: list[Finding] = []
    for kind, good, setting in _BRANCH_RULES:
        if kind in types or classic[kind]:
            out.append(Finding(f"rule-{kind}", "ok", good, doc=DOC_AVAILABLE_RULES))
        else:
            out.append(Finding(f"rule-{kind}", "fail", f"{e.release_branch!r} lacks the rule "
                               f"'{setting}'", f"{RULESET_PAGE} → the ruleset → tick "
                               f"'{setting}'", DOC_AVAILABLE_RULES))
    return out


def check_ruleset(s: Settings, e: Expectations) -> list[Finding]:
    """The required check, its source, strictness, enforcement, bypass and branch rules."""
    out: list[Finding] = []
    for value, doc in ((s.branch_rules, DOC_BRANCH_RULES), (s.protection, DOC_PROTECTION)):
        if isinstance(value, Unreadable):
            out.append(_unknown("required-check", value, doc))
    reqs = _requirements(s, e)
    if reqs or not out:
        out.append(_source_finding(reqs, s, e))
    if reqs:
        out.append(_strict_finding(reqs))
    out += _bypass_findings(reqs, s, e)
    out += _branch_rule_findings(s, e)
    return out


# -- merge method ----------------------------------------------------------------------


def check_merge_method(s: Settings, e: Expectations) -> list[Finding]:
    """The bot's merge method is allowed; a human's other method is a named risk."""
    name, method = "merge-method", e.merge_method
    if isinstance(s.merge_methods, Unreadable):
        return [_unknown(name, s.merge_methods, DOC_REPO)]
    label = {"merge": "Allow merge commits", "squash": "Allow squash merging",
             "rebase": "Allow rebase merging"}
    out: list[Finding] = []
    allowed = s.merge_methods.allows(method)
    if allowed is None:
        out.append(_unknown(name, Unreadable("the repository's merge settings",
                                             "push access (Contents: read)"), DOC_REPO))
    elif not allowed:
        out.append(Finding(name, "fail", f"the bot merges with {method!r}, which the "
                           "repository does not allow",
                           f"Settings → General → Pull Requests → tick '{label[method]}'",
                           DOC_REPO))
    rules = [] if isinstance(s.branch_rules, Unreadable) else list(s.branch_rules)
    for rule in rules:
        if rule.type == "pull_request" and rule.merge_methods is not None and (
                method not in rule.merge_methods):
            out.append(Finding(name, "fail", f"ruleset {rule.ruleset_id} allows only "
                               f"{', '.join(rule.merge_methods)}; the bot merges with "
                               f"{method!r}", f"{RULESET_PAGE} → the ruleset → Require a pull "
                               f"request → Allowed merge methods: add {method}",
                               DOC_AVAILABLE_RULES))
        if rule.type == "required_linear_history" and method == "merge":
            out.append(Finding(name, "fail", "ruleset requires linear history, which forbids "
                               "the bot's merge commits", f"{RULESET_PAGE} → the ruleset → "
                               "untick 'Require linear history'", DOC_AVAILABLE_RULES))
    if isinstance(s.protection, Protection) and s.protection.linear_history and (
            method == "merge"):
        out.append(Finding(name, "fail", "branch protection requires linear history, which "
                           "forbids the bot's merge commits", "Settings → Branches → the rule "
                           "→ untick 'Require linear history'", DOC_PROTECTION))
    others = [m for m in ("merge", "squash", "rebase")
              if m != method and s.merge_methods.allows(m)]
    if allowed and not out:
        out.append(Finding(name, "ok", f"{method!r} merges are allowed", doc=DOC_REPO))
    if others and method == "merge":
        out.append(Finding(name, "risk", f"{' and '.join(others)} merges are allowed too: a "
                           "human merge that way leaves the audited head out of history and "
                           "the release stops", "Settings → General → Pull Requests → untick "
                           + " and ".join(f"'{label[m]}'" for m in others), DOC_REPO))
    return out


# -- the production environment --------------------------------------------------------


def check_environment(s: Settings, e: Expectations) -> list[Finding]:
    """The environment exists, needs reviewers and deploys only from the release branch."""
    name, env = "environment", s.environment
    page = f"Settings → Environments → {e.environment}"
    if isinstance(env, Unreadable):
        return [_unknown(name, env, DOC_ENVIRONMENT)]
    if env is None:
        return [Finding(name, "fail", f"environment {e.environment!r} does not exist",
                        f"Settings → Environments → New environment {e.environment!r}, with "
                        f"required reviewers and deployment branch {e.release_branch!r}",
                        DOC_ENVIRONMENT)]
    out: list[Finding] = []
    if env.reviewers:
        out.append(Finding("environment-reviewers", "ok", f"{e.environment!r} needs a review "
                           f"by {', '.join(env.reviewers)}", doc=DOC_ENVIRONMENT))
    else:
        out.append(Finding("environment-reviewers", "fail", f"{e.environment!r} has no "
                           "required reviewers: a release deploys without a person's say",
                           f"{page} → tick 'Required reviewers' and add them",
                           DOC_ENVIRONMENT))
    if env.reviewers and not env.prevent_self_review:
        out.append(Finding("environment-reviewers", "risk", "a reviewer may approve a "
                           "deployment they triggered", f"{page} → tick 'Prevent self-review'",
                           DOC_ENVIRONMENT))
    if env.can_admins_bypass:
        out.append(Finding("environment-reviewers", "risk", "administrators may deploy "
                           "without the review", f"{page} → untick 'Allow administrators to "
                           "bypass configured protection rules'", DOC_ENVIRONMENT))
    only = env.branch_policy == "custom" and env.custom_branches == (e.release_branch,) and (
        not env.custom_tags)
    if only:
        out.append(Finding("environment-branches", "ok", f"only {e.release_branch!r} may "
                           f"deploy to {e.environment!r}", doc=DOC_BRANCH_POLICIES))
    else:
        now = {"all": "any branch", "protected": "any protected branch"}.get(
            env.branch_policy, ", ".join([*env.custom_branches,
                                          *(f"tag {t}" for t in env.custom_tags)]) or "nothing")
        out.append(Finding("environment-branches", "fail", f"{e.environment!r} accepts "
                           f"deployments from {now}", f"{page} → Deployment branches and tags "
                           f"→ Selected branches and tags → only {e.release_branch!r}",
                           DOC_BRANCH_POLICIES))
    return out


# -- the App's key ---------------------------------------------------------------------


def check_app_environment(s: Settings, e: Expectations) -> list[Finding]:
    """The App's private key is a secret of its own environment, which only the release
    branch may use: a workflow pushed to another branch cannot mint the App's token."""
    if e.app_id is None:
        return []  # legacy mode: no App, no key
    name, env, page = "app-environment", s.app_environment, (
        f"Settings → Environments → {e.app_environment}")
    if isinstance(env, Unreadable):
        return [_unknown(name, env, DOC_ENVIRONMENT)]
    if env is None:
        return [Finding(name, "fail", f"environment {e.app_environment!r} (the App's key) does "
                        "not exist", f"Settings → Environments → New environment "
                        f"{e.app_environment!r}, deployment branch {e.release_branch!r} only, "
                        f"secret {APP_KEY_SECRET}", DOC_ENVIRONMENT)]
    out: list[Finding] = []
    if env.branch_policy == "custom" and env.custom_branches == (e.release_branch,) and (
            not env.custom_tags):
        out.append(Finding(name, "ok", f"only {e.release_branch!r} may use "
                           f"{e.app_environment!r}", doc=DOC_BRANCH_POLICIES))
    else:
        out.append(Finding(name, "fail", f"{e.app_environment!r} is not limited to "
                           f"{e.release_branch!r}: a workflow on another branch could mint the "
                           "App's token", f"{page} → Deployment branches and tags → Selected "
                           f"branches and tags → only {e.release_branch!r}",
                           DOC_BRANCH_POLICIES))
    held = s.names.env_secrets.get(e.app_environment, frozenset())
    if isinstance(held, Unreadable):
        out.append(_unknown("app-key", held, DOC_SECRETS))
    elif APP_KEY_SECRET in held:
        out.append(Finding("app-key", "ok", f"{e.app_environment!r} holds {APP_KEY_SECRET}",
                           doc=DOC_SECRETS))
    else:
        out.append(Finding("app-key", "fail", f"{e.app_environment!r} does not hold "
                           f"{APP_KEY_SECRET}", f"{page} → Environment secrets → Add secret "
                           f"{APP_KEY_SECRET} (the App's private key)", DOC_SECRETS))
    repo_secrets = s.names.repo_secrets
    if not isinstance(repo_secrets, Unreadable) and APP_KEY_SECRET in repo_secrets:
        out.append(Finding("app-key", "fail", f"{APP_KEY_SECRET} is also a repository "
                           "secret: any branch's workflow can read it", "Settings → Secrets "
                           f"and variables → Actions → remove the repository secret "
                           f"{APP_KEY_SECRET}", DOC_SECRETS))
    return out


# -- the App's installation ------------------------------------------------------------


def check_installation(s: Settings, e: Expectations) -> list[Finding]:
    """Installed on the repository, not suspended, with exactly the permissions it needs."""
    name, inst = "app-installation", s.installation
    settings_page = f"https://github.com/apps/{e.app_slug} → Configure"
    if isinstance(inst, Unreadable):
        return [_unknown(name, inst, DOC_INSTALLATION)]
    if inst is None:
        return [Finding(name, "fail", f"the App {e.app_slug!r} is not installed on {s.repo}",
                        f"{settings_page} → Repository access → add {s.repo}",
                        DOC_INSTALLATION)]
    out: list[Finding] = []
    if e.app_id is not None and inst.app_id != e.app_id:
        out.append(Finding(name, "fail", f"the installation belongs to app id {inst.app_id}, "
                           f"governance.yml names {e.app_id}", "set github.app_id in "
                           "governance.yml to the App that is installed", DOC_INSTALLATION))
    if inst.suspended:
        out.append(Finding(name, "fail", "the installation is suspended", f"{settings_page} "
                           "→ Unsuspend", DOC_INSTALLATION))
    want, have = e.app_permissions, inst.permissions
    short = sorted(f"{k}: {v}" for k, v in want.items()
                   if ACCESS_RANK.get(have.get(k, ""), 0) < ACCESS_RANK[v])
    extra = sorted(f"{k}: {v}" for k, v in have.items()
                   if ACCESS_RANK.get(v, 0) > ACCESS_RANK.get(want.get(k, ""), 0))
    page = f"https://github.com/settings/apps/{e.app_slug}/permissions"
    if short:
        out.append(Finding("app-permissions", "fail", f"the App lacks {', '.join(short)}",
                           f"{page} → grant them, then accept the change on the installation",
                           DOC_INSTALLATION))
    if extra:
        out.append(Finding("app-permissions", "fail", f"the App holds more than it needs: "
                           f"{', '.join(extra)}", f"{page} → lower them to governance.yml "
                           "github.app_permissions", DOC_INSTALLATION))
    if inst.repository_selection == "all":
        out.append(Finding(name, "risk", "the App is installed on all repositories: its key "
                           "writes to every one", f"{settings_page} → Only select "
                           "repositories", DOC_INSTALLATION))
    if not out:
        out.append(Finding(name, "ok", f"the App {inst.app_slug!r} (id {inst.app_id}) is "
                           "installed with exactly the permissions it needs",
                           doc=DOC_INSTALLATION))
    return out


# -- Actions settings ------------------------------------------------------------------


def check_actions(s: Settings, e: Expectations) -> list[Finding]:
    """Read-only GITHUB_TOKEN by default, no PR approvals by Actions, long enough retention."""
    page = "Settings → Actions → General"
    out: list[Finding] = []
    wp = s.workflow_permissions
    if isinstance(wp, Unreadable):
        out.append(_unknown("workflow-permissions", wp, DOC_WORKFLOW_PERMISSIONS))
    else:
        if wp.default == "read":
            out.append(Finding("workflow-permissions", "ok", "the default GITHUB_TOKEN is "
                               "read-only", doc=DOC_WORKFLOW_PERMISSIONS))
        else:
            out.append(Finding("workflow-permissions", "fail", "the default GITHUB_TOKEN "
                               "can write: any workflow without a permissions: block writes",
                               f"{page} → Workflow permissions → 'Read repository contents "
                               "and packages permissions'", DOC_WORKFLOW_PERMISSIONS))
        if wp.can_approve_pull_requests:
            out.append(Finding("workflow-approvals", "fail", "GitHub Actions may create and "
                               "approve pull requests", f"{page} → untick 'Allow GitHub "
                               "Actions to create and approve pull requests'",
                               DOC_WORKFLOW_PERMISSIONS))
    days = s.retention_days
    if isinstance(days, Unreadable):
        out.append(_unknown("retention", days, DOC_RETENTION))
    elif days >= e.approval_window_days:
        out.append(Finding("retention", "ok", f"artifacts and logs are kept {days} days, at "
                           f"least the {e.approval_window_days}-day approval window",
                           doc=DOC_RETENTION))
    else:
        out.append(Finding("retention", "fail", f"artifacts and logs are kept {days} days, "
                           f"shorter than the {e.approval_window_days}-day approval window: "
                           "the audited evidence expires before the release reads it",
                           f"{page} → Artifact and log retention → at least "
                           f"{e.approval_window_days} days", DOC_RETENTION))
    return out


# -- variables and secrets -------------------------------------------------------------


def _scopes(names: Names, use: NameUse) -> list[Read[frozenset[str]]]:
    if use.kind == "vars":
        scopes = [names.repo_vars, names.org_vars]
        env = names.env_vars
    else:
        scopes = [names.repo_secrets, names.org_secrets]
        env = names.env_secrets
    if use.environment is not None:
        scopes.append(env.get(use.environment, frozenset()))
    return scopes


# names the workflows read as alternatives: the release signs with a KMS key, or with a key
# file whose public half deploy and the Lambda trust; either group set is enough
ALTERNATIVES = (frozenset({"MODELGATE_KMS_KEY_ID"}),
                frozenset({"MODELGATE_SIGNING_KEY_PEM", "MODELGATE_STATEMENT_PUBKEY"}))


def _present(s: Settings) -> set[str]:
    """The names some job that reads them can see."""
    return {use.name for use in s.uses if use.passed
            and any(not isinstance(x, Unreadable) and use.name in x for x in _scopes(s.names, use))}


def _alternative_in_use(name: str, present: set[str]) -> frozenset[str] | None:
    for group in ALTERNATIVES:
        if name in group:
            return next((other for other in ALTERNATIVES
                         if other is not group and other <= present), None)
    return None


def check_names(s: Settings, _e: Expectations) -> list[Finding]:
    """Every ``vars.X`` / ``secrets.X`` a workflow reads exists where its job can see it
    (or, for the signing key, its alternative does)."""
    out: list[Finding] = []
    seen: set[tuple[str, str, str | None]] = set()
    present = _present(s)
    for use in s.uses:
        check = "variable" if use.kind == "vars" else "secret"
        doc = DOC_VARIABLES if use.kind == "vars" else DOC_SECRETS
        where = f"{use.workflow} job {use.job}"
        if not use.passed:
            caller = use.workflow.split(CALLED_BY)[-2]
            out.append(Finding(check, "fail", f"secrets.{use.name} is read by {where} but "
                               f"{caller} does not pass it: the called job sees it empty",
                               f"{caller} → the calling job → secrets: add {use.name}: "
                               f"${{{{ secrets.{use.name} }}}}", DOC_REUSE_SECRETS))
            continue
        key = (use.kind, use.name, use.environment)
        if key in seen:
            continue
        seen.add(key)
        scopes = _scopes(s.names, use)
        if any(not isinstance(x, Unreadable) and use.name in x for x in scopes):
            out.append(Finding(check, "ok", f"{use.kind}.{use.name} is set ({where})", doc=doc))
            continue
        hidden = [x for x in scopes if isinstance(x, Unreadable)]
        if hidden:
            out.append(_unknown(check, hidden[0], doc))
            continue
        instead = _alternative_in_use(use.name, present)
        if instead is not None:
            out.append(Finding(check, "ok", f"{use.kind}.{use.name} is not set: "
                               f"{', '.join(sorted(instead))} is used instead ({where})",
                               doc=doc))
            continue
        kind = "Variables" if use.kind == "vars" else "Secrets"
        target = (f"environment {use.environment!r}" if use.environment else "the repository")
        fix = (f"Settings → Secrets and variables → Actions → {kind} → New repository "
               f"{check} {use.name}")
        if use.environment:
            fix = (f"Settings → Environments → {use.environment} → Environment "
                   f"{check}s → Add {check} {use.name} (or a repository {check})")
        out.append(Finding(check, "fail", f"{use.kind}.{use.name} is read by {where} but not "
                           f"set for {target}", fix, doc))
    return out


CHECKS = (check_ruleset, check_merge_method, check_environment, check_app_environment,
          check_installation, check_actions, check_names)


def diagnose(s: Settings, e: Expectations) -> list[Finding]:
    """Every finding, in the order the checks are listed."""
    return [finding for check in CHECKS for finding in check(s, e)]


def verdict(findings: Iterable[Finding]) -> Verdict:
    """Unsound on any failure; else unreadable if something could not be read; else sound."""
    statuses = {f.status for f in findings}
    if "fail" in statuses:
        return "unsound"
    return "unreadable" if "unknown" in statuses else "sound"

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""`GitHubDouble`: the server, plus the Python controls a test uses to set the scene,
play humans, inject faults and read back what the bot did.

Controls take repositories by full name (`"acme/model"`) and accounts by login, and
raise `KeyError`/`ValueError` with a clear message when a test asks for something
that does not exist; they never go through HTTP and are never recorded as calls.
"""

from __future__ import annotations

import fnmatch
import secrets
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from github import Auth, Github

from demo.fixtures import FIXTURES
from demo.github_double.errors import ApiError
from demo.github_double.openapi import SPEC_RELATIVE, OpenApiSpec, SpecViolation
from demo.github_double.permissions import (
    APP_SCOPES,
    JOB_SCOPES,
    LEVELS,
    RESTRICTED_DEFAULT,
    normalise,
)
from demo.github_double.render import JSON
from demo.github_double.server import Dispatcher, DoubleHttpServer
from demo.github_double.state import (
    ACTIONS_APP_SLUG,
    ROLES,
    AccountKind,
    App,
    Artifact,
    BranchProtection,
    Clock,
    CommentEdit,
    DeletedComment,
    Dispatch,
    GitHubState,
    Issue,
    Org,
    PullData,
    Repo,
    RequiredCheck,
    Review,
    Ruleset,
    Team,
    TeamMember,
    TickingClock,
    Token,
    WorkflowRun,
)
from demo.github_double.traffic import (
    Call,
    Fault,
    error_fault,
    secondary_rate_limit_fault,
)
from demo.github_double.webhooks import WebhookEvent, WebhookFactory

ACTIONS_BOT = "github-actions[bot]"
ARTIFACT_RETENTION = timedelta(days=90)
FileChanges = Mapping[str, str | bytes | None]
ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]
ReviewEvent = Literal["APPROVE", "REQUEST_CHANGES", "COMMENT"]
REVIEW_STATES: dict[str, str] = {
    "APPROVE": "APPROVED",
    "REQUEST_CHANGES": "CHANGES_REQUESTED",
    "COMMENT": "COMMENTED",
}
JobPermissions = Mapping[str, str] | Literal["read-all", "write-all"] | None
CheckSpec = str | tuple[str, int | None] | RequiredCheck


def _required(checks: Iterable[CheckSpec]) -> tuple[RequiredCheck, ...]:
    out: list[RequiredCheck] = []
    for check in checks:
        if isinstance(check, RequiredCheck):
            out.append(check)
        elif isinstance(check, str):
            out.append(RequiredCheck(check))
        else:
            out.append(RequiredCheck(check[0], check[1]))
    return tuple(out)


def default_spec_path() -> Path:
    return FIXTURES / SPEC_RELATIVE


def _bytes(changes: FileChanges) -> dict[str, bytes | None]:
    return {
        path: content.encode() if isinstance(content, str) else content
        for path, content in changes.items()
    }


class GitHubDouble:
    """A stateful stand-in for api.github.com on 127.0.0.1, checked against GitHub's
    OpenAPI description on every exchange."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        spec: OpenApiSpec | None = None,
        port: int = 0,
    ) -> None:
        self.clock: Clock = clock or TickingClock()
        self.state = GitHubState(self.clock)
        self.spec = spec or OpenApiSpec.load(default_spec_path())
        self._violations: list[str] = []
        self._server = DoubleHttpServer(
            lambda base: Dispatcher(self.state, self.spec, base, self._violations.append),
            port,
        )
        self.base_url = self._server.base_url
        self._dispatcher = self._server.dispatcher
        self.render = self._dispatcher.render
        self.webhooks = WebhookFactory(self.state, self.render)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> GitHubDouble:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> GitHubDouble:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- accounts ------------------------------------------------------------------------

    def add_user(
        self,
        login: str,
        *,
        kind: AccountKind = "User",
        name: str | None = None,
        token: str | None = None,
        can_read_org_members: bool | None = None,
    ) -> str:
        """Create an account and a token that authenticates as it; returns the token.

        Bots (a GITHUB_TOKEN) cannot read organisation membership unless told otherwise.
        """
        with self.state.lock:
            self.state.add_account(login, kind, name)
            value = token or f"ghs_{secrets.token_hex(18)}"
            can_read = kind == "User" if can_read_org_members is None else can_read_org_members
            self.state.tokens[value] = Token(value, login, can_read)
            return value

    def add_bot(self, login: str = ACTIONS_BOT, **kwargs: Any) -> str:
        return self.add_user(login, kind="Bot", **kwargs)

    def add_token(self, login: str, *, can_read_org_members: bool = True) -> str:
        """Another token for an existing account (e.g. a PAT next to a GITHUB_TOKEN)."""
        with self.state.lock:
            self.state.account(login)
            value = f"ghp_{secrets.token_hex(18)}"
            self.state.tokens[value] = Token(value, login, can_read_org_members)
            return value

    def add_job_token(self, repo: str, *, permissions: JobPermissions = None) -> str:
        """The GITHUB_TOKEN of one workflow job in `repo`: the `github-actions` App
        (id 15368), only this repository, and the job's `permissions:` map (`read-all`,
        `write-all`, or scopes such as `{"pull-requests": "write"}`; unnamed scopes are
        `none`; without a map, GitHub's restricted default `contents: read`). It can never
        hold `workflows`, and cannot read organisation membership.
        https://docs.github.com/en/actions/writing-workflows/choosing-what-your-workflow-does/controlling-permissions-for-github_token"""
        if permissions == "read-all" or permissions == "write-all":
            level = permissions.removesuffix("-all")
            granted = dict.fromkeys(JOB_SCOPES, level)
        else:
            granted = dict(RESTRICTED_DEFAULT if permissions is None else permissions)
        scoped = normalise(granted, JOB_SCOPES, "a GITHUB_TOKEN")
        with self.state.lock:
            target = self._repo(repo)
            if ACTIONS_BOT not in self.state.accounts:
                self.state.add_account(ACTIONS_BOT, "Bot")
            value = f"ghs_{secrets.token_hex(18)}"
            self.state.tokens[value] = Token(
                value,
                ACTIONS_BOT,
                can_read_org_members=False,
                kind="job",
                permissions=scoped,
                app_slug=ACTIONS_APP_SLUG,
                repos=frozenset({target.full_name.casefold()}),
            )
            return value

    def install_app(
        self,
        repos: str | Iterable[str],
        app_slug: str,
        app_id: int,
        *,
        permissions: Mapping[str, str],
        owner: str | None = None,
        name: str | None = None,
    ) -> str:
        """Register the team's own GitHub App (once) and install it on `repos`; returns an
        installation token with the installation's `permissions` (e.g. `checks: write`,
        `workflows: write`, `members: read`). Its bot account is `<slug>[bot]`; what it
        creates (check runs, comments) carries its own `app` (id, slug)."""
        repo_names = [repos] if isinstance(repos, str) else list(repos)
        granted = normalise(permissions, APP_SCOPES, f"the {app_slug} App")
        with self.state.lock:
            targets = [self._repo(r) for r in repo_names]
            app = self.state.apps.get(app_slug)
            if app is None:
                if any(a.id == app_id for a in self.state.apps.values()):
                    raise ValueError(f"app id {app_id} is taken")
                owner_login = owner or targets[0].owner.login
                app = App(app_id, app_slug, name or app_slug, owner_login, granted)
                self.state.apps[app_slug] = app
                self.state.add_account(app.bot_login, "Bot")
            elif app.id != app_id:
                raise ValueError(f"{app_slug} is app id {app.id}, not {app_id}")
            return self._app_token(app, targets, granted)

    def app_token(
        self,
        app_slug: str,
        repos: str | Iterable[str],
        *,
        permissions: Mapping[str, str] | None = None,
    ) -> str:
        """Another installation token of an installed App, optionally narrowed (as
        `actions/create-github-app-token`'s `permission-*` inputs narrow it)."""
        repo_names = [repos] if isinstance(repos, str) else list(repos)
        with self.state.lock:
            app = self.state.apps[app_slug]
            granted = dict(app.permissions)
            if permissions is not None:
                narrowed = normalise(permissions, APP_SCOPES, f"the {app_slug} App")
                for scope, level in narrowed.items():
                    if LEVELS[level] > LEVELS[granted.get(scope, "none")]:
                        raise ValueError(f"{app_slug} was not granted {scope}: {level}")
                granted = narrowed
            return self._app_token(app, [self._repo(r) for r in repo_names], granted)

    def _app_token(self, app: App, targets: list[Repo], granted: Mapping[str, str]) -> str:
        value = f"ghs_{secrets.token_hex(18)}"
        self.state.tokens[value] = Token(
            value,
            app.bot_login,
            can_read_org_members=LEVELS[granted.get("members", "none")] >= 1,
            kind="installation",
            permissions=dict(granted),
            app_slug=app.slug,
            repos=frozenset(t.full_name.casefold() for t in targets),
        )
        return value

    def app(self, app_slug: str) -> App:
        with self.state.lock:
            return self.state.apps[app_slug]

    def token_for(self, login: str) -> str:
        with self.state.lock:
            for token in self.state.tokens.values():
                if token.login == login:
                    return token.value
        raise KeyError(f"no token for {login!r}: create the account with add_user()")

    def create_org(self, login: str, members: Iterable[str] = ()) -> None:
        with self.state.lock:
            account = self.state.add_account(login, "Organization")
            org = Org(account=account)
            for member in members:
                self.state.account(member)
                org.members.add(member)
            self.state.orgs[login] = org

    def add_team(
        self,
        org: str,
        slug: str,
        members: Mapping[str, Literal["active", "pending"]] | Iterable[str] = (),
        *,
        name: str | None = None,
    ) -> None:
        """A team of `org`; `members` maps login -> membership state (or lists actives)."""
        with self.state.lock:
            owner = self._org(org)
            team = Team(slug=slug, name=name or slug, id=self.state.next_id("team"))
            owner.teams[slug] = team
            states: Mapping[str, Literal["active", "pending"]] = (
                members if isinstance(members, Mapping) else dict.fromkeys(members, "active")
            )
            for login, state in states.items():
                self.add_team_member(org, slug, login, state=state)

    def add_team_member(
        self,
        org: str,
        slug: str,
        login: str,
        *,
        role: Literal["member", "maintainer"] = "member",
        state: Literal["active", "pending"] = "active",
    ) -> None:
        with self.state.lock:
            self.state.account(login)
            team = self._org(org).teams.get(slug)
            if team is None:
                raise KeyError(f"unknown team {org}/{slug}: create it with add_team()")
            team.members[login] = TeamMember(role=role, state=state)
            if state == "active":
                self._org(org).members.add(login)

    def remove_team_member(self, org: str, slug: str, login: str) -> None:
        with self.state.lock:
            self._org(org).teams[slug].members.pop(login, None)

    def _org(self, login: str) -> Org:
        org = self.state.orgs.get(login)
        if org is None:
            raise KeyError(f"unknown organisation {login!r}: create it with create_org()")
        return org

    # -- repositories and git ------------------------------------------------------------

    def create_repo(
        self,
        full_name: str,
        *,
        private: bool = True,
        default_branch: str = "main",
        files: FileChanges | None = None,
        description: str | None = None,
        workflows: Iterable[str] = (),
    ) -> str:
        """A repository whose default branch holds `files`; returns the head sha."""
        owner_login, _, name = full_name.partition("/")
        if not name:
            raise ValueError(f"repository names look like 'owner/name', got {full_name!r}")
        with self.state.lock:
            if full_name.casefold() in self.state.repos:
                raise ValueError(f"repository {full_name!r} already exists")
            owner = self.state.account(owner_login)
            repo = Repo(
                owner=owner,
                name=name,
                id=self.state.next_id("repo"),
                private=private,
                default_branch=default_branch,
                created_at=self.clock.now(),
                description=description,
                workflows=set(workflows),
            )
            self.state.repos[full_name.casefold()] = repo
            commit = self.state.commit(
                repo, default_branch, _bytes(files or {}), "Initial commit", owner_login
            )
            return commit.sha

    def set_permission(self, repo: str, login: str, role: str) -> None:
        """Make `login` a collaborator with a role: read, triage, write, maintain, admin."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}; GitHub roles are {ROLES}")
        with self.state.lock:
            self.state.account(login)
            target = self._repo(repo)
            if role == "none":
                target.collaborators.pop(login, None)
            else:
                target.collaborators[login] = role

    def commit(
        self,
        repo: str,
        branch: str,
        files: FileChanges,
        *,
        message: str = "Update files",
        author: str | None = None,
        sha: str | None = None,
    ) -> str:
        """Commit `files` (None deletes) on `branch`, created from the default if new."""
        with self.state.lock:
            target = self._repo(repo)
            who = author or target.owner.login
            return self.state.commit(target, branch, _bytes(files), message, who, sha=sha).sha

    def add_ruleset(
        self,
        repo: str,
        *,
        required_checks: Iterable[CheckSpec],
        name: str = "protect the default branch",
        include: Iterable[str] = ("~DEFAULT_BRANCH",),
        exclude: Iterable[str] = (),
        strict: bool = False,
        enforcement: Literal["active", "evaluate", "disabled"] = "active",
    ) -> int:
        """A branch ruleset with a `required_status_checks` rule: entries are names,
        `(name, integration_id)` pairs or `RequiredCheck`s; `strict` is
        `strict_required_status_checks_policy`. Merges (API and human) are refused until
        each check's newest run on the head, from its App, passed. Returns the ruleset id.
        https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/managing-rulesets/available-rules-for-rulesets#require-status-checks-to-pass-before-merging"""
        with self.state.lock:
            target = self._repo(repo)
            ruleset = Ruleset(
                id=self.state.next_id("ruleset"),
                name=name,
                include=tuple(include),
                exclude=tuple(exclude),
                enforcement=enforcement,
                required_checks=_required(required_checks),
                strict=strict,
                created_at=self.clock.now(),
            )
            target.rulesets[ruleset.id] = ruleset
            return ruleset.id

    def protect_branch(
        self,
        repo: str,
        branch: str,
        *,
        required_checks: Iterable[CheckSpec],
        strict: bool = False,
    ) -> None:
        """Classic branch protection with required status checks (`checks[].app_id`)."""
        with self.state.lock:
            target = self._repo(repo)
            target.protections[branch] = BranchProtection(
                branch, _required(required_checks), strict
            )

    def create_branch(
        self,
        repo: str,
        branch: str,
        *,
        as_user: str,
        from_ref: str | None = None,
        files: FileChanges | None = None,
    ) -> str:
        """A branch pushed by `as_user` (needs write), from `from_ref` (default branch);
        any branch can then be a PR's base. Returns its head sha."""
        with self.state.lock:
            target = self._repo(repo)
            self._need_role(target, as_user, "write")
            if branch in target.branches:
                raise ValueError(f"branch {branch!r} already exists in {repo}")
            start = target.resolve_ref(from_ref or target.default_branch)
            if start is None:
                raise KeyError(f"unknown ref {from_ref!r} in {repo}")
            if not files:
                target.branches[branch] = start
                return start
            message = f"Create {branch}"
            commit = self.state.commit(
                target, branch, _bytes(files), message, as_user, parent=start
            )
            return commit.sha

    def _need_role(self, repo: Repo, login: str, role: str) -> None:
        """The same refusal the REST route gives a person without `role`."""
        self.state.account(login)
        if not repo.can(login, role):
            if not repo.can(login, "read"):
                raise ApiError(404, "Not Found")
            raise ApiError(403, "Must have push access to repository")

    def set_file(self, repo: str, branch: str, path: str, content: str | bytes) -> str:
        return self.commit(repo, branch, {path: content}, message=f"Update {path}")

    def branch_sha(self, repo: str, branch: str) -> str:
        with self.state.lock:
            return self._repo(repo).branches[branch]

    def _repo(self, full_name: str) -> Repo:
        return self.state.repo_for_tests(full_name)

    # -- pull requests ---------------------------------------------------------------------

    def create_pull(
        self,
        repo: str,
        author: str,
        *,
        head_ref: str,
        files: FileChanges,
        title: str = "Update the model",
        body: str | None = "",
        base_ref: str | None = None,
        head_sha: str | None = None,
        mergeable: bool | None = True,
        draft: bool = False,
    ) -> int:
        """Open a PR from a new branch `head_ref` that changes `files`; returns its number."""
        with self.state.lock:
            target = self._repo(repo)
            self.state.account(author)
            base = base_ref or target.default_branch
            base_sha = target.branches[base]
            if head_ref in target.branches:
                raise ValueError(f"branch {head_ref!r} already exists in {repo}")
            commit = self.state.commit(
                target, head_ref, _bytes(files), title, author, sha=head_sha, parent=base_sha
            )
            now = self.clock.now()
            number = max(target.issues, default=0) + 1
            target.issues[number] = Issue(
                number=number,
                id=self.state.next_id("issue"),
                title=title,
                body=body,
                author=author,
                created_at=now,
                updated_at=now,
                pull=PullData(
                    head_ref=head_ref,
                    base_ref=base,
                    head_sha=commit.sha,
                    base_sha=base_sha,
                    mergeable=mergeable,
                    draft=draft,
                    commits=[commit.sha],
                ),
            )
            return number

    def push(
        self,
        repo: str,
        number: int,
        files: FileChanges,
        *,
        message: str = "Address review",
        author: str | None = None,
        sha: str | None = None,
        force: bool = False,
        as_user: str | None = None,
    ) -> str:
        """A new head for PR `number` (a `committed` or `head_ref_force_pushed` event).

        `as_user` pushed it (default: the git `author`, default the PR author); the next
        `webhooks.pull_request(..., "synchronize")` names them as `sender`, with `before`
        and `after` from the recorded head history."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            who = author or as_user or issue.author
            if as_user is not None:
                self._need_role(target, as_user, "write")
            commit = self.state.push(
                target, issue, _bytes(files), message, who, sha=sha, force=force, pusher=as_user
            )
            return commit.sha

    def reset_head(self, repo: str, number: int, sha: str, *, as_user: str) -> str:
        """Force-push the PR's head branch to an existing commit (e.g. back to a head it
        had before): `head_ref_force_pushed` with `as_user` as actor."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            self._need_role(target, as_user, "write")
            self.state.reset_head(target, issue, sha, as_user)
            return sha

    def update_branch(self, repo: str, number: int, *, as_user: str) -> str:
        """The "Update branch" button: merge the base tip into the head."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            self._need_role(target, as_user, "write")
            return self.state.update_branch(target, issue, as_user).sha

    def retarget(self, repo: str, number: int, base: str, *, as_user: str) -> WebhookEvent:
        """Change the PR's base (the author or write access, as `PATCH .../pulls/{n}`);
        returns the `pull_request` `edited` event with `changes.base`."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            if as_user != issue.author:
                self._need_role(target, as_user, "write")
            old_ref, old_sha = self.state.retarget(target, issue, base, as_user)
        return self.webhooks.pull_request_edited(
            repo, number, sender=as_user, base_from=(old_ref, old_sha)
        )

    def merge(
        self,
        repo: str,
        number: int,
        *,
        as_user: str,
        sha: str | None = None,
        method: Literal["merge", "squash", "rebase"] = "merge",
    ) -> str:
        """A person pressing Merge: the same rules as `PUT .../merge` (write access,
        mergeable, head sha, rulesets and branch protection). Raises `ApiError` with
        GitHub's status and message when refused; returns the merge commit sha."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            self._need_role(target, as_user, "write")
            commit = self.state.merge(
                target, issue, as_user, sha=sha, method=method, title=None, message=None
            )
            return commit.sha

    def set_mergeable(self, repo: str, number: int, mergeable: bool | None) -> None:
        with self.state.lock:
            _, pull = self._repo(repo).pull(number)
            pull.mergeable = mergeable

    def close(self, repo: str, number: int, *, actor: str) -> None:
        with self.state.lock:
            issue = self._repo(repo).issue(number)
            self.state.set_state(issue, "closed", actor, None)

    # -- acting as people ------------------------------------------------------------------

    def create_issue(self, repo: str, author: str, *, title: str, body: str = "") -> int:
        with self.state.lock:
            target = self._repo(repo)
            now = self.clock.now()
            number = max(target.issues, default=0) + 1
            target.issues[number] = Issue(
                number=number,
                id=self.state.next_id("issue"),
                title=title,
                body=body,
                author=self.state.account(author).login,
                created_at=now,
                updated_at=now,
            )
            return number

    def comment_as(self, login: str, repo: str, number: int, body: str) -> int:
        """A comment by someone other than the bot (a human typing `/approve`)."""
        with self.state.lock:
            target = self._repo(repo)
            self.state.account(login)
            return self.state.add_comment(target, target.issue(number), body, login).id

    def edit_comment_as(self, login: str, repo: str, comment_id: int, body: str) -> None:
        """The author editing their own comment (kept for older tests; see edit_comment)."""
        with self.state.lock:
            comment = self._repo(repo).comments[comment_id]
            if comment.author != login:
                raise ValueError(f"{login} did not write comment {comment_id}")
            self.state.edit_comment(comment, body, login)

    def edit_comment(self, repo: str, comment_id: int, body: str, *, as_user: str) -> WebhookEvent:
        """`as_user` edits a comment: the author, or anyone with write access (as on
        GitHub, which answers the same through `PATCH .../issues/comments/{id}`). The edit
        is recorded (editor, time, previous body); returns the `issue_comment` `edited`
        event with `sender` = the editor and `changes.body.from`."""
        with self.state.lock:
            target = self._repo(repo)
            comment = target.comments[comment_id]
            if as_user != comment.author:
                self._need_role(target, as_user, "write")
            previous = self.state.edit_comment(comment, body, as_user)
        return self.webhooks.issue_comment(
            repo, comment_id, action="edited", previous_body=previous, sender=as_user
        )

    def delete_comment(self, repo: str, comment_id: int, *, as_user: str) -> WebhookEvent:
        """`as_user` deletes a comment (author, or write access); returns the
        `issue_comment` `deleted` event with `sender` = the deleter."""
        with self.state.lock:
            target = self._repo(repo)
            comment = target.comments[comment_id]
            if as_user != comment.author:
                self._need_role(target, as_user, "write")
            event = self.webhooks.issue_comment(repo, comment_id, action="deleted", sender=as_user)
            self.state.delete_comment(target, comment, as_user)
        return event

    def comment_edits(self, repo: str, comment_id: int) -> list[CommentEdit]:
        """Every recorded edit of a comment (also of a deleted one), oldest first."""
        with self.state.lock:
            target = self._repo(repo)
            comment = target.comments.get(comment_id)
            if comment is None:
                comment = target.deleted_comments[comment_id].comment
            return list(comment.edits)

    def deleted_comments(self, repo: str) -> dict[int, DeletedComment]:
        with self.state.lock:
            return dict(self._repo(repo).deleted_comments)

    def label_as(self, login: str, repo: str, number: int, *names: str) -> None:
        """Labels applied by a person in the UI: a `labeled` event with them as actor."""
        with self.state.lock:
            target = self._repo(repo)
            self.state.account(login)
            self.state.add_labels(target, target.issue(number), names, login)

    def unlabel_as(self, login: str, repo: str, number: int, name: str) -> None:
        with self.state.lock:
            target = self._repo(repo)
            self.state.remove_label(target, target.issue(number), name, login)

    def review_as(
        self, login: str, repo: str, number: int, state: ReviewState, body: str = ""
    ) -> int:
        with self.state.lock:
            target = self._repo(repo)
            issue, pull = target.pull(number)
            review = Review(
                id=self.state.next_id("review"),
                user=self.state.account(login).login,
                state=state,
                body=body,
                commit_id=pull.head_sha,
                submitted_at=self.clock.now(),
            )
            pull.reviews.append(review)
            self.state.record_event(issue, "reviewed", login, review_id=review.id)
            return review.id

    def submit_review(
        self,
        repo: str,
        number: int,
        *,
        as_user: str,
        event: ReviewEvent,
        body: str = "",
        commit_id: str | None = None,
    ) -> WebhookEvent:
        """A review as `POST .../reviews` makes it (no approving your own PR), bound to
        `commit_id` (default: the head now); returns `pull_request_review` `submitted`."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            self._need_role(target, as_user, "read")
            review = self.state.submit_review(
                target, issue, as_user, REVIEW_STATES[event], body, commit_id
            )
        return self.webhooks.pull_request_review(repo, number, review.id, "submitted")

    def dismiss_review(
        self, repo: str, number: int, review_id: int, *, as_user: str, message: str
    ) -> WebhookEvent:
        """Dismiss a review (write access); returns `pull_request_review` `dismissed`
        with `sender` = the dismisser. The timeline gets `review_dismissed`."""
        with self.state.lock:
            target = self._repo(repo)
            issue, pull = target.pull(number)
            self._need_role(target, as_user, "write")
            review = next(r for r in pull.reviews if r.id == review_id)
            self.state.dismiss_review(target, issue, review, as_user, message)
        return self.webhooks.pull_request_review(
            repo, number, review_id, "dismissed", sender=as_user
        )

    def allow_actions_to_approve(self, repo: str, allowed: bool = True) -> None:
        """The repository setting that lets a GITHUB_TOKEN approve PRs (off by default)."""
        with self.state.lock:
            self._repo(repo).actions_can_approve_reviews = allowed

    # -- actions ---------------------------------------------------------------------------

    def add_workflow_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        pull_number: int | None = None,
        event: str = "pull_request",
        workflow_file: str | None = None,
        status: str = "completed",
        conclusion: str | None = "success",
        actor: str | None = None,
    ) -> int:
        """A finished workflow run (what `workflow_run` events point at); returns its id."""
        with self.state.lock:
            target = self._repo(repo)
            if head_sha not in target.commits:
                raise KeyError(f"{head_sha} is not a commit of {repo}")
            branch = next((b for b, s in target.branches.items() if s == head_sha), "")
            if pull_number is not None:
                _, pull = target.pull(pull_number)
                branch = pull.head_ref
            file_name = workflow_file or name.lower().replace(" ", "-") + ".yml"
            run = WorkflowRun(
                id=self.state.next_id("run"),
                name=name,
                path=f".github/workflows/{file_name}",
                head_sha=head_sha,
                head_branch=branch,
                event=event,
                status=status,
                conclusion=conclusion,
                pull_numbers=[pull_number] if pull_number is not None else [],
                actor=actor or target.owner.login,
                created_at=self.clock.now(),
                run_number=len(target.runs) + 1,
            )
            target.runs[run.id] = run
            return run.id

    def add_artifact(
        self,
        repo: str,
        run_id: int,
        name: str,
        data: bytes,
        *,
        retention: timedelta = ARTIFACT_RETENTION,
    ) -> int:
        """Upload a zip's bytes as an artifact of a run; returns the artifact id."""
        with self.state.lock:
            target = self._repo(repo)
            run = target.runs[run_id]
            now = self.clock.now()
            artifact = Artifact(
                id=self.state.next_id("artifact"),
                name=name,
                data=data,
                run_id=run_id,
                head_sha=run.head_sha,
                head_branch=run.head_branch,
                created_at=now,
                expires_at=now + retention,
            )
            target.artifacts[artifact.id] = artifact
            run.artifacts.append(artifact.id)
            return artifact.id

    def expire_artifact(self, repo: str, artifact_id: int) -> None:
        with self.state.lock:
            self._repo(repo).artifacts[artifact_id].expired = True

    # -- faults ----------------------------------------------------------------------------

    def inject_fault(
        self,
        method: str,
        path: str,
        status: int,
        *,
        times: int = 1,
        message: str | None = None,
    ) -> None:
        """The next `times` requests matching method and path glob answer `status`."""
        self._add_fault(error_fault(method, path, status, times, message))

    def inject_secondary_rate_limit(
        self, method: str, path: str, *, times: int = 1, retry_after: int = 60
    ) -> None:
        self._add_fault(secondary_rate_limit_fault(method, path, times, retry_after))

    def inject_response(
        self,
        method: str,
        path: str,
        status: int,
        body: Any,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """A canned answer; it is still checked against the OpenAPI description."""
        self._add_fault(Fault(method, path, status, body, dict(headers or {}), times, True))

    def set_rate_limit_remaining(self, login: str, remaining: int) -> None:
        with self.state.lock:
            self._dispatcher.rates.set_remaining(login, remaining, self.clock.now())

    def _add_fault(self, fault: Fault) -> None:
        with self.state.lock:
            self._dispatcher.faults.add(fault)

    # -- observations ----------------------------------------------------------------------

    @property
    def routed_operations(self) -> frozenset[str]:
        """The OpenAPI operationIds the double answers."""
        return frozenset(self._dispatcher.routes)

    @property
    def calls(self) -> list[Call]:
        with self.state.lock:
            return list(self._dispatcher.calls)

    def calls_to(self, method: str, path: str) -> list[Call]:
        """Recorded calls whose method matches (`*` for any) and whose path fits the glob."""
        return [
            c
            for c in self.calls
            if (method == "*" or c.method == method.upper()) and fnmatch.fnmatchcase(c.path, path)
        ]

    def clear_calls(self) -> None:
        with self.state.lock:
            self._dispatcher.calls.clear()

    @property
    def violations(self) -> list[str]:
        with self.state.lock:
            return list(self._violations)

    def take_violations(self) -> list[str]:
        """Hand over (and forget) the violations a test provoked on purpose."""
        with self.state.lock:
            taken = list(self._violations)
            self._violations.clear()
            return taken

    def assert_no_violations(self) -> None:
        found = self.take_violations()
        if found:
            listing = "\n  ".join(found)
            raise SpecViolation(f"the GitHub double broke GitHub's contract:\n  {listing}")

    def labels(self, repo: str, number: int) -> list[str]:
        with self.state.lock:
            return [label.name for label in self._repo(repo).issue(number).labels]

    def comments(self, repo: str, number: int) -> list[tuple[str, str]]:
        """(author, body) of each comment on the issue or PR, oldest first."""
        with self.state.lock:
            found = [c for c in self._repo(repo).comments.values() if c.issue_number == number]
            return [(c.author, c.body) for c in sorted(found, key=lambda c: c.id)]

    def events(self, repo: str, number: int) -> list[tuple[str, str | None, str | None]]:
        """(event, actor, label name) for the issue's history, timeline entries included."""
        with self.state.lock:
            issue = self._repo(repo).issue(number)
            return [(e.event, e.actor, e.label.name if e.label else None) for e in issue.events]

    def pull(self, repo: str, number: int) -> JSON:
        """The PR as `GET /pulls/{n}` would draw it."""
        with self.state.lock:
            target = self._repo(repo)
            issue, _ = target.pull(number)
            return self.render.pull(target, issue)

    def check_runs(self, repo: str) -> list[JSON]:
        with self.state.lock:
            target = self._repo(repo)
            return [self.render.check_run(target, run) for run in target.check_runs.values()]

    def statuses(self, repo: str) -> list[JSON]:
        with self.state.lock:
            target = self._repo(repo)
            return [self.render.status(target, s) for s in target.statuses]

    def dispatches(self, repo: str) -> list[Dispatch]:
        with self.state.lock:
            return list(self._repo(repo).dispatches)

    def file_at(self, repo: str, ref: str, path: str) -> bytes | None:
        with self.state.lock:
            target = self._repo(repo)
            sha = target.resolve_ref(ref)
            if sha is None:
                raise KeyError(f"unknown ref {ref!r} in {repo}")
            return target.commits[sha].tree.get(path)

    # -- clients ---------------------------------------------------------------------------

    def client(self, login: str, *, lazy: bool = False, per_page: int = 30) -> Github:
        """A real PyGithub client for `login`, without retries or client-side throttling
        (PyGithub sleeps between writes by default, which would only slow tests)."""
        return self.client_for_token(self.token_for(login), lazy=lazy, per_page=per_page)

    def client_for_token(self, token: str, *, lazy: bool = False, per_page: int = 30) -> Github:
        """A real PyGithub client for a token from add_job_token/install_app/add_token."""
        return Github(
            auth=Auth.Token(token),
            base_url=self.base_url,
            retry=None,
            timeout=10,
            per_page=per_page,
            seconds_between_requests=None,
            seconds_between_writes=None,
            lazy=lazy,
        )


__all__ = ["ACTIONS_BOT", "GitHubDouble", "GitHubState"]

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What the double's GitHub knows: accounts, teams, repositories and their history.

Mutations that both the HTTP routes and the test controls perform (adding a label,
commenting, pushing, merging) live here once, so a label added by a simulated human and
a label added by the bot through the API leave the same trace (issue events, timeline).
Callers hold `GitHubState.lock` around every read and write.
"""

from __future__ import annotations

import base64
import difflib
import fnmatch
import hashlib
import itertools
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from demo.github_double.errors import (
    CANNOT_APPROVE_OWN,
    CANNOT_DISMISS,
    CANNOT_REQUEST_CHANGES_OWN,
    HEAD_MODIFIED,
    LABEL_DOES_NOT_EXIST,
    NOT_MERGEABLE,
    REQUIRED_CHECK_EXPECTED,
    REQUIRED_CHECKS_EXPECTED,
    RULE_VIOLATIONS,
    UNPROCESSABLE,
    ApiError,
    not_found,
    validation_failed,
)

AccountKind = Literal["User", "Bot", "Organization"]
ROLES = ("none", "read", "triage", "write", "maintain", "admin")
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
IMPLICIT_LABEL_COLOR = "ededed"
LABEL_NAME_MAX = 50
COMMENT_BODY_MAX = 65536
LABEL_TOO_LONG = "name is too long (maximum is 50 characters)"
BODY_TOO_LONG = "Body is too long (maximum is 65536 characters)"
LABEL_EXISTS = "already_exists"
DEFAULT_START = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
# A required check counts as passed with these conclusions (GitHub docs, "About status
# checks": https://docs.github.com/en/pull-requests/collaborating-with-pull-requests/collaborating-on-repositories-with-code-quality-features/about-status-checks#check-statuses-and-conclusions)
PASSING_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})


class Clock(Protocol):
    """Where every timestamp comes from; tests inject one to get stable times."""

    def now(self) -> datetime: ...


@dataclass
class TickingClock:
    """Deterministic time: each reading is `step` later than the previous one."""

    current: datetime = DEFAULT_START
    step: timedelta = timedelta(seconds=1)

    def now(self) -> datetime:
        value = self.current
        self.current = self.current + self.step
        return value

    def advance(self, delta: timedelta) -> None:
        self.current = self.current + delta


def git_blob_sha(content: bytes) -> str:
    """The sha git gives a blob, so `sha` fields look like GitHub's."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def node_id(kind: str, number: int) -> str:
    encoded = base64.b64encode(f"{kind}:{number}".encode()).decode().rstrip("=")
    return f"{kind}_kw{encoded}"


@dataclass
class Account:
    login: str
    id: int
    kind: AccountKind
    name: str | None = None
    email: str | None = None


@dataclass
class TeamMember:
    role: Literal["member", "maintainer"] = "member"
    state: Literal["active", "pending"] = "active"


@dataclass
class Team:
    slug: str
    name: str
    id: int
    members: dict[str, TeamMember] = field(default_factory=dict)


@dataclass
class Org:
    account: Account
    members: set[str] = field(default_factory=set)
    teams: dict[str, Team] = field(default_factory=dict)


ACTIONS_APP_ID = 15368
ACTIONS_APP_SLUG = "github-actions"
ACTIONS_BOT_LOGIN = "github-actions[bot]"
TokenKind = Literal["user", "legacy", "job", "installation"]


@dataclass(frozen=True)
class App:
    """A GitHub App: `github-actions` (every GITHUB_TOKEN) or one a team registered."""

    id: int
    slug: str
    name: str
    owner: str
    permissions: Mapping[str, str]
    events: tuple[str, ...] = ()

    @property
    def bot_login(self) -> str:
        return f"{self.slug}[bot]"


@dataclass
class Token:
    """A credential. `permissions` is None for role-based tokens (a person's PAT, and the
    double's historical bot tokens); a GITHUB_TOKEN of one job or an App installation
    token carries a permission map and reaches only `repos` (casefolded full names)."""

    value: str
    login: str
    # GITHUB_TOKEN cannot read organisation membership; a PAT or App token with
    # `members: read` can. Tests pick which kind the bot was given.
    can_read_org_members: bool = True
    kind: TokenKind = "user"
    permissions: Mapping[str, str] | None = None
    app_slug: str | None = None
    repos: frozenset[str] | None = None

    def reaches(self, repo: Repo) -> bool:
        return self.repos is None or repo.full_name.casefold() in self.repos


@dataclass
class Commit:
    sha: str
    message: str
    author: str
    tree: dict[str, bytes]
    parents: tuple[str, ...]
    created_at: datetime


@dataclass
class Label:
    id: int
    name: str
    color: str
    description: str | None = None
    default: bool = False


@dataclass
class Reaction:
    id: int
    user: str
    content: str
    created_at: datetime


@dataclass(frozen=True)
class CommentEdit:
    """One revision of a comment body: who made it, when, and the text before and after."""

    editor: str
    edited_at: datetime
    previous_body: str
    body: str


@dataclass
class Comment:
    id: int
    issue_number: int
    author: str
    body: str
    created_at: datetime
    updated_at: datetime
    reactions: list[Reaction] = field(default_factory=list)
    edits: list[CommentEdit] = field(default_factory=list)


@dataclass(frozen=True)
class DeletedComment:
    comment: Comment
    deleted_by: str
    deleted_at: datetime


@dataclass
class IssueEvent:
    """One entry of the issue's history; `commented`/`committed` are timeline-only."""

    id: int
    event: str
    actor: str | None
    created_at: datetime
    label: Label | None = None
    commit_id: str | None = None
    comment_id: int | None = None
    review_id: int | None = None
    # base_ref_changed: the base before and after
    from_ref: str | None = None
    to_ref: str | None = None

    TIMELINE_ONLY = frozenset({"commented", "committed", "reviewed"})


@dataclass
class PullFile:
    filename: str
    status: Literal["added", "modified", "removed"]
    additions: int
    deletions: int
    patch: str
    sha: str


@dataclass
class Review:
    id: int
    user: str
    state: Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]
    body: str
    commit_id: str
    submitted_at: datetime
    dismissed_by: str | None = None
    dismissed_at: datetime | None = None
    dismissal_message: str | None = None
    state_before_dismissal: str | None = None


@dataclass(frozen=True)
class HeadChange:
    """The PR head moved from `before` to `after` because `actor` pushed (or force-pushed)."""

    before: str
    after: str
    actor: str
    forced: bool
    at: datetime


@dataclass
class PullData:
    head_ref: str
    base_ref: str
    head_sha: str
    base_sha: str
    mergeable: bool | None = True
    draft: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    commits: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    head_changes: list[HeadChange] = field(default_factory=list)


@dataclass
class Issue:
    number: int
    id: int
    title: str
    body: str | None
    author: str
    created_at: datetime
    updated_at: datetime
    state: Literal["open", "closed"] = "open"
    state_reason: str | None = None
    labels: list[Label] = field(default_factory=list)
    closed_at: datetime | None = None
    closed_by: str | None = None
    locked: bool = False
    events: list[IssueEvent] = field(default_factory=list)
    pull: PullData | None = None

    def label_named(self, name: str) -> Label | None:
        wanted = name.casefold()
        return next((lab for lab in self.labels if lab.name.casefold() == wanted), None)


@dataclass
class CheckRun:
    id: int
    head_sha: str
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    output: dict[str, str | None]
    details_url: str | None
    external_id: str | None
    app_owner: str
    check_suite_id: int
    annotations_count: int = 0
    app_id: int = ACTIONS_APP_ID


@dataclass
class CheckSuite:
    """One per (app, head_sha), made when the app's first run on that commit arrives."""

    id: int
    app_id: int
    head_sha: str
    head_branch: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RequiredCheck:
    """A `required_status_checks` entry: the check name and, if set, the App that must
    have reported it (`integration_id`); None accepts any source."""

    context: str
    integration_id: int | None = None


@dataclass
class Ruleset:
    """A repository ruleset targeting branches, with a `required_status_checks` rule."""

    id: int
    name: str
    include: tuple[str, ...] = ("~DEFAULT_BRANCH",)
    exclude: tuple[str, ...] = ()
    enforcement: Literal["active", "evaluate", "disabled"] = "active"
    required_checks: tuple[RequiredCheck, ...] = ()
    strict: bool = False
    created_at: datetime | None = None

    def applies_to(self, repo: Repo, branch: str) -> bool:
        def hit(pattern: str) -> bool:
            if pattern == "~ALL":
                return True
            if pattern == "~DEFAULT_BRANCH":
                return branch == repo.default_branch
            return fnmatch.fnmatchcase(f"refs/heads/{branch}", pattern)

        if self.enforcement != "active":
            return False
        return any(hit(p) for p in self.include) and not any(hit(p) for p in self.exclude)


@dataclass
class BranchProtection:
    """Classic branch protection with required status checks (`strict`: up to date)."""

    branch: str
    required_checks: tuple[RequiredCheck, ...] = ()
    strict: bool = False


@dataclass
class CommitStatus:
    id: int
    sha: str
    state: str
    context: str
    description: str | None
    target_url: str | None
    creator: str
    created_at: datetime
    updated_at: datetime


@dataclass
class Artifact:
    id: int
    name: str
    data: bytes
    run_id: int
    head_sha: str
    head_branch: str
    created_at: datetime
    expires_at: datetime
    expired: bool = False


@dataclass
class WorkflowRun:
    id: int
    name: str
    path: str
    head_sha: str
    head_branch: str
    event: str
    status: str
    conclusion: str | None
    pull_numbers: list[int]
    actor: str
    created_at: datetime
    run_number: int
    artifacts: list[int] = field(default_factory=list)


@dataclass
class Dispatch:
    """A `workflow_dispatch` or `repository_dispatch` the bot asked for."""

    kind: Literal["workflow_dispatch", "repository_dispatch"]
    actor: str
    at: datetime
    workflow: str | None = None
    ref: str | None = None
    inputs: dict[str, object] = field(default_factory=dict)
    event_type: str | None = None
    client_payload: dict[str, object] = field(default_factory=dict)


@dataclass
class Repo:
    owner: Account
    name: str
    id: int
    private: bool
    default_branch: str
    created_at: datetime
    description: str | None = None
    collaborators: dict[str, str] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    issues: dict[int, Issue] = field(default_factory=dict)
    comments: dict[int, Comment] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    commits: dict[str, Commit] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    check_suites: dict[int, CheckSuite] = field(default_factory=dict)
    rulesets: dict[int, Ruleset] = field(default_factory=dict)
    protections: dict[str, BranchProtection] = field(default_factory=dict)
    deleted_comments: dict[int, DeletedComment] = field(default_factory=dict)
    statuses: list[CommitStatus] = field(default_factory=list)
    runs: dict[int, WorkflowRun] = field(default_factory=dict)
    artifacts: dict[int, Artifact] = field(default_factory=dict)
    dispatches: list[Dispatch] = field(default_factory=list)
    workflows: set[str] = field(default_factory=set)
    # "Allow GitHub Actions to create and approve pull requests" (off by default):
    # https://docs.github.com/en/repositories/managing-your-repositorys-settings-and-features/enabling-features-for-your-repository/managing-github-actions-settings-for-a-repository#preventing-github-actions-from-creating-or-approving-pull-requests
    actions_can_approve_reviews: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def role_of(self, login: str) -> str:
        if login == self.owner.login:
            return "admin"
        if login in self.collaborators:
            return self.collaborators[login]
        return "none" if self.private else "read"

    def can(self, login: str, role: str) -> bool:
        return ROLES.index(self.role_of(login)) >= ROLES.index(role)

    def resolve_ref(self, ref: str) -> str | None:
        """Branch name, `heads/x`, `refs/heads/x` or a commit sha -> commit sha."""
        name = ref.removeprefix("refs/").removeprefix("heads/")
        if name in self.branches:
            return self.branches[name]
        if ref in self.commits:
            return ref
        matches = [sha for sha in self.commits if len(ref) >= 7 and sha.startswith(ref)]
        return matches[0] if len(matches) == 1 else None

    def label_named(self, name: str) -> Label | None:
        return self.labels.get(name.casefold())

    def issue(self, number: int) -> Issue:
        found = self.issues.get(number)
        if found is None:
            raise not_found()
        return found

    def pull(self, number: int) -> tuple[Issue, PullData]:
        issue = self.issues.get(number)
        if issue is None or issue.pull is None:
            raise not_found()
        return issue, issue.pull


class GitHubState:
    """All repositories, accounts and tokens of one double, behind one lock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}
        self.orgs: dict[str, Org] = {}
        self.repos: dict[str, Repo] = {}
        self._ids: dict[str, itertools.count[int]] = {}
        self._sha_counter = itertools.count(1)
        self.apps: dict[str, App] = {
            ACTIONS_APP_SLUG: App(
                id=ACTIONS_APP_ID,
                slug=ACTIONS_APP_SLUG,
                name="GitHub Actions",
                owner="github",
                permissions={"checks": "write", "issues": "write", "pull_requests": "write"},
                events=("check_run", "issue_comment", "pull_request", "workflow_run"),
            )
        }

    # -- identities ----------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        starts = {"account": 1000, "repo": 500000, "issue": 2000000, "comment": 3000000}
        counter = self._ids.setdefault(kind, itertools.count(starts.get(kind, 9000000) + 1))
        return next(counter)

    def account(self, login: str) -> Account:
        found = self.accounts.get(login)
        if found is None:
            raise KeyError(f"unknown account {login!r}: create it with add_user() first")
        return found

    def add_account(self, login: str, kind: AccountKind, name: str | None = None) -> Account:
        if login in self.accounts:
            raise ValueError(f"account {login!r} already exists")
        account = Account(login=login, id=self.next_id("account"), kind=kind, name=name)
        self.accounts[login] = account
        return account

    def app_of_login(self, login: str) -> App | None:
        """The App an account is the bot of; the double's older bot accounts (any `Bot`
        without a registered App) act as `github-actions`, as a GITHUB_TOKEN does."""
        for app in self.apps.values():
            if app.bot_login == login:
                return app
        account = self.accounts.get(login)
        if account is not None and account.kind == "Bot":
            return self.apps[ACTIONS_APP_SLUG]
        return None

    def app_of_token(self, token: Token) -> App | None:
        if token.app_slug is not None:
            return self.apps[token.app_slug]
        return self.app_of_login(token.login)

    def app_by_id(self, app_id: int) -> App:
        return next(app for app in self.apps.values() if app.id == app_id)

    def repo(self, owner: str, name: str) -> Repo:
        found = self.repos.get(f"{owner}/{name}".casefold())
        if found is None:
            raise not_found()
        return found

    def repo_for_tests(self, full_name: str) -> Repo:
        found = self.repos.get(full_name.casefold())
        if found is None:
            raise KeyError(f"unknown repository {full_name!r}: create it with create_repo()")
        return found

    # -- git ------------------------------------------------------------------------------

    def commit(
        self,
        repo: Repo,
        branch: str,
        changes: Mapping[str, bytes | None],
        message: str,
        author: str,
        *,
        sha: str | None = None,
        parent: str | None = None,
    ) -> Commit:
        """Add a commit on `branch` (created from the default branch if new) and move it."""
        if parent is None:
            parent = repo.branches.get(branch, repo.branches.get(repo.default_branch))
        tree = dict(repo.commits[parent].tree) if parent else {}
        for path, content in changes.items():
            if content is None:
                tree.pop(path, None)
            else:
                tree[path] = content
        if sha is None:
            seed = f"{repo.full_name}\0{branch}\0{message}\0{next(self._sha_counter)}"
            sha = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()
        if sha in repo.commits:
            raise ValueError(f"commit {sha} already exists in {repo.full_name}")
        commit = Commit(
            sha=sha,
            message=message,
            author=author,
            tree=tree,
            parents=(parent,) if parent else (),
            created_at=self.clock.now(),
        )
        repo.commits[sha] = commit
        repo.branches[branch] = sha
        return commit

    def pull_files(self, repo: Repo, pull: PullData) -> list[PullFile]:
        """The PR's diff: head tree against the merge base (the base sha it started from)."""
        base = repo.commits[pull.base_sha].tree
        head = repo.commits[pull.head_sha].tree
        files: list[PullFile] = []
        for path in sorted(set(base) | set(head)):
            old, new = base.get(path), head.get(path)
            if old == new:
                continue
            status: Literal["added", "modified", "removed"]
            if old is None:
                status = "added"
            elif new is None:
                status = "removed"
            else:
                status = "modified"
            before = (old or b"").decode("utf-8", "replace").splitlines()
            after = (new or b"").decode("utf-8", "replace").splitlines()
            diff = list(difflib.unified_diff(before, after, lineterm="", n=3))[2:]
            additions = sum(1 for line in diff if line.startswith("+"))
            deletions = sum(1 for line in diff if line.startswith("-"))
            files.append(
                PullFile(
                    filename=path,
                    status=status,
                    additions=additions,
                    deletions=deletions,
                    patch="\n".join(diff),
                    sha=git_blob_sha(new if new is not None else b""),
                )
            )
        return files

    # -- issue history --------------------------------------------------------------------

    def record_event(self, issue: Issue, event: str, actor: str | None, **extra: object) -> None:
        entry = IssueEvent(
            id=self.next_id("event"),
            event=event,
            actor=actor,
            created_at=self.clock.now(),
        )
        for key, value in extra.items():
            setattr(entry, key, value)
        issue.events.append(entry)

    def ensure_label(self, repo: Repo, name: str) -> Label:
        """The repository label by that name; GitHub creates unknown ones on first use."""
        if len(name) > LABEL_NAME_MAX:
            raise validation_failed("Label", "name", "invalid", LABEL_TOO_LONG)
        if not name.strip():
            raise validation_failed("Label", "name", "missing_field", "name can't be blank")
        label = repo.label_named(name)
        if label is None:
            label = Label(id=self.next_id("label"), name=name, color=IMPLICIT_LABEL_COLOR)
            repo.labels[name.casefold()] = label
        return label

    def create_label(
        self, repo: Repo, name: str, color: str | None, description: str | None
    ) -> Label:
        if repo.label_named(name) is not None:
            raise validation_failed("Label", "name", LABEL_EXISTS, "name already exists")
        if color is not None and not _is_hex_color(color):
            raise validation_failed("Label", "color", "invalid", f"{color!r} is not a valid color")
        label = self.ensure_label(repo, name)
        label.color = (color or IMPLICIT_LABEL_COLOR).lower()
        label.description = description
        return label

    def add_labels(self, repo: Repo, issue: Issue, names: Iterable[str], actor: str) -> None:
        labels = [self.ensure_label(repo, name) for name in names]
        for label in labels:
            if issue.label_named(label.name) is None:
                issue.labels.append(label)
                self.record_event(issue, "labeled", actor, label=label)
        issue.updated_at = self.clock.now()

    def remove_label(self, repo: Repo, issue: Issue, name: str, actor: str) -> None:
        label = issue.label_named(name)
        if label is None:
            raise ApiError(404, LABEL_DOES_NOT_EXIST)
        issue.labels.remove(label)
        self.record_event(issue, "unlabeled", actor, label=label)
        issue.updated_at = self.clock.now()

    def set_labels(self, repo: Repo, issue: Issue, names: Iterable[str], actor: str) -> None:
        wanted = [self.ensure_label(repo, name) for name in names]
        keep = {label.name.casefold() for label in wanted}
        for label in list(issue.labels):
            if label.name.casefold() not in keep:
                self.remove_label(repo, issue, label.name, actor)
        self.add_labels(repo, issue, [label.name for label in wanted], actor)

    def add_comment(self, repo: Repo, issue: Issue, body: str, author: str) -> Comment:
        check_body(body)
        now = self.clock.now()
        comment = Comment(
            id=self.next_id("comment"),
            issue_number=issue.number,
            author=author,
            body=body,
            created_at=now,
            updated_at=now,
        )
        repo.comments[comment.id] = comment
        self.record_event(issue, "commented", author, comment_id=comment.id)
        issue.updated_at = now
        return comment

    def edit_comment(self, comment: Comment, body: str, editor: str) -> str:
        """Replace the body, keep the revision (who, when, before); returns the old body."""
        check_body(body)
        previous = comment.body
        now = self.clock.now()
        comment.edits.append(CommentEdit(editor, now, previous, body))
        comment.body = body
        comment.updated_at = now
        return previous

    def delete_comment(self, repo: Repo, comment: Comment, deleted_by: str) -> None:
        del repo.comments[comment.id]
        repo.deleted_comments[comment.id] = DeletedComment(comment, deleted_by, self.clock.now())
        issue = repo.issues[comment.issue_number]
        issue.events = [e for e in issue.events if e.comment_id != comment.id]

    def set_state(self, issue: Issue, state: str, actor: str, reason: str | None) -> None:
        if state == issue.state:
            return
        now = self.clock.now()
        if state == "closed":
            issue.state, issue.closed_at, issue.closed_by = "closed", now, actor
            issue.state_reason = reason or "completed"
            self.record_event(issue, "closed", actor)
        else:
            issue.state, issue.closed_at, issue.closed_by = "open", None, None
            issue.state_reason = "reopened"
            self.record_event(issue, "reopened", actor)
        issue.updated_at = now

    # -- pull requests ---------------------------------------------------------------------

    def push(
        self,
        repo: Repo,
        issue: Issue,
        changes: Mapping[str, bytes | None],
        message: str,
        author: str,
        *,
        sha: str | None,
        force: bool,
        pusher: str | None = None,
    ) -> Commit:
        """A new head for the PR: `committed` on the timeline, or `head_ref_force_pushed`.

        `author` is the git author; `pusher` (default: the author) is who pushed, the
        `sender` of `synchronize` and the actor of a force push."""
        assert issue.pull is not None
        pull = issue.pull
        who = pusher or author
        parent = pull.base_sha if force else pull.head_sha
        before = pull.head_sha
        commit = self.commit(repo, pull.head_ref, changes, message, author, sha=sha, parent=parent)
        if force:
            pull.commits = [commit.sha]
            self.record_event(issue, "head_ref_force_pushed", who, commit_id=commit.sha)
        else:
            pull.commits.append(commit.sha)
            self.record_event(issue, "committed", author, commit_id=commit.sha)
        pull.head_sha = commit.sha
        now = self.clock.now()
        pull.head_changes.append(HeadChange(before, commit.sha, who, force, now))
        issue.updated_at = now
        return commit

    def reset_head(self, repo: Repo, issue: Issue, sha: str, pusher: str) -> None:
        """Force-push the head branch to an existing commit (e.g. back to an earlier head)."""
        assert issue.pull is not None
        pull = issue.pull
        if sha not in repo.commits:
            raise KeyError(f"{sha} is not a commit of {repo.full_name}")
        before = pull.head_sha
        repo.branches[pull.head_ref] = sha
        pull.head_sha = sha
        pull.commits = self.history_since(repo, sha, pull.base_sha)
        self.record_event(issue, "head_ref_force_pushed", pusher, commit_id=sha)
        now = self.clock.now()
        pull.head_changes.append(HeadChange(before, sha, pusher, True, now))
        issue.updated_at = now

    def history_since(self, repo: Repo, head: str, base: str) -> list[str]:
        """Commits reachable from `head` and not from `base`, oldest first."""
        stop = self.ancestors(repo, base)
        found: list[str] = []
        pending = [head]
        while pending:
            sha = pending.pop()
            if sha in stop or sha in found:
                continue
            found.append(sha)
            pending.extend(repo.commits[sha].parents)
        return sorted(found, key=lambda s: repo.commits[s].created_at)

    @staticmethod
    def ancestors(repo: Repo, sha: str) -> set[str]:
        seen: set[str] = set()
        pending = [sha]
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            pending.extend(repo.commits[current].parents)
        return seen

    def is_behind(self, repo: Repo, pull: PullData) -> bool:
        """The base branch has commits the head lacks (GitHub's `mergeable_state: behind`)."""
        return repo.branches[pull.base_ref] not in self.ancestors(repo, pull.head_sha)

    def update_branch(self, repo: Repo, issue: Issue, actor: str) -> Commit:
        """GitHub's "Update branch": merge the base tip into the head branch."""
        assert issue.pull is not None
        pull = issue.pull
        base_tip = repo.branches[pull.base_ref]
        head = repo.commits[pull.head_sha]
        ours = {f.filename: head.tree.get(f.filename) for f in self.pull_files(repo, pull)}
        message = f"Merge branch '{pull.base_ref}' into {pull.head_ref}"
        merged = self.commit(repo, pull.head_ref, ours, message, actor, parent=base_tip)
        merged.parents = (pull.head_sha, base_tip)
        before = pull.head_sha
        pull.commits.append(merged.sha)
        pull.head_sha = merged.sha
        pull.base_sha = base_tip
        self.record_event(issue, "committed", actor, commit_id=merged.sha)
        now = self.clock.now()
        pull.head_changes.append(HeadChange(before, merged.sha, actor, False, now))
        issue.updated_at = now
        return merged

    def retarget(self, repo: Repo, issue: Issue, base: str, actor: str) -> tuple[str, str]:
        """Change the PR's base branch; returns the old (ref, sha)."""
        assert issue.pull is not None
        pull = issue.pull
        if base not in repo.branches:
            text = f"Proposed base branch '{base}' was not found"
            raise validation_failed("PullRequest", "base", "invalid", text)
        old = (pull.base_ref, pull.base_sha)
        pull.base_ref, pull.base_sha = base, repo.branches[base]
        self.record_event(issue, "base_ref_changed", actor, from_ref=old[0], to_ref=base)
        issue.updated_at = self.clock.now()
        return old

    # -- checks ----------------------------------------------------------------------------

    def suite_for(self, repo: Repo, app: App, sha: str) -> CheckSuite:
        """The check suite of (app, head_sha), made on first use."""
        for suite in repo.check_suites.values():
            if suite.app_id == app.id and suite.head_sha == sha:
                return suite
        now = self.clock.now()
        branch = next((b for b, s in repo.branches.items() if s == sha), None)
        suite = CheckSuite(self.next_id("check_suite"), app.id, sha, branch, now, now)
        repo.check_suites[suite.id] = suite
        return suite

    def required_checks(self, repo: Repo, branch: str) -> list[tuple[RequiredCheck, bool, str]]:
        """Every required check on `branch`: (check, strict, source) with source
        `ruleset` or `protection`."""
        found: list[tuple[RequiredCheck, bool, str]] = []
        for ruleset in repo.rulesets.values():
            if ruleset.applies_to(repo, branch):
                found += [(check, ruleset.strict, "ruleset") for check in ruleset.required_checks]
        protection = repo.protections.get(branch)
        if protection is not None:
            found += [(c, protection.strict, "protection") for c in protection.required_checks]
        return found

    def check_passes(self, repo: Repo, sha: str, check: RequiredCheck) -> bool:
        """The newest run of that name on `sha` from the required App (any App when
        `integration_id` is None) concluded success, neutral or skipped; or, for a
        source-less requirement, the newest commit status of that context is success."""
        runs = [
            run
            for run in repo.check_runs.values()
            if run.head_sha == sha
            and run.name == check.context
            and (check.integration_id is None or run.app_id == check.integration_id)
        ]
        if runs:
            newest = max(runs, key=lambda run: run.id)
            return newest.status == "completed" and newest.conclusion in PASSING_CONCLUSIONS
        statuses = [
            status
            for status in repo.statuses
            if status.sha == sha
            and status.context == check.context
            and (
                check.integration_id is None
                or getattr(self.app_of_login(status.creator), "id", None) == check.integration_id
            )
        ]
        return bool(statuses) and statuses[-1].state == "success"

    def merge_blockers(self, repo: Repo, issue: Issue) -> ApiError | None:
        """GitHub's refusal for merging this PR into its base now, or None."""
        assert issue.pull is not None
        pull = issue.pull
        required = self.required_checks(repo, pull.base_ref)
        if not required:
            return None
        behind = self.is_behind(repo, pull)
        failing = [
            (check, source)
            for check, strict, source in required
            if (strict and behind) or not self.check_passes(repo, pull.head_sha, check)
        ]
        if not failing:
            return None
        names = list(dict.fromkeys(check.context for check, _ in failing))
        total = len({check.context for check, _, _ in required})
        if len(names) == 1:
            detail = REQUIRED_CHECK_EXPECTED.format(context=names[0])
        else:
            detail = REQUIRED_CHECKS_EXPECTED.format(missing=len(names), total=total)
        if any(source == "ruleset" for _, source in failing):
            return ApiError(405, RULE_VIOLATIONS.format(detail=detail))
        return ApiError(405, detail)

    # -- reviews ---------------------------------------------------------------------------

    def submit_review(
        self, repo: Repo, issue: Issue, user: str, state: str, body: str, commit_id: str | None
    ) -> Review:
        """A submitted review bound to the head it was given on (`commit_id`)."""
        assert issue.pull is not None
        pull = issue.pull
        if user == issue.author and state in ("APPROVED", "CHANGES_REQUESTED"):
            text = CANNOT_APPROVE_OWN if state == "APPROVED" else CANNOT_REQUEST_CHANGES_OWN
            raise ApiError(422, UNPROCESSABLE, errors=[text])
        review = Review(
            id=self.next_id("review"),
            user=user,
            state=state,  # type: ignore[arg-type]
            body=body,
            commit_id=commit_id or pull.head_sha,
            submitted_at=self.clock.now(),
        )
        pull.reviews.append(review)
        self.record_event(issue, "reviewed", user, review_id=review.id)
        issue.updated_at = review.submitted_at
        return review

    def dismiss_review(
        self, repo: Repo, issue: Issue, review: Review, actor: str, message: str
    ) -> None:
        if review.state not in ("APPROVED", "CHANGES_REQUESTED"):
            raise ApiError(422, UNPROCESSABLE, errors=[CANNOT_DISMISS])
        now = self.clock.now()
        review.state_before_dismissal = review.state
        review.state = "DISMISSED"
        review.dismissed_by, review.dismissed_at, review.dismissal_message = actor, now, message
        self.record_event(issue, "review_dismissed", actor, review_id=review.id)
        issue.updated_at = now

    def merge(
        self,
        repo: Repo,
        issue: Issue,
        actor: str,
        *,
        sha: str | None,
        method: str,
        title: str | None,
        message: str | None,
    ) -> Commit:
        """GitHub's merge rules: only open, mergeable PRs, and only at the expected head."""
        pull = issue.pull
        assert pull is not None
        if issue.state != "open" or pull.merged:
            raise ApiError(405, NOT_MERGEABLE)
        if sha is not None and sha != pull.head_sha:
            raise ApiError(409, HEAD_MODIFIED)
        if pull.mergeable is not True:
            raise ApiError(405, NOT_MERGEABLE)
        blocked = self.merge_blockers(repo, issue)
        if blocked is not None:
            raise blocked
        head = repo.commits[pull.head_sha]
        base_now = repo.branches[pull.base_ref]
        changes: dict[str, bytes | None] = {
            f.filename: head.tree.get(f.filename) for f in self.pull_files(repo, pull)
        }
        default_title = (
            f"Merge pull request #{issue.number} from {repo.owner.login}/{pull.head_ref}"
            if method == "merge"
            else f"{issue.title} (#{issue.number})"
        )
        text = title or default_title
        if message:
            text = f"{text}\n\n{message}"
        merged = self.commit(repo, pull.base_ref, changes, text, actor, parent=base_now)
        if method == "merge":
            merged.parents = (base_now, pull.head_sha)
        now = self.clock.now()
        pull.merged, pull.merged_at, pull.merged_by = True, now, actor
        pull.merge_commit_sha = merged.sha
        self.record_event(issue, "merged", actor, commit_id=merged.sha)
        issue.state, issue.closed_at, issue.closed_by = "closed", now, actor
        self.record_event(issue, "closed", actor, commit_id=merged.sha)
        issue.updated_at = now
        return merged


def check_body(body: str) -> None:
    if len(body) > COMMENT_BODY_MAX:
        raise validation_failed("IssueComment", "body", "custom", BODY_TOO_LONG)


def _is_hex_color(value: str) -> bool:
    return len(value) == 6 and all(c in "0123456789abcdefABCDEF" for c in value)

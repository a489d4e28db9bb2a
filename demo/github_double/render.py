# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The double's state drawn as GitHub's JSON objects, with URLs on the double's base URL.

Shapes follow the OpenAPI schemas (every response is checked against them) and the
PyGithub recordings in `shared/fixtures/github-rest/`.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import quote

from demo.github_double.state import (
    ACTIONS_APP_SLUG,
    LEGACY_PERMISSION,
    Account,
    App,
    Artifact,
    CheckRun,
    CheckSuite,
    Comment,
    Commit,
    CommitStatus,
    GitHubState,
    Issue,
    IssueEvent,
    Label,
    PullData,
    PullFile,
    Reaction,
    Repo,
    Review,
    Team,
    git_blob_sha,
    node_id,
)

JSON = dict[str, Any]
REACTION_CONTENTS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")
BASE64_LINE = 60
CONTENT_INLINE_LIMIT = 1024 * 1024


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Renderer:
    """Draws state as JSON; `api` is the double's base URL, also used for html links."""

    def __init__(self, state: GitHubState, base_url: str) -> None:
        self.state = state
        self.api = base_url.rstrip("/")
        self.html = self.api

    # -- accounts ------------------------------------------------------------------------

    def user(self, login: str) -> JSON:
        account = self.state.account(login)
        return self.account(account)

    def account(self, account: Account) -> JSON:
        quoted = quote(account.login, safe="")
        url = f"{self.api}/users/{quoted}"
        html = f"{self.html}/{quoted}"
        if account.kind == "Bot":
            html = f"{self.html}/apps/{quote(account.login.removesuffix('[bot]'), safe='')}"
        if account.kind == "Organization":
            url = f"{self.api}/orgs/{quoted}"
        return {
            "login": account.login,
            "id": account.id,
            "node_id": node_id("U", account.id),
            "avatar_url": f"{self.api}/_double/avatars/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": url,
            "html_url": html,
            "followers_url": f"{url}/followers",
            "following_url": f"{url}/following{{/other_user}}",
            "gists_url": f"{url}/gists{{/gist_id}}",
            "starred_url": f"{url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{url}/subscriptions",
            "organizations_url": f"{url}/orgs",
            "repos_url": f"{url}/repos",
            "events_url": f"{url}/events{{/privacy}}",
            "received_events_url": f"{url}/received_events",
            "type": account.kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def actions_app(self) -> JSON:
        """The GitHub Actions app: the `app` of check runs made with a GITHUB_TOKEN."""
        return self.app(self.state.apps[ACTIONS_APP_SLUG])

    def app(self, app: App) -> JSON:
        """An App as GitHub draws it (`integration`): id, slug, owner, permissions."""
        if app.slug == ACTIONS_APP_SLUG:
            owner = {**self._github_org(), "type": "Organization"}
            moment = "2018-07-30T09:30:17Z"
            description = "Automate your workflow from idea to production"
            external = f"{self.html}/features/actions"
        else:
            owner = self.user(app.owner)
            moment = "2026-01-01T00:00:00Z"
            description = f"{app.name} (a GitHub App of the double)"
            external = f"{self.html}/{app.owner}"
        return {
            "id": app.id,
            "slug": app.slug,
            "node_id": node_id("A", app.id),
            "client_id": f"Iv1.{app.id:016x}",
            "owner": owner,
            "name": app.name,
            "description": description,
            "external_url": external,
            "html_url": f"{self.html}/apps/{app.slug}",
            "created_at": moment,
            "updated_at": moment,
            "permissions": dict(app.permissions),
            "events": list(app.events),
        }

    def _github_org(self) -> JSON:
        org = Account(login="github", id=9919, kind="Organization")
        return self.account(org)

    def app_for(self, login: str) -> JSON | None:
        app = self.state.app_of_login(login)
        return None if app is None else self.app(app)

    def author_association(self, repo: Repo, login: str) -> str:
        if login == repo.owner.login:
            return "OWNER"
        org = self.state.orgs.get(repo.owner.login)
        if org is not None and login in org.members:
            return "MEMBER"
        if login in repo.collaborators:
            return "COLLABORATOR"
        merged = any(
            issue.pull is not None and issue.pull.merged and issue.author == login
            for issue in repo.issues.values()
        )
        return "CONTRIBUTOR" if merged else "NONE"

    # -- repositories --------------------------------------------------------------------

    def repo_url(self, repo: Repo) -> str:
        return f"{self.api}/repos/{repo.full_name}"

    def repo_html(self, repo: Repo) -> str:
        return f"{self.html}/{repo.full_name}"

    def repository(self, repo: Repo, caller: str | None = None, *, full: bool = False) -> JSON:
        url = self.repo_url(repo)
        created = _iso(repo.created_at)
        pushed = max((c.created_at for c in repo.commits.values()), default=repo.created_at)
        open_issues = sum(1 for issue in repo.issues.values() if issue.state == "open")
        body: JSON = {
            "id": repo.id,
            "node_id": node_id("R", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "owner": self.account(repo.owner),
            "private": repo.private,
            "html_url": self.repo_html(repo),
            "description": repo.description,
            "fork": False,
            "url": url,
            "archive_url": f"{url}/{{archive_format}}{{/ref}}",
            "assignees_url": f"{url}/assignees{{/user}}",
            "blobs_url": f"{url}/git/blobs{{/sha}}",
            "branches_url": f"{url}/branches{{/branch}}",
            "collaborators_url": f"{url}/collaborators{{/collaborator}}",
            "comments_url": f"{url}/comments{{/number}}",
            "commits_url": f"{url}/commits{{/sha}}",
            "compare_url": f"{url}/compare/{{base}}...{{head}}",
            "contents_url": f"{url}/contents/{{+path}}",
            "contributors_url": f"{url}/contributors",
            "deployments_url": f"{url}/deployments",
            "downloads_url": f"{url}/downloads",
            "events_url": f"{url}/events",
            "forks_url": f"{url}/forks",
            "git_commits_url": f"{url}/git/commits{{/sha}}",
            "git_refs_url": f"{url}/git/refs{{/sha}}",
            "git_tags_url": f"{url}/git/tags{{/sha}}",
            "git_url": f"git://double/{repo.full_name}.git",
            "hooks_url": f"{url}/hooks",
            "issue_comment_url": f"{url}/issues/comments{{/number}}",
            "issue_events_url": f"{url}/issues/events{{/number}}",
            "issues_url": f"{url}/issues{{/number}}",
            "keys_url": f"{url}/keys{{/key_id}}",
            "labels_url": f"{url}/labels{{/name}}",
            "languages_url": f"{url}/languages",
            "merges_url": f"{url}/merges",
            "milestones_url": f"{url}/milestones{{/number}}",
            "notifications_url": f"{url}/notifications{{?since,all,participating}}",
            "pulls_url": f"{url}/pulls{{/number}}",
            "releases_url": f"{url}/releases{{/id}}",
            "ssh_url": f"git@double:{repo.full_name}.git",
            "stargazers_url": f"{url}/stargazers",
            "statuses_url": f"{url}/statuses/{{sha}}",
            "subscribers_url": f"{url}/subscribers",
            "subscription_url": f"{url}/subscription",
            "tags_url": f"{url}/tags",
            "teams_url": f"{url}/teams",
            "trees_url": f"{url}/git/trees{{/sha}}",
            "clone_url": f"{self.repo_html(repo)}.git",
            "mirror_url": None,
            "svn_url": self.repo_html(repo),
            "homepage": None,
            "language": "Python",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "size": sum(len(v) for v in self._default_tree(repo).values()) // 1024,
            "default_branch": repo.default_branch,
            "open_issues": open_issues,
            "open_issues_count": open_issues,
            "is_template": False,
            "topics": [],
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": True,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "visibility": "private" if repo.private else "public",
            "license": None,
            "pushed_at": _iso(pushed),
            "created_at": created,
            "updated_at": _iso(pushed),
            "allow_forking": False,
            "web_commit_signoff_required": False,
            "custom_properties": {},
        }
        if caller is not None:
            role = repo.role_of(caller)
            body["permissions"] = {
                "admin": repo.can(caller, "admin"),
                "maintain": repo.can(caller, "maintain"),
                "push": repo.can(caller, "write"),
                "triage": repo.can(caller, "triage"),
                "pull": role != "none" or not repo.private,
            }
        if full:
            body.update(
                {
                    "network_count": 0,
                    "subscribers_count": 0,
                    "allow_squash_merge": True,
                    "allow_merge_commit": True,
                    "allow_rebase_merge": True,
                    "delete_branch_on_merge": False,
                }
            )
        return body

    @staticmethod
    def _default_tree(repo: Repo) -> dict[str, bytes]:
        sha = repo.branches.get(repo.default_branch)
        return repo.commits[sha].tree if sha else {}

    # -- labels, issues, comments --------------------------------------------------------

    def label(self, repo: Repo, label: Label) -> JSON:
        return {
            "id": label.id,
            "node_id": node_id("LA", label.id),
            "url": f"{self.repo_url(repo)}/labels/{quote(label.name, safe='')}",
            "name": label.name,
            "color": label.color,
            "default": label.default,
            "description": label.description,
        }

    def reactions_rollup(self, url: str, reactions: list[Reaction]) -> JSON:
        rollup: JSON = {"url": f"{url}/reactions", "total_count": len(reactions)}
        for content in REACTION_CONTENTS:
            rollup[content] = sum(1 for r in reactions if r.content == content)
        return rollup

    def issue_html(self, repo: Repo, issue: Issue) -> str:
        kind = "pull" if issue.pull is not None else "issues"
        return f"{self.repo_html(repo)}/{kind}/{issue.number}"

    def issue(self, repo: Repo, issue: Issue) -> JSON:
        url = f"{self.repo_url(repo)}/issues/{issue.number}"
        comments = sum(1 for c in repo.comments.values() if c.issue_number == issue.number)
        body: JSON = {
            "id": issue.id,
            "node_id": node_id("I", issue.id),
            "url": url,
            "repository_url": self.repo_url(repo),
            "labels_url": f"{url}/labels{{/name}}",
            "comments_url": f"{url}/comments",
            "events_url": f"{url}/events",
            "html_url": self.issue_html(repo, issue),
            "number": issue.number,
            "state": issue.state,
            "state_reason": issue.state_reason,
            "title": issue.title,
            "body": issue.body,
            "user": self.user(issue.author),
            "labels": [self.label(repo, label) for label in issue.labels],
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "locked": issue.locked,
            "active_lock_reason": None,
            "comments": comments,
            "closed_at": iso(issue.closed_at),
            "created_at": _iso(issue.created_at),
            "updated_at": _iso(issue.updated_at),
            "closed_by": self.user(issue.closed_by) if issue.closed_by else None,
            "author_association": self.author_association(repo, issue.author),
            "reactions": self.reactions_rollup(url, []),
            "timeline_url": f"{url}/timeline",
            "performed_via_github_app": None,
        }
        if issue.pull is not None:
            pull_url = f"{self.repo_url(repo)}/pulls/{issue.number}"
            html = self.issue_html(repo, issue)
            body["pull_request"] = {
                "url": pull_url,
                "html_url": html,
                "diff_url": f"{html}.diff",
                "patch_url": f"{html}.patch",
                "merged_at": iso(issue.pull.merged_at),
            }
            body["draft"] = issue.pull.draft
        return body

    def comment(self, repo: Repo, comment: Comment) -> JSON:
        url = f"{self.repo_url(repo)}/issues/comments/{comment.id}"
        issue = repo.issues[comment.issue_number]
        return {
            "id": comment.id,
            "node_id": node_id("IC", comment.id),
            "url": url,
            "html_url": f"{self.issue_html(repo, issue)}#issuecomment-{comment.id}",
            "body": comment.body,
            "user": self.user(comment.author),
            "created_at": _iso(comment.created_at),
            "updated_at": _iso(comment.updated_at),
            "issue_url": f"{self.repo_url(repo)}/issues/{issue.number}",
            "author_association": self.author_association(repo, comment.author),
            "performed_via_github_app": self.app_for(comment.author),
            "reactions": self.reactions_rollup(url, comment.reactions),
        }

    def reaction(self, reaction: Reaction) -> JSON:
        return {
            "id": reaction.id,
            "node_id": node_id("REA", reaction.id),
            "user": self.user(reaction.user),
            "content": reaction.content,
            "created_at": _iso(reaction.created_at),
        }

    # -- history -------------------------------------------------------------------------

    def event(self, repo: Repo, event: IssueEvent) -> JSON:
        """One entry of `GET .../issues/{n}/events` (and the non-comment timeline rows)."""
        commit_url = f"{self.repo_url(repo)}/commits/{event.commit_id}" if event.commit_id else None
        body: JSON = {
            "id": event.id,
            "node_id": node_id("E", event.id),
            "url": f"{self.repo_url(repo)}/issues/events/{event.id}",
            "actor": self.user(event.actor) if event.actor else None,
            "event": event.event,
            "commit_id": event.commit_id,
            "commit_url": commit_url,
            "created_at": _iso(event.created_at),
            "performed_via_github_app": self.app_for(event.actor) if event.actor else None,
        }
        if event.label is not None:
            body["label"] = {"name": event.label.name, "color": event.label.color}
        if event.event == "review_dismissed" and event.review_id is not None:
            review = self._review_by_id(repo, event.review_id)
            body["dismissed_review"] = {
                "state": (review.state_before_dismissal or review.state).lower(),
                "review_id": review.id,
                "dismissal_message": review.dismissal_message,
                "dismissal_commit_id": review.commit_id,
            }
        return body

    @staticmethod
    def _review_by_id(repo: Repo, review_id: int) -> Review:
        for issue in repo.issues.values():
            for review in issue.pull.reviews if issue.pull else []:
                if review.id == review_id:
                    return review
        raise KeyError(review_id)

    def timeline_item(self, repo: Repo, issue: Issue, event: IssueEvent) -> JSON:
        if event.event == "commented" and event.comment_id is not None:
            comment = repo.comments[event.comment_id]
            return {
                **self.comment(repo, comment),
                "event": "commented",
                "actor": self.user(comment.author),
            }
        if event.event == "committed" and event.commit_id is not None:
            return {**self.git_commit(repo, repo.commits[event.commit_id]), "event": "committed"}
        if event.event == "reviewed" and event.review_id is not None:
            assert issue.pull is not None
            review = next(r for r in issue.pull.reviews if r.id == event.review_id)
            reviewed = self.review(repo, issue, review)
            reviewed["state"] = review.state.lower()
            return {**reviewed, "event": "reviewed"}
        return self.event(repo, event)

    def review(self, repo: Repo, issue: Issue, review: Review) -> JSON:
        pull_url = f"{self.repo_url(repo)}/pulls/{issue.number}"
        html = f"{self.issue_html(repo, issue)}#pullrequestreview-{review.id}"
        return {
            "id": review.id,
            "node_id": node_id("PRR", review.id),
            "user": self.user(review.user),
            "body": review.body,
            "state": review.state,
            "html_url": html,
            "pull_request_url": pull_url,
            "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
            "submitted_at": _iso(review.submitted_at),
            "commit_id": review.commit_id,
            "author_association": self.author_association(repo, review.user),
        }

    # -- pull requests -------------------------------------------------------------------

    def _branch_end(self, repo: Repo, ref: str, sha: str) -> JSON:
        return {
            "label": f"{repo.owner.login}:{ref}",
            "ref": ref,
            "sha": sha,
            "user": self.account(repo.owner),
            "repo": self.repository(repo),
        }

    def pull(self, repo: Repo, issue: Issue, *, full: bool = True) -> JSON:
        assert issue.pull is not None
        pull = issue.pull
        url = f"{self.repo_url(repo)}/pulls/{issue.number}"
        issue_url = f"{self.repo_url(repo)}/issues/{issue.number}"
        html = self.issue_html(repo, issue)
        statuses = f"{self.repo_url(repo)}/statuses/{pull.head_sha}"
        body: JSON = {
            "url": url,
            "id": issue.id + 7000000,
            "node_id": node_id("PR", issue.id),
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue_url,
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{self.repo_url(repo)}/pulls/comments{{/number}}",
            "comments_url": f"{issue_url}/comments",
            "statuses_url": statuses,
            "number": issue.number,
            "state": issue.state,
            "locked": issue.locked,
            "title": issue.title,
            "user": self.user(issue.author),
            "body": issue.body,
            # pull-request-simple (lists) declares a label's description a non-null string
            "labels": [self.label(repo, label) if full else
                       {**self.label(repo, label), "description": label.description or ""}
                       for label in issue.labels],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": _iso(issue.created_at),
            "updated_at": _iso(issue.updated_at),
            "closed_at": iso(issue.closed_at),
            "merged_at": iso(pull.merged_at),
            "merge_commit_sha": pull.merge_commit_sha,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._branch_end(repo, pull.head_ref, pull.head_sha),
            "base": self._branch_end(repo, pull.base_ref, pull.base_sha),
            "_links": {
                "self": {"href": url},
                "html": {"href": html},
                "issue": {"href": issue_url},
                "comments": {"href": f"{issue_url}/comments"},
                "review_comments": {"href": f"{url}/comments"},
                "review_comment": {"href": f"{self.repo_url(repo)}/pulls/comments{{/number}}"},
                "commits": {"href": f"{url}/commits"},
                "statuses": {"href": statuses},
            },
            "author_association": self.author_association(repo, issue.author),
            "auto_merge": None,
            "draft": pull.draft,
        }
        if full:
            files = self.state.pull_files(repo, pull)
            comments = sum(1 for c in repo.comments.values() if c.issue_number == issue.number)
            body.update(
                {
                    "merged": pull.merged,
                    "mergeable": pull.mergeable,
                    "rebaseable": pull.mergeable,
                    "mergeable_state": self._mergeable_state(repo, pull),
                    "merged_by": self.user(pull.merged_by) if pull.merged_by else None,
                    "comments": comments,
                    "review_comments": 0,
                    "maintainer_can_modify": False,
                    "commits": len(pull.commits),
                    "additions": sum(f.additions for f in files),
                    "deletions": sum(f.deletions for f in files),
                    "changed_files": len(files),
                }
            )
        return body

    def _mergeable_state(self, repo: Repo, pull: PullData) -> str:
        """GitHub's ``mergeable_state``: ``behind`` when the base branch has moved past what
        the head contains (merging would need an update first)."""
        if pull.merged:
            return "unknown"
        if pull.mergeable is None:
            return "unknown"
        if pull.draft:
            return "draft"
        if not pull.mergeable:
            return "dirty"
        if pull.base_ref in repo.branches and self.state.is_behind(repo, pull):
            return "behind"
        return "clean"

    def pull_minimal(self, repo: Repo, issue: Issue) -> JSON:
        assert issue.pull is not None
        end = {"id": repo.id, "url": self.repo_url(repo), "name": repo.name}
        return {
            "id": issue.id + 7000000,
            "number": issue.number,
            "url": f"{self.repo_url(repo)}/pulls/{issue.number}",
            "head": {"ref": issue.pull.head_ref, "sha": issue.pull.head_sha, "repo": end},
            "base": {"ref": issue.pull.base_ref, "sha": issue.pull.base_sha, "repo": end},
        }

    def pull_file(self, repo: Repo, pull: PullData, entry: PullFile) -> JSON:
        ref = pull.head_sha if entry.status != "removed" else pull.base_sha
        path = quote(entry.filename)
        return {
            "sha": entry.sha,
            "filename": entry.filename,
            "status": entry.status,
            "additions": entry.additions,
            "deletions": entry.deletions,
            "changes": entry.additions + entry.deletions,
            "blob_url": f"{self.repo_html(repo)}/blob/{ref}/{path}",
            "raw_url": f"{self.repo_html(repo)}/raw/{ref}/{path}",
            "contents_url": f"{self.repo_url(repo)}/contents/{path}?ref={ref}",
            "patch": entry.patch,
        }

    # -- checks and statuses -------------------------------------------------------------

    def check_run(self, repo: Repo, run: CheckRun) -> JSON:
        url = f"{self.repo_url(repo)}/check-runs/{run.id}"
        pulls = [
            self.pull_minimal(repo, issue)
            for issue in repo.issues.values()
            if issue.pull is not None
            and issue.state == "open"
            and issue.pull.head_sha == run.head_sha
        ]
        return {
            "id": run.id,
            "head_sha": run.head_sha,
            "node_id": node_id("CR", run.id),
            "external_id": run.external_id or "",
            "url": url,
            "html_url": f"{self.repo_html(repo)}/runs/{run.id}",
            "details_url": run.details_url or f"{self.repo_html(repo)}/runs/{run.id}",
            "status": run.status,
            "conclusion": run.conclusion,
            "started_at": iso(run.started_at),
            "completed_at": iso(run.completed_at),
            "output": {
                "title": run.output.get("title"),
                "summary": run.output.get("summary"),
                "text": run.output.get("text"),
                "annotations_count": run.annotations_count,
                "annotations_url": f"{url}/annotations",
            },
            "name": run.name,
            "check_suite": {"id": run.check_suite_id},
            "app": self.app(self.state.app_by_id(run.app_id)),
            "pull_requests": pulls,
        }

    def check_suite(self, repo: Repo, suite: CheckSuite) -> JSON:
        runs = [r for r in repo.check_runs.values() if r.check_suite_id == suite.id]
        latest: dict[str, CheckRun] = {}
        for run in sorted(runs, key=lambda r: r.id):
            latest[run.name] = run
        done = all(r.status == "completed" for r in latest.values())
        conclusions = [r.conclusion for r in latest.values()]
        conclusion: str | None = None
        if latest and done:
            bad = [c for c in conclusions if c not in ("success", "neutral", "skipped")]
            conclusion = bad[0] if bad else "success"
        commit = repo.commits[suite.head_sha]
        person = {"name": commit.author, "email": f"{commit.author}@users.noreply.double"}
        url = f"{self.repo_url(repo)}/check-suites/{suite.id}"
        return {
            "id": suite.id,
            "node_id": node_id("CS", suite.id),
            "head_branch": suite.head_branch,
            "head_sha": suite.head_sha,
            "status": ("completed" if done else "in_progress") if latest else "queued",
            "conclusion": conclusion,
            "url": url,
            "before": commit.parents[0] if commit.parents else None,
            "after": suite.head_sha,
            "pull_requests": [
                self.pull_minimal(repo, issue)
                for issue in repo.issues.values()
                if issue.pull is not None and issue.pull.head_sha == suite.head_sha
            ],
            "app": self.app(self.state.app_by_id(suite.app_id)),
            "repository": self.repository(repo),
            "created_at": _iso(suite.created_at),
            "updated_at": _iso(suite.updated_at),
            "head_commit": {
                "id": commit.sha,
                "tree_id": self.git_commit(repo, commit)["tree"]["sha"],
                "message": commit.message,
                "timestamp": _iso(commit.created_at),
                "author": person,
                "committer": person,
            },
            "latest_check_runs_count": len(latest),
            "check_runs_url": f"{url}/check-runs",
            "rerequestable": True,
            "runs_rerequestable": True,
        }

    def status(self, repo: Repo, status: CommitStatus, *, with_creator: bool = True) -> JSON:
        body: JSON = {
            "url": f"{self.repo_url(repo)}/statuses/{status.sha}",
            "avatar_url": f"{self.api}/_double/avatars/u/{self.state.account(status.creator).id}",
            "id": status.id,
            "node_id": node_id("SC", status.id),
            "state": status.state,
            "description": status.description,
            "target_url": status.target_url,
            "context": status.context,
            "created_at": _iso(status.created_at),
            "updated_at": _iso(status.updated_at),
        }
        if with_creator:
            body["creator"] = self.user(status.creator)
        return body

    def combined_status(self, repo: Repo, sha: str) -> JSON:
        latest: dict[str, CommitStatus] = {}
        for status in repo.statuses:
            if status.sha == sha:
                latest[status.context.casefold()] = status
        states = {s.state for s in latest.values()}
        if states & {"error", "failure"}:
            state = "failure"
        elif "pending" in states or not states:
            state = "pending"
        else:
            state = "success"
        return {
            "state": state,
            "statuses": [self.status(repo, s, with_creator=False) for s in latest.values()],
            "sha": sha,
            "total_count": len(latest),
            "repository": self.repository(repo),
            "commit_url": f"{self.repo_url(repo)}/commits/{sha}",
            "url": f"{self.repo_url(repo)}/commits/{sha}/status",
        }

    # -- people --------------------------------------------------------------------------

    def collaborator_permission(self, repo: Repo, login: str) -> JSON:
        role = repo.role_of(login)
        user = self.user(login)
        user["permissions"] = {
            "admin": repo.can(login, "admin"),
            "maintain": repo.can(login, "maintain"),
            "push": repo.can(login, "write"),
            "triage": repo.can(login, "triage"),
            "pull": repo.can(login, "read"),
        }
        user["role_name"] = role
        return {"permission": LEGACY_PERMISSION[role], "role_name": role, "user": user}

    def team_membership(self, team: Team, login: str) -> JSON:
        member = team.members[login]
        return {
            "url": f"{self.api}/teams/{team.id}/memberships/{quote(login, safe='')}",
            "role": member.role,
            "state": member.state,
        }

    # -- git and contents ----------------------------------------------------------------

    def git_commit(self, repo: Repo, commit: Commit) -> JSON:
        account = self.state.accounts.get(commit.author)
        person = {
            "name": (account.name if account and account.name else commit.author),
            "email": f"{commit.author}@users.noreply.double",
            "date": _iso(commit.created_at),
        }
        tree_sha = hashlib.sha1(
            "".join(f"{p}\0{git_blob_sha(c)}" for p, c in sorted(commit.tree.items())).encode(),
            usedforsecurity=False,
        ).hexdigest()
        url = f"{self.repo_url(repo)}/git/commits/{commit.sha}"
        return {
            "sha": commit.sha,
            "node_id": node_id("C", int(commit.sha[:12], 16)),
            "url": url,
            "html_url": f"{self.repo_html(repo)}/commit/{commit.sha}",
            "author": person,
            "committer": person,
            "tree": {"sha": tree_sha, "url": f"{self.repo_url(repo)}/git/trees/{tree_sha}"},
            "message": commit.message,
            "parents": [
                {
                    "sha": parent,
                    "url": f"{self.repo_url(repo)}/git/commits/{parent}",
                    "html_url": f"{self.repo_html(repo)}/commit/{parent}",
                }
                for parent in commit.parents
            ],
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        }

    def content_file(self, repo: Repo, ref: str, path: str, content: bytes) -> JSON:
        sha = git_blob_sha(content)
        url = f"{self.repo_url(repo)}/contents/{quote(path)}?ref={quote(ref, safe='')}"
        git_url = f"{self.repo_url(repo)}/git/blobs/{sha}"
        html = f"{self.repo_html(repo)}/blob/{ref}/{quote(path)}"
        raw = f"{self.api}/_double/raw/{repo.full_name}/{ref}/{quote(path)}"
        encoded = base64.b64encode(content).decode()
        if len(content) > CONTENT_INLINE_LIMIT:
            text, encoding = "", "none"
        else:
            lines = [encoded[i : i + BASE64_LINE] for i in range(0, len(encoded), BASE64_LINE)]
            text, encoding = "".join(f"{line}\n" for line in lines), "base64"
        return {
            "type": "file",
            "encoding": encoding,
            "size": len(content),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "content": text,
            "sha": sha,
            "url": url,
            "git_url": git_url,
            "html_url": html,
            "download_url": raw,
            "_links": {"self": url, "git": git_url, "html": html},
        }

    def content_entry(self, repo: Repo, ref: str, path: str, kind: str, content: bytes) -> JSON:
        entry = self.content_file(repo, ref, path, content)
        entry.pop("content")
        entry.pop("encoding")
        if kind == "dir":
            entry.update({"type": "dir", "size": 0, "download_url": None})
        return entry

    # -- actions -------------------------------------------------------------------------

    def artifact(self, repo: Repo, artifact: Artifact) -> JSON:
        url = f"{self.repo_url(repo)}/actions/artifacts/{artifact.id}"
        return {
            "id": artifact.id,
            "node_id": node_id("AR", artifact.id),
            "name": artifact.name,
            "size_in_bytes": len(artifact.data),
            "url": url,
            "archive_download_url": f"{url}/zip",
            "expired": artifact.expired,
            "created_at": _iso(artifact.created_at),
            "expires_at": _iso(artifact.expires_at),
            "updated_at": _iso(artifact.created_at),
            "digest": "sha256:" + hashlib.sha256(artifact.data).hexdigest(),
            "workflow_run": {
                "id": artifact.run_id,
                "repository_id": repo.id,
                "head_repository_id": repo.id,
                "head_branch": artifact.head_branch,
                "head_sha": artifact.head_sha,
            },
        }

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Reading a repository's settings for ``modelgate doctor``: the narrow interface and its
PyGithub implementation.

PyGithub has no methods for rulesets, environments' branch policies, Actions settings or
names of variables and secrets, so every call goes through its requester (same auth,
base URL, timeouts and retries as the rest of the bot). Answers are GitHub's JSON as is;
:mod:`modelgate.bot.doctor.read` turns them into the doctor's types. A call the token may not make
raises :class:`SettingsUnavailable` naming the permission that would allow it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, Protocol
from urllib.parse import quote

from github import Github, GithubException
from requests.exceptions import RequestException

from modelgate.errors import GitHubError

JSON = dict[str, Any]
NameKind = Literal["variables", "secrets"]
MAX_PAGES = 50
PER_PAGE = {"variables": 30, "secrets": 100}  # GitHub's maxima for these lists

PERM_METADATA = "Metadata: read"
PERM_ADMIN = "Administration: read (repository admin)"
PERM_ACTIONS = "Actions: read"
PERM_NAMES: dict[NameKind, str] = {"variables": "Variables: read", "secrets": "Secrets: read"}
PERM_ENV_NAMES: dict[NameKind, str] = {"variables": "Environments: read",
                                       "secrets": "Secrets: read"}  # pragma: allowlist secret
PERM_APP_JWT = ("the App's private key in MODELGATE_APP_PRIVATE_KEY (only a JWT signed by "
                "the App may read its installation)")
NOT_PROTECTED = "Branch not protected"


class SettingsUnavailable(GitHubError):
    """GitHub refused to show a setting to this token."""

    def __init__(self, what: str, permission: str, status: int) -> None:
        super().__init__(f"cannot read {what} (HTTP {status}): needs {permission}")
        self.what = what
        self.permission = permission
        self.status = status


class SettingsReadError(GitHubError):
    """GitHub answered with an error other than a refusal to show, or could not be reached."""


TIMEOUT_S = 30


def connect(token: str, api_url: str, *, interval: float = 0.0, app: bool = False) -> Github:
    """A PyGithub client for the settings calls; ``app`` when ``token`` is the App's JWT."""
    from github import Auth

    auth = Auth.AppAuthToken(token) if app else Auth.Token(token)
    return Github(auth=auth, base_url=api_url, timeout=TIMEOUT_S, retry=None,
                  seconds_between_requests=interval or None)


class SettingsApi(Protocol):
    """The settings calls the doctor makes, nothing more."""

    def repository(self) -> JSON: ...

    def branch_rules(self, branch: str) -> list[JSON]: ...

    def rulesets(self) -> list[JSON]: ...

    def ruleset(self, ruleset_id: int) -> JSON: ...

    def branch_protection(self, branch: str) -> JSON | None: ...

    def environment(self, name: str) -> JSON | None: ...

    def deployment_branch_policies(self, environment: str) -> list[JSON]: ...

    def workflow_permissions(self) -> JSON: ...

    def retention(self) -> JSON: ...

    def names(self, kind: NameKind, environment: str | None = None) -> frozenset[str]: ...

    def organization_names(self, kind: NameKind) -> frozenset[str]: ...

    def installation(self) -> JSON | None: ...


class PyGithubSettings:
    """:class:`SettingsApi` over PyGithub's requester; ``app`` authenticates with the
    App's JWT (``Auth.AppAuthToken``) and is needed only for :meth:`installation`."""

    def __init__(self, gh: Github, repo: str, *, app: Github | None = None) -> None:
        self._gh = gh
        self._app = app
        self._base = f"/repos/{repo}"

    def _get(self, path: str, what: str, permission: str, *,
             params: dict[str, Any] | None = None, gh: Github | None = None,
             absent: Callable[[GithubException], bool] | None = None) -> Any:
        client = gh or self._gh
        try:
            _, data = client.requester.requestJsonAndCheck("GET", self._base + path,
                                                           parameters=params)
        except GithubException as exc:
            if absent is not None and absent(exc):
                return None
            if exc.status in (403, 404):
                raise SettingsUnavailable(what, permission, exc.status) from exc
            message = exc.data.get("message") if isinstance(exc.data, dict) else exc.data
            raise SettingsReadError(f"GitHub refused: HTTP {exc.status} {message}") from exc
        except RequestException as exc:
            raise SettingsReadError(f"cannot reach GitHub: {exc}") from exc
        return data

    def _pages(self, path: str, key: str | None, what: str, permission: str,
               per_page: int = 100, params: dict[str, Any] | None = None) -> list[JSON]:
        items: list[JSON] = []
        for page in range(1, MAX_PAGES + 1):
            query = {**(params or {}), "per_page": per_page, "page": page}
            data = self._get(path, what, permission, params=query)
            batch = data if key is None else data.get(key, [])
            items.extend(batch)
            total = None if key is None else data.get("total_count")
            if len(batch) < per_page or (total is not None and len(items) >= total):
                break
        return items

    def repository(self) -> JSON:
        data: JSON = self._get("", "the repository", PERM_METADATA)
        return data

    def branch_rules(self, branch: str) -> list[JSON]:
        return self._pages(f"/rules/branches/{quote(branch, safe='')}", None,
                           f"the rules on {branch!r}", PERM_METADATA)

    def rulesets(self) -> list[JSON]:
        return self._pages("/rulesets", None, "the rulesets", PERM_METADATA,
                           params={"includes_parents": "true"})

    def ruleset(self, ruleset_id: int) -> JSON:
        data: JSON = self._get(f"/rulesets/{ruleset_id}", f"ruleset {ruleset_id}",
                               PERM_METADATA, params={"includes_parents": "true"})
        return data

    def branch_protection(self, branch: str) -> JSON | None:
        def unprotected(exc: GithubException) -> bool:
            return exc.status == 404 and isinstance(exc.data, dict) and (
                exc.data.get("message") == NOT_PROTECTED)

        data: JSON | None = self._get(f"/branches/{quote(branch, safe='')}/protection",
                                      f"the branch protection of {branch!r}", PERM_ADMIN,
                                      absent=unprotected)
        return data

    def environment(self, name: str) -> JSON | None:
        data: JSON | None = self._get(f"/environments/{quote(name, safe='')}",
                                      f"environment {name!r}", PERM_ACTIONS,
                                      absent=lambda exc: exc.status == 404)
        return data

    def deployment_branch_policies(self, environment: str) -> list[JSON]:
        return self._pages(f"/environments/{quote(environment, safe='')}/deployment-branch-"
                           "policies", "branch_policies",
                           f"the deployment branches of {environment!r}", PERM_ACTIONS)

    def workflow_permissions(self) -> JSON:
        data: JSON = self._get("/actions/permissions/workflow",
                               "the default workflow permissions", PERM_ADMIN)
        return data

    def retention(self) -> JSON:
        data: JSON = self._get("/actions/permissions/artifact-and-log-retention",
                               "the artifact and log retention", PERM_ADMIN)
        return data

    def names(self, kind: NameKind, environment: str | None = None) -> frozenset[str]:
        if environment is None:
            path, what, perm = f"/actions/{kind}", f"the repository {kind}", PERM_NAMES[kind]
        else:
            path = f"/environments/{quote(environment, safe='')}/{kind}"
            what, perm = f"the {kind} of environment {environment!r}", PERM_ENV_NAMES[kind]
        try:
            items = self._pages(path, kind, what, perm, per_page=PER_PAGE[kind])
        except SettingsUnavailable as exc:
            if environment is not None and exc.status == 404:
                return frozenset()  # no such environment: nothing is set in it
            raise
        return frozenset(str(item["name"]) for item in items)

    def organization_names(self, kind: NameKind) -> frozenset[str]:
        items = self._pages(f"/actions/organization-{kind}", kind,
                            f"the organization {kind} shared with the repository",
                            PERM_NAMES[kind], per_page=PER_PAGE[kind])
        return frozenset(str(item["name"]) for item in items)

    def installation(self) -> JSON | None:
        if self._app is None:
            raise SettingsUnavailable("the App's installation", PERM_APP_JWT, 401)
        data: JSON | None = self._get("/installation", "the App's installation", PERM_APP_JWT,
                                      gh=self._app, absent=lambda exc: exc.status == 404)
        return data

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The release's GitHub calls: tag, release, assets and a committed card, behind one
narrow Protocol (:class:`ReleaseHost`), kept apart from :mod:`modelgate.bot.github.api`.

:class:`PyGithubReleases` implements it over a PyGithub ``Repository`` created once at
the entry point (the release job's App token). GitHub's exceptions are translated here
into :class:`ReleaseHostError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from modelgate.errors import ExitCode, ModelgateError


class ReleaseHostError(ModelgateError):
    """GitHub refused a release call; the message names the call."""

    exit_code = ExitCode.GITHUB_FAILED


@dataclass(frozen=True)
class PublishedRelease:
    """A GitHub release, as the rest of the bot needs it."""

    id: int
    tag: str
    url: str


class ReleaseHost(Protocol):
    """The five calls a release makes on GitHub."""

    def create_tag(self, tag: str, sha: str, message: str) -> None: ...

    def create_release(self, tag: str, name: str, body: str) -> PublishedRelease: ...

    def upload_asset(self, release: PublishedRelease, path: Path, name: str,
                     content_type: str) -> str: ...

    def put_file(self, path: str, content: bytes, message: str, branch: str) -> str: ...


class PyGithubReleases:
    """:class:`ReleaseHost` over a PyGithub ``Repository``."""

    def __init__(self, repo: Any) -> None:
        self._repo = repo
        self._releases: dict[int, Any] = {}

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from github import GithubException

        try:
            return fn(*args, **kwargs)
        except GithubException as exc:
            message = (exc.data or {}).get("message") if isinstance(exc.data, dict) else exc.data
            raise ReleaseHostError(f"GitHub refused {what}: {exc.status} {message}") from None

    def create_tag(self, tag: str, sha: str, message: str) -> None:
        """An annotated tag object on ``sha``, then ``refs/tags/<tag>`` pointing at it."""
        obj = self._call(f"creating tag {tag}", self._repo.create_git_tag, tag, message, sha,
                         "commit")
        self._call(f"creating ref refs/tags/{tag}", self._repo.create_git_ref,
                   f"refs/tags/{tag}", obj.sha)

    def create_release(self, tag: str, name: str, body: str) -> PublishedRelease:
        rel = self._call(f"creating release {tag}", self._repo.create_git_release, tag,
                         name=name, message=body, make_latest="true")
        self._releases[int(rel.id)] = rel
        return PublishedRelease(int(rel.id), tag, str(rel.html_url))

    def upload_asset(self, release: PublishedRelease, path: Path, name: str,
                     content_type: str) -> str:
        rel = self._releases.get(release.id) or self._call(
            f"reading release {release.tag}", self._repo.get_release, release.id)
        asset = self._call(f"uploading {name} to {release.tag}", rel.upload_asset, str(path),
                           content_type=content_type, name=name)
        return str(asset.browser_download_url)

    def put_file(self, path: str, content: bytes, message: str, branch: str) -> str:
        """Create or update ``path`` on ``branch`` (contents API); the new commit's sha."""
        from github import GithubException

        try:
            current = self._repo.get_contents(path, ref=branch)
        except GithubException as exc:
            if exc.status != 404:
                raise ReleaseHostError(f"GitHub refused reading {path}: {exc.status}") from None
            current = None
        if current is None:
            out = self._call(f"creating {path}", self._repo.create_file, path, message,
                             content, branch=branch)
        else:
            out = self._call(f"updating {path}", self._repo.update_file, path, message,
                             content, current.sha, branch=branch)
        return str(out["commit"].sha)


def connect(token: str, repository: str, api_url: str = "https://api.github.com"
            ) -> PyGithubReleases:
    """The adapter for ``owner/name`` with a token (the release job's App token)."""
    import github

    client = github.Github(auth=github.Auth.Token(token), base_url=api_url)
    try:
        return PyGithubReleases(client.get_repo(repository))
    except github.GithubException as exc:
        raise ReleaseHostError(f"GitHub refused reading {repository}: {exc.status}") from None

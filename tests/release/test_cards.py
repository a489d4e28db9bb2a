# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The released card: committed with [skip ci], the merge commit tagged, a GitHub release
with the card as notes and the statement and its signature bundle as assets, checked here
against a recording stand-in of the adapter's Repository (the road and
tests/demo/test_double_releases.py exercise the same calls against the GitHub double)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modelgate.bot.github.releases import PublishedRelease, PyGithubReleases
from modelgate.bot.release.cards import publish
from modelgate.serving.attestation import SIGNATURE_FILE, STATEMENT_FILE
from tests.release_support import MERGE, sign_bundle
from tests.serving_support import export


class RecordingHost:
    """A ReleaseHost that records its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def create_tag(self, tag: str, sha: str, message: str) -> None:
        self.calls.append(("tag", tag, sha))

    def create_release(self, tag: str, name: str, body: str) -> PublishedRelease:
        self.calls.append(("release", tag, name, body))
        return PublishedRelease(1, tag, f"https://github.com/acme/m/releases/tag/{tag}")

    def upload_asset(self, release: PublishedRelease, path: Path, name: str,
                     content_type: str) -> str:
        self.calls.append(("asset", release.tag, name, path.read_bytes()))
        return f"https://github.com/acme/m/releases/download/{release.tag}/{name}"

    def put_file(self, path: str, content: bytes, message: str, branch: str) -> str:
        self.calls.append(("file", path, message, branch, content))
        return "c" * 40


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cards") / "bundle"
    export(out)
    sign_bundle(out)
    return out


def test_publish_commits_the_card_tags_and_releases(bundle: Path) -> None:
    host = RecordingHost()
    done = publish(host, bundle, branch="main")
    kinds = [c[0] for c in host.calls]
    assert kinds == ["file", "file", "tag", "release", "asset", "asset"]
    md, twin = host.calls[0], host.calls[1]
    assert md[1] == "model_cards/breast-cancer-classifier/v7.md"
    assert twin[1] == "model_cards/breast-cancer-classifier/v7.json"
    assert "[skip ci]" in md[2] and md[3] == "main"
    assert json.loads(twin[4])["release"]["source"]["pullRequest"] == 42
    assert host.calls[2] == ("tag", "breast-cancer-classifier/v7", MERGE)
    notes = host.calls[3][3]
    assert notes == md[4].decode() and "| ml-reviewer | @mo-reviewer (id 1002)" in notes
    assert [c[2] for c in host.calls[4:]] == [STATEMENT_FILE, SIGNATURE_FILE]
    assert host.calls[5][3] == (bundle / SIGNATURE_FILE).read_bytes()
    assert done.tag == "breast-cancer-classifier/v7" and len(done.assets) == 2


class Obj:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


class RecordingRepo:
    """Stands in for PyGithub's Repository: records what the adapter asks of it."""

    def __init__(self, existing: bool) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.existing = existing

    def create_git_tag(self, tag: str, message: str, sha: str, kind: str) -> Any:
        self.calls.append(("create_git_tag", tag, sha, kind))
        return Obj(sha="t" * 40)

    def create_git_ref(self, ref: str, sha: str) -> Any:
        self.calls.append(("create_git_ref", ref, sha))

    def create_git_release(self, tag: str, **kw: Any) -> Any:
        self.calls.append(("create_git_release", tag, kw["name"]))
        calls = self.calls

        def upload_asset(path: str, **k: Any) -> Any:
            calls.append(("upload_asset", k["name"]))
            return Obj(browser_download_url="https://x/a")

        return Obj(id=5, html_url="https://x/r/5", upload_asset=upload_asset)

    def get_contents(self, path: str, ref: str) -> Any:
        from github import GithubException

        if not self.existing:
            raise GithubException(404, {"message": "Not Found"}, None)
        return Obj(sha="s" * 40)

    def create_file(self, path: str, message: str, content: bytes, branch: str) -> Any:
        self.calls.append(("create_file", path, branch))
        return {"commit": Obj(sha="n" * 40)}

    def update_file(self, path: str, message: str, content: bytes, sha: str,
                    branch: str) -> Any:
        self.calls.append(("update_file", path, sha, branch))
        return {"commit": Obj(sha="u" * 40)}


@pytest.mark.parametrize("existing", [False, True])
def test_the_pygithub_adapter_makes_the_documented_calls(existing: bool, tmp_path: Path) -> None:
    repo = RecordingRepo(existing)
    host = PyGithubReleases(repo)
    host.create_tag("m/v1", MERGE, "m v1")
    rel = host.create_release("m/v1", "m v1", "notes")
    (tmp_path / "a.json").write_text("{}")
    host.upload_asset(rel, tmp_path / "a.json", "a.json", "application/json")
    sha = host.put_file("model_cards/m/v1.md", b"x", "card [skip ci]", "main")
    assert repo.calls[:4] == [("create_git_tag", "m/v1", MERGE, "commit"),
                              ("create_git_ref", "refs/tags/m/v1", "t" * 40),
                              ("create_git_release", "m/v1", "m v1"), ("upload_asset", "a.json")]
    assert repo.calls[4][0] == ("update_file" if existing else "create_file")
    assert sha == ("u" if existing else "n") * 40

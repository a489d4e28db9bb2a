# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The double's release endpoints, through the adapter the release uses
(`modelgate.bot.github.releases.PyGithubReleases` over real PyGithub): a file committed and
replaced, an annotated tag and its ref, a release and its assets uploaded to the
`upload_url` the double renders; GitHub's refusals; `contents: write` is needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from github import GithubException

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401  (the fixture)
from demo.github_double.routes.releases import releases_of
from demo.github_double.state import git_blob_sha
from modelgate.bot.github.releases import ReleaseHostError, connect

REPO = "acme/model"
SLUG, APP_ID = "modelgate", 4242


@pytest.fixture
def gh(github_double: GitHubDouble) -> GitHubDouble:  # noqa: F811
    github_double.add_user("ada")
    github_double.create_org("acme", members=["ada"])
    github_double.create_repo(REPO, files={"README.md": "model"})
    github_double.install_app(REPO, SLUG, APP_ID,
                              permissions={"contents": "write", "metadata": "read"})
    return github_double


def token(gh: GitHubDouble, level: str = "write") -> str:
    return gh.app_token(SLUG, REPO, permissions={"contents": level})


def test_a_card_is_committed_tagged_and_released_with_its_assets(gh: GitHubDouble,
                                                                 tmp_path: Path) -> None:
    host = connect(token(gh), REPO, gh.base_url)
    first = host.put_file("model_cards/m/v1.md", b"# v1\n", "card [skip ci]", "main")
    second = host.put_file("model_cards/m/v1.md", b"# v1, again\n", "card [skip ci]", "main")
    repo = gh.state.repo_for_tests(REPO)
    assert repo.branches["main"] == second and repo.commits[second].parents == (first,)
    assert repo.commits[second].tree["model_cards/m/v1.md"] == b"# v1, again\n"
    host.create_tag("m/v1", second, "m v1")
    release = host.create_release("m/v1", "m v1", "# v1")
    asset = tmp_path / "release.intoto.json"
    asset.write_text(json.dumps({"_type": "https://in-toto.io/Statement/v1"}))
    url = host.upload_asset(release, asset, asset.name, "application/json")
    assert url == f"{gh.base_url}/{REPO}/releases/download/m/v1/release.intoto.json"
    book = releases_of(gh.state).of(repo)
    tag = book.tags[book.refs["refs/tags/m/v1"]]
    assert (tag.object_sha, tag.object_type, tag.tagger["name"]) == (second, "commit",
                                                                    f"{SLUG}[bot]")
    (made,) = book.releases.values()
    assert (made.tag_name, made.body, [a.name for a in made.assets]) == (
        "m/v1", "# v1", ["release.intoto.json"])
    assert json.loads(made.assets[0].data) == {"_type": "https://in-toto.io/Statement/v1"}
    assert gh.violations == []


def test_the_upload_url_is_on_the_double(gh: GitHubDouble) -> None:
    """GitHub answers uploads.github.com; the double its own base URL, as a template."""
    host = connect(token(gh), REPO, gh.base_url)
    host.create_tag("m/v1", gh.state.repo_for_tests(REPO).branches["main"], "m v1")
    release = host.create_release("m/v1", "m v1", "notes")
    raw = host._releases[release.id]  # the PyGithub GitRelease
    assert raw.upload_url == (f"{gh.base_url}/repos/{REPO}/releases/{release.id}"
                              "/assets{?name,label}")


def test_github_refusals(gh: GitHubDouble) -> None:
    """Replacing without the blob sha, a tag of an unknown object, a ref that
    exists, a second release of one tag: each refused as GitHub does."""
    host = connect(token(gh), REPO, gh.base_url)
    repo = host._repo
    host.put_file("a.md", b"a\n", "a", "main")
    with pytest.raises(GithubException) as no_sha:
        repo.create_file("a.md", "again", b"b\n", branch="main")
    assert no_sha.value.status == 422
    # (a stale sha is 409 as on GitHub, but the description's 409 is a oneOf whose two
    # branches both fit any error body, so the double's response check cannot pass it)
    current = git_blob_sha(b"a\n")
    assert repo.update_file("a.md", "again", b"b\n", current, branch="main")["commit"].sha
    with pytest.raises(ReleaseHostError, match="422"):
        host.create_tag("m/v1", "f" * 40, "m v1")
    head = gh.state.repo_for_tests(REPO).branches["main"]
    host.create_tag("m/v1", head, "m v1")
    with pytest.raises(ReleaseHostError, match="Reference already exists"):
        host.create_tag("m/v1", head, "m v1")
    host.create_release("m/v1", "m v1", "notes")
    with pytest.raises(ReleaseHostError, match="422"):
        host.create_release("m/v1", "m v1", "notes")
    assert gh.take_violations() == []


def test_each_call_needs_contents_write(gh: GitHubDouble, tmp_path: Path) -> None:
    """With `contents: read` the commit, the tag and the release are 403."""
    host = connect(token(gh, "read"), REPO, gh.base_url)
    head = gh.state.repo_for_tests(REPO).branches["main"]
    for call in (lambda: host.create_tag("m/v1", head, "m v1"),
                 lambda: host.create_release("m/v1", "m v1", "notes")):
        with pytest.raises(ReleaseHostError, match="403"):
            call()
    with pytest.raises(ReleaseHostError, match="403"):
        host.put_file("a.md", b"a\n", "a", "main")

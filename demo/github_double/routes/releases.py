# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What `modelgate release --publish-card` calls (`modelgate.bot.github.releases`): commit a file
through the contents API, create an annotated tag object and its ref, create a release
and upload its assets. Operations: `spec/releases.json`; each needs the `contents: write`
permission of a scoped token (registered below, from GitHub's "Permissions required for
GitHub Apps" page).

Real GitHub takes uploads on `uploads.github.com`; a client reads that host from the
release's `upload_url` (PyGithub does), so the double renders `upload_url` on its own
base URL and serves the upload like any other operation. The double's request pipeline
parses bodies as JSON, so an asset must be JSON text (the statement and its Sigstore
bundle are); the double keeps it re-serialised, not byte for byte.

Tags, refs, releases and assets live beside the double's state (one `ReleaseBook` per
double, :func:`releases_of`), so the road can read what the release published.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from demo.github_double.errors import ApiError, not_found, validation_failed
from demo.github_double.permissions import register
from demo.github_double.render import iso
from demo.github_double.routes.base import (
    Context,
    Request,
    Response,
    RouteTable,
    require,
    visible_repo,
)
from demo.github_double.state import Account, GitHubState, Repo, git_blob_sha, node_id

route = RouteTable()
JSON = dict[str, Any]
OPERATIONS = ("repos/create-or-update-file-contents", "git/create-tag", "git/create-ref",
              "repos/create-release", "repos/upload-release-asset")
# https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps
# ("Repository permissions for Contents": write for each of these)
for _operation in OPERATIONS:
    register(_operation, ("contents",), "write")

SHA_NOT_SUPPLIED = "Invalid request.\n\n\"sha\" wasn't supplied."
SHA_MISMATCH = "{path} does not match {sha}"
BRANCH_NOT_FOUND = "Branch {branch} not found"
REF_EXISTS = "Reference already exists"
REF_NOT_QUALIFIED = "ref must start with 'refs/' and have at least two slashes."
OBJECT_MISSING = "Object does not exist"
RELEASE_EXISTS = "already_exists"
BAD_CONTENT = "content is not valid Base64"


@dataclass
class TagObject:
    sha: str
    tag: str
    message: str
    object_sha: str
    object_type: str
    tagger: JSON


@dataclass
class Asset:
    id: int
    name: str
    label: str | None
    content_type: str
    data: bytes
    uploader: str
    created_at: datetime


@dataclass
class Release:
    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    author: str
    created_at: datetime
    assets: list[Asset] = field(default_factory=list)


@dataclass
class RepoReleases:
    tags: dict[str, TagObject] = field(default_factory=dict)  # tag object sha -> tag
    refs: dict[str, str] = field(default_factory=dict)  # refs/tags/x -> object sha
    releases: dict[int, Release] = field(default_factory=dict)


@dataclass
class ReleaseBook:
    repos: dict[str, RepoReleases] = field(default_factory=dict)

    def of(self, repo: Repo) -> RepoReleases:
        return self.repos.setdefault(repo.full_name.casefold(), RepoReleases())


_BOOKS: weakref.WeakKeyDictionary[GitHubState, ReleaseBook] = weakref.WeakKeyDictionary()


def releases_of(state: GitHubState) -> ReleaseBook:
    """The tags, refs and releases of one double."""
    found = _BOOKS.get(state)
    if found is None:
        found = _BOOKS[state] = ReleaseBook()
    return found


def _person(account: Account, when: datetime) -> JSON:
    return {"name": account.name or account.login,
            "email": f"{account.login}@users.noreply.double", "date": iso(when)}


# -- contents ----------------------------------------------------------------------------


@route("repos/create-or-update-file-contents", resource="Content")
def put_content(ctx: Context, req: Request) -> Response:
    """Create a file (no `sha`) or replace it (`sha` = its current blob sha): one commit."""
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    path = str(req.path["path"]).strip("/")
    branch = str(req.field("branch") or repo.default_branch)
    head = repo.branches.get(branch)
    if head is None:
        raise ApiError(404, BRANCH_NOT_FOUND.format(branch=branch))
    try:
        content = base64.b64decode(str(req.field("content", "")), validate=True)
    except binascii.Error:
        raise validation_failed("Content", "content", "invalid", BAD_CONTENT) from None
    current = repo.commits[head].tree.get(path)
    given = req.field("sha")
    if current is not None and given is None:
        raise ApiError(422, SHA_NOT_SUPPLIED)
    if current is not None and given != git_blob_sha(current):
        raise ApiError(409, SHA_MISMATCH.format(path=path, sha=given))
    commit = ctx.state.commit(repo, branch, {path: content}, str(req.field("message")),
                              req.login)
    body = {"content": ctx.render.content_file(repo, branch, path, content),
            "commit": ctx.render.git_commit(repo, commit)}
    body["content"].pop("content")
    body["content"].pop("encoding")
    return Response(200 if current is not None else 201, body)


# -- tags and refs -----------------------------------------------------------------------


def _object_type(repo: Repo, book: RepoReleases, sha: str) -> str | None:
    if sha in repo.commits:
        return "commit"
    if sha in book.tags:
        return "tag"
    return None


def _tag_json(ctx: Context, repo: Repo, tag: TagObject) -> JSON:
    base = ctx.render.repo_url(repo)
    kind = "commits" if tag.object_type == "commit" else "tags"
    return {"node_id": node_id("TAG", int(tag.sha[:12], 16)), "tag": tag.tag, "sha": tag.sha,
            "url": f"{base}/git/tags/{tag.sha}", "message": tag.message, "tagger": tag.tagger,
            "object": {"sha": tag.object_sha, "type": tag.object_type,
                       "url": f"{base}/git/{kind}/{tag.object_sha}"},
            "verification": {"verified": False, "reason": "unsigned", "signature": None,
                             "payload": None, "verified_at": None}}


@route("git/create-tag", resource="Tag")
def create_tag(ctx: Context, req: Request) -> Response:
    """An annotated tag object; no ref points at it until `git/create-ref`."""
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    book = releases_of(ctx.state).of(repo)
    target, kind = str(req.field("object")), str(req.field("type"))
    if _object_type(repo, book, target) != kind:  # trees and blobs are not kept
        raise validation_failed("Tag", "object", "invalid", OBJECT_MISSING)
    tagger = req.field("tagger") or _person(req.caller, ctx.now())
    tagger = {**tagger, "date": tagger.get("date") or iso(ctx.now())}
    tag, message = str(req.field("tag")), str(req.field("message"))
    seed = f"object {target}\ntype {kind}\ntag {tag}\ntagger {json.dumps(tagger)}\n\n{message}"
    sha = hashlib.sha1(seed.encode(), usedforsecurity=False).hexdigest()
    made = book.tags.setdefault(sha, TagObject(sha, tag, message, target, kind, tagger))
    body = _tag_json(ctx, repo, made)
    return Response(201, body, {"Location": body["url"]})


@route("git/create-ref", resource="Reference")
def create_ref(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    book = releases_of(ctx.state).of(repo)
    ref, sha = str(req.field("ref")), str(req.field("sha"))
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise ApiError(422, REF_NOT_QUALIFIED)
    kind = _object_type(repo, book, sha)
    if kind is None:
        raise ApiError(422, OBJECT_MISSING)
    if ref in book.refs or (ref.startswith("refs/heads/")
                            and ref.removeprefix("refs/heads/") in repo.branches):
        raise ApiError(422, REF_EXISTS)
    if ref.startswith("refs/heads/"):
        repo.branches[ref.removeprefix("refs/heads/")] = sha
    else:
        book.refs[ref] = sha
    base = ctx.render.repo_url(repo)
    url = f"{base}/git/{quote(ref)}"
    body = {"ref": ref, "node_id": node_id("REF", len(book.refs) + len(repo.branches)),
            "url": url, "object": {"type": kind, "sha": sha,
                                   "url": f"{base}/git/{kind}s/{sha}"}}
    return Response(201, body, {"Location": url})


# -- releases and assets -----------------------------------------------------------------


def _asset_json(ctx: Context, repo: Repo, release: Release, asset: Asset) -> JSON:
    return {"url": f"{ctx.render.repo_url(repo)}/releases/assets/{asset.id}",
            "browser_download_url": (f"{ctx.render.repo_html(repo)}/releases/download/"
                                     f"{quote(release.tag_name)}/{quote(asset.name)}"),
            "id": asset.id, "node_id": node_id("RA", asset.id), "name": asset.name,
            "label": asset.label, "state": "uploaded", "content_type": asset.content_type,
            "size": len(asset.data),
            "digest": f"sha256:{hashlib.sha256(asset.data).hexdigest()}",
            "download_count": 0, "created_at": iso(asset.created_at),
            "updated_at": iso(asset.created_at),
            "uploader": ctx.render.user(asset.uploader)}


def release_json(ctx: Context, repo: Repo, release: Release) -> JSON:
    base = f"{ctx.render.repo_url(repo)}/releases/{release.id}"
    tag = quote(release.tag_name)
    return {
        "url": base, "html_url": f"{ctx.render.repo_html(repo)}/releases/tag/{tag}",
        "assets_url": f"{base}/assets",
        # uploads.github.com in real GitHub: the double takes uploads on its own host
        "upload_url": f"{base}/assets{{?name,label}}",
        "tarball_url": f"{ctx.render.repo_url(repo)}/tarball/{tag}",
        "zipball_url": f"{ctx.render.repo_url(repo)}/zipball/{tag}",
        "id": release.id, "node_id": node_id("RE", release.id), "tag_name": release.tag_name,
        "target_commitish": release.target_commitish, "name": release.name,
        "body": release.body, "draft": release.draft, "prerelease": release.prerelease,
        "immutable": False, "created_at": iso(release.created_at),
        "published_at": None if release.draft else iso(release.created_at),
        "updated_at": iso(release.created_at),
        "author": ctx.render.user(release.author),
        "assets": [_asset_json(ctx, repo, release, a) for a in release.assets],
    }


@route("repos/create-release", resource="Release")
def create_release(ctx: Context, req: Request) -> Response:
    """A release of an existing tag, or of a new lightweight tag on `target_commitish`."""
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    book = releases_of(ctx.state).of(repo)
    tag = str(req.field("tag_name"))
    if any(r.tag_name == tag for r in book.releases.values()):
        raise validation_failed("Release", "tag_name", RELEASE_EXISTS, "")
    target = str(req.field("target_commitish") or repo.default_branch)
    ref = f"refs/tags/{tag}"
    if ref not in book.refs:
        sha = repo.resolve_ref(target)
        if sha is None:
            raise validation_failed("Release", "target_commitish", "invalid", "")
        book.refs[ref] = sha
    release = Release(id=ctx.state.next_id("release"), tag_name=tag, target_commitish=target,
                      name=req.field("name"), body=req.field("body"),
                      draft=bool(req.field("draft", False)),
                      prerelease=bool(req.field("prerelease", False)), author=req.login,
                      created_at=ctx.now())
    book.releases[release.id] = release
    body = release_json(ctx, repo, release)
    return Response(201, body, {"Location": body["url"]})


@route("repos/upload-release-asset", resource="ReleaseAsset")
def upload_asset(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    release = releases_of(ctx.state).of(repo).releases.get(int(req.path["release_id"]))
    if release is None:
        raise not_found()
    name = str(req.query.get("name") or "")
    if not name or any(a.name == name for a in release.assets):
        raise validation_failed("ReleaseAsset", "name", RELEASE_EXISTS if name else "missing",
                                "")
    data = b"" if req.body is None else json.dumps(req.body).encode()
    asset = Asset(id=ctx.state.next_id("release_asset"), name=name,
                  label=req.query.get("label"), content_type="application/json", data=data,
                  uploader=req.login, created_at=ctx.now())
    release.assets.append(asset)
    return Response(201, _asset_json(ctx, repo, release, asset))

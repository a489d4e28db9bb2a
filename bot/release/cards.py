# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The released card in the repository and on a GitHub release.

Each release commits ``model_cards/<model>/v<N>.md`` and its JSON twin (the card drawn
from the signed statement: what was released, from which PR and commit, the audits and
who approved), tags the merge commit ``<model>/v<N>``, and publishes a GitHub release
whose notes are the card and whose assets are the statement and its signature bundle.
The card commit's message carries ``[skip ci]``, and the PR check workflow ignores
``model_cards/**``, so committing a card never starts a model check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelgate.bot.github.releases import ReleaseHost
from modelgate.serving.attestation import SIGNATURE_FILE, STATEMENT_FILE

CARD_SCHEMA_VERSION = 1
CARDS_DIR = "model_cards"
SKIP_CI = "[skip ci]"
COMMIT_MESSAGE = "model card: {model} v{version} ({tag}) " + SKIP_CI


def tag_name(model: str, version: str) -> str:
    return f"{model}/v{version}"


def card_json(statement: dict[str, Any], digest: str) -> dict[str, Any]:
    """The JSON twin: the predicate, the subjects and the statement's digest."""
    return {"schema_version": CARD_SCHEMA_VERSION, "kind": "modelgate.released_card",
            "statement_sha256": digest, "subjects": statement["subject"],
            "release": statement["predicate"]}


def card_markdown(statement: dict[str, Any], digest: str) -> str:
    """The card as Markdown (the release notes too)."""
    p = statement["predicate"]
    m, s, g, a, t = (p[k] for k in ("model", "source", "governance", "audit", "training"))
    lines = [
        f"# {m['name']} v{m['version']}", "",
        f"Released to `{m['alias']}` at {p['releasedAt']} from PR #{s['pullRequest']} of "
        f"{s['repository']}.", "",
        "| | |", "| --- | --- |",
        f"| merge commit | `{s['mergeCommit']}` |", f"| audited head | `{s['auditedHead']}` |",
        f"| tree | `{s['tree']}` |", f"| MLflow run | `{t['runId']}` |",
        f"| data sha256 | `{t['dataSha256']}` |", f"| lock sha256 | `{t['lockSha256']}` |",
        f"| fingerprint | `{t['modelFingerprint']}` |",
        f"| governance.yml | `{g['sha256']}` at `{g['ref']}` |",
        f"| audit report | `{a['reportSha256']}` |",
        f"| release statement | `{digest}` |", "",
        "## Audits", "", "| audit | verdict |", "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in a["verdicts"].items()), "",
        "## Approvals", "", "| role | who | when | source |", "| --- | --- | --- | --- |",
        *(f"| {x['role']} | @{x['login']} (id {x['userId']}) | {x['at']} | "
          f"{x['url'] or ''} |" for x in p["approvals"]), "",
        "## Bundle files", "", "| file | sha256 |", "| --- | --- |",
        *(f"| {x['name']} | `{x['digest']['sha256']}` |" for x in statement["subject"]), "",
        f"Verify: `modelgate verify <bundle> --statement {SIGNATURE_FILE} --key <PEM>`.", "",
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class PublishedCard:
    """What publishing did."""

    card_path: str
    json_path: str
    tag: str
    release_url: str
    assets: list[str]


def publish(host: ReleaseHost, bundle_dir: Path, *, branch: str) -> PublishedCard:
    """Commit the card and its twin, tag the merge commit, publish the release + assets."""
    payload = (bundle_dir / STATEMENT_FILE).read_bytes()
    statement = json.loads(payload)
    from modelgate.hashing import sha256_bytes

    digest = sha256_bytes(payload)
    p = statement["predicate"]
    model, version = p["model"]["name"], p["model"]["version"]
    tag = tag_name(model, version)
    md, twin = card_markdown(statement, digest), card_json(statement, digest)
    base = f"{CARDS_DIR}/{model}/v{version}"
    message = COMMIT_MESSAGE.format(model=model, version=version, tag=tag)
    host.put_file(f"{base}.md", md.encode(), message, branch)
    host.put_file(f"{base}.json", (json.dumps(twin, indent=2) + "\n").encode(), message, branch)
    host.create_tag(tag, p["source"]["mergeCommit"], f"{model} v{version}\n\nstatement "
                    f"sha256 {digest}")
    release = host.create_release(tag, f"{model} v{version}", md)
    assets = [host.upload_asset(release, bundle_dir / name, name, "application/json")
              for name in (STATEMENT_FILE, SIGNATURE_FILE)]
    return PublishedCard(f"{base}.md", f"{base}.json", tag, release.url, assets)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate release`` on a real workspace: it releases only the audited model at the
bot's merge commit, records why on the version, and refuses everything else with the reason."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modelgate.bot.approvals.trailers import approval_trailer
from modelgate.bot.check.pipeline import run_check
from modelgate.bot.check.report import AuditReport
from modelgate.bot.release.release import (
    TAG_APPROVALS,
    TAG_AUDITED_HEAD,
    TAG_MERGE,
    TAG_PR,
    TAG_REFUSED,
    ReleaseRefused,
    release,
)
from modelgate.governance import LoadedConfig, load_config
from modelgate.progress import ConsoleReporter
from modelgate.training import tracking
from tests.conftest import git, make_workspace

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Merged:
    config: LoadedConfig
    head: str
    merge: str
    audited: AuditReport


def _quiet() -> ConsoleReporter:
    return ConsoleReporter(io.StringIO())


@pytest.fixture(scope="module")
def merged(tmp_path_factory: pytest.TempPathFactory) -> Merged:
    """A PR head that passed `modelgate check`, and the bot's merge commit on top of it
    (same tree, approvals as trailers)."""
    root = make_workspace(tmp_path_factory.mktemp("release-ws"), licensed=True)
    config = load_config(root / "governance.yml")
    head = git(root, "rev-parse", "HEAD")
    audited = run_check(config, tmp_path_factory.mktemp("pr-check"), reporter=_quiet()).report
    assert audited.passed, [a.summary for a in audited.failing()]
    trailers = "\n".join(approval_trailer(role, login, "2026-11-23T10:00:00Z", head)
                         for role, login in (("data-steward", "dana"), ("ml-lead", "lee")))
    git(root, "commit", "-q", "--allow-empty", "-m", f"Retune (#7)\n\n{trailers}")
    return Merged(config, head, git(root, "rev-parse", "HEAD"), audited)


def _versions(config: LoadedConfig) -> list[Any]:
    client = tracking.configure(config)
    return list(client.search_model_versions(f"name='{config.governance.model.name}'"))


def test_the_audited_model_is_released_with_its_pr_merge_and_approvals(
        merged: Merged, tmp_path: Path) -> None:
    record = release(merged.config, merge_sha=merged.merge, audited_head_sha=merged.head,
                     audited=merged.audited, pr_number=7, out_dir=tmp_path, reporter=_quiet())
    assert record.model_fingerprint == merged.audited.model_fingerprint
    assert record.version != merged.audited.model_version  # retrained at the merge commit
    client = tracking.configure(merged.config)
    tags = client.get_model_version(record.model_name, record.version).tags
    assert tags[TAG_PR] == "7" and tags[TAG_MERGE] == merged.merge
    assert tags[TAG_AUDITED_HEAD] == merged.head and TAG_REFUSED not in tags
    assert '"role":"ml-lead","login":"lee"' in tags[TAG_APPROVALS]


def test_a_retrain_that_is_not_the_audited_model_is_refused_and_marked(
        merged: Merged, tmp_path: Path) -> None:
    """Another fingerprint than the audited one: refused, and the version it registered is
    tagged with the reason so it can never be promoted."""
    other = merged.audited.model_copy(update={"model_fingerprint": "0" * 64})
    before = {v.version for v in _versions(merged.config)}
    with pytest.raises(ReleaseRefused, match="it is not the model that was approved") as exc:
        release(merged.config, merge_sha=merged.merge, audited_head_sha=merged.head,
                audited=other, pr_number=7, out_dir=tmp_path, reporter=_quiet())
    (new,) = [v for v in _versions(merged.config) if v.version not in before]
    assert new.tags[TAG_REFUSED] == str(exc.value) and TAG_PR not in new.tags


def test_a_merge_whose_tree_is_not_the_audited_tree_is_refused_before_training(
        merged: Merged, tmp_path: Path) -> None:
    """The base moved between the audit and the merge: nothing is trained or registered."""
    root = merged.config.root
    (root / "NOTES.md").write_text("a change nobody audited\n")
    git(root, "add", "NOTES.md")
    git(root, "commit", "-q", "-m", "unaudited")
    moved = git(root, "rev-parse", "HEAD")
    before = len(_versions(merged.config))
    try:
        with pytest.raises(ReleaseRefused, match="differs from the audited head's tree"):
            release(merged.config, merge_sha=moved, audited_head_sha=merged.head,
                    audited=merged.audited, pr_number=7, out_dir=tmp_path, reporter=_quiet())
        with pytest.raises(ReleaseRefused, match=f"not at the merge commit {merged.merge}"):
            release(merged.config, merge_sha=merged.merge, audited_head_sha=merged.head,
                    audited=merged.audited, pr_number=7, out_dir=tmp_path, reporter=_quiet())
    finally:
        git(root, "reset", "-q", "--hard", merged.merge)
    assert len(_versions(merged.config)) == before


def test_the_release_signs_a_statement_over_the_bundle_it_promotes(
        merged: Merged, tmp_path: Path) -> None:
    """The statement is signed between export and upload: its predicate carries the PR, the
    merge, each approval from the trailers, the base branch's governance digest, the audit
    verdicts, run, data, lock hash and fingerprint, read from what the release has."""
    import json

    from modelgate.bot.release.signing import KeySigner
    from modelgate.bot.release.verify import trusted_keys, verify
    from modelgate.hashing import sha256_bytes
    from modelgate.serving.attestation import STATEMENT_FILE
    from tests.release_support import public_pem, release_key
    from tests.serving_support import export

    seen: dict[str, Any] = {}

    def promote(client: Any, config: LoadedConfig, **kwargs: Any) -> Any:
        bundle = kwargs["out_dir"] / "bundle"
        export(bundle)
        written = kwargs["attest"](bundle)
        seen.update(bundle=bundle, client=client, written=written)
        return type("Record", (), {"bundle_uri": str(bundle),
                                   "statement_sha256": written.digest})()

    record = release(merged.config, merge_sha=merged.merge, audited_head_sha=merged.head,
                     audited=merged.audited, pr_number=7, out_dir=tmp_path, reporter=_quiet(),
                     promote=promote, signer=KeySigner(release_key()), repository="acme/models")
    checked = verify(str(seen["bundle"]), trusted_keys(public_pem()))
    assert record.statement_sha256 == checked.statement.digest == seen["written"].digest
    pred = json.loads((seen["bundle"] / STATEMENT_FILE).read_bytes())["predicate"]
    root = merged.config.root
    assert pred["source"] | {"author": None} == {
        "repository": "acme/models", "pullRequest": 7, "auditedHead": merged.head,
        "mergeCommit": merged.merge, "tree": git(root, "rev-parse", f"{merged.merge}^{{tree}}"),
        "author": None, "gateChange": pred["source"]["gateChange"]}
    assert [(a["role"], a["login"], a["onCommit"]) for a in pred["approvals"]] == [
        ("data-steward", "dana", merged.head), ("ml-lead", "lee", merged.head)]
    import subprocess  # nosec B404 - fixed git argv

    base_gov = subprocess.run(["git", "show", f"{merged.merge}^1:governance.yml"], cwd=root,
                              capture_output=True, check=True).stdout
    assert pred["governance"] == {"path": "governance.yml", "sha256": sha256_bytes(base_gov),
                                  "ref": git(root, "rev-parse", f"{merged.merge}^1")}
    run = seen["client"].get_run(pred["training"]["runId"])
    assert pred["training"]["lockSha256"] == run.data.tags[tracking.TAG_LOCK]
    assert pred["training"]["modelFingerprint"] == merged.audited.model_fingerprint
    assert set(pred["audit"]["verdicts"]) == {a.id for a in merged.audited.audits}
    assert all(v == "pass" for v in pred["audit"]["verdicts"].values())

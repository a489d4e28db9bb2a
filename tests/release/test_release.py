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

from bot.approvals.trailers import approval_trailer
from bot.check.pipeline import run_check
from bot.check.report import AuditReport
from bot.release.release import (
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
from tests.conftest import git, make_workspace
from training import tracking

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
    return client.search_model_versions(f"name='{config.governance.model.name}'")


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

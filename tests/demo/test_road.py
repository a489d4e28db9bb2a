# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""End to end on one machine: the road of `make demo`, asserted.

Pull requests go through the workflows' own `modelgate` steps (read from
`.github/workflows/`) against the GitHub double, an MLflow tracking server and moto, and
the prediction served at the end is traced back to its data, code, run, audits,
approvals and deploy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from demo import road
from tests.conftest import mlflow_uris_kept

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with mlflow_uris_kept():  # the road's tracking server is gone when it returns
        return road.play(tmp_path_factory.mktemp("road"))


def test_approved_green_pr_is_merged_released_deployed_and_traced(played: Any) -> None:
    """PR -> check -> report -> approvals -> pinned merge -> release -> deploy -> predict
    -> trace names version, run, data sha256, commit, PR, audits, approvers and deploy."""
    first = played.first
    assert first.check_conclusion == "success" and first.merged and first.merge_sha
    assert "<!-- modelgate:card" in played.comment
    body = played.served_first.body
    assert body["model_version"] == "1" and body["count"] == 3
    trace = played.trace_text
    assert f"PR        #{first.number} (audited head {first.head_sha})" in trace
    assert "audits    passed" in trace and "missing" not in trace
    for role, login in road.ROLE_HOLDERS.items():
        assert f"approved  {role}: {login} at " in trace
    assert "deployed  modelgate-breast-cancer:1 by deploy " in trace
    assert "data      sha256 425263b2245a8369a892452fc434abf4452f09c4a361b3e90ccdbdcb57b23022" \
        in trace


def test_worse_model_is_blocked_and_a_push_resets_approvals(played: Any) -> None:
    """A prior-only model fails the gate; three approvals do not merge it; a push after the
    approvals removes every approval label."""
    worse = played.worse
    assert worse.check_conclusion == "failure" and not worse.merged
    assert not [label for label in played.labels_after_push if label.startswith("approved:")]


def test_the_report_judges_later_prs_against_the_production_bundle(played: Any) -> None:
    """Once v1 is live, the report job scores its bundle on the PR's evaluation rows: the
    worse PR fails against production v1, the better one passes against it."""
    assert "production v1" in played.second_comment
    assert "majority-class baseline" not in played.second_comment
    assert played.second.merged


def test_release_with_a_different_fingerprint_is_refused(played: Any) -> None:
    """The release refuses a retrained model whose fingerprint differs from the audited one."""
    assert played.refused_release_status == 1
    assert "is not the model that was approved" in played.refused_release_output


def test_rollback_returns_the_previous_versions_predictions(played: Any) -> None:
    """After a second release, rollback serves version 1 again, with its exact answers."""
    first, second, back = played.served_first, played.served_second, played.served_after_rollback
    assert second.body["model_version"] == "3"  # v2 came from the refused release
    assert back.body["model_version"] == "1"
    probs = [[p["probability_positive_class"] for p in s.body["predictions"]]
             for s in (first, second, back)]
    assert probs[2] == probs[0] and probs[1] != probs[0]


def test_comment_is_saved_and_every_request_logged(played: Any, tmp_path: Path) -> None:
    """The road saves the comment it printed and one JSON log line per request."""
    for served in (played.served_first, played.served_second, played.served_after_rollback):
        lines = [json.loads(line) for line in served.log_lines]
        assert [ln["request_id"] for ln in lines if ln.get("event") == "request"] \
            == [served.request_id]


def test_the_signed_statement_follows_the_bundle_to_every_answer(played: Any) -> None:
    """The release signs one statement; its digest is in the release and deploy records,
    in /model-info and in the served request's log line; the next release signs another."""
    first, second = played.first_release, played.second_release
    digest = first.release_statement
    assert len(digest) == 64 and all(c in "0123456789abcdef" for c in digest)
    assert first.deploy_statement == digest == played.model_info["statement_sha256"]
    logged = [json.loads(line) for line in played.served_first.log_lines]
    assert {ln["statement_sha256"] for ln in logged if ln.get("event") == "request"} == {digest}
    assert second.release_statement == second.deploy_statement != digest


def test_the_trace_verifies_every_link_against_the_signed_statement(played: Any) -> None:
    """`modelgate trace --verify` names the statement and finds no MISMATCH."""
    assert f"statement sha256 {played.first_release.deploy_statement}" in played.trace_text
    assert "MISMATCH" not in played.trace_text


def test_history_answers_what_served_between_the_two_deploys(played: Any) -> None:
    """`modelgate history --at` a time between the deploys: version 1, its statement."""
    text = played.history_text
    assert "served breast-cancer-classifier v1 (lambda version 1)" in text
    assert f"statement sha256 {played.first_release.deploy_statement}" in text
    assert "deploy at " in text


def test_an_alias_moved_by_hand_is_an_incident(played: Any) -> None:
    """After the rollback someone points `live` at version 2 with the AWS API: verify
    --registry exits 1 with one INCIDENT line naming the ledger's last move."""
    assert played.incident_status == 1
    (line,) = played.incident_text.splitlines()
    assert line.startswith("INCIDENT: Lambda alias modelgate-breast-cancer:live points at 2, "
                           "but the ledger's last move put it at 1")
    assert "rollback" in line and "moved outside modelgate" in line


def test_each_release_publishes_its_card_tag_and_github_release(played: Any) -> None:
    """model_cards/<model>/v<N>.md on the default branch, the tag <model>/v<N> on the
    merge commit, a GitHub release with the statement and its signature as assets."""
    for published, version in ((played.first_release, "1"), (played.second_release, "3")):
        assert published.tag == f"breast-cancer-classifier/v{version}"
        assert published.card_path == f"model_cards/breast-cancer-classifier/v{version}.md"
        assert published.assets == ["release.intoto.json", "release.sigstore.json"]

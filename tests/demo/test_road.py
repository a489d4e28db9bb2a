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

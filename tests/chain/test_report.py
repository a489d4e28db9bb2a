# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate report`` and the living comment: one comment and one check run however often
the report runs, never another person's comment, always under GitHub's size limit, and
nothing from the artifact posted unescaped."""

from __future__ import annotations

from typing import Any

import pytest

from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.chain.check_run import CHECK_NAME, OUTPUT_LIMIT
from modelgate.bot.chain.comment import COMMENT_LIMIT, marker_for
from tests.bot_support import (
    BOT,
    MODEL,
    REPO,
    RUN_URL,
    Scene,
    artifact_files,
    make_card,
    make_metadata,
    make_report,
    zip_of,
)


def test_reporting_five_times_leaves_one_comment_and_one_check_run(scene: Scene) -> None:
    """It edits its one comment and its one check run in place, and writes nothing the
    second time round when nothing changed."""
    number = scene.open_pr()
    for _ in range(5):
        assert scene.report(number).code == 0
    assert len(scene.bot_comments(number)) == 1
    runs = [r for r in scene.checks() if r["name"] == CHECK_NAME]
    assert len(runs) == 1
    # The check is the whole decision: green audits alone leave it waiting for approvals.
    assert runs[0]["status"] == "in_progress" and runs[0]["conclusion"] is None
    assert "3 of 3 audits passed" not in runs[0]["output"]["title"]
    assert "| `pii` | pass |" in runs[0]["output"]["text"]
    assert runs[0]["head_sha"] == scene.head(number)
    assert runs[0]["details_url"] == RUN_URL
    edits = scene.gh.calls_to("PATCH", f"/repos/{REPO}/issues/comments/*")
    assert len(edits) == 1  # the first report fills the card; the other four change nothing
    assert scene.gh.calls_to("POST", f"/repos/{REPO}/issues/*/comments") != []


def test_the_card_shows_the_checklist_from_the_validated_report(scene: Scene) -> None:
    """The comment's checklist comes from audit_report.json, even if the card's own
    checklist says otherwise, and a failing audit turns the check run red."""
    number = scene.open_pr()
    head = scene.head(number)
    card = make_card(head)  # its checklist claims "No PII: pass"
    files = artifact_files(head, number, card=card, report=make_report(head, failing=["bias"]))
    assert scene.report(number, files=files).code == 0
    living = scene.living(number)
    assert "**Audit bias** (`bias`): bias failed" in living
    assert "No PII" not in living
    run = scene.checks()[0]
    assert run["conclusion"] == "failure"
    assert "The audits failed" in run["output"]["title"]
    assert "bias failed" in run["output"]["summary"]


def test_a_marker_pasted_by_a_person_is_never_edited(scene: Scene) -> None:
    """A human comment that starts with the bot's marker is left alone; the bot writes
    its own comment beside it."""
    number = scene.open_pr()
    pasted = f"{marker_for(MODEL)}\nI copied this from the bot /approve"
    comment_id = scene.gh.comment_as("mallory", REPO, number, pasted)
    assert scene.report(number).code == 0
    assert scene.comment_body(comment_id) == pasted
    assert scene.gh.calls_to("PATCH", f"/repos/{REPO}/issues/comments/{comment_id}") == []
    assert len(scene.bot_comments(number)) == 1


def test_a_giant_card_is_shortened_under_githubs_limit(scene: Scene) -> None:
    """It drops rows (never half a table), says what it cut, links the full report, and
    keeps doing so when approvals change the comment later."""
    number = scene.open_pr()
    head = scene.head(number)
    card = make_card(head, subgroup_rows=4000, risks=[f"risk {i} " + "x" * 200
                                                     for i in range(300)])
    assert len(card.model_dump_json()) > 200_000
    files = artifact_files(head, number, card=card)
    assert scene.report(number, files=files).code == 0
    living = scene.living(number)
    assert len(living) < COMMENT_LIMIT
    assert "shortened to stay under GitHub's 65,536-character limit" in living
    assert "the subgroup table shows" in living
    assert f"[the workflow run]({RUN_URL})" in living
    assert "more in the full report" in living  # the row that stands for the dropped rows
    assert living.count("```") % 2 == 0
    notice = living.split("shortened", 1)[1].split(".", 1)[0]
    scene.say("dana", number, "/approve")
    living = scene.living(number)
    assert len(living) < COMMENT_LIMIT
    assert "&#64;dana" in living
    assert notice in living  # the stored card keeps saying what was cut from it


def test_a_long_approval_history_is_shortened_too(scene: Scene) -> None:
    """Hundreds of approve/cancel rounds keep the comment under the limit, newest kept."""
    number = scene.open_pr()
    for i in range(150):
        scene.gh.comment_as("dana", REPO, number, "/approve" if i % 2 == 0 else "/approve cancel")
    scene.say("mo", number, "/approve")
    living = scene.living(number)
    assert len(living) < COMMENT_LIMIT
    assert "&#64;mo" in living


INJECTION = (
    "<img src=x onerror=alert(1)> [click](https://evil.example) @everyone #1 "
    "</details><!-- ```mermaid\n| a | b |"
)


def test_markdown_and_html_in_the_artifact_are_neutralised(scene: Scene) -> None:
    """Strings from the untrusted artifact cannot inject HTML, links, mentions or tables."""
    number = scene.open_pr()
    head = scene.head(number)
    card = make_card(head, text=INJECTION, risks=[INJECTION])
    files = artifact_files(head, number, card=card,
                           report=make_report(head, failing=["pii"], summary=INJECTION))
    assert scene.report(number, files=files).code == 0
    living = scene.living(number)
    for raw in ("<img", "[click](", "@everyone", "</details><!--", "onerror=alert(1)>"):
        assert raw not in living, raw
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in living
    run = scene.checks()[0]
    for raw in ("<img", "[click](", "@everyone"):
        assert raw not in run["output"]["summary"] + run["output"]["text"]


def test_the_check_output_stays_within_githubs_limits(scene: Scene) -> None:
    """Summaries and texts longer than 65,535 characters are cut at a line."""
    number = scene.open_pr()
    head = scene.head(number)
    long = "y" * 1900
    report = make_report(head, summary=long)
    report = report.model_copy(update={"audits": [
        a.model_copy(update={"id": f"audit_{i}"}) for i, a in enumerate(report.audits * 12)]})
    files = artifact_files(head, number, report=report)
    assert scene.report(number, files=files).code == 0
    output = scene.checks()[0]["output"]
    assert len(output["summary"]) <= OUTPUT_LIMIT
    assert len(output["text"]) <= OUTPUT_LIMIT


def test_the_job_summary_tells_what_happened(scene: Scene) -> None:
    """It appends the verdict, the checklist and the merge state to $GITHUB_STEP_SUMMARY."""
    number = scene.open_pr()
    assert scene.report(number, failing=["leakage"]).code == 0
    summary = scene.summary.read_text(encoding="utf-8")
    assert f"modelgate report for #{number}" in summary
    assert "Audits: **failed**" in summary
    assert "leakage failed" in summary
    assert "Merge: not yet" in summary


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pr": 99}, "the artifact is for pull request #99"),
        ({"repository": "acme/other"}, "the artifact is for repository acme/other"),
    ],
)
def test_an_artifact_for_another_pull_request_is_refused(
    scene: Scene, change: dict[str, Any], message: str
) -> None:
    """Nothing is posted for an artifact that names another pull request or repository."""
    number = scene.open_pr()
    head = scene.head(number)
    files = artifact_files(head, number)
    meta = make_metadata(head, pr=change.get("pr", number),
                         repository=change.get("repository", REPO))
    files["run_metadata.json"] = meta.model_dump_json().encode()
    scene.gh.clear_calls()
    run = scene.report(number, files=files)
    assert run.code == 1
    assert message in run.out
    assert [c for c in scene.gh.calls if c.method != "GET"] == []


def test_an_artifact_for_an_earlier_head_is_superseded_not_posted(scene: Scene) -> None:
    """A report for a commit that is no longer the head posts nothing and says why."""
    number = scene.open_pr()
    old = scene.head(number)
    scene.push(number)
    scene.gh.clear_calls()
    run = scene.report(number, head=old)
    assert run.code == 0
    assert "superseded" in run.out
    assert [c for c in scene.gh.calls if c.method != "GET"] == []
    assert all(r["conclusion"] is None for r in scene.checks())


def test_an_artifact_whose_files_disagree_is_refused(scene: Scene) -> None:
    """The report, the metadata and the card must name the same commit."""
    number = scene.open_pr()
    head = scene.head(number)
    files = artifact_files(head, number, report=make_report("c" * 40))
    run = scene.report(number, files=files)
    assert run.code == 1
    assert "audit_report.json audited cccccccccccc" in run.out
    assert len(scene.bot_comments(number)) == 1  # only the "waiting" comment of opening
    assert "Waiting for the audit report" in scene.living(number)


def test_the_report_arrives_through_workflow_run(scene: Scene) -> None:
    """A completed audit workflow run is handled by downloading its artifact, checking it
    against the run's own head, and posting the report."""
    number = scene.open_pr()
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate audit", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml",
                                       conclusion="success")
    files = artifact_files(head, number, metadata=make_metadata(head, pr=number, run_id=run_id))
    scene.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
    run = scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    assert run.code == 0, run.out
    assert scene.checks()[-1]["status"] == "in_progress"  # audits green, approvals missing
    assert "# Model card: " in scene.living(number)
    assert f"modelgate report for #{number}" in scene.summary.read_text(encoding="utf-8")


def test_an_artifact_from_another_run_is_refused_in_workflow_run(scene: Scene) -> None:
    """An artifact that names a different workflow run was not made by this one."""
    number = scene.open_pr()
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate audit", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml")
    files = artifact_files(head, number, metadata=make_metadata(head, pr=number, run_id=1))
    scene.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
    run = scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    assert run.code == 1
    assert f"made by run 1, not by run {run_id}" in run.out


def test_a_workflow_run_without_an_artifact_fails_the_check(scene: Scene) -> None:
    """No artifact means no report to trust: the check run on the head is red."""
    number = scene.open_pr()
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate audit", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml",
                                       conclusion="failure")
    run = scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    assert run.code == 1
    assert "left no 'modelgate-audit' artifact" in run.out
    check = scene.checks()[0]
    assert (check["head_sha"], check["conclusion"]) == (head, "failure")


def test_a_poisoned_artifact_from_workflow_run_fails_the_check(scene: Scene) -> None:
    """A zip with a path that climbs out is refused, and the head's check says why."""
    number = scene.open_pr()
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate audit", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml")
    files = artifact_files(head, number)
    scene.gh.add_artifact(REPO, run_id, "modelgate-audit",
                          zip_of([*files.items(), ("../../etc/cron.d/x", b"boom")]))
    run = scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    assert run.code == 1
    assert "'..' would leave the artifact" in run.out
    assert scene.checks()[0]["conclusion"] == "failure"
    assert "Waiting for the audit report" in scene.living(number)


def test_an_artifact_claiming_another_pull_request_in_workflow_run_is_refused(
    scene: Scene,
) -> None:
    """The run's own pull requests are the trusted list; the artifact cannot pick another."""
    number = scene.open_pr()
    other = scene.open_pr(author="carl")
    head = scene.head(number)
    run_id = scene.gh.add_workflow_run(REPO, name="modelgate audit", head_sha=head,
                                       pull_number=number, workflow_file="modelgate-audit.yml")
    files = artifact_files(head, other, metadata=make_metadata(head, pr=other, run_id=run_id))
    scene.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
    run = scene.handle(scene.gh.webhooks.workflow_run(REPO, run_id))
    assert run.code == 1
    assert f"the artifact names #{other}" in run.out
    assert "Waiting for the audit report" in scene.living(other)


def test_an_edited_living_comment_changes_nothing(scene: Scene) -> None:
    """The comment is display only: someone with write access who rewrites it (pasting an
    old-style state block) changes no decision; the card comes back from the ledger."""
    number = scene.open_pr()
    assert scene.report(number).code == 0
    living_id = next(i for i, c in scene.gh.state.repo_for_tests(REPO).comments.items()
                     if c.author == BOT and c.body.startswith(marker_for(MODEL)))
    forged = f"{marker_for(MODEL)}\n<!-- modelgate:state eJzLSM3JyQcABiwCFQ== -->\n/approve"
    scene.gh.edit_comment(REPO, living_id, forged, as_user="mallory")
    scene.say("dana", number, "/approve")
    living = scene.living(number)
    assert "Waiting for the audit report" not in living
    assert "modelgate:state" not in living
    assert scene.labels(number) == {"approved:data-steward"}

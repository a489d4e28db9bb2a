# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Route one GitHub event (a checked payload view) to the approval chain, or say why it
needs nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from modelgate.bot.approvals.commands import parse_commands
from modelgate.bot.chain.ledger import DeletionRecord, PushRecord
from modelgate.bot.chain.sync import (
    ApprovalBot,
    Notice,
    ReportInput,
    SyncResult,
    deleted_commands,
    run_report,
)
from modelgate.bot.check.artifact import ArtifactError, Limits, StaleArtifact, load_artifact_bytes
from modelgate.bot.github.events import (
    Event,
    EventError,
    IssueCommentPayload,
    PullRequestPayload,
    PullRequestReviewPayload,
    WorkflowRunPayload,
)

PULL_SYNC_ACTIONS = frozenset({"opened", "reopened", "synchronize", "ready_for_review"})
COMMENT_ACTIONS = frozenset({"created", "edited", "deleted"})
MANAGED_LABEL_PREFIX = "approved:"
HOLD_LABEL = "hold"

NOOP_EVENT = "{name} is not an event modelgate handles"
NOOP_ACTION = "{name} {action}: nothing to do for this action"
NOOP_NOT_PR = "issue_comment on issue #{number}, which is not a pull request"
NOOP_OWN = "{name} by the bot itself ({who}): its own writes need no answer"
NOOP_NO_COMMAND = "comment {id} on #{number} holds no /approve or /hold command"
NOOP_LABEL = "label {label!r} is not one the approval chain manages"
NOOP_CLOSED = "#{number} was closed{how}: the release of a merge is started by the bot itself"
NOOP_WORKFLOW = "workflow run of {file!r} is not the audit workflow {wanted!r}"
NOOP_NO_PR = "no open pull request has head {sha}"
NOOP_RELAY_TRIGGER = "run {run} of the review relay was started by {trigger}, not by a review"
REVIEW_RELAYED = "review relayed by run {run}"
NOOP_REVIEW = "#{number}: review {action} ({state}); re-read the chain"
NOOP_EDITED = "#{number} edited without a base change: nothing the chain reads changed"
WRONG_REPO = "the {name} payload is for {payload}, but GITHUB_REPOSITORY is {env}"
NO_ARTIFACT = (
    "the audit run {url} concluded {conclusion} and left no {name!r} artifact, so there is no "
    "report to trust"
)
REFUSED_ARTIFACT = "the audit artifact of run {url} was refused: {error}"
ARTIFACT_RUN_MISMATCH = "the artifact names commit {claimed}, but run {run} built {built}"
ARTIFACT_RUN_ID_MISMATCH = "the artifact says it was made by run {claimed}, not by run {run}"
ARTIFACT_PR_MISMATCH = "the artifact names #{claimed}, but run {run} was for {numbers}"


@dataclass(frozen=True)
class Handled:
    """What ``modelgate handle`` did: ``noop`` (with why), ``sync`` or ``report``;
    ``failed`` when the event was refused (the exit code is then non-zero)."""

    action: str
    reason: str
    results: tuple[SyncResult, ...] = ()
    failed: bool = False


def _noop(reason: str) -> Handled:
    return Handled("noop", reason)


def handle_event(
    event: Event,
    bot: ApprovalBot,
    *,
    limits: Limits | None = None,
    summary: Callable[[str], object] = lambda _: None,
) -> Handled:
    """Route one event to the approval chain, or say why it needs nothing; ``summary``
    receives the job summary of a report."""
    payload = event.payload
    if payload is None:
        return _noop(NOOP_EVENT.format(name=event.name))
    repo = bot.api.repo
    if payload.repository.casefold() != repo.casefold():
        raise EventError(WRONG_REPO.format(name=event.name, payload=payload.repository, env=repo))
    if isinstance(payload, PullRequestPayload):
        return _pull_request(event.name, payload, bot)
    if isinstance(payload, IssueCommentPayload):
        return _issue_comment(payload, bot)
    if isinstance(payload, PullRequestReviewPayload):
        if payload.action not in ("submitted", "dismissed", "edited"):
            return _noop(NOOP_ACTION.format(name=event.name, action=payload.action))
        bot.log.info(NOOP_REVIEW.format(number=payload.number, action=payload.action,
                                        state=payload.state))
        return Handled("sync", f"review {payload.action}", (bot.sync(payload.number),))
    if isinstance(payload, WorkflowRunPayload):
        return _workflow_run(payload, bot, limits, summary)
    return _noop(NOOP_EVENT.format(name=event.name))


def _is_bot(login: str, bot: ApprovalBot) -> bool:
    return login.casefold() == bot.config.bot_login.casefold()


def _pull_request(name: str, payload: PullRequestPayload, bot: ApprovalBot) -> Handled:
    action = payload.action
    number = payload.number
    if action == "synchronize":
        push = PushRecord(payload.after or payload.head_sha, payload.before, payload.sender,
                          payload.sender_id, None)
        return Handled("sync", f"{name} {action}", (bot.sync(number, notice=Notice(push=push)),))
    if action in PULL_SYNC_ACTIONS:
        notice = Notice(opened=action == "opened")
        return Handled("sync", f"{name} {action}", (bot.sync(number, notice=notice),))
    if action == "edited":
        if not isinstance(_changes(payload).get("base"), dict):
            return _noop(NOOP_EDITED.format(number=number))
        return Handled("sync", f"{name} edited (base)", (bot.sync(number),))
    if action in ("labeled", "unlabeled"):
        label = payload.label or ""
        folded = label.casefold()
        if folded != HOLD_LABEL and not folded.startswith(MANAGED_LABEL_PREFIX):
            return _noop(NOOP_LABEL.format(label=label))
        if _is_bot(payload.sender, bot):
            return _noop(NOOP_OWN.format(name=f"{name} {action}", who=payload.sender))
        return Handled("sync", f"{name} {action} {label}", (bot.sync(number),))
    if action == "closed":
        how = f" and merged by {payload.merged_by}" if payload.merged else " without merging"
        return _noop(NOOP_CLOSED.format(number=number, how=how))
    return _noop(NOOP_ACTION.format(name=name, action=action))


def _issue_comment(payload: IssueCommentPayload, bot: ApprovalBot) -> Handled:
    action = payload.action
    if action not in COMMENT_ACTIONS:
        return _noop(NOOP_ACTION.format(name="issue_comment", action=action))
    if not payload.on_pull_request:
        return _noop(NOOP_NOT_PR.format(number=payload.number))
    if _is_bot(payload.author, bot):
        return _noop(NOOP_OWN.format(name=f"issue_comment {action}", who=payload.author))
    bodies = [payload.body]
    if action == "edited":
        bodies.append(payload.previous_body)
    edited_before = action == "deleted" and payload.raw.get("comment", {}).get(
        "updated_at") != payload.raw.get("comment", {}).get("created_at")
    if not edited_before and not any(parse_commands(body) for body in bodies):
        return _noop(NOOP_NO_COMMAND.format(id=payload.comment_id, number=payload.number))
    notice = Notice()
    if action == "deleted":
        # GitHub forgets a deleted comment and its history: the ledger keeps who did it.
        notice = Notice(deletion=DeletionRecord(
            payload.comment_id, payload.sender, payload.sender_id, payload.author,
            payload.author_id, deleted_commands(payload.body), payload.html_url, None))
    return Handled("sync", f"issue_comment {action}", (bot.sync(payload.number, notice=notice),))


def _review_relay(payload: WorkflowRunPayload, bot: ApprovalBot) -> Handled:
    """A review was submitted, edited or dismissed. Its own run (the PR's merge ref) holds
    nothing, so only the pull request is taken from it: the chain re-reads every review
    through GraphQL, whatever the relay's run says or concluded."""
    if payload.trigger != "pull_request_review":
        return _noop(NOOP_RELAY_TRIGGER.format(run=payload.run_id, trigger=payload.trigger))
    sha = payload.head_sha
    numbers = payload.pull_numbers or tuple(bot.api.open_pulls_for_commit(sha))
    if not numbers:
        return _noop(NOOP_NO_PR.format(sha=sha[:12]))
    results = tuple(bot.sync(number) for number in numbers)
    return Handled("sync", REVIEW_RELAYED.format(run=payload.run_id), results)


def _changes(payload: PullRequestPayload) -> dict[str, object]:
    changes = payload.raw.get("changes")
    return changes if isinstance(changes, dict) else {}


def _workflow_run(
    payload: WorkflowRunPayload,
    bot: ApprovalBot,
    limits: Limits | None,
    summary: Callable[[str], object],
) -> Handled:
    config = bot.config
    if payload.action != "completed":
        return _noop(NOOP_ACTION.format(name="workflow_run", action=payload.action))
    if config.review_workflow in (payload.workflow_file, payload.workflow_name):
        return _review_relay(payload, bot)
    wanted = config.audit_workflow
    if wanted not in (payload.workflow_file, payload.workflow_name):
        return _noop(NOOP_WORKFLOW.format(file=payload.workflow_file, wanted=wanted))
    sha = payload.head_sha
    numbers = payload.pull_numbers or tuple(bot.api.open_pulls_for_commit(sha))
    if not numbers:
        return _noop(NOOP_NO_PR.format(sha=sha[:12]))
    artifacts = [a for a in bot.api.list_artifacts(payload.run_id, config.artifact_name)
                 if not a.expired and a.name == config.artifact_name]
    if not artifacts:
        reason = NO_ARTIFACT.format(url=payload.html_url, conclusion=payload.conclusion,
                                    name=config.artifact_name)
        bot.log.error(reason, title="modelgate handle")
        results = tuple(bot.sync(n, failure=(sha, reason)) for n in numbers)
        return Handled("report", reason, results, failed=True)
    limits = limits or Limits()
    newest = max(artifacts, key=lambda a: a.id)
    try:
        data = bot.api.download_artifact(newest.id, limits.zip_bytes)
        artifact = load_artifact_bytes(data, limits)
        meta = artifact.metadata
        if meta.head_sha != sha:
            raise ArtifactError(ARTIFACT_RUN_MISMATCH.format(
                claimed=meta.head_sha[:12], run=payload.run_id, built=sha[:12]))
        if meta.workflow_run_id != payload.run_id:
            raise ArtifactError(ARTIFACT_RUN_ID_MISMATCH.format(
                claimed=meta.workflow_run_id, run=payload.run_id))
        if meta.pr_number not in numbers:
            listed = ", ".join(f"#{n}" for n in numbers)
            raise ArtifactError(ARTIFACT_PR_MISMATCH.format(
                claimed=meta.pr_number, run=payload.run_id, numbers=listed))
    except StaleArtifact:
        raise
    except ArtifactError as exc:
        reason = REFUSED_ARTIFACT.format(url=payload.html_url, error=exc)
        bot.log.error(reason, title="modelgate handle")
        results = tuple(bot.sync(n, failure=(sha, reason)) for n in numbers)
        return Handled("report", reason, results, failed=True)
    result = run_report(bot, ReportInput(artifact, payload.html_url, payload.run_id),
                        pr_number=meta.pr_number, summary=summary)
    if result.refused_report is not None:
        return Handled("report", result.refused_report, (result,), failed=True)
    return Handled("report", f"workflow run {payload.run_id}", (result,))

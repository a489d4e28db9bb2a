# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The approval chain against GitHub: read once, decide with the pure core, write safely.

:meth:`ApprovalBot.sync` is the whole life of one event for one pull request:

1. read the pull request, ``governance.yml`` *from the base branch*, the timeline and the
   bot's check runs on the head (four GETs);
2. write the check run first when this event brings one (a push marks the head as waiting
   for its audits; a report completes it), because the audits' conclusion and the time
   the head became the head both come from it;
3. replay the history with :func:`bot.approvals.core.evaluate`;
4. write in an order that fails safe: reactions and replies, label changes, the living
   comment, and the merge last, so that a refusal or an outage part-way leaves nothing
   merged that should not be. Every write is skipped when GitHub already shows its result,
   so handling the same event twice changes nothing.

When the head became the head matters: an approval counts only if it came later. GitHub's
REST timeline gives a push's time only for force-pushes; a ``committed`` entry carries the
committer's own clock, which anyone can set to the past, and says nothing about when the
commit was pushed. So the head's time is the latest of what cannot be earlier than the
push: the pull request's creation, force-push events, the commit's own date (which can
only delay), and the moment the bot's check run first appeared on the head, which the bot
creates as soon as it sees a push. Approvals given before the bot noticed a head do not
count for it; the cost is that an approval in the seconds between a push and the bot
noticing it must be given again.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

from bot.approvals.core import (
    REASON_MERGEABLE_UNKNOWN,
    ApprovalState,
    AuditStatus,
    CommentItem,
    LabelItem,
    PullRequestFacts,
    PushItem,
    TeamMembership,
    TimelineItem,
    evaluate,
)
from bot.approvals.trailers import approval_trailer
from bot.chain.check_run import (
    CHECK_NAME,
    conclusion_of,
    no_report_output,
    ours,
    pending_output,
    report_output,
    upsert_check,
)
from bot.chain.comment import (
    CommentRenderer,
    CommentState,
    Found,
    Outcome,
    View,
    decode_state,
    find_living_comment,
    marker_for,
    stored_card,
    upsert_comment,
)
from bot.check.artifact import ArtifactError, AuditArtifact
from bot.check.card import ModelCard, checklist_of
from bot.check.report import checklist_markdown
from bot.github.api import (
    CheckRunInfo,
    CommentInfo,
    CommitEntry,
    ForcePushEntry,
    GitHubApi,
    GitHubApiError,
    LabelEntry,
    MergeOutcome,
    PullInfo,
    TimelineEntry,
)
from modelgate.governance import ConfigError, Governance, parse_governance
from modelgate.markdown import escape_md
from modelgate.progress import Reporter

DEFAULT_BOT_LOGIN = "github-actions[bot]"
REPLY_MARKER = "<!-- modelgate:reply {id} -->"
REVERT_MARKER = "<!-- modelgate:revert {digest} -->"
REPLY_MARKER_RE = re.compile(r"^<!-- modelgate:reply (\d+) -->")
REVERT_MARKER_RE = re.compile(r"^<!-- modelgate:revert ([0-9a-f]{20}) -->")
OPENING_UNKNOWN = "opening-head"
MERGEABLE_WAIT_S = 3.0
RELEASE_INPUTS = ("merge_sha", "pr_number", "audited_head_sha")

LOG_READ = "#{number}: head {sha}, {state}{merged}; {count} timeline entries"
LOG_PENDING = "#{number}: marked {sha} as waiting for its audits (check run {id})"
LOG_CHECK = "#{number}: check run {id} on {sha} concluded {conclusion}"
LOG_REACTED = "#{number}: reacted {reaction} to comment {id}"
LOG_REPLIED = "#{number}: replied to comment {id} ({count} refused command(s))"
LOG_REVERTED = "#{number}: {action} label {label!r} changed by {actor}, and said why"
LOG_LABELS = "#{number}: labels {verb} {labels}"
LOG_NOT_READY = "#{number}: not merged yet: {reasons}"
LOG_MERGED = "#{number}: merged {head} as {merge} ({method})"
LOG_MERGE_REFUSED = (
    "#{number}: GitHub refused the merge pinned to {sha} ({status} {message}); nothing was "
    "merged and nothing will be promoted"
)
LOG_MERGE_UNKNOWN = (
    "#{number}: the merge request failed ({error}); GitHub now shows the pull request "
    "{state}; nothing is handed to release"
)
LOG_RELEASE = "#{number}: release {workflow} dispatched on {ref} for merge {sha}"
LOG_RELEASE_FAILED = (
    "#{number} is merged as {sha}, but the release could not be started ({error}); start "
    "{workflow} by hand with merge_sha={sha}, pr_number={number}, audited_head_sha={head}"
)
GOVERNANCE_MISSING = (
    "{path} is not on the base branch {ref}: the approval chain reads its roles from the base "
    "branch only, so nothing can be approved"
)
GOVERNANCE_NOT_TEXT = "{path} on {ref} is not UTF-8 text"


@dataclass(frozen=True)
class BotConfig:
    bot_login: str = DEFAULT_BOT_LOGIN
    governance_path: str = "governance.yml"
    check_name: str = CHECK_NAME
    merge_method: str = "merge"
    release_workflow: str = "release.yml"
    audit_workflow: str = "modelgate-audit.yml"
    artifact_name: str = "modelgate-audit"

    @property
    def app_slug(self) -> str | None:
        """The GitHub App behind the bot's login (``github-actions[bot]`` -> ``github-actions``)."""
        suffix = "[bot]"
        return self.bot_login[: -len(suffix)] if self.bot_login.endswith(suffix) else None


@dataclass(frozen=True)
class ReportInput:
    """A validated artifact and where its full report can be read."""

    artifact: AuditArtifact
    run_url: str | None


@dataclass(frozen=True)
class SyncResult:
    number: int
    head_sha: str
    state: ApprovalState
    comment: Outcome
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()
    reactions: int = 0
    replies: int = 0
    check: CheckRunInfo | None = None
    merge: MergeOutcome | None = None
    released: bool = False


def hand_over_to_release(
    api: GitHubApi,
    *,
    workflow: str,
    ref: str,
    merge_sha: str,
    pr_number: int,
    audited_head_sha: str,
) -> None:
    """Start the release of a merge the bot made.

    The merge was made with the workflow's ``GITHUB_TOKEN``, and events caused by that token
    start no workflow runs, except ``workflow_dispatch`` and ``repository_dispatch``. So the
    release is started explicitly, on the base branch (trusted code), with the merge commit
    and the head the audits ran on; the release job checks that the merged tree equals the
    audited tree, retrains, re-audits, then promotes and deploys (a later issue).
    """
    inputs = dict(
        zip(RELEASE_INPUTS, (merge_sha, str(pr_number), audited_head_sha), strict=True)
    )
    api.dispatch_workflow(workflow, ref, inputs)


# ---------------------------------------------------------------------- timeline


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def head_became_head_at(
    pr: PullInfo, entries: Sequence[TimelineEntry], checks: Sequence[CheckRunInfo]
) -> PushItem:
    """The current head as a push at the latest trustworthy moment it can have arrived."""
    times = [pr.created_at]
    times += [e.at for e in entries if isinstance(e, ForcePushEntry)]
    times += [
        e.committed_at
        for e in entries
        if isinstance(e, CommitEntry) and e.sha == pr.head_sha and e.committed_at is not None
    ]
    started = [c.started_at for c in checks if c.head_sha == pr.head_sha and c.started_at]
    if started:
        times.append(min(started))
    return PushItem(pr.head_sha, max(times), pr.author)


def _opening_guess(commits: Sequence[CommitEntry], head: str) -> str:
    """The head the PR was opened with, as far as the timeline tells: the parent of the
    first commit pushed later, when that parent is not itself a commit of the PR."""
    shas = {c.sha for c in commits}
    for commit in commits:
        if commit.parents and commit.parents[0] not in shas:
            guess = commit.parents[0]
            return guess if guess != head else OPENING_UNKNOWN
        break
    return OPENING_UNKNOWN


def build_timeline(
    pr: PullInfo, entries: Sequence[TimelineEntry], checks: Sequence[CheckRunInfo]
) -> list[TimelineItem]:
    """The core's timeline: comments, label changes and head changes."""
    items: list[TimelineItem] = []
    for entry in entries:
        if isinstance(entry, CommentInfo):
            items.append(
                CommentItem(entry.id, entry.author, entry.author_type, entry.body,
                            entry.created_at, entry.updated_at)
            )
        elif isinstance(entry, LabelEntry):
            items.append(
                LabelItem(entry.name, entry.added, entry.actor, entry.actor_type, entry.at)
            )
    commits = [e for e in entries if isinstance(e, CommitEntry)]
    forces = [e for e in entries if isinstance(e, ForcePushEntry)]
    head = head_became_head_at(pr, entries, checks)
    opened = pr.created_at - timedelta(microseconds=1)
    items.append(PushItem(_opening_guess(commits, pr.head_sha), opened, pr.author))
    for commit in commits:
        at = max(commit.committed_at or pr.created_at, pr.created_at)
        if commit.sha != pr.head_sha and at < head.at:
            items.append(PushItem(commit.sha, at, commit.author))
    for force in forces:
        sha = force.sha or f"force-push-{force.at.isoformat()}"
        if sha != pr.head_sha and force.at < head.at:
            items.append(PushItem(sha, force.at, force.actor))
    items.append(head)
    return items


# --------------------------------------------------------------------------- bot


class ApprovalBot:
    """Applies the approval chain to one repository through a :class:`GitHubApi`."""

    def __init__(
        self,
        api: GitHubApi,
        config: BotConfig,
        log: Reporter,
        *,
        sleep: Callable[[float], None] = time.sleep,
        renderer: CommentRenderer | None = None,
    ) -> None:
        self.api = api
        self.config = config
        self.log = log
        self._sleep = sleep
        self._renderer = renderer or CommentRenderer()
        self._is_member = functools.cache(api.is_team_member)

    # -- reads

    def governance(self, pr: PullInfo) -> Governance:
        """``governance.yml`` as it is on the base branch, never the PR's own copy."""
        path = self.config.governance_path
        data = self.api.get_file(path, pr.base_ref)
        if data is None:
            raise ConfigError(GOVERNANCE_MISSING.format(path=path, ref=pr.base_ref))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise ConfigError(GOVERNANCE_NOT_TEXT.format(path=path, ref=pr.base_ref)) from None
        return parse_governance(text, Path(f"{pr.base_ref}:{path}"))

    def _checks(self, sha: str) -> list[CheckRunInfo]:
        runs = self.api.list_check_runs(sha, self.config.check_name)
        return ours([r for r in runs if r.head_sha == sha], self.config.app_slug)

    # -- the event

    def sync(
        self,
        number: int,
        *,
        pending_check: bool = False,
        report: ReportInput | None = None,
        failure: tuple[str, str] | None = None,
    ) -> SyncResult:
        """Bring one pull request in line with its history.

        ``pending_check`` marks a head the bot sees for the first time as waiting for its
        audits; ``report`` completes the check and the card from a validated artifact;
        ``failure`` (commit, reason) fails the check when the audits left no usable report.
        """
        pr = self.api.get_pull(number)
        if report is not None:
            report.artifact.check_belongs(
                repository=self.api.repo, pr_number=pr.number, head_sha=pr.head_sha
            )
        gov = self.governance(pr)
        entries = self.api.list_timeline(number)
        merged = " (merged)" if pr.merged else ""
        self.log.info(LOG_READ.format(number=number, sha=pr.head_sha[:12], state=pr.state,
                                      merged=merged, count=len(entries)))
        checks = self._checks(pr.head_sha)
        check = self._write_check(pr, checks, pending_check, report, failure)
        if check is not None:
            checks = [c for c in checks if c.id != check.id] + [check]
        comments = [e for e in entries if isinstance(e, CommentInfo)]
        found = find_living_comment(
            comments, bot_login=self.config.bot_login, marker=marker_for(gov.model.name)
        )
        stored = decode_state(found.comment.body) if found.comment is not None else None
        answered, answered_reverts = self._answered(comments, entries, stored)
        remembered = dict(stored.members) if stored and stored.members_head == pr.head_sha else {}
        new_authors = {c.author.casefold() for c in comments if c.id not in answered}
        teams = _Membership(self._is_member, remembered, new_authors)
        state = self._evaluate(pr, entries, checks, gov, answered, answered_reverts, teams)
        if state.merge.action == "merge" and teams.remembered_used:
            teams = _Membership(self._is_member, {}, set())  # merge on fresh answers only
            state = self._evaluate(pr, entries, checks, gov, answered, answered_reverts, teams)
        if _only_mergeability_unknown(state):
            self._sleep(MERGEABLE_WAIT_S)
            pr = self.api.get_pull(number)
            teams = _Membership(self._is_member, {}, set())
            state = self._evaluate(pr, entries, checks, gov, answered, answered_reverts, teams)
        reactions, replies = self._answer(pr, state, comments)
        added, removed = self._labels(pr, state)
        outcome = self._comment(pr, gov, state, found, stored, report, comments, entries,
                                teams.answers)
        merge, released = self._merge(pr, state)
        return SyncResult(
            number=number,
            head_sha=pr.head_sha,
            state=state,
            comment=outcome,
            labels_added=added,
            labels_removed=removed,
            reactions=reactions,
            replies=replies,
            check=check,
            merge=merge,
            released=released,
        )

    def _write_check(
        self,
        pr: PullInfo,
        checks: list[CheckRunInfo],
        pending: bool,
        report: ReportInput | None,
        failure: tuple[str, str] | None,
    ) -> CheckRunInfo | None:
        sha = pr.head_sha
        if report is not None:
            art = report.artifact
            conclusion = conclusion_of(art.report)
            check = upsert_check(
                self.api, sha, checks, conclusion=conclusion, output=report_output(art.report),
                details_url=report.run_url, name=self.config.check_name,
            )
            self.log.info(LOG_CHECK.format(number=pr.number, id=check.id, sha=sha[:12],
                                           conclusion=conclusion))
            return check
        if failure is not None and failure[0] == sha:
            check = upsert_check(
                self.api, sha, checks, conclusion="failure",
                output=no_report_output(sha, failure[1]),
                details_url=None, name=self.config.check_name,
            )
            self.log.info(LOG_CHECK.format(number=pr.number, id=check.id, sha=sha[:12],
                                           conclusion="failure"))
            return check
        if pending and not checks and pr.state == "open":
            check = upsert_check(
                self.api, sha, [], conclusion=None, output=pending_output(sha), details_url=None,
                name=self.config.check_name,
            )
            self.log.info(LOG_PENDING.format(number=pr.number, sha=sha[:12], id=check.id))
            return check
        return None

    def _answered(
        self,
        comments: Sequence[CommentInfo],
        entries: Sequence[TimelineEntry],
        stored: CommentState | None,
    ) -> tuple[set[int], set[str]]:
        """What the bot already answered: from its state, and from its own replies."""
        answered = set(stored.answered) if stored else set()
        digests: set[str] = set()
        for comment in self._own(comments):
            if (match := REPLY_MARKER_RE.match(comment.body)) is not None:
                answered.add(int(match.group(1)))
            if (match := REVERT_MARKER_RE.match(comment.body)) is not None:
                digests.add(match.group(1))
        reverts = set(stored.reverts) if stored else set()
        for entry in entries:
            if isinstance(entry, LabelEntry):
                key = LabelItem(entry.name, entry.added, entry.actor, entry.actor_type,
                                entry.at).key
                if _digest(key) in digests:
                    reverts.add(key)
        return answered, reverts

    def _own(self, comments: Sequence[CommentInfo]) -> list[CommentInfo]:
        login = self.config.bot_login.casefold()
        return [c for c in comments if c.author.casefold() == login]

    def _evaluate(
        self,
        pr: PullInfo,
        entries: Sequence[TimelineEntry],
        checks: Sequence[CheckRunInfo],
        gov: Governance,
        answered: set[int],
        answered_reverts: set[str],
        teams: TeamMembership,
    ) -> ApprovalState:
        latest = max(checks, key=lambda c: c.id) if checks else None
        audit = None
        if latest is not None and latest.status == "completed" and latest.conclusion:
            audit = AuditStatus(latest.head_sha, latest.conclusion)
        return evaluate(
            pull_request_facts(pr),
            build_timeline(pr, entries, checks),
            gov.approval.roles,
            bot_login=self.config.bot_login,
            is_team_member=teams,
            audit=audit,
            answered_comments=answered,
            answered_reverts=answered_reverts,
        )

    # -- writes

    def _answer(
        self, pr: PullInfo, state: ApprovalState, comments: Sequence[CommentInfo]
    ) -> tuple[int, int]:
        replied = {
            int(m.group(1))
            for c in self._own(comments)
            if (m := REPLY_MARKER_RE.match(c.body)) is not None
        }
        reactions = replies = 0
        for response in state.responses:
            self.api.create_reaction(response.comment_id, response.reaction)
            reactions += 1
            self.log.info(LOG_REACTED.format(number=pr.number, reaction=response.reaction,
                                             id=response.comment_id))
            if response.reply and response.comment_id not in replied:
                marker = REPLY_MARKER.format(id=response.comment_id)
                self.api.create_comment(pr.number, f"{marker}\n{response.reply}")
                replies += 1
                refused = sum(1 for o in response.outcomes if not o.accepted)
                self.log.info(LOG_REPLIED.format(number=pr.number, id=response.comment_id,
                                                 count=refused))
        explained = {
            m.group(1)
            for c in self._own(comments)
            if (m := REVERT_MARKER_RE.match(c.body)) is not None
        }
        for revert in state.label_reverts:
            digest = _digest(revert.key)
            if digest in explained:
                continue
            marker = REVERT_MARKER.format(digest=digest)
            self.api.create_comment(pr.number, f"{marker}\n{revert.reply}")
            replies += 1
            verb = "restored" if revert.action == "add" else "removed"
            self.log.info(LOG_REVERTED.format(number=pr.number, action=verb, label=revert.label,
                                              actor=revert.actor))
        return reactions, replies

    def _labels(
        self, pr: PullInfo, state: ApprovalState
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        current = {label.casefold(): label for label in pr.labels}
        removes = {*state.labels_to_remove}
        removes |= {r.label for r in state.label_reverts if r.action == "remove"}
        adds = {*state.labels_to_add} | {r.label for r in state.label_reverts if r.action == "add"}
        to_remove = sorted({current[n.casefold()] for n in removes if n.casefold() in current})
        to_add = sorted({n for n in adds if n.casefold() not in current})
        for label in to_remove:
            self.api.remove_label(pr.number, label)
        if to_remove:
            self.log.info(LOG_LABELS.format(number=pr.number, verb="removed",
                                            labels=", ".join(to_remove)))
        if to_add:
            self.api.add_labels(pr.number, to_add)
            self.log.info(LOG_LABELS.format(number=pr.number, verb="added",
                                            labels=", ".join(to_add)))
        return tuple(to_add), tuple(to_remove)

    def _comment(
        self,
        pr: PullInfo,
        gov: Governance,
        state: ApprovalState,
        found: Found,
        stored: CommentState | None,
        report: ReportInput | None,
        comments: Sequence[CommentInfo],
        entries: Sequence[TimelineEntry],
        members: dict[str, bool],
    ) -> Outcome:
        present = {c.id for c in comments}
        answered = set(stored.answered) if stored else set()
        answered |= {r.comment_id for r in state.responses}
        label_keys = {
            LabelItem(e.name, e.added, e.actor, e.actor_type, e.at).key
            for e in entries
            if isinstance(e, LabelEntry)
        }
        reverts = set(stored.reverts) if stored else set()
        reverts |= {r.key for r in state.label_reverts}
        base_state = CommentState(
            answered=tuple(sorted(answered & present)),
            reverts=tuple(sorted(reverts & label_keys)),
            members=tuple(sorted(members.items())),
            members_head=pr.head_sha,
        )
        if report is not None:
            card: ModelCard | None = _trusted_card(report.artifact, pr.number)
            report_sha: str | None = report.artifact.metadata.head_sha
            run_url = report.run_url
            notes: tuple[str, ...] = ()
        else:
            card = stored_card(stored)
            report_sha = stored.report_sha if stored and card else None
            run_url = stored.run_url if stored else None
            notes = stored.card_notes if stored and card else ()
        view = View(
            model_name=gov.model.name,
            head_sha=pr.head_sha,
            card=card,
            report_sha=report_sha,
            approvals=state.to_json(),
            run_url=run_url,
            state=base_state,
            card_notes=notes,
            card_frozen=report is None,
        )
        body, _ = self._renderer.render(view)
        return upsert_comment(self.api, pr.number, found, body, log=self.log.info)

    def _merge(self, pr: PullInfo, state: ApprovalState) -> tuple[MergeOutcome | None, bool]:
        decision = state.merge
        if decision.action != "merge" or decision.sha is None:
            if not pr.merged and pr.state == "open":
                self.log.info(LOG_NOT_READY.format(number=pr.number,
                                                   reasons="; ".join(decision.reasons)))
            return None, False
        method = self.config.merge_method
        try:
            outcome = self.api.merge(pr.number, sha=decision.sha, method=method,
                                     title=f"{pr.title} (#{pr.number})",
                                     message=_approval_message(state))
        except GitHubApiError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            now = self.api.get_pull(pr.number)  # a safe GET tells whether it happened
            if not (now.merged and now.head_sha == decision.sha and now.merge_commit_sha):
                self.log.warning(LOG_MERGE_UNKNOWN.format(number=pr.number, error=exc,
                                                          state=now.state))
                raise
            outcome = MergeOutcome(True, 200, "merged (confirmed after an error)",
                                   now.merge_commit_sha)
        if not outcome.merged or outcome.sha is None:
            self.log.warning(LOG_MERGE_REFUSED.format(number=pr.number, sha=decision.sha[:12],
                                                      status=outcome.status,
                                                      message=outcome.message))
            return outcome, False
        self.log.info(LOG_MERGED.format(number=pr.number, head=decision.sha[:12],
                                        merge=outcome.sha[:12], method=method))
        try:
            hand_over_to_release(
                self.api,
                workflow=self.config.release_workflow,
                ref=pr.base_ref,
                merge_sha=outcome.sha,
                pr_number=pr.number,
                audited_head_sha=decision.sha,
            )
        except GitHubApiError as exc:
            self.log.error(LOG_RELEASE_FAILED.format(
                number=pr.number, sha=outcome.sha, error=exc,
                workflow=self.config.release_workflow, head=decision.sha), title="release")
            raise
        self.log.info(LOG_RELEASE.format(number=pr.number, workflow=self.config.release_workflow,
                                         ref=pr.base_ref, sha=outcome.sha[:12]))
        return outcome, True


class _Membership:
    """Team answers for one evaluation. GitHub is asked about anyone with a command not yet
    answered; for the others an answer read earlier on the same head is reused, which keeps
    an ``/approve`` within a few calls. A merge is never decided on reused answers."""

    def __init__(
        self, fresh: TeamMembership, remembered: dict[str, bool], always_ask: set[str]
    ) -> None:
        self._fresh = fresh
        self._remembered = remembered
        self._always_ask = always_ask
        self.remembered_used = False
        self.answers: dict[str, bool] = {}

    def __call__(self, org: str, slug: str, login: str) -> bool:
        key = f"{org}/{slug}/{login}".casefold()
        if login.casefold() not in self._always_ask and key in self._remembered:
            self.remembered_used = True
            value = self._remembered[key]
        else:
            value = self._fresh(org, slug, login) is True
        self.answers[key] = value
        return value


def _approval_message(state: ApprovalState) -> str:
    """The merge commit carries every approval as a trailer (see ``bot.approvals.trailers``)."""
    lines = [approval_trailer(role.name, a.login,
                              a.at.astimezone(UTC).isoformat().replace("+00:00", "Z"), a.sha)
             for role in state.roles for a in role.approvers]
    return "\n".join(lines)


def _only_mergeability_unknown(state: ApprovalState) -> bool:
    return state.merge.action != "merge" and state.merge.reasons == (REASON_MERGEABLE_UNKNOWN,)


def _trusted_card(artifact: AuditArtifact, number: int) -> ModelCard:
    """The artifact's card with what the trusted side knows better put in: the checklist
    from the validated report, the pull request's number, and no approvals of its own."""
    card = artifact.card
    checklist = checklist_of(artifact.report.audits)
    lineage = card.lineage.model_copy(update={"pull_request": number})
    return card.model_copy(update={"checklist": checklist, "lineage": lineage, "approvals": None})


# ------------------------------------------------------------------------ report

REPORT_SUMMARY = "### modelgate report for #{number} at {sha}"
SUMMARY_VERDICT = "Audits: **{verdict}** (check run conclusion `{conclusion}`)."
SUMMARY_MERGE = "Merge: {text}"


def run_report(
    bot: ApprovalBot,
    report: ReportInput,
    *,
    pr_number: int | None,
    summary: Callable[[str], object] = lambda _: None,
) -> SyncResult:
    """Post one validated artifact: check run, living comment, labels, merge when ready.

    The pull request comes from ``--pr`` when given, else from the artifact, which is
    untrusted: it is then only accepted because GitHub confirms that this pull request's
    head is the commit the artifact names.
    """
    claimed = report.artifact.metadata.pr_number
    if pr_number is not None and pr_number != claimed:
        raise ArtifactError(f"the artifact is for pull request #{claimed}, not #{pr_number}")
    result = bot.sync(pr_number or claimed, report=report)
    summary(report_summary(report, result))
    return result


def report_summary(report: ReportInput, result: SyncResult) -> str:
    """The job summary: what the audits said and what the bot did about it."""
    art = report.artifact
    conclusion = conclusion_of(art.report)
    verdict = "passed" if conclusion == "success" else "failed"
    if result.released and result.merge is not None and result.merge.sha:
        merge = f"merged as `{result.merge.sha[:12]}`, release dispatched"
    elif result.merge is not None:
        merge = f"refused by GitHub ({result.merge.status})"
    else:
        merge = "not yet: " + "; ".join(result.state.merge.reasons)

    return "\n\n".join(
        [
            REPORT_SUMMARY.format(number=result.number, sha=f"`{result.head_sha[:12]}`"),
            SUMMARY_VERDICT.format(verdict=verdict, conclusion=conclusion),
            checklist_markdown(art.report.audits),
            SUMMARY_MERGE.format(text=escape_md(merge, limit=2000)),
        ]
    )


def pull_request_facts(pr: PullInfo) -> PullRequestFacts:
    """What the approval core needs to know about the pull request: the one place the
    adapter's values become the core's."""
    return PullRequestFacts(
        number=pr.number,
        author=pr.author,
        head_sha=pr.head_sha,
        state=pr.state,
        mergeable=pr.mergeable,
        merged=pr.merged,
        draft=pr.draft,
        labels=frozenset(pr.labels),
    )

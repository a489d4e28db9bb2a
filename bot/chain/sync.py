# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The approval chain against GitHub: read once, decide with the pure core, write safely.

:meth:`ApprovalBot.sync` is the whole life of one event for one pull request:

1. read the pull request, ``governance.yml`` *from the base branch*, the history (one
   GraphQL query: comments and reviews with every version of their bodies, label and base
   changes, dismissals, force pushes), the ``modelgate`` check runs on the head, and the
   changed files when a gate role is configured;
2. take the bot's ledger from its own newest check run (only runs whose ``app.id`` is the
   App's count; any other ``modelgate`` run is an impostor, ignored and named) and add what
   this event tells once (a push and its pusher, a deletion and its deleter): such records
   go into a *new* check run, whose ``started_at`` dates them;
3. replay the history with :func:`modelgate.bot.approvals.core.evaluate`, then add what only the
   chain knows (an unknown pusher, a head behind its base, missing release inputs);
4. write in an order that fails safe: the check run (the whole decision, with the ledger),
   the labels, the merge (pinned to the head), the living comment, and only then the
   reactions and replies, which are bounded and never block anything before them.
"""

from __future__ import annotations

import functools
import hashlib
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from modelgate.bot.approvals.commands import parse_commands
from modelgate.bot.approvals.core import (
    REASON_MERGEABLE_UNKNOWN,
    ApprovalState,
    AuditStatus,
    LabelItem,
    TeamMembership,
    evaluate,
)
from modelgate.bot.approvals.gate import gate_paths, required_roles
from modelgate.bot.approvals.trailers import approval_trailer
from modelgate.bot.chain import inputs
from modelgate.bot.chain.check_run import CHECK_NAME, conclusion_of, decision_output, report_output
from modelgate.bot.chain.comment import (
    CommentRenderer,
    CommentState,
    GateView,
    View,
    find_living_comment,
    gate_markdown,
    marker_for,
    stored_card,
    upsert_comment,
)
from modelgate.bot.chain.ledger import (
    AuditRecord,
    DeletionRecord,
    Ledger,
    PushRecord,
    ReleaseInputs,
    Trust,
    encode,
    merge_ledgers,
    newest_ledger,
    split_runs,
)
from modelgate.bot.check.artifact import ArtifactError, AuditArtifact
from modelgate.bot.check.card import ModelCard, checklist_of
from modelgate.bot.check.report import checklist_markdown
from modelgate.bot.github.api import (
    CheckOutput,
    CheckRunInfo,
    CommentInfo,
    GitHubApi,
    GitHubApiError,
    MergeOutcome,
    PullHistory,
    PullInfo,
)
from modelgate.bot.release.statement import approval_source_trailer, author_trailer
from modelgate.governance import ConfigError, Governance, Role, parse_governance
from modelgate.markdown import escape_md
from modelgate.progress import Reporter

DEFAULT_BOT_LOGIN = "github-actions[bot]"
REPLY_MARKER = "<!-- modelgate:reply {key} -->"
REVERT_MARKER = "<!-- modelgate:revert {digest} -->"
REPLY_MARKER_RE = re.compile(r"^<!-- modelgate:reply ((?:comment|review):\d+#\d+|\d+) -->")
REVERT_MARKER_RE = re.compile(r"^<!-- modelgate:revert ([0-9a-f]{20}) -->")
MERGEABLE_WAIT_S = 3.0
RELEASE_INPUTS = ("merge_sha", "pr_number", "audited_head_sha")
MAX_DELETED_COMMANDS = 50
EARLIER_RUNS = 3  # earlier heads searched for the ledger when the head has no run yet

LOG_READ = "#{number}: head {sha}, {state}{merged}; {count} comments, {reviews} reviews"
LOG_RECORDED = "#{number}: recorded {what} in check run {id} at {at}"
LOG_CHECK = "#{number}: check run {id} on {sha}: {status} {conclusion}"
LOG_REACTED = "#{number}: reacted {reaction} to comment {id}"
LOG_REPLIED = "#{number}: replied to {key} ({count} refused command(s))"
LOG_REPLY_FAILED = "#{number}: GitHub refused the reply to {key} ({error}); skipped, not retried"
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
LOG_LOGIN_MISMATCH = (
    "the bot login {given} differs from governance.yml's App ({slug}[bot]); the App's is used"
)
GOVERNANCE_MISSING = (
    "{path} is not on the base branch {ref}: the approval chain reads its roles from the base "
    "branch only, so nothing can be approved"
)
GOVERNANCE_NOT_TEXT = "{path} on {ref} is not UTF-8 text"

# What only the chain knows (the core's reasons come first).
REASON_PUSHER_UNKNOWN = (
    "the push that made {sha} the head was not seen as it happened, so who pushed it is not "
    "known (a pusher may not approve); push again, or wait for GitHub's event"
)
REASON_BEHIND = (
    "the branch is behind {base}: update the branch (the Update branch button, or "
    "`git merge origin/{base}` and push), then approve the new head"
)
REASON_NO_RELEASE_RUN = (
    "the release needs the audit run of {sha} and its `{artifact}` artifact; no audit run "
    "of this head has reported to the bot"
)
REASON_ARTIFACT_GONE = (
    "the `{artifact}` artifact of audit run {run} has expired or is missing; re-run the PR "
    "check so the release can read it"
)
REASON_GATE_TOUCHED = "this pull request changes the gate itself ({paths}), so {role} must approve"
NOTE_TIP_UNKNOWN = (
    "whether the head is up to date with {base} could not be read ({error}); the ruleset's "
    "up-to-date rule still refuses a merge of a head that is behind"
)
NOTE_MERGE_REFUSED = "GitHub refused the merge ({status}): {message}"
NOTE_MERGE_FORBIDDEN = (
    "cannot merge: GitHub refused the App ({message}), as it does for a pull request that "
    "changes .github/workflows without workflows permission; a maintainer with workflows "
    "permission must merge (the `{check}` check is green, so the ruleset allows it)"
)
NOTE_MERGE_RULES = (
    "cannot merge: the repository's rules refused it ({message}); if the branch is behind "
    "its base, update the branch (Update branch button or `git merge origin/{base}`)"
)
REFUSED_ADVISORY_REPORT = (
    "the audit report of {sha} was not computed by the trusted verdict (`modelgate verdict`, "
    "`computed_by` is missing): it is the PR job's own, advisory report, which ran the pull "
    "request's code, and the App's gate does not accept it"
)
NOTE_ADVISORY_REPORT = (
    "this audit report was not computed by the trusted verdict (`modelgate verdict`): it is "
    "the PR job's own report, which ran the pull request's code; the legacy gate accepts it, "
    "the App's would not"
)
NOTE_IMPOSTOR = "a `{check}` check run {id} posted by `{app}` is not the App's and is ignored"


@dataclass(frozen=True)
class BotConfig:
    bot_login: str = DEFAULT_BOT_LOGIN
    governance_path: str = "governance.yml"
    check_name: str = CHECK_NAME
    merge_method: str = "merge"
    release_workflow: str = "release.yml"
    audit_workflow: str = "modelgate-audit.yml"
    # the relay of pull_request_review events (its run carries no token; the chain re-reads)
    review_workflow: str = "pr-review.yml"
    artifact_name: str = "modelgate-audit"

    @property
    def app_slug(self) -> str | None:
        """The GitHub App behind the bot's login (``github-actions[bot]`` -> ``github-actions``)."""
        suffix = "[bot]"
        return self.bot_login[: -len(suffix)] if self.bot_login.endswith(suffix) else None


@dataclass(frozen=True)
class Identity:
    """Who the bot is for this repository: from governance.yml's App when it names one
    (sound), else from the configured login (legacy: the gate is not sound)."""

    bot_login: str
    trust: Trust
    check_name: str
    merge_method: str
    sound: bool


@dataclass(frozen=True)
class Notice:
    """What this event tells once and GitHub does not keep: a push with its pusher, a
    deletion with its deleter, the audit run the release will read."""

    push: PushRecord | None = None
    deletion: DeletionRecord | None = None
    release: ReleaseInputs | None = None
    opened: bool = False  # the pull request was opened: its head arrived at its creation


@dataclass(frozen=True)
class ReportInput:
    """A validated artifact and where its full report can be read."""

    artifact: AuditArtifact
    run_url: str | None
    run_id: int | None = None  # the audit workflow run (the release reads its artifact)


@dataclass(frozen=True)
class SyncResult:
    number: int
    head_sha: str
    state: ApprovalState
    comment: Literal["created", "updated", "unchanged"]
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()
    reactions: int = 0
    replies: int = 0
    check: CheckRunInfo | None = None
    merge: MergeOutcome | None = None
    released: bool = False
    reasons: tuple[str, ...] = ()
    status: str = "waiting"
    refused_report: str | None = None  # why the App's gate would not take the report


@dataclass
class _Context:
    """What one sync read and decided, passed between its steps."""

    pr: PullInfo
    gov: Governance
    ident: Identity
    history: PullHistory
    mine: list[CheckRunInfo]
    impostors: list[CheckRunInfo]
    ledger: Ledger
    release_branch: str
    own: list[CommentInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    touched: tuple[str, ...] = ()


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

    The release takes the merge commit and the audited head as inputs, which no push event
    carries, so it is dispatched explicitly (the App's token holds ``actions: write``; a
    ``GITHUB_TOKEN``'s events would start nothing else anyway), on the base branch (trusted
    code); the release job checks that the merged tree equals the audited tree, retrains,
    re-audits, signs, then promotes and deploys.
    """
    inputs = dict(
        zip(RELEASE_INPUTS, (merge_sha, str(pr_number), audited_head_sha), strict=True)
    )
    api.dispatch_workflow(workflow, ref, inputs)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:20]


def deleted_commands(body: str | None) -> str | None:
    """What the ledger keeps of a deleted body: its command lines, bounded."""
    if body is None:
        return None
    lines = list(dict.fromkeys(c.line for c in parse_commands(body)))
    return "\n".join(lines[:MAX_DELETED_COMMANDS])


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

    def identity(self, gov: Governance) -> Identity:
        app = gov.github
        if app.app_id is None:
            return Identity(self.config.bot_login, Trust(None, self.config.app_slug),
                            self.config.check_name, self.config.merge_method, sound=False)
        login = f"{app.app_slug}[bot]"
        if self.config.bot_login.casefold() not in (login.casefold(), DEFAULT_BOT_LOGIN):
            self.log.warning(LOG_LOGIN_MISMATCH.format(given=self.config.bot_login,
                                                       slug=app.app_slug))
        return Identity(login, Trust(app.app_id, None), app.check_name, app.merge_method,
                        sound=True)

    def _read(self, pr: PullInfo, notice: Notice) -> _Context:
        number = pr.number
        gov = self.governance(pr)
        ident = self.identity(gov)
        history = self.api.read_history(number, pr.html_url)
        merged = " (merged)" if pr.merged else ""
        self.log.info(LOG_READ.format(number=number, sha=pr.head_sha[:12], state=pr.state,
                                      merged=merged, count=len(history.comments),
                                      reviews=len(history.reviews)))
        runs = self.api.list_check_runs(pr.head_sha, ident.check_name)
        mine, impostors = split_runs(runs, ident.trust, pr.head_sha)
        ledger = newest_ledger(mine)
        if ledger is None:
            ledger = self._earlier_ledger(pr, history, notice, ident) or Ledger()
        else:
            # A head that was the head before (a force push back) has an old ledger; the
            # head it came from knows the pushes in between.
            befores = [notice.push.before] if notice.push and notice.push.before else []
            befores += [e.detail for e in history.events[-1:]
                        if e.kind == "head_ref_force_pushed" and e.to == pr.head_sha]
            for sha in dict.fromkeys(b for b in befores if b != pr.head_sha):
                ledger = merge_ledgers(ledger, self._ledger_on(sha, ident))
        release = gov.github.release_branch or pr.default_branch or pr.base_ref
        login = ident.bot_login.casefold()
        own = [
            CommentInfo(c.id, c.author.login, c.author.type, c.body, c.created_at,
                        c.last_edited_at or c.created_at, c.url)
            for c in history.comments if c.author.login.casefold() == login
        ]
        return _Context(pr, gov, ident, history, mine, impostors, ledger.for_head(pr.head_sha),
                        release, own)

    def _earlier_ledger(
        self, pr: PullInfo, history: PullHistory, notice: Notice, ident: Identity
    ) -> Ledger | None:
        """The ledger of an earlier head: the push's ``before``, force pushes' ``before``,
        then the pull request's commits, newest first (a few lookups at most)."""
        candidates: list[str] = []
        if notice.push is not None and notice.push.before:
            candidates.append(notice.push.before)
        candidates += [e.detail for e in reversed(history.events)
                       if e.kind == "head_ref_force_pushed" and e.detail]
        candidates += [c for c in reversed(history.commits) if c != pr.head_sha]
        if not candidates:
            try:
                candidates = self.api.commit_parents(pr.head_sha)[:1]
            except GitHubApiError:
                candidates = []
        for sha in list(dict.fromkeys(candidates))[:EARLIER_RUNS]:
            found = self._ledger_on(sha, ident)
            if found is not None:
                return found
        return None

    def _ledger_on(self, sha: str, ident: Identity) -> Ledger | None:
        try:
            runs = self.api.list_check_runs(sha, ident.check_name)
        except GitHubApiError as exc:
            if exc.status in (404, 422):  # a commit GitHub does not know (any more)
                return None
            raise
        mine, _ = split_runs(runs, ident.trust, sha)
        return newest_ledger(mine)

    # -- the event

    def sync(
        self,
        number: int,
        *,
        pending_check: bool = False,
        report: ReportInput | None = None,
        failure: tuple[str, str] | None = None,
        notice: Notice | None = None,
    ) -> SyncResult:
        """Bring one pull request in line with its history.

        ``report`` completes the audits of the head from a validated artifact; ``failure``
        (commit, reason) fails them when the audits left no usable report; ``notice``
        carries what the event tells once. ``pending_check`` is kept for callers: every
        sync writes the check now.
        """
        del pending_check
        notice = notice or Notice()
        pr = self.api.get_pull(number)
        if report is not None:
            report.artifact.check_belongs(
                repository=self.api.repo, pr_number=pr.number, head_sha=pr.head_sha
            )
        ctx = self._read(pr, notice)
        refused = None
        if report is not None and report.artifact.report.computed_by is None:
            if ctx.ident.sound:
                # the App trusts only the trusted verdict: fail the head closed instead
                refused = REFUSED_ADVISORY_REPORT.format(sha=pr.head_sha[:12])
                self.log.error(refused, title="modelgate report")
                ctx.notes.append(refused)
                report, failure = None, (pr.head_sha, refused)
            else:
                self.log.warning(NOTE_ADVISORY_REPORT, title="modelgate report")
                ctx.notes.append(NOTE_ADVISORY_REPORT)
        ctx.ledger = self._record(ctx, notice, report, failure)
        check = None
        if ctx.ledger.pending():
            check = self._stamp(ctx)
        if ctx.gov.gate.role is not None:
            ctx.touched = gate_paths(self.api.list_pull_files(number), ctx.gov.gate.paths)
        state, teams = self._decide(ctx)
        if _only_mergeability_unknown(state):
            self._sleep(MERGEABLE_WAIT_S)
            ctx.pr = pr = self.api.get_pull(number)
            state, teams = self._decide(ctx, fresh=True)
        reasons = self._reasons(ctx, state)
        failed = self._audits_failed(ctx)
        status = "failed" if failed else "waiting" if reasons else "ready"
        if pr.merged:
            status = "merged"
        answering = list(state.responses)
        ctx.ledger = replace(
            ctx.ledger,
            answered=tuple(dict.fromkeys((*ctx.ledger.answered, *(r.key for r in answering)))),
            reverts=tuple(dict.fromkeys((*ctx.ledger.reverts,
                                         *(r.key for r in state.label_reverts)))),
            members=tuple(sorted(teams.answers.items())),
            members_head=pr.head_sha,
        )
        body, card_state = self._render(ctx, state, report, status, reasons)
        if card_state.card is not None:
            ctx.ledger = replace(ctx.ledger, card=card_state.card,
                                 report_sha=card_state.report_sha, run_url=card_state.run_url,
                                 card_notes=card_state.card_notes)
        check = self._write_check(ctx, reasons, failed) or check
        added, removed = self._labels(pr, state)
        merge, released = None, False
        if status == "ready" and not pr.merged and pr.state == "open":
            merge, released = self._merge(ctx, state)
            if released:
                status = "merged"
        elif not pr.merged and pr.state == "open":
            self.log.info(LOG_NOT_READY.format(number=pr.number, reasons="; ".join(reasons)))
        if status == "merged" or ctx.notes:
            body, _ = self._render(ctx, state, report, status, reasons)
        found = find_living_comment(ctx.own, bot_login=ctx.ident.bot_login,
                                    marker=marker_for(ctx.gov.model.name))
        outcome = upsert_comment(self.api, pr.number, found, body, log=self.log.info)
        reactions, replies = self._answer(ctx, state)
        return SyncResult(number=number, head_sha=pr.head_sha, state=state, comment=outcome,
                          labels_added=added, labels_removed=removed, reactions=reactions,
                          replies=replies, check=check, merge=merge, released=released,
                          reasons=tuple(reasons), status=status, refused_report=refused)

    # -- recording what the event tells

    def _record(
        self,
        ctx: _Context,
        notice: Notice,
        report: ReportInput | None,
        failure: tuple[str, str] | None,
    ) -> Ledger:
        pr, ledger = ctx.pr, ctx.ledger
        pushes = list(ledger.pushes)
        forced = {e.to for e in ctx.history.events if e.kind == "head_ref_force_pushed"}
        if notice.push is not None:
            push = replace(notice.push, forced=notice.push.forced or notice.push.sha in forced)
            seen = [p for p in pushes if p.sha == push.sha and p.seen == "noticed"]
            if seen:  # the late event names the pusher of a head first noticed without one
                pushes[pushes.index(seen[-1])] = replace(push, at=seen[-1].at)
            elif not any(p.sha == push.sha and p.before == push.before and p.seen == "webhook"
                         and p.pusher == push.pusher for p in pushes):
                pushes.append(push)
        opening = PushRecord(pr.head_sha, None, pr.author, pr.author_id, pr.created_at,
                             seen="opened")
        noticed = [p for p in pushes if p.sha == pr.head_sha and p.seen == "noticed"]
        if notice.opened and noticed and len(pushes) == 1:
            pushes = [opening]
        if not any(p.sha == pr.head_sha for p in pushes) and pr.head_sha not in forced:
            if notice.opened and not pushes and not forced:
                pushes.append(opening)
            else:
                pushes.append(PushRecord(pr.head_sha, None, inputs.UNKNOWN_PUSHER, None, None,
                                         seen="noticed"))
        deletions = list(ledger.deletions)
        if notice.deletion is not None and not any(
            d.comment_id == notice.deletion.comment_id for d in deletions
        ):
            deletions.append(notice.deletion)
        audit = ledger.audit
        if report is not None:
            art = report.artifact
            output = report_output(art.report)
            audit = AuditRecord(pr.head_sha, conclusion_of(art.report), output.title,
                                output.summary, output.text, report.run_url)
        elif failure is not None and failure[0] == pr.head_sha:
            audit = AuditRecord(pr.head_sha, "failure", "No audit report",
                                escape_md(failure[1], limit=2000))
        release = ledger.release
        if notice.release is not None and notice.release.sha == pr.head_sha:
            release = notice.release
        elif report is not None and report.run_id is not None:
            release = ReleaseInputs(pr.head_sha, report.run_id)
        return replace(ledger, pushes=tuple(pushes), deletions=tuple(deletions), audit=audit,
                       release=release)

    def _stamp(self, ctx: _Context) -> CheckRunInfo:
        """A new check run holding the new records; its ``started_at`` dates them."""
        pr = ctx.pr
        output = CheckOutput(f"Recording what happened to {pr.head_sha[:12]}",
                             "The bot is recording this event; the decision follows.",
                             encode(ctx.ledger))
        run = self.api.create_check_run(pr.head_sha, ctx.ident.check_name, status="in_progress",
                                        conclusion=None, output=output, details_url=None)
        at = run.started_at or datetime.now(UTC)
        what = ", ".join(
            [f"push {p.sha[:12]} by {p.pusher}" for p in ctx.ledger.pushes if p.at is None]
            + [f"deletion of comment {d.comment_id} by {d.deleter}"
               for d in ctx.ledger.deletions if d.at is None])
        ctx.ledger = ctx.ledger.timed(at)
        ctx.mine.append(run)
        self.log.info(LOG_RECORDED.format(number=pr.number, what=what, id=run.id,
                                          at=at.isoformat()))
        return run

    # -- deciding

    def _decide(self, ctx: _Context, *, fresh: bool = False) -> tuple[ApprovalState, _Membership]:
        pr, gov, ledger = ctx.pr, ctx.gov, ctx.ledger
        roles = required_roles(gov.approval.roles, gov.gate.role, bool(ctx.touched))
        answered, legacy_ids = self._answered(ctx)
        reverts = set(ledger.reverts)
        digests = {m.group(1) for c in ctx.own
                   if (m := REVERT_MARKER_RE.match(c.body)) is not None}
        for event in ctx.history.events:
            if event.kind in ("labeled", "unlabeled"):
                key = LabelItem(event.detail, event.kind == "labeled", event.actor.login,
                                event.actor.type, event.at).key
                if _digest(key) in digests:
                    reverts.add(key)
        remembered = (dict(ledger.members) if ledger.members_head == pr.head_sha and not fresh
                      else {})
        new_authors = {c.author.login.casefold() for c in ctx.history.comments}
        new_authors = {a for a in new_authors if a not in {k.split("/")[-1] for k in remembered}}
        teams = _Membership(self._is_member, remembered, new_authors)
        audit = None
        if ledger.audit is not None and ledger.audit.sha == pr.head_sha:
            audit = AuditStatus(ledger.audit.sha, ledger.audit.conclusion)
        state = self._evaluate(ctx, roles, teams, audit, answered, legacy_ids, reverts)
        if state.merge.action == "merge" and teams.remembered_used:
            teams = _Membership(self._is_member, {}, set())  # merge on fresh answers only
            state = self._evaluate(ctx, roles, teams, audit, answered, legacy_ids, reverts)
        return state, teams

    def _evaluate(
        self,
        ctx: _Context,
        roles: Sequence[Role],
        teams: TeamMembership,
        audit: AuditStatus | None,
        answered: set[str],
        legacy_ids: set[int],
        reverts: set[str],
    ) -> ApprovalState:
        specs = inputs.role_specs(roles)
        return evaluate(
            inputs.pull_request_facts(ctx.pr, ctx.release_branch),
            inputs.timeline(ctx.history, ctx.ledger),
            specs,
            bot_login=ctx.ident.bot_login,
            is_team_member=teams,
            audit=audit,
            answered_comments=legacy_ids,
            answered_reverts=reverts,
            answered=answered,
            review_approves=ctx.gov.approval.review_approves,
        )

    def _answered(self, ctx: _Context) -> tuple[set[str], set[int]]:
        """Keys already answered: the ledger's, and the bot's own reply markers."""
        keys = set(ctx.ledger.answered)
        legacy: set[int] = set()
        for comment in ctx.own:
            match = REPLY_MARKER_RE.match(comment.body)
            if match is None:
                continue
            if match.group(1).isdigit():
                legacy.add(int(match.group(1)))
            else:
                keys.add(match.group(1))
        return keys, legacy

    def _audits_failed(self, ctx: _Context) -> bool:
        audit = ctx.ledger.audit
        return audit is not None and audit.sha == ctx.pr.head_sha and audit.conclusion not in (
            "success", "neutral", "skipped")

    def _reasons(self, ctx: _Context, state: ApprovalState) -> list[str]:
        """The core's reasons, then what only the chain knows."""
        pr = ctx.pr
        reasons = list(state.merge.reasons)
        head_push = [p for p in ctx.ledger.pushes if p.sha == pr.head_sha]
        if head_push and head_push[-1].seen == "noticed":
            reasons.append(REASON_PUSHER_UNKNOWN.format(sha=pr.head_sha[:12]))
        gate_role = ctx.gov.gate.role
        pending_gate = [r for r in state.roles if r.name == gate_role and not r.satisfied]
        if ctx.touched and pending_gate and gate_role is not None:
            shown = ", ".join(ctx.touched[:5]) + (" …" if len(ctx.touched) > 5 else "")
            reasons.append(REASON_GATE_TOUCHED.format(paths=shown, role=gate_role))
        if reasons or pr.merged or pr.state != "open":
            return reasons
        # Ready as far as the history goes: check what only GitHub's present state tells.
        if self._behind(ctx):
            reasons.append(REASON_BEHIND.format(base=pr.base_ref))
        if ctx.ident.sound:
            reasons += self._release_inputs(ctx)
        return reasons

    def _behind(self, ctx: _Context) -> bool:
        pr = ctx.pr
        if pr.mergeable_state == "behind":
            return True
        try:
            tip = self.api.branch_tip(pr.base_ref)
        except GitHubApiError as exc:
            ctx.notes.append(NOTE_TIP_UNKNOWN.format(base=pr.base_ref, error=exc.message))
            return False
        return tip is not None and pr.base_sha is not None and tip != pr.base_sha

    def _release_inputs(self, ctx: _Context) -> list[str]:
        pr, release = ctx.pr, ctx.ledger.release
        artifact = self.config.artifact_name
        if release is None or release.sha != pr.head_sha:
            return [REASON_NO_RELEASE_RUN.format(sha=pr.head_sha[:12], artifact=artifact)]
        try:
            found = [a for a in self.api.list_artifacts(release.run_id, artifact)
                     if a.name == artifact and not a.expired]
        except GitHubApiError as exc:
            if exc.status != 404:
                raise
            found = []
        if not found:
            return [REASON_ARTIFACT_GONE.format(artifact=artifact, run=release.run_id)]
        return []

    # -- writes

    def _write_check(
        self, ctx: _Context, reasons: Sequence[str], failed: bool
    ) -> CheckRunInfo | None:
        pr, audit = ctx.pr, ctx.ledger.audit
        on_head = audit is not None and audit.sha == pr.head_sha
        output = decision_output(
            pr.head_sha, reasons,
            audit_summary=audit.summary if audit is not None and on_head else None,
            audit_table=audit.table if audit is not None and on_head else "",
            failed=failed, sound=ctx.ident.sound, ledger_block=encode(ctx.ledger),
        )
        conclusion = "failure" if failed else None if reasons else "success"
        status = "completed" if conclusion is not None else "in_progress"
        details = audit.run_url if audit is not None and on_head else None
        latest = max(ctx.mine, key=lambda r: r.id) if ctx.mine else None
        if latest is not None and (latest.status, latest.conclusion, latest.title,
                                   latest.summary, latest.text) == (
                                       status, conclusion if status == "completed" else
                                       latest.conclusion, output.title, output.summary,
                                       output.text):
            return None
        if latest is None or (latest.status == "completed" and status != "completed"):
            run = self.api.create_check_run(pr.head_sha, ctx.ident.check_name, status=status,
                                            conclusion=conclusion, output=output,
                                            details_url=details)
        else:
            run = self.api.update_check_run(latest.id, status=status, conclusion=conclusion,
                                            output=output, details_url=details)
        ctx.mine.append(run)
        self.log.info(LOG_CHECK.format(number=pr.number, id=run.id, sha=pr.head_sha[:12],
                                       status=status, conclusion=conclusion or ""))
        return run

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

    def _render(
        self,
        ctx: _Context,
        state: ApprovalState,
        report: ReportInput | None,
        status: str,
        reasons: Sequence[str],
    ) -> tuple[str, CommentState]:
        pr, ledger = ctx.pr, ctx.ledger
        if report is not None:
            card: ModelCard | None = _trusted_card(report.artifact, pr.number)
            report_sha: str | None = report.artifact.metadata.head_sha
            run_url = report.run_url
            notes: tuple[str, ...] = ()
        else:
            card = stored_card(ledger.card)
            report_sha = ledger.report_sha if card else None
            run_url = ledger.run_url
            notes = ledger.card_notes if card else ()
        approvals = state.to_json()
        notes_shown = [*ctx.notes]
        notes_shown += [NOTE_IMPOSTOR.format(check=ctx.ident.check_name, id=r.id,
                                             app=r.app_slug or "unknown")
                        for r in ctx.impostors[:5]]
        gate = GateView(
            check_name=ctx.ident.check_name, head_sha=pr.head_sha,
            status=status if status in ("ready", "waiting", "failed", "merged")
            else "waiting",  # type: ignore[arg-type]
            reasons=tuple(reasons), approvals=approvals,
            impostors=tuple((r.id, r.app_slug or "unknown", r.conclusion or r.status)
                            for r in ctx.impostors),
            sound=ctx.ident.sound, notes=tuple(ctx.notes),
        )
        view = View(
            model_name=ctx.gov.model.name, head_sha=pr.head_sha, card=card,
            report_sha=report_sha, approvals=approvals, run_url=run_url,
            state=CommentState(), card_notes=notes, card_frozen=report is None,
            gate=gate_markdown(gate),
        )
        body, shaped = self._renderer.render(view)
        return body, shaped

    def _merge(self, ctx: _Context, state: ApprovalState) -> tuple[MergeOutcome | None, bool]:
        pr, method = ctx.pr, ctx.ident.merge_method
        sha = state.merge.sha or pr.head_sha
        try:
            outcome = self.api.merge(pr.number, sha=sha, method=method,
                                     title=f"{pr.title} (#{pr.number})",
                                     message=_approval_message(state, pr))
        except GitHubApiError as exc:
            if exc.status is not None and exc.status < 500:
                raise
            now = self.api.get_pull(pr.number)  # a safe GET tells whether it happened
            if not (now.merged and now.head_sha == sha and now.merge_commit_sha):
                self.log.warning(LOG_MERGE_UNKNOWN.format(number=pr.number, error=exc,
                                                          state=now.state))
                raise
            outcome = MergeOutcome(True, 200, "merged (confirmed after an error)",
                                   now.merge_commit_sha)
        if not outcome.merged or outcome.sha is None:
            self.log.warning(LOG_MERGE_REFUSED.format(number=pr.number, sha=sha[:12],
                                                      status=outcome.status,
                                                      message=outcome.message))
            if outcome.status == 403:
                ctx.notes.append(NOTE_MERGE_FORBIDDEN.format(message=outcome.message,
                                                             check=ctx.ident.check_name))
            elif outcome.status == 405:
                ctx.notes.append(NOTE_MERGE_RULES.format(message=outcome.message,
                                                         base=pr.base_ref))
            else:
                ctx.notes.append(NOTE_MERGE_REFUSED.format(status=outcome.status,
                                                           message=outcome.message))
            return outcome, False
        self.log.info(LOG_MERGED.format(number=pr.number, head=sha[:12],
                                        merge=outcome.sha[:12], method=method))
        try:
            hand_over_to_release(self.api, workflow=self.config.release_workflow,
                                 ref=pr.base_ref, merge_sha=outcome.sha, pr_number=pr.number,
                                 audited_head_sha=sha)
        except GitHubApiError as exc:
            self.log.error(LOG_RELEASE_FAILED.format(
                number=pr.number, sha=outcome.sha, error=exc,
                workflow=self.config.release_workflow, head=sha), title="release")
            raise
        self.log.info(LOG_RELEASE.format(number=pr.number, workflow=self.config.release_workflow,
                                         ref=pr.base_ref, sha=outcome.sha[:12]))
        return outcome, True

    def _answer(self, ctx: _Context, state: ApprovalState) -> tuple[int, int]:
        """Reactions and replies, last: each refused write is logged and skipped."""
        pr = ctx.pr
        replied = {m.group(1) for c in ctx.own
                   if (m := REPLY_MARKER_RE.match(c.body)) is not None}
        reactions = replies = 0
        for response in state.responses:
            if response.subject == "comment" and self._try(
                pr.number, response.key,
                functools.partial(self.api.create_reaction, response.comment_id,
                                  response.reaction),
            ):
                reactions += 1
                self.log.info(LOG_REACTED.format(number=pr.number, reaction=response.reaction,
                                                 id=response.comment_id))
            if response.reply and response.key not in replied:
                text = f"{REPLY_MARKER.format(key=response.key)}\n{response.reply}"
                if self._try(pr.number, response.key,
                             functools.partial(self.api.create_comment, pr.number, text)):
                    replies += 1
                    refused = sum(o.count for o in response.outcomes if not o.accepted)
                    self.log.info(LOG_REPLIED.format(number=pr.number, key=response.key,
                                                     count=refused + response.omitted))
        explained = {m.group(1) for c in ctx.own
                     if (m := REVERT_MARKER_RE.match(c.body)) is not None}
        for revert in state.label_reverts:
            digest = _digest(revert.key)
            if digest in explained:
                continue
            text = f"{REVERT_MARKER.format(digest=digest)}\n{revert.reply}"
            if self._try(pr.number, revert.key,
                         functools.partial(self.api.create_comment, pr.number, text)):
                replies += 1
                verb = "restored" if revert.action == "add" else "removed"
                self.log.info(LOG_REVERTED.format(number=pr.number, action=verb,
                                                  label=revert.label, actor=revert.actor))
        return reactions, replies

    def _try(self, number: int, key: str, write: Callable[[], object]) -> bool:
        try:
            write()
        except GitHubApiError as exc:
            self.log.warning(LOG_REPLY_FAILED.format(number=number, key=key, error=exc))
            return False
        return True


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


def _approval_message(state: ApprovalState, pr: PullInfo) -> str:
    """The merge commit carries every approval as a trailer
    (see ``modelgate.bot.approvals.trailers``),
    each followed by its user id and source URL when both are known, then the PR's author:
    what the release statement reads back (``modelgate.bot.release.statement``)."""
    lines = []
    for role in state.roles:
        for a in role.approvers:
            lines.append(approval_trailer(
                role.name, a.login, a.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                a.sha))
            url = a.source.url if a.source is not None else None
            if a.user_id is not None and url:
                lines.append(approval_source_trailer(role.name, a.login, a.user_id, url))
    lines.append(author_trailer(pr.author, pr.author_id))
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



# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one living PR comment: the model card, the checklist and the approval chain.

The comment is found by a hidden marker on its first line *and* by its author: only a
comment the bot wrote is ever edited, so a marker pasted by someone else is inert. It is
rewritten only when its text changes, and it always fits GitHub's 65,536-character limit:
when the card is too long, the longest lists and texts of the card's *data* are shortened
(rows are dropped, never cut in half, so tables and diagrams stay valid Markdown), the
comment says what was cut and links to the full report.

The comment is display only: it carries no state. What the bot must remember lives in its
ledger on its own check run (``modelgate.bot.chain.ledger``), so a pasted or edited marker, or an
edited comment, changes nothing the bot decides. Above the card it says, verdict first,
what the gate waits for, every tamper finding (who, what, when, link), every hold with
its source, every approval with its source and user, and any ``modelgate`` check that
another App posted (an impostor, ignored).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from modelgate.bot.check.card import (
    CardError,
    ModelCard,
    load_card_json,
    render_markdown,
    source_link,
)
from modelgate.bot.github.api import CommentInfo, GitHubApi
from modelgate.markdown import code_span, escape_md, escape_md_code

COMMENT_LIMIT = 65_536  # GitHub's maximum comment body, in characters
COMMENT_BUDGET = 65_000  # what the bot allows itself, leaving room for GitHub's counting
MARKER = "<!-- modelgate:card {name} -->"

TITLE_NO_CARD = "## modelgate: {name}"
WAITING = "⏳ Waiting for the audit report of {sha}; the model card appears here when it arrives."
STALE = (
    "⚠️ The card below is for {old}. The pull request's head is now {new}: its audits have "
    "not reported yet, and approvals count only for the head."
)
SHORTENED = (
    "✂️ This comment was shortened to stay under GitHub's 65,536-character limit: {what}. "
    "{link}"
)
FULL_REPORT_LINK = "The full report is in [the workflow run]({url})."
NO_LINK = "The full report is in the audit job's artifact."
FOOTER = "<sub>modelgate · head {sha}{run}</sub>"
FOOTER_RUN = " · [workflow run]({url})"
HARD_CUT = "\n\n…(cut here: the rest did not fit in one comment)\n"
APPROVALS_HEADING = "### Approvals"
AUDITS_ALL_PASS = " · audits: all {n} pass"
AUDITS_SOME_FAIL = " · audits: {bad} of {n} not passing ({which})"
SAFE_URL_RE = re.compile(r"^https?://[A-Za-z0-9.:_~%/?#=&+-]+$")


@dataclass(frozen=True)
class CommentState:
    """What one rendering kept of the card (possibly shortened), for the ledger."""

    card: dict[str, Any] | None = None  # ModelCard JSON as shown (possibly shortened)
    report_sha: str | None = None  # the commit the card's audits ran on
    run_url: str | None = None
    card_notes: tuple[str, ...] = ()  # what was cut from the stored card, for the notice


def _safe_url(value: Any) -> str | None:
    """A link target that cannot break out of Markdown link syntax."""
    return value if isinstance(value, str) and SAFE_URL_RE.match(value) else None


def stored_card(card: dict[str, Any] | None) -> ModelCard | None:
    """The card kept in the ledger, validated again before it is shown."""
    if card is None:
        return None
    try:
        return load_card_json(json.dumps(card).encode())
    except CardError:
        return None


# ------------------------------------------------------------------------ finding


def marker_for(model_name: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", model_name)[:100] or "model"
    return MARKER.format(name=safe)


@dataclass(frozen=True)
class Found:
    comment: CommentInfo | None
    duplicates: tuple[CommentInfo, ...] = ()


def find_living_comment(
    comments: Sequence[CommentInfo], *, bot_login: str, marker: str
) -> Found:
    """The bot's own comment whose first line is the marker (the oldest, if several)."""
    mine = [
        c
        for c in comments
        if c.author.casefold() == bot_login.casefold() and c.body.split("\n", 1)[0] == marker
    ]
    mine.sort(key=lambda c: (c.created_at, c.id))
    if not mine:
        return Found(None)
    return Found(mine[0], tuple(mine[1:]))


# ---------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class View:
    """Everything one rendering of the comment needs."""

    model_name: str
    head_sha: str
    card: ModelCard | None
    report_sha: str | None
    approvals: dict[str, Any]
    run_url: str | None
    state: CommentState
    card_notes: tuple[str, ...] = ()  # cuts already made to ``card`` (a stored card)
    card_frozen: bool = False  # a stored card is shown as it was stored, never cut again
    gate: str = ""  # the verdict-first section (``gate_markdown``)


@dataclass
class _Cuts:
    """How much of each shortenable list or text is kept (``None``: all of it)."""

    keep: dict[str, int] = field(default_factory=dict)

    def notes(self, sizes: dict[str, int], *, card: bool) -> list[str]:
        """The notice's phrases, for the card's cuts or for the approval history's."""
        return [
            CUT_LABELS[path].format(kept=kept, total=sizes[path])
            for path, kept in sorted(self.keep.items())
            if path.startswith("approvals.") is not card
        ]


# path -> how the notice names the cut
CUT_LABELS = {
    "approvals.history": "the approval history shows the last {kept} of {total} events",
    "subgroups.rows": "the subgroup table shows {kept} of {total} rows",
    "risks": "{kept} of {total} risks are listed",
    "checklist": "the checklist shows {kept} of {total} audits",
    "training_data.features": "{kept} of {total} feature names are kept",
    "overview.owners": "{kept} of {total} owners are listed",
    "intended_use": "the intended use is cut to {kept} of {total} characters",
    "out_of_scope_use": "the out-of-scope use is cut to {kept} of {total} characters",
    "limitations": "the limitations are cut to {kept} of {total} characters",
    "overview.description": "the description is cut to {kept} of {total} characters",
}


def _get(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = data
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


def _more_row(path: str, hidden: int) -> Any:
    """The row that says, inside the table or list itself, that rows were dropped."""
    more = f"{hidden} more in the full report"
    if path == "subgroups.rows":
        return {"group": "…", "band": more, "rows": 0, "accuracy": None, "recall": None,
                "auc": None, "status": "not shown"}
    if path == "checklist":
        return {"id": "more", "title": "…", "status": "pending", "summary": more}
    if path == "approvals.history":
        return {"at": None, "event": "…", "actor": "", "role": None,
                "detail": f"{hidden} earlier events are in the workflow logs", "sha": None,
                "comment_id": None}
    if path in ("risks", "overview.owners"):
        return f"… {more}"
    return None


def _shorten(original: Any, path: str, keep: int) -> Any:
    if isinstance(original, str):
        return original[:keep].rstrip() + "…"
    hidden = len(original) - keep
    kept = original[-keep:] if path == "approvals.history" else original[:keep]
    more = _more_row(path, hidden)
    if more is None:
        return kept
    return [more, *kept] if path == "approvals.history" else [*kept, more]


class CommentRenderer:
    """Builds the comment text for a :class:`View`, shortened to fit when needed."""

    def __init__(self, budget: int = COMMENT_BUDGET) -> None:
        self.budget = budget

    def render(self, view: View) -> tuple[str, CommentState]:
        """The comment body and the state stored in it."""
        card_data = view.card.model_dump(mode="json") if view.card is not None else None
        data = {"card": card_data, "approvals": json.loads(json.dumps(view.approvals))}
        sizes = self._sizes(data, frozen=view.card_frozen)
        cuts = _Cuts()
        while True:
            shaped = self._apply(data, cuts)
            card_notes = (*view.card_notes, *cuts.notes(sizes, card=True))
            notes = [*card_notes, *cuts.notes(sizes, card=False)]
            body, state = self._compose(view, shaped, notes, card_notes)
            if len(body) <= self.budget:
                return body, state
            if not self._cut_more(shaped, cuts, sizes, frozen=view.card_frozen):
                return self._hard_cut(body, state), state

    # -- shaping the data

    @staticmethod
    def _targets(data: dict[str, Any], *, frozen: bool) -> dict[str, Any]:
        found: dict[str, Any] = {}
        history = _get(data["approvals"], "history")
        if isinstance(history, list):
            found["approvals.history"] = history
        card = data["card"]
        if isinstance(card, dict) and not frozen:
            for path in CUT_LABELS:
                if path.startswith("approvals."):
                    continue
                value = _get(card, path)
                if isinstance(value, list | str):
                    found[path] = value
        return found

    def _sizes(self, data: dict[str, Any], *, frozen: bool) -> dict[str, int]:
        return {path: len(value) for path, value in self._targets(data, frozen=frozen).items()}

    def _apply(self, data: dict[str, Any], cuts: _Cuts) -> dict[str, Any]:
        shaped: dict[str, Any] = json.loads(json.dumps(data))
        for path, keep in cuts.keep.items():
            if path.startswith("approvals."):
                root, sub = shaped["approvals"], path.removeprefix("approvals.")
            else:
                root, sub = shaped["card"], path
            _set(root, sub, _shorten(_get(root, sub), path, keep))
        return shaped

    def _cut_more(
        self, shaped: dict[str, Any], cuts: _Cuts, sizes: dict[str, int], *, frozen: bool
    ) -> bool:
        """Halve the biggest thing that can still shrink; ``False`` when nothing can."""
        weights = {
            path: len(json.dumps(value))
            for path, value in self._targets(shaped, frozen=frozen).items()
            if cuts.keep.get(path, sizes[path]) > (20 if isinstance(value, str) else 1)
        }
        if not weights:
            return False
        biggest = max(weights, key=lambda p: (weights[p], p))
        current = cuts.keep.get(biggest, sizes[biggest])
        cuts.keep[biggest] = max(current // 2, 1)  # the original data stays whole
        return True

    # -- the text

    def _compose(
        self, view: View, shaped: dict[str, Any], notes: list[str], card_notes: tuple[str, ...]
    ) -> tuple[str, CommentState]:
        card = ModelCard.model_validate(shaped["card"]) if shaped["card"] is not None else None
        state = replace(view.state, card=shaped["card"], report_sha=view.report_sha,
                        run_url=view.run_url, card_notes=card_notes if card else ())
        parts = [marker_for(view.model_name)]
        if view.gate:
            headline, _, rest = view.gate.partition("\n")
            if card is not None:
                headline += audits_fragment(card)
            parts.append(headline + ("\n" + rest if rest else ""))
        if card is not None and view.report_sha not in (None, view.head_sha):
            parts.append(
                STALE.format(old=code_span(view.report_sha), new=code_span(view.head_sha))
            )
        if notes:
            link = FULL_REPORT_LINK.format(url=view.run_url) if view.run_url else NO_LINK
            parts.append(SHORTENED.format(what="; ".join(notes), link=link))
        if card is not None:
            parts.append(
                render_markdown(card, approvals=shaped["approvals"], front_matter=False,
                                comment=True).strip()
            )
        else:
            parts.append(TITLE_NO_CARD.format(name=escape_md(view.model_name)))
            parts.append(WAITING.format(sha=code_span(view.head_sha)))
            parts.append(approvals_markdown(shaped["approvals"]))
        run = FOOTER_RUN.format(url=view.run_url) if view.run_url else ""
        parts.append(FOOTER.format(sha=code_span(view.head_sha[:12]), run=run))
        return "\n\n".join(parts) + "\n", state

    def _hard_cut(self, body: str, state: CommentState) -> str:
        """Last resort: whole lines up to the budget, open blocks closed."""
        room = self.budget - len(HARD_CUT) - 40
        kept = body[: max(room, 0)].rsplit("\n", 1)[0]
        if kept.count("```") % 2:
            kept += "\n```"
        if kept.count("<details>") > kept.count("</details>"):
            kept += "\n</details>"
        return kept + HARD_CUT


def approvals_markdown(approvals: dict[str, Any]) -> str:
    """The approval table and history on their own (before any card exists)."""
    lines = [APPROVALS_HEADING, "", "| role | needed | approved by | when | source | status |",
             "| --- | --- | --- | --- | --- | --- |"]
    for role in approvals.get("roles") or []:
        approvers = role.get("approvers") or []
        names = ", ".join("&#64;" + escape_md(a.get("login", "")) for a in approvers) or "—"
        dates = ", ".join(escape_md(str(a.get("at") or "")[:16].replace("T", " "))
                          for a in approvers) or "—"
        sources = ", ".join(source_link(a.get("source")) for a in approvers) or "—"
        icon = "✅" if role.get("satisfied") else "⏳"
        lines.append(
            f"| {icon} {escape_md(role.get('name', ''))} | {role.get('required', 1)} | "
            f"{names} | {dates} | {sources} | {escape_md(role.get('status_text', ''))} |"
        )
    hold = approvals.get("hold") or {}
    if hold.get("held"):
        by = ", ".join(escape_md(who) for who in hold.get("by") or [])
        lines += ["", f"**On hold** by {by}."]
    history = approvals.get("history") or []
    if history:
        lines += [
            "",
            f"<details><summary>Approval history ({len(history)} events)</summary>",
            "",
            "| when | event | who | role | detail |",
            "| --- | --- | --- | --- | --- |",
        ]
        for h in history:
            cells = [h.get("at") or "", h.get("event") or "", h.get("actor") or "",
                     h.get("role") or "", h.get("detail") or ""]
            lines.append("| " + " | ".join(escape_md(c) for c in cells) + " |")
        lines += ["", "</details>"]
    return "\n".join(lines)


def audits_fragment(card: ModelCard) -> str:
    """`` · audits: all 12 pass`` for the headline, from the card's checklist."""
    items = card.checklist
    failing = [i for i in items if i.status != "pass"]
    if not items:
        return ""
    if not failing:
        return AUDITS_ALL_PASS.format(n=len(items))
    shown = ", ".join(code_span(i.id) for i in failing[:5])
    more = f" and {len(failing) - 5} more" if len(failing) > 5 else ""
    return AUDITS_SOME_FAIL.format(bad=len(failing), n=len(items), which=shown + more)


# --------------------------------------------------------------------- the gate


GATE_READY = "✅ **Ready**: the {check} check is green on {sha}"
GATE_MERGED = "✅ **Merged** {sha}"
GATE_FAILED = "❌ **Blocked**: the audits failed on {sha}; the {check} check is red"
GATE_WAITING = "⏳ **Not ready** to merge {sha} · waiting for: {what} · merges when {when}"
WAITING_ROLES = "{roles} {verb} this head"
WAITING_OTHER = "everything below is resolved"
GATE_REASONS = "The {check} check waits for:"
GATE_UNSOUND = (
    "⚠️ This gate is **not sound**: no GitHub App is configured (`github.app_id` in "
    "governance.yml), so any workflow can post a `{check}` check. Run `modelgate doctor`."
)
FINDINGS_HEADING = "**Tampering found** (fails closed until a role holder acts again):"
FINDING_ROW = "- {when} {detail} — {source}{answered}"
FINDING_ANSWERED = " (answered by &#64;{who})"
HOLDS_HEADING = "**Holds:**"
HOLD_ROW = "- {kind} by {who} at {when} — {source}"
IMPOSTORS_HEADING = (
    "**Ignored checks** named `{check}` that the App did not post (only the App's own "
    "check counts):"
)
IMPOSTOR_ROW = "- check run {id} by `{app}` ({conclusion})"
NOTES_HEADING = "**Notes:**"


@dataclass(frozen=True)
class GateView:
    """The verdict-first section's inputs, all plain values."""

    check_name: str
    head_sha: str
    status: Literal["ready", "waiting", "failed", "merged"]
    reasons: tuple[str, ...]
    approvals: dict[str, Any]  # ApprovalState.to_json()
    impostors: tuple[tuple[int, str, str], ...] = ()  # (id, app slug, conclusion)
    sound: bool = True
    notes: tuple[str, ...] = ()


def _link(source: dict[str, Any] | None) -> str:
    if not source:
        return "source unknown"
    text = escape_md(f"{source.get('kind', '')} {source.get('id', '')}", limit=200)
    url = _safe_url(source.get("url"))
    return f"[{text}]({url})" if url else text


def _when(value: Any) -> str:
    return escape_md(str(value or "(time unknown)"), limit=40)


def _count(role: dict[str, Any]) -> str:
    required = role.get("required") or 1
    if required == 1:
        return ""
    return f" ({len(role.get('approvers') or [])} of {required})"


def gate_markdown(view: GateView, limit: int = 30) -> str:
    """Decision, what it waits for, tampering, holds, approvals with sources, impostors."""
    sha = code_span(view.head_sha[:12])
    check = code_span(view.check_name)
    lines: list[str] = []
    if view.status == "merged":
        lines.append(GATE_MERGED.format(sha=sha))
    elif view.status == "ready":
        lines.append(GATE_READY.format(check=check, sha=sha))
    elif view.status == "failed":
        lines.append(GATE_FAILED.format(check=check, sha=sha))
    else:
        pending = [r for r in view.approvals.get("roles") or [] if not r.get("satisfied")]
        names = [escape_md(str(r.get("name"))) + _count(r) for r in pending]
        only_roles = bool(names) and len(view.reasons) <= len(names)
        what = ", ".join(f"**{n}**" for n in names) if names else ""
        others = len(view.reasons) - len(names)
        if others > 0:
            what += (" and " if what else "") + f"{others} more (below)"
        joined = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        when = (WAITING_ROLES.format(roles=joined, verb="approves" if len(names) == 1
                                     else "approve") if only_roles else WAITING_OTHER)
        lines.append(GATE_WAITING.format(sha=sha, what=what or "see below", when=when))
    if view.reasons:
        lines += ["", GATE_REASONS.format(check=check)]
    lines += [f"- {escape_md_code(r, limit=600)}" for r in view.reasons[:limit]]
    if not view.sound:
        lines += ["", GATE_UNSOUND.format(check=check)]
    findings = view.approvals.get("findings") or []
    if findings:
        lines += ["", FINDINGS_HEADING]
        for f in findings[:limit]:
            answered = f.get("answered_by")
            lines.append(FINDING_ROW.format(
                when=_when(f.get("at")), detail=escape_md(str(f.get("detail")), limit=300),
                source=_link(f.get("source")),
                answered=FINDING_ANSWERED.format(who=escape_md(answered)) if answered else ""))
    holds = (view.approvals.get("hold") or {}).get("entries") or []
    if holds:
        lines += ["", HOLDS_HEADING]
        for h in holds[:limit]:
            lines.append(HOLD_ROW.format(
                kind=escape_md(str(h.get("kind")).replace("_", " ")),
                who="&#64;" + escape_md(str(h.get("login"))), when=_when(h.get("at")),
                source=_link(h.get("source"))))
    if view.impostors:
        lines += ["", IMPOSTORS_HEADING.format(check=check)]
        lines += [IMPOSTOR_ROW.format(id=i, app=escape_md(app), conclusion=escape_md(c))
                  for i, app, c in view.impostors[:limit]]
    if view.notes:
        lines += ["", NOTES_HEADING]
        lines += [f"- {escape_md(n, limit=1500)}" for n in view.notes[:limit]]
    return "\n".join(lines)


# ------------------------------------------------------------------------ writing


Outcome = Literal["created", "updated", "unchanged"]


def upsert_comment(
    api: GitHubApi, number: int, found: Found, body: str, *, log: Callable[[str], None]
) -> Outcome:
    """Create the living comment, or edit the bot's own one when the text changed."""
    if len(body) > COMMENT_LIMIT:
        raise ValueError(f"comment of {len(body)} characters exceeds GitHub's {COMMENT_LIMIT}")
    for duplicate in found.duplicates:
        api.delete_comment(duplicate.id)
        log(f"deleted duplicate modelgate comment {duplicate.id} on #{number}")
    if found.comment is None:
        created = api.create_comment(number, body)
        log(f"created the modelgate comment {created.id} on #{number}")
        return "created"
    if found.comment.body == body:
        return "unchanged"
    api.edit_comment(found.comment.id, body)
    log(f"updated the modelgate comment {found.comment.id} on #{number}")
    return "updated"

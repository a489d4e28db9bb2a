# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The GitHub layer's own decisions: the ledger only the App writes, which check runs are
trusted, how body versions become edits, how the living comment is found, kept and
shortened, and a merge racing a push."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.chain import inputs
from modelgate.bot.chain.comment import (
    CommentRenderer,
    CommentState,
    Found,
    View,
    approvals_markdown,
    find_living_comment,
    marker_for,
    upsert_comment,
)
from modelgate.bot.chain.ledger import (
    DeletionRecord,
    Ledger,
    PushRecord,
    ReleaseInputs,
    Trust,
    decode,
    encode,
    newest_ledger,
    split_runs,
)
from modelgate.bot.chain.sync import ApprovalBot, BotConfig
from modelgate.bot.github.api import (
    BodyRecord,
    BodyRevision,
    CheckRunInfo,
    CommentInfo,
    MergeOutcome,
    PyGithubApi,
    UserRef,
    parse_actor,
)
from modelgate.progress import ConsoleReporter
from tests.bot_support import BOT, MODEL, ORG_READER, REPO, Scene, make_card

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OLD, NEW = "a" * 40, "b" * 40


def t(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def comment(cid: int, who: str, body: str, minute: float) -> CommentInfo:
    return CommentInfo(cid, who, "User", body, t(minute), t(minute), "")


def run(text: str, *, app_id: int | None = 77, slug: str = "modelgate", cid: int = 1,
        minute: float = 1) -> CheckRunInfo:
    return CheckRunInfo(cid, "modelgate", NEW, "in_progress", None, t(minute), slug, "",
                        app_id=app_id, text=text)


def test_the_ledger_round_trips_and_new_records_take_the_runs_time() -> None:
    """A record made by this event has no time; read back, it has its run's started_at."""
    ledger = Ledger(
        pushes=(PushRecord(NEW, OLD, "alice", 1, None),
                PushRecord(OLD, None, "alice", 1, t(0), seen="opened")),
        deletions=(DeletionRecord(5, "mallory", 9, "dana", 2, "/hold", None, None),),
        answered=("comment:3#0",), release=ReleaseInputs(NEW, 42, 7),
    )
    assert ledger.pending()
    back = decode(encode(ledger), t(3))
    assert back is not None and not back.pending()
    assert back.pushes[0].at == t(3) and back.pushes[1].at == t(0)
    assert back.deletions[0].at == t(3) and back.deletions[0].body == "/hold"
    assert back.answered == ("comment:3#0",) and back.release == ReleaseInputs(NEW, 42, 7)
    assert decode("```modelgate-ledger v1\n!!!\n```", None) is None
    assert decode("no block here", None) is None


def test_only_the_apps_own_runs_are_trusted() -> None:
    """A modelgate run from github-actions (a PR's workflow) is an impostor."""
    block = encode(Ledger(answered=("comment:1#0",)))
    mine = run(block, cid=1)
    forged = run(encode(Ledger(answered=("x",))), app_id=15368, slug="github-actions", cid=2)
    trusted, impostors = split_runs([mine, forged], Trust(77, None), NEW)
    assert trusted == [mine] and impostors == [forged]
    assert newest_ledger(trusted) == decode(block, t(1))
    legacy, _ = split_runs([mine, forged], Trust(None, "github-actions"), NEW)
    assert legacy == [forged]


def test_body_versions_become_edits_with_their_editors() -> None:
    """GraphQL lists versions newest first; the adapter turns them oldest first, and the
    chain makes one edit per later version, editor and before/after included."""
    alice, mallory = UserRef("alice", 1), UserRef("mallory", 9)
    record = BodyRecord(3, alice, "/approve", t(0), t(2),
                        (BodyRevision(alice, t(0), "hi"), BodyRevision(mallory, t(2), "/approve")),
                        True, "https://github.example/pr/1#issuecomment-3")
    made = inputs.comment(record)
    assert [(e.editor.login, e.before, e.after) for e in made.edits] == [
        ("mallory", "hi", "/approve")]
    assert made.history_complete and made.edited_at == t(2)
    assert parse_actor({"__typename": "Bot", "login": "modelgate", "databaseId": 5}) == UserRef(
        "modelgate[bot]", 5, "Bot")


# -- the living comment ---------------------------------------------------------------


@dataclass
class RecordingApi:
    """A hand-written fake that records the comment writes."""

    repo: str = REPO
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def create_comment(self, number: int, body: str) -> CommentInfo:
        self.calls.append(("create", number))
        return CommentInfo(99, BOT, "Bot", body, T0, T0, "")

    def edit_comment(self, comment_id: int, body: str) -> None:
        self.calls.append(("edit", comment_id))

    def delete_comment(self, comment_id: int) -> None:
        self.calls.append(("delete", comment_id))


MARKER = marker_for(MODEL)


def test_only_the_bots_own_marked_comment_is_found() -> None:
    pasted = comment(1, "mallory", f"{MARKER}\nmine now", 1)
    quoted = CommentInfo(2, BOT, "Bot", f"> {MARKER}", t(2), t(2), "")
    own = CommentInfo(3, BOT, "Bot", f"{MARKER}\ncard", t(3), t(3), "")
    later = CommentInfo(4, BOT, "Bot", f"{MARKER}\ncard again", t(4), t(4), "")
    found = find_living_comment([pasted, quoted, later, own], bot_login=BOT, marker=MARKER)
    assert found.comment == own and found.duplicates == (later,)
    assert find_living_comment([pasted], bot_login=BOT, marker=MARKER).comment is None


def test_nothing_is_written_when_the_text_is_unchanged() -> None:
    api = RecordingApi()
    own = CommentInfo(3, BOT, "Bot", "same", t(3), t(3), "")
    assert upsert_comment(api, 1, Found(own), "same", log=lambda _: None) == "unchanged"  # type: ignore[arg-type]
    assert api.calls == []
    assert upsert_comment(api, 1, Found(own), "new", log=lambda _: None) == "updated"  # type: ignore[arg-type]
    dup = CommentInfo(4, BOT, "Bot", "x", t(4), t(4), "")
    assert upsert_comment(api, 1, Found(None, (dup,)), "x", log=lambda _: None) == "created"  # type: ignore[arg-type]
    assert api.calls == [("edit", 3), ("delete", 4), ("create", 1)]


def view(card: Any = None, *, report_sha: str | None = None, history: int = 0) -> View:
    approvals = {"roles": [{"name": "data-steward", "approvers": [{"login": "dana|x",
                                                                   "at": "2026-11-23T09:00Z"}],
                            "status_text": "approved"}],
                 "hold": {"held": True, "by": ["<b>mo</b>"]},
                 "history": [{"at": "2026-11-23T09:00Z", "event": "approved", "actor": "dana",
                              "role": "data-steward", "detail": f"round {i}"}
                             for i in range(history)]}
    return View(model_name=MODEL, head_sha=NEW, card=card, report_sha=report_sha,
                approvals=approvals, run_url="https://github.example/runs/1",
                state=CommentState())


def test_without_a_card_the_comment_waits_and_shows_the_approvals_escaped() -> None:
    body, _ = CommentRenderer().render(view())
    assert body.startswith(MARKER + "\n")
    assert "Waiting for the audit report" in body
    assert "dana\\|x" in body and "&lt;b&gt;mo&lt;/b&gt;" in body
    assert "<b>" not in approvals_markdown(view().approvals)


def test_a_card_for_an_older_head_says_so() -> None:
    body, state = CommentRenderer().render(view(make_card(OLD), report_sha=OLD))
    assert "The card below is for `" + OLD + "`" in body
    assert state.report_sha == OLD


def test_when_nothing_is_left_to_shorten_the_text_is_cut_at_a_line() -> None:
    """A tiny budget forces the last resort: whole lines, blocks closed, state kept."""
    body, _ = CommentRenderer(budget=2000).render(view(make_card(NEW), report_sha=NEW,
                                                       history=50))
    assert len(body) <= 2000
    assert "(cut here" in body
    assert body.count("```") % 2 == 0
    assert body.count("<details>") == body.count("</details>")


def test_a_long_history_keeps_its_newest_rows() -> None:
    body, _ = CommentRenderer(budget=12_000).render(view(make_card(NEW), report_sha=NEW,
                                                         history=400))
    assert len(body) <= 12_000
    assert "round 399" in body and "round 0 " not in body
    assert "earlier events are in the workflow logs" in body


# -- a merge racing a push ------------------------------------------------------------


class PushBeforeMerge(PyGithubApi):
    """The author pushes in the instant between the bot's decision and its merge."""

    def __init__(self, gh: GitHubDouble, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gh = gh

    def merge(self, number: int, *, sha: str, method: str, title: str,
              message: str = "") -> MergeOutcome:
        self.gh.push(REPO, number, {"train.py": "fit(C=3)\n"})
        return super().merge(number, sha=sha, method=method, title=title)


def test_a_head_that_moves_between_decision_and_merge_is_not_merged(
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GitHub answers 409 to the merge pinned to the approved head: nothing is merged,
    nothing is released, and the log says so."""
    scene = Scene(github_double, tmp_path, monkeypatch, capsys)
    number = scene.open_pr()
    assert scene.report(number).code == 0
    scene.say("dana", number, "/approve")
    scene.say("mo", number, "/approve")
    approved_head = scene.head(number)
    scene.gh.comment_as("cleo", REPO, number, "/approve")
    api = PushBeforeMerge(github_double, github_double.client(BOT), REPO,
                          members=github_double.client(ORG_READER))
    out: list[str] = []

    class Log(ConsoleReporter):
        def warning(self, text: str, *, title: str = "", file: str = "") -> None:
            out.append(text)

    result = ApprovalBot(api, BotConfig(), Log()).sync(number)
    assert result.merge is not None and result.merge.status == 409
    assert not result.released
    assert not scene.merged(number) and github_double.dispatches(REPO) == []
    assert scene.head(number) != approved_head
    assert any("nothing will be promoted" in line for line in out)


def test_a_stored_card_is_shown_as_stored_and_only_the_history_shrinks() -> None:
    """Re-rendered for an /approve, a card that was cut before keeps its rows and its
    notice; room is made from the approval history instead."""
    card = make_card(NEW, subgroup_rows=40)
    note = "the subgroup table shows 40 of 4000 rows"
    frozen = View(**{**view(card, report_sha=NEW, history=300).__dict__,
                     "card_notes": (note,), "card_frozen": True})
    body, state = CommentRenderer(budget=20_000).render(frozen)
    assert len(body) <= 20_000
    assert body.count("| tumour\\_size |") == 40
    assert note in body and "the approval history shows the last" in body
    assert state.card_notes == (note,)

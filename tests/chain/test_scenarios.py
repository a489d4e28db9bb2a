# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The approval chain end to end: people comment, label and push in the GitHub double, the
matching webhook goes through ``modelgate handle``, and GitHub ends up showing what a
reviewer expects (labels, reactions, replies, the card's approval table, the merge).

One table; each row is a story and its outcome. Every row starts with a pull request
opened by alice on acme/model, whose ``governance.yml`` on main names the roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from demo.github_double import GitHubDouble
from demo.github_double.errors import HEAD_MODIFIED
from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.approvals.core import (
    LABEL_HOLD_RESTORED,
    LABEL_NO_ROLE,
    LABEL_NOT_HOLDER,
    LABEL_RESTORED,
    LABEL_USE_COMMAND,
    REASON_AUDIT_RED,
    REASON_DRAFT,
    REASON_HELD,
    REASON_NOT_MERGEABLE,
    REFUSE_AMBIGUOUS,
    REFUSE_AUTHOR,
    REFUSE_NO_ROLE,
    REFUSE_NOT_HOLDER,
    REFUSE_NOTHING_TO_CANCEL,
    REFUSE_ONE_ROLE,
    REFUSE_UNHOLD,
    REFUSE_UNKNOWN_ROLE,
    RESET_BY_PUSH,
)
from modelgate.markdown import escape_md
from tests.bot_support import (
    AUTHOR,
    BOT,
    CS,
    DEFAULT_ROLES,
    DS,
    ML,
    OTHER_BOT,
    REPO,
    TWO_PERSON_ROLES,
    Scene,
    governance_text,
)

ROLES_WITH_BOT = [
    {**role, "users": [*role["users"], OTHER_BOT]} if role["name"] == ML else role
    for role in DEFAULT_ROLES
]
EVIL = "`@acme/ml-reviewers <b>x</b>"  # a label suffix that tries to leave the code span
SAFE = EVIL.replace("`", "'")
ALL_APPROVED = {f"approved:{DS}", f"approved:{ML}", f"approved:{CS}"}
Step = Callable[[Scene, int, dict[str, Any]], None]


def code(text: str) -> str:
    return f"`{text}`"


# -- steps: what people (and the audit job) do -----------------------------------------


def say(who: str, body: str, key: str | None = None) -> Step:
    def step(scene: Scene, number: int, ids: dict[str, Any]) -> None:
        ids[key or f"{who}:{len(ids)}"] = scene.say(who, number, body)
        ids["last"] = ids[key or f"{who}:{len(ids) - 1}"]

    return step


def edit(key: str, body: str) -> Step:
    def step(scene: Scene, number: int, ids: dict[str, Any]) -> None:
        author = next(a for a, b in scene.gh.comments(REPO, number)
                      if b == scene.comment_body(ids[key]))
        scene.edit(author, ids[key], body)

    return step


def delete(who: str, key: str) -> Step:
    return lambda scene, number, ids: scene.delete(who, ids[key])


def label(who: str, name: str) -> Step:
    return lambda scene, number, ids: scene.label(who, number, name)


def unlabel(who: str, name: str) -> Step:
    return lambda scene, number, ids: scene.unlabel(who, number, name)


def push(*, force: bool = False, deliver: bool = True) -> Step:
    def step(scene: Scene, number: int, ids: dict[str, Any]) -> None:
        if deliver:
            ids["pushed"] = scene.push(number, force=force)
        else:  # the synchronize event is still queued when the next event arrives
            ids["pushed"] = scene.gh.push(REPO, number, {"train.py": "fit(C=9)\n"})

    return step


def report(*failing: str) -> Step:
    def step(scene: Scene, number: int, ids: dict[str, Any]) -> None:
        run = scene.report(number, failing=failing)
        assert run.code == 0, run.out

    return step


def merge_answers(status: int, message: str) -> Step:
    def step(scene: Scene, number: int, ids: dict[str, Any]) -> None:
        scene.gh.inject_response("PUT", f"/repos/{REPO}/pulls/{number}/merge", status,
                                 {"message": message,
                                  "documentation_url": "https://docs.github.com/rest"})

    return step


def set_mergeable(value: bool | None) -> Step:
    return lambda scene, number, ids: scene.gh.set_mergeable(REPO, number, value)


def bot_says(body: str) -> Step:
    def step(scene: Scene, number: int, ids: dict[str, Any]) -> None:
        issue = scene.gh.client(BOT).get_repo(REPO).get_issue(number)
        ids["bot"] = issue.create_comment(body).id
        scene.handle(scene.gh.webhooks.issue_comment(REPO, ids["bot"]))

    return step


def review(who: str, state: str) -> Step:
    return lambda scene, number, ids: scene.review(who, number, state) and None


def approve_all() -> list[Step]:
    return [say("dana", "/approve"), say("mo", "/approve"), say("cleo", "/approve")]


# -- the table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    name: str
    steps: list[Step]
    labels: set[str]
    merged: bool = False
    roles: list[dict[str, Any]] = field(default_factory=lambda: DEFAULT_ROLES)
    pr_files: dict[str, str] | None = None
    draft: bool = False
    replies: tuple[str, ...] = ()  # text each expected reply holds, in any order
    no_reply: bool = False
    reaction: tuple[str, str] | None = None  # (comment key, reaction) on that comment
    no_reaction: str | None = None  # comment key the bot must not react to
    card: tuple[str, ...] = ()  # text the living comment holds
    log: tuple[str, ...] = ()  # text the bot's output holds


STORIES = [
    Story("the author cannot approve their own pull request",
          [report(), say(AUTHOR, "/approve", "c")], set(),
          replies=(REFUSE_AUTHOR,), reaction=("c", "confused")),
    Story("one person fills one role even when holding two",
          [say("pat", f"/approve {DS}"), say("pat", f"/approve {CS}", "c")], {f"approved:{DS}"},
          replies=(REFUSE_ONE_ROLE.format(filled=code(DS)),), reaction=("c", "confused")),
    Story("a bare /approve from someone with two open roles asks which",
          [say("pat", "/approve", "c")], set(),
          replies=(REFUSE_AMBIGUOUS.format(roles=f"{code(DS)}, {code(CS)}"),)),
    Story("someone holding no role cannot approve",
          [say("mallory", "/approve", "c")], set(),
          replies=(REFUSE_NO_ROLE.format(roles=f"{code(DS)}, {code(ML)}, {code(CS)}"),),
          reaction=("c", "confused")),
    Story("a named role is refused to someone who does not hold it",
          [say("mallory", f"/approve {ML}")], set(),
          replies=(REFUSE_NOT_HOLDER.format(role=code(ML)),)),
    Story("an unknown role is refused and the real ones are listed",
          [say("dana", "/approve janitor")], set(),
          replies=(REFUSE_UNKNOWN_ROLE.format(
              role=code("janitor"), roles=f"{code(DS)}, {code(ML)}, {code(CS)}"),)),
    Story("an active member of a team that holds a role approves it",
          [say("tess", "/approve", "c")], {f"approved:{ML}"}, reaction=("c", "+1"),
          card=("&#64;tess",)),
    Story("a pending team invitation is not a membership",
          [say("penny", "/approve")], set(),
          replies=(REFUSE_NO_ROLE.format(roles=f"{code(DS)}, {code(ML)}, {code(CS)}"),)),
    Story("a push removes the approvals given on the commit before it",
          [report(), say("dana", "/approve"), push()], set(),
          card=("reset",), log=("labels removed approved:data-steward",)),
    Story("a force-push resets approvals too",
          [report(), say("dana", "/approve"), say("mo", "/approve"), push(force=True)], set(),
          card=(escape_md(RESET_BY_PUSH.split(" {")[0]),)),
    Story("approving again after a push counts for the new head",
          [say("dana", "/approve"), push(), say("dana", "/approve")], {f"approved:{DS}"}),
    Story("/approve cancel withdraws the approval and its label",
          [say("dana", "/approve"), say("dana", "/approve cancel")], set(),
          card=("cancelled",)),
    Story("/approve cancel without an approval is refused",
          [say("mo", "/approve cancel")], set(), replies=(REFUSE_NOTHING_TO_CANCEL,)),
    Story("/hold stops the merge until /unhold lifts it",
          [report(), say("mo", "/hold"), *approve_all()], ALL_APPROVED | {"hold"},
          log=(REASON_HELD.format(holders="mo"),)),
    Story("/unhold after /hold lets a ready pull request merge",
          [report(), say("mo", "/hold"), *approve_all(), say("mo", "/unhold")], ALL_APPROVED,
          merged=True),
    Story("someone else's hold is not lifted by a stranger",
          [say("dana", "/hold"), say("mallory", "/unhold")], {"hold"},
          replies=(REFUSE_UNHOLD.format(holders=code("dana")),)),
    Story("a command inside a code block is not a command",
          [say("dana", "```\n/approve\n```", "c")], set(), no_reply=True, no_reaction="c"),
    Story("a command inside a quote is not a command",
          [say("dana", "> /approve", "c")], set(), no_reply=True, no_reaction="c"),
    Story("/APPROVE in capitals is a command",
          [say("dana", "/APPROVE", "c")], {f"approved:{DS}"}, reaction=("c", "+1")),
    Story("two commands in one comment both act",
          [say("pat", f"/approve {CS}\n/hold waiting for the clinic", "c")],
          {f"approved:{CS}", "hold"}, reaction=("c", "+1")),
    Story("an edit that adds /approve approves at the time of the edit",
          [say("dana", "Looks good to me.", "c"), edit("c", "Looks good to me.\n/approve")],
          {f"approved:{DS}"}, reaction=("c", "+1")),
    Story("a deleted /approve comment takes its approval with it",
          [say("dana", "/approve", "c"), delete("dana", "c")], set()),
    Story("another bot's /approve never counts",
          [say(OTHER_BOT, "/approve", "c")], set(), roles=ROLES_WITH_BOT, no_reply=True,
          no_reaction="c"),
    Story("the bot's own /approve never counts",
          [bot_says("/approve")], set(), no_reaction="bot"),
    Story("a GitHub review approval is not an /approve",
          [review("mo", "APPROVED")], set()),
    Story("an approved: label added by a non-holder is removed with a reply",
          [label("mallory", f"approved:{DS}")], set(),
          replies=(LABEL_NOT_HOLDER.format(actor="mallory", label=f"approved:{DS}", role=DS),)),
    Story("a label naming no role is removed, and its name cannot break out of the reply",
          [label("mallory", f"approved:{EVIL}")], set(),
          replies=(LABEL_NO_ROLE.format(actor="mallory", label=f"approved:{SAFE}", role=SAFE),)),
    Story("an approved: label added by hand, even by a holder, is removed",
          [label("dana", f"approved:{DS}")], set(),
          replies=(LABEL_USE_COMMAND.format(actor="dana", label=f"approved:{DS}", role=DS),)),
    Story("an approved: label removed by a non-bot is restored with a reply",
          [say("dana", "/approve"), unlabel("mallory", f"approved:{DS}")], {f"approved:{DS}"},
          replies=(LABEL_RESTORED.format(actor="mallory", label=f"approved:{DS}", role=DS,
                                         approvers=code("dana")),)),
    Story("a hold label added by a person holds the pull request",
          [report(), label("cleo", "hold"), *approve_all()], ALL_APPROVED | {"hold"}),
    Story("a hold label removed by someone else is put back",
          [say("mo", "/hold"), unlabel("mallory", "hold")], {"hold"},
          replies=(LABEL_HOLD_RESTORED.format(actor="mallory", holders=code("mo")),)),
    Story("every role approved but an audit red: no merge",
          [report("bias"), *approve_all()], ALL_APPROVED,
          log=(REASON_AUDIT_RED.format(conclusion="failure", sha="").split(" on head")[0],)),
    Story("every role approved and the audits green: merged at the pinned head",
          [report(), *approve_all()], ALL_APPROVED, merged=True),
    Story("approvals before the report merge when the report comes in green",
          [*approve_all(), report()], ALL_APPROVED, merged=True),
    # Issue 13: a head whose push the bot did not see has no known time or pusher, so an
    # approval given before the bot noticed it does not count for it (fail closed).
    Story("the head moved before the bot read it: the old approvals do not merge it",
          [report(), say("dana", "/approve"), say("mo", "/approve"), push(deliver=False),
           say("cleo", "/approve")], set(), card=("was not seen as it happened",)),
    Story("the head moved between the decision and the merge: GitHub's 409, nothing merged",
          [report(), say("dana", "/approve"), say("mo", "/approve"),
           merge_answers(409, HEAD_MODIFIED), say("cleo", "/approve")], ALL_APPROVED,
          log=("refused the merge", "409", "nothing will be promoted")),
    Story("a pull request GitHub cannot merge is left alone",
          [report(), set_mergeable(False), *approve_all()], ALL_APPROVED,
          log=(REASON_NOT_MERGEABLE,)),
    Story("a draft is not merged",
          [report(), *approve_all()], ALL_APPROVED, draft=True, log=(REASON_DRAFT,)),
    Story("governance.yml changed by the pull request is ignored: base-branch roles rule",
          [say("mallory", f"/approve {DS}"), say(AUTHOR, f"/approve {DS}")], set(),
          pr_files={"governance.yml": governance_text(
              [{"name": DS, "users": ["mallory", AUTHOR]}, *DEFAULT_ROLES[1:]])},
          replies=(REFUSE_NOT_HOLDER.format(role=code(DS)), REFUSE_AUTHOR)),
    Story("a role that needs two approvers is not satisfied by one",
          [report(), say("dana", "/approve"), say("cleo", "/approve")], {f"approved:{DS}"},
          roles=TWO_PERSON_ROLES, card=("partial 1 of 2",)),
    Story("one person approving twice is still one approver",
          [report(), say("dana", "/approve"), say("cleo", "/approve"), say("cleo", "/approve")],
          {f"approved:{DS}"}, roles=TWO_PERSON_ROLES, card=("partial 1 of 2",)),
    Story("a role that needs two approvers is satisfied by two distinct holders",
          [report(), say("dana", "/approve"), say("cleo", "/approve"), say("carl", "/approve")],
          {f"approved:{DS}", f"approved:{CS}"}, roles=TWO_PERSON_ROLES, merged=True),
]


@pytest.mark.parametrize("story", STORIES, ids=[s.name for s in STORIES])
def test_approval_story(
    story: Story,
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It shows reviewers the labels, replies, reactions and merge the story calls for."""
    scene = Scene(github_double, tmp_path, monkeypatch, capsys, roles=story.roles)
    number = scene.open_pr(files=story.pr_files, draft=story.draft)
    ids: dict[str, Any] = {}
    for step in story.steps:
        step(scene, number, ids)
    failed = [run for run in scene.runs if run.code != 0]
    assert not failed, failed[0].out
    assert scene.labels(number) == story.labels
    assert scene.merged(number) is story.merged
    dispatches = github_double.dispatches(REPO)
    if story.merged:
        head = scene.gh.pull(REPO, number)["head"]["sha"]
        merge = github_double.calls_to("PUT", f"/repos/{REPO}/pulls/{number}/merge")
        assert [c.body["sha"] for c in merge if c.status == 200] == [head]
        assert [(d.workflow, d.ref, d.inputs["pr_number"], d.inputs["audited_head_sha"])
                for d in dispatches] == [("release.yml", "main", str(number), head)]
    else:
        assert dispatches == []
    replies = scene.replies(number)
    for expected in story.replies:
        assert any(expected in reply for reply in replies), (expected, replies)
    if story.no_reply:
        assert replies == []
    if story.reaction is not None:
        key, content = story.reaction
        assert scene.reactions(ids[key]) == [(BOT, content)]
    if story.no_reaction is not None:
        assert scene.reactions(ids[story.no_reaction]) == []
    living = scene.living(number)
    for text in story.card:
        assert text in living, text
    output = "\n".join(run.out for run in scene.runs)
    for text in story.log:
        assert text in output, text

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Issues 12 and 13 end to end: people with write access try to get a pull request merged
without the approvals it needs — editing and deleting others' comments, forging checks,
pressing Merge, pushing, retargeting — through ``modelgate handle`` and the GitHub double,
with the team's own App and a ruleset that requires the App's ``modelgate`` check.

One table; each row is a story, and asserts the labels, the check (status, conclusion),
the merge or its absence, and what the living comment tells people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from demo.github_double import GitHubDouble
from demo.github_double.errors import ApiError
from demo.github_double.fixtures import github_double  # noqa: F401
from modelgate.bot.approvals.replies import MAX_REPLY_CHARS
from tests.bot_support import APP_PERMISSIONS, CS, DEFAULT_ROLES, DS, ML, REPO, Scene

ALL = {f"approved:{DS}", f"approved:{ML}", f"approved:{CS}"}
GATE = "gate-owners"
GATE_ROLES = [*DEFAULT_ROLES, {"name": GATE, "users": ["carl"]}]
Ids = dict[str, Any]
Step = Callable[[Scene, int, Ids], Any]


def say(who: str, body: str, key: str | None = None) -> Step:
    def step(s: Scene, n: int, ids: Ids) -> None:
        ids[key or "last"] = s.say(who, n, body)

    return step


def edit(editor: str, key: str, body: str) -> Step:
    return lambda s, n, ids: s.edit_as(editor, ids[key], body)


def delete(deleter: str, key: str) -> Step:
    return lambda s, n, ids: s.delete_as(deleter, ids[key])


def audit(*failing: str, expire: bool = False) -> Step:
    return lambda s, n, ids: s.audit(n, failing=failing, expire=expire)


def push(who: str = "alice", *, force: bool = False, key: str = "pushed",
         files: dict[str, str] | None = None) -> Step:
    def step(s: Scene, n: int, ids: Ids) -> None:
        ids.setdefault("heads", [s.head(n)])
        ids[key] = s.push_as(who, n, files, force=force)
        ids["heads"].append(ids[key])

    return step


def reset_to(who: str, index: int) -> Step:
    return lambda s, n, ids: s.reset_as(who, n, ids["heads"][index])


def review(who: str, event: str, body: str = "", key: str = "review") -> Step:
    def step(s: Scene, n: int, ids: Ids) -> None:
        ids[key] = s.submit(who, n, event, body)

    return step


def dismiss(who: str, key: str = "review") -> Step:
    return lambda s, n, ids: s.dismiss(who, n, ids[key])


def branch(name: str, who: str = "alice") -> Step:
    return lambda s, n, ids: s.gh.create_branch(REPO, name, as_user=who)


def retarget(who: str, base: str) -> Step:
    return lambda s, n, ids: s.retarget(who, n, base)


def human_merge(who: str) -> Step:
    def step(s: Scene, n: int, ids: Ids) -> None:
        try:
            s.gh.merge(REPO, n, as_user=who)
            ids.setdefault("human", []).append("merged")
        except ApiError as exc:
            ids.setdefault("human", []).append(f"{exc.status}")

    return step


def forge_check(conclusion: str = "success") -> Step:
    """A workflow in the PR posts its own ``modelgate`` check with its GITHUB_TOKEN."""

    def step(s: Scene, n: int, ids: Ids) -> None:
        token = s.gh.add_job_token(REPO, permissions={"checks": "write"})
        repo = s.gh.client_for_token(token).get_repo(REPO)
        repo.create_check_run("modelgate", s.head(n), status="completed", conclusion=conclusion,
                              output={"title": "all good", "summary": "trust me"})

    return step


def base_moves() -> Step:
    return lambda s, n, ids: s.gh.commit(REPO, "main", {"README.md": "news\n"},
                                         message="another change lands")


def update_branch(who: str = "alice") -> Step:
    def step(s: Scene, n: int, ids: Ids) -> None:
        s.gh.update_branch(REPO, n, as_user=who)
        s.handle(s.gh.webhooks.pull_request(REPO, n, "synchronize", target=True))

    return step


def label(who: str, name: str) -> Step:
    return lambda s, n, ids: s.label(who, n, name)


def approve_all() -> list[Step]:
    return [say("dana", "/approve"), say("mo", "/approve"), say("cleo", "/approve")]


@dataclass(frozen=True)
class Story:
    name: str
    steps: list[Step]
    labels: set[str]
    check: str  # "pending", "success" or "failure"
    merged: bool = False
    says: tuple[str, ...] = ()  # text the living comment holds
    replies: tuple[str, ...] = ()  # text some reply holds
    human: tuple[str, ...] = ()  # outcomes of human Merge presses, in order
    files: dict[str, str] | None = None
    roles: list[dict[str, Any]] = field(default_factory=lambda: DEFAULT_ROLES)
    gate: bool = False
    review_approves: bool = False
    permissions: dict[str, str] | None = None
    draft: bool = False


SEVEN_K = "\n".join(["/approve"] * 7000)


STORIES = [
    Story("the author edits three approvers' comments into /approve",
          [audit(), say("dana", "LGTM", "d"), say("mo", "LGTM", "m"), say("cleo", "LGTM", "c"),
           edit("alice", "d", "/approve"), edit("alice", "m", "/approve"),
           edit("alice", "c", "/approve")],
          set(), "pending", says=("alice edited comment",)),
    Story("an approver fixes a typo after a push: the edit does not approve the new head",
          [audit(), say("dana", "/approve", "d"), push(), edit("dana", "d", "/approve\nthanks"),
           say("mo", "/approve"), say("cleo", "/approve")],
          {f"approved:{ML}", f"approved:{CS}"}, "pending",
          replies=("edited after the pull request moved on",)),
    Story("the author deletes a reviewer's /hold: it still holds, and the deletion is named",
          [audit(), say("mo", "/hold", "h"), *approve_all(), delete("alice", "h")],
          ALL | {"hold"}, "pending", says=("alice deleted comment",)),
    Story("the author edits away an approver's /approve cancel: the cancel stands",
          [audit(), say("dana", "/approve"), say("dana", "/approve cancel", "x"),
           edit("alice", "x", "thanks"), say("mo", "/approve"), say("cleo", "/approve")],
          {f"approved:{ML}", f"approved:{CS}"}, "pending", says=("alice edited comment",)),
    Story("an approver's own edits count in order; removing /hold lifts nothing",
          [say("dana", "/hold", "d"), edit("dana", "d", "ok"), edit("dana", "d", "/approve")],
          {f"approved:{DS}", "hold"}, "pending"),
    Story("an edit by another approver is a finding until a role holder acts again",
          [audit(), say("dana", "/approve", "d"), edit("mo", "d", "/approve\n/approve cancel"),
           say("mo", "/approve"), say("cleo", "/approve")],
          ALL, "success", merged=True, says=("mo edited comment", "answered by")),
    Story("the tamperer's own /approve does not answer their tampering",
          [audit(), say("dana", "/approve"), say("cleo", "/approve"), say("cleo", "ok", "c"),
           edit("mo", "c", "/hold"), say("mo", "/approve")],
          ALL, "pending", says=("mo edited comment",)),
    Story("a comment deleted by someone else when all but a hold was ready loses its approval",
          [audit(), say("mo", "/hold"), say("dana", "/approve", "d"), say("mo", "/approve"),
           say("cleo", "/approve"), delete("alice", "d"), say("mo", "/unhold")],
          {f"approved:{ML}", f"approved:{CS}"}, "pending", says=("alice deleted comment",)),
    Story("a role holder approving again answers a deletion finding",
          [audit(), say("dana", "/approve", "d"), delete("mallory", "d"), say("dana", "/approve"),
           say("mo", "/approve"), say("cleo", "/approve")],
          ALL, "success", merged=True, says=("mallory deleted comment",)),
    Story("/hold in a review body holds",
          [audit(), review("mo", "COMMENT", "/hold needs a second look"), *approve_all()],
          ALL | {"hold"}, "pending"),
    Story("changes requested, then the same reviewer approves in a review",
          [audit(), review("mo", "REQUEST_CHANGES"), review("mo", "APPROVE"),
           say("dana", "/approve"), say("cleo", "/approve")],
          ALL, "success", merged=True, review_approves=True),
    Story("changes requested dismissed by the author: still held",
          [audit(), review("mo", "REQUEST_CHANGES"), dismiss("alice"), say("dana", "/approve"),
           say("cleo", "/approve"), say("tess", "/approve")],
          ALL | {"hold"}, "pending"),
    Story("changes requested dismissed by an approver: lifted",
          [audit(), review("mo", "REQUEST_CHANGES"), dismiss("cleo"), *approve_all()],
          ALL, "success", merged=True),
    Story("a push during review resets the approvals given before it",
          [audit(), say("dana", "/approve"), say("mo", "/approve"), push(),
           say("cleo", "/approve")],
          {f"approved:{CS}"}, "pending", says=("reset by push",)),
    Story("a force push back to an earlier head revives nothing",
          [audit(), say("dana", "/approve"), say("mo", "/approve"), push(), reset_to("alice", 0),
           say("cleo", "/approve")],
          {f"approved:{CS}"}, "pending"),
    Story("the last pusher cannot approve",
          [audit(), push("dana"), say("dana", "/approve")], set(), "pending",
          replies=("you pushed commits to this pull request",)),
    Story("a role holder's force push makes them a pusher too",
          [push("cleo", force=True), audit(), say("cleo", "/approve"), say("dana", "/approve"),
           say("mo", "/approve")],
          {f"approved:{DS}", f"approved:{ML}"}, "pending",
          replies=("you pushed commits to this pull request",)),
    Story("retargeting to another branch and back revives nothing",
          [audit(), branch("staging", "dana"), say("dana", "/approve"), say("mo", "/approve"),
           retarget("alice", "staging"), retarget("alice", "main"), say("cleo", "/approve")],
          {f"approved:{CS}"}, "pending"),
    Story("a pull request into a branch the author made is never merged",
          [audit(), *approve_all()], ALL, "pending", says=("not the release branch",)),
    Story("7,000 /approve in one comment: one bounded reply, labels and merge still work",
          [audit(), say("mallory", SEVEN_K), *approve_all()], ALL, "success", merged=True,
          replies=("×7000",)),
    Story("a pasted marker and an edited living comment change nothing",
          [say("mallory", "<!-- modelgate:card breast-cancer-classifier -->\n"
                          "<!-- modelgate:state eJzLSM3JyQcABiwCFQ== -->\n✅ Ready"),
           say("dana", "/approve")],
          {f"approved:{DS}"}, "pending"),
    Story("a modelgate check forged by a PR's workflow is ignored and named",
          [audit(), forge_check(), say("dana", "/approve"), human_merge("alice")],
          {f"approved:{DS}"}, "pending", human=("405",), says=("Ignored checks",)),
    Story("a human Merge press is refused while pending and the bot merges when green",
          [audit(), say("dana", "/approve"), human_merge("alice"), say("mo", "/approve"),
           say("cleo", "/approve")],
          ALL, "success", merged=True, human=("405",)),
    Story("a pull request behind its base waits for an update",
          [audit(), base_moves(), *approve_all(), human_merge("dana")], ALL, "pending",
          human=("405",), says=("the branch is behind main",)),
    Story("updating a branch that was behind needs new approvals, then merges",
          [audit(), base_moves(), say("dana", "/approve"), update_branch(), audit(),
           *approve_all()],
          ALL, "success", merged=True),
    Story("a pull request touching workflows: green check, the App may not merge, a human may",
          [audit(), *approve_all(), human_merge("cleo")], ALL, "success", merged=True,
          human=("merged",), files={".github/workflows/extra.yml": "on: push\n"},
          says=("workflows permission must merge",),
          permissions=dict(APP_PERMISSIONS)),
    Story("a gate file changed without the gate role is not merged",
          [audit(), *approve_all()], ALL, "pending", files={"bot/extra.py": "x = 1\n"},
          roles=GATE_ROLES, gate=True, says=("changes the gate itself",)),
    Story("a gate file changed with the gate role's approval merges",
          [audit(), *approve_all(), say("carl", "/approve")], ALL | {f"approved:{GATE}"},
          "success", merged=True, files={"governance.yml": "x: 1\n"}, roles=GATE_ROLES,
          gate=True),
    Story("a change outside the gate does not need the gate role",
          [audit(), *approve_all()], ALL, "success", merged=True, roles=GATE_ROLES, gate=True),
    Story("a login pinned to another account id does not hold the role",
          [say("dana", f"/approve {DS}")], set(), "pending",
          roles=[{"name": DS, "users": [{"login": "dana", "id": 4_000_000}]},
                 *DEFAULT_ROLES[1:]],
          replies=("pinned to another GitHub account",)),
    Story("an active team member holds the team's role",
          [say("tess", "/approve")], {f"approved:{ML}"}, "pending"),
    Story("a failing audit makes the check fail",
          [audit("bias"), *approve_all()], ALL, "failure"),
    Story("an expired artifact blocks the merge: the release could not read it",
          [audit(expire=True), *approve_all()], ALL, "pending", says=("has expired",)),
    Story("a hold label added by a person holds",
          [audit(), label("cleo", "hold"), *approve_all()], ALL | {"hold"}, "pending"),
    Story("an approved: label added by hand is removed",
          [label("mallory", f"approved:{DS}")], set(), "pending"),
    Story("every role approved on a green head: merged, check green",
          [audit(), *approve_all()], ALL, "success", merged=True),
    Story("approvals before the audits merge when the audits come in green",
          [*approve_all(), audit()], ALL, "success", merged=True),
    Story("the author's own /hold is lifted by an approver's /unhold",
          [say("alice", "/hold"), audit(), *approve_all(), say("cleo", "/unhold")],
          ALL, "success", merged=True),
    Story("someone else tidying a comment without commands is no finding",
          [say("dana", "nice work", "d"), edit("mallory", "d", "nice work!"), audit(),
           *approve_all()], ALL, "success", merged=True),
    Story("an approver deleting their own /approve withdraws it",
          [say("dana", "/approve", "d"), delete("dana", "d"), say("mo", "/approve")],
          {f"approved:{ML}"}, "pending"),
    Story("the author editing a comment into /approve is a finding until an approver acts",
          [audit(), say("dana", "ok", "d"), edit("alice", "d", "/approve"),
           say("dana", "/approve"), say("mo", "/approve"), say("cleo", "/approve")],
          ALL, "success", merged=True, says=("alice edited comment",)),
    Story("an approving review does not count unless governance says so",
          [audit(), review("mo", "APPROVE"), say("dana", "/approve"), say("cleo", "/approve")],
          {f"approved:{DS}", f"approved:{CS}"}, "pending"),
    Story("an approving review on an earlier commit does not approve the head",
          [audit(), review("mo", "APPROVE"), push(), audit(), say("dana", "/approve"),
           say("cleo", "/approve")],
          {f"approved:{DS}", f"approved:{CS}"}, "pending", review_approves=True),
    Story("a draft is never merged",
          [audit(), *approve_all()], ALL, "pending", draft=True),
]


@pytest.mark.parametrize("story", STORIES, ids=[s.name for s in STORIES])
def test_adversarial_story(
    story: Story,
    github_double: GitHubDouble,  # noqa: F811
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """It merges only what every role approved on this head, untampered, and says why not."""
    permissions = dict(story.permissions or {**APP_PERMISSIONS, "workflows": "write"})
    scene = Scene(github_double, tmp_path, monkeypatch, capsys, roles=story.roles, app=True,
                  gate_role=GATE if story.gate else None, review_approves=story.review_approves,
                  app_permissions=permissions)
    extra: dict[str, Any] = {}
    if "branch the author made" in story.name:
        scene.gh.create_branch(REPO, "alice-release", as_user="alice")
        extra["base_ref"] = "alice-release"
    number = scene.open_pr(files=story.files, draft=story.draft, **extra)
    ids: Ids = {}
    for step in story.steps:
        step(scene, number, ids)
    failed = [run for run in scene.runs if run.code != 0]
    assert not failed, failed[0].out
    assert scene.labels(number) == story.labels
    assert scene.merged(number) is story.merged
    assert tuple(ids.get("human", [])) == story.human
    check = scene.check(number)
    assert check is not None
    if story.check == "pending":
        assert check["status"] == "in_progress", check["output"]["title"]
    else:
        assert (check["status"], check["conclusion"]) == ("completed", story.check)
    living = scene.living(number)
    for text in story.says:
        assert text in living, (text, living[:3000])
    replies = scene.replies(number)
    for text in story.replies:
        assert any(text in r for r in replies), (text, replies)
    assert all(len(r) <= MAX_REPLY_CHARS + 100 for r in replies)
    if not story.merged or "workflows" in story.name:
        bot_merges = [c for c in github_double.calls_to("PUT", f"/repos/{REPO}/pulls/*/merge")
                      if c.status == 200]
        assert bot_merges == []
    github_double.assert_no_violations()

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Random interleavings of comments, edits, deletions, reviews, pushes and label changes
through ``modelgate handle`` and the GitHub double: whatever happens, the bot never merges
a head unless every role has an untampered approval of it, from distinct people who are
neither the author nor a pusher, given after that head arrived, and no hold stands.

The oracle below reads the double's own record of what happened (bodies with every edit
and editor, deletions with their deleter, head changes with their pusher) and is written
without the approval core.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from demo.github_double import GitHubDouble
from tests.bot_support import REPO, Scene

ROLE_HOLDERS = {"data-steward": {"dana"}, "clinical-safety": {"cleo"}}
ROLES = [{"name": name, "users": sorted(users)} for name, users in ROLE_HOLDERS.items()]
PEOPLE = ("alice", "dana", "cleo", "mallory")
BODIES = ("/approve", "/hold", "/unhold", "/approve cancel", "looks fine")
LINE = re.compile(r"^\s*/(approve|hold|unhold)\b(.*)$", re.MULTILINE)

actions = st.one_of(
    st.tuples(st.just("say"), st.sampled_from(PEOPLE), st.sampled_from(BODIES)),
    st.tuples(st.just("edit"), st.sampled_from(PEOPLE), st.integers(0, 5),
              st.sampled_from(BODIES)),
    st.tuples(st.just("delete"), st.sampled_from(PEOPLE), st.integers(0, 5)),
    st.tuples(st.just("push"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("audit")),
    st.tuples(st.just("hold_label"), st.sampled_from(PEOPLE)),
    st.tuples(st.just("review"), st.sampled_from(("dana", "cleo", "mallory")),
              st.sampled_from(("APPROVE", "REQUEST_CHANGES", "COMMENT"))),
)


def play(scene: Scene, number: int, plan: list[tuple[Any, ...]]) -> None:
    made: list[int] = []
    for action in plan:
        kind = action[0]
        if kind == "say":
            made.append(scene.say(action[1], number, action[2]))
        elif kind == "edit" and made:
            scene.edit_as(action[1], made[action[2] % len(made)], action[3])
        elif kind == "delete" and made:
            comment_id = made.pop(action[2] % len(made))
            scene.delete_as(action[1], comment_id)
        elif kind == "push":
            scene.push_as(action[1], number)
        elif kind == "audit":
            scene.audit(number)
        elif kind == "hold_label" and "hold" not in scene.labels(number):
            scene.label(action[1], number, "hold")
        elif kind == "review" and action[1] != "alice":
            scene.submit(action[1], number, action[2])


def _versions(comment: Any) -> list[tuple[datetime, str]]:
    """(when, body) of every version of a comment, the original first."""
    first = comment.edits[0].previous_body if comment.edits else comment.body
    return [(comment.created_at, first)] + [(e.edited_at, e.body) for e in comment.edits]


def _own(comment: Any, login: str) -> bool:
    return comment.author == login and all(e.editor == login for e in comment.edits)


def _tampering(live: list[Any], gone: list[Any]) -> list[tuple[datetime, str]]:
    """Another person's edit or deletion of a body that held a command."""
    found: list[tuple[datetime, str]] = []
    for comment in live + [d.comment for d in gone]:
        found += [(e.edited_at, e.editor) for e in comment.edits
                  if e.editor != comment.author and (LINE.search(e.previous_body)
                                                     or LINE.search(e.body))]
    found += [(d.deleted_at, d.deleted_by) for d in gone
              if d.deleted_by != d.comment.author
              and any(LINE.search(body) for _, body in _versions(d.comment))]
    return found


def _acts(live: list[Any], login: str, after: datetime) -> bool:
    """A later untampered /approve or /unhold written by ``login`` itself."""
    permissive = re.compile(r"^\s*/(approve|unhold)\s*$", re.MULTILINE)
    return any(at > after and permissive.search(body)
               for c in live if _own(c, login) for at, body in _versions(c))


def _approver(live: list[Any], login: str, arrived: datetime, merged_at: datetime) -> bool:
    """``login``'s own current body says /approve, written after the head arrived."""
    for comment in live:
        if not _own(comment, login):
            continue
        written = comment.edits[-1].edited_at if comment.edits else comment.created_at
        if arrived < written < merged_at and re.search(r"^\s*/approve\s*$", comment.body,
                                                       re.MULTILINE):
            return True
    return False


def violations(gh: GitHubDouble, number: int) -> list[str]:
    """Why a merge that happened should not have (empty when none happened or it was fine)."""
    repo = gh.state.repo_for_tests(REPO)
    issue, pull = repo.pull(number)
    if not pull.merged or pull.merged_at is None:
        return []
    head, author = pull.head_sha, issue.author
    pushers = {c.actor for c in pull.head_changes}
    arrived = max([c.at for c in pull.head_changes if c.after == head] + [issue.created_at])
    live = [c for c in repo.comments.values() if c.issue_number == number]
    gone = [d for d in repo.deleted_comments.values() if d.comment.issue_number == number]
    eligible = set().union(*ROLE_HOLDERS.values()) - pushers - {author}
    problems = [f"merged with unanswered tampering by {who} at {at}"
                for at, who in _tampering(live, gone)
                if not any(_acts(live, login, at) for login in eligible - {who})]
    used: set[str] = set()
    for role, holders in ROLE_HOLDERS.items():
        found = next((login for login in sorted(holders & eligible - used)
                      if _approver(live, login, arrived, pull.merged_at)), None)
        if found is None:
            problems.append(f"merged {head[:8]} without an approval for {role}")
        used.add(found or "")
    for comment in live + [d.comment for d in gone]:
        for at, body in _versions(comment):
            if re.search(r"^\s*/hold\b", body, re.MULTILINE) and _own(comment, comment.author):
                lifters = eligible | {comment.author}
                unheld = re.compile(r"^\s*/(unhold|hold cancel)\s*$", re.MULTILINE)
                if not any(u_at > at and unheld.search(u_body) for c in live
                           if c.author in lifters and _own(c, c.author)
                           for u_at, u_body in _versions(c)):
                    problems.append(f"merged over the /hold of {comment.author} at {at}")
    if any(label.name == "hold" for label in issue.labels):
        problems.append("merged while the hold label was on")
    latest = {r.user: r for r in pull.reviews if r.state in ("APPROVED", "CHANGES_REQUESTED")}
    for reviewer, review in latest.items():
        # Changes requested hold until that reviewer approves (review or command) or lifts it.
        if review.state == "CHANGES_REQUESTED" and not _acts(live, reviewer, review.submitted_at):
            problems.append(f"merged over the changes {reviewer} requested")
    return problems


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plan=st.lists(actions, min_size=3, max_size=10))
def test_the_bot_never_merges_what_the_oracle_forbids(
    plan: list[tuple[Any, ...]],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Whatever people do, a merge by the bot satisfies the independent oracle."""
    with GitHubDouble() as gh, monkeypatch.context() as patch:
        scene = Scene(gh, tmp_path_factory.mktemp("prop"), patch, capsys, roles=ROLES,
                      app=True)
        number = scene.open_pr()
        play(scene, number, [("audit",), *plan, ("say", "dana", "/approve"),
                             ("say", "cleo", "/approve")])
        failed = [run for run in scene.runs if run.code != 0]
        assert not failed, failed[0].out
        assert violations(gh, number) == []
        gh.assert_no_violations()

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The road's time accounting: each second charged once, to the innermost kind, and the
bot's GitHub pacing computed as PyGithub computes it but counted instead of slept."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from github import Auth, Github

from demo import timing
from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401

REPO = "acme/model"


@pytest.fixture
def ledger() -> Iterator[timing.Ledger]:
    timing.reset()
    yield timing.LEDGER
    timing.uninstall()
    timing.reset()


def test_nested_kinds_are_charged_once(ledger: timing.Ledger) -> None:
    with timing.spent("outer"):
        with timing.spent("inner"):
            sum(range(200_000))
        sum(range(200_000))
    assert set(ledger.totals) == {"outer", "inner"}
    assert ledger.totals["outer"] > 0 and ledger.totals["inner"] > 0
    # what the inner block took is not the outer's too
    table = ledger.table()
    assert "outer" in table and "inner" in table and "total (wall clock)" in table


def test_requests_and_imports_are_charged_to_their_kinds(
        ledger: timing.Ledger, github_double: GitHubDouble) -> None:  # noqa: F811
    import sys

    github_double.add_user("alice")
    github_double.create_org("acme", members=["alice"])
    github_double.create_repo(REPO, files={"README.md": "x"})
    github_double.set_permission(REPO, "alice", "write")
    token = github_double.add_token("alice")
    timing.install(double_url=github_double.base_url, mlflow_url="http://mlflow.invalid",
                   moto_url="http://moto.invalid")
    client = Github(auth=Auth.Token(token), base_url=github_double.base_url, retry=None)
    with timing.spent(timing.MODELGATE):
        client.get_repo(REPO).full_name  # noqa: B018
        sys.modules.pop("tests.demo._imported_by_the_timing_test", None)
        import tests.demo._imported_by_the_timing_test  # noqa: F401
    assert ledger.totals[timing.DOUBLE] > 0
    assert ledger.totals[timing.IMPORTS] > 0
    assert timing.MLFLOW not in ledger.totals and timing.MOTO not in ledger.totals
    loaded = sys.modules["tests.demo._imported_by_the_timing_test"]
    assert not isinstance(loaded.__loader__, timing._TimedLoader)  # its real loader back


def test_pacing_is_counted_not_slept(ledger: timing.Ledger,
                                     github_double: GitHubDouble) -> None:  # noqa: F811
    github_double.add_user("alice")
    github_double.create_org("acme", members=["alice"])
    github_double.create_repo(REPO, files={"README.md": "x"})
    github_double.set_permission(REPO, "alice", "write")
    number = github_double.create_pull(REPO, "alice", head_ref="change", head_sha="a" * 40,
                                       title="a change", files={"README.md": "y"})
    token = github_double.add_token("alice")
    # the bot's own pacing: an hour between writes would stop the test if it were slept
    client = Github(auth=Auth.Token(token), base_url=github_double.base_url, retry=None,
                    seconds_between_requests=None, seconds_between_writes=3600)
    issue = client.get_repo(REPO).get_issue(number)
    with timing.paced_without_waiting():
        for body in ("a", "b", "c"):
            issue.create_comment(body)
    assert ledger.waits[timing.PACING] == 2  # the first write waits for nothing
    assert ledger.counted[timing.PACING] > 2 * 3000
    assert "counted, not waited: GitHub request pacing" in ledger.table()
    # outside the block PyGithub's module has its real clock again
    import time

    import github.Requester

    assert github.Requester.time is time  # type: ignore[attr-defined]

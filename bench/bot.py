# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Count the GitHub API calls the bot makes per event, as the GitHub double records them.

    .venv/bin/python bench/bot.py

Plays one pull request through its life (opened, the audit run's report, approvals, a
label changed by hand, a push, the merging approval) against the local GitHub double, as
the team's App with a ruleset requiring its check, and prints, for each event, the calls
made with the bot's tokens (the App's installation token and the organisation token used
for team membership), reads (GETs and the GraphQL history query) and writes apart, and
the wall time.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(REPO_ROOT)  # the repository root instead of bench/, as for the tests

from demo.github_double import GitHubDouble  # noqa: E402
from demo.github_double.webhooks import WebhookEvent  # noqa: E402
from modelgate.bot.cli import handle as cli_github  # noqa: E402
from modelgate.bot.cli import main as cli  # noqa: E402
from modelgate.progress import ConsoleReporter  # noqa: E402
from tests.bot_support import (  # noqa: E402
    APP_BOT,
    APP_ID,
    APP_PERMISSIONS,
    APP_SLUG,
    DEFAULT_ROLES,
    FAST,
    ORG_READER,
    PEOPLE,
    REPO,
    artifact_files,
    governance_text,
    make_metadata,
    zip_of,
)

TARGET_APPROVE = 8


class Bench:
    def __init__(self, gh: GitHubDouble, tmp: Path) -> None:
        self.gh = gh
        self.tmp = tmp
        self.rows: list[tuple[str, int, int, float]] = []
        for login in PEOPLE:
            gh.add_user(login)
        gh.add_user(ORG_READER)
        gh.create_org("acme", members=["mo", ORG_READER])
        gh.add_team("acme", "ml-reviewers", {"tess": "active"})
        gh.create_repo(REPO, files={"governance.yml": governance_text(DEFAULT_ROLES,
                                                                      app_id=APP_ID)},
                       workflows=("release.yml", "modelgate-audit.yml"))
        for login in PEOPLE:
            gh.set_permission(REPO, login, "write")
        token = gh.install_app(REPO, APP_SLUG, APP_ID, permissions=APP_PERMISSIONS)
        gh.add_ruleset(REPO, required_checks=[("modelgate", APP_ID)], strict=True)
        self.env = {"GITHUB_REPOSITORY": REPO, "GITHUB_TOKEN": token,
                    "MODELGATE_BOT_LOGIN": APP_BOT,
                    "MODELGATE_ORG_TOKEN": gh.token_for(ORG_READER)}
        self.count = 0

    def measure(self, label: str, run: Callable[[], int]) -> None:
        self.gh.clear_calls()
        start = time.perf_counter()
        code = run()
        seconds = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"{label}: the bot exited {code}")
        mine = [c for c in self.gh.calls if c.login in (APP_BOT, ORG_READER)]
        reads = sum(1 for c in mine if c.method == "GET" or c.path == "/graphql")
        self.rows.append((label, reads, len(mine) - reads, seconds))

    def args(self, *extra: str) -> Any:
        return cli.build_parser().parse_args([*extra, "--api-url", self.gh.base_url, *FAST])

    def handle(self, event: WebhookEvent) -> int:
        self.count += 1
        path = self.tmp / f"{self.count}.json"
        path.write_text(json.dumps(event.payload), encoding="utf-8")
        env: Mapping[str, str] = {**self.env, "GITHUB_EVENT_NAME": event.name,
                                  "GITHUB_EVENT_PATH": str(path)}
        return cli_github.run_handle(self.args("handle"), ConsoleReporter(io.StringIO()), env)

    def report(self, number: int) -> int:
        """The PR check's run finished with its artifact: ``workflow_run`` delivers it."""
        head = self.gh.pull(REPO, number)["head"]["sha"]
        run_id = self.gh.add_workflow_run(REPO, name="modelgate PR check", head_sha=head,
                                          pull_number=number,
                                          workflow_file="modelgate-audit.yml")
        files = artifact_files(head, number, metadata=make_metadata(head, pr=number,
                                                                    run_id=run_id))
        self.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
        return self.handle(self.gh.webhooks.workflow_run(REPO, run_id))

    def comment(self, login: str, number: int, body: str) -> WebhookEvent:
        return self.gh.webhooks.issue_comment(REPO, self.gh.comment_as(login, REPO, number, body))

    def play(self) -> None:
        gh = self.gh
        number = gh.create_pull(REPO, "alice", head_ref="tune", files={"train.py": "fit(C=2)\n"})
        self.measure("pull_request opened",
                     lambda: self.handle(gh.webhooks.pull_request(REPO, number, "opened",
                                                                  target=True)))
        self.measure("workflow_run report (check run + card)", lambda: self.report(number))
        self.measure("/approve, no merge (1st, team lookup)",
                     lambda: self.handle(self.comment("dana", number, "/approve")))
        self.measure("/approve, no merge (2nd)",
                     lambda: self.handle(self.comment("mo", number, "/approve")))
        self.measure("/approve refused (reply)",
                     lambda: self.handle(self.comment("mallory", number, "/approve")))
        gh.label_as("mallory", REPO, number, "approved:clinical-safety")
        self.measure("label guard (revert + reply)",
                     lambda: self.handle(gh.webhooks.pull_request(
                         REPO, number, "labeled", sender="mallory",
                         label="approved:clinical-safety", target=True)))
        gh.push(REPO, number, {"train.py": "fit(C=3)\n"}, as_user="alice")
        self.measure("pull_request synchronize (recorded, reset)",
                     lambda: self.handle(gh.webhooks.pull_request(REPO, number, "synchronize",
                                                                  target=True)))
        self.measure("report after the push", lambda: self.report(number))
        for login in ("dana", "mo"):
            self.handle(self.comment(login, number, "/approve"))
        self.measure("/approve that merges",
                     lambda: self.handle(self.comment("cleo", number, "/approve")))
        if not gh.pull(REPO, number)["merged"]:
            raise SystemExit("the last approval did not merge")

    def show(self) -> None:
        width = max(len(label) for label, *_ in self.rows)
        print(f"{'event':<{width}}  reads  writes  total    time")
        for label, reads, writes, seconds in self.rows:
            print(f"{label:<{width}}  {reads:5}  {writes:6}  {reads + writes:5}  "
                  f"{seconds * 1000:5.0f} ms")
        approve = [r[1] + r[2] for r in self.rows if r[0].startswith("/approve, no merge")]
        verdict = "met" if max(approve) <= TARGET_APPROVE else "MISSED"
        print(f"\n/approve without a merge: at most {max(approve)} calls "
              f"(target {TARGET_APPROVE}: {verdict})")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="modelgate-bench-bot-") as tmp, \
            GitHubDouble() as gh:
        bench = Bench(gh, Path(tmp))
        bench.play()
        bench.show()


if __name__ == "__main__":
    main()

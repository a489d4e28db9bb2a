# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Helpers for the GitHub bot's tests: a governed repository in the GitHub double, people
who comment and label, valid audit artifacts, and ``modelgate handle``/``report`` runs
through ``modelgate.bot.cli.main.main`` with the environment GitHub Actions would give them."""

from __future__ import annotations

import copy
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo.github_double import ACTIONS_BOT, GitHubDouble
from demo.github_double.webhooks import WebhookEvent
from modelgate.bot.chain.comment import marker_for
from modelgate.bot.check.artifact import RunMetadata
from modelgate.bot.check.card import (
    ChecklistItem,
    Lineage,
    MetricRow,
    ModelCard,
    Overview,
    Performance,
    SubgroupRow,
    Subgroups,
    TrainingData,
)
from modelgate.bot.check.report import (
    CARD_JSON_FILE,
    METADATA_FILE,
    REPORT_FILE,
    AuditEntry,
    AuditReport,
    ComputedBy,
)
from modelgate.bot.cli import handle as cli_github
from modelgate.bot.cli import main as cli
from modelgate.progress import ConsoleReporter
from tests.conftest import load_fixture_json
from tests.workspace_support import fixture_config

REPO = "acme/model"
BOT = ACTIONS_BOT
MODEL = "breast-cancer-classifier"
AUTHOR = "alice"
OTHER_BOT = "review-robot[bot]"
ORG_READER = "org-reader"
PEOPLE = ("alice", "dana", "mo", "cleo", "carl", "pat", "tess", "penny", "mallory")
TEAM = "acme/ml-reviewers"
DS, ML, CS = "data-steward", "ml-reviewer", "clinical-safety"
DEFAULT_ROLES: list[dict[str, Any]] = [
    {"name": DS, "users": ["dana", "pat"]},
    {"name": ML, "users": ["mo"], "teams": [TEAM]},
    {"name": CS, "users": ["cleo", "pat"]},
]
TWO_PERSON_ROLES: list[dict[str, Any]] = [
    {"name": DS, "users": ["dana"]},
    {"name": CS, "users": ["cleo", "carl", "pat"], "required": 2},
]
APP_SLUG = "modelgate"
APP_ID = 90210
APP_BOT = f"{APP_SLUG}[bot]"
# as .github/modelgate-app-manifest.json grants (workflows: write only where a story says)
APP_PERMISSIONS = {"actions": "write", "checks": "write", "contents": "write",
                   "metadata": "read", "pull_requests": "write", "statuses": "read",
                   "members": "read"}
SERVER_URL = "https://github.example"
RUN_ID = 4242
RUN_URL = f"{SERVER_URL}/{REPO}/actions/runs/{RUN_ID}"
FAST = ("--request-interval", "0", "--write-interval", "0")
REVIEW_TEMPLATE = "github-webhooks/pull_request_review.submitted.approved.go-playground.json"


def governance_text(
    roles: Sequence[Mapping[str, Any]] = DEFAULT_ROLES,
    *,
    app_id: int | None = None,
    gate_role: str | None = None,
    review_approves: bool = False,
    release_branch: str | None = None,
) -> str:
    """The shipped governance.yml with the approval roles (and the App, the gate role,
    ``review_approves``, the release branch) replaced."""
    data = yaml.safe_load((fixture_config()).read_text(encoding="utf-8"))
    data["approval"]["roles"] = [dict(role) for role in roles]
    data["approval"]["review_approves"] = review_approves
    data["gate"]["role"] = gate_role
    data["github"]["app_id"] = app_id
    data["github"]["release_branch"] = release_branch
    return yaml.safe_dump(data, sort_keys=False)


# ------------------------------------------------------------------- artifacts


def make_card(
    commit: str,
    *,
    name: str = MODEL,
    subgroup_rows: int = 3,
    text: str = "Decision support for trained clinicians.",
    risks: Sequence[str] = (),
) -> ModelCard:
    return ModelCard(
        overview=Overview(
            name=name, version="7", description=text, model_type="LogisticRegression",
            pipeline="StandardScaler -> LogisticRegression", threshold=0.5,
            positive_class="benign", negative_class="malignant", owners=["ml-platform"],
            created_at="2026-11-23T09:00:00+00:00",
        ),
        intended_use=text,
        out_of_scope_use="Autonomous diagnosis.",
        training_data=TrainingData(
            path="data/breast_cancer.csv", rows=569, columns=32, feature_count=30,
            features=[f"f{i}" for i in range(30)], train_rows=455, test_rows=114,
            sha256="d" * 64, collected="1995", license="CC-BY-4.0", source="UCI",
            doi="10.24432/C5DW2B", pii_status="none", pii_certified_by="data steward",
        ),
        performance=Performance(
            primary_metric="roc_auc", evaluation_rows=114, reference_name="baseline",
            reference_version=None, delta=0.01, delta_ci95=[0.0, 0.02],
            metrics=[MetricRow(name="accuracy", value=0.96, ci95=[0.93, 0.99], reference=0.9),
                     MetricRow(name="roc_auc", value=0.99, ci95=[0.98, 1.0], reference=0.95)],
            floors={"accuracy": 0.9},
        ),
        subgroups=Subgroups(
            max_gap={"accuracy": 0.1}, min_size=20,
            rows=[SubgroupRow(group="tumour_size", band=f"band {i}", rows=38, accuracy=0.95,
                              recall=0.96, auc=0.98, status="ok")
                  for i in range(subgroup_rows)],
        ),
        limitations="One institution, 1995.",
        risks=list(risks),
        lineage=Lineage(data_sha256="d" * 64, run_id="a" * 32, model_version="7",
                        commit=commit, tracking_uri=None),
        checklist=[ChecklistItem(id="pii", title="No PII", status="pass", summary="clean")],
    )


# who computed a report as `modelgate verdict` does: the only kind the App's gate accepts
TRUSTED_VERDICT = ComputedBy(modelgate_commit="c" * 40, base_config_sha256="b" * 64,
                             pr_config_sha256=None)


def make_report(
    commit: str, *, name: str = MODEL, failing: Iterable[str] = (), summary: str = "ok",
    trusted: bool = True,
) -> AuditReport:
    """A report as the trusted verdict writes it; ``trusted=False`` gives the PR job's own,
    advisory report (no ``computed_by``)."""
    failing = set(failing)
    audits = [
        AuditEntry(id=audit, title=f"Audit {audit}", status="fail" if audit in failing else "pass",
                   summary=summary if audit not in failing else f"{audit} failed")
        for audit in ("pii", "security", "bias", "leakage")
    ]
    return AuditReport(
        model_name=name, commit=commit, run_id="a" * 32, model_version="7",
        data_sha256="d" * 64, model_fingerprint="e" * 64,
        started_at="2026-11-23T09:00:00+00:00", finished_at="2026-11-23T09:05:00+00:00",
        duration_s=300.0, passed=not failing, audits=audits,
        computed_by=TRUSTED_VERDICT if trusted else None,
    )


def make_metadata(
    head: str, *, pr: int, repository: str = REPO, run_id: int = RUN_ID
) -> RunMetadata:
    return RunMetadata(repository=repository, pr_number=pr, head_sha=head, base_ref="main",
                       tree_sha="f" * 40, workflow_run_id=run_id)


def artifact_files(
    head: str,
    pr: int,
    *,
    card: ModelCard | None = None,
    report: AuditReport | None = None,
    metadata: RunMetadata | None = None,
) -> dict[str, bytes]:
    """The three documents of a valid artifact for ``head`` of ``pr``."""
    card = card or make_card(head)
    report = report or make_report(head)
    metadata = metadata or make_metadata(head, pr=pr)
    return {
        REPORT_FILE: report.model_dump_json(indent=2).encode(),
        METADATA_FILE: metadata.model_dump_json(indent=2).encode(),
        CARD_JSON_FILE: card.model_dump_json(indent=2).encode(),
    }


def zip_of(files: Mapping[str, bytes] | Sequence[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    items = files.items() if isinstance(files, Mapping) else files
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in items:
            archive.writestr(name, data)
    return buffer.getvalue()


def write_dir(path: Path, files: Mapping[str, bytes]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (path / name).write_bytes(data)
    return path


# ----------------------------------------------------------------------- scene


@dataclass
class Run:
    """One ``modelgate`` invocation: its exit code and what it printed."""

    code: int
    out: str


@dataclass
class Scene:
    """acme/model in the double, governed by ``governance.yml`` on main, and the people
    of the approval chain; every ``handle``/``report`` goes through
    ``modelgate.bot.cli.main.main``."""

    gh: GitHubDouble
    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    capsys: pytest.CaptureFixture[str]
    roles: Sequence[Mapping[str, Any]] = field(default_factory=lambda: DEFAULT_ROLES)
    org_token: bool = True
    runs: list[Run] = field(default_factory=list)
    app: bool = False  # the team's own App (issue 12), a ruleset requiring its check
    gate_role: str | None = None
    review_approves: bool = False
    app_permissions: Mapping[str, str] = field(default_factory=lambda: APP_PERMISSIONS)

    def __post_init__(self) -> None:
        gh = self.gh
        for login in PEOPLE:
            gh.add_user(login)
        gh.add_user(OTHER_BOT, kind="Bot")
        gh.add_user(ORG_READER)
        gh.create_org("acme", members=["mo", ORG_READER])
        gh.add_team("acme", "ml-reviewers", {"tess": "active", "penny": "pending"})
        text = governance_text(self.roles, app_id=APP_ID if self.app else None,
                               gate_role=self.gate_role, review_approves=self.review_approves)
        gh.create_repo(REPO, files={"governance.yml": text, "train.py": "fit()\n"},
                       workflows=("release.yml", "modelgate-audit.yml"))
        for login in PEOPLE:
            gh.set_permission(REPO, login, "write")
        if self.app:
            self.bot = APP_BOT
            self.bot_token = gh.install_app(REPO, APP_SLUG, APP_ID,
                                            permissions=dict(self.app_permissions))
            gh.add_ruleset(REPO, required_checks=[("modelgate", APP_ID)], strict=True)
        else:
            self.bot = BOT
            self.bot_token = gh.add_bot()
            gh.set_permission(REPO, BOT, "write")
        self._events = self.tmp / "events"
        self._events.mkdir()
        self.summary = self.tmp / "summary.md"
        env = {
            "GITHUB_REPOSITORY": REPO,
            "GITHUB_TOKEN": self.bot_token,
            "GITHUB_SERVER_URL": SERVER_URL,
            "GITHUB_RUN_ID": str(RUN_ID),
            "GITHUB_STEP_SUMMARY": str(self.summary),
        }
        for name in ("GITHUB_ACTIONS", "GITHUB_API_URL", "MODELGATE_BOT_LOGIN",
                     "MODELGATE_ORG_TOKEN"):
            self.monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            self.monkeypatch.setenv(name, value)
        if self.org_token:
            self.monkeypatch.setenv("MODELGATE_ORG_TOKEN", self.gh.token_for(ORG_READER))
        if self.app:
            self.monkeypatch.setenv("MODELGATE_BOT_LOGIN", APP_BOT)
        self._count = 0

    # -- running the bot

    def main(self, argv: Sequence[str]) -> Run:
        self.capsys.readouterr()
        code = cli.main(list(argv))
        captured = self.capsys.readouterr()
        run = Run(code, captured.out + captured.err)
        self.runs.append(run)
        return run

    def handle(self, event: WebhookEvent | tuple[str, dict[str, Any]], *args: str) -> Run:
        name, payload = (event.name, event.payload) if isinstance(event, WebhookEvent) else event
        self._count += 1
        path = self._events / f"{self._count:03d}-{name}.json"
        path.write_text(json.dumps(payload), encoding="utf-8")
        self.monkeypatch.setenv("GITHUB_EVENT_NAME", name)
        self.monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
        return self.main(["handle", "--api-url", self.gh.base_url, *FAST, *args])

    def handle_direct(self, event: WebhookEvent, *, sleep: Callable[[float], None],
                      args: Sequence[str] = ()) -> Run:
        """``modelgate handle`` through its entry function, with an injected sleep."""
        self._count += 1
        path = self._events / f"{self._count:03d}-{event.name}.json"
        path.write_text(json.dumps(event.payload), encoding="utf-8")
        env = {**os.environ, "GITHUB_EVENT_NAME": event.name, "GITHUB_EVENT_PATH": str(path)}
        parsed = cli.build_parser().parse_args(
            ["handle", "--api-url", self.gh.base_url, *FAST, *args])
        stream = io.StringIO()
        code = cli_github.run_handle(parsed, ConsoleReporter(stream), env, sleep=sleep)
        run = Run(code, stream.getvalue())
        self.runs.append(run)
        return run

    def report(self, number: int, *, head: str | None = None, files: dict[str, bytes] | None
               = None, failing: Iterable[str] = (), args: Sequence[str] = ()) -> Run:
        head = head or self.head(number)
        files = files or artifact_files(head, number, report=make_report(head, failing=failing))
        self._count += 1
        folder = write_dir(self.tmp / f"artifact-{self._count:03d}", files)
        return self.main(["report", "--artifact", str(folder), "--pr", str(number),
                          "--api-url", self.gh.base_url, *FAST, *args])

    # -- people acting on the pull request

    def open_pr(self, author: str = AUTHOR, files: Mapping[str, str] | None = None,
                **kwargs: Any) -> int:
        number = self.gh.create_pull(REPO, author, head_ref=f"change-{self._count}-{author}",
                                     files=files or {"train.py": "fit(C=2)\n"}, **kwargs)
        self._count += 1
        self.handle(self.gh.webhooks.pull_request(REPO, number, "opened", target=True))
        return number

    def say(self, login: str, number: int, body: str, *, handle: bool = True) -> int:
        comment_id = self.gh.comment_as(login, REPO, number, body)
        if handle:
            self.handle(self.gh.webhooks.issue_comment(REPO, comment_id))
        return comment_id

    def edit(self, login: str, comment_id: int, body: str) -> None:
        before = self.comment_body(comment_id)
        self.gh.edit_comment_as(login, REPO, comment_id, body)
        self.handle(self.gh.webhooks.issue_comment(REPO, comment_id, action="edited",
                                                   previous_body=before))

    def delete(self, login: str, comment_id: int) -> None:
        event = self.gh.webhooks.issue_comment(REPO, comment_id)
        payload = copy.deepcopy(event.payload)
        payload["action"] = "deleted"
        issue = self.gh.client(login).get_repo(REPO).get_issue(payload["issue"]["number"])
        issue.get_comment(comment_id).delete()
        self.handle(("issue_comment", payload))

    def label(self, login: str, number: int, name: str) -> None:
        self.gh.label_as(login, REPO, number, name)
        self.handle(self.gh.webhooks.pull_request(REPO, number, "labeled", sender=login,
                                                  label=name, target=True))

    def unlabel(self, login: str, number: int, name: str) -> None:
        self.gh.unlabel_as(login, REPO, number, name)
        self.handle(self.gh.webhooks.pull_request(REPO, number, "unlabeled", sender=login,
                                                  label=name, target=True))

    def push(self, number: int, files: Mapping[str, str] | None = None, *,
             force: bool = False) -> str:
        sha = self.gh.push(REPO, number, files or {"train.py": f"fit(C={self._count})\n"},
                           force=force)
        self._count += 1
        self.handle(self.gh.webhooks.pull_request(REPO, number, "synchronize", target=True))
        return sha

    def review(self, login: str, number: int, state: str = "APPROVED") -> Run:
        self.gh.review_as(login, REPO, number, state)  # type: ignore[arg-type]
        return self.handle(("pull_request_review", self.review_payload(number, login, state)))

    def review_payload(self, number: int, login: str, state: str) -> dict[str, Any]:
        payload: dict[str, Any] = copy.deepcopy(load_fixture_json(REVIEW_TEMPLATE))
        pull = self.gh.pull(REPO, number)
        payload["repository"]["full_name"] = REPO
        payload["pull_request"] = pull
        payload["review"]["state"] = state.lower()
        payload["review"]["user"]["login"] = login
        payload["sender"]["login"] = login
        return payload

    def audit(self, number: int, *, failing: Iterable[str] = (), expire: bool = False) -> Run:
        """The PR check ran on the head and left its artifact; ``workflow_run`` delivers it
        (the release reads that run's artifact, so the bot records it)."""
        head = self.head(number)
        run_id = self.gh.add_workflow_run(REPO, name="modelgate PR check", head_sha=head,
                                          pull_number=number, workflow_file="modelgate-audit.yml",
                                          conclusion="failure" if failing else "success")
        files = artifact_files(head, number, report=make_report(head, failing=failing),
                               metadata=make_metadata(head, pr=number, run_id=run_id))
        artifact = self.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
        run = self.handle(self.gh.webhooks.workflow_run(REPO, run_id))
        if expire:  # retention ran out after the report, before the approvals
            self.gh.expire_artifact(REPO, artifact)
        return run

    def edit_as(self, editor: str, comment_id: int, body: str) -> Run:
        """Anyone with write access edits anyone's comment (the webhook names the editor)."""
        return self.handle(self.gh.edit_comment(REPO, comment_id, body, as_user=editor))

    def delete_as(self, deleter: str, comment_id: int) -> Run:
        return self.handle(self.gh.delete_comment(REPO, comment_id, as_user=deleter))

    def push_as(self, pusher: str, number: int, files: Mapping[str, str] | None = None, *,
                force: bool = False) -> str:
        sha = self.gh.push(REPO, number, files or {"train.py": f"fit(C={self._count})\n"},
                           force=force, as_user=pusher)
        self._count += 1
        self.handle(self.gh.webhooks.pull_request(REPO, number, "synchronize", target=True))
        return sha

    def reset_as(self, pusher: str, number: int, sha: str) -> None:
        self.gh.reset_head(REPO, number, sha, as_user=pusher)
        self.handle(self.gh.webhooks.pull_request(REPO, number, "synchronize", target=True))

    def submit(self, login: str, number: int, event: str, body: str = "") -> int:
        hook = self.gh.submit_review(REPO, number, as_user=login, event=event,  # type: ignore[arg-type]
                                     body=body)
        self.handle(hook)
        review_id: int = hook.payload["review"]["id"]
        return review_id

    def dismiss(self, login: str, number: int, review_id: int) -> None:
        self.handle(self.gh.dismiss_review(REPO, number, review_id, as_user=login,
                                           message="dismissed"))

    def retarget(self, login: str, number: int, base: str) -> None:
        self.handle(self.gh.retarget(REPO, number, base, as_user=login))

    def check(self, number: int) -> dict[str, Any] | None:
        """The newest ``modelgate`` run of the App (or the legacy bot) on the head."""
        head = self.head(number)
        slug = APP_SLUG if self.app else "github-actions"
        runs = [r for r in self.checks() if r["head_sha"] == head and r["name"] == "modelgate"
                and r["app"]["slug"] == slug]
        return max(runs, key=lambda r: r["id"]) if runs else None

    # -- what GitHub shows

    def head(self, number: int) -> str:
        sha: str = self.gh.pull(REPO, number)["head"]["sha"]
        return sha

    def labels(self, number: int) -> set[str]:
        return set(self.gh.labels(REPO, number))

    def comment_body(self, comment_id: int) -> str:
        return self.gh.state.repo_for_tests(REPO).comments[comment_id].body

    def bot_comments(self, number: int) -> list[str]:
        return [body for author, body in self.gh.comments(REPO, number) if author == self.bot]

    def living(self, number: int) -> str:
        marker = marker_for(MODEL)
        found = [body for body in self.bot_comments(number) if body.startswith(marker)]
        assert len(found) == 1, f"expected one living comment, found {len(found)}"
        return found[0]

    def replies(self, number: int) -> list[str]:
        marker = marker_for(MODEL)
        return [b for b in self.bot_comments(number) if not b.startswith(marker)]

    def reactions(self, comment_id: int) -> list[tuple[str, str]]:
        comment = self.gh.state.repo_for_tests(REPO).comments[comment_id]
        return [(r.user, r.content) for r in comment.reactions]

    def checks(self) -> list[dict[str, Any]]:
        return self.gh.check_runs(REPO)

    def merged(self, number: int) -> bool:
        return bool(self.gh.pull(REPO, number)["merged"])

    def bot_calls(self) -> int:
        return sum(1 for c in self.gh.calls if c.login in (self.bot, ORG_READER))


@pytest.fixture
def scene(
    github_double: GitHubDouble,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Scene:
    """A repository on the GitHub double that the bot's commands run against (registered
    for every test file by ``tests/conftest.py``; the file imports ``github_double``)."""
    return Scene(github_double, tmp_path, monkeypatch, capsys)

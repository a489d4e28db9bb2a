# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Each job's permissions, derived from what it calls, and refused by the GitHub double
when they are one level short.

Two tokens per job. The modelgate App's installation token (minted by
`actions/create-github-app-token`, narrowed by its `permission-*` inputs) is what every
`modelgate` step that writes to GitHub gets: each such job's modelgate commands are run
here against the double with a token of exactly those inputs, and must meet no 403; then
once per declared scope with that scope one level lower, and must meet a 403 each time
(the double answers as GitHub does, from its table of the permission each endpoint
needs). The job's own GITHUB_TOKEN keeps what its other steps need (checkout, artifacts
of another run, the Actions API, OIDC), derived from the steps themselves.
"""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from demo.github_double import GitHubDouble
from demo.github_double.fixtures import github_double  # noqa: F401  (the fixture)
from modelgate.bot.cli import main as cli
from tests.bot_support import (
    FAST,
    REPO,
    artifact_files,
    governance_text,
    make_metadata,
    make_report,
    write_dir,
    zip_of,
)
from tests.conftest import REPO as REPO_ROOT
from tests.workflows_support import (
    AWS_CREDENTIALS,
    CHECKOUT,
    DOWNLOAD_ARTIFACT,
    UPLOAD_ARTIFACT,
    Workflow,
    action_of,
    load_workflows,
    modelgate_invocations,
    substitute,
)

WORKFLOWS = load_workflows()
APP_TOKEN = "actions/create-github-app-token"
MANIFEST = REPO_ROOT / ".github" / "modelgate-app-manifest.json"
APP_SLUG, APP_ID = "modelgate", 424242
BOT = f"{APP_SLUG}[bot]"
LOWER = {"write": "read", "read": "none"}
DS, ML, CS = "data-steward", "ml-reviewer", "clinical-safety"
HOLDERS = {DS: "dana", ML: "mo", CS: "cleo"}
# people only, as the shipped governance.yml: teams would need the App's `members: read`
ROLES = [{"name": role, "users": [login]} for role, login in HOLDERS.items()]


def app_inputs(workflow: Workflow, job_id: str) -> dict[str, str] | None:
    """The `permission-*` inputs of the job's App token step (None: it mints none)."""
    steps = [s for s in workflow.jobs[job_id]["steps"] if action_of(s) == APP_TOKEN]
    if not steps:
        return None
    (step,) = steps
    return {k.removeprefix("permission-"): str(v) for k, v in step["with"].items()
            if k.startswith("permission-")}


def app_jobs() -> list[tuple[str, str]]:
    return [(wf.file, job_id) for wf in WORKFLOWS.values() for job_id in wf.jobs
            if app_inputs(wf, job_id) is not None]


def manifest_permissions() -> dict[str, str]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return {k.replace("_", "-"): v for k, v in data["default_permissions"].items()}


# ----------------------------------------------------------------------------- the scene


@dataclass
class Bench:
    """acme/model on the double with the modelgate App installed from the manifest."""

    gh: GitHubDouble
    tmp: Path
    monkeypatch: pytest.MonkeyPatch
    count: int = 0

    def __post_init__(self) -> None:
        gh = self.gh
        for login in (*HOLDERS.values(), "alice"):
            gh.add_user(login)
        gh.create_org("acme", members=["mo"])
        gh.create_repo(REPO, files={"governance.yml": governance_text(ROLES),
                                    "train.py": "fit()\n"},
                       workflows=("release.yml", "pr-check.yml"))
        for login in (*HOLDERS.values(), "alice"):
            gh.set_permission(REPO, login, "write")
        granted = {k.replace("-", "_"): v for k, v in manifest_permissions().items()}
        self.full = gh.install_app(REPO, APP_SLUG, APP_ID, permissions=granted)
        gh.add_ruleset(REPO, required_checks=[("modelgate", APP_ID)])
        for name in ("GITHUB_ACTIONS", "MODELGATE_ORG_TOKEN", "GITHUB_STEP_SUMMARY"):
            self.monkeypatch.delenv(name, raising=False)
        for name, value in {"GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": gh.base_url,
                            "GITHUB_SERVER_URL": "https://github.example",
                            "GITHUB_RUN_ID": "77", "MODELGATE_BOT_LOGIN": BOT}.items():
            self.monkeypatch.setenv(name, value)

    def token(self, permissions: Mapping[str, str] | None) -> str:
        if permissions is None:
            return self.full
        scoped = {k.replace("-", "_"): v for k, v in permissions.items() if v != "none"}
        return self.gh.app_token(APP_SLUG, REPO, permissions=scoped)

    def run(self, argv: list[str], token: str, event: Any = None) -> int:
        self.count += 1
        self.monkeypatch.setenv("GITHUB_TOKEN", token)
        if event is not None:
            path = self.tmp / f"event-{self.count}.json"
            path.write_text(json.dumps(event.payload), encoding="utf-8")
            self.monkeypatch.setenv("GITHUB_EVENT_NAME", event.name)
            self.monkeypatch.setenv("GITHUB_EVENT_PATH", str(path))
        return cli.main([*argv, *FAST])

    def verdict_dir(self, number: int) -> Path:
        head = self.gh.pull(REPO, number)["head"]["sha"]
        self.count += 1
        return write_dir(self.tmp / f"verdict-{self.count}",
                         artifact_files(head, number, report=make_report(head)))

    def report(self, number: int, token: str) -> int:
        """The PR check ran on the head and left its artifact; the report job posts the
        trusted verdict of that run (its id is how the release finds the artifact)."""
        head = self.gh.pull(REPO, number)["head"]["sha"]
        run_id = self.gh.add_workflow_run(REPO, name="modelgate PR check", head_sha=head,
                                          pull_number=number, workflow_file="pr-check.yml",
                                          conclusion="success")
        files = artifact_files(head, number, report=make_report(head),
                               metadata=make_metadata(head, pr=number, run_id=run_id))
        self.gh.add_artifact(REPO, run_id, "modelgate-audit", zip_of(files))
        self.monkeypatch.setenv("MODELGATE_AUDIT_RUN_ID", str(run_id))
        argv = command("pr-report.yml", "report", {"VERDICT_DIR": str(self.verdict_dir(number))})
        return self.run(argv, token)

    def open_pull(self) -> int:
        # a change to the gate's own workflows too: merging it takes `workflows: write`
        number = self.gh.create_pull(REPO, "alice", head_ref=f"tune-{self.count}",
                                     files={"train.py": "fit(C=2)\n",
                                            ".github/workflows/pr-check.yml": "name: x\n"})
        # pr-labels.yml sees the pull request open: the bot records its first head and pusher
        opened = self.gh.webhooks.pull_request(REPO, number, "opened", target=True)
        self.run(["handle"], self.full, opened)
        return number

    def approve(self, number: int, role: str, token: str) -> int:
        comment = self.gh.comment_as(HOLDERS[role], REPO, number, f"/approve {role}")
        return self.run(["handle"], token, self.gh.webhooks.issue_comment(REPO, comment))


def command(workflow: str, job_id: str, env: Mapping[str, str]) -> list[str]:
    """The job's one modelgate command line, its variables given `env`'s values; the
    production re-judging needs AWS, which this test does not stand in for."""
    (invocation,) = [i for i in modelgate_invocations(WORKFLOWS[workflow]) if i.job == job_id]
    argv = [env.get(a.strip('"$'), a) if a.startswith("$") else a for a in invocation.argv]
    argv = substitute(tuple(argv))
    if "--production" in argv:
        at = argv.index("--production")
        del argv[at:at + 2]
    return argv


Scenario = Callable[[Bench, str], None]


def report_scenario(bench: Bench, token: str) -> None:
    """Every role approved before the audits came in: posting the trusted verdict (the
    comment, the check run, the labels) completes the decision, and the report merges and
    starts the release."""
    number = bench.open_pull()
    for role in (DS, ML, CS):
        bench.approve(number, role, bench.full)
    assert bench.report(number, token) == 0
    assert bench.gh.pull(REPO, number)["merged"]
    assert [c["name"] for c in bench.gh.check_runs(REPO)] == ["modelgate"]


def commands_scenario(bench: Bench, token: str) -> None:
    """Every role approves a PR the App reported green: the last approval merges it."""
    number = bench.open_pull()
    bench.report(number, bench.full)
    bench.approve(number, DS, token)
    comment = bench.gh.comment_as("dana", REPO, number, "/hold")
    bench.run(["handle"], token, bench.gh.webhooks.issue_comment(REPO, comment))
    comment = bench.gh.comment_as("dana", REPO, number, "/unhold")
    bench.run(["handle"], token, bench.gh.webhooks.issue_comment(REPO, comment))
    # a review, relayed by pr-review.yml's run; a fork's run names no pull request, so the
    # App finds it by the head sha
    bench.gh.submit_review(REPO, number, as_user="mo", event="COMMENT", body="looks fine")
    head = bench.gh.pull(REPO, number)["head"]["sha"]
    relay = bench.gh.add_workflow_run(REPO, name="modelgate review relay", head_sha=head,
                                      event="pull_request_review",
                                      workflow_file="pr-review.yml")
    assert bench.run(["handle"], token, bench.gh.webhooks.workflow_run(REPO, relay)) == 0
    for role in (ML, CS):
        bench.approve(number, role, token)
    assert bench.gh.pull(REPO, number)["merged"]


def labels_scenario(bench: Bench, token: str) -> None:
    """A push removes the approvals given on the old head and moves the check; a label
    set by someone who may not is reverted."""
    number = bench.open_pull()
    bench.report(number, bench.full)
    bench.approve(number, DS, bench.full)
    bench.gh.push(REPO, number, {"train.py": "fit(C=3)\n"})
    event = bench.gh.webhooks.pull_request(REPO, number, "synchronize", target=True)
    bench.run(["handle"], token, event)
    assert f"approved:{DS}" not in bench.gh.labels(REPO, number)
    bench.gh.label_as("alice", REPO, number, f"approved:{ML}")
    event = bench.gh.webhooks.pull_request(REPO, number, "labeled", sender="alice",
                                           label=f"approved:{ML}", target=True)
    bench.run(["handle"], token, event)
    assert f"approved:{ML}" not in bench.gh.labels(REPO, number)


@functools.cache
def signed_bundle() -> Path:
    """An exported bundle with its signed release statement (merge commit MERGE)."""
    from tests.release_support import sign_bundle
    from tests.serving_support import export

    out = Path(tempfile.mkdtemp(prefix="modelgate-card-")) / "bundle"
    export(out)
    sign_bundle(out)
    return out


def release_scenario(bench: Bench, token: str) -> None:
    """`modelgate release --publish-card`'s GitHub calls (its only ones; the rest of the
    release is MLflow and AWS): commit the card and its twin, tag the merge commit,
    publish the release with the statement and its signature as assets."""
    from modelgate.bot.github.releases import ReleaseHostError, connect
    from modelgate.bot.release.cards import publish
    from tests.release_support import MERGE

    bench.count += 1
    repo = bench.gh.state.repo_for_tests(REPO)
    if MERGE not in repo.commits:  # the merge commit the statement names
        bench.gh.state.commit(repo, "main", {"train.py": b"fit(C=2)\n"}, "merge", "alice",
                              sha=MERGE)
    bundle = signed_bundle()
    statement = json.loads((bundle / "release.intoto.json").read_text())
    statement["predicate"]["model"]["version"] = str(bench.count)  # a new tag each play
    work = bench.tmp / f"bundle-{bench.count}"
    shutil.copytree(bundle, work)
    (work / "release.intoto.json").write_text(json.dumps(statement))
    try:
        done = publish(connect(token, REPO, bench.gh.base_url), work, branch="main")
    except ReleaseHostError as exc:
        raise AssertionError(str(exc)) from None
    assert done.tag.endswith(f"/v{bench.count}") and len(done.assets) == 2


SCENARIOS: dict[tuple[str, str], Scenario] = {
    ("pr-report.yml", "report"): report_scenario,
    ("pr-commands.yml", "handle"): commands_scenario,
    ("pr-labels.yml", "handle"): labels_scenario,
    ("release.yml", "release"): release_scenario,
}
# the jobs whose App token drives the approval chain (the bot's login matters there);
# the release only publishes the card, from the `production` environment
CHAIN_JOBS = {("pr-report.yml", "report"), ("pr-commands.yml", "handle"),
              ("pr-labels.yml", "handle")}


def refusals(bench: Bench, scenario: Scenario, permissions: Mapping[str, str], *,
             finish: bool = False) -> list[str]:
    """Play the scenario with an App token of exactly `permissions`; the calls it made
    with that token that GitHub would refuse (403). `finish`: the story must end as told."""
    token = bench.token(permissions)
    bench.gh.clear_calls()
    try:
        scenario(bench, token)
    except AssertionError:
        if finish:
            raise
    return [f"{c.method} {c.path} ({c.operation_id})" for c in bench.gh.calls
            if c.status == 403 and c.login == BOT]


@pytest.fixture
def bench(github_double: GitHubDouble, tmp_path: Path,  # noqa: F811
          monkeypatch: pytest.MonkeyPatch) -> Bench:
    return Bench(github_double, tmp_path, monkeypatch)


# ----------------------------------------------------------------------------- App tokens


def test_every_app_job_has_a_scenario() -> None:
    """A job that mints the App's token is measured here; a new one fails until it is."""
    assert set(app_jobs()) == set(SCENARIOS)


@pytest.mark.parametrize("where", sorted(SCENARIOS), ids="/".join)
def test_the_app_token_holds_what_the_job_calls(bench: Bench, where: tuple[str, str]) -> None:
    """With exactly the declared `permission-*` inputs, nothing the job does is refused."""
    declared = app_inputs(WORKFLOWS[where[0]], where[1])
    assert declared is not None
    assert refusals(bench, SCENARIOS[where], declared, finish=True) == []


@pytest.mark.parametrize("where,scope", [
    (where, scope) for where in sorted(SCENARIOS)
    for scope in sorted(app_inputs(WORKFLOWS[where[0]], where[1]) or {})],
    ids=lambda v: "/".join(v) if isinstance(v, tuple) else v)
def test_the_app_token_holds_nothing_more(bench: Bench, where: tuple[str, str],
                                          scope: str) -> None:
    """Each declared scope is needed: one level lower, the double refuses a call."""
    declared = dict(app_inputs(WORKFLOWS[where[0]], where[1]) or {})
    declared[scope] = LOWER[declared[scope]]
    assert refusals(bench, SCENARIOS[where], declared) != [], (
        f"{where[0]}/{where[1]}: {scope} could be {declared[scope]}")


@pytest.mark.shipped_example  # governance.yml's app_permissions and window
def test_the_manifest_grants_exactly_what_the_jobs_ask_for() -> None:
    """The App holds the union of its jobs' inputs (plus metadata), nothing else, and
    governance.yml's github.app_permissions says the same (modelgate doctor checks it)."""
    union: dict[str, str] = {"metadata": "read"}
    for workflow, job_id in app_jobs():
        for scope, level in (app_inputs(WORKFLOWS[workflow], job_id) or {}).items():
            if union.get(scope) != "write":
                union[scope] = level
    assert manifest_permissions() == union
    gov = yaml.safe_load((REPO_ROOT / "governance.yml").read_text(encoding="utf-8"))
    declared = {k.replace("_", "-"): v for k, v in gov["github"]["app_permissions"].items()}
    assert declared == union


def test_the_manifest_turns_the_webhook_off() -> None:
    """The App only acts inside workflow runs: no webhook, no events, not public."""
    data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert data["hook_attributes"]["active"] is False
    assert data["default_events"] == [] and data["public"] is False


@pytest.mark.parametrize("where", sorted(SCENARIOS), ids="/".join)
def test_app_jobs_hand_the_app_token_to_modelgate(where: tuple[str, str]) -> None:
    """The modelgate step gets the App's token and login; the private key is an
    environment secret, so only default-branch jobs can mint the token."""
    job = WORKFLOWS[where[0]].jobs[where[1]]
    (mint,) = [s for s in job["steps"] if action_of(s) == APP_TOKEN]
    assert mint["with"]["client-id"] == "${{ vars.MODELGATE_APP_CLIENT_ID }}"
    assert mint["with"]["private-key"] == "${{ secrets.MODELGATE_APP_PRIVATE_KEY }}"
    assert not {"owner", "repositories"} & set(mint["with"])  # this repository only
    (invocation,) = [i for i in modelgate_invocations(WORKFLOWS[where[0]]) if i.job == where[1]
                     and "GITHUB_TOKEN" in i.env]
    assert invocation.env["GITHUB_TOKEN"] == f"${{{{ steps.{mint['id']}.outputs.token }}}}"
    if where not in CHAIN_JOBS:  # the release: its key is also a `production` secret
        assert job["environment"] == "production" and invocation.command == "release"
        return
    assert invocation.env["MODELGATE_BOT_LOGIN"] == (
        f"${{{{ steps.{mint['id']}.outputs.app-slug }}}}[bot]")
    assert job["environment"] == "modelgate-app"


def test_no_modelgate_step_gets_a_writing_github_token() -> None:
    """Outside the App jobs, a modelgate step gets the job's GITHUB_TOKEN only where it
    writes something that is not a gate input (the drift issue)."""
    given = {(i.workflow, i.job) for wf in WORKFLOWS.values() for i in modelgate_invocations(wf)
             if i.env.get("GITHUB_TOKEN") == "${{ github.token }}"}
    assert given == {("drift.yml", "drift")}


# ----------------------------------------------------------------------------- GITHUB_TOKEN


def step_needs(workflow: Workflow, job: Mapping[str, Any], step: Mapping[str, Any]
               ) -> dict[str, str]:
    """What one step takes from the job's GITHUB_TOKEN (docs: controlling-permissions)."""
    action, with_ = action_of(dict(step)), step.get("with") or {}
    run, env = str(step.get("run", "")), step.get("env") or {}
    if action == CHECKOUT:
        return {"contents": "read"}
    if action == DOWNLOAD_ARTIFACT and "run-id" in with_:
        return {"actions": "read"}  # another run's artifact goes through the REST API
    if action == AWS_CREDENTIALS:
        return {"id-token": "write"}
    if "gh api" in run and "actions/" in run:
        return {"actions": "read"}
    if env.get("GITHUB_TOKEN") == "${{ github.token }}" and "--github-issue" in run:
        return {"issues": "write"}
    return {}


def derived(workflow: Workflow, job_id: str) -> dict[str, str]:
    job = workflow.jobs[job_id]
    out: dict[str, str] = {}
    for step in job["steps"]:
        for scope, level in step_needs(workflow, job, step).items():
            if out.get(scope) != "write":
                out[scope] = level
    return out


@pytest.mark.parametrize("name", sorted(WORKFLOWS))
def test_each_github_token_holds_what_its_steps_need(name: str) -> None:
    """A job's `permissions:` is the union of what its steps take from GITHUB_TOKEN."""
    wf = WORKFLOWS[name]
    got = {job_id: job.get("permissions") for job_id, job in wf.jobs.items()}
    assert got == {job_id: derived(wf, job_id) for job_id in wf.jobs}


def test_the_pr_check_and_the_verdict_hold_no_write_scope_and_no_secret() -> None:
    """The two jobs that read PR files: read-only GITHUB_TOKEN, no App token, no secret."""
    for name, job_id in (("pr-check.yml", "check"), ("pr-report.yml", "verdict")):
        job = WORKFLOWS[name].jobs[job_id]
        assert set(job["permissions"].values()) == {"read"}
        assert app_inputs(WORKFLOWS[name], job_id) is None
        assert "secrets." not in repr(job) and "environment" not in job


@pytest.mark.shipped_example  # governance.yml's app_permissions and window
def test_uploads_replace_their_own_artifact_on_a_re_run() -> None:
    """upload-artifact refuses an existing name; a re-run overwrites its own instead."""
    gov = yaml.safe_load((REPO_ROOT / "governance.yml").read_text(encoding="utf-8"))
    window = gov["github"]["approval_window_days"]
    for name in ("pr-check.yml", "pr-report.yml"):
        for _, _, step in WORKFLOWS[name].steps():
            if action_of(step) == UPLOAD_ARTIFACT:
                assert step["with"]["overwrite"] is True
                assert step["with"]["retention-days"] >= window

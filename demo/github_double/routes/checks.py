# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Check runs (GitHub Apps only, as on GitHub) and commit statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from demo.github_double.errors import (
    INVALID_APP_FOR_CHECK_RUN,
    MUST_AUTHENTICATE_AS_APP,
    ApiError,
    not_found,
    validation_failed,
)
from demo.github_double.routes.base import (
    Context,
    Page,
    Request,
    Response,
    RouteTable,
    commit_sha,
    require,
    visible_repo,
)
from demo.github_double.state import App, CheckRun, CheckSuite, CommitStatus, Repo

route = RouteTable()
CONCLUSION_REQUIRED = "conclusion is required when status is completed"


def _as_app(ctx: Context, repo: Repo, req: Request) -> App:
    """Personal tokens cannot write checks; installation tokens (GITHUB_TOKEN) can, as
    their App (https://docs.github.com/en/rest/checks/runs#create-a-check-run: "OAuth apps
    and personal access tokens (classic) cannot use this endpoint")."""
    app = ctx.state.app_of_token(req.token)
    if req.caller.kind != "Bot" or app is None:
        raise ApiError(403, MUST_AUTHENTICATE_AS_APP)
    require(repo, req, "write")
    return app


def _apply(ctx: Context, run: CheckRun, body: dict[str, Any]) -> None:
    """The status/conclusion rules shared by create and update."""
    for name in ("name", "details_url", "external_id"):
        if name in body:
            setattr(run, name, body[name])
    if "started_at" in body:
        run.started_at = _parse(body["started_at"])
    if "status" in body:
        run.status = body["status"]
    if "conclusion" in body:
        run.conclusion = body["conclusion"]
        run.status = "completed"
    if "completed_at" in body:
        run.completed_at = _parse(body["completed_at"])
        run.status = "completed"
    if run.status == "completed" and run.conclusion is None:
        raise validation_failed("CheckRun", "conclusion", "missing_field", CONCLUSION_REQUIRED)
    if run.status == "completed" and run.completed_at is None:
        run.completed_at = ctx.now()
    output = body.get("output")
    if isinstance(output, dict):
        for key in ("title", "summary", "text"):
            if key in output:
                run.output[key] = output[key]
        run.annotations_count += len(output.get("annotations", []))


def _parse(raw: Any) -> datetime:
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


@route("checks/create", resource="CheckRun")
def create_check_run(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    app = _as_app(ctx, repo, req)
    sha = str(req.field("head_sha"))
    if sha not in repo.commits:  # a full sha of this repository, not a ref
        raise validation_failed(
            "CheckRun", "head_sha", "invalid", f"No commit found for SHA: {sha}"
        )
    run = CheckRun(
        id=ctx.state.next_id("check_run"),
        head_sha=sha,
        name=str(req.field("name")),
        status="queued",
        conclusion=None,
        started_at=ctx.now(),
        completed_at=None,
        output={"title": None, "summary": None, "text": None},
        details_url=None,
        external_id=None,
        app_owner=req.login,
        check_suite_id=ctx.state.suite_for(repo, app, sha).id,
        app_id=app.id,
    )
    _apply(ctx, run, dict(req.body))
    repo.check_runs[run.id] = run
    return Response(201, ctx.render.check_run(repo, run))


@route("checks/update", resource="CheckRun")
def update_check_run(ctx: Context, req: Request) -> Response:
    """Only the App that created a run may change it; any other App gets 403 naming the
    creator (see errors.INVALID_APP_FOR_CHECK_RUN)."""
    repo = visible_repo(ctx, req)
    app = _as_app(ctx, repo, req)
    run = repo.check_runs.get(int(req.path["check_run_id"]))
    if run is None:
        raise not_found()
    if run.app_id != app.id:
        raise ApiError(403, INVALID_APP_FOR_CHECK_RUN.format(app_id=run.app_id))
    _apply(ctx, run, dict(req.body))
    return Response(200, ctx.render.check_run(repo, run))


@route("checks/get", resource="CheckRun")
def get_check_run(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    run = repo.check_runs.get(int(req.path["check_run_id"]))
    if run is None:
        raise not_found()
    return Response(200, ctx.render.check_run(repo, run))


def _suite(ctx: Context, req: Request) -> tuple[Repo, CheckSuite]:
    repo = visible_repo(ctx, req)
    suite = repo.check_suites.get(int(req.path["check_suite_id"]))
    if suite is None:
        raise not_found()
    return repo, suite


@route("checks/get-suite", resource="CheckSuite")
def get_suite(ctx: Context, req: Request) -> Response:
    repo, suite = _suite(ctx, req)
    return Response(200, ctx.render.check_suite(repo, suite))


@route("checks/list-suites-for-ref", resource="CheckSuite")
def list_suites(ctx: Context, req: Request) -> Page:
    """One suite per App that reported on the commit; `app_id`/`check_name` filter."""
    repo = visible_repo(ctx, req)
    sha = commit_sha(repo, str(req.path["ref"]), "CheckSuite")
    suites = [s for s in repo.check_suites.values() if s.head_sha == sha]
    if req.query.get("app_id") is not None:
        suites = [s for s in suites if s.app_id == req.query["app_id"]]
    if req.query.get("check_name"):
        names = {(r.check_suite_id, r.name) for r in repo.check_runs.values()}
        suites = [s for s in suites if (s.id, req.query["check_name"]) in names]
    return Page(
        [ctx.render.check_suite(repo, s) for s in sorted(suites, key=lambda s: s.id)],
        key="check_suites",
        extra={"total_count": len(suites)},
    )


@route("checks/list-for-suite", resource="CheckRun")
def list_for_suite(ctx: Context, req: Request) -> Page:
    repo, suite = _suite(ctx, req)
    runs = [r for r in repo.check_runs.values() if r.check_suite_id == suite.id]
    return _run_page(ctx, repo, req, runs)


@route("checks/list-for-ref", resource="CheckRun")
def list_check_runs(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    sha = commit_sha(repo, str(req.path["ref"]), "CheckRun")
    runs = [r for r in repo.check_runs.values() if r.head_sha == sha]
    if req.query.get("app_id") is not None:
        runs = [r for r in runs if r.app_id == req.query["app_id"]]
    return _run_page(ctx, repo, req, runs)


def _run_page(ctx: Context, repo: Repo, req: Request, runs: list[CheckRun]) -> Page:
    """Runs of every App, each with its `app`; `filter=latest` keeps the newest per name."""
    if req.query.get("check_name"):
        runs = [r for r in runs if r.name == req.query["check_name"]]
    if req.query.get("status"):
        runs = [r for r in runs if r.status == req.query["status"]]
    if req.query.get("filter", "latest") == "latest":
        latest: dict[tuple[int, str], CheckRun] = {}  # newest per (App, name)
        for run in sorted(runs, key=lambda r: r.id):
            latest[(run.app_id, run.name)] = run
        runs = list(latest.values())
    runs.sort(key=lambda r: r.id, reverse=True)
    return Page(
        [ctx.render.check_run(repo, r) for r in runs],
        key="check_runs",
        extra={"total_count": len(runs)},
    )


@route("repos/create-commit-status", resource="Status")
def create_status(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    sha = commit_sha(repo, str(req.path["sha"]), "Status")
    now = ctx.now()
    status = CommitStatus(
        id=ctx.state.next_id("status"),
        sha=sha,
        state=str(req.field("state")),
        context=str(req.field("context") or "default"),
        description=req.field("description"),
        target_url=req.field("target_url"),
        creator=req.login,
        created_at=now,
        updated_at=now,
    )
    repo.statuses.append(status)
    rendered = ctx.render.status(repo, status)
    return Response(201, rendered, {"location": rendered["url"]})


@route("repos/get-combined-status-for-ref", resource="Status")
def combined_status(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    sha = repo.resolve_ref(str(req.path["ref"]))
    if sha is None:
        raise not_found()
    return Response(200, ctx.render.combined_status(repo, sha))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""GitHub Actions: run artifacts (listed, and downloaded through a redirect) and the two
dispatch events that start workflows even when a GITHUB_TOKEN asks."""

from __future__ import annotations

from demo.github_double.errors import ARTIFACT_EXPIRED, ApiError, not_found, validation_failed
from demo.github_double.routes.base import (
    Context,
    Page,
    Request,
    Response,
    RouteTable,
    require,
    sort_items,
    visible_repo,
)
from demo.github_double.state import Dispatch, WorkflowRun

route = RouteTable()
ZIP = "application/zip"


@route("actions/list-workflow-run-artifacts", resource="Artifact")
def list_artifacts(ctx: Context, req: Request) -> Page:
    repo = visible_repo(ctx, req)
    run = repo.runs.get(int(req.path["run_id"]))
    if run is None:
        raise not_found()
    artifacts = [repo.artifacts[i] for i in run.artifacts]
    if req.query.get("name"):
        artifacts = [a for a in artifacts if a.name == req.query["name"]]
    artifacts = sort_items(artifacts, lambda a: (a.created_at, a.id), str(req.query["direction"]))
    return Page(
        [ctx.render.artifact(repo, a) for a in artifacts],
        key="artifacts",
        extra={"total_count": len(artifacts)},
    )


@route("actions/download-artifact", resource="Artifact")
def download_artifact(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    artifact = repo.artifacts.get(int(req.path["artifact_id"]))
    if artifact is None or req.path["archive_format"] != "zip":
        raise not_found()
    if artifact.expired or ctx.now() >= artifact.expires_at:
        raise ApiError(410, ARTIFACT_EXPIRED)
    location = ctx.signed_download(artifact.data, ZIP)
    return Response(302, None, headers={"location": location})


@route("actions/create-workflow-dispatch", resource="WorkflowDispatch")
def workflow_dispatch(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    workflow = str(req.path["workflow_id"])
    if repo.workflows and workflow not in repo.workflows:
        raise not_found()
    ref = str(req.field("ref"))
    sha = repo.resolve_ref(ref)
    if sha is None:
        raise validation_failed("WorkflowDispatch", "ref", "invalid", f"No ref found for: {ref}")
    inputs = dict(req.field("inputs") or {})
    now = ctx.now()
    repo.dispatches.append(
        Dispatch("workflow_dispatch", req.login, now, workflow=workflow, ref=ref, inputs=inputs)
    )
    run = WorkflowRun(
        id=ctx.state.next_id("run"),
        name=workflow,
        path=f".github/workflows/{workflow}",
        head_sha=sha,
        head_branch=ref.removeprefix("refs/heads/"),
        event="workflow_dispatch",
        status="queued",
        conclusion=None,
        pull_numbers=[],
        actor=req.login,
        created_at=now,
        run_number=len(repo.runs) + 1,
    )
    repo.runs[run.id] = run
    if not req.field("return_run_details"):
        return Response(204)
    run_url = f"{ctx.render.repo_url(repo)}/actions/runs/{run.id}"
    html = f"{ctx.render.repo_html(repo)}/actions/runs/{run.id}"
    return Response(200, {"workflow_run_id": run.id, "run_url": run_url, "html_url": html})


@route("repos/create-dispatch-event", resource="RepositoryDispatch")
def repository_dispatch(ctx: Context, req: Request) -> Response:
    repo = visible_repo(ctx, req)
    require(repo, req, "write")
    repo.dispatches.append(
        Dispatch(
            "repository_dispatch",
            req.login,
            ctx.now(),
            event_type=str(req.field("event_type")),
            client_payload=dict(req.field("client_payload") or {}),
        )
    )
    return Response(204)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""A repository on the GitHub double whose settings make the gate sound; each test
breaks one setting and runs ``modelgate doctor`` against it."""

from __future__ import annotations

import argparse
import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from demo.github_double import GitHubDouble, routes
from demo.github_double.fixtures import checked_double
from demo.github_double.routes import settings as settings_routes
from demo.github_double.routes.settings import SettingsControls
from modelgate.bot.cli import doctor as cli_doctor
from modelgate.bot.doctor.workflows import workflow_uses
from modelgate.governance import GitHubSection
from modelgate.progress import ConsoleReporter
from tests.conftest import REPO as REPO_ROOT

REPO = "acme/model"
ADMIN = "ada"
WRITER = "walt"
REVIEWER = "rita"
SLUG = "modelgate"
RULESET = json.loads((REPO_ROOT / "docs" / "ruleset.json").read_text(encoding="utf-8"))
APP_ID = next(c["integration_id"] for r in RULESET["rules"]
              if r["type"] == "required_status_checks"
              for c in r["parameters"]["required_status_checks"])
# the shipped governance default (governance.yml github.app_permissions says the same)
APP_PERMISSIONS = dict(GitHubSection().app_permissions)

# only what governance.yml must hold, plus the github section the doctor reads
GOVERNANCE = """\
model: {{name: m, intended_use: u, out_of_scope_use: o, limitations: l}}
data:
  path: d.csv
  manifest: d.json
  id_column: id
  target: {{column: y, mapping: {{a: 1, b: 0}}, positive_class: a, negative_class: b}}
  features: [x]
estimator: {{steps: [{{class: sklearn.linear_model.LogisticRegression}}]}}
split: {{test_size: 0.2, random_state: 0}}
approval: {{roles: [{{name: reviewer, users: [rita]}}]}}
github:
  app_id: {app_id}
  app_slug: modelgate
"""


@dataclass
class DoctorRun:
    code: int
    out: str


@dataclass
class Scene:
    double: GitHubDouble
    controls: SettingsControls
    config: Path
    token: str

    def run(self, *, token: str | None = None, app_key: bool = True,
            extra_env: dict[str, str] | None = None,
            workflows_root: Path = REPO_ROOT) -> DoctorRun:
        """``modelgate doctor --repo acme/model`` with the double as GitHub."""
        env = {"GITHUB_TOKEN": self.token if token is None else token, **(extra_env or {})}
        if app_key:
            env["MODELGATE_APP_PRIVATE_KEY"] = "the App's PEM (the double takes any JWT)"
        args = argparse.Namespace(config=self.config, repo=REPO, api_url=self.double.base_url,
                                  workflows_root=workflows_root, request_interval=0.0)
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            code = cli_doctor.cmd_doctor(
                args, ConsoleReporter(), env=env,
                jwt_factory=lambda app_id, _key: self.controls.app_jwt(app_id, SLUG))
        return DoctorRun(code, buffer.getvalue())


def sound_scene(double: GitHubDouble, tmp_path: Path, *, app_id: int = APP_ID) -> Scene:
    """Every setting as the doctor wants it: the shipped ruleset, a reviewed production
    environment limited to main, the App installed with exactly its permissions."""
    token = double.add_user(ADMIN)
    double.add_user(WRITER)
    double.add_user(REVIEWER)
    double.create_org("acme", members=[ADMIN, WRITER, REVIEWER])
    double.create_repo(REPO, files={"README.md": "model"})
    double.set_permission(REPO, ADMIN, "admin")
    double.set_permission(REPO, WRITER, "write")
    controls = SettingsControls(double)
    controls.set_ruleset(REPO, RULESET)
    uses = workflow_uses(REPO_ROOT)
    controls.set_names(REPO, variables={u.name: "x" for u in uses if u.kind == "vars"},
                       secrets=[])
    env_secrets: dict[str, set[str]] = {}
    for use in uses:
        if use.kind == "secrets":
            env_secrets.setdefault(use.environment or "", set()).add(use.name)
    controls.set_names(REPO, secrets=env_secrets.pop("", set()))
    controls.set_environment(REPO, "production", reviewers=[REVIEWER], branches=("main",),
                             secrets=env_secrets.pop("production", set()))
    for name, names in env_secrets.items():
        controls.set_environment(REPO, name, branches=("main",), secrets=names)
    controls.install_app(REPO, app_id=app_id, slug=SLUG, permissions=APP_PERMISSIONS)
    controls.set_actions(REPO, default_workflow_permissions="read",
                         can_approve_pull_request_reviews=False, retention_days=90)
    config = tmp_path / "governance.yml"
    config.write_text(GOVERNANCE.format(app_id=app_id), encoding="utf-8")
    return Scene(double, controls, config, token)


@pytest.fixture
def settings_double(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubDouble]:
    """The checked double, with the settings routes (until routes/__init__.py lists them)."""
    if settings_routes not in routes.MODULES:
        monkeypatch.setattr(routes, "MODULES", (*routes.MODULES, settings_routes))
    yield from checked_double()


@pytest.fixture
def scene(settings_double: GitHubDouble, tmp_path: Path) -> Scene:
    return sound_scene(settings_double, tmp_path)

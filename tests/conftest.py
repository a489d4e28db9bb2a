# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Shared test helpers: where the shared fixtures live and how to load them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

# fixtures shared by many test files: `scene` (a repository on the GitHub double)
pytest_plugins = ("tests.bot_support",)

from demo.fixtures import FIXTURES as FIXTURES  # noqa: E402  (re-exported)
from demo.fixtures import load_fixture_json as load_fixture_json  # noqa: E402
from demo.mlflow_store import mlflow_template_db  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "shipped_example: a test about the repository's own governance.yml and "
        "data/ (the team's); every other test reads the tests' fixtures "
        "(tests/test_team_data_independence.py)")


# --- the team's files are the team's: only tests about the shipped example read them ---

import os  # noqa: E402
import sys  # noqa: E402

# test modules about the shipped example itself, marked `shipped_example` as a whole (a
# test elsewhere carries the marker itself); tests/test_team_data_independence.py checks
# every other module's source, and the audit hook below every test's reads
SHIPPED_EXAMPLE_MODULES = frozenset({
    "tests/demo/test_road.py",  # `make demo` plays the shipped example
})
TEAM_FILES = ("governance.yml", "data")  # the team's: its configuration and data folder
SHIPPED_FILES = tuple(str(REPO / name) for name in TEAM_FILES)
MSG_SHIPPED_READ = ("{test} read the repository's own {paths}: those are the team's files "
                    "(a team swaps them); use tests.conftest.make_workspace or "
                    "fixture_config() (tests/fixtures/workspace), or mark a test about the "
                    "shipped example itself @pytest.mark.shipped_example")
_shipped_reads: list[str] | None = None  # collecting while a test runs


def _audit_shipped_reads(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or _shipped_reads is None or isinstance(args[0], int):
        return
    try:
        name = os.path.abspath(os.fsdecode(args[0]))
    except (TypeError, ValueError):
        return
    if name == SHIPPED_FILES[0] or name.startswith(SHIPPED_FILES[1] + os.sep):
        _shipped_reads.append(name)


sys.addaudithook(_audit_shipped_reads)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).relative_to(REPO).as_posix() in SHIPPED_EXAMPLE_MODULES:
            item.add_marker(pytest.mark.shipped_example)


@pytest.fixture(autouse=True)
def _no_shipped_team_files(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that opens the repository's governance.yml or data/ in this process
    (a subprocess is held to it by the source check of test_team_data_independence)."""
    global _shipped_reads
    if request.node.get_closest_marker("shipped_example"):
        yield
        return
    _shipped_reads = []
    try:
        yield
    finally:
        reads, _shipped_reads = _shipped_reads, None
    if reads:
        paths = ", ".join(sorted({os.path.relpath(r, REPO) for r in reads}))
        pytest.fail(MSG_SHIPPED_READ.format(test=request.node.nodeid, paths=paths),
                    pytrace=False)


# --- one import namespace (issue 18): the source tree's folders are modelgate.bot, ... ----

import importlib.abc  # noqa: E402
import importlib.machinery  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from types import ModuleType  # noqa: E402

OLD_TOP_LEVEL = ("bot", "training", "infra", "serving")


class OldTopLevelBlocker(importlib.abc.MetaPathFinder):
    """The repository root is on sys.path (editable install, pytest's rootdir), so importing
    the bare name bot would load a second copy of modelgate.bot; the tests refuse it."""

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if path is not None or fullname not in OLD_TOP_LEVEL:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname)
        origin = spec.origin if spec is not None else None
        places = list(spec.submodule_search_locations or []) if spec is not None else []
        if any(p and Path(p).resolve().is_relative_to(REPO) for p in [origin, *places]):
            raise ImportError(f"import modelgate.{fullname}, not {fullname} (one import "
                              "namespace, issue 18)", name=fullname)
        return None


if not any(isinstance(f, OldTopLevelBlocker) for f in sys.meta_path):
    sys.meta_path.insert(0, OldTopLevelBlocker())


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    if not FIXTURES.is_dir():
        pytest.fail(f"shared fixtures not found at {FIXTURES} "
                    "(CI puts shared/ beside the checkout)")
    return FIXTURES


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


# --- a governed workspace: the tests' own configuration and data in a git repo ---

import shutil  # noqa: E402
import subprocess  # noqa: E402

from tests.workspace_support import FIXTURE_REUSE, copy_team_files  # noqa: E402
from tests.workspace_support import fixture_config as fixture_config  # noqa: E402

# the tool's own files a workspace needs besides the team's (governance.yml and data/ come
# from tests/fixtures/workspace and the shared WDBC copy, never from the repository root)
WORKSPACE_FILES = ("pyproject.toml", "uv.lock")


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                               "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com",
                               "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(root)})
    return done.stdout.strip()


def make_workspace(dest: Path, *, commit: bool = True, fresh_store: bool = False,
                   licensed: bool = False) -> Path:
    """The tests' governance.yml, the WDBC data with its manifest, and the lock into
    ``dest`` as a git repository, with an empty MLflow store under ``.modelgate/`` (unless
    ``fresh_store``); with ``licensed``, also the tests' REUSE.toml and LICENSES/ so that
    every audit can pass."""
    if licensed:
        # the workspace holds no MIT file (only the double's GitHub specs are MIT), and REUSE
        # counts a license nothing uses as an error
        shutil.copytree(REPO / "LICENSES", dest / "LICENSES", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("MIT.txt"))
        shutil.copy2(FIXTURE_REUSE, dest / "REUSE.toml")
    if not fresh_store:
        (dest / ".modelgate").mkdir(parents=True, exist_ok=True)
        shutil.copy2(mlflow_template_db(), dest / ".modelgate" / "mlflow.db")
    for name in WORKSPACE_FILES:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, target)
    copy_team_files(dest)
    (dest / ".gitignore").write_text(".modelgate/\n")
    if commit:
        git(dest, "init", "-q", "-b", "main")
        git(dest, "add", "-A")
        git(dest, "commit", "-q", "-m", "workspace")
    return dest


@pytest.fixture(scope="session")
def trained_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    """One governed training run on the tests' data, shared by read-only tests.

    A test that trains, promotes or registers works in a workspace of its own: the store
    must still hold exactly this one version when the session ends, or tests that run
    later would judge another model."""
    import io

    from mlflow import MlflowClient

    from modelgate.governance import load_config
    from modelgate.progress import ConsoleReporter
    from modelgate.training.train import train

    root = make_workspace(tmp_path_factory.mktemp("trained"))
    config = load_config(root / "governance.yml")
    result = train(config, reporter=ConsoleReporter(io.StringIO()))
    yield root, result
    client = MlflowClient(tracking_uri=result.tracking_uri, registry_uri=result.tracking_uri)
    versions = client.search_model_versions(f"name='{result.model_name}'")
    model = client.get_registered_model(result.model_name)
    assert [str(v.version) for v in versions] == [result.version] and not model.aliases, (
        "a test changed the shared trained workspace's registry: "
        f"versions {[v.version for v in versions]}, aliases {model.aliases}")


@pytest.fixture()
def audit_context(trained_workspace: tuple[Path, Any], tmp_path: Path) -> Any:
    """The evidence of the shared trained run, as the audits see it."""
    from modelgate.bot.check.pipeline import build_context
    from modelgate.governance import load_config
    from modelgate.training import tracking

    root, result = trained_workspace
    config = load_config(root / "governance.yml")
    client = tracking.configure(config)
    return build_context(config, result, client, tmp_path)


@contextmanager
def mlflow_uris_kept() -> Iterator[None]:
    """Put MLflow's process-wide tracking and registry URIs (and the environment variables
    ``set_*_uri`` export) back as they were, so a test pointing them elsewhere, at a
    server it then stops, cannot send later tests there."""
    import os

    import mlflow

    keys = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    env = {k: os.environ.get(k) for k in keys}
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    try:
        yield
    finally:
        mlflow.set_tracking_uri(before[0])
        mlflow.set_registry_uri(before[1])
        for key, value in env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def mlflow_pointed_at(uri: str) -> Iterator[None]:
    """MLflow's fluent API on one store for a block."""
    import mlflow

    with mlflow_uris_kept():
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        yield

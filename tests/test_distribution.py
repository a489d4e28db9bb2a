# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""One distribution, one import namespace (issue 18): the wheel and the sdist build, the
wheel holds ``modelgate/`` alone, the sdist builds the same wheel, and the wheel installed
into a fresh venv runs ``modelgate --help`` and imports the Lambda handler, not ``bot``.

The build backend (hatchling) comes from uv's cache or the index, as for any build; the
wheel's dependencies are pinned to uv.lock (``uv export``), so the fresh venv takes them from
uv's cache once ``make setup`` ran.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

UV = REPO / ".venv" / "bin" / "uv"
PACKAGES = ("bot", "training", "infra", "serving")
# read at run time through Path(__file__) or a package loader: they must ship
PACKAGE_DATA = ("modelgate/bot/check/templates/model_card.md.j2",
                "modelgate/bot/check/schemas/model_card.schema.v0.0.2.json",
                "modelgate/training/mlflow_sqlite_schema.sql",
                "modelgate/infra/template.yaml",
                "modelgate/serving/py.typed")
# modelgate's uv.lock, which `modelgate package` pins the Lambda zip to (pyproject.toml)
SHIPPED_LOCK = "modelgate/infra/serving.lock"

pytestmark = pytest.mark.slow


def uv(*args: str, cwd: Path, timeout: float = 300) -> str:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/"),
           "UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never"}
    for name in ("UV_CACHE_DIR", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_OFFLINE",
                 "SSL_CERT_FILE", "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY"):
        if name in os.environ:
            env[name] = os.environ[name]
    done = subprocess.run([str(UV), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"uv {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def wheel_contents(path: Path) -> dict[str, str]:
    """name -> sha256 of every file in the wheel but its RECORD."""
    with zipfile.ZipFile(path) as archive:
        return {i.filename: hashlib.sha256(archive.read(i)).hexdigest()
                for i in archive.infolist() if not i.filename.endswith("/RECORD")}


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    wheel_from_sdist: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    out = tmp_path_factory.mktemp("dist")
    # from the source tree: the sdist, and the wheel straight from the tree (not via the sdist)
    uv("build", "--sdist", "--wheel", "--out-dir", str(out / "tree"), str(REPO), cwd=out)
    (sdist,) = (out / "tree").glob("modelgate-*.tar.gz")
    (wheel,) = (out / "tree").glob("modelgate-*.whl")
    uv("build", "--wheel", "--out-dir", str(out / "again"), str(sdist), cwd=out)
    (again,) = (out / "again").glob("modelgate-*.whl")
    return Built(wheel=wheel, sdist=sdist, wheel_from_sdist=again)


def test_the_wheel_holds_modelgate_alone(built: Built) -> None:
    names = list(wheel_contents(built.wheel))
    assert len(names) == len(set(names))
    tops = {n.split("/")[0] for n in names}
    assert tops == {"modelgate", "modelgate-0.1.0.dist-info"}, tops
    for must in ("modelgate/__init__.py", "modelgate/governance.py",
                 "modelgate/bot/cli/main.py", "modelgate/serving/handler.py",
                 "modelgate/training/train.py", "modelgate/infra/package.py", *PACKAGE_DATA):
        assert must in names, must
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    with zipfile.ZipFile(built.wheel) as archive:
        entry_points = archive.read("modelgate-0.1.0.dist-info/entry_points.txt").decode()
    assert "modelgate = modelgate.bot.cli.main:main" in entry_points


def test_the_wheel_holds_every_source_file_once(built: Built) -> None:
    """Each tracked file of the four folders is in the wheel under modelgate/, and no other."""
    names = set(wheel_contents(built.wheel))
    folders = {"bot": "bot", "training": "training", "infra": "infra",
               "serving": "lambda/serving"}
    for name, folder in folders.items():
        tracked = subprocess.run(["git", "ls-files", folder], cwd=REPO, capture_output=True,
                                 text=True, check=True).stdout.split()
        expected = {f"modelgate/{name}/{Path(t).relative_to(folder).as_posix()}"
                    for t in tracked}
        if name == "infra":
            expected.add(SHIPPED_LOCK)  # the one file not of the folder
        shipped = {n for n in names if n.startswith(f"modelgate/{name}/")}
        assert shipped == expected, name


def test_the_wheel_ships_modelgates_own_lock_for_the_lambda_zip(built: Built) -> None:
    """`modelgate package` in a team's repository pins serving to this lock, byte for byte
    the uv.lock the source tree was tested with, from the tree and from the sdist alike."""
    lock = hashlib.sha256((REPO / "uv.lock").read_bytes()).hexdigest()
    assert wheel_contents(built.wheel)[SHIPPED_LOCK] == lock
    assert wheel_contents(built.wheel_from_sdist)[SHIPPED_LOCK] == lock


def test_the_sdist_builds_the_same_wheel(built: Built) -> None:
    with tarfile.open(built.sdist) as archive:
        members = archive.getmembers()
    assert not [m.name for m in members if m.issym() or m.islnk()]  # the links, resolved
    tops = {m.name.split("/")[1] for m in members if "/" in m.name}
    assert {"modelgate", "pyproject.toml", "README.md", "LICENSES"} <= tops
    assert not {"bot", "training", "infra", "lambda", "tests", "demo", "data"} & tops
    assert wheel_contents(built.wheel_from_sdist) == wheel_contents(built.wheel)


def test_the_wheel_installs_and_runs_in_a_fresh_venv(built: Built, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    uv("venv", "--quiet", "--python", str(REPO / ".venv" / "bin" / "python"), str(venv),
       cwd=tmp_path)
    pins = tmp_path / "pins.txt"
    uv("export", "--quiet", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes",
       "--output-file", str(pins), "--project", str(REPO), cwd=tmp_path)
    uv("pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
       "--constraint", str(pins), str(built.wheel), cwd=tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    # outside the checkout, so nothing of the source tree is on sys.path
    done = subprocess.run([str(venv / "bin" / "modelgate"), "--help"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: modelgate")
    probe = ("import importlib.util, modelgate.serving.handler, modelgate.bot.cli.main\n"
             "import modelgate.serving as s\n"
             "from modelgate.infra.package import serving_lock_path, serving_source\n"
             "print(serving_lock_path(), serving_source(), sep='\\n')\n"
             f"print(s.__file__)\n"
             f"print([n for n in {PACKAGES!r} if importlib.util.find_spec(n)])\n")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    lock, serving, origin, found = done.stdout.strip().splitlines()[-4:]
    assert Path(origin).is_relative_to(venv)
    assert Path(lock).is_relative_to(venv) and Path(lock).name == "serving.lock"
    assert Path(serving) == Path(origin).resolve().parent
    assert found == "[]"  # no top-level bot, training, infra or serving
    done = subprocess.run([str(venv / "bin" / "python"), "-c", "__import__('bot')"], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0 and "No module named 'bot'" in done.stderr

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The Lambda package: pins from modelgate's own uv.lock, wheel tags, stripping, a
deterministic zip and, in the slow tests, real builds from a directory that is not
modelgate's repository (one imported here in an isolated interpreter)."""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from packaging.tags import Tag

from modelgate.infra.package import (
    FORBIDDEN_IN_SERVING,
    SERVING_ROOTS,
    UNZIPPED_LIMIT_BYTES,
    UNZIPPED_TARGET_BYTES,
    ZIP_EPOCH,
    ZIPPED_LIMIT_BYTES,
    PackageError,
    Target,
    build_package,
    check_serving_imports,
    check_sizes,
    check_zip,
    find_python,
    interpreter_version,
    local_target,
    lock_places,
    pins_from_lock,
    read_lock,
    resolve_target,
    runtime_target,
    serving_lock_path,
    serving_source,
    strip_tree,
    tag_problems,
    write_zip,
)
from modelgate.serving.settings import ENV_BUNDLE_URI
from tests.conftest import FIXTURES, REPO, load_fixture_json

if TYPE_CHECKING:
    from tests.infra_support import FittedBundle

AL2023_X86 = Target(python="3.12", machine="x86_64", glibc=(2, 34))


def tags(*texts: str) -> list[Tag]:
    return [Tag(*text.split("-")) for text in texts]


# --- the lock -------------------------------------------------------------------------


def tiny_lock() -> dict[str, Any]:
    """A lock with a python-version split, a platform-only dependency and an extra."""
    registry = {"registry": "https://pypi.org/simple"}
    return {"package": [
        {"name": "app", "version": "0.1.0", "source": {"editable": "."}, "dependencies": [
            {"name": "fastapi"}, {"name": "mangum"}, {"name": "onnxruntime"},
            {"name": "pydantic", "extra": ["email"]},
            {"name": "numpy", "version": "1.0", "marker": "python_full_version < '3.12'"},
            {"name": "numpy", "version": "2.0", "marker": "python_full_version >= '3.12'"},
            {"name": "mlflow"}]},
        {"name": "fastapi", "version": "1", "source": registry,
         "dependencies": [{"name": "colorama", "marker": "sys_platform == 'win32'"},
                          {"name": "typing-extensions",
                           "marker": "python_full_version < '3.13'"}],
         "wheels": [{"url": "https://x/fastapi-1-py3-none-any.whl", "hash": "sha256:aa"}]},
        {"name": "mangum", "version": "1", "source": registry,
         "wheels": [{"url": "https://x/mangum-1-py3-none-any.whl", "hash": "sha256:bb"}]},
        {"name": "onnxruntime", "version": "1", "source": registry,
         "dependencies": [
             {"name": "numpy", "version": "1.0", "marker": "python_full_version < '3.12'"},
             {"name": "numpy", "version": "2.0", "marker": "python_full_version >= '3.12'"}],
         "wheels": [{"url": "https://x/onnxruntime-1-cp312-cp312-manylinux_2_28_x86_64.whl",
                     "hash": "sha256:cc"}]},
        {"name": "pydantic", "version": "2", "source": registry,
         "optional-dependencies": {"email": [{"name": "email-validator"}]},
         "wheels": [{"url": "https://x/pydantic-2-py3-none-any.whl", "hash": "sha256:dd"}]},
        {"name": "email-validator", "version": "3", "source": registry,
         "wheels": [{"url": "https://x/email_validator-3-py3-none-any.whl", "hash": "sha256:ee"}]},
        {"name": "numpy", "version": "1.0", "source": registry,
         "wheels": [{"url": "https://x/numpy-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
                     "hash": "sha256:11"}]},
        {"name": "numpy", "version": "2.0", "source": registry,
         "wheels": [{"url": "https://x/numpy-2.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                     "hash": "sha256:22"}]},
        {"name": "typing-extensions", "version": "4", "source": registry,
         "wheels": [{"url": "https://x/typing_extensions-4-py3-none-any.whl",
                     "hash": "sha256:33"}]},
        {"name": "colorama", "version": "0.4", "source": registry},
        {"name": "mlflow", "version": "3", "source": registry},
    ]}


def test_the_lock_walk_follows_markers_and_extras_for_the_target() -> None:
    """It keeps the target's numpy, drops Windows-only and unrelated packages, adds extras."""
    pins = {p.name: p for p in pins_from_lock(tiny_lock(), AL2023_X86)}
    assert {n: p.version for n, p in pins.items()} == {
        "fastapi": "1", "mangum": "1", "onnxruntime": "1", "pydantic": "2",
        "email-validator": "3", "numpy": "2.0", "typing-extensions": "4"}
    assert pins["numpy"].requirement_line() == "numpy==2.0 --hash=sha256:22"

    older = {p.name: p.version for p in pins_from_lock(tiny_lock(), Target("3.11", "x86_64",
                                                                           (2, 34)))}
    assert older["numpy"] == "1.0"
    newest = {p.name for p in pins_from_lock(tiny_lock(), Target("3.13", "x86_64", (2, 34)))}
    assert "typing-extensions" not in newest


def test_a_package_from_outside_a_registry_is_refused() -> None:
    """It takes only registry wheels with hashes, never a git or path source."""
    lock = tiny_lock()
    lock["package"][2]["source"] = {"git": "https://example.com/mangum.git"}
    with pytest.raises(PackageError, match="not a package registry"):
        pins_from_lock(lock, AL2023_X86)


def test_the_real_lock_gives_serving_only_its_own_dependencies() -> None:
    """Every root is pinned with its lock hashes, and nothing serving must not carry."""
    lock = read_lock()
    for target in (AL2023_X86, Target("3.11", "x86_64", (2, 36))):
        pins = {p.name: p for p in pins_from_lock(lock, target)}
        assert set(SERVING_ROOTS) <= set(pins)
        assert not set(pins) & (FORBIDDEN_IN_SERVING | {"sympy", "boto3", "uvicorn"})
        assert all(p.wheels and all(h.startswith("sha256:") for _, h in p.wheels)
                   for p in pins.values())


def test_serving_and_its_lock_are_modelgates_own_whatever_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """In the source tree: lambda/serving (through the modelgate/serving link) and uv.lock;
    a team's uv.lock in the working directory plays no part."""
    (tmp_path / "uv.lock").write_text("version = 1\n[[package]]\nname = 'team'\n")
    monkeypatch.chdir(tmp_path)
    assert serving_source() == (REPO / "lambda" / "serving").resolve()
    assert serving_lock_path() == REPO / "uv.lock"
    assert read_lock() == read_lock(REPO / "uv.lock")


def test_the_shipped_lock_wins_and_a_foreign_checkout_is_refused(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The wheel's serving.lock is read first; a uv.lock beside a project that is not
    modelgate is never taken for modelgate's."""
    shipped, checkout = tmp_path / "site" / "serving.lock", tmp_path / "team" / "uv.lock"
    checkout.parent.mkdir()
    checkout.write_text("version = 1\n")
    (checkout.parent / "pyproject.toml").write_text('[project]\nname = "loan-approval"\n')
    monkeypatch.setattr("modelgate.infra.package.lock_places", lambda: [shipped, checkout])
    with pytest.raises(PackageError, match=r"modelgate's own lock is missing.*reinstall"):
        serving_lock_path()
    shipped.parent.mkdir()
    shipped.write_text("version = 1\n")
    assert serving_lock_path() == shipped


def test_the_shipped_lock_lies_beside_the_module_that_reads_it() -> None:
    """pyproject.toml force-includes uv.lock as modelgate/infra/serving.lock."""
    shipped, checkout = lock_places()
    assert shipped.name == "serving.lock" and shipped.parent.name == "infra"
    assert checkout == REPO / "uv.lock"


def test_python311_is_refused_because_onnxruntime_needs_glibc_228(tmp_path: Path) -> None:
    """The Amazon Linux 2 runtime is refused up front, naming onnxruntime and python3.12."""
    with pytest.raises(PackageError) as refused:
        build_package(None, tmp_path / "x.zip", runtime="python3.11")
    message = str(refused.value)
    assert "onnxruntime" in message and "python3.12" in message and "glibc 2.26" in message
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize(("options", "match"), [
    ({"runtime": "python2.7"}, "unknown Lambda runtime"),
    ({"arch": "ppc64le"}, "unknown architecture"),
    ({"platform": "x86_64-unknown-linux-gnu"}, "not of the form"),
    ({"python_version": "3.12.1"}, "not of the form"),
])
def test_unknown_targets_are_refused(options: dict[str, str], match: str) -> None:
    """It names what it cannot build for instead of guessing."""
    runtime = options.get("runtime", "python3.12")
    arch = options.get("arch", "x86_64")
    with pytest.raises(PackageError, match=match):
        resolve_target(runtime, arch, options.get("python_version"), options.get("platform"))


def test_runtime_targets() -> None:
    """python3.12 is AL2023 (glibc 2.34) and arm64 means aarch64 wheels."""
    assert runtime_target("python3.12", "x86_64") == AL2023_X86
    arm = runtime_target("python3.12", "arm64")
    assert arm.machine == "aarch64" and arm.uv_platform == "aarch64-manylinux_2_34"
    assert runtime_target("python3.11", "x86_64").uv_platform == "x86_64-manylinux_2_17"


def test_sizes_past_lambdas_limits_are_refused_and_past_our_budget_warned() -> None:
    """250 MiB unzipped and 50 MiB zipped are refused; above 150 MiB unzipped is a warning."""
    assert check_sizes(unzipped=UNZIPPED_TARGET_BYTES, zipped=ZIPPED_LIMIT_BYTES) == []
    warned = check_sizes(unzipped=UNZIPPED_TARGET_BYTES + 1)
    assert len(warned) == 1 and "above the 150 MiB budget" in warned[0]
    with pytest.raises(PackageError, match="Lambda's limit is 262144000 bytes"):
        check_sizes(unzipped=UNZIPPED_LIMIT_BYTES + 1)
    with pytest.raises(PackageError, match="at most 52428800 bytes"):
        check_sizes(unzipped=1, zipped=ZIPPED_LIMIT_BYTES + 1)


# --- wheel tags -------------------------------------------------------------------------


def test_wheel_tags_that_fit_python312_on_al2023() -> None:
    """CPython 3.12, abi3, pure Python and manylinux up to glibc 2.34 all fit."""
    fitting = {
        "numpy": tags("cp312-cp312-manylinux_2_27_x86_64", "cp312-cp312-manylinux_2_28_x86_64"),
        "protobuf": tags("cp310-abi3-manylinux2014_x86_64"),
        "fastapi": tags("py3-none-any"),
        "flatbuffers": tags("py2-none-any", "py3-none-any"),
        "onnxruntime": tags("cp312-cp312-manylinux_2_34_x86_64"),
    }
    assert tag_problems(fitting, AL2023_X86) == []


@pytest.mark.parametrize("tag", [
    "cp311-cp311-manylinux_2_17_x86_64",   # another interpreter
    "cp312-cp312-manylinux_2_35_x86_64",   # needs a newer glibc than AL2023
    "cp312-cp312-manylinux_2_28_aarch64",  # another architecture
    "cp312-cp312-musllinux_1_2_x86_64",    # another C library
    "cp312-cp312-macosx_11_0_arm64",       # another OS
    "cp312-cp312-linux_x86_64",            # not portable
    "cp313-abi3-manylinux_2_17_x86_64",    # abi3 built for a newer Python
    "py2-none-any",                        # Python 2 only
])
def test_a_single_foreign_tag_is_reported(tag: str) -> None:
    """Every tag must fit: one foreign tag means the wrong wheel was installed."""
    problems = tag_problems({"pkg": tags("py3-none-any", tag)}, AL2023_X86)
    if tag == "py2-none-any":
        assert problems == [], "py2 beside py3 is a universal wheel"
        assert tag_problems({"pkg": tags(tag)}, AL2023_X86) == [f"pkg: {tag}"]
    else:
        assert problems == [f"pkg: {tag}"]


def test_check_zip_reads_the_wheel_files_inside_a_zip(tmp_path: Path) -> None:
    """It finds every dist-info WHEEL in the zip and names the misfit."""
    path = tmp_path / "task.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("good-1.dist-info/WHEEL", "Tag: py3-none-any\n")
        archive.writestr("bad-1.dist-info/WHEEL", "Tag: cp311-cp311-manylinux_2_17_x86_64\n")
    with pytest.raises(PackageError, match=re.escape("bad-1.dist-info: cp311-cp311")):
        check_zip(path, AL2023_X86)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("modelgate/serving/__init__.py", "")
    with pytest.raises(PackageError, match=re.escape("no *.dist-info/WHEEL")):
        check_zip(empty, AL2023_X86)


# --- staging tree -----------------------------------------------------------------------


def write(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_strip_removes_tests_and_scripts_and_keeps_record_true(tmp_path: Path) -> None:
    """Dependency tests, bin/ and __pycache__ go; RECORD lists exactly what is left."""
    write(tmp_path / "bin" / "f2py", "#!/usr/bin/python")
    write(tmp_path / "numpy" / "__init__.py")
    write(tmp_path / "numpy" / "tests" / "test_a.py", "x" * 100)
    write(tmp_path / "numpy" / "_core" / "tests" / "data" / "d.csv")
    write(tmp_path / "numpy" / "__pycache__" / "__init__.cpython-311.pyc")
    write(tmp_path / "numpy" / "testing" / "__init__.py")
    listed = ["numpy/__init__.py", "numpy/tests/test_a.py", "numpy/_core/tests/data/d.csv",
              "numpy/testing/__init__.py", "bin/f2py", "numpy-2.dist-info/RECORD"]
    record = write(tmp_path / "numpy-2.dist-info" / "RECORD",
                   "".join(f"{p},sha256=abc,1\n" for p in listed))

    freed = strip_tree(tmp_path)

    assert freed >= 100
    remaining = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                       if p.is_file())
    assert remaining == ["numpy-2.dist-info/RECORD", "numpy/__init__.py",
                         "numpy/testing/__init__.py"]
    with record.open() as handle:
        rows = [row[0] for row in csv.reader(handle)]
    assert rows == ["numpy/__init__.py", "numpy/testing/__init__.py", "numpy-2.dist-info/RECORD"]


def test_serving_may_not_import_what_the_zip_does_not_ship(tmp_path: Path) -> None:
    """An import of sklearn (or anything not shipped) in serving stops the build."""
    write(tmp_path / "numpy" / "__init__.py")
    serving = tmp_path / "modelgate" / "serving"
    write(serving / "__init__.py")
    write(serving / "ok.py", "import json\nimport numpy\nimport boto3\n"
                             "from . import other\nfrom modelgate.serving import logs\n")
    check_serving_imports(tmp_path)
    write(serving / "bad.py", "def f():\n    from sklearn.base import clone\n")
    with pytest.raises(PackageError, match="serving imports sklearn"):
        check_serving_imports(tmp_path)


def test_serving_may_not_import_the_rest_of_modelgate(tmp_path: Path) -> None:
    """The zip holds modelgate/serving/ alone: any other modelgate module stops the build."""
    serving = tmp_path / "modelgate" / "serving"
    write(serving / "__init__.py")
    write(serving / "bad.py", "from modelgate.errors import ModelgateError\n")
    with pytest.raises(PackageError, match=r"serving imports modelgate\.errors"):
        check_serving_imports(tmp_path)


def test_the_zip_is_the_same_bytes_whatever_the_file_times_and_order(tmp_path: Path) -> None:
    """Sorted entries, fixed timestamps and modes: same content, same sha256."""
    def tree(root: Path, mtime: int) -> Path:
        for name in ("b/z.py", "a.py", "b/lib.so"):
            path = write(root / name, name * 50)
            os.utime(path, (mtime, mtime))
        (root / "b" / "lib.so").chmod(0o775)
        return root

    first = write_zip(tree(tmp_path / "one", 1_000_000_000), tmp_path / "one.zip")
    second = write_zip(tree(tmp_path / "two", 1_700_000_000), tmp_path / "two.zip")
    assert first == second == hashlib.sha256((tmp_path / "one.zip").read_bytes()).hexdigest()
    with zipfile.ZipFile(tmp_path / "one.zip") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == ["a.py", "b/lib.so", "b/z.py"]
    assert {i.date_time for i in infos} == {ZIP_EPOCH}
    assert {i.filename: i.external_attr >> 16 & 0o777 for i in infos} == {
        "a.py": 0o644, "b/lib.so": 0o755, "b/z.py": 0o644}


# --- the interpreter that compiles the bytecode ---------------------------------------

HERE = f"{sys.version_info.major}.{sys.version_info.minor}"


def test_the_running_interpreter_compiles_for_its_own_version() -> None:
    assert interpreter_version(sys.executable) == HERE
    assert find_python(Target(python=HERE, machine="x86_64", glibc=(2, 34))) == sys.executable


def test_no_interpreter_of_an_unknown_version_is_found() -> None:
    assert find_python(Target(python="3.99", machine="x86_64", glibc=(2, 34))) is None


def test_a_given_interpreter_of_another_version_is_refused() -> None:
    """Bytecode of one Python version is ignored by another: --python must match."""
    with pytest.raises(PackageError, match=rf"--python .*is Python {HERE}.*Python 3\.99"):
        find_python(Target(python="3.99", machine="x86_64", glibc=(2, 34)), sys.executable)


def test_a_given_interpreter_that_does_not_run_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PackageError, match="does not run"):
        find_python(AL2023_X86, str(tmp_path / "python3.12"))


# --- real builds (network to the package registry the first time; uv's cache after) ----


@pytest.fixture(scope="module")
def deploy_build(tmp_path_factory: pytest.TempPathFactory) -> Any:
    # from a team's directory: nothing of the build may come from the project it runs in,
    # and its own lock (here one that locks nothing) is not read
    elsewhere = tmp_path_factory.mktemp("not-modelgate")
    (elsewhere / "uv.lock").write_text('version = 1\nrequires-python = ">=3.11"\n')
    return build_package(elsewhere, elsewhere / "serving-python3.12-x86_64.zip")


@pytest.mark.slow
def test_the_python312_zip_has_only_fitting_wheels_and_fits_the_limits(
        deploy_build: Any) -> None:
    """The deploy zip's wheels all fit python3.12/x86_64, and it is inside every limit."""
    report = deploy_build
    print("\n" + report.summary())
    zip_path = Path(report.zip_path)
    check_zip(zip_path, AL2023_X86)
    assert report.deployable
    assert report.sha256 == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert report.zip_bytes == zip_path.stat().st_size < ZIPPED_LIMIT_BYTES
    assert report.unzipped_bytes < UNZIPPED_TARGET_BYTES < UNZIPPED_LIMIT_BYTES
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
        names = [i.filename for i in infos]
    assert sum(i.file_size for i in infos) == report.unzipped_bytes
    assert len(infos) == report.file_count
    assert names == sorted(names)
    assert "modelgate/serving/handler.py" in names
    with zipfile.ZipFile(zip_path) as archive:  # the installed package's files, byte for byte
        for source in sorted(serving_source().rglob("*.py")):
            relative = source.relative_to(serving_source()).as_posix()
            assert archive.read(f"modelgate/serving/{relative}") == source.read_bytes()
    assert "modelgate/__init__.py" not in names  # a namespace package: nothing else of modelgate
    assert not [n for n in names if n.startswith("modelgate/") and
                not n.startswith("modelgate/serving/")]
    assert not [n for n in names if "/tests/" in n or n.startswith("bin/")]
    top_levels = {n.split("/")[0] for n in names}
    assert not {"sklearn", "scipy", "pandas", "mlflow", "sympy", "bot", "serving"} & top_levels
    largest = [name for name, _ in report.largest]
    assert largest[0] == "onnxruntime" and len(largest) == 10
    # bytecode by a 3.12 interpreter when this machine has one, else a warning saying so
    pycs = [n for n in names if n.startswith("modelgate/serving/__pycache__/")]
    if report.compiled_by is None:
        assert not pycs and report.bytecode_files == 0
        assert any("ships sources only" in w for w in report.warnings)
    else:
        assert interpreter_version(report.compiled_by) == "3.12"
        assert "modelgate/serving/__pycache__/handler.cpython-312.pyc" in pycs
        assert all(".cpython-312." in n for n in names if n.endswith(".pyc"))


# --- the local-interpreter build, served from an isolated interpreter -------------------

EVENTS_DIR = FIXTURES / "aws-lambda-events"
SERVE_SCRIPT = """
import json, sys, types
task, events_path, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, task)
import modelgate.serving.handler, numpy, onnxruntime, fastapi, mangum, pydantic
events = json.load(open(events_path))
context = types.SimpleNamespace(function_name="modelgate-test", aws_request_id="test",
                                invoked_function_arn="arn:aws:lambda:us-east-1:0:function:t")
handler = modelgate.serving.handler.handler
responses = {name: handler(event, context) for name, event in events.items()}
origins = {m.__name__: m.__file__ for m in (modelgate.serving, numpy, onnxruntime, fastapi, mangum,
                                            pydantic)}
json.dump({"responses": responses, "origins": origins, "path": sys.path},
          open(out_path, "w"))
"""


def record(fitted: FittedBundle, row: int) -> dict[str, float]:
    return {name: float(v) for name, v in zip(fitted.features, fitted.test_X[row], strict=True)}


def predict_events(fitted: FittedBundle) -> dict[str, tuple[dict[str, Any], list[int]]]:
    """POST /predict in each event shape, built from the captured fixtures: (event, rows)."""
    def body(rows: list[int]) -> str:
        if len(rows) == 1:
            return json.dumps({"features": record(fitted, rows[0])})
        return json.dumps({"records": [record(fitted, r) for r in rows]})

    events: dict[str, tuple[dict[str, Any], list[int]]] = {}
    rest = load_fixture_json("aws-lambda-events/apigw-rest-v1.proxy.aws-lambda-go.json")
    rest.update(httpMethod="POST", path="/predict", body=body([0]), isBase64Encoded=False,
                headers={"Content-Type": "application/json"},
                multiValueHeaders={"Content-Type": ["application/json"]},
                queryStringParameters=None, multiValueQueryStringParameters=None)
    events["rest-v1"] = (rest, [0])

    http = load_fixture_json("aws-lambda-events/apigw-http-v2.post-json.powertools.json")
    http.update(rawPath="/predict", rawQueryString="", body=body([1, 2, 3]),
                isBase64Encoded=False)
    http["headers"]["content-type"] = "application/json"
    http["requestContext"]["http"].update(method="POST", path="/predict")
    events["http-v2-batch"] = (http, [1, 2, 3])

    url = load_fixture_json("aws-lambda-events/lambda-function-url.post-iam.powertools.json")
    url.update(rawPath="/predict", rawQueryString="", isBase64Encoded=True,
               body=base64.b64encode(body([4]).encode()).decode())
    url["headers"] = {**url.get("headers", {}), "content-type": "application/json"}
    url["requestContext"]["http"].update(method="POST", path="/predict")
    events["function-url-base64"] = (url, [4])

    alb = load_fixture_json("aws-lambda-events/alb.single-value-headers.aws-lambda-go.json")
    alb.update(httpMethod="POST", path="/predict", body=body([5]), isBase64Encoded=False,
               queryStringParameters={})
    alb["headers"] = {**alb["headers"], "content-type": "application/json"}
    events["alb-single"] = (alb, [5])

    multi = load_fixture_json("aws-lambda-events/alb.multi-value-headers.aws-lambda-go.json")
    multi.update(httpMethod="POST", path="/predict", body=body([6]), isBase64Encoded=False,
                 multiValueQueryStringParameters={})
    multi["multiValueHeaders"] = {**multi["multiValueHeaders"],
                                  "content-type": ["application/json"]}
    events["alb-multi"] = (multi, [6])
    return events


def response_headers(response: dict[str, Any]) -> dict[str, str]:
    if response.get("multiValueHeaders"):
        return {k.lower(): v[-1] for k, v in response["multiValueHeaders"].items()}
    return {k.lower(): v for k, v in response.get("headers", {}).items()}


def response_json(response: dict[str, Any]) -> Any:
    raw = response["body"]
    if response.get("isBase64Encoded"):
        raw = base64.b64decode(raw).decode()
    return json.loads(raw)


@dataclass
class Served:
    responses: dict[str, dict[str, Any]]
    origins: dict[str, str]
    task: Path
    fitted: FittedBundle
    predict: dict[str, tuple[dict[str, Any], list[int]]]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    work = tmp_path_factory.mktemp("local-build")
    here = local_target()
    report = build_package(work, work / "local.zip", python_version=here.python,
                           platform=here.uv_platform)
    print("\n" + report.summary())
    assert not report.deployable and report.bytecode_files > 0
    task = work / "task"
    with zipfile.ZipFile(report.zip_path) as archive:
        archive.extractall(task)
    from tests.infra_support import fit_and_export  # sklearn + skl2onnx: slow tests only

    fitted = fit_and_export(work / "bundle")
    events = {path.stem: json.loads(path.read_text()) for path in sorted(EVENTS_DIR.glob("*.json"))}
    predict = predict_events(fitted)
    events.update({f"predict:{name}": event for name, (event, _) in predict.items()})
    (work / "events.json").write_text(json.dumps(events))
    env = {"PATH": "/usr/bin:/bin", ENV_BUNDLE_URI: str(fitted.directory),
           "MODELGATE_BUNDLE_SHA256": hashlib.sha256(
               (fitted.directory / "manifest.json").read_bytes()).hexdigest()}
    done = subprocess.run(
        # -I: no user site, no PYTHON* variables; -S: not even the venv's site-packages,
        # so every import must come from the unzipped folder or the standard library
        [sys.executable, "-I", "-S", "-c", SERVE_SCRIPT, str(task), str(work / "events.json"),
         str(work / "out.json")],
        cwd=task, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads((work / "out.json").read_text())
    return Served(responses=result["responses"], origins=result["origins"], task=task,
                  fitted=fitted, predict=predict)


@pytest.mark.slow
def test_the_build_imports_nothing_from_outside_the_zip(served: Served) -> None:
    """serving and every dependency load from the unzipped folder, not the venv."""
    for module, origin in served.origins.items():
        assert Path(origin).resolve().is_relative_to(served.task.resolve()), (module, origin)


@pytest.mark.slow
def test_every_captured_event_gets_a_well_formed_response(served: Served) -> None:
    """Each fixture event (REST, HTTP API, Function URL, ALB) gets a response in its shape."""
    for name in sorted(p.stem for p in EVENTS_DIR.glob("*.json")):
        response = served.responses[name]
        assert isinstance(response["statusCode"], int) and response["statusCode"] < 500, name
        assert isinstance(response["body"], str) and isinstance(response["isBase64Encoded"], bool)
        if name.startswith("alb.multi-value"):
            assert "multiValueHeaders" in response and "headers" not in response, name
        headers = response_headers(response)
        assert headers["x-model-version"] == served.fitted.manifest.model_version, name
        body = response_json(response)
        assert body["request_id"] == headers["x-request-id"], name


@pytest.mark.slow
def test_predict_answers_the_trained_models_probability_in_every_event_shape(
        served: Served) -> None:
    """POST /predict via REST v1, HTTP v2 (batch), Function URL (base64) and ALB both ways."""
    threshold = served.fitted.manifest.threshold
    for name, (_, rows) in served.predict.items():
        response = served.responses[f"predict:{name}"]
        assert response["statusCode"] == 200, (name, response["body"])
        body = response_json(response)
        answers = body["predictions"] if len(rows) > 1 else [body]
        assert len(answers) == len(rows), name
        for row, answer in zip(rows, answers, strict=True):
            expected = float(served.fitted.expected_p[row])
            assert answer["probability_positive_class"] == pytest.approx(expected, abs=1e-6)
            assert answer["prediction"] == int(expected >= threshold), name


def test_the_zips_wheels_are_installed_without_uvs_bytecode(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`make` exports UV_COMPILE_BYTECODE=1 for the venv; uv would then compile the zip's
    wheels with the Python running it (3.11), files the 3.12 runtime ignores."""
    from modelgate.infra.package import install_env

    monkeypatch.setenv("UV_COMPILE_BYTECODE", "1")
    monkeypatch.setenv("UV_CACHE_DIR", "/somewhere")
    env = install_env()
    assert "UV_COMPILE_BYTECODE" not in env and env["UV_CACHE_DIR"] == "/somewhere"

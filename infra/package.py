# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Build the Lambda deployment zip: ``modelgate/serving/`` plus exactly serving's locked
dependencies, for python3.12 on Amazon Linux 2023, deterministic, from modelgate's own
``uv.lock`` alone. ``modelgate/`` in the zip has no ``__init__.py`` (a namespace package):
nothing else of modelgate ships, and the handler is ``modelgate.serving.handler.handler``.

Both halves come from the installed modelgate, never from the repository it runs in: the
serving sources from the ``modelgate.serving`` package, the pins from the lock modelgate was
tested with (shipped in the wheel as ``modelgate/infra/serving.lock``, a copy of uv.lock; in
modelgate's source tree, that uv.lock itself). A team's own lock never decides what the
Lambda runs.

Why that runtime, when bytecode ships and what is removed: docs/design/lambda-package.md.
"""

from __future__ import annotations

import ast
import csv
import importlib.util
import io
import json
import os
import platform as platform_module
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from packaging.markers import Marker
from packaging.tags import Tag
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename

from modelgate.errors import ModelgateError
from modelgate.hashing import sha256_file
from modelgate.tools import SETUP_HINT, find_uv, tool_places

SCHEMA_VERSION = 1
# The one documented Lambda handler path is modelgate.serving.handler.handler (template.yaml)
SERVING_PACKAGE = "modelgate.serving"
SERVING_DIR = PurePosixPath("modelgate/serving")  # in the zip; modelgate/ has no __init__.py
SERVING_TOP = "modelgate"
SERVING_ROOTS = ("fastapi", "mangum", "onnxruntime", "numpy", "pydantic")
LOCK_FILENAME = "uv.lock"
# modelgate's uv.lock, as the wheel ships it (pyproject.toml: tool.hatch...force-include)
SHIPPED_LOCK = "serving.lock"
LOCK_LABEL = "modelgate's uv.lock"  # in messages: not the lock of the team's repository
# Distributions that must never reach the zip (design.md: size and cold start).
FORBIDDEN_IN_SERVING = frozenset({"mlflow", "pandas", "scipy", "scikit-learn", "matplotlib"})
# Modules the Lambda Python runtime provides; serving may import them without shipping them.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "awslambdaric"})
STRIPPED_DIR_NAMES = frozenset({"tests", "__pycache__"})
STRIPPED_TOP_LEVEL = frozenset({"bin"})
LAMBDA_TASK_ROOT = "/var/task"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
ZIP_COMPRESSLEVEL = 6  # level 9 measured 3x slower for 0.5% smaller
MIB = 1024 * 1024
ZIPPED_LIMIT_BYTES = 50 * MIB  # direct-upload limit of the Lambda API
UNZIPPED_LIMIT_BYTES = 250 * MIB  # 262,144,000 bytes: Lambda's hard limit
UNZIPPED_TARGET_BYTES = 150 * MIB  # our own budget, to keep cold starts and headroom
TOP_PACKAGES = 10

ARCH_MACHINES = {"x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
LAMBDA_ARCHES = {"x86_64": "x86_64", "aarch64": "arm64"}
UV_MANYLINUX = ((2, 40), (2, 39), (2, 38), (2, 37), (2, 36), (2, 35), (2, 34), (2, 33),
                (2, 32), (2, 31), (2, 28), (2, 17))
LEGACY_MANYLINUX = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
PLATFORM_RE = re.compile(r"^(?P<machine>x86_64|aarch64)-manylinux_(?P<major>\d+)_(?P<minor>\d+)$")
PYTHON_VERSION_RE = re.compile(r"^3\.(\d{1,2})$")
MANYLINUX_TAG_RE = re.compile(r"^manylinux_(?P<major>\d+)_(?P<minor>\d+)_(?P<machine>\w+)$")

ERR_RUNTIME = "unknown Lambda runtime {runtime!r}; supported: {known}"
ERR_ARCH = "unknown architecture {arch!r}; Lambda offers x86_64 and arm64"
ERR_PLATFORM = ("platform {platform!r} is not of the form '<x86_64|aarch64>-manylinux_<major>_"
                "<minor>' (a uv --python-platform value)")
ERR_PYTHON = "python version {version!r} is not of the form '3.<minor>'"
ERR_NO_LOCK = ("modelgate's own lock is missing (looked at {looked}): the Lambda zip is pinned "
               "to it and cannot be built; reinstall modelgate")
ERR_LOCK_ROOT = "{lock} has no package {name!r} among the project's dependencies"
ERR_LOCK_AMBIGUOUS = ("{lock} holds {count} versions of {name!r} and the dependency does not "
                      "say which")
ERR_LOCK_SOURCE = ("{name} {version} comes from {source}, not a package registry; the Lambda zip "
                   "only takes registry wheels with hashes from the lock")
ERR_NO_WHEEL = ("no wheel in {lock} fits {target}: {packages}. {hint}")
HINT_AL2 = ("{runtime} runs on Amazon Linux 2 (glibc 2.26); current onnxruntime wheels need "
            "glibc 2.28. Deploy on python3.12 (Amazon Linux 2023).")
HINT_GENERIC = "Pick a runtime/architecture these wheels support, or update the lock."
ERR_FORBIDDEN = ("serving's locked dependencies would pull in {names}, which must never reach "
                 "the Lambda zip; check what in {roots} now depends on them")
ERR_NO_UV = "uv not found (looked in {places}); {hint}"
ERR_UV_FAILED = "uv pip install failed (exit {code}) for {target}:\n{output}"
ERR_NO_SERVING = ("the installed modelgate has no serving package ({problem}); reinstall "
                  "modelgate")
ERR_FOREIGN_IMPORTS = ("serving imports {modules}, which the Lambda zip does not ship (only "
                       "{roots}, their dependencies, the standard library and {runtime})")
ERR_TAGS = "wheel tags do not fit {target}:\n{problems}"
ERR_COMPILE = "compiling bytecode failed (exit {code}):\n{output}"
ERR_ZIPPED = ("zip is {size} bytes; Lambda accepts at most {limit} bytes ({limit_mib} MiB) "
              "for a direct upload")
ERR_UNZIPPED = ("package is {size} bytes unzipped; Lambda's limit is {limit} bytes "
                "({limit_mib} MiB)")
WARN_TARGET = "package is {size_mib:.1f} MiB unzipped, above the {target_mib} MiB budget"
WARN_SOURCE_ONLY = ("no Python {target} interpreter found (looked at {looked}): the zip ships "
                    "sources only, so every cold start compiles what it imports (about "
                    "0.7-1 s more); install Python {target} (in GitHub Actions: "
                    "actions/setup-python with python-version '{target}') or pass --python")
ERR_PYTHON_BIN = ("--python {path}: {problem}; bytecode is per Python version, so it must be "
                  "an interpreter of the runtime's Python {target}")
WARN_NOT_IMPORTED = "not precompiled, import failed with the build interpreter: {failure}"
WARN_NOT_RUNTIME = ("built for {target}, which is not {runtime} on {arch}: this zip is for local "
                    "testing and must not be deployed")


class PackageError(ModelgateError):
    """A Lambda package that cannot be built or must not be shipped, with the reason."""


@dataclass(frozen=True)
class LambdaRuntime:
    """What a Lambda Python runtime offers: interpreter version and the OS's glibc."""

    name: str
    python: str
    os_name: str
    glibc: tuple[int, int]


RUNTIMES: Mapping[str, LambdaRuntime] = {
    r.name: r
    for r in (
        LambdaRuntime("python3.9", "3.9", "Amazon Linux 2", (2, 26)),
        LambdaRuntime("python3.10", "3.10", "Amazon Linux 2", (2, 26)),
        LambdaRuntime("python3.11", "3.11", "Amazon Linux 2", (2, 26)),
        LambdaRuntime("python3.12", "3.12", "Amazon Linux 2023", (2, 34)),
        LambdaRuntime("python3.13", "3.13", "Amazon Linux 2023", (2, 34)),
    )
}


@dataclass(frozen=True)
class Target:
    """The interpreter and platform a package is built for."""

    python: str  # "3.12"
    machine: str  # "x86_64" or "aarch64"
    glibc: tuple[int, int]

    @property
    def minor(self) -> int:
        return int(self.python.split(".")[1])

    @property
    def cp(self) -> str:
        return f"cp3{self.minor}"

    @property
    def uv_platform(self) -> str:
        """The highest manylinux level uv knows that this glibc still satisfies."""
        for level in UV_MANYLINUX:
            if level <= self.glibc:
                return f"{self.machine}-manylinux_{level[0]}_{level[1]}"
        raise PackageError(f"glibc {self.glibc} is older than any manylinux level uv supports")

    def marker_environment(self) -> dict[str, str]:
        full = f"{self.python}.0"
        return {
            "python_version": self.python,
            "python_full_version": full,
            "implementation_version": full,
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "sys_platform": "linux",
            "platform_system": "Linux",
            "os_name": "posix",
            "platform_machine": self.machine,
            "platform_release": "",
            "platform_version": "",
            "extra": "",
        }

    def __str__(self) -> str:
        return f"CPython {self.python} {self.machine} glibc {self.glibc[0]}.{self.glibc[1]}"


def runtime_target(runtime: str, arch: str) -> Target:
    """The target a Lambda runtime and architecture stand for."""
    if runtime not in RUNTIMES:
        raise PackageError(ERR_RUNTIME.format(runtime=runtime, known=", ".join(RUNTIMES)))
    if arch not in ARCH_MACHINES:
        raise PackageError(ERR_ARCH.format(arch=arch))
    info = RUNTIMES[runtime]
    return Target(python=info.python, machine=ARCH_MACHINES[arch], glibc=info.glibc)


def lambda_architecture(arch: str) -> str:
    """Lambda's name for an architecture ("x86_64" or "arm64")."""
    if arch not in ARCH_MACHINES:
        raise PackageError(ERR_ARCH.format(arch=arch))
    return LAMBDA_ARCHES[ARCH_MACHINES[arch]]


def resolve_target(runtime: str, arch: str, python_version: str | None,
                   platform: str | None) -> Target:
    """The runtime's target, with the interpreter and/or platform overridden."""
    base = runtime_target(runtime, arch)
    python = base.python if python_version is None else python_version
    if not PYTHON_VERSION_RE.match(python):
        raise PackageError(ERR_PYTHON.format(version=python))
    if platform is None:
        return Target(python=python, machine=base.machine, glibc=base.glibc)
    match = PLATFORM_RE.match(platform)
    if not match:
        raise PackageError(ERR_PLATFORM.format(platform=platform))
    return Target(python=python, machine=match["machine"],
                  glibc=(int(match["major"]), int(match["minor"])))


def local_target() -> Target:
    """This interpreter and machine, for a build that can be imported here."""
    machine = platform_module.machine()
    if machine not in LAMBDA_ARCHES:
        raise PackageError(ERR_ARCH.format(arch=machine))
    libc, version = platform_module.libc_ver()
    if libc != "glibc":
        raise PackageError(f"this machine's C library is {libc or 'unknown'}, not glibc")
    major, minor = (int(part) for part in version.split(".")[:2])
    return Target(python=f"{sys.version_info.major}.{sys.version_info.minor}", machine=machine,
                  glibc=(major, minor))


# --- the lock -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """One locked distribution with its wheel files and their hashes."""

    name: str
    version: str
    wheels: tuple[tuple[str, str], ...]  # (filename, "sha256:…")

    def requirement_line(self) -> str:
        hashes = " ".join(f"--hash={digest}" for _, digest in self.wheels)
        return f"{self.name}=={self.version} {hashes}".rstrip()


def _lock_index(lock: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    index: dict[str, list[dict[str, Any]]] = {}
    for package in lock.get("package", []):
        index.setdefault(canonicalize_name(package["name"]), []).append(package)
    return index


def _applies(dependency: Mapping[str, Any], env: Mapping[str, str]) -> bool:
    marker = dependency.get("marker")
    return marker is None or Marker(marker).evaluate(dict(env))


def _pick(index: Mapping[str, list[dict[str, Any]]],
          dependency: Mapping[str, Any]) -> dict[str, Any]:
    name = canonicalize_name(dependency["name"])
    candidates = index.get(name, [])
    if "version" in dependency:
        candidates = [c for c in candidates if c["version"] == dependency["version"]]
    if len(candidates) != 1:
        raise PackageError(ERR_LOCK_AMBIGUOUS.format(lock=LOCK_LABEL, count=len(candidates),
                                                     name=name))
    return candidates[0]


def _project(lock: Mapping[str, Any]) -> dict[str, Any]:
    for package in lock.get("package", []):
        source = package.get("source", {})
        if "editable" in source or "virtual" in source:
            return dict(package)
    raise PackageError(f"{LOCK_LABEL} has no editable or virtual project entry")


def pins_from_lock(lock: Mapping[str, Any], target: Target,
                   roots: Sequence[str] = SERVING_ROOTS) -> list[Pin]:
    """Walk the lock's graph from ``roots`` for ``target``; one pin per distribution."""
    env = target.marker_environment()
    index = _lock_index(lock)
    wanted = {canonicalize_name(r) for r in roots}
    start = [d for d in _project(lock).get("dependencies", [])
             if canonicalize_name(d["name"]) in wanted and _applies(d, env)]
    missing = wanted - {canonicalize_name(d["name"]) for d in start}
    if missing:
        raise PackageError(ERR_LOCK_ROOT.format(lock=LOCK_LABEL, name=sorted(missing)[0]))
    pins: dict[str, Pin] = {}
    seen_extras: set[tuple[str, str]] = set()
    queue: list[Mapping[str, Any]] = list(start)
    while queue:
        dependency = queue.pop()
        package = _pick(index, dependency)
        name = canonicalize_name(package["name"])
        extras = [e for e in dependency.get("extra", []) if (name, e) not in seen_extras]
        seen_extras.update((name, e) for e in extras)
        for extra in extras:
            optional = package.get("optional-dependencies", {}).get(extra, [])
            queue.extend(d for d in optional if _applies(d, env))
        if name in pins:
            continue
        source = package.get("source", {})
        if "registry" not in source:
            raise PackageError(ERR_LOCK_SOURCE.format(name=name, version=package["version"],
                                                      source=source))
        wheels = tuple((PurePosixPath(w["url"]).name, w["hash"]) for w in package.get("wheels", []))
        pins[name] = Pin(name=name, version=package["version"], wheels=wheels)
        queue.extend(d for d in package.get("dependencies", []) if _applies(d, env))
    return [pins[name] for name in sorted(pins)]


def _is_modelgate_checkout(root: Path) -> bool:
    try:
        with (root / "pyproject.toml").open("rb") as handle:
            return str(tomllib.load(handle).get("project", {}).get("name")) == "modelgate"
    except (OSError, tomllib.TOMLDecodeError):
        return False


def lock_places() -> list[Path]:
    """Where modelgate's own lock may be: shipped beside this module (an installed wheel),
    then the uv.lock of the source tree this module lives in (a checkout of modelgate)."""
    here = Path(__file__)
    return [here.with_name(SHIPPED_LOCK), here.resolve().parent.parent / LOCK_FILENAME]


def serving_lock_path() -> Path:
    """modelgate's own lock; never the lock of the repository modelgate runs in."""
    shipped, checkout = lock_places()
    if shipped.is_file():
        return shipped
    if checkout.is_file() and _is_modelgate_checkout(checkout.parent):
        return checkout
    raise PackageError(ERR_NO_LOCK.format(looked=f"{shipped}, {checkout}"))


def read_lock(path: Path | None = None) -> dict[str, Any]:
    """A uv lock file; by default modelgate's own (:func:`serving_lock_path`)."""
    path = serving_lock_path() if path is None else path
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PackageError(f"cannot read the lock {path}: {exc}") from exc


# --- wheel tags -----------------------------------------------------------------------


def _platform_fits(platform_tag: str, target: Target) -> bool:
    if platform_tag == "any":
        return True
    match = MANYLINUX_TAG_RE.match(platform_tag)
    if match:
        level = (int(match["major"]), int(match["minor"]))
        return match["machine"] == target.machine and level <= target.glibc
    for legacy, level in LEGACY_MANYLINUX.items():
        if platform_tag == f"{legacy}_{target.machine}":
            return level <= target.glibc
    return False


def _python_fits(interpreter: str, abi: str, target: Target) -> bool:
    if abi == "abi3":
        return interpreter.startswith("cp3") and int(interpreter[3:] or 0) <= target.minor
    if abi != "none":
        return interpreter == target.cp and abi in (target.cp, f"{target.cp}m")
    if interpreter in ("py3", "cp3"):
        return True
    for prefix in ("py3", "cp3"):
        if interpreter.startswith(prefix) and interpreter[3:].isdigit():
            return int(interpreter[3:]) <= target.minor
    return False


def tag_fits(tag: Tag, target: Target) -> bool:
    """Whether a wheel tag installs on ``target`` (CPython, glibc Linux)."""
    return _python_fits(tag.interpreter, tag.abi, target) and _platform_fits(tag.platform, target)


def tag_problems(wheel_tags: Mapping[str, Sequence[Tag]], target: Target) -> list[str]:
    """One line per wheel tag that does not fit; empty when every wheel fits.

    Every tag must fit, not just one: a foreign tag means the wrong wheel was installed.
    The one exception is ``py2`` beside a fitting ``py3`` tag (a universal wheel).
    """
    problems: list[str] = []
    for dist in sorted(wheel_tags):
        tags = list(wheel_tags[dist])
        if not tags:
            problems.append(f"{dist}: WHEEL has no Tag line")
            continue
        has_fit = any(tag_fits(tag, target) for tag in tags)
        for tag in tags:
            if tag_fits(tag, target):
                continue
            universal_leftover = tag.interpreter == "py2" and tag.platform == "any" and has_fit
            if not universal_leftover:
                problems.append(f"{dist}: {tag}")
    return problems


def parse_wheel_metadata(text: str) -> list[Tag]:
    """The ``Tag:`` lines of a ``*.dist-info/WHEEL`` file."""
    tags: list[Tag] = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Tag":
            interpreter, abi, plat = value.strip().split("-")
            tags.append(Tag(interpreter, abi, plat))
    return tags


def directory_wheel_tags(root: Path) -> dict[str, list[Tag]]:
    return {
        wheel.parent.name: parse_wheel_metadata(wheel.read_text(encoding="utf-8"))
        for wheel in sorted(root.glob("*.dist-info/WHEEL"))
    }


def zip_wheel_tags(zip_path: Path) -> dict[str, list[Tag]]:
    """The wheel tags recorded inside a built Lambda zip."""
    with zipfile.ZipFile(zip_path) as archive:
        return {
            PurePosixPath(name).parent.name: parse_wheel_metadata(
                archive.read(name).decode("utf-8"))
            for name in sorted(archive.namelist())
            if re.fullmatch(r"[^/]+\.dist-info/WHEEL", name)
        }


def check_zip(zip_path: Path, target: Target) -> None:
    """Refuse a zip whose wheels were not built for ``target``."""
    tags = zip_wheel_tags(zip_path)
    if not tags:
        raise PackageError(f"{zip_path} holds no *.dist-info/WHEEL: not a modelgate Lambda zip")
    problems = tag_problems(tags, target)
    if problems:
        raise PackageError(ERR_TAGS.format(target=target, problems="\n".join(problems)))


def unavailable(pins: Iterable[Pin], target: Target) -> list[str]:
    """Pins whose lock entry has no wheel that installs on ``target``."""
    missing: list[str] = []
    for pin in pins:
        fits = False
        for filename, _ in pin.wheels:
            try:
                _, _, _, tags = parse_wheel_filename(filename)
            except InvalidWheelFilename:
                continue
            fits = fits or any(tag_fits(tag, target) for tag in tags)
        if not fits:
            missing.append(f"{pin.name} {pin.version}")
    return missing


# --- the build ------------------------------------------------------------------------


@dataclass(frozen=True)
class PackageReport:
    """What was built, how big it is, and what to watch."""

    zip_path: str
    sha256: str
    zip_bytes: int
    unzipped_bytes: int
    file_count: int
    largest: list[tuple[str, int]]
    pins: list[str]
    runtime: str
    arch: str
    target: str
    deployable: bool
    bytecode_files: int
    warnings: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION
    compiled_by: str | None = None  # the interpreter that compiled the bytecode

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    def summary(self) -> str:
        lines = [
            f"zip       {self.zip_path}",
            f"sha256    {self.sha256}",
            f"target    {self.target} ({'deployable on' if self.deployable else 'NOT for'} "
            f"{self.runtime} {self.arch})",
            f"zipped    {self.zip_bytes / MIB:8.1f} MiB  (limit {ZIPPED_LIMIT_BYTES // MIB} MiB)",
            f"unzipped  {self.unzipped_bytes / MIB:8.1f} MiB  (limit {UNZIPPED_LIMIT_BYTES // MIB}"
            f" MiB, budget {UNZIPPED_TARGET_BYTES // MIB} MiB)",
            f"files     {self.file_count}",
            f"bytecode  {self.bytecode_files or 'none, sources only'}"
            + (f" cold-start modules compiled by {self.compiled_by}"
               if self.bytecode_files else ""),
            "largest packages (unzipped):",
            *(f"  {size / MIB:8.1f} MiB  {name}" for name, size in self.largest),
            *(f"warning: {w}" for w in self.warnings),
        ]
        return "\n".join(lines)


def _run(command: Sequence[str], *, cwd: Path | None = None,
         env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False,
                          env=None if env is None else dict(env))


def install_env() -> dict[str, str]:
    """The environment uv installs the zip's wheels in: never UV_COMPILE_BYTECODE (the
    Makefile exports it for the venv), which would compile every file with the Python
    running uv, not the runtime's; the bytecode the zip ships is compile_bytecode's."""
    return {k: v for k, v in os.environ.items() if k != "UV_COMPILE_BYTECODE"}


def install_pins(pins: Sequence[Pin], target: Target, dest: Path, *, uv: str,
                 cache_dir: Path | None) -> None:
    """Install exactly the pinned wheels for ``target`` into ``dest``."""
    requirements = dest.parent / "pinned.txt"
    requirements.write_text("".join(pin.requirement_line() + "\n" for pin in pins),
                            encoding="utf-8")
    command = [uv, "pip", "install", "--quiet", "--target", str(dest),
               "--python-platform", target.uv_platform, "--python-version", target.python,
               "--only-binary", ":all:", "--no-deps", "--require-hashes",
               # hardlinks from uv's cache are fast to make and to delete; every later edit of
               # the staging tree replaces or removes files, never writes into one
               "--link-mode", "hardlink", "-r", str(requirements)]
    if cache_dir is not None:
        command += ["--cache-dir", str(cache_dir)]
    done = _run(command, env=install_env())
    if done.returncode != 0:
        output = (done.stdout + done.stderr).strip()[-4000:]
        raise PackageError(ERR_UV_FAILED.format(code=done.returncode, target=target, output=output))


def serving_source() -> Path:
    """The directory of the installed ``modelgate.serving`` (symlinks resolved: the same
    files in the source tree and in the wheel), found without importing it."""
    spec = importlib.util.find_spec(SERVING_PACKAGE)
    if spec is None or spec.origin is None:
        raise PackageError(ERR_NO_SERVING.format(problem=f"{SERVING_PACKAGE} not importable"))
    source = Path(spec.origin).resolve().parent
    if not (source / "__init__.py").is_file():
        raise PackageError(ERR_NO_SERVING.format(problem=f"no {source / '__init__.py'}"))
    return source


def copy_serving(dest: Path, source: Path | None = None) -> None:
    """Copy serving's sources (by default the installed package's) to ``dest``'s
    ``modelgate/serving/``."""
    source = serving_source() if source is None else source
    shutil.copytree(source, dest / SERVING_DIR,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))


def imported_modules(package_dir: Path) -> set[str]:
    """Absolute dotted module names imported anywhere in a package's sources."""
    names: set[str] = set()
    for path in sorted(package_dir.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def check_serving_imports(staging: Path) -> None:
    """Refuse a serving package that imports something the zip does not ship."""
    shipped = {p.name for p in staging.iterdir() if p.is_dir()}
    shipped |= {p.stem for p in staging.glob("*.py")}
    shipped |= {p.name.split(".")[0] for p in staging.glob("*.so")}
    allowed = shipped | set(sys.stdlib_module_names) | RUNTIME_PROVIDED | {"__future__"}
    imported = imported_modules(staging / SERVING_DIR)
    top_levels = {name.split(".")[0] for name in imported}
    foreign = sorted(top_levels - allowed - {SERVING_TOP})
    # of modelgate, the zip ships modelgate.serving alone
    foreign += sorted(name for name in imported if name.split(".")[0] == SERVING_TOP
                      and name != SERVING_PACKAGE and not name.startswith(SERVING_PACKAGE + "."))
    if foreign:
        raise PackageError(ERR_FOREIGN_IMPORTS.format(
            modules=", ".join(foreign), roots=", ".join(SERVING_ROOTS),
            runtime=", ".join(sorted(RUNTIME_PROVIDED))))


def _rewrite_record(record: Path, removed: set[str]) -> None:
    with record.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    kept = [row for row in rows if row and row[0] not in removed]
    if len(kept) == len(rows):
        return
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(kept)
    tmp = record.with_suffix(".tmp")
    tmp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(tmp, record)


def strip_tree(staging: Path) -> int:
    """Remove what Lambda never runs; keep each RECORD true. Returns bytes removed."""
    removed: set[str] = set()
    freed = 0
    doomed = [staging / name for name in STRIPPED_TOP_LEVEL if (staging / name).exists()]
    doomed += sorted({p for p in staging.rglob("*") if p.is_dir() and p.name in STRIPPED_DIR_NAMES
                      and p.parent != staging},
                     key=lambda p: len(p.parts))
    for directory in doomed:
        if not directory.exists():
            continue  # inside a directory removed already
        for path in directory.rglob("*"):
            if path.is_file():
                freed += path.stat().st_size
                removed.add(path.relative_to(staging).as_posix())
        shutil.rmtree(directory)
    for record in staging.glob("*.dist-info/RECORD"):
        _rewrite_record(record, removed)
    return freed


COMPILE_SCRIPT = """
import importlib, importlib.util, json, os, py_compile, sys
staging, prefix, package, modules = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path.insert(0, staging)
failed = []
for name in modules:
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed.append(f"{name}: {exc!r}")
files = set()
for module in list(sys.modules.values()):
    path = os.path.abspath(getattr(module, "__file__", None) or "")
    if path.endswith(".py") and path.startswith(staging + os.sep):
        files.add(path)
for root, _, names in os.walk(os.path.join(staging, package)):
    files.update(os.path.join(root, n) for n in names if n.endswith(".py"))
mode = py_compile.PycInvalidationMode.UNCHECKED_HASH
for path in sorted(files):
    dfile = os.path.join(prefix, os.path.relpath(path, staging))
    py_compile.compile(path, cfile=importlib.util.cache_from_source(path), dfile=dfile,
                       doraise=True, invalidation_mode=mode)
print(json.dumps({"compiled": len(files), "failed": failed}))
"""


VERSION_SCRIPT = "import sys; print('%d.%d' % sys.version_info[:2])"


def third_party_imports(package_dir: Path) -> list[str]:
    """Dotted modules serving imports from its dependencies (what a cold start loads)."""
    local = set(sys.stdlib_module_names) | RUNTIME_PROVIDED | {SERVING_TOP, "__future__"}
    return sorted(n for n in imported_modules(package_dir) if n.split(".")[0] not in local)


def interpreter_version(python: str) -> str | None:
    """``"3.12"`` for a runnable interpreter, else None (a pyenv shim without that version
    installed, a missing file)."""
    try:
        done = subprocess.run([python, "-I", "-c", VERSION_SCRIPT], capture_output=True,
                              text=True, check=False, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    out = done.stdout.strip()
    return out if done.returncode == 0 and PYTHON_VERSION_RE.match(out) else None


def _candidates(version: str, uv: str | None) -> Iterator[str]:
    """Where a Python ``version`` interpreter may be: this one, pyenv's versions, uv's
    managed ones, then ``pythonX.Y`` on PATH."""
    yield sys.executable
    roots = [Path(os.environ["PYENV_ROOT"])] if os.environ.get("PYENV_ROOT") else []
    roots.append(Path.home() / ".pyenv")
    for root in roots:
        found = sorted(root.glob(f"versions/{version}.*/bin/python{version}"),
                       key=lambda p: [int(x) if x.isdigit() else -1
                                      for x in p.parts[-3].split(".")], reverse=True)
        yield from (str(p) for p in found)
    if uv is not None:
        done = _run([uv, "python", "find", "--no-project", version])
        if done.returncode == 0 and done.stdout.strip():
            yield done.stdout.strip().splitlines()[-1]
    on_path = shutil.which(f"python{version}")
    if on_path:
        yield on_path


def find_python(target: Target, explicit: str | None = None, *, uv: str | None = None
                ) -> str | None:
    """An interpreter of the target's Python version to compile bytecode with.

    ``explicit`` (``--python``) must be one, or the build is refused: a user who named an
    interpreter expects it used. Otherwise the first found, or None.
    """
    if explicit is not None:
        version = interpreter_version(explicit)
        if version is None:
            raise PackageError(ERR_PYTHON_BIN.format(path=explicit, problem="does not run",
                                                     target=target.python))
        if version != target.python:
            raise PackageError(ERR_PYTHON_BIN.format(
                path=explicit, problem=f"is Python {version}", target=target.python))
        return explicit
    seen: set[str] = set()
    for candidate in _candidates(target.python, uv):
        if candidate in seen:
            continue
        seen.add(candidate)
        if interpreter_version(candidate) == target.python:
            return candidate
    return None


def compile_bytecode(staging: Path, python: str) -> tuple[int, list[str]]:
    """Precompile serving and the dependency modules it loads at a cold start, with
    ``python`` (an interpreter of the target's version: a pyc's magic number is per
    version).

    Only the cold-start closure: bytecode for every dependency file would add about 10 MB
    to the zip (past the 50 MiB upload limit) for modules a request never touches.
    Returns the number of files compiled and the modules that could not be imported here.
    """
    modules = [*SERVING_ROOTS, *third_party_imports(staging / SERVING_DIR)]
    done = _run([python, "-I", "-B", "-c", COMPILE_SCRIPT, str(staging),
                 LAMBDA_TASK_ROOT, str(SERVING_DIR), json.dumps(sorted(set(modules)))])
    if done.returncode != 0:
        raise PackageError(ERR_COMPILE.format(code=done.returncode,
                                              output=(done.stdout + done.stderr)[-4000:]))
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return int(result["compiled"]), [str(f) for f in result["failed"]]


def _files(staging: Path) -> Iterator[tuple[str, Path]]:
    for path in staging.rglob("*"):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(staging).as_posix(), path


def _owners(staging: Path) -> dict[str, str]:
    """Map every path listed in a RECORD to its distribution's name."""
    owners: dict[str, str] = {}
    for record in staging.glob("*.dist-info/RECORD"):
        dist = record.parent.name.split("-")[0].replace("_", "-").lower()
        with record.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                if row:
                    owners[row[0]] = dist
        owners[record.relative_to(staging).as_posix()] = dist
    return owners


def _owner(relative: str, owners: Mapping[str, str]) -> str:
    if relative in owners:
        return owners[relative]
    parts = PurePosixPath(relative)
    if parts.parent.name == "__pycache__":  # bytecode belongs to its source's distribution
        source = (parts.parent.parent / (parts.name.split(".")[0] + ".py")).as_posix()
        if source in owners:
            return owners[source]
    top = parts.parts[0]
    if top == SERVING_TOP:
        return f"{SERVING_PACKAGE} (modelgate)"
    siblings = {owner for path, owner in owners.items() if path.split("/")[0] == top}
    return siblings.pop() if len(siblings) == 1 else top


def measure(staging: Path) -> tuple[int, int, list[tuple[str, int]]]:
    """Unzipped bytes, file count and per-distribution sizes, biggest first."""
    owners = _owners(staging)
    sizes: dict[str, int] = {}
    total = count = 0
    for relative, path in _files(staging):
        size = path.stat().st_size
        total += size
        count += 1
        owner = _owner(relative, owners)
        sizes[owner] = sizes.get(owner, 0) + size
    ranked = sorted(sizes.items(), key=lambda item: (-item[1], item[0]))
    return total, count, ranked


def write_zip(staging: Path, out_path: Path) -> str:
    """Write a deterministic zip (sorted, fixed times and modes); return its sha256."""
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(out_path.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=ZIP_COMPRESSLEVEL) as archive:
        for relative, path in sorted(_files(staging)):
            info = zipfile.ZipInfo(relative, date_time=ZIP_EPOCH)
            info.create_system = 3  # unix, so external_attr carries the mode
            executable = path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    os.replace(tmp, out_path)
    return sha256_file(out_path)


def check_sizes(*, unzipped: int, zipped: int | None = None) -> list[str]:
    """Refuse what Lambda would refuse; return a warning past our own budget."""
    if unzipped > UNZIPPED_LIMIT_BYTES:
        raise PackageError(ERR_UNZIPPED.format(size=unzipped, limit=UNZIPPED_LIMIT_BYTES,
                                               limit_mib=UNZIPPED_LIMIT_BYTES // MIB))
    if zipped is not None and zipped > ZIPPED_LIMIT_BYTES:
        raise PackageError(ERR_ZIPPED.format(size=zipped, limit=ZIPPED_LIMIT_BYTES,
                                             limit_mib=ZIPPED_LIMIT_BYTES // MIB))
    if unzipped > UNZIPPED_TARGET_BYTES:
        return [WARN_TARGET.format(size_mib=unzipped / MIB,
                                   target_mib=UNZIPPED_TARGET_BYTES // MIB)]
    return []


def build_package(repo_root: Path | None, out_path: Path, *, runtime: str = "python3.12",
                  arch: str = "x86_64", python_version: str | None = None,
                  platform: str | None = None, uv: str | None = None,
                  cache_dir: Path | None = None, python: str | None = None) -> PackageReport:
    """Build the Lambda zip for ``runtime``/``arch`` (or an overridden interpreter/platform).

    ``repo_root`` is only where else to look for uv (``.modelgate/tools/bin``): the sources
    and the pins come from the installed modelgate (module docstring).

    Overriding ``python_version``/``platform`` builds the same pins for another target,
    such as this machine for an import test; such a zip is reported as not deployable.
    ``python`` names the interpreter that compiles the bytecode (it must be the target's
    version); without it one is looked for (:func:`find_python`), and without one the zip
    ships sources only, with a warning.
    """
    repo_root = None if repo_root is None else Path(repo_root).resolve()
    out_path = Path(out_path).resolve()
    target = resolve_target(runtime, arch, python_version, platform)
    deployable = target == runtime_target(runtime, arch)
    pins = pins_from_lock(read_lock(), target)
    forbidden = sorted({pin.name for pin in pins} & FORBIDDEN_IN_SERVING)
    if forbidden:
        raise PackageError(ERR_FORBIDDEN.format(names=", ".join(forbidden),
                                                roots=", ".join(SERVING_ROOTS)))
    missing = unavailable(pins, target)
    if missing:
        hint = (HINT_AL2.format(runtime=runtime)
                if RUNTIMES[runtime].glibc < (2, 28) and deployable else HINT_GENERIC)
        raise PackageError(ERR_NO_WHEEL.format(lock=LOCK_LABEL, target=target,
                                               packages=", ".join(missing), hint=hint))
    uv_path = uv or find_uv(repo_root)
    if uv_path is None:
        raise PackageError(ERR_NO_UV.format(places=", ".join(tool_places(repo_root)),
                                            hint=SETUP_HINT))
    warnings: list[str] = []
    if not deployable:
        warnings.append(WARN_NOT_RUNTIME.format(target=target, runtime=runtime, arch=arch))
    with tempfile.TemporaryDirectory(prefix="modelgate-package-") as work:
        staging = Path(work) / "task"
        staging.mkdir()
        install_pins(pins, target, staging, uv=uv_path, cache_dir=cache_dir)
        copy_serving(staging)
        check_serving_imports(staging)
        strip_tree(staging)
        problems = tag_problems(directory_wheel_tags(staging), target)
        if problems:
            raise PackageError(ERR_TAGS.format(target=target, problems="\n".join(problems)))
        compiler = find_python(target, python, uv=uv_path)
        compiled, not_imported = 0, list[str]()
        if compiler is None:
            warnings.append(WARN_SOURCE_ONLY.format(
                target=target.python,
                looked=f"this interpreter, pyenv, uv's Pythons, python{target.python} on PATH"))
        else:
            compiled, not_imported = compile_bytecode(staging, compiler)
        warnings.extend(WARN_NOT_IMPORTED.format(failure=f) for f in not_imported)
        unzipped, count, ranked = measure(staging)
        warnings.extend(check_sizes(unzipped=unzipped))
        sha256 = write_zip(staging, out_path)
    zipped = out_path.stat().st_size
    try:
        check_sizes(unzipped=unzipped, zipped=zipped)
    except PackageError:
        out_path.unlink()  # an oversized zip must not be picked up by a later step
        raise
    return PackageReport(
        zip_path=str(out_path), sha256=sha256, zip_bytes=zipped, unzipped_bytes=unzipped,
        file_count=count, largest=ranked[:TOP_PACKAGES],
        pins=[f"{pin.name}=={pin.version}" for pin in pins], runtime=runtime,
        arch=lambda_architecture(arch), target=str(target), deployable=deployable,
        bytecode_files=compiled, warnings=warnings, compiled_by=compiler)


def timed_build(repo_root: Path | None, out_path: Path,
                **options: Any) -> tuple[PackageReport, float]:
    """Build and return the wall-clock seconds it took (for the bench and the CLI)."""
    started = time.perf_counter()
    report = build_package(repo_root, out_path, **options)
    return report, time.perf_counter() - started

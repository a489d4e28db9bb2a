# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate init``: make the team's git repository ready for the gate.

    modelgate init --data data/churn.csv --target churned --id-column customer_id \\
        --license CC-BY-4.0 --copyright "2026 Example Ltd" --source "CRM export" \\
        --role data-steward=dana --role ml-reviewer=mo --role gate-owners=gita \\
        --modelgate-ref <40-hex commit of modelgate>

writes governance.yml (every key commented), the caller workflows, model_cards/, the data
manifest and its REUSE entries (what ``modelgate data add`` writes) and a .gitignore line,
validates the result as ``modelgate validate-config`` does, and says what is still to do
on GitHub (``modelgate doctor`` runs when a token and --repo are given). A flag left out
is asked for on a terminal; without one it is a usage error (exit 2). Idempotent: a second
run keeps every file; a file that differs is never overwritten without ``--force``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast, get_args

from modelgate.bot.init.infer import Design, InitError, design, read_table
from modelgate.bot.init.render import TEMPLATE_LICENSE, Identity, RoleInput, governance_text
from modelgate.bot.init.scaffold import DataEntry, plan, refuse_overwrites, write
from modelgate.datafiles import SPDX_ID_RE
from modelgate.errors import ExitCode
from modelgate.governance import (
    CONFIG_FILENAME,
    ROLE_NAME_RE,
    LoadedConfig,
    Task,
    load_config,
    parse_governance,
)
from modelgate.progress import Reporter

HELP = "write governance.yml, the caller workflows and the data manifest into this repository"
DEFAULT_MODELGATE_REPO = "modelgate/modelgate"
GATE_ROLE = "gate-owners"
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
REPO_RE = re.compile(r"^[\w.-]+/[\w.-]+$")
LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$")
MODEL_NAME_RE = re.compile(r"^[A-Za-z0-9][\w.-]{0,99}$")
PII_STATUSES = ("unreviewed", "none", "present")

# (flag, attribute, prompt) of every value init cannot choose itself
REQUIRED = (
    ("--data", "data", "the team's CSV, inside this repository"),
    ("--target", "target", "the column the model predicts"),
    ("--id-column", "id_column", "the column of unique row ids"),
    ("--license", "license", "SPDX licence id of the data, e.g. CC-BY-4.0"),
    ("--copyright", "copyright", "who holds the data's copyright, e.g. '2026 Example Ltd'"),
    ("--source", "source", "where the data comes from (URL, system)"),
    ("--role", "role", "approval roles, NAME=login[,login] separated by spaces"),
    ("--modelgate-ref", "modelgate_ref", "the modelgate commit the workflows call (40 hex)"),
)
MSG_MISSING = ("missing {flags}: pass {them} (there is no terminal to ask on); "
               "`modelgate init --help` describes each")
MSG_NOT_GIT = "{root} is not inside a git repository: run `git init` there first"
MSG_OUTSIDE = "--data {path} is outside the repository {root}: put the CSV inside it"
MSG_BAD_ROLE = "--role {value!r}: write NAME=login[,login], e.g. data-steward=dana"
MSG_BAD_ROLE_NAME = ("--role {value!r}: the role name must be lowercase letters, digits, "
                     "'-' or '_' (it becomes a GitHub label)")
MSG_BAD_LOGIN = "--role {value!r}: {login!r} is not a GitHub login"
MSG_ROLE_TWICE = "--role names {name!r} twice"
MSG_GATE_ROLE = "--gate-role {name!r} is not one of the roles given with --role: {names}"
MSG_ONLY_GATE = "--role: the gate role {name!r} needs at least one other role beside it"
MSG_BAD_REF = ("--modelgate-ref {value!r} must be a full 40-hex commit SHA: the workflows "
               "pin the gate by commit, never by a branch or tag that can move")
MSG_BAD_LICENSE = ("--license {value!r} is not an SPDX licence expression (e.g. CC-BY-4.0, "
                   "see https://spdx.org/licenses/)")
MSG_BAD_MODELGATE_REPO = "--modelgate-repo must be OWNER/NAME, got {value!r}"
MSG_BAD_MODEL_NAME = ("--model-name {value!r}: letters, digits, '.', '_' or '-', starting "
                      "with a letter or digit, at most 100 characters")
MSG_BAD_FEATURES = "--features {value!r}: list column names separated by commas"
MSG_NO_REQUIREMENT = ("--modelgate-requirement: this modelgate is not installed as a "
                      "package, so its version is unknown; pass e.g. modelgate==0.1.0")
MSG_CONFIG_INVALID = "the governance.yml init would write is not valid: {error}"
MSG_PREFLIGHT = ("governance.yml is written, but validate-config finds:\n{problems}\n"
                 "fix governance.yml (or the flags) and run `modelgate validate-config`")
MSG_VALID = "validate-config: {path}: valid (model {model}, {task}, {features} features, " \
            "{roles} roles)"
MSG_WRITTEN = "wrote {written} file(s), kept {kept} unchanged"
MSG_DOCTOR = ("doctor exited {code}: init's files stand; change the settings it names and run "
              "`modelgate doctor` again until it exits 0")
STATUS_PLAN = {"created": "create", "kept": "keep", "overwrite": "would overwrite"}

Prompt = Callable[[str], str]


def _is_tty() -> bool:
    return sys.stdin.isatty()


def _git_root(start: Path) -> Path:
    try:
        out = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=False)
    except OSError as exc:
        raise InitError(f"git could not run: {exc}") from exc
    if out.returncode != 0:
        raise InitError(MSG_NOT_GIT.format(root=start))
    return Path(out.stdout.strip()).resolve()


def _fill(args: argparse.Namespace, prompt: Prompt | None) -> None:
    """Ask for every required value not given, or name them all when nothing can ask."""
    missing = [(flag, attr, text) for flag, attr, text in REQUIRED if not getattr(args, attr)]
    if not missing:
        return
    if prompt is None:
        flags = ", ".join(flag for flag, _, _ in missing)
        raise InitError(MSG_MISSING.format(flags=flags,
                                           them="them" if len(missing) > 1 else "it"))
    for flag, attr, text in missing:
        answer = prompt(f"{flag} ({text}): ").strip()
        if not answer:
            raise InitError(MSG_MISSING.format(flags=flag, them="it"))
        setattr(args, attr, answer.split() if attr == "role" else answer)


def _roles(values: Sequence[str], gate_flag: str | None) -> tuple[tuple[RoleInput, ...],
                                                                  str | None]:
    roles: list[RoleInput] = []
    for value in values:
        name, sep, logins = value.partition("=")
        name, users = name.strip(), tuple(u.strip() for u in logins.split(",") if u.strip())
        if not sep or not name or not users:
            raise InitError(MSG_BAD_ROLE.format(value=value))
        if not ROLE_NAME_RE.match(name):
            raise InitError(MSG_BAD_ROLE_NAME.format(value=value))
        bad = next((u for u in users if not LOGIN_RE.match(u)), None)
        if bad is not None:
            raise InitError(MSG_BAD_LOGIN.format(value=value, login=bad))
        if any(r.name == name for r in roles):
            raise InitError(MSG_ROLE_TWICE.format(name=name))
        roles.append(RoleInput(name, users))
    names = [r.name for r in roles]
    gate = gate_flag if gate_flag is not None else (GATE_ROLE if GATE_ROLE in names else None)
    if gate is not None and gate not in names:
        raise InitError(MSG_GATE_ROLE.format(name=gate, names=names))
    if gate is not None and names == [gate]:
        raise InitError(MSG_ONLY_GATE.format(name=gate))
    return tuple(roles), gate


def _requirement(given: str | None) -> str:
    if given:
        return given
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"modelgate=={version('modelgate')}"
    except PackageNotFoundError:
        raise InitError(MSG_NO_REQUIREMENT) from None


def _model_name(given: str | None, root: Path) -> str:
    name = given or re.sub(r"[^\w.-]+", "-", root.name).strip("-._") or "model"
    if not MODEL_NAME_RE.match(name):
        raise InitError(MSG_BAD_MODEL_NAME.format(value=name))
    return name


def _features(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [n.strip() for n in value.split(",")]
    if not all(names):
        raise InitError(MSG_BAD_FEATURES.format(value=value))
    return names


def _identity(args: argparse.Namespace, root: Path, data: Path) -> Identity:
    if not SPDX_ID_RE.match(args.license):
        raise InitError(MSG_BAD_LICENSE.format(value=args.license))
    if not SHA_RE.match(args.modelgate_ref):
        raise InitError(MSG_BAD_REF.format(value=args.modelgate_ref))
    if not REPO_RE.match(args.modelgate_repo):
        raise InitError(MSG_BAD_MODELGATE_REPO.format(value=args.modelgate_repo))
    roles, gate = _roles(args.role, args.gate_role)
    owners = tuple(dict.fromkeys(u for r in roles for u in r.users))
    relative = data.relative_to(root)
    manifest = relative.with_name(f"{relative.stem}.manifest.json")
    return Identity(
        model_name=_model_name(args.model_name, root), data_path=relative.as_posix(),
        manifest_path=manifest.as_posix(), id_column=args.id_column, target=args.target,
        roles=roles, gate_role=gate, owners=owners, modelgate_repo=args.modelgate_repo,
        modelgate_ref=args.modelgate_ref,
        modelgate_requirement=_requirement(args.modelgate_requirement))


def _data_path(value: str, root: Path) -> Path:
    path = Path(value)
    path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        path.relative_to(root)
    except ValueError:
        raise InitError(MSG_OUTSIDE.format(path=value, root=root)) from None
    return path


def _preflight(root: Path, text: str) -> None:
    """Before anything is written: the schema, the estimator's build and every column."""
    from modelgate.governance import ConfigError
    from modelgate.training.preflight import check_against_data

    path = root / CONFIG_FILENAME
    try:
        gov = parse_governance(text, path)
    except ConfigError as exc:
        raise InitError(MSG_CONFIG_INVALID.format(error=exc)) from exc
    config = LoadedConfig(governance=gov, path=path, root=root, sha256="0" * 64)
    problems = check_against_data(config, servable=False)
    if problems:
        raise InitError(MSG_CONFIG_INVALID.format(error="; ".join(problems)))


def _validate(root: Path) -> LoadedConfig:
    """After writing: what `modelgate validate-config` checks, conversion to ONNX included."""
    from modelgate.training.preflight import check_against_data

    config = load_config(root / CONFIG_FILENAME)
    problems = check_against_data(config)
    if problems:
        raise InitError(MSG_PREFLIGHT.format(problems="\n".join(f"  - {p}"
                                                                for p in problems)))
    return config


def _todo(root: Path, ident: Identity, entry: DataEntry) -> list[str]:
    out = [f"replace each TODO under model: in {CONFIG_FILENAME} (the model card shows "
           "them), and review the decisions above"]
    texts = [i for i in sorted({entry.license_id, TEMPLATE_LICENSE})
             if not (root / "LICENSES" / f"{i}.txt").is_file()]
    if texts:
        out.append(f"licence texts missing from LICENSES/: `reuse download {' '.join(texts)}` "
                   "(the ip_headers audit runs `reuse lint` over the whole repository)")
    for name, why in (("pyproject.toml", "the security audit reads the dependencies"),
                      ("uv.lock", "the security audit needs every dependency pinned: "
                                  "`uv lock`")):
        if not (root / name).is_file():
            out.append(f"{name} is missing: {why}")
    if entry.pii_status != "none":
        words = ["modelgate", "data", "add", ident.data_path, "--license", entry.license_id,
                 "--copyright", entry.copyright_text, "--source", entry.source,
                 "--id-column", ident.id_column, "--target", ident.target,
                 "--pii-status", "none", "--pii-certified-by", "WHO", "--force"]
        out.append(f"the data's PII status is {entry.pii_status!r} and the pii audit expects "
                   f"'none': once someone has reviewed it, `{shlex.join(words)}` (and pass "
                   "--pii-status none to init from then on)")
    out.append("commit and push: git add -A && git commit -m 'modelgate init' && git push")
    return out


def _github_side(root: Path, args: argparse.Namespace, rep: Reporter,
                 env: Mapping[str, str]) -> None:
    """doctor itself when it can read GitHub, else what it checks and how to run it."""
    from modelgate.bot.doctor.core import CHECKS
    from modelgate.bot.doctor.workflows import workflow_uses

    repo = args.repo or env.get("GITHUB_REPOSITORY")
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN")
    print("\nOn GitHub (docs/github-setup.md):")
    if repo and token:
        from modelgate.bot.cli.doctor import cmd_doctor

        doctor_args = argparse.Namespace(config=root / CONFIG_FILENAME, repo=repo,
                                         api_url=args.api_url, workflows_root=None,
                                         request_interval=0.25)
        code = cmd_doctor(doctor_args, rep, env=env)
        print(MSG_DOCTOR.format(code=int(code)))
        return
    print("  `modelgate doctor` checks, with the setting to change for each:")
    for check in CHECKS:
        doc = " ".join((check.__doc__ or "").split()).replace("``", "`")
        print(f"  - {check.__name__.removeprefix('check_').replace('_', ' ')}: {doc}")
    names = sorted({f"{use.kind}.{use.name}" for use in workflow_uses(root)})
    if names:
        print(f"  the caller workflows pass on: {', '.join(names)} (and the variables the "
              "gate's jobs read; docs/github-setup.md says where each goes)")
    print("  then run: GITHUB_TOKEN=<admin token> modelgate doctor --repo OWNER/NAME "
          "(until it exits 0)")


def cmd_init(args: argparse.Namespace, rep: Reporter, *,
             prompt: Prompt | None = None, env: Mapping[str, str] | None = None) -> int:
    """Gather the inputs, plan, refuse overwrites, write, validate, say what is left."""
    env = os.environ if env is None else env
    if prompt is None and _is_tty():
        prompt = input
    root = _git_root(Path(args.root).resolve())
    _fill(args, prompt)
    data = _data_path(args.data, root)
    table = read_table(data)
    task = cast(Task | None, args.task)
    made: Design = design(table, target=args.target, id_column=args.id_column, task=task,
                          features=_features(args.features), estimator=args.estimator,
                          subgroup=args.subgroup)
    ident = _identity(args, root, data)
    entry = DataEntry(args.license, args.copyright, args.source, args.pii_status,
                      args.pii_certified_by)
    _preflight(root, governance_text(ident, made))
    planned = plan(root, ident, made, entry, args.estimator)
    print(f"modelgate init: {root}")
    for item in planned:
        word = "overwrite" if item.status == "overwrite" and args.force else \
            STATUS_PLAN[item.status]
        print(f"  {word:<16} {item.path}")
    refuse_overwrites(planned, args.force)
    write(root, planned, ident, entry)
    written = sum(item.status != "kept" for item in planned)
    print(MSG_WRITTEN.format(written=written, kept=len(planned) - written))
    if made.notes:
        print("Decisions (check them in governance.yml):")
        for note in made.notes:
            print(f"  - {note}")
    config = _validate(root)
    gov = config.governance
    print(MSG_VALID.format(path=config.path, model=gov.model.name, task=gov.task,
                           features=len(gov.data.features), roles=len(gov.approval.roles)))
    print("Still to do in this repository:")
    for line in _todo(root, ident, entry):
        print(f"  - {line}")
    _github_side(root, args, rep, env)
    return ExitCode.OK


def register(sub: Any) -> None:
    """Add ``init`` to the ``modelgate`` parser."""
    p = sub.add_parser("init", help=HELP)
    p.add_argument("--root", type=Path, default=Path("."),
                   help="a folder inside the team's git repository (default: .)")
    p.add_argument("--data", help="the team's CSV, inside the repository (relative to the "
                   "working directory); governance.yml is written at the repository's root")
    p.add_argument("--target", help="the column the model predicts")
    p.add_argument("--id-column", help="the column of unique row ids")
    p.add_argument("--task", choices=get_args(Task),
                   help="default: inferred from the target column (and said)")
    p.add_argument("--features", metavar="COL,COL,...",
                   help="the model's inputs (default: every other column, types inferred)")
    p.add_argument("--estimator", metavar="IMPORT_PATH",
                   help="your own, e.g. model/features.py:make_pipeline or package.module:"
                   "factory (default: scaling, encoding and a linear model for the task)")
    p.add_argument("--subgroup", metavar="COLUMN",
                   help="a feature the bias audit compares groups of (default: the first "
                   "categorical or boolean feature, else the first)")
    p.add_argument("--model-name", help="the registered model's name (default: the "
                   "repository folder's name)")
    p.add_argument("--license", help="SPDX licence id of the data, e.g. CC-BY-4.0")
    p.add_argument("--copyright", help="who holds the data's copyright")
    p.add_argument("--source", help="where the data comes from (URL, system)")
    p.add_argument("--pii-status", choices=PII_STATUSES, default="unreviewed",
                   help="the data's PII review (the pii audit expects none; default: "
                   "unreviewed)")
    p.add_argument("--pii-certified-by", default="", help="who certified the PII status")
    p.add_argument("--role", action="append", default=[], metavar="NAME=LOGIN[,LOGIN]",
                   help="an approval role and its holders; repeat for each role")
    p.add_argument("--gate-role", help=f"the role that also approves changes to the gate "
                   f"(default: {GATE_ROLE} when given)")
    p.add_argument("--modelgate-repo", default=DEFAULT_MODELGATE_REPO, metavar="OWNER/NAME",
                   help=f"where the gate's workflows live (default: {DEFAULT_MODELGATE_REPO})")
    p.add_argument("--modelgate-ref", metavar="SHA",
                   help="the 40-hex commit of modelgate the caller workflows pin")
    p.add_argument("--modelgate-requirement", metavar="REQUIREMENT",
                   help="the pip requirement the trusted jobs install (default: "
                   "modelgate==<this version>)")
    p.add_argument("--repo", metavar="OWNER/NAME",
                   help="run `modelgate doctor` on it at the end (needs GITHUB_TOKEN)")
    p.add_argument("--api-url", help="GitHub API URL for doctor (default: GITHUB_API_URL)")
    p.add_argument("--force", action="store_true",
                   help="overwrite files that differ from what init writes")
    p.set_defaults(handler=cmd_init)

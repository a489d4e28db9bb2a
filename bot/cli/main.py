# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate``: the one command line every workflow and every person uses.

Each subcommand is a thin adapter: parse arguments, build collaborators (config, MLflow,
GitHub, boto3 clients) once, call one function, print its result. One module per family
of commands adds its parsers with ``register(sub)``; :func:`build_parser` gives every
command the global options, its description, example and exit codes
(:mod:`modelgate.bot.cli.help_texts`).

Every failure modelgate expects is a :class:`~modelgate.errors.ModelgateError`:
:func:`main` catches it once, prints its message and exits with its code. Anything else
is a bug: one line saying so and where the traceback was written, exit 70.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from modelgate.bot.cli.help_texts import HELP
from modelgate.bot.cli.support import mlflow_errors
from modelgate.errors import ExitCode, ModelgateError, UsageError, describe_exit_codes
from modelgate.governance import CONFIG_FILENAME, LoadedConfig, load_config
from modelgate.progress import Reporter, quiet_libraries, reporter_from_env
from modelgate.worktree import describe, uncommitted

SCRATCH_DIR = "scratch"  # under .modelgate/: where --allow-dirty runs go
MSG_DIRTY = ("the working tree has uncommitted changes, so a version trained now could not "
             "be traced to a commit:\n{files}\ncommit them, or set them aside with "
             "`git stash -u`, and run again (--allow-dirty runs a local experiment that "
             "registers no version)")
MSG_ALLOW_DIRTY = ("--allow-dirty: {count} uncommitted change(s); this run goes to the "
                   "scratch store {scratch} and registers no version in {uri}")
MSG_VALID = "{path}: valid (model {model}, {features} features, {roles} roles)"
MSG_CRASH = ("internal error, a bug in modelgate ({error}); the traceback is in {path} "
             "(--verbose prints it); please report it")
TITLE_CRASH = "modelgate {command}"


class DirtyTree(UsageError):
    """The working tree has uncommitted changes and --allow-dirty was not given."""


def _metrics_table(metrics: dict[str, float]) -> str:
    rows = "\n".join(f"| {k} | {v:.4f} |" for k, v in metrics.items())
    return f"| metric | value |\n| --- | --- |\n{rows}"


def tracking_for_tree(config: LoadedConfig, args: argparse.Namespace, rep: Reporter,
                      ignore: Sequence[Path] = ()) -> str | None:
    """The tracking URI to train with, asked before training: a dirty working tree is
    refused (:class:`DirtyTree`), or with ``--allow-dirty`` sent to a scratch store."""
    changed = uncommitted(config.root, [config.state_dir, *ignore])
    given: str | None = args.tracking_uri
    if not changed:
        return given
    if not args.allow_dirty:
        raise DirtyTree(MSG_DIRTY.format(files=describe(changed)))
    scratch = config.state_dir / SCRATCH_DIR / "mlflow.db"
    uri = f"sqlite:///{scratch.as_posix()}"
    rep.warning(MSG_ALLOW_DIRTY.format(count=len(changed), scratch=uri,
                                       uri=config.tracking_uri(given)))
    return uri


def cmd_train(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.training.train import TrainingError, train

    config = load_config(args.config)
    tracking_uri = tracking_for_tree(config, args, rep)
    try:
        with mlflow_errors():
            result = train(config, tracking_uri=tracking_uri, reporter=rep)
    except TrainingError as exc:  # its own title; anything else goes to main()
        rep.error(str(exc), title="training failed")
        return exc.exit_code
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        scratch = " (scratch store: not registered)" if tracking_uri != args.tracking_uri else ""
        print(f"run id:   {result.run_id}")
        print(f"model:    {result.model_name} version {result.version}{scratch}")
        print(f"data:     sha256 {result.data_sha256}")
        print(f"commit:   {result.commit}{' (dirty tree)' if result.dirty else ''}")
        for name, value in result.metrics.items():
            print(f"{name:>9}: {value:.4f}")
    rep.summary(
        f"### modelgate train: {result.model_name} v{result.version}\n\n"
        f"Run `{result.run_id}` at commit `{result.commit[:12]}`, data sha256 "
        f"`{result.data_sha256[:16]}`.\n\n{_metrics_table(result.metrics)}"
    )
    return ExitCode.OK


def cmd_check(args: argparse.Namespace, rep: Reporter) -> int:
    from modelgate.bot.check import tree_audits

    config = load_config(args.config)
    out = args.out if args.out.is_absolute() else config.root / args.out
    tracking_uri = tracking_for_tree(config, args, rep, ignore=[out])
    # the tree audits' child processes first: they overlap the imports below
    early = tree_audits.start(config, tracking_uri, tree_audits.TREE_AUDITS,
                              args.audit_timeout)
    from modelgate.bot.check.pipeline import run_check

    with mlflow_errors():
        result = run_check(config, out, tracking_uri=tracking_uri, reporter=rep,
                           timeout_s=args.audit_timeout, early=early)
    report = result.report
    print(f"model {report.model_name} v{report.model_version}  run {report.run_id}  "
          f"commit {report.commit[:12]}")
    for entry in report.audits:
        print(f"  [{'x' if entry.status == 'pass' else ' '}] {entry.id:<17} {entry.status:<5} "
              f"{entry.summary}")
    print(f"{'all audits passed' if report.passed else 'AUDITS FAILED'}; "
          f"report, checklist and card in {out}")
    return ExitCode.OK if report.passed else ExitCode.FAILED


def cmd_validate_config(args: argparse.Namespace, rep: Reporter) -> int:
    del rep  # the result is the one line on stdout
    config = load_config(args.config)
    from modelgate.training.preflight import (
        validate_against_data,  # builds the estimator, reads the header
    )
    validate_against_data(config)
    gov = config.governance
    print(MSG_VALID.format(path=config.path, model=gov.model.name,
                           features=len(gov.data.features), roles=len(gov.approval.roles)))
    return ExitCode.OK


Handler = Callable[[argparse.Namespace, Reporter], int]


def add_global_options(parser: argparse.ArgumentParser, *, copy: bool = False) -> None:
    """``--config``, ``--tracking-uri`` and ``--verbose``: before the command (with their
    defaults) and after it (``copy``: no default, so a value given before still counts and
    one given after wins)."""
    def default(value: object) -> object:
        return argparse.SUPPRESS if copy else value

    parser.add_argument("--config", type=Path, default=default(Path(CONFIG_FILENAME)),
                        metavar="FILE", help="path to governance.yml (default: "
                        "./governance.yml)")
    parser.add_argument("--tracking-uri", default=default(None), metavar="URI",
                        help="MLflow tracking URI (overrides governance.yml and "
                        "MLFLOW_TRACKING_URI)")
    parser.add_argument("-v", "--verbose", action="store_true", default=default(False),
                        help="show the libraries' log lines, and a crash's traceback")


GLOBAL_FLAGS = frozenset({"--config", "--tracking-uri", "-v", "--verbose"})


class _CommandParser(argparse.ArgumentParser):
    """A command's parser: a global option a family names again (``--tracking-uri``,
    say) keeps the global copy, so a value given before the command still counts."""

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        if args and set(args) <= GLOBAL_FLAGS:
            return self._option_string_actions[args[0]]
        return super().add_argument(*args, **kwargs)


class _Commands:
    """The subparsers as a family sees them: each command it adds gets the global
    options, and its description, example and exit codes from :data:`HELP`."""

    def __init__(self, action: Any) -> None:
        self._action = action
        self._globals = argparse.ArgumentParser(add_help=False)
        add_global_options(self._globals, copy=True)

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        text = HELP.get(name)
        if text is not None:
            kwargs.setdefault("description", text.description)
            kwargs.setdefault("epilog", text.epilog())
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        kwargs["parents"] = [*kwargs.get("parents", ()), self._globals]
        parser: argparse.ArgumentParser = self._action.add_parser(name, **kwargs)
        return parser


# the modules that add each family of subcommands, and the commands each adds (a test
# holds this table to what they register): only the family of the command run is imported
FAMILIES: dict[str, tuple[str, ...]] = {
    "handle": ("handle", "report"),
    "deploy": ("promote", "serve", "package", "deploy", "rollback"),
    "release": ("evidence", "release", "verify", "history", "trace"),
    "drift": ("drift",),
    "verdict": ("verdict",),
    "doctor": ("doctor",),
    "data": ("data",),
    "init": ("init",),
}
BUILTIN_COMMANDS = frozenset({"train", "check", "validate-config"})
OPTIONS_WITH_VALUE = frozenset({"--config", "--tracking-uri"})


def command_word(words: Sequence[str]) -> str | None:
    """The subcommand in ``words``: the first word that is neither an option nor a global
    option's value (``None``: no command, as in ``modelgate --help``)."""
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in OPTIONS_WITH_VALUE:
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (``command`` given and known) the global options, the
    built-in commands and only ``command``'s family, so that running one command does
    not import every other command's module."""
    parser = argparse.ArgumentParser(
        prog="modelgate",
        description="Train, audit, approve, promote, serve and trace a governed model.\n"
                    "Global options go before or after the command; `modelgate COMMAND "
                    "--help` describes one.",
        epilog=f"exit status (the same for every command):\n{describe_exit_codes()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_global_options(parser)
    sub = _Commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                          parser_class=_CommandParser))

    p = sub.add_parser("train", help="run the governed training and register a model version")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--allow-dirty", action="store_true", help="train from uncommitted "
                   "changes into a scratch store; registers no version")
    p.set_defaults(handler=cmd_train)

    p = sub.add_parser("check", help="train, run every audit and write the model card")
    p.add_argument("--out", type=Path, default=Path("out"),
                   help="output directory, relative to governance.yml (default: out)")
    p.add_argument("--audit-timeout", type=float, default=300.0,
                   help="seconds each audit may take before it counts as failed")
    p.add_argument("--allow-dirty", action="store_true", help="run from uncommitted "
                   "changes into a scratch store; registers no version")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("validate-config", help="validate governance.yml and exit")
    p.set_defaults(handler=cmd_validate_config)

    # one module per family of subcommands, each adding its own parsers
    family_of = {c: name for name, commands in FAMILIES.items() for c in commands}
    if command in BUILTIN_COMMANDS:
        wanted = []
    elif command in family_of:
        wanted = [family_of[command]]
    else:  # no command (--help) or an unknown one: argparse lists them all
        wanted = list(FAMILIES)
    for name in wanted:
        importlib.import_module(f"modelgate.bot.cli.{name}").register(sub)
    return parser


def _crash(exc: BaseException, command: str, rep: Reporter, verbose: bool) -> int:
    """An unexpected exception: one line on screen, the traceback in a file."""
    text = "".join(traceback.format_exception(exc))
    fd, name = tempfile.mkstemp(prefix="modelgate-crash-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"modelgate {command}\n{text}")
    first = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    rep.error(MSG_CRASH.format(error=first, path=name), title=TITLE_CRASH.format(command=command))
    if verbose:
        print(text, file=sys.stderr, end="")
    elif os.environ.get("GITHUB_ACTIONS") == "true":  # the runner's files go with it
        with rep.step("Traceback of the internal error"):
            rep.info(text.rstrip())
    return ExitCode.INTERNAL


def main(argv: Sequence[str] | None = None, *, reporter: Reporter | None = None) -> int:
    """Run one command: a :class:`ModelgateError` is one message and its exit code; any
    other exception is a bug (exit 70, traceback in a file)."""
    words = sys.argv[1:] if argv is None else list(argv)
    quiet_libraries(any(w in ("-v", "--verbose") for w in words))  # before MLflow is imported
    args = build_parser(command_word(words)).parse_args(words)
    rep = reporter or reporter_from_env()
    handler: Handler = args.handler
    try:
        return handler(args, rep)
    except ModelgateError as exc:
        rep.error(str(exc), title=f"modelgate {args.command}")
        return exc.exit_code
    except Exception as exc:  # the one place a bug becomes exit 70
        return _crash(exc, args.command, rep, args.verbose)


if __name__ == "__main__":
    sys.exit(main())

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""What every ``modelgate`` command does the same way: global options on either side of
the command, a help page with a description, an example and its exit codes, results on
stdout and the rest on stderr, quiet libraries, and a dirty tree refused before training."""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgate.bot.cli import main as cli_main
from modelgate.bot.cli.help_texts import HELP
from modelgate.errors import MEANINGS, ExitCode
from modelgate.progress import LIBRARY_LOGGERS, QUIET_ENV, ConsoleReporter, quiet_libraries
from modelgate.worktree import uncommitted
from tests.conftest import REPO, fixture_config, git, make_workspace

GOVERNANCE = fixture_config()


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli_main.build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@pytest.fixture(autouse=True)
def _console(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    monkeypatch.setattr(logging.getLogger(), "handlers", list(logging.getLogger().handlers))
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


# --- global options -----------------------------------------------------------------------


def test_global_options_work_after_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`modelgate validate-config --config FILE` no longer says "unrecognized arguments"."""
    assert cli_main.main(["validate-config", "--config", str(GOVERNANCE)]) == ExitCode.OK
    assert f"{GOVERNANCE}: valid" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [
    ["--config", "a.yml", "--tracking-uri", "x", "-v", "drift", "--log", "f"],
    ["drift", "--log", "f", "--config", "a.yml", "--tracking-uri", "x", "--verbose"],
    ["--config", "b.yml", "--tracking-uri", "y", "drift", "--log", "f", "--config", "a.yml",
     "--tracking-uri", "x", "-v"],
], ids=["before", "after", "after-wins"])
def test_a_global_option_before_still_counts_and_one_after_wins(argv: list[str]) -> None:
    args = cli_main.build_parser().parse_args(argv)
    assert (args.config, args.tracking_uri, args.verbose) == (Path("a.yml"), "x", True)


def test_a_family_naming_a_global_option_again_keeps_the_global_copy() -> None:
    """A family's own ``--tracking-uri`` would otherwise clobber a value given before."""
    parser = argparse.ArgumentParser()
    cli_main.add_global_options(parser)
    commands = parser.add_subparsers(dest="command", parser_class=cli_main._CommandParser)
    sub = cli_main._Commands(commands).add_parser("rollback")
    sub.add_argument("--tracking-uri", help="the family's own words")
    assert parser.parse_args(["--tracking-uri", "x", "rollback"]).tracking_uri == "x"
    assert parser.parse_args(["rollback", "--tracking-uri", "y"]).tracking_uri == "y"


def test_global_options_keep_their_defaults() -> None:
    args = cli_main.build_parser().parse_args(["rollback"])
    assert (args.config, args.tracking_uri, args.verbose) == (Path("governance.yml"), None,
                                                              False)


# --- help pages ---------------------------------------------------------------------------


def test_every_command_has_a_description_an_example_and_its_exit_codes() -> None:
    commands = _commands()
    assert sorted(set(commands) - set(HELP)) == [], "add the command's entry to help_texts"
    for name, parser in commands.items():
        page = parser.format_help()
        assert HELP[name].description.splitlines()[0] in page, name
        assert f"example:\n  modelgate {name}" in page or "example:\n  GITHUB_TOKEN" in page
        assert "exit status:\n   0  " in page, name
        assert "  70  a bug in modelgate" in page, name
        codes = [int(c) for c in re.findall(r"^ +(\d+)  ", page.split("exit status:")[1],
                                            flags=re.MULTILINE)]
        assert codes == sorted(codes) and codes[0] == 0, name
        assert "--config FILE" in page and "--verbose" in page, name


def test_the_family_table_names_what_each_family_registers() -> None:
    """``FAMILIES`` (what main imports for a command without importing the rest) lists
    exactly the commands each family's ``register`` adds."""
    for name, listed in cli_main.FAMILIES.items():
        parser = argparse.ArgumentParser()
        sub = cli_main._Commands(parser.add_subparsers(parser_class=cli_main._CommandParser))
        importlib.import_module(f"modelgate.bot.cli.{name}").register(sub)
        [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        assert tuple(action.choices) == listed, name
    builtin = set(_commands()) - {c for cs in cli_main.FAMILIES.values() for c in cs}
    assert builtin == cli_main.BUILTIN_COMMANDS


@pytest.mark.parametrize("words, command", [
    (["check", "--out", "x"], "check"), (["--config", "drift", "check"], "check"),
    (["--tracking-uri", "u", "-v", "release"], "release"), (["--help"], None), ([], None),
])
def test_the_command_word_skips_global_options_and_their_values(
        words: list[str], command: str | None) -> None:
    assert cli_main.command_word(words) == command


def test_running_one_command_imports_only_its_family() -> None:
    """``modelgate check`` parses with the built-in commands alone, ``drift`` with its
    family alone, in a new interpreter (nothing imported before); every command's own
    parser is the one the whole parser has (same help page)."""
    script = ("import sys; from modelgate.bot.cli import main; "
              "main.build_parser(sys.argv[1]).parse_args(sys.argv[1:]); "
              "print(' '.join(sorted(m for m in sys.modules if m.startswith("
              "'modelgate.bot.cli.') and m.count('.') == 3)))")
    for words, families in ((["check"], set()), (["drift", "--log", "f"], {"drift"})):
        done = subprocess.run([sys.executable, "-c", script, *words], capture_output=True,
                              text=True, check=True, cwd=REPO)
        loaded = {m.rsplit(".", 1)[1] for m in done.stdout.split()}
        assert loaded - {"main", "help_texts", "support"} == families, done.stdout
    whole = _commands()
    for command, parser in whole.items():
        alone = cli_main.build_parser(command)
        [action] = [a for a in alone._actions if isinstance(a, argparse._SubParsersAction)]
        assert action.choices[command].format_help() == parser.format_help(), command


def test_drift_keeps_its_documented_exit_codes() -> None:
    page = " ".join(_commands()["drift"].format_help().split())
    for code, meaning in [(0, "no drift"), (1, "drift found"), (2, "bad input"),
                          (3, "fewer scored records"),
                          (4, "the report is written, its GitHub issue is not")]:
        assert f" {code} {meaning}" in page


def test_readme_lists_every_exit_code() -> None:
    """README's "Exit codes" table has one row per code, with the meaning --help gives."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `?(\d+)`? \|", table, flags=re.MULTILINE)
    assert [int(r) for r in rows] == [int(c) for c in ExitCode]
    for code in ExitCode:
        assert code.name in table and MEANINGS[code].split(":")[0].split(" (")[0] in table


# --- streams and library noise ------------------------------------------------------------


def test_success_goes_to_stdout_and_errors_to_stderr(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["validate-config", "--config", str(GOVERNANCE)]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert "valid" in out and err == ""
    monkeypatch.delenv("GITHUB_REPOSITORY", raising=False)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    assert cli_main.main(["evidence", "--pr", "1", "--head-sha", "abc",
                          "--config", str(GOVERNANCE)]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == "" and "set --repository and --workflow-run-id" in err


def test_libraries_are_quiet_unless_verbose() -> None:
    """MLflow's, alembic's, urllib3's and botocore's lines and tqdm's bars are off by
    default; --verbose turns the lines back on."""
    env: dict[str, str] = {"TQDM_DISABLE": "0"}  # what a user set explicitly stays
    quiet_libraries(False, env)
    assert env == {**QUIET_ENV, "TQDM_DISABLE": "0"}
    for name in ("mlflow", "alembic", "urllib3", "botocore"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.ERROR
    logging.getLogger("mlflow.store.db.utils").info("Creating initial MLflow database tables")
    quiet_libraries(True, env)
    assert logging.getLogger("mlflow").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("sqlalchemy").getEffectiveLevel() == logging.WARNING


def test_verbose_lines_go_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    quiet_libraries(True, {})
    logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
    out, err = capsys.readouterr()
    assert out == "" and "INFO alembic.runtime.migration: Context impl SQLiteImpl." in err


# --- progress on a terminal ---------------------------------------------------------------


def test_a_step_on_a_terminal_shows_a_spinner_with_its_elapsed_time() -> None:
    out = io.StringIO()
    rep = ConsoleReporter(out, tty=True, interval=0.01)
    with rep.step("Fit and evaluate"):
        time.sleep(0.08)
        rep.info("LogisticRegression on 455 rows")
        time.sleep(0.05)
    text = out.getvalue()
    assert re.search(r"\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Fit and evaluate \d+ s", text)
    # a line printed meanwhile erases the spinner first; the step ends on its own line
    assert "\r\x1b[2K  LogisticRegression on 455 rows\n" in text
    assert re.search(r"\r\x1b\[2K  ✓ Fit and evaluate \(0\.\d\d s\)\n$", text)
    assert "▸" not in text


def test_a_step_in_a_log_file_has_no_spinner() -> None:
    out = io.StringIO()
    rep = ConsoleReporter(out, tty=False)
    with pytest.raises(RuntimeError), rep.step("Run audits"):
        raise RuntimeError("x")
    assert re.fullmatch(r"▸ Run audits …\n  ✗ Run audits failed \(\d\.\d\d s\)\n",
                        out.getvalue())


# --- a dirty working tree ------------------------------------------------------------------


def test_changed_paths_ignore_modelgate_state_and_the_output_folder(tmp_path: Path) -> None:
    root = make_workspace(tmp_path / "ws", fresh_store=True)
    assert uncommitted(root) == []
    (root / "out").mkdir()
    (root / "out" / "audit_report.json").write_text("{}")
    (root / "notes.txt").write_text("x")
    (root / "governance.yml").write_text((root / "governance.yml").read_text() + "\n")
    git(root, "mv", "data/breast_cancer.csv", "data/renamed.csv")
    changed = uncommitted(root, [root / "out", root / ".modelgate"])
    assert sorted(changed or []) == ["data/renamed.csv", "governance.yml", "notes.txt"]
    assert uncommitted(tmp_path / "nowhere-near-git") is None


def test_a_dirty_tree_is_refused_before_training(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`modelgate train` names the first ten changed files, says what to do, exits 2,
    and nothing reaches MLflow."""
    root = make_workspace(tmp_path / "ws", fresh_store=True)
    for i in range(12):
        (root / f"scratch{i:02}.py").write_text("x = 1\n")
    monkeypatch.chdir(root)
    assert cli_main.main(["train"]) == ExitCode.USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert "uncommitted changes" in err and "git stash -u" in err and "--allow-dirty" in err
    assert "scratch00.py" in err and "scratch09.py" in err and "scratch10.py" not in err
    assert "… and 2 more" in err
    assert not (root / ".modelgate" / "mlflow.db").exists()


@pytest.mark.slow
def test_allow_dirty_trains_into_a_scratch_store_and_registers_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    root = make_workspace(tmp_path / "ws", fresh_store=True)
    (root / "experiment.py").write_text("x = 1\n")
    monkeypatch.chdir(root)
    assert cli_main.main(["train", "--allow-dirty"]) == ExitCode.OK
    out, err = capsys.readouterr()
    assert "version 1 (scratch store: not registered)" in out
    assert "--allow-dirty: 1 uncommitted change(s)" in err and "registers no version" in err
    assert (root / ".modelgate" / "scratch" / "mlflow.db").is_file()
    assert not (root / ".modelgate" / "mlflow.db").exists()

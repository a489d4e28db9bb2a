# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""One error base class carrying its exit code, and the entry point that catches it once."""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
from collections.abc import Iterator

import pytest

from bot.cli import main as cli_main
from modelgate.errors import MEANINGS, ExitCode, ModelgateError, describe_exit_codes
from modelgate.progress import Reporter

PACKAGES = ("bot", "training", "infra", "modelgate")


def _modules() -> Iterator[str]:
    for package in PACKAGES:
        yield package
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if not info.name.endswith(".__main__"):  # runs the command when imported
                yield info.name


def _exceptions() -> list[type[BaseException]]:
    found = []
    for name in _modules():
        module = importlib.import_module(name)
        for _, value in inspect.getmembers(module, inspect.isclass):
            if value.__module__ == name and issubclass(value, BaseException):
                found.append(value)
    return found


def test_every_product_exception_is_a_modelgate_error() -> None:
    """Every exception class defined under bot/, training/, infra/ and modelgate/ derives
    from ModelgateError, so the entry point's one catch covers it."""
    found = _exceptions()
    assert len(found) >= 20  # the walk does reach the modules
    strays = sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in found
                    if not issubclass(cls, ModelgateError))
    assert strays == []


def test_exit_codes_are_distinct_and_documented() -> None:
    """No two names share a value (an IntEnum would silently alias them), and each code
    has a meaning that ``modelgate --help`` prints."""
    members = ExitCode.__members__
    assert len({code.value for code in members.values()}) == len(members)
    assert [int(code) for code in ExitCode] == list(range(len(ExitCode)))
    help_text = cli_main.build_parser().format_help()
    for code in ExitCode:
        assert MEANINGS[code].strip()
        assert f"{code.value}  {MEANINGS[code]}" in describe_exit_codes()
    assert "exit status:" in help_text and MEANINGS[ExitCode.USAGE][:30] in help_text


def test_the_exit_code_is_the_class_s_unless_the_instance_says_otherwise() -> None:
    class Refusal(ModelgateError):
        exit_code = ExitCode.USAGE

    assert ModelgateError("x").exit_code == ExitCode.FAILED
    assert Refusal("x").exit_code == ExitCode.USAGE
    overridden = Refusal("x", exit_code=ExitCode.INSUFFICIENT_DATA)
    assert overridden.exit_code == ExitCode.INSUFFICIENT_DATA and str(overridden) == "x"
    assert Refusal.exit_code == ExitCode.USAGE


@pytest.mark.parametrize("code", [c for c in ExitCode if c != ExitCode.OK])
def test_main_returns_the_error_s_code_with_one_message(
        code: ExitCode, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A ModelgateError from any command is one message titled with the command, and its
    exit code; never a traceback."""
    def refuse(args: argparse.Namespace, rep: Reporter) -> int:
        raise ModelgateError(f"refused with {code.name}", exit_code=code)

    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setattr(cli_main, "cmd_validate_config", refuse)
    assert cli_main.main(["validate-config"]) == code
    out, err = capsys.readouterr()
    assert f"refused with {code.name}" in out + err
    assert "Traceback" not in out + err


def test_a_missing_governance_file_is_exit_one_without_a_traceback(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The real path: ConfigError from the loader reaches main() and ends the command."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert cli_main.main(["--config", f"{tmp_path}/absent.yml", "validate-config"]) == 1
    out, err = capsys.readouterr()
    assert "absent.yml" in out + err and "Traceback" not in out + err


def test_an_unexpected_exception_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only ModelgateError is caught: a bug still shows its traceback."""
    def crash(args: argparse.Namespace, rep: Reporter) -> int:
        raise KeyError("bug")

    monkeypatch.setattr(cli_main, "cmd_validate_config", crash)
    with pytest.raises(KeyError):
        cli_main.main(["validate-config"])

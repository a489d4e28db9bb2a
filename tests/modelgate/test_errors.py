# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""One error base class carrying its exit code, and the entry point that catches it once."""

from __future__ import annotations

import argparse
import importlib
import inspect
import logging
import pkgutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from modelgate.bot.cli import main as cli_main
from modelgate.errors import (
    MEANINGS,
    ExitCode,
    GitHubError,
    ModelgateError,
    ServiceError,
    UsageError,
    describe_exit_codes,
)
from modelgate.progress import LIBRARY_LOGGERS, Reporter

# modelgate.bot, .training and .infra included; serving ships alone, without modelgate.errors
SKIPPED = ("modelgate.serving",)


def _modules() -> Iterator[str]:
    yield "modelgate"
    root = importlib.import_module("modelgate")
    for info in pkgutil.walk_packages(root.__path__, "modelgate."):
        if info.name.endswith(".__main__"):  # runs the command when imported
            continue
        if not any(info.name == s or info.name.startswith(s + ".") for s in SKIPPED):
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
    """No two names share a value (an IntEnum would silently alias them), the codes a
    command means are 0 to 5 and a bug is 70 (sysexits' EX_SOFTWARE), and each code has a
    meaning that ``modelgate --help`` prints."""
    members = ExitCode.__members__
    assert len({code.value for code in members.values()}) == len(members)
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 4, 5, 70]
    help_text = " ".join(cli_main.build_parser().format_help().split())
    described = " ".join(describe_exit_codes().split())
    for code in ExitCode:
        assert MEANINGS[code].strip()
        assert f"{code.value} {MEANINGS[code]}" in described
        assert f"{code.value} {MEANINGS[code]}" in help_text
    assert "exit status (the same for every command):" in help_text


def test_each_base_class_names_what_went_wrong() -> None:
    """Deriving from UsageError, GitHubError or ServiceError picks the code; the base
    itself means refused."""
    assert ModelgateError.exit_code == ExitCode.FAILED
    assert UsageError("x").exit_code == ExitCode.USAGE
    assert GitHubError("x").exit_code == ExitCode.GITHUB_FAILED
    assert ServiceError("x").exit_code == ExitCode.SERVICE_FAILED


# What went wrong, per error class: the code every command ends with when it escapes.
EXPECTED_CODES = {
    "modelgate.governance.ConfigError": ExitCode.USAGE,
    "modelgate.training.data.DataError": ExitCode.USAGE,
    "modelgate.training.estimator.EstimatorError": ExitCode.USAGE,
    "modelgate.training.train.TrainingError": ExitCode.USAGE,
    "modelgate.bot.cli.doctor.DoctorUsageError": ExitCode.USAGE,
    "modelgate.bot.cli.handle.SettingsError": ExitCode.USAGE,
    "modelgate.bot.doctor.workflows.WorkflowReadError": ExitCode.USAGE,
    "modelgate.bot.github.events.EventError": ExitCode.USAGE,
    "modelgate.bot.check.verdict_context.VerdictInputError": ExitCode.USAGE,
    "modelgate.bot.drift.stats.DriftInputError": ExitCode.USAGE,
    "modelgate.bot.github.api.GitHubApiError": ExitCode.GITHUB_FAILED,
    "modelgate.bot.github.api.GitHubDataError": ExitCode.GITHUB_FAILED,
    "modelgate.bot.github.settings.SettingsUnavailable": ExitCode.GITHUB_FAILED,
    "modelgate.bot.github.settings.SettingsReadError": ExitCode.GITHUB_FAILED,
    "modelgate.bot.drift.issue.DriftIssueError": ExitCode.GITHUB_FAILED,
    "modelgate.bot.cli.support.AwsError": ExitCode.SERVICE_FAILED,
    "modelgate.bot.cli.support.MlflowError": ExitCode.SERVICE_FAILED,
    "modelgate.infra.cloudwatch.CloudWatchError": ExitCode.SERVICE_FAILED,
    "modelgate.infra.bundle.BundleUploadError": ExitCode.SERVICE_FAILED,
    "modelgate.bot.release.release.ReleaseRefused": ExitCode.FAILED,
    "modelgate.bot.release.promote.PromotionError": ExitCode.FAILED,
    "modelgate.bot.cli.deploy.Refused": ExitCode.FAILED,
    "modelgate.bot.check.verdict_context.Refused": ExitCode.FAILED,
    "modelgate.bot.check.artifact.ArtifactError": ExitCode.FAILED,  # evidence the gate will not use
    "modelgate.infra.deploy.DeployError": ExitCode.FAILED,
    "modelgate.infra.package.PackageError": ExitCode.FAILED,
}


@pytest.mark.parametrize(("name", "code"), EXPECTED_CODES.items(), ids=list(EXPECTED_CODES))
def test_each_error_class_carries_the_code_of_what_went_wrong(name: str,
                                                             code: ExitCode) -> None:
    """A bad configuration is 2, GitHub 4, MLflow or AWS 5, a refusal 1: never all 1."""
    module, _, cls = name.rpartition(".")
    error = getattr(importlib.import_module(module), cls)
    assert error.exit_code == code


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


def test_a_missing_governance_file_is_exit_two_without_a_traceback(
        tmp_path: object, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The real path: ConfigError from the loader reaches main() and ends the command with
    2, bad configuration (it was 1, the code of a failed gate, before exit codes split)."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert cli_main.main(["--config", f"{tmp_path}/absent.yml", "validate-config"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "absent.yml" in err and "Traceback" not in err


def _crash(args: argparse.Namespace, rep: Reporter) -> int:
    raise KeyError("bug")


def test_an_unexpected_exception_is_exit_70_with_the_traceback_in_a_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A bug is one line on stderr saying so and where the traceback went; no traceback
    on screen (it was an uncaught exception before)."""
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(cli_main, "cmd_validate_config", _crash)
    assert cli_main.main(["validate-config"]) == ExitCode.INTERNAL
    assert int(ExitCode.INTERNAL) == 70
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    [line] = err.splitlines()
    assert "internal error, a bug in modelgate (KeyError: 'bug')" in line
    [written] = tmp_path.glob("modelgate-crash-*.txt")
    assert str(written) in line
    text = written.read_text()
    assert "Traceback (most recent call last)" in text and "KeyError: 'bug'" in text


def test_verbose_prints_the_crash_s_traceback(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(cli_main, "cmd_validate_config", _crash)
    monkeypatch.setattr(logging.getLogger(), "handlers", list(logging.getLogger().handlers))
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    assert cli_main.main(["validate-config", "--verbose"]) == ExitCode.INTERNAL
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "internal error" in err


def test_in_actions_the_crash_s_traceback_is_in_a_collapsed_group(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The runner's temporary files vanish with it, so the log keeps the traceback, folded."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(cli_main, "cmd_validate_config", _crash)
    assert cli_main.main(["validate-config"]) == ExitCode.INTERNAL
    out = capsys.readouterr().out
    assert out.startswith("::error title=modelgate validate-config::internal error, a bug")
    group = out.split("::group::Traceback of the internal error\n", 1)[1]
    assert "Traceback (most recent call last)" in group and group.rstrip().endswith(
        "::endgroup::")

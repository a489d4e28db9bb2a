# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one error base class and the exit codes of ``modelgate``.

Every failure modelgate expects (bad configuration, refused promotion, GitHub saying no,
AWS refusing a call) is a :class:`ModelgateError` carrying the exit code the command ends
with, so the entry point catches one class once, prints one message and exits, never
with a traceback (as pipx does with ``PipxError`` and ``ExitCode``). Exceptions from
other libraries that mean the user must act (botocore, MLflow, pydantic, the serving
package) are translated into a subclass where they enter modelgate's code.

An error class picks its code by deriving from the base that says what went wrong:
:class:`ModelgateError` itself (1, refused), :class:`UsageError` (2),
:class:`GitHubError` (4) or :class:`ServiceError` (5). Anything else that escapes a
command is a bug: exit 70, one line on screen, the traceback in a file.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from enum import IntEnum

HELP_WIDTH = 88


class ExitCode(IntEnum):
    """How a ``modelgate`` command ends, the same for every command; see :data:`MEANINGS`."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INSUFFICIENT_DATA = 3
    GITHUB_FAILED = 4
    SERVICE_FAILED = 5
    INTERNAL = 70  # sysexits.h EX_SOFTWARE


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success (drift: no drift; doctor: the settings are sound)",
    ExitCode.FAILED: "the gate failed or refused: an audit failed, a release, promotion or "
                     "deploy was refused, drift was found, doctor found the settings unsound",
    ExitCode.USAGE: "bad usage, input or configuration: argparse errors, an invalid "
                    "governance.yml or data file, missing files, a dirty working tree "
                    "(drift: no baseline, no logs in the window)",
    ExitCode.INSUFFICIENT_DATA: "drift: fewer scored requests than drift.min_requests, "
                                "neither pass nor fail",
    ExitCode.GITHUB_FAILED: "GitHub refused a call or could not be reached (drift: the "
                            "report is written, its issue is not; doctor: settings unreadable)",
    ExitCode.SERVICE_FAILED: "an external service failed or refused a call: MLflow, AWS "
                             "(S3, Lambda, CloudWatch)",
    ExitCode.INTERNAL: "internal error, a bug in modelgate: the traceback is written to a "
                       "file (shown with --verbose)",
}


def describe_exit_codes(codes: Iterable[ExitCode] | None = None,
                        meanings: Mapping[ExitCode, str] | None = None) -> str:
    """The exit codes as ``--help`` lines: all of them, or ``codes`` with their meanings
    (``meanings`` overriding :data:`MEANINGS` where one command says more)."""
    chosen = list(ExitCode) if codes is None else list(codes)
    told = {**MEANINGS, **(meanings or {})}
    return "\n".join(textwrap.fill(told[code], width=HELP_WIDTH,
                                   initial_indent=f"  {code.value:>2}  ",
                                   subsequent_indent=" " * 6) for code in chosen)


class ModelgateError(Exception):
    """A failure modelgate expects; its message is for the user and ``exit_code`` is the
    command's exit status (the class's, unless one instance says otherwise). Deriving
    from this class itself means "refused" (1)."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, *args: object, exit_code: ExitCode | None = None) -> None:
        super().__init__(*args)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(ModelgateError):
    """Bad usage, input or configuration: the user fixes the command line or a file."""

    exit_code = ExitCode.USAGE


class GitHubError(ModelgateError):
    """GitHub refused a call or could not be reached."""

    exit_code = ExitCode.GITHUB_FAILED


class ServiceError(ModelgateError):
    """An external service (MLflow, AWS) refused or failed a call."""

    exit_code = ExitCode.SERVICE_FAILED

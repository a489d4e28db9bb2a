# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The one error base class and the exit codes of ``modelgate``.

Every failure modelgate expects (bad configuration, refused promotion, GitHub saying no,
AWS refusing a call) is a :class:`ModelgateError` carrying the exit code the command ends
with, so the entry point catches one class once, prints one message and exits, never
with a traceback (as pipx does with ``PipxError`` and ``ExitCode``). Exceptions from
other libraries that mean the user must act (botocore, MLflow, pydantic, the serving
package) are translated into a subclass where they enter modelgate's code.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """How a ``modelgate`` command ends; what each code means is in :data:`MEANINGS`."""

    OK = 0
    FAILED = 1
    USAGE = 2
    INSUFFICIENT_DATA = 3
    GITHUB_FAILED = 4


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success (drift: no drift)",
    ExitCode.FAILED: "the command failed or refused (check: an audit failed; drift: drift "
                     "found)",
    ExitCode.USAGE: "bad arguments or bad input (argparse errors; drift: no baseline, no "
                    "logs in the window, unreadable files)",
    ExitCode.INSUFFICIENT_DATA: "drift: fewer scored requests than drift.min_requests, "
                                "neither pass nor fail",
    ExitCode.GITHUB_FAILED: "GitHub refused a call the command needed after its own work "
                            "(drift: the report is written, its GitHub issue is not)",
}


def describe_exit_codes() -> str:
    """The exit codes as lines for ``--help``."""
    return "\n".join(f"  {code.value}  {MEANINGS[code]}" for code in ExitCode)


class ModelgateError(Exception):
    """A failure modelgate expects; its message is for the user and ``exit_code`` is the
    command's exit status (the class's, unless one instance says otherwise)."""

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, *args: object, exit_code: ExitCode | None = None) -> None:
        super().__init__(*args)
        if exit_code is not None:
            self.exit_code = exit_code

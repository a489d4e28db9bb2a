# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""How a long job talks to the person watching it: GitHub Actions log groups, annotations
and a job summary in CI; a readable step list on a terminal."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol, TextIO


class Reporter(Protocol):
    def step(self, title: str) -> AbstractContextManager[None]: ...
    def info(self, text: str) -> None: ...
    def error(self, text: str, *, title: str = "", file: str = "") -> None: ...
    def warning(self, text: str, *, title: str = "", file: str = "") -> None: ...
    def summary(self, markdown: str) -> None: ...


def _escape_data(text: str) -> str:
    # workflow-command data escaping, as @actions/core does
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


class ConsoleReporter:
    """Steps with timings on stderr; the summary is printed at the end."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        start = time.perf_counter()
        print(f"▸ {title} …", file=self.stream, flush=True)
        try:
            yield
        except BaseException:
            print(f"  ✗ {title} failed ({time.perf_counter() - start:.2f} s)", file=self.stream)
            raise
        print(f"  ✓ {title} ({time.perf_counter() - start:.2f} s)", file=self.stream, flush=True)

    def info(self, text: str) -> None:
        print(f"  {text}", file=self.stream, flush=True)

    def error(self, text: str, *, title: str = "", file: str = "") -> None:
        where = f" [{file}]" if file else ""
        print(f"error{where}: {title + ': ' if title else ''}{text}", file=self.stream, flush=True)

    def warning(self, text: str, *, title: str = "", file: str = "") -> None:
        where = f" [{file}]" if file else ""
        print(f"warning{where}: {title + ': ' if title else ''}{text}", file=self.stream)

    def summary(self, markdown: str) -> None:
        del markdown  # the terminal already saw every step


class GitHubActionsReporter:
    """``::group::`` per step, ``::error``/``::warning`` annotations, and the job summary
    appended to ``$GITHUB_STEP_SUMMARY``."""

    def __init__(self, stream: TextIO | None = None, summary_path: Path | None = None) -> None:
        self.stream = stream or sys.stdout
        self.summary_path = summary_path

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        start = time.perf_counter()
        print(f"::group::{_escape_data(title)}", file=self.stream, flush=True)
        try:
            yield
        finally:
            print(f"{title}: {time.perf_counter() - start:.2f} s", file=self.stream)
            print("::endgroup::", file=self.stream, flush=True)

    def info(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    def _annotate(self, kind: str, text: str, title: str, file: str) -> None:
        props = [f"{k}={_escape_property(v)}" for k, v in (("file", file), ("title", title)) if v]
        head = f"::{kind} {','.join(props)}" if props else f"::{kind}"
        print(f"{head}::{_escape_data(text)}", file=self.stream, flush=True)

    def error(self, text: str, *, title: str = "", file: str = "") -> None:
        self._annotate("error", text, title, file)

    def warning(self, text: str, *, title: str = "", file: str = "") -> None:
        self._annotate("warning", text, title, file)

    def summary(self, markdown: str) -> None:
        if self.summary_path is None:
            return
        with self.summary_path.open("a", encoding="utf-8") as fh:
            fh.write(markdown.rstrip() + "\n\n")


def reporter_from_env(env: dict[str, str] | None = None) -> Reporter:
    env = dict(os.environ) if env is None else env
    if env.get("GITHUB_ACTIONS") == "true":
        summary = env.get("GITHUB_STEP_SUMMARY")
        return GitHubActionsReporter(summary_path=Path(summary) if summary else None)
    return ConsoleReporter()

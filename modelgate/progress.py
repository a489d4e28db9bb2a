# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""How a long job talks to the person watching it: GitHub Actions log groups, annotations
and a job summary in CI; on a terminal, a spinner with the elapsed time per step; and the
one place that keeps other libraries' log lines and progress bars out of it.

Results go to stdout (the command prints them); progress, warnings and errors go to stderr
on a terminal, and into the log's workflow commands in Actions.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator, MutableMapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol, TextIO

# Loggers of the libraries modelgate drives; quiet (errors only) unless --verbose.
LIBRARY_LOGGERS = ("mlflow", "alembic", "sqlalchemy", "urllib3", "botocore", "boto3",
                   "s3transfer", "github", "git", "huey")
# Read when MLflow and tqdm are imported: MLflow leaves logging to us, no progress bars.
QUIET_ENV = {"MLFLOW_CONFIGURE_LOGGING": "false",
             "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
             "TQDM_DISABLE": "1"}
VERBOSE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
VERBOSE_LEVELS = {"sqlalchemy": logging.WARNING}  # its INFO is every mapped column
SPINNER_FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER_INTERVAL_S = 0.1


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """--verbose's log lines, to whatever ``sys.stderr`` is when a line is written."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def quiet_libraries(verbose: bool = False,
                    env: MutableMapping[str, str] | None = None) -> None:
    """Keep MLflow's, alembic's, urllib3's and botocore's INFO/WARNING lines and tqdm bars
    out of modelgate's output, unless ``verbose`` (then they log to stderr at INFO).
    Call before MLflow is imported; explicit environment settings still win."""
    env = os.environ if env is None else env
    if verbose:
        root = logging.getLogger()
        if not any(isinstance(h, _StderrHandler) for h in root.handlers):
            handler = _StderrHandler()
            handler.setFormatter(logging.Formatter(VERBOSE_FORMAT))
            root.addHandler(handler)
        env.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    else:
        for key, value in QUIET_ENV.items():
            env.setdefault(key, value)
    for name in LIBRARY_LOGGERS:
        level = VERBOSE_LEVELS.get(name, logging.INFO) if verbose else logging.ERROR
        logging.getLogger(name).setLevel(level)


def is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is an interactive terminal that can redraw a line."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


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


class _Spinner:
    """One line redrawn in place: a frame, the innermost running step and its elapsed
    time. Lines printed meanwhile clear it first (under the same lock)."""

    def __init__(self, stream: TextIO, interval: float) -> None:
        self.stream = stream
        self.interval = interval
        self.lock = threading.Lock()
        self.steps: list[tuple[str, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._drawn = False

    def push(self, title: str) -> None:
        with self.lock:
            self.steps.append((title, time.perf_counter()))
            if self._thread is None:
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="modelgate-spinner",
                                                daemon=True)
                self._thread.start()

    def pop(self) -> None:
        thread = None
        with self.lock:
            self.steps.pop()
            if not self.steps:
                thread, self._thread = self._thread, None
                self._stop.set()
        if thread is not None:
            thread.join()
        with self.lock:
            self.clear()

    def clear(self) -> None:
        """Erase the spinner line (call with the lock held)."""
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self._drawn = False

    def _run(self) -> None:
        frame = 0
        while not self._stop.is_set():
            with self.lock:
                if self.steps:
                    title, start = self.steps[-1]
                    text = (f"{SPINNER_FRAMES[frame % len(SPINNER_FRAMES)]} {title} "
                            f"{time.perf_counter() - start:.0f} s")
                    width = shutil.get_terminal_size().columns - 1
                    self.stream.write("\r\x1b[2K" + text[:max(width, 10)])
                    self.stream.flush()
                    self._drawn = True
            frame += 1
            self._stop.wait(self.interval)


class ConsoleReporter:
    """Steps with timings on stderr (on a terminal, a spinner with the elapsed time while
    a step runs); the summary is not printed: the terminal already saw every step."""

    def __init__(self, stream: TextIO | None = None, *, tty: bool | None = None,
                 interval: float = SPINNER_INTERVAL_S) -> None:
        self.stream = stream or sys.stderr
        tty = is_terminal(self.stream) if tty is None else tty
        self._spinner = _Spinner(self.stream, interval) if tty else None

    def _print(self, line: str) -> None:
        if self._spinner is None:
            print(line, file=self.stream, flush=True)
            return
        with self._spinner.lock:
            self._spinner.clear()
            print(line, file=self.stream, flush=True)

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        start = time.perf_counter()
        if self._spinner is None:
            self._print(f"▸ {title} …")
        else:
            self._spinner.push(title)
        try:
            yield
        except BaseException:
            if self._spinner is not None:
                self._spinner.pop()
            self._print(f"  ✗ {title} failed ({time.perf_counter() - start:.2f} s)")
            raise
        if self._spinner is not None:
            self._spinner.pop()
        self._print(f"  ✓ {title} ({time.perf_counter() - start:.2f} s)")

    def info(self, text: str) -> None:
        self._print(f"  {text}")

    def error(self, text: str, *, title: str = "", file: str = "") -> None:
        where = f" [{file}]" if file else ""
        self._print(f"error{where}: {title + ': ' if title else ''}{text}")

    def warning(self, text: str, *, title: str = "", file: str = "") -> None:
        where = f" [{file}]" if file else ""
        self._print(f"warning{where}: {title + ': ' if title else ''}{text}")

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

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the road's time goes: wall time by kind, each second counted once.

A kind's time is exclusive: a request to the GitHub double made inside a `modelgate`
step is the double's, not the step's; an import done inside it is the imports'. The
clock is the main thread's (the double, MLflow's and moto's server threads answer while
the main thread waits on them, so their time is the waiting call's kind). Waits the
road models without waiting (GitHub's request pacing) are *counted* apart: they are what
the same requests would have waited on GitHub, not time the road spent.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import sys
import threading
import time
import types
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

MODELGATE = "modelgate steps (in process)"
PROCESSES = "modelgate and handler processes"
IMPORTS = "imports"
DOUBLE = "GitHub double (HTTP)"
MLFLOW = "MLflow server (HTTP)"
MOTO = "moto (S3, IAM, Lambda)"
GIT = "git"
STARTUP = "service start-ups"
SLEEPS = "sleeps"
REST = "the rest (the road's own work)"
ORDER = (MODELGATE, PROCESSES, IMPORTS, DOUBLE, MLFLOW, MOTO, GIT, STARTUP, SLEEPS)
PACING = "GitHub request pacing"


@dataclass
class _Frame:
    kind: str
    start: float
    inner: float = 0.0


@dataclass
class Ledger:
    """Seconds by kind (exclusive), and waits counted instead of waited."""

    totals: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    counted: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    waits: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    started: float = field(default_factory=time.perf_counter)
    _stack: list[_Frame] = field(default_factory=list)

    @contextlib.contextmanager
    def spent(self, kind: str) -> Iterator[None]:
        """Charge the time of the block to ``kind`` (minus what nested blocks charge)."""
        if threading.current_thread() is not threading.main_thread():
            yield  # server threads: their time is the waiting main thread's
            return
        frame = _Frame(kind, time.perf_counter())
        self._stack.append(frame)
        try:
            yield
        finally:
            elapsed = time.perf_counter() - frame.start
            self._stack.pop()
            self.totals[kind] += elapsed - frame.inner
            if self._stack:
                self._stack[-1].inner += elapsed

    def count(self, kind: str, seconds: float) -> None:
        """A wait the road modelled without waiting."""
        self.counted[kind] += seconds
        self.waits[kind] += 1

    def table(self) -> str:
        """Where the time went, by kind, as the demo prints it."""
        wall = time.perf_counter() - self.started
        rows = [(kind, self.totals.get(kind, 0.0)) for kind in ORDER]
        rows += [(k, v) for k, v in self.totals.items() if k not in ORDER]
        rows.append((REST, max(wall - sum(v for _, v in rows), 0.0)))
        width = max(len(k) for k, _ in rows) + 2
        lines = [f"  {'where the time went':<{width}} {'seconds':>8} {'share':>6}"]
        for kind, seconds in rows:
            share = 100 * seconds / wall if wall else 0.0
            lines.append(f"  {kind:<{width}} {seconds:8.1f} {share:5.0f}%")
        lines.append(f"  {'total (wall clock)':<{width}} {wall:8.1f}")
        for kind, seconds in self.counted.items():
            lines.append(f"  counted, not waited: {kind}, {seconds:.1f} s over "
                         f"{self.waits[kind]} waits (what GitHub's limits would cost)")
        return "\n".join(lines)


LEDGER = Ledger()


def reset() -> None:
    """A new road: the ledger starts again from now."""
    fresh = Ledger()
    LEDGER.totals, LEDGER.counted, LEDGER.waits = fresh.totals, fresh.counted, fresh.waits
    LEDGER.started, LEDGER._stack = fresh.started, fresh._stack


def by_label(times: Sequence[tuple[str, float]]) -> str:
    """The jobs and stages, grouped by what ran (first-run order): runs, total, slowest."""
    groups: dict[str, list[float]] = {}
    for label, took in times:
        groups.setdefault(label, []).append(took)
    width = max([len(k) for k in groups] + [10]) + 2
    lines = [f"  {'job or stage':<{width}} {'runs':>4} {'seconds':>8} {'slowest':>8}"]
    for label, runs in sorted(groups.items(), key=lambda kv: -sum(kv[1])):
        lines.append(f"  {label:<{width}} {len(runs):4d} {sum(runs):8.1f} {max(runs):8.1f}")
    return "\n".join(lines)


def spent(kind: str) -> contextlib.AbstractContextManager[None]:
    return LEDGER.spent(kind)


# ----------------------------------------------------------------------- hooks


class _TimedLoader(importlib.abc.Loader):
    """A module's loader, its `exec_module` charged to imports."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        made: types.ModuleType | None = self.inner.create_module(spec)
        return made

    def exec_module(self, module: types.ModuleType) -> None:
        with spent(IMPORTS):
            try:
                self.inner.exec_module(module)
            finally:  # the module keeps its real loader (isinstance checks, resources)
                with contextlib.suppress(AttributeError, TypeError):
                    module.__loader__ = self.inner
                    if module.__spec__ is not None:
                        module.__spec__.loader = self.inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class _ImportTimer(importlib.abc.MetaPathFinder):
    """Finds as the other finders do; loads through :class:`_TimedLoader`."""

    def __init__(self) -> None:
        self._busy = threading.local()

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if getattr(self._busy, "on", False):
            return None
        self._busy.on = True
        try:
            for finder in sys.meta_path:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec: importlib.machinery.ModuleSpec | None = finder.find_spec(
                    fullname, path, target)
                if spec is not None:
                    loader = spec.loader
                    if loader is not None and hasattr(loader, "exec_module"):
                        spec.loader = _TimedLoader(loader)
                    return spec
            return None
        finally:
            self._busy.on = False


def _kind_of_url(url: str, kinds: Sequence[tuple[str, str]]) -> str | None:
    return next((kind for prefix, kind in kinds if url.startswith(prefix)), None)


_INSTALLED: list[Callable[[], None]] = []


def install(*, double_url: str, mlflow_url: str, moto_url: str) -> None:
    """Charge the road's HTTP calls (requests: the double, MLflow; botocore: moto) and its
    first imports to their kinds. Idempotent; :func:`uninstall` undoes it."""
    uninstall()
    import botocore.httpsession
    import requests

    kinds = ((double_url, DOUBLE), (mlflow_url, MLFLOW), (moto_url, MOTO))
    send = requests.Session.send

    def timed_send(self: requests.Session, request: Any, **kw: Any) -> Any:
        kind = _kind_of_url(str(request.url), kinds) or DOUBLE
        with spent(kind):
            return send(self, request, **kw)

    boto_send = botocore.httpsession.URLLib3Session.send

    def timed_boto(self: Any, request: Any) -> Any:
        with spent(_kind_of_url(str(request.url), kinds) or MOTO):
            return boto_send(self, request)

    requests.Session.send = timed_send  # type: ignore[method-assign]
    botocore.httpsession.URLLib3Session.send = timed_boto
    timer = _ImportTimer()
    sys.meta_path.insert(0, timer)

    def undo() -> None:
        requests.Session.send = send  # type: ignore[method-assign]
        botocore.httpsession.URLLib3Session.send = boto_send
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(timer)

    _INSTALLED.append(undo)


def uninstall() -> None:
    while _INSTALLED:
        _INSTALLED.pop()()


@contextlib.contextmanager
def paced_without_waiting() -> Iterator[None]:
    """PyGithub's pacing (`seconds_between_requests`/`_writes`, the bot's defaults) computed
    as on GitHub but counted instead of slept: the double has no limits to be kind to,
    and the waits are reported (:meth:`Ledger.count`)."""
    import github.Requester as requester_module

    real: types.ModuleType = getattr(requester_module, "time")  # noqa: B009

    class _Clock(types.ModuleType):
        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    clock = _Clock("time")
    clock.sleep = lambda seconds: LEDGER.count(PACING, seconds)  # type: ignore[attr-defined]
    setattr(requester_module, "time", clock)  # noqa: B010
    try:
        yield
    finally:
        setattr(requester_module, "time", real)  # noqa: B010

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""One audit in a daemon thread, with a time limit, failing closed.

Apart from :mod:`.runner` so that the audits which only read the tree can be started
(:mod:`.tree_audits`) before the parent imports what the model audits need.
"""

from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

from modelgate.bot.check.audits.base import AuditContext, AuditResult, EvidenceMissing
from modelgate.bot.check.report import AuditEntry

DEFAULT_TIMEOUT_S = 300.0


class AuditModule(Protocol):
    AUDIT_ID: str
    TITLE: str

    def run(self, ctx: AuditContext) -> AuditResult: ...


@dataclass
class _Outcome:
    result: AuditResult | None = None
    error: BaseException | None = None
    trace: str = ""
    finished: float | None = None


def plain(value: object) -> object:
    """JSON-safe evidence: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and not isinstance(value, str | bytes):
        try:
            value = value.item()
        except (ValueError, TypeError):
            return str(value)
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def entry(audit_id: str, title: str, status: str, summary: str, details: dict[str, object],
          seconds: float = 0.0) -> AuditEntry:
    """A report entry: summary capped, details made JSON-safe."""
    return AuditEntry(id=audit_id, title=title, status=status,  # type: ignore[arg-type]
                      summary=summary[:2000], details=plain(details),  # type: ignore[arg-type]
                      duration_s=seconds)


@dataclass
class Pending:
    """An audit started in its own daemon thread; :meth:`entry` waits for it."""

    module: ModuleType | AuditModule
    thread: threading.Thread
    outcome: _Outcome
    started: float
    timeout_s: float

    def entry(self) -> AuditEntry:
        """Its report entry, waiting at most what is left of its time limit."""
        self.thread.join(max(0.0, self.started + self.timeout_s - time.perf_counter()))
        ended = self.outcome.finished or time.perf_counter()
        return _entry(self.module, self.thread, self.outcome, ended - self.started,
                      self.timeout_s)


def start_audit(module: ModuleType | AuditModule, ctx: AuditContext,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> Pending:
    """Start one audit in a daemon thread and return at once."""
    outcome = _Outcome()

    def target() -> None:
        try:
            outcome.result = module.run(ctx)
        except BaseException as exc:  # fail closed on anything
            outcome.error = exc
            outcome.trace = traceback.format_exc(limit=5)
        finally:
            outcome.finished = time.perf_counter()

    # a daemon thread: a hung audit cannot keep the process (and CI) alive after the report
    thread = threading.Thread(target=target, name=f"audit-{module.AUDIT_ID}", daemon=True)
    started = time.perf_counter()
    thread.start()
    return Pending(module, thread, outcome, started, timeout_s)


def run_audit(module: ModuleType | AuditModule, ctx: AuditContext,
              timeout_s: float = DEFAULT_TIMEOUT_S) -> AuditEntry:
    """One audit in a daemon thread; whatever it does, one entry comes back."""
    return start_audit(module, ctx, timeout_s).entry()


def _entry(module: ModuleType | AuditModule, thread: threading.Thread, outcome: _Outcome,
           seconds: float, timeout_s: float) -> AuditEntry:
    audit_id, title = str(module.AUDIT_ID), str(module.TITLE)
    if thread.is_alive():
        return entry(audit_id, title, "error",
                      f"timed out after {timeout_s:g} s; treated as a failure",
                      {"reason": "timeout", "timeout_s": timeout_s}, seconds)
    if isinstance(outcome.error, EvidenceMissing):
        return entry(audit_id, title, "fail", f"evidence missing: {outcome.error}",
                      {"reason": "evidence_missing", "message": str(outcome.error)}, seconds)
    if outcome.error is not None:
        return entry(audit_id, title, "error",
                      f"audit crashed: {type(outcome.error).__name__}: {outcome.error}",
                      {"reason": "exception", "exception": type(outcome.error).__name__,
                       "message": str(outcome.error)[:2000], "traceback": outcome.trace[-4000:]},
                      seconds)
    result = outcome.result
    if result is None or result.id != audit_id or result.status not in ("pass", "fail", "error"):
        return entry(audit_id, title, "error", "audit returned no valid result",
                      {"reason": "invalid_result", "returned": repr(result)[:500]}, seconds)
    try:
        return entry(result.id, result.title, result.status, result.summary,
                      dict(result.details), seconds)
    except (ValueError, TypeError) as exc:
        return entry(audit_id, title, "error", f"audit result does not validate: {exc}",
                      {"reason": "invalid_result"}, seconds)

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Run every audit, each with a time limit, and fail closed.

An audit that raises, hangs past its limit or cannot find its evidence becomes a failing
entry with the reason; the runner itself never crashes on an audit and always returns
one entry per audit, so the report and checklist are written whatever happened.
:func:`start_audit` starts one and returns at once, so the audits that only read the tree
(``TREE_AUDITS``, whose tools are child processes) run beside training.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from types import ModuleType

from modelgate.bot.check.audits import (
    bias,
    ip_headers,
    leakage,
    lineage,
    performance_gate,
    pii,
    security,
    servable,
)
from modelgate.bot.check.audits.base import AuditContext
from modelgate.bot.check.pending import DEFAULT_TIMEOUT_S, AuditModule, run_audit
from modelgate.bot.check.report import AuditEntry

# model_card runs last, on the card rendered from the others' results
AUDITS_BEFORE_CARD: tuple[ModuleType, ...] = (
    pii, ip_headers, security, leakage, bias, performance_gate, servable, lineage,
)


def run_all(modules: Sequence[ModuleType | AuditModule], ctx: AuditContext, *,
            timeout_s: float = DEFAULT_TIMEOUT_S,
            on_result: Callable[[AuditEntry], None] | None = None) -> list[AuditEntry]:
    entries = []
    for module in modules:
        entry = run_audit(module, ctx, timeout_s)
        entries.append(entry)
        if on_result is not None:
            on_result(entry)
    return entries

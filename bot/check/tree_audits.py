# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The audits that read only the repository's files, started as early as possible.

Their work is child processes (reuse, bandit, detect-secrets), so started before the
parent imports scikit-learn, pandas and MLflow they overlap those imports and training
on a second core. This module imports none of those (a test holds it), so
``modelgate check`` can start them right after reading ``governance.yml``.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

from modelgate.bot.check.audits import ip_headers, security
from modelgate.bot.check.audits._scan_cache import scan_cache_path
from modelgate.bot.check.audits.base import AuditContext
from modelgate.bot.check.audits.security import SCAN_CACHE_EXTRA
from modelgate.bot.check.pending import DEFAULT_TIMEOUT_S, AuditModule, Pending, start_audit
from modelgate.governance import LoadedConfig
from modelgate.training import tracking
from modelgate.training.provenance import collect

# audits that read only the repository's files, through child processes: they can start
# before training and run beside it and the other audits
TREE_AUDITS: tuple[ModuleType, ...] = (ip_headers, security)


def start(config: LoadedConfig, tracking_uri: str | None,
          audits: Iterable[ModuleType | AuditModule] = TREE_AUDITS,
          timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Pending]:
    """Start ``audits`` on ``config.root`` and return at once, by audit id. The scan
    cache (:func:`scan_cache_path`) goes to them in ``ctx.extra``."""
    # the store's folder exists before the tree audits list what git ignores: made later,
    # beside them, its temporary files would be walked as the team's (reuse: unreadable)
    store = tracking.embedded_store_dir(config, tracking_uri)
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
    cache = scan_cache_path()
    ctx = AuditContext(root=config.root, config=config, commit=collect(config.root).commit,
                       extra={SCAN_CACHE_EXTRA: str(cache)} if cache else {})
    return {str(m.AUDIT_ID): start_audit(m, ctx, timeout_s) for m in audits}

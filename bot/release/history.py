# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate history --at TIME`` and ``modelgate verify --registry``: the ledger read back.

``history`` answers which version served at a time, with its statement digest. The
registry check compares where the MLflow alias and the Lambda alias point NOW with the
ledger's head for each: a move made by hand (MLflow UI, ``aws lambda update-alias``) is not
in the ledger, and is reported as an incident naming what moved, from what, to what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modelgate.bot.release.ledger import Entry, Ledger, lambda_target, mlflow_target

MSG_INCIDENT = ("INCIDENT: {what} points at {actual}, but the ledger's last move put it at "
                "{expected} (entry {seq}, {action} by {who} at {at}): it was moved outside "
                "modelgate")
MSG_INCIDENT_NEW = ("INCIDENT: {what} points at {actual}, and the ledger records no move of "
                    "it: it was set outside modelgate")


@dataclass(frozen=True)
class Served:
    """What served at a time."""

    when: str
    target: str
    entry: Entry | None

    def render(self) -> str:
        e = self.entry
        if e is None:
            return f"{self.when}: nothing recorded for {self.target} at that time"
        return (f"{self.when}: {self.target} served {e.model_name} v{e.model_version} "
                f"({'lambda version ' + e.to if e.target.startswith('lambda:') else 'alias'}), "
                f"statement sha256 {e.statement_sha256}\n"
                f"  since entry {e.seq}: {e.action} at {e.at} by {_who(e)}")


def _who(e: Entry) -> str:
    parts = [v for v in (e.actor.get("aws_arn"), e.actor.get("github_actor")) if v]
    run = e.actor.get("github_run_id")
    return " / ".join(parts) + (f" (run {run})" if run else "") if parts else "unknown"


def served_at(ledger: Ledger, when: datetime, *, function: str, live_alias: str,
              mlflow_alias: str) -> Served:
    """The Lambda alias's entry at ``when``; the MLflow alias's if Lambda has none."""
    for target in (lambda_target(function, live_alias), mlflow_target(mlflow_alias)):
        entry = ledger.at(when, target)
        if entry is not None:
            return Served(when.isoformat(), target, entry)
    return Served(when.isoformat(), lambda_target(function, live_alias), None)


def _incident(what: str, actual: str, head: Entry | None) -> str | None:
    if head is None:
        return MSG_INCIDENT_NEW.format(what=what, actual=actual)
    if head.to == actual:
        return None
    return MSG_INCIDENT.format(what=what, actual=actual, expected=head.to, seq=head.seq,
                               action=head.action, who=_who(head), at=head.at)


def registry_incidents(ledger: Ledger, *, mlflow_client: Any, mlflow_alias: str,
                       lambda_client: Any = None, function: str = "",
                       live_alias: str = "live") -> list[str]:
    """One line per alias whose current target is not the ledger's head for it."""
    from modelgate.bot.release.promote import alias_version

    out: list[str] = []
    current = alias_version(mlflow_client, ledger.model_name, mlflow_alias)
    if current is not None:
        line = _incident(f"MLflow alias {ledger.model_name}@{mlflow_alias}", f"version {current}",
                         _as_version(ledger.head(mlflow_target(mlflow_alias))))
        if line:
            out.append(line)
    if lambda_client is not None and function:
        from modelgate.infra.deploy import live_bundle

        live = live_bundle(lambda_client, function, live_alias)
        if live is not None:
            line = _incident(f"Lambda alias {function}:{live_alias}",
                             live.function_version,
                             ledger.head(lambda_target(function, live_alias)))
            if line:
                out.append(line)
    return out


def _as_version(e: Entry | None) -> Entry | None:
    """MLflow entries record the model version; compare as ``version N``."""
    if e is None:
        return None
    from dataclasses import replace

    return replace(e, to=f"version {e.to}")

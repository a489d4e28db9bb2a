# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""All routes of the double, one module per endpoint family, merged into one table."""

from __future__ import annotations

from demo.github_double.routes import actions, checks, issues, pulls, releases, repos
from demo.github_double.routes.base import Context, Page, Request, Response, Route

MODULES = (issues, pulls, checks, repos, actions, releases)


def all_routes() -> dict[str, Route]:
    table: dict[str, Route] = {}
    for module in MODULES:
        for operation_id, entry in module.route.routes.items():
            if operation_id in table:
                raise ValueError(f"{operation_id} is routed twice")
            table[operation_id] = entry
    return table


__all__ = ["Context", "Page", "Request", "Response", "Route", "all_routes"]

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""A faithful local double of the GitHub REST API for tests (never shipped).

Real PyGithub talks to it over HTTP on 127.0.0.1; every request body and every response
is checked against GitHub's OpenAPI description. Start it with the `github_double`
pytest fixture (`demo.github_double.fixtures`) or `with GitHubDouble() as gh:`.
"""

from demo.github_double.double import ACTIONS_BOT, GitHubDouble
from demo.github_double.openapi import OpenApiSpec, SpecViolation
from demo.github_double.state import TickingClock
from demo.github_double.traffic import Call

__all__ = ["ACTIONS_BOT", "Call", "GitHubDouble", "OpenApiSpec", "SpecViolation", "TickingClock"]

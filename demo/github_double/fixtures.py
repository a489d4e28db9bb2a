# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The `github_double` pytest fixture.

Use it from any test module with
`from demo.github_double.fixtures import github_double  # noqa: F401`.
It needs no other fixture, so that one import is enough. The OpenAPI document is
parsed once per process; each test gets a fresh, empty double on its own port.
A test fails at teardown if the double saw a request it could not answer faithfully or
produced a response GitHub's description forbids; a test that provokes one on purpose
takes it with `github_double.take_violations()`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from demo.github_double.double import GitHubDouble, default_spec_path
from demo.github_double.openapi import OpenApiSpec


def checked_double() -> Iterator[GitHubDouble]:
    """Run a double for one test, then stop it and fail the test on any violation."""
    with GitHubDouble(spec=OpenApiSpec.load(default_spec_path())) as double:
        yield double
        violations = double.take_violations()
    if violations:
        listing = "\n  ".join(violations)
        pytest.fail(f"the GitHub double broke GitHub's contract:\n  {listing}", pytrace=False)


@pytest.fixture
def github_double() -> Iterator[GitHubDouble]:
    """A running double; stopped, and checked for contract violations, after the test."""
    yield from checked_double()

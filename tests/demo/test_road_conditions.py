# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""The road reads a step's `if:` as the workflows write it: status functions and
comparisons of a context value with a string, joined by `&&`."""

from __future__ import annotations

from typing import Any

import pytest

from demo.road import comparisons_hold

CTX: dict[str, Any] = {"steps": {"verdict": {"outcome": "success"},
                                 "check": {"outcome": "skipped"}},
                       "vars": {"AWS_READ_ROLE_ARN": "arn:aws:iam::1:role/read", "EMPTY": ""}}


@pytest.mark.parametrize(("condition", "holds"), [
    ("", True),
    ("always()", True),
    ("${{ !cancelled() }}", True),
    ("${{ !cancelled() && steps.verdict.outcome != 'skipped' }}", True),
    ("${{ !cancelled() && steps.check.outcome != 'skipped' }}", False),
    ("steps.check.outcome == 'skipped'", True),
    ("vars.AWS_READ_ROLE_ARN != ''", True),
    ("vars.EMPTY != ''", False),
    ("vars.UNSET != ''", False),  # an unset value reads as ''
    ("steps.never.outcome == 'success'", False),
])
def test_step_conditions(condition: str, holds: bool) -> None:
    assert comparisons_hold(condition, CTX) is holds

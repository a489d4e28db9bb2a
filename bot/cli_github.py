# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""GitHub-facing subcommands (``handle``, ``report``); being written, see issue 5."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    """Add the GitHub subcommands to the ``modelgate`` parser."""
    del sub
    _ = argparse

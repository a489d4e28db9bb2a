# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Where the shared fixtures (GitHub's OpenAPI subset, webhook payloads and schemas) lie:
``../shared/fixtures`` beside the checkout, as on CI; ``MODELGATE_FIXTURES`` overrides."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("MODELGATE_FIXTURES") or REPO.parent / "shared" / "fixtures")


def load_fixture_json(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text(encoding="utf-8"))

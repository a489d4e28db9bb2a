# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``python -m bot.cli`` is the ``modelgate`` command."""

import sys

from bot.cli.main import main

sys.exit(main())

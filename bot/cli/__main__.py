# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``python -m modelgate.bot.cli`` is the ``modelgate`` command."""

import sys

from modelgate.bot.cli.main import main

sys.exit(main())

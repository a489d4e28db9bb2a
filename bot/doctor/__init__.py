# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate doctor``: is the repository set up so that the gate holds?

``core`` judges settings given as typed values (no client, no payloads); ``read`` turns
what :mod:`modelgate.bot.github.settings` fetched into those values; ``workflows`` finds the
variables and secrets the workflows read.
"""

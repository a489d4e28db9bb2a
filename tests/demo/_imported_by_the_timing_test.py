# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""A module test_road_timing imports afresh, to see its import charged to imports."""

VALUE = sum(range(100_000))

# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""``modelgate init``: a team's repository made ready for the gate in one command.

``infer`` reads the team's CSV and decides what the flags left open (task, labels, feature
types, estimator, subgroup); ``render`` writes governance.yml with a comment on every key,
the caller workflows from ``workflows/`` and the model cards' README; ``scaffold`` plans
the files (created / kept / would overwrite) and writes them.
"""

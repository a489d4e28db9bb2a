#!/usr/bin/env bash
# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
# The test command of the README (and of .ci/run): the whole suite, offline-safe.
set -euo pipefail
cd "$(dirname "$0")/.."
# PATH is left as the caller's: what the project installs for itself (uv, the console
# scripts in .venv/bin) it finds without PATH, and a test must not pass only because of it
export MPLBACKEND=Agg
unset MLFLOW_TRACKING_URI
# Two workers (CI has two cores), one test file per worker so module fixtures build once;
# MODELGATE_TEST_WORKERS=0 runs in one process. The slowest tests are listed at the end.
# exit status 5 (no test collected) is a failure too: a suite that ran nothing proves nothing
.venv/bin/python -m pytest -p no:cacheprovider -n "${MODELGATE_TEST_WORKERS:-2}" \
    --dist loadfile --durations=15 "$@"

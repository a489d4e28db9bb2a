# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
# Two commands on a fresh machine with Python 3.11: `make demo` and `make test`.
.PHONY: setup demo test lint bench mlflow-schema clean

PYTHON ?= python3
TOOLS := .modelgate/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
export UV_COMPILE_BYTECODE := 1
export UV_PYTHON := $(PYTHON)
export UV_LINK_MODE := copy

# uv to bootstrap the venv; the venv then holds the same uv as a locked dependency
# (.venv/bin/uv), which `modelgate package` finds without PATH (modelgate/tools.py)
$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==0.13.9"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen
	@touch $@

setup: $(VENV)/.synced

demo: setup
	$(VENV)/bin/python -m demo.road

test: setup
	bash scripts/test.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	for b in bench/*.py; do $(VENV)/bin/python $$b || exit 1; done

# after an MLflow upgrade in uv.lock: the schema a new embedded store starts from
# (tests/training/test_train.py fails until it is regenerated)
mlflow-schema: setup
	$(VENV)/bin/python -m modelgate.training.tracking --write-sqlite-schema

clean:
	rm -rf .modelgate $(VENV)

# openpiu: every target bootstraps its own environment (uv, then a locked .venv).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
# Use a working uv already on PATH (a pyenv shim may exist without a uv behind it), else a private copy
# installed with pip into .tools/.
UV := $(shell uv --version >/dev/null 2>&1 && command -v uv || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen
# Only the folders that exist: git does not keep empty folders, so a fresh clone may lack bench/ or tests/.
CODE := $(wildcard src tests bench)

.PHONY: demo test lint format types unit bench sync clean

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: uv.lock pyproject.toml setup.py src/openpiu/formats/_edifact_speedups.c | $(UV)
	@# PyICU (rigour's transliteration, for name screening) is built against the system's ICU.
	@pkg-config --exists icu-uc 2>/dev/null || { echo "openpiu needs ICU's headers to build PyICU:" \
		"install libicu-dev and pkg-config (Debian/Ubuntu: sudo apt-get install libicu-dev pkg-config)"; exit 1; }
	@# Compiled once here: where bytecode is not written at run time (PYTHONDONTWRITEBYTECODE), every process
	@# (each ingest reader and writer, each command) would otherwise compile its imports again, about a second.
	$(UV) sync --frozen --python 3.11 --reinstall-package openpiu --compile-bytecode
	$(CURDIR)/.venv/bin/python -m compileall -q src
	touch $@

sync: .venv/.synced

demo: sync
	$(RUN) openpiu demo --serve

lint: sync
	$(RUN) ruff check $(CODE)
	$(RUN) ruff format --check $(CODE)
	$(RUN) lint-imports --no-cache --no-logo

format: sync
	$(RUN) ruff format $(CODE)
	$(RUN) ruff check --fix $(CODE)

types: sync
	$(RUN) mypy

# In parallel, one worker per CPU: much of a run waits (subprocesses, PostgreSQL, RabbitMQ, the browser), and
# the waits overlap. A module's tests stay together on one worker, in order (its module-scoped fixtures are
# built once; some take many seconds), and modules are handed out in collection order, so that the long
# ones (tests/pipeline/test_no_loss*.py) start early rather than last.
unit: sync
	$(RUN) pytest -n auto --dist loadscope --no-loadscope-reorder

test: lint types unit

bench: sync
	$(RUN) python bench/parse.py
	$(RUN) python bench/generate.py

clean:
	rm -rf .venv .tools .mypy_cache .pytest_cache .ruff_cache .hypothesis

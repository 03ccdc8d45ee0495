# openpiu: every target bootstraps its own environment (uv, then a locked .venv).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
# Use a uv already on PATH, else a private copy installed with pip into .tools/.
UV := $(shell command -v uv 2>/dev/null || echo $(CURDIR)/.tools/bin/uv)
RUN := $(UV) run --frozen

.PHONY: demo test lint format types unit bench sync clean

$(CURDIR)/.tools/bin/uv:
	$(PYTHON) -m venv $(CURDIR)/.tools
	$(CURDIR)/.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

.venv/.synced: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --python 3.11
	touch $@

sync: .venv/.synced

demo: sync
	$(RUN) openpiu demo

lint: sync
	$(RUN) ruff check src tests bench
	$(RUN) ruff format --check src tests bench

format: sync
	$(RUN) ruff format src tests bench
	$(RUN) ruff check --fix src tests bench

types: sync
	$(RUN) mypy

unit: sync
	$(RUN) pytest

test: lint types unit

bench: sync
	$(RUN) python bench/parse.py

clean:
	rm -rf .venv .tools .mypy_cache .pytest_cache .ruff_cache

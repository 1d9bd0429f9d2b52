# Everyday commands, run from the repository root: `make` lists them.
#
# Every target runs $(PYTHON) -m ..., never a bare `pytest` or `kpath`, so it uses the
# interpreter you chose: the activated venv's python3, or PYTHON=.venv/bin/python make test.
# Install first: $(PYTHON) -m pip install -e '.[test]'  (the README's test command).

PYTHON ?= python3

.DEFAULT_GOAL := help
.PHONY: help check lint format typecheck test snapshots bench

help:  ## this list
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' \
		$(MAKEFILE_LIST)

check: lint typecheck  ## ruff (lint and format) and mypy (what CI runs before the tests)

lint:  ## ruff check and ruff format --check
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .

format:  ## ruff format: the layout CI checks
	$(PYTHON) -m ruff format .

typecheck:  ## mypy --strict on kpath/ (configured in pyproject.toml)
	$(PYTHON) -m mypy

test:  ## the whole suite on two workers, as CI runs it
	$(PYTHON) -m pytest -n 2 -q

snapshots:  ## regenerate screenshots/ and tests/tui/snapshots/; review `git diff` after
	KPATH="$(PYTHON) -m kpath" scripts/screenshots.sh
	KPATH_UPDATE_SNAPSHOTS=1 $(PYTHON) -m pytest -q -p no:xdist tests/tui/test_snapshots.py

bench:  ## routing at a tenth of the scale, then the terminal UI (~3 min; benchmarks/README.md)
	$(PYTHON) benchmarks/bench_paths.py --quick
	$(PYTHON) benchmarks/bench_tui.py

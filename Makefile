# One entry per job; CI (.ci/run) calls the same entries as the README.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: setup demo test lint docs bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[spark,dev]'
	touch $@

setup: $(VENV)/.installed

demo: setup  ## set everything up and run the main job
	$(VENV)/bin/canyu demo demo-workspace

test: setup  ## the whole test suite (Spark tests skip with a reason where Java is missing), one worker per core, a file per worker
	$(PY) -m pytest -n auto --maxprocesses=4 --dist loadfile

lint: setup
	$(PY) -m ruff check src tests bench
	$(PY) -m ruff format --check src tests bench

docs: setup  ## regenerate docs/cli.md from the CLI's own --help
	$(VENV)/bin/typer canyu.cli utils docs --name canyu --title "canyu command line" --output docs/cli.md

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache

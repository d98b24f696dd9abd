# Two commands matter: `make run` (set up and start the app) and `make test` (set up and pass every test).
# Both create or refresh .venv from pyproject.toml; nothing is downloaded at run time.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8550

.PHONY: run test lint fmt bench system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	LIFEOS_HOST=$(HOST) LIFEOS_PORT=$(PORT) $(VENV)/bin/lifeos-app

system-deps:
	@bash build/ensure-system-packages.sh

test: $(STAMP) system-deps
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: $(STAMP)
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

bench: $(STAMP)
	$(PY) bench/store_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build/out

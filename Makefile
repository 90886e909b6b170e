# Advocacy Desk. `make run` starts the desk with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
PORT ?= 8000
# Benchmarks truncate and bulk-load their database: never the one in DATABASE_URL.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/advocacy_bench

.PHONY: run test bench lint messages install install-dev clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Advocacy Desk needs Python 3.11 or newer; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml requirements-dev.lock
	$(BIN)/pip install --quiet -c requirements-dev.lock -e ".[dev]"
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python manage.py migrate --verbosity 0
	$(BIN)/python manage.py load_demo
	@echo
	@echo "  Advocacy Desk is starting at http://127.0.0.1:$(PORT)/"
	@echo "  Demo logins:  advocate / advocate-demo    manager / manager-demo"
	@echo "  Web, worker and beat run together; Ctrl-C stops all of them."
	@echo
	PATH="$(BIN):$$PATH" PORT=$(PORT) $(BIN)/honcho --procfile Procfile.dev start

test: install-dev
	$(BIN)/pytest

bench: install-dev
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python -m tests.bench.run $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .

# PNGs of the main pages for the README, from a fresh desk with the demo (docs/screenshots/).
screenshots: install-dev
	$(BIN)/python scripts/screenshots.py $(SCREENSHOT_ARGS)

# Catalogues: collect the marked strings of the apps and templates (as tests/test_translations.py
# does), keep the translations, then compile. Translate the new entries before committing.
messages: install-dev
	$(BIN)/python manage.py makemessages -l it -l nb -l ro --no-location --no-obsolete \
		--ignore='.venv/*' --ignore='staticfiles/*' --ignore='var/*' --ignore='tests/*' \
		--ignore='scripts/*' --ignore='docs/*'
	$(BIN)/python manage.py compilemessages --ignore='.venv/*'

clean:
	rm -rf $(VENV) var staticfiles

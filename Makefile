# flexserve — see README.md. Every target creates what it needs on a fresh machine.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
SEED_ARGS ?=

# pytest exits 5 when it collected no test: a run that tested nothing is a failure here.
PYTEST = $(BIN)/pytest
define run_pytest
	$(PYTEST) $(1); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no test: failing" >&2; exit 1; fi; exit $$rc
endef

.PHONY: run serve setup test lint e2e bench fmt messages production clean

$(BIN)/activate: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(BIN)/activate

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

# Babel compiles the catalogue in pure Python: no gettext tools needed to run flexserve.
locale/zh_Hans/LC_MESSAGES/django.mo: locale/zh_Hans/LC_MESSAGES/django.po $(BIN)/activate
	$(BIN)/pybabel -q compile -d locale -D django -l zh_Hans

setup: $(BIN)/activate node_modules/.package-lock.json locale/zh_Hans/LC_MESSAGES/django.mo

run: setup  ## venv, installs, migrate, demo city when empty, serve on 127.0.0.1:8000
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo --if-empty $(SEED_ARGS)
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup lint  ## lint, then the suite on SQLite (or on $$DATABASE_URL)
	$(call run_pytest,-m "not e2e" -q)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) manage.py check_messages

e2e: setup  ## browser tests in Debian chromium
	$(call run_pytest,-m e2e -q tests/e2e)

bench: setup  ## benchmarks → docs/benchmarks.md and docs/benchmarks.json
	$(PY) -m bench.run --timeout 3600  # the 56 Solomon instances take about 25 min with their anchors

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

messages: setup  ## refresh the zh_Hans catalogue (needs GNU gettext) and compile it
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=node_modules \
		--ignore=staticfiles --ignore=var --no-obsolete
	$(BIN)/pybabel -q compile -d locale -D django -l zh_Hans

production: setup  ## gunicorn + Celery worker + beat on PostgreSQL and Redis (see README)
	bin/production

clean:
	rm -rf $(VENV) node_modules staticfiles .pytest_cache .ruff_cache

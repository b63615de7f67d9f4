# MyAccount: `make run` serves the portal with demo data; `make test` runs lint and every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/myaccount
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: run test install lint format services browser signer worker clean bench messages messages-update

UV_VERSION := 0.13.10

# The environment is the one uv.lock pins (the versions the suite passes with), installed
# by uv: a few seconds where pip took half a minute. pip installs uv only: the machine's
# into a .venv made without pip, or, where that pip is missing or too old for --python,
# the .venv's own.
# After changing the dependencies in pyproject.toml: `$(BIN)/uv lock`, and commit uv.lock.
$(BIN)/uv:
	$(PYTHON) -m venv --without-pip $(VENV)
	$(PYTHON) -m pip --python $(BIN)/python install --quiet uv==$(UV_VERSION) 2>/dev/null \
	  || { $(PYTHON) -m venv $(VENV) && $(BIN)/python -m pip install --quiet uv==$(UV_VERSION); }

# --system-certs: uv trusts the certificates the system trusts, as pip and curl do (a
# network whose proxy has a CA of its own), not only those uv carries.
$(VENV)/.installed: pyproject.toml uv.lock | $(BIN)/uv
	$(BIN)/uv sync --locked --extra dev --inexact --system-certs --quiet
	touch $@

install: $(VENV)/.installed

# The translation catalogs (locale/*/LC_MESSAGES/*.po) compiled to the .mo files Django
# reads: build output, not committed. gettext comes from Debian.
messages: install
	scripts/ensure-gettext.sh
	$(BIN)/python manage.py compilemessages --ignore=.venv --verbosity=0

# After marking new strings: add them to every catalog, then translate them
# (docs/i18n.md); the catalog check in `make test` fails until both are done.
messages-update: install
	scripts/ensure-gettext.sh
	$(BIN)/python manage.py catalogs_update

# The portal with demo data on http://127.0.0.1:$(PORT), a Celery worker with beat (on
# Redis when REDIS_URL is set, else on files under .run/broker) and a loopback webhook
# receiver, all stopped together (scripts/run.sh).
PORT ?= 8000
run: install messages
	PORT=$(PORT) scripts/run.sh

# A Celery worker with beat on its own (e.g. beside a server started another way).
worker: install
	$(BIN)/celery -A myaccount worker -B -Q celery,webhooks --loglevel=info

services:
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) scripts/ensure-services.sh

browser:
	scripts/ensure-chromium.sh

# xmlsec1 (Debian) signs the responses of the tests' SAML identity provider; the portal
# verifies them with the xmlsec wheel and needs nothing from Debian for it.
signer:
	scripts/ensure-xmlsec1.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The browser tests photograph the main pages at 1280 and 390 px: listed at the end.
SCREENSHOT_DIR ?= test-artifacts/screenshots
# The tests run in PYTEST_WORKERS processes (pytest-xdist; auto: one per core), each with
# a test database and cache keys of its own; tests/conftest.py says how they are dealt
# (one at a time, slow ones first, so the workers finish together).
PYTEST_WORKERS ?= auto
PYTEST_XDIST = -n $(PYTEST_WORKERS) --maxschedchunk 1

# Bytecode is cached whatever the environment says (PYTHONDONTWRITEBYTECODE): the ~100
# Python processes the suite starts, and each worker's collection, compile the project once.
test: install messages services browser signer lint
	env -u PYTHONDONTWRITEBYTECODE DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) SCREENSHOT_DIR=$(abspath $(SCREENSHOT_DIR)) $(BIN)/python -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)
	@if [ -d $(SCREENSHOT_DIR) ]; then echo "Screenshots of the main pages (1280 and 390 px) in $(SCREENSHOT_DIR)/:"; ls $(SCREENSHOT_DIR); fi

# The licensing API beside the minimal-activation anchor, then the pages at size
# (bench/; docs/benchmarks.md). wrk comes from Debian.
bench: install
	scripts/ensure-wrk.sh
	$(BIN)/python bench/activation.py
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 .run .pytest_cache test-artifacts build *.egg-info
	find locale -name '*.mo' -delete

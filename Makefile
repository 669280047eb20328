# CSOS developer commands. `make run` tries CSOS; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.8
ADDR ?= 127.0.0.1:8000
TEST_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/csos)
TEST_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)

# Python keeps each module it compiles: `make run` and `make test` start several processes
# (migrate, demo, server, workers) that would otherwise each compile every module again.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install install-dev run serve test lint format lock

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## install: the runtime dependencies, exactly as locked
install: $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/base.txt

## install-dev: runtime plus test and lint tools
install-dev: $(BIN)/uv
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements/dev.txt

## run: install, then migrate, load the demo workspace and serve it (`make serve`) on
## DATABASE_URL, or on PostgreSQL started from .pgdata/ when it is unset (csos/embedded_db.py)
# Debug is off unless asked for; a laptop trial asks for it (dev secret key, local hosts, no TLS).
run: export DEBUG := true
run: install
	@$(BIN)/python -m csos.embedded_db $(MAKE) --no-print-directory serve

## serve: migrate, then serve on DATABASE_URL while the demo workspace builds beside it (a worker
## too when REDIS_URL is set)
serve:
	$(BIN)/python manage.py migrate --no-input --skip-checks
	@$(BIN)/python manage.py demo_workspace & demo=$$!; worker=; \
	if [ -n "$$REDIS_URL" ]; then \
	  $(BIN)/celery -A csos worker --beat --loglevel=INFO & worker=$$!; \
	  echo "Celery worker started against $$REDIS_URL"; \
	else echo "No REDIS_URL: background tasks run eagerly inside the web process."; fi; \
	trap 'kill $$demo $$worker 2>/dev/null' EXIT INT TERM; \
	echo "Starting the site on http://$(ADDR)/ while the demo workspace is built; its logins follow."; \
	$(BIN)/python manage.py runserver $(ADDR)

## test: install and run the whole suite on PostgreSQL (the embedded one when none answers
## at TEST_DATABASE_URL, outside CI) and Redis, one process per core (TEST_PROCESSES=1: one)
TEST_PROCESSES ?= auto
test: install-dev
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(BIN)/pytest -n $(TEST_PROCESSES) --dist loadgroup $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## lock: re-resolve requirements/*.txt from pyproject.toml
lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 -o requirements/base.txt
	$(BIN)/uv pip compile pyproject.toml --quiet --python-version 3.11 --extra dev -o requirements/dev.txt

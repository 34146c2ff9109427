# fuelpay — `make help` lists the targets. The README's two commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/fuelpay
REDIS_URL ?= redis://127.0.0.1:6379/5

.PHONY: help install run test test-sqlite test-postgres lint bench browsers fault-soak

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/.installed  ## create .venv and install pinned dependencies

run: install  ## migrate, load demo data, start web + worker + beat + forecourt simulator + pump bridge
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py run_platform

test: install browsers  ## the whole suite on embedded defaults (SQLite, filesystem broker)
	$(BIN)/python -m pytest -q

# The browser flows run the platform on its embedded defaults whatever DATABASE_URL says (see tests/e2e),
# so `make test` already covers them; here they would only run the same thing twice.
test-postgres: install  ## the suite on the local PostgreSQL + Redis (browser flows run in `make test`)
	DATABASE_URL=$(PG_URL) CELERY_BROKER_URL=$(REDIS_URL) $(BIN)/python -m pytest -q -m "not browser"

fault-soak: install  ## the pump fault soak on a pty (FAULT_SOAK_ROUNDS=300); see docs/pumpgateway.md
	FAULT_SOAK_ROUNDS=$${FAULT_SOAK_ROUNDS:-300} $(BIN)/python -m pytest -q -s tests/pumpgateway/test_fault_soak.py

AXE_VERSION := 4.14.1

browsers:  ## Debian's Chromium and a CJK font for the Playwright tests (never a downloaded browser), axe-core
	@test -x /usr/bin/chromium -a -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc \
	  || (apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null)
	@test -e var/axe/node_modules/axe-core/axe.min.js \
	  || npm install --prefix var/axe --no-save --no-audit --no-fund axe-core@$(AXE_VERSION) >/dev/null

lint: install  ## ruff, the app layer contract (import-linter) and a migrations check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run -v0

bench: install  ## benchmarks; figures go to BENCHMARKS.md
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/dart_bench.py
	$(BIN)/python bench/pay_bench.py
	$(BIN)/python bench/page_weight_bench.py
	$(BIN)/python bench/dashboard_bench.py

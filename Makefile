# Smultron — `make run` serves the app with demo data, `make test` runs every test.
# Both install what is missing first (system packages, the .venv, the package).

SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
HOST  ?= 127.0.0.1
PORT  ?= 5000
# pytest-xdist workers for make test (each starts its own PostGIS cluster): three on
# two cores, since many tests wait on PostgreSQL, Chromium or a subprocess (14:03,
# 17:55 and 17:28 in three runs on this 2-core machine on 3 December 2026, against
# 18:35 and 22:18 with two)
TEST_WORKERS ?= 3
# the JavaScript linter (package.json's devDependencies) and the outbox's Node tests
BIOME    := node_modules/.bin/biome
JS_TESTS := tests/js/*.test.mjs

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

system: ## install PostgreSQL + PostGIS and xmlsec1 (SAML) through the system package manager (if missing)
	@scripts/install-system-deps.sh server

system-test: ## also install what the tests need: Chromium, gdal-bin, QGIS, Node.js and the topology's servers
	@scripts/install-system-deps.sh server test topology

system-topology: ## install Patroni, etcd, HAProxy, pgbouncer and Redis (make topology)
	@scripts/install-system-deps.sh server topology

system-node: ## install Node.js and npm (the linter and the JavaScript tests)
	@scripts/install-system-deps.sh node

# package-lock.json pins the linter (and the vendored packages, see make vendor)
node_modules/.installed: package.json package-lock.json
	@npm ci --no-audit --no-fund --ignore-scripts --silent && touch $@

$(VENV)/.installed: setup.cfg pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip 2>&1 | grep -v 'is ignored' || true
	@$(PY) -m pip install -q -e . 2>&1 | grep -v 'is ignored' || true
	@$(PY) -c 'import smultron, flask_babel, geoalchemy2' && touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg
	@$(PY) -m pip install -q -e '.[test]' 2>&1 | grep -v 'is ignored' || true
	@$(PY) -c 'import pytest, playwright, hypothesis, xdist' && touch $@

venv: $(VENV)/.installed ## create .venv and install the package

translations: $(VENV)/.installed ## compile the Swedish and English message catalogues
	@$(PY) -m smultron.core.i18n compile

run: system venv translations ## set up and serve http://$(HOST):$(PORT) on the embedded PostGIS with demo data
	@$(BIN)/smultron db upgrade
	@$(BIN)/smultron demo --if-empty
	@$(BIN)/smultron serve --host $(HOST) --port $(PORT)

topology: system-topology venv translations ## start deploy/'s topology on this machine (HAProxy, 2 gunicorn, pgbouncer, Patroni x2 + etcd, Redis) with demo data
	@$(PY) deploy/topology.py start

topology-stop: ## stop what make topology started
	@$(PY) deploy/topology.py stop

test: system-test $(VENV)/.installed-test node_modules/.installed translations ## set up and run the whole test suite
	@$(BIN)/ruff check .
	@$(BIOME) lint
	@node --test --test-reporter=spec $(JS_TESTS)
	@$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal --durations=25 $(PYTEST_ARGS)

test-fast: system-test $(VENV)/.installed-test node_modules/.installed translations ## the same without the browser tests and the fresh-clone test (minutes less)
	@$(BIN)/ruff check .
	@$(BIOME) lint
	@node --test --test-reporter=spec $(JS_TESTS)
	@$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal -m "not browser and not slow" $(PYTEST_ARGS)

test-js: system-node node_modules/.installed ## only the outbox's unit tests under Node (tests/js)
	@node --test --test-reporter=spec $(JS_TESTS)

lint: system-node $(VENV)/.installed-test node_modules/.installed ## ruff (Python), Biome (static/js, tests/js)
	@$(BIN)/ruff check .
	@$(BIOME) lint

vendor: ## re-copy the pinned front-end packages (package.json) into static/vendor/
	@scripts/vendor-assets.sh

bench: system-test $(VENV)/.installed-test ## run every benchmark (bench/, minutes; see README)
	@scripts/install-system-deps.sh bench
	@for b in export report api map write photos failover; do $(PY) bench/$$b.py || exit 1; done

clean: ## remove the venv, node_modules and the embedded database (instance/)
	rm -rf $(VENV) node_modules instance

.PHONY: help system system-test system-node system-topology topology topology-stop venv translations run test test-fast test-js lint vendor bench clean

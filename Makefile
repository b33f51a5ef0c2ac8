# Puebla — the commands of README.md. `uv` comes from PyPI if the machine lacks it.
SHELL := /bin/bash
UV := python3 -m uv
# Every Python process here (the stack's dozen, pytest, each check) imports the same sources:
# with PYTHONDONTWRITEBYTECODE set, as some shells and CI images do, each compiles them all
# again — 7.8 s instead of 2.6 s to import one API here. __pycache__/ is git-ignored.
unexport PYTHONDONTWRITEBYTECODE
UV_VERSION := 0.13.8
SERVICES := repatriation child_protection reserve_fund consular console
# Tests type-checked by `make lint`: every service's.
TYPED_TESTS := $(SERVICES)
UNIT_TESTS := shared/tests/unit $(foreach s,$(SERVICES),services/$(s)/tests/unit)

.PHONY: setup browser prometheus observe run up stop status test unit integration e2e lint types imports contracts contracts-check pytest fuzz faults bench demo clean

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --quiet

## The whole system on loopback, in the foreground (Ctrl-C stops it)
run: setup
	@$(UV) run python -m puebla_dev.devstack up

## The same, in the background
up: setup
	@$(UV) run python -m puebla_dev.devstack up --detach

stop:
	@$(UV) run python -m puebla_dev.devstack down

## Prometheus beside the running stack (scrapes every process, evaluates the alert rules):
## http://127.0.0.1:9090; `make stop` stops it with the rest
observe: setup
	@$(UV) run python -m puebla_dev.devstack.prometheus

status:
	@$(UV) run python -m puebla_dev.devstack status

## Every check and every test: lint, types, layering, contract drift, unit/integration/api/e2e
test: setup lint contracts-check pytest

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy shared/src dev/src $(addprefix services/,$(addsuffix /src,$(SERVICES)))
	$(UV) run mypy --explicit-package-bases shared/tests $(addprefix services/,$(addsuffix /tests,$(TYPED_TESTS))) e2e
	$(UV) run lint-imports
	$(UV) run python -m console.entrypoints.catalogs check
	$(UV) run python -m puebla_dev.devstack.references
	$(UV) run python -m puebla_dev.checks.routers
	$(UV) run python -m puebla_dev.monitoring.generate --check

contracts: setup
	$(UV) run python contracts/generate.py

contracts-check: setup
	$(UV) run python contracts/generate.py --check

## Debian's Chromium for the browser tests (installed when missing: needs root and apt-get)
browser: setup
	@$(UV) run python -m puebla_dev.devstack.browser

## Debian's Prometheus and promtool, for the alert-rule tests (installed when missing)
prometheus: setup
	@$(UV) run python -m puebla_dev.devstack.prometheus tools

## Every test, as two pytest sessions side by side on one stack (puebla_dev.testing.shards)
pytest: setup browser prometheus
	$(UV) run python -m puebla_dev.testing.shards $(ARGS)

## The fast loop: domains, handlers on a fake unit of work, pure helpers; no server, seconds
unit: setup
	$(UV) run pytest -q $(UNIT_TESTS)

## Real PostgreSQL, NATS and Keycloak (the test session starts what is not running)
integration: setup
	$(UV) run pytest -q shared/tests/integration shared/tests/fixture_service $(foreach s,$(SERVICES),$(wildcard services/$(s)/tests/integration services/$(s)/tests/api))

## The running system end to end, the console in Chromium
e2e: setup browser prometheus
	$(UV) run pytest -q e2e/tests

## Schemathesis, every check and phase (stateful too), 60 s for each writer of each service,
## the four services at once (make test: 8 s, one writer each); needs the stack: make up
fuzz: setup
	PUEBLA_FUZZ_SECONDS=$${PUEBLA_FUZZ_SECONDS:-60} PUEBLA_FUZZ_ALL_WRITERS=1 $(UV) run pytest -q e2e/tests/test_fuzz.py

## The fault tests with several random seeds (make test runs one); needs Keycloak (make up)
faults: setup
	PUEBLA_FAULT_SEEDS=$${PUEBLA_FAULT_SEEDS:-5} PUEBLA_FAULT_WINDOW=$${PUEBLA_FAULT_WINDOW:-25} $(UV) run pytest -q e2e/tests/test_faults.py

## Speed against the same machine's ceiling; table + var/bench/bench.{json,png} (needs: make up)
bench: setup
	$(UV) run python -m e2e.bench

## The three journeys of the user guide against the running stack (start it with make up)
demo: setup
	@$(UV) run python -m e2e.journeys

clean: stop
	rm -rf var

# EMS: make demo (run the platform with demo data) and make test (run every test) are all a newcomer needs.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STACK := scripts/stack.sh
DEMO_DAYS ?= 90
API_PORT ?= 8000
API_WORKERS ?= 2

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: ## install Debian packages (if missing) and the Python venv
	@bash $(STACK) install

demo: install ## run the platform: services, schema, demo campus and $(DEMO_DAYS) days of history
	@bash $(STACK) start demo
	@set -a; source .run/demo/env.sh; set +a; \
	  $(PY) -m myems_common.schema install && \
	  $(PY) -m myems_common.schema migrate && \
	  $(PY) -m myems_demo.load && \
	  $(PY) -m myems_demo.history --days $(DEMO_DAYS) && \
	  bash $(STACK) service demo api --wait-http http://127.0.0.1:$(API_PORT)/version -- \
	    env API_BIND=127.0.0.1:$(API_PORT) API_WORKERS=$(API_WORKERS) $(PY) -m myems_api && \
	  bash $(STACK) service demo mqtt-publisher -- $(PY) -m myems_demo.mqtt_publisher && \
	  bash $(STACK) service demo mqtt -- $(PY) -m myems_mqtt && \
	  bash $(STACK) service demo devices -- $(PY) -m myems_demo.devices && \
	  bash $(STACK) service demo modbus-tcp -- $(PY) -m myems_modbus_tcp && \
	  bash $(STACK) service demo cleaning -- $(PY) -m myems_cleaning && \
	  bash $(STACK) service demo normalization -- $(PY) -m myems_normalization && \
	  bash $(STACK) service demo aggregation -- $(PY) -m myems_aggregation && \
	  MYEMS_API_PORT=$(API_PORT) $(PY) -m myems_demo.summary

test: install ## run every test (starts its own test stack on ports 3307/6380/1884)
	@bash $(STACK) start test
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check . > /dev/null || { $(VENV)/bin/ruff format --diff . | head -50; exit 1; }
	@$(VENV)/bin/mypy myems-common/myems_common
	@set -a; source .run/test/env.sh; set +a; $(PY) -m pytest -q $(PYTEST_ARGS)

stop: ## stop everything make demo and make test started
	@bash $(STACK) stop

status: ## show what is running
	@bash $(STACK) status demo

lint: ## ruff and mypy
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy myems-common/myems_common

fmt: ## format the code
	@$(VENV)/bin/ruff format . && $(VENV)/bin/ruff check --fix .

schema: ## regenerate the slot databases' install SQL from myems_common/series.py
	@$(PY) -m myems_common.schema generate

clean: stop ## stop everything and delete the stacks' data (.run) and the venv
	rm -rf .run $(VENV)

.PHONY: help install demo test stop status lint fmt schema clean

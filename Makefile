# downline: two commands for a new user, `make up` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: up test test-all lint typecheck format bench soak neo4j plotly down clean help

help:
	@echo "make up     - venv, Neo4j from Maven Central, demo network, serve (prints URLs)"
	@echo "make test   - lint, type check and the test suite against a real Neo4j"
	@echo "make bench  - benchmarks at 10k/100k/1M, written to benchmarks/RESULTS.md"
	@echo "make soak   - the reliability suite with many kills at random points"
	@echo "make plotly - rebuild the dashboard's plotly.js (dashboards/plotly, from npm)"
	@echo "make down   - stop the local Neo4j server"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

neo4j: $(STAMP)
	$(BIN)/downline db fetch

up: neo4j
	$(BIN)/downline up

# the dashboard's plotly.js: core + the trace types it draws (dashboards/plotly/index.js); the
# built file is committed, so only a change of trace types or of plotly's version needs this
plotly:
	cd dashboards/plotly && npm ci --no-audit --no-fund && npm run build

down: $(STAMP)
	$(BIN)/downline db stop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

test: lint typecheck neo4j
	$(BIN)/pytest -m "not slow"

test-all: lint typecheck neo4j
	$(BIN)/pytest

# the reliability and security suites, long: many more kills at random points (DOWNLINE_SOAK_SEED
# replays one), more broken inputs, a 60 s load; their figures go to benchmarks/RESULTS.md
soak: neo4j
	DOWNLINE_SOAK_REPEATS=$${DOWNLINE_SOAK_REPEATS:-25} $(BIN)/python -m benchmarks.reliability

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: neo4j
	$(BIN)/pip install -q -c constraints.txt -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache

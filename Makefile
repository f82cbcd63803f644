# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
ARGS ?=

.PHONY: run test test-jitter lint bench contract clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## start the mock on $(HOST):$(PORT) (PORT=9000 HOST=0.0.0.0 ARGS="...")
	@# Ctrl-C reaches the mock through the terminal; the shell ignores it so that make does
	@# not report an "Interrupt", and hands a TERM or HUP sent to make on to the mock (which
	@# drains) instead of dying and leaving it orphaned. 130: a second Ctrl-C, on purpose.
	@trap "" INT; trap 'kill -TERM $$pid 2>/dev/null' TERM HUP; \
	$(BIN)/mockbaas serve --host $(HOST) --port $(PORT) $(ARGS) & pid=$$!; \
	while :; do wait $$pid; rc=$$?; kill -0 $$pid 2>/dev/null || break; done; \
	[ $$rc -eq 0 ] || [ $$rc -eq 130 ] || exit $$rc

test: $(STAMP)  ## install what the tests need and run the whole suite
	$(BIN)/ruff check mockbaas tests
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

test-jitter: $(STAMP)  ## the suite with every webhook post held 0-25 ms: finds order assumptions
	$(BIN)/python -m pytest -q --webhook-jitter 25

lint: $(STAMP)
	$(BIN)/ruff check mockbaas tests
	$(BIN)/ruff format --check mockbaas tests
	$(BIN)/mypy

bench: $(STAMP)  ## every figure against a bare aiohttp baseline, same run (ARGS="--quick")
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  apt-get install -y -qq wrk >/dev/null 2>&1; } || \
	  echo "wrk not installed (apt-get install wrk): the Python load generator is used"
	$(BIN)/python -m mockbaas.bench $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis

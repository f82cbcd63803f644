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
	@trap "" INT; $(BIN)/mockbaas serve --host $(HOST) --port $(PORT) $(ARGS) || [ $$? -eq 130 ]

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

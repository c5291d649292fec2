# `make run` and `make test` need only Python 3.11+ (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-test bench clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.installed-test: requirements.txt requirements-test.txt $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(BIN)/.installed
install-test: $(BIN)/.installed-test

## run: SQLite + in-process queue and worker + fake SMS channel, on 127.0.0.1:$${PORT:-5000}
run: install
	GATEWAY_ENV=$${GATEWAY_ENV:-development} $(BIN)/flask --app wsgi serve

## test: the whole suite (real Redis/PostgreSQL when REDIS_URL / TEST_DATABASE_URL are set)
test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: every benchmark under bench/ (needs redis-server and PostgreSQL, see bench/README.md)
bench: install-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache

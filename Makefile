# `make run` and `make test` need only Python 3.11+ (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-test bench clean translations

# The console's catalog (gateway/translations/console/, see README "Console languages"). The
# compiled .mo is committed; it is rebuilt here whenever its .po is newer.
CONSOLE_CATALOGS := gateway/translations/console
CONSOLE_MO := $(patsubst %.po,%.mo,$(wildcard $(CONSOLE_CATALOGS)/*/LC_MESSAGES/console.po))

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.installed-test: requirements.txt requirements-test.txt $(BIN)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(BIN)/.installed
install-test: $(BIN)/.installed-test

%/LC_MESSAGES/console.mo: %/LC_MESSAGES/console.po $(BIN)/.installed
	$(BIN)/pybabel compile -d $(CONSOLE_CATALOGS) -D console

## translations: extract the console's texts, merge them into each language's .po, compile
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k "_lp:1c,2" --no-location --sort-output --project Murya \
		-o $(CONSOLE_CATALOGS)/console.pot .
	$(BIN)/pybabel update -i $(CONSOLE_CATALOGS)/console.pot -d $(CONSOLE_CATALOGS) -D console --ignore-pot-creation-date --width=100 --no-fuzzy-matching
	$(BIN)/pybabel compile -d $(CONSOLE_CATALOGS) -D console --statistics

## run: SQLite + in-process queue and worker + fake SMS channel, on 127.0.0.1:$${PORT:-5000}
run: install $(CONSOLE_MO)
	GATEWAY_ENV=$${GATEWAY_ENV:-development} $(BIN)/flask --app wsgi serve

## test: the whole suite (real Redis/PostgreSQL when REDIS_URL / TEST_DATABASE_URL are set)
test: install-test $(CONSOLE_MO)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: every benchmark under bench/ (needs redis-server and PostgreSQL, see bench/README.md)
bench: install-test
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) instance .pytest_cache

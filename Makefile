# «Семейное окно». The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYBABEL := $(BIN)/pybabel
SOURCES := bot handlers
# gettext and its plural forms: _("…") or _("one", "many", n); ngettext and aiogram's lazy variants (__ is lazy_gettext)
KEYWORDS := -k _:1,1t -k _:1,2 -k __:1,1t -k __:1,2 -k N_ -k ngettext:1,2 -k lazy_gettext:1,1t -k lazy_gettext:1,2 \
	-k lazy_ngettext:1,2

.PHONY: install run test lint i18n i18n-check i18n-compile migrations-check check pytest demo clean \
	test-postgres browser

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## install and run the bot (BOT_TOKEN in .env)
	$(BIN)/python -m bot run

test: install lint i18n-check migrations-check check pytest  ## install and run the whole test suite

lint: install  ## style, types (mypy) and the layers' import contracts (import-linter; see ARCHITECTURE.md)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

i18n: install  ## extract messages from the code and update the catalogues
	$(PYBABEL) extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
		--project=semeynoe-okno -o locales/messages.pot $(SOURCES)
	$(PYBABEL) update -d locales -D messages -i locales/messages.pot --no-fuzzy-matching --ignore-pot-creation-date

i18n-check: install  ## fail when the catalogues are out of date with the code or a message lacks a translation
	mkdir -p build
	$(PYBABEL) extract -F babel.cfg $(KEYWORDS) --no-location --sort-output \
		--project=semeynoe-okno -o build/messages.pot $(SOURCES) 2>/dev/null
	$(PYBABEL) update --check -d locales -D messages -i build/messages.pot --no-fuzzy-matching \
		--ignore-pot-creation-date
	$(BIN)/python -m bot.i18n_check locales

i18n-compile: install
	$(PYBABEL) compile -d locales -D messages --statistics

migrations-check: install  ## models and migrations agree (alembic check on a fresh database)
	rm -f build/alembic-check.sqlite3
	mkdir -p build
	DATABASE_URL=sqlite+aiosqlite:///build/alembic-check.sqlite3 $(BIN)/alembic upgrade head
	DATABASE_URL=sqlite+aiosqlite:///build/alembic-check.sqlite3 $(BIN)/alembic check

check: install  ## validate settings and every file in data/ (schema and consistency; stale content is a warning)
	BOT_TOKEN=$${BOT_TOKEN:-123456:check-token-placeholder} $(BIN)/python -m bot check

# The website map's test opens the page in headless Chromium (the Debian package); a missing browser fails it.
browser:  ## install Chromium for the map test when it is missing (apt-get, as root)
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else echo "Chromium is missing: run sudo apt-get install -y chromium" >&2; exit 1; fi; }

# Four pytest workers on two cores: an end-to-end test spends most of its time waiting on its bot processes and the
# fake Telegram, so two more workers fill that time (on a 2-core machine the suite took 1.7 times as long with two).
# `--dist worksteal`: a worker that runs out of tests takes some from another's queue. With xdist's default
# (`load`) the long end-to-end tests left queued on one worker ran alone at the end: on the 2-core machine two
# workers were done after 120 s and the last after 238 s (the suite 256 s; with worksteal 205 s).
PYTEST_WORKERS ?= 4

pytest: install browser  ## unit tests and the end-to-end suite on SQLite (the tests marked postgres: make test-postgres)
	$(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal -m 'not postgres'

# The end-to-end suite on the local PostgreSQL and Redis: a fresh database per test (TEST_POSTGRES_URL, default
# postgresql+asyncpg://root@127.0.0.1:5432/postgres) and a Redis logical database per worker (TEST_REDIS_URL).
test-postgres: install browser  ## the whole end-to-end suite on PostgreSQL + Redis (CI runs it after make test)
	TEST_DATABASE=postgres E2E_INSTANCES=2 $(BIN)/python -m pytest -q -n $(PYTEST_WORKERS) --dist worksteal -m 'not sqlite and not nodb' tests/e2e

demo: install  ## the real bot against the local fake Bot API, with a scripted family and operator
	$(BIN)/python -m bot demo

clean:
	rm -rf build .pytest_cache .ruff_cache

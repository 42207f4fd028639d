# Two commands for a newcomer: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The stamp names the locks' checksum: a fresh clone, or a pull that changes a lock, installs again.
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
# Links in emails and the calendar feed point at the port the app really runs on.
DEV_ENV := DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test test-dates install catalogs messages check-messages lint check bench lock backup restore vendor clean

# `make test-dates`: the date-sensitive tests (schedules, enforcement, reminders, seed_demo) as if
# run on each of these days (09:00 UTC unless a time is given): a whole week across a month end,
# the DST changes of Europe (last Sundays of March and October, before and after 01:00 UTC) and
# of New York (second Sunday of March, first of November), quarter and half-year ends, New Year's Eve.
TRAVEL_DATES ?= 2027-01-25 2027-01-26 2027-01-27 2027-01-28 2027-01-29 2027-01-30 2027-01-31 \
	2027-03-28T00:30+00:00 2027-03-28 2027-10-31T00:30+00:00 2027-10-31 2027-03-14T12:00+00:00 \
	2027-11-07T12:00+00:00 2027-03-31T23:30+00:00 2027-06-30 2026-12-31T23:30+00:00
DATE_SENSITIVE ?= tests/enforcement tests/meetings tests/referrals/test_tasks.py tests/chapters/test_seed_demo.py \
	tests/referrals/test_demo.py tests/system/test_beat.py

# Development installs both locks (requirements-dev.lock starts with `-r requirements.lock`); the
# image and a production virtualenv install requirements.lock alone.
$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP) catalogs

# The translations' .mo files, compiled with Babel from locale/*/LC_MESSAGES/*.po when these change
# (leadsgroups/catalogs.py; no GNU gettext needed). `make messages` re-extracts the strings after code
# changes (that needs GNU gettext's xgettext); `make check-messages` fails on a string missing from the
# catalogues or left untranslated or fuzzy in German, French or Spanish (CI runs it).
catalogs: $(STAMP)
	@$(BIN)/python -m leadsgroups.catalogs compile

messages: install
	$(BIN)/python manage.py update_catalogs --settings=leadsgroups.settings_test

check-messages: install
	$(BIN)/python manage.py check_catalogs --settings=leadsgroups.settings_test

# `make run`: the database migrated and seeded (seed_demo's report in var/seed_demo.log), then web,
# worker and beat under honcho; the `ready` process prints the URL and the demo logins last, once
# all are up (ops/management/commands/dev_ready.py).
run: install
	@echo "Preparing the database (migrations, demo data, meetings)..."
	@$(DEV_ENV) $(BIN)/python manage.py migrate --noinput --verbosity 0
	@$(DEV_ENV) $(BIN)/python manage.py seed_demo > "$${LEADSGROUPS_VAR_DIR:-var}/seed_demo.log"
	@$(DEV_ENV) $(BIN)/python manage.py schedule_meetings > /dev/null
	@echo "Starting web, Celery worker and beat; the URL and demo logins follow once all are up."
	@PATH=$(CURDIR)/$(BIN):$$PATH $(DEV_ENV) DEV_PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-dates: install
	@failed=""; for day in $(TRAVEL_DATES); do \
		echo "== tests as if on $$day"; \
		TRAVEL_TO=$$day $(BIN)/pytest -q -n 2 -m "not browser and not celery_worker" \
			$(DATE_SENSITIVE) $(PYTEST_ARGS) || failed="$$failed $$day"; \
	done; \
	if [ -n "$$failed" ]; then echo "Date-sensitive tests failed as if on:$$failed"; exit 1; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=leadsgroups.settings_test

# Production settings as docker-compose.yml sets them (nothing is connected to).
check: install
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=leadsgroups.example.org \
		SITE_URL=https://leadsgroups.example.org CACHE_URL=rediscache://127.0.0.1:6379/1 \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# `make bench`: seeds 1,100 chapters × 52 weeks into a new database (PostgreSQL and Redis from
# DATABASE_URL and CELERY_BROKER_URL) and writes bench/results/latest.json; BENCH_ARGS sizes it.
bench: install
	$(DEV_ENV) $(BIN)/python manage.py bench $(BENCH_ARGS)

# `make lock` after editing pyproject.toml: pins the runtime dependencies in requirements.lock and the
# [dev] extra in requirements-dev.lock, each resolved in a clean virtualenv. A version already pinned
# is kept while it still satisfies pyproject.toml (the current pins are constraints), so the result
# depends only on pyproject.toml and the locks: running it again changes nothing. `make lock UPGRADE=1`
# resolves everything afresh to the newest releases (also the way out when a pin conflicts with a
# range just raised in pyproject.toml).
LOCK_VENV := /tmp/leadsgroups-lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet --upgrade pip
	{ [ -n "$(UPGRADE)" ] || cat $(wildcard requirements.lock requirements-dev.lock) /dev/null | grep -v '^-' || true; } \
		> $(LOCK_VENV)/pins.txt
	$(LOCK_VENV)/bin/pip install --quiet -c $(LOCK_VENV)/pins.txt .
	{ echo "# Runtime dependencies, pinned by \`make lock\` from pyproject.toml: what the image installs."; \
	  $(LOCK_VENV)/bin/pip freeze --exclude leadsgroups; } > $(LOCK_VENV)/requirements.lock
	$(LOCK_VENV)/bin/pip install --quiet -c $(LOCK_VENV)/pins.txt -c $(LOCK_VENV)/requirements.lock ".[dev]"
	{ echo "# Development and test tools (pyproject.toml's [dev] extra), pinned by \`make lock\`: \`make install\` installs both."; \
	  echo "-r requirements.lock"; \
	  $(LOCK_VENV)/bin/pip freeze --exclude leadsgroups | grep -vxF -f $(LOCK_VENV)/requirements.lock; } \
		> $(LOCK_VENV)/requirements-dev.lock
	mv $(LOCK_VENV)/requirements.lock $(LOCK_VENV)/requirements-dev.lock .
	rm -rf $(LOCK_VENV) leadsgroups.egg-info

# `make backup`: a copy of the database in var/backups/ (PostgreSQL: pg_dump's custom format; SQLite: a
# consistent copy through SQLite's backup API). `make restore FILE=var/backups/… [INTO=postgres://…/new]`
# restores one into a new database (INTO) or, with REPLACE=1, over the configured one. No `install`
# prerequisite: a production virtualenv holds requirements.lock only.
backup:
	$(BIN)/python manage.py backup

restore:
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/<file> [INTO=<database URL>] [REPLACE=1]"; exit 2; }
	$(BIN)/python manage.py restore "$(FILE)" $(if $(INTO),--into "$(INTO)") $(if $(REPLACE),--replace)

# Re-vendor front-end assets from the npm registry at the versions pinned in package.json.
vendor:
	npm install --no-save --ignore-scripts
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico/
# Chart.js's source map too: collectstatic's manifest rewrites the build's reference to it and fails without it.
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
		node_modules/chart.js/LICENSE.md static/vendor/chartjs/
# axe-core is a test tool: the browser tests inject it (tests/a11y); the app never serves it.
	mkdir -p tests/a11y/vendor
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE tests/a11y/vendor/

clean:
	rm -rf $(VENV) var staticfiles

# Two commands for a newcomer: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
# Links in emails and the calendar feed point at the port the app really runs on.
DEV_ENV := DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test test-dates install lint check bench lock vendor clean

# `make test-dates`: the date-sensitive tests (schedules, enforcement, reminders, seed_demo) as if
# run on each of these days (09:00 UTC unless a time is given): a whole week across a month end,
# the DST changes of Europe (last Sundays of March and October, before and after 01:00 UTC) and
# of New York (second Sunday of March, first of November), quarter and half-year ends, New Year's Eve.
TRAVEL_DATES ?= 2027-01-25 2027-01-26 2027-01-27 2027-01-28 2027-01-29 2027-01-30 2027-01-31 \
	2027-03-28T00:30+00:00 2027-03-28 2027-10-31T00:30+00:00 2027-10-31 2027-03-14T12:00+00:00 \
	2027-11-07T12:00+00:00 2027-03-31T23:30+00:00 2027-06-30 2026-12-31T23:30+00:00
DATE_SENSITIVE ?= tests/enforcement tests/meetings tests/referrals/test_tasks.py tests/chapters/test_seed_demo.py \
	tests/referrals/test_demo.py tests/system/test_beat.py

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py seed_demo
	$(DEV_ENV) $(BIN)/python manage.py schedule_meetings
	@echo ""
	@echo "  Leadsgroups is starting at http://127.0.0.1:$(PORT)/  (web, Celery worker and beat; Ctrl-C stops all)"
	@echo ""
	PATH=$(CURDIR)/$(BIN):$$PATH $(DEV_ENV) PORT=$(PORT) $(BIN)/honcho start -f Procfile.dev

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

check: install
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=leadsgroups.example.org \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

# `make bench`: seeds 1,100 chapters × 52 weeks into a new database (PostgreSQL and Redis from
# DATABASE_URL and CELERY_BROKER_URL) and writes bench/results/latest.json; BENCH_ARGS sizes it.
bench: install
	$(DEV_ENV) $(BIN)/python manage.py bench $(BENCH_ARGS)

# Re-pin every dependency after editing pyproject.toml.
lock:
	rm -rf /tmp/leadsgroups-lock && $(PYTHON) -m venv /tmp/leadsgroups-lock
	/tmp/leadsgroups-lock/bin/pip install --quiet --upgrade pip
	/tmp/leadsgroups-lock/bin/pip install --quiet ".[dev]"
	/tmp/leadsgroups-lock/bin/pip freeze --exclude leadsgroups > requirements.lock

# Re-vendor front-end assets from the npm registry at the versions pinned in package.json.
vendor:
	npm install --no-save --ignore-scripts
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	cp node_modules/@picocss/pico/css/pico.min.css static/vendor/pico/
# Chart.js's source map too: collectstatic's manifest rewrites the build's reference to it and fails without it.
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
		node_modules/chart.js/LICENSE.md static/vendor/chartjs/

clean:
	rm -rf $(VENV) var staticfiles

# Two commands for a newcomer: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
PORT ?= 8000
# Links in emails and the calendar feed point at the port the app really runs on.
DEV_ENV := DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: run test install lint check bench lock vendor clean

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

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run --settings=leadsgroups.settings_test

check: install
	DEBUG=0 SECRET_KEY=$$(head -c 48 /dev/urandom | base64) ALLOWED_HOSTS=leadsgroups.example.org \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

bench: install
	$(DEV_ENV) $(BIN)/python manage.py bench

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

clean:
	rm -rf $(VENV) var staticfiles

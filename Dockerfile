# syntax=docker/dockerfile:1
# Production image (README "Production"): gunicorn serves the app, WhiteNoise its static files; the same
# image runs the Celery workers and beat (docker-compose.yml). Only requirements.lock is installed:
# the test tools live in requirements-dev.lock and never reach the image.

# Build stage: the runtime dependencies, as wheels only (nothing compiled), in a virtualenv of their own.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.lock /tmp/requirements.lock
RUN /opt/venv/bin/pip install --only-binary=:all: --no-deps -r /tmp/requirements.lock

# Runtime stage: the slim base, that virtualenv and the source (.dockerignore keeps .env, .venv, var/,
# .git, tests and caches out). The code is root's and read-only to the app's user.
FROM python:3.11-slim AS app
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORT=8000
RUN useradd --system --uid 1000 --create-home --home-dir /home/leadsgroups --shell /usr/sbin/nologin leadsgroups
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . .
# collectstatic needs the settings to load, not real secrets or services; var/ is the app's only
# writable directory (the beat schedule; media/ for photos, a volume in docker-compose.yml).
RUN python -m leadsgroups.catalogs compile --force \
    && SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 LEADSGROUPS_VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var /tmp/build.sqlite3 \
    && mkdir -p /app/var/media && chown -R leadsgroups /app/var
USER leadsgroups

EXPOSE 8000
# /healthz is answered before host validation (leadsgroups/health.py), so this works whatever
# ALLOWED_HOSTS says; urlopen raises (exit 1) on a 503 or no answer.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
# Migrations are a release step (docker-compose.yml's `migrate` service), not part of every start:
# several web containers starting at once would each run them.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "leadsgroups.wsgi"]

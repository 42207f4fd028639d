# Production image: gunicorn serves the app (WhiteNoise serves static files); the same image
# runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim AS app

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY requirements.lock pyproject.toml ./
RUN pip install -r requirements.lock

COPY . .
# collectstatic needs settings to load, not real secrets.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 leadsgroups && mkdir -p /app/var && chown -R leadsgroups /app/var
USER leadsgroups

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["sh", "-c", "python manage.py migrate --noinput && gunicorn leadsgroups.wsgi --bind 0.0.0.0:8000 --workers 3 --access-logfile -"]

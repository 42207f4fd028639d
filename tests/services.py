"""Real services for tests that start processes: PostgreSQL, Redis, and waiting for what they do.

Without PostgreSQL or Redis such tests skip locally; under REQUIRE_SERVICES=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1: {reason}")
    pytest.skip(reason)


def wait_for(predicate, timeout: float = 60, every: float = 0.3):
    """The predicate's first true value within `timeout` seconds, else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    return None


def database_url() -> str:
    if connection.vendor != "postgresql":
        unavailable("tests with real processes need DATABASE_URL=postgres://… (SQLite's test database is in memory)")
    s = connection.settings_dict
    auth = quote(s["USER"] or "") + (f":{quote(s['PASSWORD'])}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_client():
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        unavailable(f"tests with real processes need CELERY_BROKER_URL=redis://… (now {url.split(':')[0]}://)")
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis at {url} is not reachable: {exc}")
    return client

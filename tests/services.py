"""Real services for tests that start processes: PostgreSQL, the broker (Redis or RabbitMQ), and waiting.

Without PostgreSQL or the broker such tests skip locally; under REQUIRE_SERVICES=1 (CI) they fail instead.
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


class Broker:
    """The real broker of CELERY_BROKER_URL (Redis or RabbitMQ), seen from a test: its queues, empty or not."""

    def __init__(self, url: str):
        self.url = url
        self.queues = list(settings.WORKER_QUEUES)

    @property
    def is_redis(self) -> bool:
        return self.url.startswith(("redis://", "rediss://"))

    def check(self) -> Broker:
        if self.is_redis:
            redis_client()
            return self
        from kombu import Connection

        try:
            with Connection(self.url, connect_timeout=3) as conn:
                conn.ensure_connection(max_retries=1)
        except Exception as exc:  # noqa: BLE001 - any failure to connect means: not there
            unavailable(f"the broker at {self.url} is not reachable: {exc}")
        return self

    def purge(self) -> None:
        """Drop the leftovers of an aborted run, which would be delivered to this test's worker."""
        if self.is_redis:
            redis_client().delete(*self.queues, "unacked", "unacked_index", "unacked_mutex")
            return
        from leadsgroups.celery import app

        with app.connection_for_write() as conn:
            for queue in app.amqp.queues.values():
                bound = queue(conn.default_channel)
                bound.declare()  # a queue not declared yet cannot be purged
                bound.purge()

    def ready(self, queue: str) -> int:
        """Messages waiting in `queue`, not yet taken by a worker."""
        if self.is_redis:
            return redis_client().llen(queue)
        from leadsgroups.celery import app

        with app.connection_for_write() as conn:
            # Declaring is idempotent (same arguments as the worker's) and answers the count.
            return app.amqp.queues[queue](conn.default_channel).queue_declare().message_count

    def idle(self) -> bool:
        """Nothing waiting in any queue and nothing taken but unfinished."""
        if any(self.ready(q) for q in self.queues):
            return False
        if self.is_redis:
            return redis_client().hlen("unacked") == 0
        # RabbitMQ counts a taken message only in its management API; ask the workers instead.
        from leadsgroups.celery import app

        inspect = app.control.inspect(timeout=1.0)
        active, reserved = inspect.active(), inspect.reserved()
        if active is None or reserved is None:
            return False  # a worker busy in a solo pool cannot answer: not idle
        return not any(active.values()) and not any(reserved.values())


def broker() -> Broker:
    """The broker tests with real workers use; skips (fails under REQUIRE_SERVICES=1) when unreachable."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://", "amqp://", "pyamqp://")):
        unavailable(f"tests with real processes need CELERY_BROKER_URL=redis://… or amqp://… (now {url.split(':')[0]}://)")
    return Broker(url).check()


def worker_queues_option() -> str:
    """`-Q` for a test's worker: every queue, as the development worker consumes them."""
    return "-Q" + ",".join(settings.WORKER_QUEUES)

"""Real processes for system tests: Celery worker and beat, and the web server, on PostgreSQL and a broker.

The processes see the test database (pytest-django's, committed by `transaction=True` tests) and
the broker in CELERY_BROKER_URL (Redis, or RabbitMQ: `amqp://…`). Without PostgreSQL or the broker
these tests skip locally; under REQUIRE_SERVICES=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

from tests.services import BASE_DIR, broker, database_url, wait_for, worker_queues_option


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@dataclass
class System:
    """Starts the app's processes with one environment; stops them all at the end of the test."""

    env: dict
    tmp: Path
    processes: list[Process] = field(default_factory=list)

    def start(self, name: str, *args: str, **extra_env: str) -> Process:
        log = self.tmp / f"{name}.log"
        handle = log.open("w")
        popen = subprocess.Popen(
            list(args), cwd=BASE_DIR, env={**self.env, **extra_env}, stdout=handle, stderr=subprocess.STDOUT,
        )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def worker(self, *, queues: str | None = None, name: str = "worker") -> Process:
        """A worker consuming every queue (as in development), or only `queues` ("email,scheduling")."""
        return self.start(
            name, sys.executable, "-m", "celery", "-A", "leadsgroups", "worker", "--pool=prefork",
            "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
            f"-Q{queues}" if queues else worker_queues_option(), "-n", f"{name}-{os.getpid()}@%h",
        )

    def beat(self) -> Process:
        return self.start(
            "beat", sys.executable, "-m", "celery", "-A", "leadsgroups", "beat", "--loglevel=INFO",
            "--max-interval=1", "-s", str(self.tmp / "celerybeat-schedule"),
        )

    def web(self) -> str:
        """Gunicorn as in production (gunicorn.conf.py), one synchronous worker: the settable clock patches the whole process."""
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.start(
            "web", sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "leadsgroups.wsgi",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "1",
        )
        base = f"http://127.0.0.1:{port}"

        def up():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return True
            except OSError:
                return False

        assert wait_for(up, timeout=30), "the web server did not start:\n" + self.processes[-1].output()[-3000:]
        return base

    def logs(self) -> str:
        return "\n".join(f"---- {p.name} ----\n{p.output()[-4000:]}" for p in self.processes)

    def stop(self) -> None:
        for p in self.processes:
            if p.popen.poll() is None:
                p.popen.terminate()
        for p in self.processes:
            try:
                p.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.popen.kill()
                p.popen.wait()


@pytest.fixture
def system(tmp_path):
    """Web, worker and beat on the test database and the real broker; stopped after the test."""
    db_url = database_url()
    the_broker = broker()
    the_broker.purge()  # leftovers of an aborted run would be delivered to this test's worker
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "leadsgroups.settings_test",
        "DATABASE_URL": db_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LEADSGROUPS_VAR_DIR": str(tmp_path / "var"),
        "PYTHONUNBUFFERED": "1",
    }
    sys_ = System(env=env, tmp=tmp_path)
    try:
        yield sys_
    finally:
        sys_.stop()
        the_broker.purge()


class WebClient:
    """A signed-in person's browser, minus the rendering, against the web process: session, CSRF, redirects."""

    def __init__(self, base: str, user):
        import secrets

        from django.test import Client

        client = Client()
        client.force_login(user)  # a session row in the test database, which the web process reads
        self.base = base
        # Django accepts a token of our making as long as cookie and form agree (the double-submit check).
        self.csrf = secrets.token_hex(16)
        self.cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={self.csrf}"

    def _request(self, method: str, path: str, data: dict | None = None):
        import urllib.error
        import urllib.parse
        import urllib.request

        headers = {"Cookie": self.cookie}
        body = None
        if data is not None:
            headers["X-CSRFToken"] = self.csrf
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf}).encode()
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - our own server
                return response.status, response.read().decode(), response.url
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.url

    def get(self, path: str):
        return self._request("GET", path)

    def post(self, path: str, data: dict):
        return self._request("POST", path, data)

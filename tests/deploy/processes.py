"""Gunicorn as the image runs it (gunicorn.conf.py, production settings), started by a test and stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.services import BASE_DIR, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(tmp: Path, **settings: str) -> dict[str, str]:
    """Production settings (DEBUG off, not the test settings) with files in `tmp`, plus `settings`."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp)),
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "leadsgroups.settings",
        "SECRET_KEY": "deploy-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "LEADSGROUPS_VAR_DIR": str(tmp / "var"),
        "STATIC_ROOT": str(tmp / "static"),
        **settings,
    }


@contextmanager
def gunicorn(env: dict[str, str], log: Path):
    """`gunicorn -c gunicorn.conf.py leadsgroups.wsgi` on a free port of 127.0.0.1; yields the port."""
    port = free_port()
    with log.open("w") as handle:
        process = subprocess.Popen(  # noqa: S603 - our own command line
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "leadsgroups.wsgi"],
            cwd=BASE_DIR, env={**env, "PORT": str(port), "BIND_ADDRESS": "127.0.0.1", "WEB_CONCURRENCY": "1"},
            stdout=handle, stderr=subprocess.STDOUT,
        )

    def listening():
        if process.poll() is not None:
            return True  # exited: stop waiting
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout=60)
        assert process.poll() is None, "gunicorn exited:\n" + log.read_text()[-3000:]
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def production_settings(tmp: Path, names: list[str], **settings: str) -> dict:
    """The values of these settings as a production process with this environment reads them."""
    import json

    script = ("import json, django; from django.conf import settings; django.setup(); "
              f"print(json.dumps({{n: getattr(settings, n, None) for n in {names!r}}}))")
    result = subprocess.run(  # noqa: S603 - our own command line
        [sys.executable, "-c", script], cwd=BASE_DIR, env=production_env(tmp, **settings),
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])

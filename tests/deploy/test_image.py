"""The image as an operator gets it: what goes in, what it installs, how it starts and how it is probed.

No Docker engine runs in the test environment: the Dockerfile and .dockerignore are read, and what
the image runs (gunicorn with gunicorn.conf.py, its HEALTHCHECK command) runs here instead.
"""

from __future__ import annotations

import ast
import http.client
import json
import re
import subprocess
import sys

import pytest
import yaml

from tests.deploy.processes import gunicorn, production_env
from tests.services import BASE_DIR


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) for each line of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (BASE_DIR / "Dockerfile").read_text())
    return [tuple(line.split(None, 1)) for line in text.splitlines() if line.strip() and not line.startswith("#")]


def _dockerignore():
    """Docker's rules: last matching pattern wins, `!` re-includes, a matched directory takes its contents."""
    rules = []
    for line in (BASE_DIR / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate, pattern = line.startswith("!"), line.lstrip("!").strip("/")
        regex = re.sub(r"\\\*\\\*/|\\\*\\\*|\\\*|\\\?", lambda m: {
            r"\*\*/": "(?:.*/)?", r"\*\*": ".*", r"\*": "[^/]*", r"\?": "[^/]"}[m[0]], re.escape(pattern))
        rules.append((negate, re.compile(regex + "(?:/.*)?")))

    def excluded(path: str) -> bool:
        result = False
        for negate, rule in rules:
            if rule.fullmatch(path):
                result = not negate
        return result

    return excluded


SECRETS_STATE_AND_TOOLS = [
    ".env", ".env.production", "var/db.sqlite3", "var/db.sqlite3-wal", "var/celery/queue/msg", "var/backups/x.dump",
    "db.sqlite3", ".venv/bin/python", ".git/HEAD", "node_modules/htmx.org/package.json", "bench/results/latest.json",
    "tests/conftest.py", ".pytest_cache/README.md", ".ruff_cache/CACHEDIR.TAG", "members/__pycache__/models.cpython-311.pyc",
    "staticfiles/staticfiles.json", "leadsgroups.egg-info/PKG-INFO", "screenshot.png",
]
THE_APP = [
    "manage.py", "gunicorn.conf.py", "requirements.lock", "pyproject.toml", "leadsgroups/settings.py",
    "leadsgroups/wsgi.py", "members/migrations/0001_initial.py", "templates/base.html", "static/favicon.svg",
    "static/vendor/htmx/htmx.min.js", "static/css/app.css",
]


@pytest.mark.parametrize("path", SECRETS_STATE_AND_TOOLS)
def test_dockerignore_keeps_out_secrets_local_state_and_tools(path):
    assert _dockerignore()(path), f"{path} would be copied into the image"


@pytest.mark.parametrize("path", THE_APP)
def test_dockerignore_keeps_the_app(path):
    assert (BASE_DIR / path).exists() and not _dockerignore()(path)


def test_every_app_of_the_project_goes_into_the_image():
    from django.conf import settings

    local_apps = [app for app in settings.INSTALLED_APPS if (BASE_DIR / app / "__init__.py").exists()]
    assert local_apps and not [app for app in local_apps if _dockerignore()(f"{app}/__init__.py")]


def test_image_installs_the_runtime_lock_only_in_a_build_stage():
    steps = _instructions()
    stages = [args for op, args in steps if op == "FROM"]
    assert len(stages) == 2 and all("-slim" in s for s in stages), "a build stage and a slim runtime stage"
    copied = " ".join(args for op, args in steps if op == "COPY")
    installs = [args for op, args in steps if op == "RUN" and "pip install" in args]
    assert installs and all("-r /tmp/requirements.lock" in i and "--only-binary=:all:" in i for i in installs)
    assert not [args for _, args in steps if "requirements-dev.lock" in args]
    assert "--from=build /opt/venv /opt/venv" in copied


def test_image_runs_as_a_user_of_its_own():
    steps = _instructions()
    users = [args.strip() for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert [op for op, _ in steps].index("USER") < [op for op, _ in steps].index("CMD")


def _gunicorn_command_lines():
    """Every command line in the repository that starts gunicorn, with where it is."""
    for op, args in _instructions():
        if op == "CMD" and "gunicorn" in args:
            yield "Dockerfile CMD", " ".join(json.loads(args))
    for name, service in yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"].items():
        command = service.get("command") or ""
        command = command if isinstance(command, str) else " ".join(command)
        if "gunicorn" in command:
            yield f"docker-compose.yml {name}", command
    for line in (BASE_DIR / "Procfile").read_text().splitlines():
        if "gunicorn" in line and not line.startswith("#"):
            yield "Procfile", line
    for path in BASE_DIR.rglob("*.py"):
        if path.relative_to(BASE_DIR).parts[0] in (".venv", "node_modules", "var"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.List | ast.Tuple):
                words = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                if "gunicorn" in words and "-m" in words:
                    yield f"{path.relative_to(BASE_DIR)}:{node.lineno}", " ".join(words)


def test_every_gunicorn_start_reads_gunicorn_conf():
    starts = dict(_gunicorn_command_lines())
    assert {"Dockerfile CMD", "docker-compose.yml web", "Procfile"} <= set(starts)
    assert len(starts) >= 5, starts  # and the bench's and the system tests' web processes
    assert not {where: command for where, command in starts.items()
                if not re.search(r"(-c|--config)[ =]gunicorn\.conf\.py", command)}


def _healthcheck_command() -> list[str]:
    [args] = [args for op, args in _instructions() if op == "HEALTHCHECK"]
    command = json.loads(args.split(" CMD ", 1)[1])
    return [sys.executable if word == "python" else word for word in command]


def _get(port: int, path: str, host: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Host": host})
    status = conn.getresponse().status
    conn.close()
    return status


def test_health_check_passes_with_production_allowed_hosts(tmp_path):
    """ALLOWED_HOSTS names the public host only; the probe asks 127.0.0.1 over plain HTTP and gets 200."""
    env = production_env(tmp_path, ALLOWED_HOSTS="leads.example.org", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                         CACHE_URL="dbcache://leadsgroups_cache")
    with gunicorn(env, tmp_path / "web.log") as port:
        probe = subprocess.run(_healthcheck_command(), env={**env, "PORT": str(port)}, capture_output=True, timeout=30)
        assert probe.returncode == 0, probe.stderr.decode()[-2000:]
        assert _get(port, "/accounts/login/", f"127.0.0.1:{port}") == 400  # every page still checks the host
        assert _get(port, "/accounts/login/", "leads.example.org") == 301  # and redirects to HTTPS


def test_health_check_fails_when_the_broker_is_down(tmp_path):
    env = production_env(tmp_path, ALLOWED_HOSTS="leads.example.org", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                         CACHE_URL="dbcache://leadsgroups_cache", CELERY_BROKER_URL="redis://127.0.0.1:1/0")
    with gunicorn(env, tmp_path / "web.log") as port:
        probe = subprocess.run(_healthcheck_command(), env={**env, "PORT": str(port)}, capture_output=True, timeout=30)
        assert probe.returncode != 0 and b"503" in probe.stderr

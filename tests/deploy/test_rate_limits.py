"""Sign-in rate limits hold in production: counted per account in a cache every process shares.

Two gunicorn processes (production settings, gunicorn.conf.py) on the test database and Redis take
turns answering one account's sign-ins, each from another client address, as through the proxy.
With a per-process cache each would have counted only its own failures and let the right password
in; production refuses to start with one (leadsgroups/serving.py).
"""

from __future__ import annotations

import hashlib
import http.client
import re
import secrets
import subprocess
import sys
import uuid
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from leadsgroups.serving import require_shared_cache
from tests.deploy.processes import gunicorn, production_env
from tests.factories import UserFactory
from tests.services import BASE_DIR, database_url, redis_client

HOST = "leads.example.org"
PASSWORD = "right-password-2026"


def _account(email: str):
    """A member whose password the production processes can check (the tests' own hasher is MD5 only)."""
    user = UserFactory(email=email)
    # Few iterations: each wrong password is checked in the server, and the hash says how many to run.
    user.password = PBKDF2PasswordHasher().encode(PASSWORD, secrets.token_hex(8), iterations=1000)
    user.save(update_fields=["password"])
    return user


def _sign_in(port: int, email: str, password: str, *, client: str) -> tuple[int, str]:
    """POST the sign-in form as a browser behind the proxy would: HTTPS, the client's address, a CSRF pair."""
    token = secrets.token_hex(16)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/accounts/login/", body=urlencode({"login": email, "password": password,
                                                              "csrfmiddlewaretoken": token}), headers={
        "Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": client, "Origin": f"https://{HOST}",
        "Cookie": f"csrftoken={token}", "Content-Type": "application/x-www-form-urlencoded",
    })
    response = conn.getresponse()
    status, body = response.status, response.read().decode()
    conn.close()
    return status, body


def _said(body: str) -> str:
    """The form's errors, or the start of the page."""
    errors = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', body, re.S)
    return " | ".join(re.sub(r"<[^>]+>", "", e).strip() for e in errors) or body[:300]


class Run:
    """This run's accounts and client addresses: fresh ones each time, so the Redis cache they share with
    other runs (CACHE_URL sets no key prefix) holds no count of theirs; their keys are deleted after."""

    def __init__(self):
        self.tag = uuid.uuid4().hex[:12]
        self.emails: list[str] = []
        self.addresses: list[str] = []

    def account(self, name: str):
        email = f"{name}-{self.tag}@example.org"
        self.emails.append(email)
        return _account(email)

    def client(self) -> str:
        address = f"198.18.{secrets.randbelow(256)}.{secrets.randbelow(256)}"  # the benchmarking range
        self.addresses.append(address)
        return address

    def forget(self, redis) -> None:
        hashes = [hashlib.sha256(f"{HOST}:{email}".encode()).hexdigest() for email in self.emails]
        for pattern in [f"*:{h}" for h in hashes] + [f"*:ip:{a}" for a in self.addresses]:
            keys = list(redis.scan_iter(pattern))
            if keys:
                redis.delete(*keys)


@pytest.fixture
def two_web_processes(transactional_db, tmp_path):
    """Two production web servers sharing the test database and the Redis cache; yields (port, port, run)."""
    db_url = database_url()
    redis = redis_client()
    cache_url = "rediscache://" + settings.CELERY_BROKER_URL.split("://", 1)[1]
    env = production_env(tmp_path, DATABASE_URL=db_url, CACHE_URL=cache_url, ALLOWED_HOSTS=HOST,
                         CELERY_BROKER_URL=settings.CELERY_BROKER_URL)
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],  # noqa: S603
                   cwd=BASE_DIR, env=env, check=True, timeout=120)
    run = Run()
    try:
        with gunicorn(env, tmp_path / "a.log") as a, gunicorn(env, tmp_path / "b.log") as b:
            yield a, b, run
    finally:
        run.forget(redis)


def test_the_wrong_password_limit_counts_per_account_across_processes(two_web_processes):
    a, b, run = two_web_processes
    member = run.account("tried")
    for attempt, port in enumerate([a, b, a, b, a]):  # allauth's 5/5m/key, spread over both processes
        status, body = _sign_in(port, member.email, "not-the-password", client=run.client())
        assert status == 200 and "are not correct" in body and "Too many failed" not in body, (attempt, _said(body))
    # B has seen two of the five: the right password waits all the same.
    status, body = _sign_in(b, member.email, PASSWORD, client=run.client())
    assert status == 200 and "Too many failed login attempts" in body, _said(body)


def test_the_limit_is_the_accounts_not_the_sites(two_web_processes):
    a, b, run = two_web_processes
    tried, other = run.account("tried"), run.account("other")
    client = run.client()
    for port in [a, b, a, b, a]:
        _sign_in(port, tried.email, "not-the-password", client=client)
    status, body = _sign_in(b, other.email, PASSWORD, client=client)  # same client, another account
    assert status == 302, _said(body)


@pytest.mark.parametrize("backend", [
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
])
def test_production_refuses_a_cache_of_its_own(backend):
    caches = {"default": {"BACKEND": backend, "LOCATION": "/tmp/unused"}}  # noqa: S108
    with override_settings(DEBUG=False, TESTING=False, CACHES=caches):
        with pytest.raises(ImproperlyConfigured, match="CACHE_URL must name a cache every process shares"):
            require_shared_cache()


@pytest.mark.parametrize("backend", [
    "leadsgroups.cache.RedisCache",
    "django.core.cache.backends.db.DatabaseCache",
])
def test_production_accepts_a_shared_cache(backend):
    with override_settings(DEBUG=False, TESTING=False, CACHES={"default": {"BACKEND": backend, "LOCATION": "x"}}):
        require_shared_cache()


def test_development_keeps_its_local_cache():
    with override_settings(DEBUG=True, TESTING=False,
                           CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}):
        require_shared_cache()


def test_the_web_server_does_not_start_without_a_shared_cache(tmp_path):
    for cache_url, refused in [("", True), ("locmemcache://", True), ("dbcache://leadsgroups_cache", False)]:
        env = production_env(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", CACHE_URL=cache_url)
        if not cache_url:
            del env["CACHE_URL"]
        result = subprocess.run([sys.executable, "-c", "import leadsgroups.wsgi"], cwd=BASE_DIR, env=env,  # noqa: S603
                                capture_output=True, text=True, timeout=60)
        assert (result.returncode != 0) == refused, (cache_url, result.stderr[-2000:])
        assert ("ImproperlyConfigured: CACHE_URL must name a cache" in result.stderr) == refused


def test_the_deploy_check_names_a_cache_of_its_own(tmp_path):
    """`make check` (check --deploy) reports what the web server would refuse."""
    for cache_url, reported in [("locmemcache://", True), ("rediscache://127.0.0.1:6379/1", False)]:
        env = production_env(tmp_path, CACHE_URL=cache_url, ALLOWED_HOSTS="leads.example.org")
        result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=BASE_DIR, env=env,  # noqa: S603
                                capture_output=True, text=True, timeout=60)
        assert ("leadsgroups.E001" in result.stderr) == reported, result.stderr[-2000:]

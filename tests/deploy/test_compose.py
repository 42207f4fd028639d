"""docker-compose.yml read service by service, as an operator would (no Docker engine runs here)."""

from __future__ import annotations

import re
import runpy

import yaml

from tests.services import BASE_DIR

COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP = ["web", "worker-default", "worker-enforcement", "worker-email", "worker-scheduling", "beat"]
CADDYFILE = (BASE_DIR / "deploy" / "Caddyfile").read_text()


def test_only_the_tls_proxy_is_published():
    published = {name for name, service in SERVICES.items() if service.get("ports")}
    assert published == {"caddy"}
    assert {"80:80", "443:443"} <= set(SERVICES["caddy"]["ports"])


def test_caddy_serves_the_site_address_and_proxies_to_web():
    caddy = SERVICES["caddy"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert caddy["environment"]["SITE_ADDRESS"] == "${SITE_ADDRESS:-localhost}"
    assert re.search(r"^\{\$SITE_ADDRESS:localhost\} \{", CADDYFILE, re.M)
    port = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))["bind"][0].rsplit(":", 1)[1]
    assert f"reverse_proxy web:{port}" in CADDYFILE
    assert caddy["depends_on"]["web"]["condition"] == "service_healthy"  # the image's HEALTHCHECK


def test_the_app_trusts_exactly_the_proxy_in_front_of_it():
    for name in APP + ["migrate"]:
        env = SERVICES[name]["environment"]
        assert env["ALLAUTH_TRUSTED_PROXY_COUNT"] == "1" and env["DEBUG"] == "0", name
        assert env["ALLOWED_HOSTS"] == "${ALLOWED_HOSTS:-${SITE_ADDRESS:-localhost}}"
        assert env["SITE_URL"] == "${SITE_URL:-https://${SITE_ADDRESS:-localhost}}"
        assert env["CACHE_URL"].startswith("rediscache://"), "every process shares the cache"
    assert SERVICES["web"]["environment"]["FORWARDED_ALLOW_IPS"] == "*"


def test_migrations_run_once_before_the_app_starts():
    assert "manage.py migrate" in SERVICES["migrate"]["command"]
    assert "migrate" not in SERVICES["migrate"]["depends_on"]
    for name in APP:
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, name
        assert "migrate" not in SERVICES[name]["command"], name


def test_web_stops_gracefully_within_the_grace_period():
    graceful = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))["graceful_timeout"]
    assert int(SERVICES["web"]["stop_grace_period"].rstrip("s")) > graceful


def test_workers_and_beat_do_not_inherit_the_web_health_check():
    for name in APP[1:] + ["migrate"]:
        assert SERVICES[name]["healthcheck"] == {"disable": True}, name

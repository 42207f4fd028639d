"""Behind the TLS proxy: HTTPS, the client's address and the CSRF origin come from one consistent setup."""

from __future__ import annotations

import pytest
from allauth.account.adapter import get_adapter
from django.test import Client, RequestFactory

from tests.deploy.processes import production_settings

NAMES = ["SECURE_PROXY_SSL_HEADER", "ALLAUTH_TRUSTED_PROXY_COUNT", "CSRF_TRUSTED_ORIGINS", "SECURE_SSL_REDIRECT",
         "SECURE_HSTS_SECONDS", "SECURE_HSTS_PRELOAD", "SILENCED_SYSTEM_CHECKS"]


def test_production_trusts_one_proxy_for_https_and_the_client_address(tmp_path):
    s = production_settings(tmp_path, NAMES, SITE_URL="https://leads.example.org", ALLOWED_HOSTS="leads.example.org")
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    assert s["CSRF_TRUSTED_ORIGINS"] == ["https://leads.example.org"]
    assert s["SECURE_SSL_REDIRECT"] is True and s["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600


def test_hsts_preload_is_opt_in(tmp_path):
    default = production_settings(tmp_path, NAMES)
    assert default["SECURE_HSTS_PRELOAD"] is False and "security.W021" in default["SILENCED_SYSTEM_CHECKS"]
    opted_in = production_settings(tmp_path, NAMES, SECURE_HSTS_PRELOAD="1")
    assert opted_in["SECURE_HSTS_PRELOAD"] is True and not opted_in["SILENCED_SYSTEM_CHECKS"]


def test_without_a_proxy_no_forwarded_header_is_believed(tmp_path):
    direct = production_settings(tmp_path, NAMES, ALLAUTH_TRUSTED_PROXY_COUNT="0")
    assert direct["SECURE_PROXY_SSL_HEADER"] is None and direct["ALLAUTH_TRUSTED_PROXY_COUNT"] == 0
    development = production_settings(tmp_path, NAMES, DEBUG="1")
    assert development["SECURE_PROXY_SSL_HEADER"] is None and development["ALLAUTH_TRUSTED_PROXY_COUNT"] == 0
    assert development["CSRF_TRUSTED_ORIGINS"] == []  # SITE_URL is http://127.0.0.1:8000


@pytest.mark.parametrize("forwarded_for,client", [
    ("203.0.113.7", "203.0.113.7"),  # Caddy: the client's address alone
    ("198.51.100.1, 203.0.113.7", "203.0.113.7"),  # nginx appends: what the client claimed comes first
])
def test_sign_in_limits_count_the_client_not_the_proxy(settings, forwarded_for, client):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="172.18.0.3", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert get_adapter(request).get_client_ip(request) == client


def test_a_page_through_the_proxy_is_https_with_hsts_but_no_preload(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["leads.example.org"]
    settings.SECURE_HSTS_PRELOAD = False
    plain = client.get("/accounts/login/", HTTP_HOST="leads.example.org")
    assert plain.status_code == 301 and plain.url.startswith("https://")
    secure = client.get("/accounts/login/", HTTP_HOST="leads.example.org", HTTP_X_FORWARDED_PROTO="https")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_a_form_posted_from_the_site_passes_the_origin_check(db, settings):
    settings.ALLOWED_HOSTS = ["leads.example.org"]
    settings.CSRF_TRUSTED_ORIGINS = ["https://leads.example.org"]
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = token = "a" * 32
    posted = client.post("/accounts/login/", {"login": "x@example.org", "password": "wrong", "csrfmiddlewaretoken": token},
                         HTTP_HOST="leads.example.org", HTTP_X_FORWARDED_PROTO="https",
                         HTTP_ORIGIN="https://leads.example.org")
    assert posted.status_code == 200  # the form again, with its error: not a 403
    foreign = client.post("/accounts/login/", {"login": "x@example.org", "password": "wrong", "csrfmiddlewaretoken": token},
                          HTTP_HOST="leads.example.org", HTTP_X_FORWARDED_PROTO="https",
                          HTTP_ORIGIN="https://evil.example")
    assert foreign.status_code == 403

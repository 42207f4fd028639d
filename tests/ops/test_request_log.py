"""Each request is one JSON line with its id; refusals are one line without traceback; error pages show the id."""

import re

import pytest
from django.test import Client
from django.urls import path

from leadsgroups.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("the database fell over")


def _chatty(request):
    import logging

    from django.http import HttpResponse

    logging.getLogger("tests.ops").warning("working on it")
    return HttpResponse("ok")


# A URL that fails, on top of the project's (test_500_page_*): handler400/500 are read from here.
urlpatterns = [*project_urlpatterns, path("boom/", _boom), path("chatty/", _chatty)]
handler400 = "leadsgroups.error_pages.bad_request"
handler500 = "leadsgroups.error_pages.server_error"


def _request_lines(console):
    return [r for r in console.records() if r["logger"] == "leadsgroups.request"]


def test_a_request_is_one_json_line_with_its_id_status_duration_and_user(client, personas, console):
    client.force_login(personas.member.user)
    response = client.get("/profile/")
    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = _request_lines(console)
    assert line["level"] == "INFO"
    assert line["request_id"] == request_id
    assert (line["method"], line["path"], line["status"], line["user_id"]) == ("GET", "/profile/", 200, personas.member.user.pk)
    assert isinstance(line["duration_ms"], float)
    assert set(line) >= {"time", "level", "logger", "message", "request_id"}


@pytest.mark.urls(__name__)
def test_every_record_logged_during_the_request_carries_its_id(client, console):
    response = client.get("/chatty/")
    [record] = [r for r in console.records() if r["logger"] == "tests.ops"]
    assert record["message"] == "working on it"
    assert record["request_id"] == response["X-Request-ID"]


def test_the_proxys_request_id_is_kept_when_sane_and_replaced_when_not(client, console):
    # (/healthz is answered before this middleware: leadsgroups/health.py)
    kept = client.get("/accounts/login/", HTTP_X_REQUEST_ID="caddy-5f0c1e2a-9d1b-4c55-8d8e-0a1b2c3d4e5f")
    assert kept["X-Request-ID"] == "caddy-5f0c1e2a-9d1b-4c55-8d8e-0a1b2c3d4e5f"
    for hostile in ["short", "x" * 200, "id with spaces 12345", "evil\nINFO forged line"]:
        replaced = client.get("/accounts/login/", HTTP_X_REQUEST_ID=hostile)
        assert re.fullmatch(r"[0-9a-f]{32}", replaced["X-Request-ID"]), hostile


def test_health_probes_and_static_files_are_not_logged_at_info(settings, console):
    settings.WHITENOISE_USE_FINDERS = True  # serve static/ as in development (read when the client starts)
    client = Client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200
    assert _request_lines(console) == []
    assert client.get("/static/css/missing.css").status_code == 404
    assert [r["path"] for r in _request_lines(console)] == ["/static/css/missing.css"]  # a failure is news


@pytest.mark.parametrize("who,url,status", [
    ("member", "/outbox/", 403),  # PermissionDenied: Django logs it with its traceback
    ("outsider", "/c/home-chapter/", 404),  # another chapter's page
])
def test_a_refusal_is_one_line_without_traceback(client, personas, console, who, url, status):
    client.force_login(personas.user(who))
    response = client.get(url)
    assert response.status_code == status
    records = console.records()
    assert len(records) == 1, records
    [line] = records
    assert (line["logger"], line["level"], line["status"], line["path"]) == ("leadsgroups.request", "WARNING", status, url)
    assert "exc" not in line
    assert line["request_id"] == response["X-Request-ID"]


@pytest.mark.parametrize("who,url,status", [("member", "/outbox/", 403), ("outsider", "/c/home-chapter/", 404)])
def test_the_403_and_404_pages_show_the_request_id(client, personas, who, url, status):
    client.force_login(personas.user(who))
    response = client.get(url)
    assert response.status_code == status
    assert f"<code>{response['X-Request-ID']}</code>" in response.content.decode()


def test_a_disallowed_host_gets_the_400_page_with_its_id_and_no_traceback(client, console):
    response = client.get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert f"<code>{response['X-Request-ID']}</code>" in response.content.decode()
    records = console.records()
    assert {r["logger"] for r in records} == {"django.security.DisallowedHost", "leadsgroups.request"}
    assert not any("exc" in r for r in records)


@pytest.mark.urls(__name__)
def test_500_page_shows_the_id_the_error_was_logged_with(personas, console):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    request_id = response["X-Request-ID"]
    assert f"<code>{request_id}</code>" in response.content.decode()
    [error] = [r for r in console.records() if r["logger"] == "django.request"]
    assert error["level"] == "ERROR" and error["request_id"] == request_id
    assert "RuntimeError: the database fell over" in error["exc"]
    [line] = _request_lines(console)
    assert (line["status"], line["request_id"]) == (500, request_id)


def test_the_500_page_renders_without_the_request_or_context_processors():
    """Django renders 500.html with no request; ours needs only the id."""
    from django.template import loader

    html = loader.get_template("500.html").render({"request_id": "abc123def456"})
    assert "<code>abc123def456</code>" in html
    assert "Something went wrong" in html


def test_runservers_own_request_line_is_not_printed_beside_ours(tmp_path):
    """`make run`: runserver logs each request on django.server; the request line already says it.

    In a process of its own, as `manage.py runserver` configures logging (pytest adds handlers of its own).
    """
    import os
    import subprocess
    import sys

    from django.conf import settings

    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.server').warning('\"GET /nope/ HTTP/1.1\" 404 6418'); "
        "logging.getLogger('leadsgroups.request').warning('GET /nope/ 404 3.1ms')"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "leadsgroups.settings", "DEBUG": "1", "TESTING": "0",
           "LEADSGROUPS_VAR_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["WARNING leadsgroups.request: GET /nope/ 404 3.1ms"]


def test_djangos_records_print_once_through_the_root_handler():
    """Django's own console handler (DEBUG only) would print every django.* record a second time."""
    import logging

    assert logging.getLogger("django").handlers == []
    assert logging.getLogger("django").propagate


@pytest.mark.parametrize("trusted,forwarded,client_ip", [
    (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # the proxy appended the address it saw; the first is the client's claim
    (0, "203.0.113.9", "127.0.0.1"),  # no proxy trusted: the peer's address, whatever the header says
])
def test_the_request_line_names_the_client_behind_the_trusted_proxies(settings, client, console, trusted,
                                                                       forwarded, client_ip):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = trusted
    client.get("/accounts/login/", headers={"X-Forwarded-For": forwarded}, REMOTE_ADDR="127.0.0.1")
    [line] = _request_lines(console)
    assert line["client"] == client_ip

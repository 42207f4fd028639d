"""`make run` ends with the URL and the demo logins, printed by `dev_ready` once everything is up."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_banner_lists_the_url_and_the_demo_logins_seed_demo_printed(tmp_path):
    seed_log = tmp_path / "seed_demo.log"
    with seed_log.open("w") as f:
        call_command("seed_demo", stdout=f)
    out = io.StringIO()
    call_command("dev_ready", "--port", "8103", "--timeout", "0", "--settle", "0", "--seed-log", str(seed_log), "--exit",
                 stdout=out, stderr=io.StringIO())
    banner = out.getvalue()
    assert "Leadsgroups is ready: http://127.0.0.1:8103/" in banner
    assert "admin@demo.leadsgroups.org" in banner
    assert "Password for every demo login: demo-pass-2026" in banner
    assert "http://127.0.0.1:8103/dev/outbox/" in banner
    assert "Riverside Breakfast Club:" not in banner  # seed_demo's progress report stays in the log
    # The logins are what seed_demo printed, in its order, the last lines of the banner's first part.
    logins = seed_log.read_text().split("Sign in with any of these (password below):\n")[1].splitlines()
    for line in logins:
        assert line in banner


def test_without_the_seed_log_it_says_how_to_get_logins(tmp_path):
    out = io.StringIO()
    call_command("dev_ready", "--timeout", "0", "--settle", "0", "--seed-log", str(tmp_path / "missing.log"), "--exit",
                 stdout=out, stderr=io.StringIO())
    assert "manage.py seed_demo" in out.getvalue()

import os

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def test_health_reports_database_and_broker(client, db):
    response = client.get("/healthz")
    data = response.json()
    assert data["database"] is True
    if REQUIRE_SERVICES:
        # CI points the broker at the real Redis: it must be reachable.
        assert data["broker"] is True, "the Celery broker (Redis) is not reachable"
        assert response.status_code == 200


def test_health_says_503_when_the_broker_is_down(client, db, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"] is False


@pytest.mark.skipif(not REQUIRE_SERVICES, reason="CI only: runs against the configured PostgreSQL")
def test_ci_runs_on_postgresql(db):
    from django.db import connection

    assert connection.vendor == "postgresql", "CI must run the suite on PostgreSQL (DATABASE_URL)"


def test_refusals_render_in_the_site_layout(client, personas):
    personas.login(client, "member")
    forbidden = client.get(personas.url("chapters:settings"))
    assert forbidden.status_code == 403
    assert "You cannot do that here" in forbidden.content.decode() and 'aria-label="Main"' in forbidden.content.decode()
    missing = client.get("/c/no-such-chapter/")
    assert missing.status_code == 404 and "Page not found" in missing.content.decode()

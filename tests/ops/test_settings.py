"""LOG_FORMAT and ADMINS, as settings.py reads them."""

import importlib

import pytest
from django.core.exceptions import ImproperlyConfigured


@pytest.fixture
def settings_with(monkeypatch):
    """The settings module as read with these environment variables (reloaded back afterwards)."""
    from leadsgroups import settings as module

    def read(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return importlib.reload(module)

    yield read
    monkeypatch.undo()
    importlib.reload(module)


def test_production_logs_json_and_development_text(settings_with):
    assert settings_with(DEBUG="0").LOG_FORMAT == "json"
    development = settings_with(DEBUG="1", TESTING="0")
    assert development.LOG_FORMAT == "text"
    assert development.LOGGING["handlers"]["console"]["formatter"] == "text"
    # Celery's line per task is off in the development console, on in production.
    assert development.LOGGING["loggers"]["celery.app.trace"]["level"] == "WARNING"
    assert "level" not in settings_with(DEBUG="0").LOGGING["loggers"]["celery.app.trace"]


def test_an_unknown_log_format_refuses_to_start(settings_with):
    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT must be one of json, text"):
        settings_with(LOG_FORMAT="xml")


def test_admins_are_read_from_one_line(settings_with):
    module = settings_with(ADMINS="Ops desk <ops@example.org>, night@example.org")
    assert module.ADMINS == [("Ops desk", "ops@example.org"), ("", "night@example.org")]

"""LOG_FORMAT, ADMINS, the development email backend and the broker URL, as settings.py reads them."""

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


def test_development_email_goes_to_the_dev_outbox_unless_email_url_is_set(settings_with, monkeypatch):
    monkeypatch.delenv("EMAIL_URL", raising=False)
    assert settings_with(DEBUG="1", TESTING="0").EMAIL_BACKEND == "ops.dev_email.DevOutboxBackend"
    smtp = settings_with(DEBUG="1", TESTING="0", EMAIL_URL="smtp://mail.example.org:25")
    assert smtp.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.delenv("EMAIL_URL")
    assert settings_with(DEBUG="0", TESTING="0").EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend"


def test_admins_are_read_from_one_line(settings_with):
    module = settings_with(ADMINS="Ops desk <ops@example.org>, night@example.org")
    assert module.ADMINS == [("Ops desk", "ops@example.org"), ("", "night@example.org")]


def test_the_filesystem_broker_has_a_host_name(settings_with, monkeypatch, caplog):
    """kombu warns "No hostname was supplied" for a bare filesystem:// (the development default)."""
    import kombu

    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    assert settings_with().CELERY_BROKER_URL == "filesystem://localhost/"
    module = settings_with(CELERY_BROKER_URL="filesystem://")  # as an older .env may still say
    assert module.CELERY_BROKER_URL == "filesystem://localhost/"
    with caplog.at_level("WARNING", logger="kombu.connection"):
        kombu.Connection(module.CELERY_BROKER_URL, transport_options=module.CELERY_BROKER_TRANSPORT_OPTIONS).info()
    assert "No hostname was supplied" not in caplog.text
    with caplog.at_level("WARNING", logger="kombu.connection"):
        kombu.Connection("filesystem://").info()
    assert "No hostname was supplied" in caplog.text  # what the bare form did

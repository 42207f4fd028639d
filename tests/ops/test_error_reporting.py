"""Sentry is on only with SENTRY_DSN, with the Django and Celery integrations, no personal data, and the request id."""

import importlib

import pytest


@pytest.fixture
def sentry_calls(monkeypatch):
    import sentry_sdk

    calls = []
    monkeypatch.setattr(sentry_sdk, "init", lambda **kwargs: calls.append(kwargs))
    yield calls
    from leadsgroups import settings as module

    monkeypatch.undo()
    importlib.reload(module)


def _reload(monkeypatch, **env):
    from leadsgroups import settings as module

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return importlib.reload(module)


def test_without_a_dsn_nothing_is_reported(sentry_calls, monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    _reload(monkeypatch)
    assert sentry_calls == []


def test_with_a_dsn_web_and_tasks_report_without_personal_data(sentry_calls, monkeypatch):
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    _reload(monkeypatch, SENTRY_DSN="https://key@sentry.example.org/42", SENTRY_ENVIRONMENT="staging")
    [options] = sentry_calls
    assert options["dsn"] == "https://key@sentry.example.org/42"
    assert options["environment"] == "staging"
    assert options["send_default_pii"] is False
    assert {type(i) for i in options["integrations"]} == {DjangoIntegration, CeleryIntegration}
    assert options["traces_sample_rate"] == 0.0


def test_each_event_is_tagged_with_the_request_id():
    from leadsgroups.error_reporting import _tag_request_id
    from leadsgroups.request_id import request_id_reset, request_id_set

    token = request_id_set("5f0c1e2a9d1b4c558d8e0a1b2c3d4e5f")
    try:
        event = _tag_request_id({"tags": {"release": "x"}}, {})
    finally:
        request_id_reset(token)
    assert event["tags"] == {"release": "x", "request_id": "5f0c1e2a9d1b4c558d8e0a1b2c3d4e5f"}
    assert "tags" not in _tag_request_id({}, {})  # outside a request or task: nothing to add

"""Error reporting with sentry-sdk, started from settings when SENTRY_DSN is set (web, worker and beat alike).

Celery loads the same settings, so one init in settings covers the worker too (Sentry's Django
guide). No personal data is sent (`send_default_pii=False`: no user email, IP or cookies); each
event is tagged with the request id the user sees on the error page.
"""

from __future__ import annotations

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import ignore_logger

from leadsgroups.request_id import request_id_get


def _tag_request_id(event, hint):
    request_id = request_id_get()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=_tag_request_id,
    )
    # A 500's request line is logged at ERROR beside the exception Sentry already reports.
    ignore_logger("leadsgroups.request")

"""Sending a webhook delivery: the email outbox's pattern (members/outbox.py) for an HTTP POST.

A send claims its row with a conditional UPDATE (two workers, or a task and the sweep, never both
send it; a claim older than OUTBOX_CLAIM_TIMEOUT belongs to a dead worker and is taken over). A
2xx answer marks it sent. Anything else (an error status, a timeout, a refused connection) is
written on the row with the next try's time, waits doubling as the outbox's do (`retry_wait`); after
WEBHOOK_MAX_ATTEMPTS, or at once for an address we refuse to send to, it is marked failed. Leadership
sees each delivery's status on the endpoint's page and may send it again.
"""

from __future__ import annotations

import http.client
import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from members.outbox import retry_wait
from webhooks import signing, transport
from webhooks.addresses import AddressRefused
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.secret_box import SecretUndecryptable

log = logging.getLogger(__name__)
Status = WebhookDelivery.Status


@dataclass(frozen=True)
class SendResult:
    sent: bool
    retry_at: datetime | None = None  # set when the try failed and another comes then


def envelope(delivery: WebhookDelivery) -> dict:
    """The body's JSON: built from the row alone, so every try sends the same bytes."""
    return {
        "id": str(delivery.delivery_id),
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }


def delivery_claim(*, delivery_id: int, now: datetime | None = None) -> datetime | None:
    """Take a due delivery for this worker; the claim's time, or None if it is not ours to send."""
    now = now or timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .filter(Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=stale))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return now if claimed else None


def delivery_send(*, delivery_id: int) -> SendResult:
    """Send one delivery if it is due and no other worker has it; record the outcome on its row."""
    claimed_at = delivery_claim(delivery_id=delivery_id)
    if claimed_at is None:
        return SendResult(sent=False)
    delivery = WebhookDelivery.objects.select_related("endpoint").defer("endpoint__secret").get(pk=delivery_id)
    endpoint = delivery.endpoint
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.SENDING, claimed_at=claimed_at)
    if not endpoint.is_active:
        mine.update(status=Status.FAILED, claimed_at=None, last_error="The endpoint is paused.")
        return SendResult(sent=False)
    try:
        secret = WebhookEndpoint.objects.values_list("secret", flat=True).get(pk=endpoint.pk)
    except SecretUndecryptable as exc:
        # Its key left WEBHOOK_SECRET_KEYS: no later try would sign either, until the key or a new secret comes.
        mine.update(status=Status.FAILED, claimed_at=None, last_response_code=None, last_error=str(exc)[:2000])
        log.error("Webhook delivery %s not signed: %s", delivery.pk, exc)
        return SendResult(sent=False)
    body = signing.body_bytes(envelope(delivery))
    headers = signing.signed_headers(secret=secret, event=delivery.event,
                                     delivery_id=str(delivery.delivery_id), body=body)
    code, error = None, ""
    try:
        code = transport.post(endpoint.url, body=body, headers=headers, timeout=settings.WEBHOOK_TIMEOUT)
    except AddressRefused as exc:
        # The host now points somewhere we never send to: no later try would be allowed either.
        mine.update(status=Status.FAILED, claimed_at=None, last_response_code=None, last_error=str(exc)[:2000])
        log.error("Webhook delivery %s refused: %s", delivery.pk, exc)
        return SendResult(sent=False)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
    if code is not None and 200 <= code < 300:
        mine.update(status=Status.SENT, sent_at=timezone.now(), claimed_at=None, last_response_code=code,
                    last_error="")
        return SendResult(sent=True)
    return _send_failed(delivery=delivery, mine=mine, code=code, error=error or f"HTTP {code}")


def _send_failed(*, delivery: WebhookDelivery, mine, code: int | None, error: str) -> SendResult:
    if delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        mine.update(status=Status.FAILED, claimed_at=None, last_response_code=code, last_error=error)
        log.error("Webhook delivery %s failed for good after %s tries: %s", delivery.pk, delivery.attempts, error)
        return SendResult(sent=False)
    retry_at = timezone.now() + retry_wait(delivery.attempts)
    mine.update(status=Status.QUEUED, claimed_at=None, next_attempt_at=retry_at, last_response_code=code,
                last_error=error)
    log.warning("Webhook delivery %s failed (try %s of %s), next try at %s: %s",
                delivery.pk, delivery.attempts, settings.WEBHOOK_MAX_ATTEMPTS, retry_at, error)
    return SendResult(sent=False, retry_at=retry_at)


def deliveries_due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose send is due: queued and their time has come, or held by a worker that died."""
    now = now or timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    return list(
        WebhookDelivery.objects.filter(
            Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=stale)
        ).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def delivery_resend_queue(*, delivery: WebhookDelivery) -> bool:
    """Send a finished delivery again now, with a fresh set of tries; False if it is still on its way."""
    from webhooks.events import deliveries_send_queue

    again = WebhookDelivery.objects.filter(pk=delivery.pk, status__in=WebhookDelivery.FINISHED).update(
        status=Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_at=None, last_error="",
    )
    if again:
        transaction.on_commit(lambda: deliveries_send_queue(delivery_ids=[delivery.pk]))
    return bool(again)

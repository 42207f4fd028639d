"""Chapter events as webhook deliveries: `emit` writes a row per subscribed endpoint, in the cause's transaction.

The services that cause an event call `emit` in one line, inside their transaction: the delivery rows
exist exactly when the referral, the close or the fine does, and their sends are queued with
`transaction.on_commit` (a lost task is found by the minute sweep). A chapter without endpoints costs
one query per call, whatever the number of objects. Payloads carry ids, statuses, figures and members'
names as the chapter sees them, never a prospect's name or contact.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)


def _member(membership) -> dict:
    return {"membership_id": membership.pk, "name": membership.display_name}


def _chapter(chapter) -> dict:
    return {"slug": chapter.slug, "name": chapter.name}


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def referral_data(referral) -> dict:
    """A referral as a webhook tells of it: no prospect name, email, phone or notes."""
    data = {
        "id": referral.pk,
        "created_at": _iso(referral.created_at),
        "kind": referral.kind,
        "status": referral.status,
        "temperature": referral.temperature,
        "consent": referral.consent,
        "giver": _member(referral.giver),
        "receiver": _member(referral.receiver),
    }
    if referral.closed_value is not None:
        data.update(closed_value=str(referral.closed_value), currency=referral.chapter.currency,
                    closed_on=_iso(referral.closed_on), business_type=referral.business_type)
    return {"referral": data}


def meeting_data(meeting) -> dict:
    counts = dict(meeting.attendances.values_list("status").annotate(n=Count("pk")).order_by())
    return {"meeting": {
        "id": meeting.pk,
        "date": _iso(meeting.local_date),
        "starts_at": _iso(meeting.starts_at),
        "closed_at": _iso(meeting.closed_at),
        "status": meeting.status,
        "attendance": {status: counts.get(status, 0) for status in ("present", "late", "absent", "medical", "substitute")},
    }}


def fine_data(fine) -> dict:
    return {"fine": {
        "id": fine.pk,
        "member": _member(fine.membership),
        "kind": fine.kind,
        "amount": str(fine.amount),
        "currency": fine.currency,
        "period_start": _iso(fine.period_start),
        "period_end": _iso(fine.period_end),
        "meeting_id": fine.meeting_id,
        "status": fine.status,
    }}


PAYLOADS = {
    Event.REFERRAL_GIVEN: referral_data,
    Event.REFERRAL_WON: referral_data,
    Event.MEETING_CLOSED: meeting_data,
    Event.FINE_ISSUED: fine_data,
}


def emit(event: str, objects: list) -> int:
    """Write a delivery of `event` for each object to each endpoint of its chapter that wants it; returns how many.

    Call inside the transaction of the cause. Idempotent: one delivery per endpoint and cause.
    """
    event = Event(event)
    if not objects:
        return 0
    by_chapter = defaultdict(list)
    for obj in objects:
        by_chapter[obj.chapter_id].append(obj)
    endpoints = [e for e in WebhookEndpoint.objects.filter(chapter_id__in=list(by_chapter), is_active=True).defer("secret")
                 if e.wants(event)]
    if not endpoints:
        return 0
    now = timezone.now()
    rows = []
    for endpoint in endpoints:
        for obj in by_chapter[endpoint.chapter_id]:
            payload = {"chapter": _chapter(obj.chapter), **PAYLOADS[event](obj)}
            rows.append(WebhookDelivery(endpoint=endpoint, event=event, dedupe_key=f"{event}:{obj.pk}",
                                        payload=payload, created_at=now, next_attempt_at=now))
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(WebhookDelivery.objects.filter(
        endpoint__in=endpoints, dedupe_key__in={r.dedupe_key for r in rows}, created_at=now,
        status=WebhookDelivery.Status.QUEUED,
    ).values_list("pk", flat=True))
    transaction.on_commit(lambda: deliveries_send_queue(delivery_ids=ids))
    return len(ids)


def deliveries_send_queue(*, delivery_ids: list[int]) -> None:
    """Hand the sends to workers; a broker outage only delays them until the minute sweep."""
    from webhooks.tasks import webhook_delivery_send_task

    for pk in delivery_ids:
        try:
            webhook_delivery_send_task.delay(pk)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the cause; the rows wait
            log.warning("Broker unavailable; webhook delivery %s will go with the next sweep", pk)
            return

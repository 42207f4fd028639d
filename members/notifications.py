"""Notifications: the in-app row is written with the event; email follows from a task."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from members.models import Notification

log = logging.getLogger(__name__)


def _queue_email(notification_id: int) -> None:
    from members.tasks import notification_email_send_task

    try:
        notification_email_send_task.delay(notification_id)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the page
        log.warning("Broker unavailable; notification %s will go out with the next sweep", notification_id)


def notification_send(
    *,
    user,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    chapter=None,
    dedupe_key: str | None = None,
    email: bool = True,
) -> Notification | None:
    """Tell a person something; returns None if a notice with the same dedupe key exists."""
    wanted = email and user.wants_email(kind) and bool(user.email)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, chapter=chapter, kind=kind, title=title[:200], body=body, url=url,
                email_wanted=wanted, dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None  # already told: a rerun changes nothing
    if wanted:
        transaction.on_commit(lambda: _queue_email(notification.pk))
    return notification


def notification_email_send(*, notification_id: int) -> bool:
    """Send one notification's email, at most once; True if it was sent now."""
    if not notification_email_claim(notification_id=notification_id):
        return False
    notification = Notification.objects.select_related("user", "chapter").get(pk=notification_id)
    context = {"n": notification, "site_url": settings.SITE_URL, "org": settings.ORGANISATION_NAME}
    message = EmailMultiAlternatives(
        subject=f"[{notification.chapter or settings.ORGANISATION_NAME}] {notification.title}",
        body=render_to_string("emails/notification.txt", context),
        to=[notification.user.email],
    )
    message.attach_alternative(render_to_string("emails/notification.html", context), "text/html")
    message.send()
    notification_email_sent(notification_id=notification_id)
    return True


def notification_email_claim(*, notification_id: int, **only) -> bool:
    """Take a notification's unsent email for this worker; False if it is sent or another worker has it.

    A conditional update claims the row, so two workers never both send it; a claim older than
    the retry window belongs to a worker that died and may be taken over. `only` narrows the row
    (e.g. `kind=...`).
    """
    now = timezone.now()
    stale_claim = now - settings.NOTIFICATION_EMAIL_RETRY_AFTER
    return bool(
        Notification.objects.filter(pk=notification_id, email_wanted=True, email_sent_at__isnull=True, **only)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale_claim))
        .update(email_claimed_at=now)
    )


def notification_email_sent(*, notification_id: int) -> None:
    Notification.objects.filter(pk=notification_id).update(email_sent_at=timezone.now())


def notifications_pending_ids(*, older_than_seconds: int = 60) -> list[int]:
    """Notifications whose email is still unsent (the on-commit send was lost)."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    return list(
        Notification.objects.filter(email_wanted=True, email_sent_at__isnull=True, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all of them when ids is None)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())

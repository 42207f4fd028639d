"""Notifications: the in-app row and its email (an outbox row) are written with the event; a task sends it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone

from leadsgroups.i18n import for_user
from members.models import Notification, OutboundEmail
from members.outbox import email_queue, email_queue_message, email_send, email_send_queue
from members.signals import notifications_read

log = logging.getLogger(__name__)


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
    message_key: str = "",
    params: dict | None = None,
) -> Notification | None:
    """Tell a person something; returns None if a notice with the same dedupe key exists.

    With a `message_key` (members/notice_texts.py) and its `params`, the notice is worded again in the
    reader's language whenever it is shown; `title` and `body` are its words as written now.
    """
    wanted = email and user.wants_email(kind) and bool(user.email)
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, chapter=chapter, kind=kind, title=title[:200], body=body, url=url,
                email_wanted=wanted, dedupe_key=dedupe_key,
                message_key=message_key, params=params or {},
            )
            if wanted:  # the email is a row of the outbox, written with the notice
                _notification_email_queue(notification)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None  # already told: a rerun changes nothing
    return notification


def _notification_email_queue(notification: Notification) -> None:
    """The notice's email, in its recipient's language whoever's action sent it.

    The title and text are stored as they were written (the caller builds them inside
    ``for_user(recipient)``); the email's own words around them are rendered here.
    """
    context = {"n": notification, "site_url": settings.SITE_URL, "org": settings.ORGANISATION_NAME}
    with for_user(notification.user):
        email_queue(
            kind=OutboundEmail.Kind.NOTIFICATION,
            to=notification.user.email,
            subject=f"[{notification.chapter or settings.ORGANISATION_NAME}] {notification.title}",
            body=render_to_string("emails/notification.txt", context),
            html=render_to_string("emails/notification.html", context),
            chapter=notification.chapter,
            notification=notification,
        )


def notification_email_deliver(*, notification_id: int, message: EmailMultiAlternatives) -> bool:
    """Send a notification's own email (a reminder's) through the outbox now; True if it went.

    For an email built by a worker after its notice was written: the row is written and sent at
    once; a failure stays on the row, which the outbox retries and lists like any other.
    """
    notification = Notification.objects.get(pk=notification_id)
    kind = OutboundEmail.Kind.REMINDER if notification.kind == Notification.Kind.REMINDER else (
        OutboundEmail.Kind.NOTIFICATION
    )
    [email] = email_queue_message(
        message, kind=kind, chapter=notification.chapter, notification=notification, queue=False
    )
    result = email_send(email_id=email.pk)
    if result.retry_at is not None:
        email_send_queue(email_id=email.pk, eta=result.retry_at)
    return result.sent


def notifications_email_backfill(*, older_than_seconds: int = 60, limit: int = 500) -> int:
    """Give an outbox row to notices whose email was wanted but has none (written before the outbox).

    Reminders are left to their own sweep, which builds their own email.
    """
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    orphans = (
        Notification.objects.filter(email_wanted=True, email_sent_at__isnull=True, created_at__lt=cutoff)
        .exclude(kind=Notification.Kind.REMINDER)
        .filter(~Exists(OutboundEmail.objects.filter(notification=OuterRef("pk"))))
        .select_related("user", "chapter")
        .order_by("created_at")[:limit]
    )
    done = 0
    for notification in orphans:
        with transaction.atomic():
            _notification_email_queue(notification)
        done += 1
    return done


def notification_email_claim(*, notification_id: int, **only) -> bool:
    """Take a notification whose email a worker builds itself (a reminder's); False if it is not to be built.

    False when the email is not wanted, was sent, is already in the outbox, or another worker
    holds the claim (a conditional update, so two workers never both build it; a claim older than
    the retry window belongs to a worker that died and may be taken over). `only` narrows the row
    (e.g. `kind=...`). The email itself then goes through `notification_email_deliver`.
    """
    now = timezone.now()
    stale_claim = now - settings.NOTIFICATION_EMAIL_RETRY_AFTER
    return bool(
        Notification.objects.filter(pk=notification_id, email_wanted=True, email_sent_at__isnull=True, **only)
        .filter(Q(email_claimed_at__isnull=True) | Q(email_claimed_at__lt=stale_claim))
        .filter(~Exists(OutboundEmail.objects.filter(notification=OuterRef("pk"))))
        .update(email_claimed_at=now)
    )


def notification_email_sent(*, notification_id: int) -> None:
    """Mark a notification's email sent (the outbox does this itself when it sends one)."""
    Notification.objects.filter(pk=notification_id).update(email_sent_at=timezone.now())


def notifications_mark_read(*, user, ids: list[int] | None = None) -> int:
    """Mark the person's notifications read (all of them when ids is None)."""
    qs = Notification.objects.filter(user=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    n = qs.update(read_at=timezone.now())
    if n:
        notifications_read.send(sender=Notification, user_ids=[user.pk])
    return n

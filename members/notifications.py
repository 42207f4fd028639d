"""Notifications: the in-app row and its email (an outbox row) are written with the event; a task sends it."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from leadsgroups.i18n import for_user
from members import delivery
from members.delivery import Delivery
from members.models import Notification, OutboundEmail, User
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
    delivery = notification_delivery_fields(user=user, kind=kind, email=email)
    wanted = delivery["email_wanted"]
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user=user, chapter=chapter, kind=kind, title=title[:200], body=body, url=url,
                dedupe_key=dedupe_key, message_key=message_key, params=params or {}, **delivery,
            )
            if wanted:  # the email is a row of the outbox, written with the notice
                _notification_email_queue(notification)
    except IntegrityError:
        if dedupe_key is None:
            raise
        return None  # already told: a rerun changes nothing
    return notification


def notification_delivery_fields(*, user, kind: str, email: bool = True) -> dict:
    """A new notice's fields for how it reaches the person (their choice for its kind, members/delivery.py).

    `email=False`: the caller sends the notice's own email itself (a reminder's), so none is queued
    here. "Off" writes the notice as read: it adds nothing to the unread count, and the history stays.
    """
    choice = user.delivery_for(kind)
    has_address = bool(user.email)
    return {
        "email_wanted": email and choice == Delivery.EMAIL and has_address,
        "digest_wanted": choice == Delivery.DIGEST and has_address,
        "read_at": timezone.now() if choice == Delivery.OFF else None,
    }


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


def notification_delivery_update(*, user, choices: dict[str, str]) -> None:
    """Save how each kind of notice reaches the person; refuses a choice not offered for its kind.

    Kinds left out keep their choice. Only choices that differ from the default are stored, so a
    default changed later reaches everyone who never chose otherwise.
    """
    refused = {kind: choice for kind, choice in choices.items()
               if kind not in Notification.Kind.values or choice not in delivery.choices_for(kind)}
    if refused:
        raise ValidationError(
            _("These notices cannot be set that way: %(kinds)s.")
            % {"kinds": ", ".join(str(Notification.Kind(k).label) if k in Notification.Kind.values else k
                                  for k in sorted(refused))}
        )
    stored = {kind: user.delivery_for(kind) for kind in Notification.Kind.values}
    stored.update(choices)
    user.notification_delivery = {kind: choice for kind, choice in stored.items() if choice != delivery.default_for(kind)}
    user.save(update_fields=["notification_delivery"])


def notification_unsubscribe(*, token: str) -> bool:
    """An email's one-click unsubscribe: that kind's emails (or the digest's kinds) go to the app only.

    False if the token is not ours or its person is gone; a kind a rule requires stays as it is.
    """
    found = delivery.unsubscribe_token_read(token)
    if found is None:
        return False
    user_id, kind = found
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    if kind == delivery.DIGEST:
        to_app = [k for k in Notification.Kind.values if user.delivery_for(k) == Delivery.DIGEST]
    else:
        to_app = [kind] if Delivery.APP in delivery.choices_for(kind) else []
    if to_app:
        notification_delivery_update(user=user, choices=dict.fromkeys(to_app, Delivery.APP.value))
    return True

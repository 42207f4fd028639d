"""The email outbox: every email is a row first, then a task sends it, retries it, or records why it failed.

Nothing is sent from a request. A service writes the row inside the transaction of what caused it
(an invitation, a consent request, a notice), so the email exists exactly when its cause does;
`transaction.on_commit` then queues the send, and if the broker is down the row waits for the
periodic sweep. A send claims its row with a conditional UPDATE, so two workers (or a task and
the sweep) never both send it; a claim older than OUTBOX_CLAIM_TIMEOUT belongs to a worker that
died mid-send and is taken over (the one case where an email can go out twice: the server may
have accepted it before the worker died). A failure is written on the row with a time for the
next try (doubling waits); after OUTBOX_MAX_ATTEMPTS, or at once for a message that can never be
sent (a bad header), the row is marked failed and listed for admins, who can retry it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import strip_tags

from leadsgroups.single_line import one_line
from members.delivery import unsubscribe_headers
from members.models import Notification, OutboundEmail
from members.signals import outbox_failures_changed

log = logging.getLogger(__name__)

Status = OutboundEmail.Status


def email_queue(
    *,
    kind: str,
    to: str,
    subject: str,
    body: str,
    html: str = "",
    headers: dict | None = None,
    from_email: str = "",
    chapter=None,
    notification=None,
    invitation=None,
    consent_request=None,
    queue: bool = True,
) -> OutboundEmail:
    """Write one email to send; call inside the transaction of its cause. Its send is queued on commit.

    `queue=False` when the caller, already a worker, sends it at once itself.
    """
    email = OutboundEmail.objects.create(
        kind=kind,
        to=to.strip(),
        from_email=one_line(from_email),
        # Headers are one line: a name or title stored before line breaks were refused must not
        # make the message unsendable (BadHeaderError) or inject a header.
        subject=one_line(subject)[:300],
        body=body,
        html=html,
        headers={one_line(str(k)): one_line(str(v)) for k, v in (headers or {}).items()},
        chapter=chapter,
        notification=notification,
        invitation=invitation,
        consent_request=consent_request,
    )
    if queue:
        transaction.on_commit(lambda: email_send_queue(email_id=email.pk))
    return email


def email_queue_message(message: EmailMessage, *, kind: str, queue: bool = True, **cause) -> list[OutboundEmail]:
    """A Django EmailMessage (as allauth builds it) as outbox rows, one per recipient."""
    html = next((content for content, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
    body = message.body
    if message.content_subtype == "html":  # an HTML-only message: keep a text part as well
        html, body = body, strip_tags(body)
    return [
        email_queue(
            kind=kind, to=to, subject=message.subject, body=body, html=html, headers=message.extra_headers,
            from_email=message.from_email or "", queue=queue, **cause,
        )
        for to in message.to
    ]


def email_send_queue(*, email_id: int, eta: datetime | None = None) -> None:
    """Hand the send to a worker; a broker outage only delays it until the sweep."""
    from members.tasks import outbound_email_send_task

    try:
        if eta is None:
            outbound_email_send_task.delay(email_id)
        else:
            outbound_email_send_task.apply_async((email_id,), eta=eta)
    except Exception:  # noqa: BLE001 - a broker outage must never fail the page; the row waits
        log.warning("Broker unavailable; email %s will go out with the next outbox sweep", email_id)


def send_batch_size() -> int:
    return getattr(settings, "OUTBOX_SEND_BATCH", 100)


def emails_send_queue(*, email_ids: list[int]) -> None:
    """Hand many sends to workers, one task per batch of `send_batch_size()` emails (a sweep's notices).

    Each email is claimed on its own as it goes (`email_send`), so a batch delivered twice, or
    one the minute outbox sweep overtook, sends nothing twice; a broker outage only delays the
    batches it lost until the sweep finds their rows due.
    """
    from members.tasks import outbound_emails_send_task

    size = send_batch_size()
    for i in range(0, len(email_ids), size):
        batch = list(email_ids[i:i + size])
        try:
            outbound_emails_send_task.delay(batch)
        except Exception:  # noqa: BLE001 - a broker outage must never fail the run; the rows wait
            log.warning("Broker unavailable; %s emails will go out with the next outbox sweep", len(batch))


def email_claim(*, email_id: int, now: datetime | None = None) -> datetime | None:
    """Take a due email for this worker; returns the claim's time, or None if it is not ours to send.

    One conditional UPDATE: it matches only a queued row whose time has come, or a row whose
    sender's claim has timed out, so of two workers at most one gets the row.
    """
    now = now or timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    claimed = (
        OutboundEmail.objects.filter(pk=email_id)
        .filter(Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=stale))
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return now if claimed else None


@dataclass(frozen=True)
class SendResult:
    sent: bool
    retry_at: datetime | None = None  # set when the send failed and will be tried again then


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    headers = dict(email.headers or {})
    if email.notification_id and "List-Unsubscribe" not in headers:
        # Every notice's email, whichever path wrote its row (the sweep's bulk insert included),
        # lets its reader stop that kind of email in one click (members/delivery.py).
        n = email.notification
        headers.update(unsubscribe_headers(user_id=n.user_id, kind=n.kind))
    message = EmailMultiAlternatives(
        subject=one_line(email.subject),
        body=email.body,
        from_email=email.from_email or None,
        to=[email.to],
        headers=headers or None,
    )
    if email.html:
        message.attach_alternative(email.html, "text/html")
    return message


def retry_wait(attempts: int):
    """The wait after the given number of failed tries: the base, doubled each time."""
    return settings.OUTBOX_RETRY_BASE * 2 ** max(attempts - 1, 0)


def email_send(*, email_id: int) -> SendResult:
    """Send one email if it is due and no other worker has it; record the outcome on its row."""
    claimed_at = email_claim(email_id=email_id)
    if claimed_at is None:
        return SendResult(sent=False)
    email = OutboundEmail.objects.select_related("notification").get(pk=email_id)
    try:
        _message(email).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - SMTP refusals, a server that is down, a bad header: all recorded
        return _send_failed(email=email, claimed_at=claimed_at, exc=exc)
    sent_at = timezone.now()
    done = {"status": Status.SENT, "sent_at": sent_at, "claimed_at": None, "last_error": ""}
    if email.kind == OutboundEmail.Kind.ACCOUNT:
        # A password-reset or confirmation key has no use once delivered: keep no copy of it.
        done.update(body="(not kept: it held a one-time key)", html="")
    OutboundEmail.objects.filter(pk=email.pk).update(**done)
    if email.notification_id:
        Notification.objects.filter(pk=email.notification_id).update(email_sent_at=sent_at)
    return SendResult(sent=True)


def _send_failed(*, email: OutboundEmail, claimed_at: datetime, exc: Exception) -> SendResult:
    error = f"{type(exc).__name__}: {exc}"[:2000]
    now = timezone.now()
    mine = OutboundEmail.objects.filter(pk=email.pk, status=Status.SENDING, claimed_at=claimed_at)
    # A header that cannot be encoded fails the same way every time: no point in trying again.
    if isinstance(exc, BadHeaderError) or email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        if mine.update(status=Status.FAILED, last_error=error, claimed_at=None):
            outbox_failures_changed.send(sender=OutboundEmail)
        log.error("Email %s (%s to %s) failed for good after %s tries: %s",
                  email.pk, email.kind, email.to, email.attempts, error)
        return SendResult(sent=False)
    retry_at = now + retry_wait(email.attempts)
    mine.update(status=Status.QUEUED, next_attempt_at=retry_at, last_error=error, claimed_at=None)
    log.warning("Email %s (%s) failed (try %s of %s), next try at %s: %s",
                email.pk, email.kind, email.attempts, settings.OUTBOX_MAX_ATTEMPTS, retry_at, error)
    return SendResult(sent=False, retry_at=retry_at)


def emails_due_ids(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Emails whose send is due: queued and their time has come, or held by a worker that died."""
    now = now or timezone.now()
    stale = now - settings.OUTBOX_CLAIM_TIMEOUT
    return list(
        OutboundEmail.objects.filter(
            Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(status=Status.SENDING, claimed_at__lt=stale)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


@transaction.atomic
def emails_retry(*, email_ids: list[int]) -> int:
    """Try failed (or waiting) emails again now, with a fresh set of tries; returns how many."""
    ids = list(
        OutboundEmail.objects.filter(pk__in=email_ids, status__in=[Status.FAILED, Status.QUEUED])
        .values_list("pk", flat=True)
    )
    OutboundEmail.objects.filter(pk__in=ids).update(
        status=Status.QUEUED, next_attempt_at=timezone.now(), attempts=0, claimed_at=None
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: email_send_queue(email_id=pk))
    if ids:
        outbox_failures_changed.send(sender=OutboundEmail)
    return len(ids)


def emails_cancel(*, emails) -> int:
    """Stop emails not yet sent (their cause was withdrawn); a send under way may still finish."""
    return emails.filter(status=Status.QUEUED).update(status=Status.CANCELLED, claimed_at=None)


def emails_erase(*, emails) -> int:
    """Forget to whom emails went and what they said (a person's data erased); unsent ones are cancelled."""
    emails.filter(status=Status.QUEUED).update(status=Status.CANCELLED, claimed_at=None)
    return emails.update(to="", subject="(erased)", body="(erased)", html="", headers={},
                         last_error="", from_email="")

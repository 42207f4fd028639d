"""Demo: an invitation whose email the mail server refused, so the outbox shows a failure to retry."""

from __future__ import annotations

import logging
from smtplib import SMTPRecipientsRefused

from members.models import Invitation, OutboundEmail
from members.outbox import _send_failed, email_claim
from members.services import invitation_create


def invitation_undelivered(*, chapter, by, email: str, full_name: str) -> Invitation:
    """Invite `email`, then record each of the outbox's tries as refused by the server until it gives up.

    The tries run through the outbox's own claim and failure steps (`email_claim`, `_send_failed`), each
    at the time its wait ends, so the row is exactly what a worker leaves after the last try: failed,
    with the server's answer. Idempotent: an address already invited is left as it is.
    """
    existing = Invitation.objects.filter(chapter=chapter, email__iexact=email).first()
    if existing is not None:
        return existing
    invitation, _link = invitation_create(
        chapter=chapter, email=email, full_name=full_name, role="member", classification=None, invited_by=by,
    )
    row = invitation.emails.get()
    refusal = SMTPRecipientsRefused({email: (550, f"5.1.1 <{email}>: Recipient address rejected: "
                                                 "mailbox unavailable".encode())})
    log = logging.getLogger("members.outbox")
    level, log.level = log.level, logging.CRITICAL  # the demo's made-up failures are not news for the console
    try:
        while row.status == OutboundEmail.Status.QUEUED:
            claimed_at = email_claim(email_id=row.pk, now=row.next_attempt_at)
            row.refresh_from_db()
            _send_failed(email=row, claimed_at=claimed_at, exc=refusal)
            row.refresh_from_db()
    finally:
        log.setLevel(level)
    return invitation

"""Test helpers for the email outbox: run it as a worker would, and a mail server that is down."""

from __future__ import annotations

from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend

from members.outbox import email_send, emails_due_ids


def outbox_flush() -> int:
    """Send every email that is due, as the worker would; returns how many went."""
    return sum(email_send(email_id=pk).sent for pk in emails_due_ids())


class DownBackend(BaseEmailBackend):
    """A mail server that cannot be reached: every send raises, as smtplib does."""

    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

"""Development email: each message is kept as an .eml file in var/dev-outbox/, read at /dev/outbox/, and
logged in one line (to, subject, link) instead of its whole MIME text on the console.

Used when DEBUG is on and EMAIL_URL is unset (settings.py). Password-reset and confirmation
emails included: the outbox table drops their bodies once sent, these files keep the link.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

log = logging.getLogger(__name__)

KEEP = 500  # the newest messages kept; older files are deleted as new ones come
NAME = re.compile(r"\d{8}-\d{6}-\d{6}-[0-9a-f]{6}")


def dev_outbox_dir() -> Path:
    return Path(settings.DEV_OUTBOX_DIR)


class DevOutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        folder = dev_outbox_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            name = f"{timezone.now():%Y%m%d-%H%M%S-%f}-{secrets.token_hex(3)}"
            partial = folder / f".{name}.tmp"
            partial.write_bytes(message.message().as_bytes(linesep="\n"))
            os.replace(partial, folder / f"{name}.eml")  # a reader never sees half a message
            log.info("Email to %s: %s  %s/dev/outbox/%s/", ", ".join(message.recipients()), message.subject,
                     settings.SITE_URL, name)
        for old in dev_outbox_names()[KEEP:]:
            (folder / f"{old}.eml").unlink(missing_ok=True)
        return len(email_messages)


def dev_outbox_names() -> list[str]:
    """The kept messages, newest first."""
    folder = dev_outbox_dir()
    if not folder.is_dir():
        return []
    return sorted((p.stem for p in folder.glob("*.eml") if NAME.fullmatch(p.stem)), reverse=True)


def dev_outbox_message(name: str) -> EmailMessage | None:
    if not NAME.fullmatch(name):
        return None
    path = dev_outbox_dir() / f"{name}.eml"
    if not path.is_file():
        return None
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def message_parts(message: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies ("" when absent)."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else "", html.get_content() if html else "")

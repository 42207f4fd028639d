"""The daily digest as an operator runs it: a real beat sends the entry, a real worker writes and sends the email.

A referral's routine steps wait for the giver's digest (the default for them); beat's digest entry
(every 2 seconds here) finds the person, the worker gathers the notices into one email through the
outbox, and the email backend writes it, with its List-Unsubscribe header.
"""

from __future__ import annotations

import email
import email.policy

import pytest

from members.models import Notification, OutboundEmail
from members.notifications import notification_send
from tests.factories import ChapterFactory, MembershipFactory
from tests.services import wait_for

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def _sent(folder) -> list[email.message.EmailMessage]:
    messages = []
    for path in sorted(folder.glob("*.log")):
        for text in path.read_text(errors="replace").split("-" * 79):
            if text.strip():
                messages.append(email.message_from_string(text.strip(), policy=email.policy.default))
    return messages


def test_beat_and_a_worker_send_the_waiting_notices_as_one_digest(system, tmp_path):
    outbox = tmp_path / "mail"
    outbox.mkdir()
    chapter = ChapterFactory(name="Riverside")
    giver = MembershipFactory(chapter=chapter, user__email="gina@example.org", user__full_name="Gina Giver").user
    for n in range(3):  # three routine steps of referrals: each waits for the digest, none is emailed alone
        notification_send(user=giver, chapter=chapter, kind=Notification.Kind.REFERRAL_UPDATED,
                          title=f"Referral {n} was contacted", url=f"/c/{chapter.slug}/referrals/{n}/")
    assert not OutboundEmail.objects.exists()

    system.env.update(BEAT_EVERY_SECONDS="2", EMAIL_FILE_PATH=str(outbox))
    system.worker()
    system.beat()

    def digest_sent():
        return OutboundEmail.objects.filter(to="gina@example.org", status=OutboundEmail.Status.SENT).first()

    row = wait_for(digest_sent, timeout=90)
    assert row is not None, system.logs()
    [message] = [m for m in _sent(outbox) if "gina@example.org" in str(m["To"])]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert all(f"Referral {n} was contacted" in body for n in range(3))
    assert "/notifications/unsubscribe/" in str(message["List-Unsubscribe"])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # every notice went in that one digest; beat keeps sending the entry, and nothing is sent twice
    assert Notification.objects.filter(user=giver, digest_sent_at__isnull=True).count() == 0
    assert OutboundEmail.objects.filter(to="gina@example.org").count() == 1

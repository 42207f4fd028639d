"""The consent email goes through the outbox: the referral page says queued, sent or failed, and a
failed email lets the giver ask again; an erasure takes the emails' copies of the prospect too."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from chapters.access import access_for
from members.models import OutboundEmail
from members.outbox import email_send
from referrals import services
from referrals.models import ConsentRequest
from tests.outbox import outbox_flush
from tests.referrals.factories import ReferralFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def referral(personas):
    return ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked")


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


def _ask(client, personas, referral):
    personas.login(client, "member")
    return client.post(personas.url("referrals:consent-request", referral.pk), follow=True).content.decode()


def _consent_section(client, personas, referral):
    personas.login(client, "member")
    return client.get(personas.url("referrals:detail", referral.pk)).content.decode()


def _give_up(clock, email):
    while email.status != "failed":
        clock.move_to(email.next_attempt_at)
        email_send(email_id=email.pk)
        email.refresh_from_db()


def test_with_smtp_down_the_consent_email_is_queued_and_the_page_says_so(client, personas, referral, settings, clock):
    settings.EMAIL_BACKEND = "tests.outbox.DownBackend"
    html = _ask(client, personas, referral)
    assert "Email to the prospect queued" in html
    email = OutboundEmail.objects.get(consent_request__referral=referral)
    assert (email.kind, email.to, email.status) == ("consent", "petra@prospect.example", "queued")
    assert outbox_flush() == 0
    html = _consent_section(client, personas, referral)
    assert 'data-testid="email-status">Email queued<' in html
    assert "asked less than a day ago" in html  # queued, not failed: no second email to the prospect yet


def test_a_failed_consent_email_is_shown_and_the_giver_may_ask_again(client, personas, referral, settings, clock):
    settings.EMAIL_BACKEND = "tests.outbox.DownBackend"
    _ask(client, personas, referral)
    first = OutboundEmail.objects.get(consent_request__referral=referral)
    _give_up(clock, first)
    html = _consent_section(client, personas, referral)
    assert 'data-testid="email-status">Email failed<' in html and "Connection unexpectedly closed" in html
    assert 'data-testid="consent-email-failed"' in html and "Send the link again" in html
    assert services.consent_request_wait(referral) == ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert "Email to the prospect queued" in _ask(client, personas, referral)
    assert outbox_flush() == 1 and mail.outbox[0].to == ["petra@prospect.example"]
    assert ConsentRequest.objects.get(pk=first.consent_request_id).outcome == "replaced"
    assert 'data-testid="email-status">Email sent<' in _consent_section(client, personas, referral)


def test_failed_emails_do_not_count_toward_the_limit_of_requests(personas, referral, settings, clock):
    settings.EMAIL_BACKEND = "tests.outbox.DownBackend"
    for _ in range(services.CONSENT_REQUESTS_MAX + 1):
        services.consent_request_send(referral=referral, by=personas.member)
        _give_up(clock, OutboundEmail.objects.filter(consent_request__referral=referral).latest("pk"))
    assert ConsentRequest.objects.filter(referral=referral).count() == services.CONSENT_REQUESTS_MAX + 1


def test_when_smtp_is_back_the_consent_email_goes_once(client, personas, referral, settings, clock):
    settings.EMAIL_BACKEND = "tests.outbox.DownBackend"
    _ask(client, personas, referral)
    outbox_flush()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.shift(timedelta(minutes=1))
    assert outbox_flush() == 1
    assert outbox_flush() == 0
    assert len(mail.outbox) == 1 and "/consent/" in mail.outbox[0].body


def test_erasing_the_prospect_cancels_and_blanks_their_consent_emails(personas, referral, settings):
    settings.EMAIL_BACKEND = "tests.outbox.DownBackend"
    services.consent_request_send(referral=referral, by=personas.member)
    services.referral_prospect_erase(
        referral=referral, access=access_for(personas.president.user, personas.chapter),
        reason="The prospect phoned and asked us to forget them",
    )
    email = OutboundEmail.objects.get(consent_request__referral=referral)
    assert email.status == "cancelled"
    assert "petra" not in f"{email.to} {email.subject} {email.body} {email.html}".lower()
    assert outbox_flush() == 0

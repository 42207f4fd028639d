"""The email outbox: with the mail server down nothing is lost, the pages say "queued", tries back off,
a failure is listed for admins with its error, and when the server is back each email goes once."""

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse

from members.models import Invitation, Notification, OutboundEmail
from members.notifications import notification_send
from members.outbox import email_claim, email_send, emails_due_ids
from members.services import invitation_create, invitation_revoke
from members.tasks import outbound_email_send_task, outbox_sweep
from tests.outbox import outbox_flush

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning; nothing here depends on today
DOWN = "tests.outbox.DownBackend"
WAITS = [timedelta(minutes=m) for m in (1, 2, 4, 8, 16)]  # OUTBOX_RETRY_BASE doubled, 6 tries in all


@pytest.fixture
def clock():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = DOWN
    return settings


def _invite_through_the_page(client, personas, email="newbie@example.com"):
    personas.login(client, "president")
    return client.post(personas.url("chapters:member-invite"), {"email": email, "role": "member"}, follow=True)


def _invitation_row(client, personas):
    personas.login(client, "president")
    html = client.get(personas.url("chapters:members")).content.decode()
    return html.split('data-testid="invitations"', 1)[1].split("</ul>", 1)[0]


def _fail_every_try(clock, email_id):
    """Run the worker at each retry time until the email is given up; returns the waits seen."""
    waits = []
    for _ in range(10):
        email = OutboundEmail.objects.get(pk=email_id)
        if email.status == "failed":
            break
        clock.move_to(email.next_attempt_at)
        before = email.next_attempt_at
        assert email_send(email_id=email_id).sent is False
        after = OutboundEmail.objects.get(pk=email_id)
        if after.status == "queued":
            waits.append(after.next_attempt_at - before)
    return waits


# Invitations ------------------------------------------------------------------------------------


def test_with_smtp_down_an_invitation_is_queued_and_the_page_says_so(client, personas, clock, smtp_down,
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite_through_the_page(client, personas)
    assert "Invitation queued for newbie@example.com" in response.content.decode()
    email = OutboundEmail.objects.get(invitation__email="newbie@example.com")
    assert (email.kind, email.to, email.status) == ("invitation", "newbie@example.com", "queued")
    assert outbox_flush() == 0  # the worker's first try fails ...
    email.refresh_from_db()
    assert email.status == "queued" and email.attempts == 1
    assert email.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
    assert email.next_attempt_at == T0 + WAITS[0]  # ... and the next one waits
    row = _invitation_row(client, personas)
    assert "Email queued" in row and "Send again" not in row


def test_a_failing_email_is_retried_with_doubling_waits_then_marked_failed_with_its_error(
    client, personas, clock, smtp_down
):
    invitation, _ = invitation_create(chapter=personas.chapter, email="newbie@example.com", full_name="",
                                      role="member", classification=None, invited_by=personas.president.user)
    email = invitation.emails.get()
    assert _fail_every_try(clock, email.pk) == WAITS
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 6)
    assert "SMTPServerDisconnected" in email.last_error
    assert emails_due_ids() == []  # given up: the sweep leaves it to an admin
    row = _invitation_row(client, personas)
    assert "Email failed" in row and "Send again" in row
    # in words for the president, the server's own answer kept on hover
    assert "The mail server could not be reached" in row and 'title="SMTPServerDisconnected: Connection' in row


@pytest.mark.parametrize("error,words", [
    ("SMTPRecipientsRefused: {'x@example.org': (550, b'5.1.1 mailbox unavailable')}", "refused this address"),
    ("ConnectionRefusedError: [Errno 111] Connection refused", "could not be reached"),
    ("BadHeaderError: Header values can't contain newlines", "could not be built from the names"),
    ("SMTPDataError: (554, b'spam')", "an admin can see why in the email outbox"),
])
def test_a_failed_emails_error_is_said_in_words(error, words):
    from members.templatetags.outbox import email_error_words

    assert words in email_error_words(error)


def test_an_email_is_not_tried_again_before_its_wait_is_over(personas, clock, smtp_down):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine")
    email = OutboundEmail.objects.get(notification=n)
    email_send(email_id=email.pk)
    clock.shift(WAITS[0] - timedelta(seconds=1))
    assert emails_due_ids() == [] and email_send(email_id=email.pk).sent is False
    assert OutboundEmail.objects.get(pk=email.pk).attempts == 1  # not even claimed


def test_the_task_queues_its_next_try_for_when_the_wait_is_over(personas, clock, smtp_down):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine")
    email = OutboundEmail.objects.get(notification=n)
    with mock.patch.object(outbound_email_send_task, "apply_async") as later:
        assert outbound_email_send_task(email.pk) is False
    later.assert_called_once_with((email.pk,), eta=T0 + WAITS[0])


def test_when_smtp_is_back_the_sweep_sends_the_email_once(personas, clock, smtp_down):
    invitation, link = invitation_create(chapter=personas.chapter, email="newbie@example.com", full_name="",
                                         role="member", classification=None, invited_by=personas.president.user)
    email = invitation.emails.get()
    email_send(email_id=email.pk)  # down: waits
    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(T0 + WAITS[0])
    # The worker runs what the sweep queues; the sweep runs twice (a duplicate beat, a slow worker).
    with mock.patch.object(outbound_email_send_task, "delay", side_effect=lambda pk: outbound_email_send_task(pk)):
        assert outbox_sweep() == 1
        assert outbox_sweep() == 0
    assert [m.to for m in mail.outbox] == [["newbie@example.com"]]
    assert link in mail.outbox[0].body
    email.refresh_from_db()
    assert (email.status, email.sent_at, email.last_error) == ("sent", T0 + WAITS[0], "")


def test_a_broker_outage_fails_no_page_and_the_row_waits_for_the_sweep(client, personas,
                                                                       django_capture_on_commit_callbacks):
    with mock.patch.object(outbound_email_send_task, "delay", side_effect=ConnectionError("broker down")):
        with django_capture_on_commit_callbacks(execute=True):
            response = _invite_through_the_page(client, personas)
    assert response.status_code == 200 and "Invitation queued" in response.content.decode()
    assert OutboundEmail.objects.get().status == "queued"
    assert outbox_flush() == 1  # the sweep's worker sends it


def test_after_a_failure_the_invitation_can_be_sent_again_from_the_list(client, personas, clock, smtp_down):
    invitation, link = invitation_create(chapter=personas.chapter, email="newbie@example.com", full_name="",
                                         role="member", classification=None, invited_by=personas.president.user)
    _fail_every_try(clock, invitation.emails.get().pk)
    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    personas.login(client, "president")
    response = client.post(personas.url("chapters:invitation-resend", invitation.pk), follow=True)
    assert "queued again" in response.content.decode()
    assert "Email queued" in _invitation_row(client, personas)
    assert outbox_flush() == 1 and link in mail.outbox[0].body  # the same link: it never arrived
    assert "Email sent" in _invitation_row(client, personas)


def test_inviting_the_same_address_again_after_a_failure_replaces_the_undelivered_invitation(
    client, personas, clock, smtp_down
):
    first, _ = invitation_create(chapter=personas.chapter, email="newbie@example.com", full_name="",
                                 role="member", classification=None, invited_by=personas.president.user)
    _fail_every_try(clock, first.emails.get().pk)
    response = _invite_through_the_page(client, personas)
    assert "Invitation queued for newbie@example.com" in response.content.decode()
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert Invitation.objects.filter(email="newbie@example.com", revoked_at__isnull=True).count() == 1


def test_inviting_again_while_the_email_is_only_queued_is_still_refused(client, personas, smtp_down):
    invitation_create(chapter=personas.chapter, email="newbie@example.com", full_name="", role="member",
                      classification=None, invited_by=personas.president.user)
    response = _invite_through_the_page(client, personas)
    assert "already has an open invitation" in response.content.decode()


def test_a_withdrawn_invitation_is_not_emailed_after_all(personas, smtp_down):
    invitation, _ = invitation_create(chapter=personas.chapter, email="newbie@example.com", full_name="",
                                      role="member", classification=None, invited_by=personas.president.user)
    invitation_revoke(invitation=invitation, by=personas.president.user)
    assert invitation.emails.get().status == "cancelled"
    assert outbox_flush() == 0


# Two workers, a worker that dies ------------------------------------------------------------------


class SecondWorkerMidSend(LocmemBackend):
    """While this worker is sending, a second worker is handed the same email (a duplicate task)."""

    second: list = []

    def send_messages(self, messages):
        for email in OutboundEmail.objects.filter(status="sending"):
            SecondWorkerMidSend.second.append(email_send(email_id=email.pk).sent)
        return super().send_messages(messages)


def test_two_workers_never_send_an_email_twice(personas, settings):
    settings.EMAIL_BACKEND = "tests.members.test_outbox.SecondWorkerMidSend"
    SecondWorkerMidSend.second = []
    n = notification_send(user=personas.member.user, kind="fine", title="A fine")
    email = OutboundEmail.objects.get(notification=n)
    assert email_send(email_id=email.pk).sent is True
    assert SecondWorkerMidSend.second == [False]  # the second worker found it claimed
    assert email_send(email_id=email.pk).sent is False  # and a third, after it went, finds it sent
    assert len(mail.outbox) == 1


def test_a_claim_is_a_conditional_update_only_one_of_two_wins(personas):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine")
    email = OutboundEmail.objects.get(notification=n)
    assert email_claim(email_id=email.pk) is not None
    assert email_claim(email_id=email.pk) is None


def test_an_email_held_by_a_worker_that_died_is_taken_over_after_the_timeout(personas, clock):
    n = notification_send(user=personas.member.user, kind="fine", title="A fine")
    email = OutboundEmail.objects.get(notification=n)
    assert email_claim(email_id=email.pk)  # the worker took it, then was killed mid-send
    clock.shift(timedelta(minutes=9))
    assert emails_due_ids() == [] and email_send(email_id=email.pk).sent is False  # it may still be sending
    clock.shift(timedelta(minutes=2))
    assert emails_due_ids() == [email.pk]
    assert email_send(email_id=email.pk).sent is True
    assert len(mail.outbox) == 1 and OutboundEmail.objects.get(pk=email.pk).attempts == 2


# Headers and bad input ------------------------------------------------------------------------------


def test_a_name_with_a_line_break_cannot_break_or_inject_a_header(personas):
    """Names stored before line breaks were refused: the email still goes, on one line, with no Bcc."""
    user = personas.member.user
    notification_send(user=user, kind="fine", title="Fine for Ann\r\nBcc: victim@example.com\x07",
                      chapter=personas.chapter)
    assert outbox_flush() == 1
    [message] = mail.outbox
    assert message.subject == "[Home Chapter] Fine for Ann Bcc: victim@example.com"
    headers = message.message()
    assert message.bcc == [] and headers["Bcc"] is None
    assert headers["Subject"] == "[Home Chapter] Fine for Ann Bcc: victim@example.com"


def test_a_bad_header_is_a_recorded_failure_at_once_never_silently_claimed(personas):
    email = OutboundEmail.objects.create(kind="notification", to=personas.member.user.email, subject="Hello",
                                         body="x", headers={"X-Note": "one\ntwo"})  # written before sanitising
    assert email_send(email_id=email.pk).sent is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)  # retrying cannot help
    assert email.last_error.startswith("BadHeaderError")


# What admins see ----------------------------------------------------------------------------------


@pytest.fixture
def failed_email(personas, clock, smtp_down):
    n = notification_send(user=personas.member.user, kind="fine", title="Fine issued", chapter=personas.chapter)
    email = OutboundEmail.objects.get(notification=n)
    _fail_every_try(clock, email.pk)
    email.refresh_from_db()
    assert email.status == "failed"
    return email


def test_failed_emails_are_listed_for_organisation_admins_with_the_error(client, personas, failed_email):
    personas.login(client, "org_admin")
    html = client.get(reverse("outbox")).content.decode()
    assert f'id="email-{failed_email.pk}"' in html
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in html
    assert 'data-testid="outbox-failed">1 failed<' in html  # the navigation's badge
    # and on the user menu itself, seen without opening it
    summary = html.split('<details class="dropdown">', 1)[1].split("</summary>", 1)[0]
    assert 'data-testid="menu-outbox-failed"' in summary and ">1</span>" in summary
    assert f'href="{reverse("outbox")}"' in html


def test_retry_now_gives_a_failed_email_a_fresh_set_of_tries(client, personas, failed_email, smtp_down):
    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    personas.login(client, "org_admin")
    response = client.post(reverse("outbox-retry"), {"id": failed_email.pk, "show": "failed"}, follow=True)
    assert "1 email queued to be tried again now" in response.content.decode()
    failed_email.refresh_from_db()
    assert (failed_email.status, failed_email.attempts) == ("queued", 0)
    assert outbox_flush() == 1 and len(mail.outbox) == 1
    assert Notification.objects.get(pk=failed_email.notification_id).email_sent_at is not None


def test_chapter_leadership_does_not_see_the_outbox(client, personas, failed_email):
    personas.login(client, "president")
    assert client.get(reverse("outbox")).status_code == 403
    assert "Email outbox" not in client.get(personas.url("chapters:home")).content.decode()


def test_the_django_admin_filters_failed_emails_and_retries_them(client, personas, failed_email, smtp_down):
    from tests.factories import UserFactory

    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    url = reverse("admin:members_outboundemail_changelist")
    html = client.get(url, {"status__exact": "failed", "has_error": "yes"}).content.decode()
    assert reverse("admin:members_outboundemail_change", args=[failed_email.pk]) in html
    assert "Connection unexpectedly closed" in html
    smtp_down.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(url, {"action": "retry_now", "_selected_action": [failed_email.pk]})
    assert OutboundEmail.objects.get(pk=failed_email.pk).status == "queued"


# Account emails (allauth) ---------------------------------------------------------------------------


def test_a_password_reset_with_smtp_down_is_queued_and_its_key_is_not_kept_once_sent(client, personas, settings):
    settings.EMAIL_BACKEND = DOWN
    response = client.post(reverse("account_reset_password"), {"email": personas.member.user.email})
    assert response.status_code == 302  # the page does not fail
    email = OutboundEmail.objects.get(kind="account")
    assert "/accounts/password/reset/key/" in email.body
    assert outbox_flush() == 0 and OutboundEmail.objects.get(pk=email.pk).status == "queued"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with time_machine.travel(email.created_at + timedelta(minutes=5)):
        assert outbox_flush() == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body
    assert "reset/key" not in OutboundEmail.objects.get(pk=email.pk).body


def test_reminder_emails_go_through_the_outbox_and_wait_when_smtp_is_down(personas, settings):
    from django.core.mail import EmailMultiAlternatives

    from enforcement.services import reminder_email_send
    from members.notifications import notification_email_claim, notification_email_deliver

    settings.EMAIL_BACKEND = DOWN
    n = notification_send(user=personas.member.user, kind="reminder", title="Meeting tomorrow", email=False,
                          chapter=personas.chapter, dedupe_key="reminder:1")
    Notification.objects.filter(pk=n.pk).update(email_wanted=True)  # as meeting_send_reminders does
    assert notification_email_claim(notification_id=n.pk)
    message = EmailMultiAlternatives(subject="[Home] Meeting tomorrow", body="See you", to=[personas.member.user.email])
    assert notification_email_deliver(notification_id=n.pk, message=message) is False
    email = OutboundEmail.objects.get(notification=n)
    assert (email.kind, email.status, email.attempts) == ("reminder", "queued", 1)
    assert reminder_email_send(notification_id=n.pk) is False  # in the outbox already: never a second row
    assert OutboundEmail.objects.filter(notification=n).count() == 1

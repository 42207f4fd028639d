"""The prospect's consent link: confirm, decline, withdraw, expiry, reuse and wrong tokens; erasure."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from chapters.access import access_for
from members.models import AuditEvent, Notification
from referrals import services
from referrals.models import ConsentRequest, Referral
from tests.outbox import outbox_flush
from tests.referrals.factories import ReferralFactory


@pytest.fixture
def referral(personas):
    return ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked")


def _send(personas, referral, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _, link = services.consent_request_send(referral=referral, by=personas.member)
    outbox_flush()  # as the worker would
    return link.split("/consent/")[1].rstrip("/")


def test_request_emails_prospect_naming_giver_and_receiver(
    personas, referral, django_capture_on_commit_callbacks
):
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    message = mail.outbox[-1]
    assert message.to == ["petra@prospect.example"]
    assert "Mona Member" in message.body and "Max Member" in message.body and token in message.body
    html = message.alternatives[0][0]
    assert "Mona Member" in html and token in html
    stored = ConsentRequest.objects.get()
    assert token not in stored.token_hash and len(stored.token_hash) == 64  # only a hash is kept


def test_only_the_giver_can_request_consent(personas, referral):
    with pytest.raises(PermissionDenied):
        services.consent_request_send(referral=referral, by=personas.member2)


def test_inside_or_emailless_referral_cannot_request_consent(personas):
    r = ReferralFactory(
        giver=personas.member, receiver=personas.member2, prospect_email="", consent="not_asked"
    )
    with pytest.raises(ValidationError):
        services.consent_request_send(referral=r, by=personas.member)


def test_prospect_confirms_through_the_link(client, personas, referral, django_capture_on_commit_callbacks):
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    url = reverse("referral-consent", args=[token])
    page = client.get(url)
    assert page.status_code == 200 and b"Max Member" in page.content
    referral.refresh_from_db()
    assert referral.consent == "not_asked"  # opening the link (or a mail scanner) changes nothing
    client.post(url, {"answer": "confirm"})
    referral.refresh_from_db()
    assert referral.consent == Referral.Consent.CONFIRMED
    assert referral.prospect_name == "Petra Prospect"
    kinds = set(
        Notification.objects.filter(kind=Notification.Kind.CONSENT_ANSWERED).values_list("user", flat=True)
    )
    assert kinds == {personas.member.user.pk, personas.member2.user.pk}


def test_decline_erases_contact_data_and_kills_the_link(
    client, personas, referral, django_capture_on_commit_callbacks
):
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    url = reverse("referral-consent", args=[token])
    client.post(url, {"answer": "decline"})
    referral.refresh_from_db()
    assert (referral.prospect_name, referral.prospect_email, referral.prospect_phone) == ("", "", "")
    assert referral.prospect_erased_at is not None and referral.consent == Referral.Consent.DECLINED
    assert AuditEvent.objects.filter(action="referral.prospect_erased", target_id=str(referral.pk)).exists()
    assert client.get(url).status_code == 410  # reused token
    assert client.post(url, {"answer": "confirm"}).status_code == 410


def test_withdraw_later_through_the_same_link(client, personas, referral, django_capture_on_commit_callbacks):
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    url = reverse("referral-consent", args=[token])
    client.post(url, {"answer": "confirm"})
    with time_machine.travel(timezone.now() + timedelta(days=90)):  # withdrawing never expires
        assert b"Withdraw" in client.get(url).content
        client.post(url, {"answer": "withdraw"})
    referral.refresh_from_db()
    assert referral.prospect_email == "" and referral.consent == Referral.Consent.DECLINED
    assert ConsentRequest.objects.get().outcome == ConsentRequest.Outcome.WITHDRAWN
    assert client.get(url).status_code == 410


def test_expired_unanswered_link_is_refused(client, personas, referral, django_capture_on_commit_callbacks):
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    url = reverse("referral-consent", args=[token])
    with time_machine.travel(timezone.now() + timedelta(days=services.CONSENT_LINK_VALID_DAYS + 1)):
        assert client.post(url, {"answer": "confirm"}).status_code == 410
    referral.refresh_from_db()
    assert referral.consent == "not_asked"


def test_wrong_token_is_refused(client, personas, referral, django_capture_on_commit_callbacks):
    _send(personas, referral, django_capture_on_commit_callbacks)
    assert client.get(reverse("referral-consent", args=["not-a-real-token"])).status_code == 410


def test_a_new_link_replaces_the_old_one(client, personas, referral, django_capture_on_commit_callbacks):
    import time_machine
    from django.utils import timezone

    old = _send(personas, referral, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=2)):  # a day must pass between asks
        _send(personas, referral, django_capture_on_commit_callbacks)
    assert client.get(reverse("referral-consent", args=[old])).status_code == 410


def test_leadership_erases_on_request_keeping_counts_and_values(personas, referral):
    referral.status, referral.closed_value = "won", 500
    referral.save()
    access = access_for(personas.president.user, personas.chapter)
    services.referral_prospect_erase(referral=referral, access=access, reason="Prospect emailed us")
    referral.refresh_from_db()
    assert referral.prospect_name == "" and referral.prospect_erased_at is not None
    assert referral.status == "won" and referral.closed_value == 500
    event = AuditEvent.objects.get(action="referral.prospect_erased")
    assert event.reason == "Prospect emailed us" and "Petra" not in str(event.before)


def test_a_plain_member_cannot_erase(personas, referral):
    access = access_for(personas.member.user, personas.chapter)
    with pytest.raises(PermissionDenied):
        services.referral_prospect_erase(referral=referral, access=access, reason="x")


def test_erase_page_needs_a_reason(client, personas, referral):
    client.force_login(personas.president.user)
    response = client.post(personas.url("referrals:erase", referral.pk), {"reason": ""})
    assert response.status_code == 200 and b"errorlist" in response.content
    referral.refresh_from_db()
    assert referral.prospect_name


def test_erasure_blanks_the_givers_notes_about_the_prospect(
    client, personas, referral, django_capture_on_commit_callbacks
):
    referral.notes = "Petra's mobile is 07700 900999, call after 5"
    referral.save()
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    client.post(reverse("referral-consent", args=[token]), {"answer": "decline"})
    referral.refresh_from_db()
    assert referral.notes == "" and referral.prospect_phone == ""
    other = ReferralFactory(giver=personas.member, receiver=personas.member2, notes="Petra, 07700 900888")
    access = access_for(personas.president.user, personas.chapter)
    services.referral_prospect_erase(referral=other, access=access, reason="Prospect phoned")
    other.refresh_from_db()
    assert other.notes == ""
    personas.login(client, "member")
    assert b"07700" not in client.get(personas.url("referrals:detail", other.pk)).content


def test_the_referral_says_when_an_unanswered_link_has_expired(
    client, personas, referral, django_capture_on_commit_callbacks
):
    _send(personas, referral, django_capture_on_commit_callbacks)
    personas.login(client, "member")
    assert "valid until" in client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    ConsentRequest.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    html = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "unanswered" in html and "valid until" not in html


def test_the_receiver_is_told_not_to_contact_a_prospect_who_declined(
    client, personas, referral, django_capture_on_commit_callbacks
):
    token = _send(personas, referral, django_capture_on_commit_callbacks)
    client.post(reverse("referral-consent", args=[token]), {"answer": "decline"})
    personas.login(client, "member2")
    for page in (personas.url("referrals:inbox"), personas.url("referrals:detail", referral.pk)):
        assert "Prospect declined: do not contact" in client.get(page).content.decode()


def test_the_giver_is_told_to_wait_instead_of_offered_a_button_that_fails(
    client, personas, referral, django_capture_on_commit_callbacks
):
    personas.login(client, "member")
    assert "Ask the prospect to confirm" in client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    _send(personas, referral, django_capture_on_commit_callbacks)
    html = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "Send the link again" not in html and "less than a day ago" in html
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        html = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
        assert "Send the link again" in html

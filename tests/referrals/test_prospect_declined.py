"""A prospect who declined (or withdrew) consent ends the referral's path: it can only be closed."""

import re

import pytest
from django.core.exceptions import ValidationError

from members.models import Notification
from referrals import services
from referrals.models import Referral, ReferralEvent
from tests.referrals.factories import ReferralFactory

S = Referral.Status


def _asked(personas, referral, django_capture_on_commit_callbacks) -> str:
    with django_capture_on_commit_callbacks(execute=True):
        _, link = services.consent_request_send(referral=referral, by=personas.member)
    return link.split("/consent/")[1].rstrip("/")


@pytest.fixture
def declined(personas, django_capture_on_commit_callbacks):
    """An accepted referral whose prospect then declined through the consent link."""
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked",
                               status=S.ACCEPTED)
    services.consent_answer(token=_asked(personas, referral, django_capture_on_commit_callbacks), answer="decline")
    referral.refresh_from_db()
    return referral


def _moves_offered(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="to" value="([a-z_]+)">', html)


def test_declined_prospect_leaves_only_the_close(declined):
    assert declined.next_statuses == (S.PROSPECT_DECLINED,)


@pytest.mark.parametrize("to", [S.CONTACTED, S.LOST, S.DECLINED, S.WON])
def test_service_refuses_any_other_move_with_a_clear_message(personas, declined, to):
    """Issue 10: a referral whose prospect declined contact can no longer be moved to Contacted (or on)."""
    with pytest.raises(ValidationError, match="prospect declined to be contacted"):
        services.referral_move(referral=declined, by=personas.member2, to=to, reason="x")
    declined.refresh_from_db()
    assert declined.status == S.ACCEPTED
    assert not ReferralEvent.objects.filter(referral=declined, action=ReferralEvent.Action.STATUS).exists()


def test_receiver_closes_it_and_the_giver_is_told(personas, declined):
    services.referral_move(referral=declined, by=personas.member2, to=S.PROSPECT_DECLINED)
    declined.refresh_from_db()
    assert declined.status == S.PROSPECT_DECLINED and not declined.is_open and declined.next_statuses == ()
    event = ReferralEvent.objects.get(referral=declined, action=ReferralEvent.Action.STATUS)
    assert (event.from_status, event.to_status, event.actor) == (S.ACCEPTED, S.PROSPECT_DECLINED, personas.member2.user)
    told = Notification.objects.get(user=personas.member.user, kind=Notification.Kind.REFERRAL_UPDATED)
    assert "prospect declined" in told.title
    with pytest.raises(ValidationError):  # closed for good
        services.referral_move(referral=declined, by=personas.member2, to=S.CONTACTED)


def test_a_referral_whose_prospect_consented_cannot_be_closed_as_declined(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status=S.ACCEPTED)
    assert S.PROSPECT_DECLINED not in referral.next_statuses
    with pytest.raises(ValidationError, match="cannot become closed: prospect declined"):
        services.referral_move(referral=referral, by=personas.member2, to=S.PROSPECT_DECLINED)


def test_withdrawn_consent_ends_the_path_too(client, personas, django_capture_on_commit_callbacks):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked",
                               status=S.CONTACTED)
    token = _asked(personas, referral, django_capture_on_commit_callbacks)
    services.consent_answer(token=token, answer="confirm")
    services.consent_answer(token=token, answer="withdraw")
    referral.refresh_from_db()
    assert referral.next_statuses == (S.PROSPECT_DECLINED,)
    with pytest.raises(ValidationError, match="prospect declined"):
        services.referral_move(referral=referral, by=personas.member2, to=S.MEETING)


def test_a_closed_referral_stays_closed_when_the_prospect_withdraws_later(personas, django_capture_on_commit_callbacks):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked")
    token = _asked(personas, referral, django_capture_on_commit_callbacks)  # asked while open (issue 17)
    type(referral).objects.filter(pk=referral.pk).update(status=S.LOST)
    services.consent_answer(token=token, answer="decline")
    referral.refresh_from_db()
    assert referral.next_statuses == ()
    with pytest.raises(ValidationError):
        services.referral_move(referral=referral, by=personas.member2, to=S.PROSPECT_DECLINED)


def test_detail_page_offers_only_the_close(client, personas, declined):
    personas.login(client, "member2")
    html = client.get(personas.url("referrals:detail", declined.pk)).content.decode()
    assert _moves_offered(html) == [S.PROSPECT_DECLINED]
    assert "Close: prospect declined" in html and 'data-testid="prospect-declined-path"' in html
    assert "Won — record the value" not in html and "decline-reason" not in html


def test_inbox_card_offers_only_the_close(client, personas, declined):
    personas.login(client, "member2")
    html = client.get(personas.url("referrals:inbox")).content.decode()
    card = html.split(f'id="referral-{declined.pk}"', 1)[1].split("</article>", 1)[0]
    assert _moves_offered(card) == [S.PROSPECT_DECLINED]
    assert "Won…" not in card and "Decline…" not in card


def test_a_forged_move_to_contacted_is_refused_on_the_page(client, personas, declined):
    personas.login(client, "member2")
    response = client.post(personas.url("referrals:status", declined.pk), {"to": "contacted"}, follow=True)
    assert "prospect declined to be contacted" in response.content.decode()
    assert Referral.objects.get(pk=declined.pk).status == S.ACCEPTED
    response = client.post(personas.url("referrals:status", declined.pk), {"to": "prospect_declined"}, follow=True)
    assert "Referral is now closed: prospect declined." in response.content.decode()
    assert Referral.objects.get(pk=declined.pk).status == S.PROSPECT_DECLINED


def test_won_page_is_refused_once_the_prospect_declined(client, personas, declined):
    personas.login(client, "member2")
    response = client.get(personas.url("referrals:won", declined.pk), follow=True)
    assert "cannot be won" in response.content.decode()


def test_stale_reminder_says_to_close_it(declined):
    assert "close it" in services.stale_next_step(declined)

"""Issue 17 (item 5): the stale filter, no consent request on a closed referral, the expired consent
page naming whom to write to, and the plain error for choosing yourself as receiver."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from referrals import services
from referrals.models import Referral
from tests.outbox import outbox_flush
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)


def test_the_inbox_filters_stale_referrals_only(client, personas):
    stale = ReferralFactory(giver=personas.member2, receiver=personas.member, status="contacted",
                            prospect_name="Sam Stale", stale_since=NOW)
    ReferralFactory(giver=personas.member2, receiver=personas.member, status="contacted", prospect_name="Fay Fresh")
    # won after going stale: closed, so no longer waiting for anyone
    ReferralFactory(giver=personas.member2, receiver=personas.member, status="won", closed_value="10.00",
                    prospect_name="Wanda Won", stale_since=NOW)
    personas.login(client, "member")
    html = client.get(personas.url("referrals:inbox"), {"status": "stale"}).content.decode()
    assert f'id="referral-{stale.pk}"' in html and "Sam Stale" in html
    assert "Fay Fresh" not in html and "Wanda Won" not in html
    assert '<option value="stale" selected>' in html


def test_ask_the_prospect_is_not_offered_on_a_closed_referral(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked")
    personas.login(client, "member")
    url = personas.url("referrals:detail", referral.pk)
    assert "Ask the prospect to confirm" in client.get(url).content.decode()
    for status in ("won", "lost", "declined"):
        Referral.objects.filter(pk=referral.pk).update(status=status)
        assert "Ask the prospect to confirm" not in client.get(url).content.decode(), status
        referral.refresh_from_db()
        with pytest.raises(ValidationError, match="The referral is closed"):
            services.consent_request_send(referral=referral, by=personas.member)


def _expired_link(personas, django_capture_on_commit_callbacks) -> str:
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, consent="not_asked")
    with django_capture_on_commit_callbacks(execute=True):
        _, link = services.consent_request_send(referral=referral, by=personas.member)
    outbox_flush()
    return reverse("referral-consent", args=[link.split("/consent/")[1].rstrip("/")])


def test_the_expired_consent_page_names_the_president_to_write_to_and_offers_no_sign_in(
    client, personas, django_capture_on_commit_callbacks
):
    url = _expired_link(personas, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=services.CONSENT_LINK_VALID_DAYS + 1)):
        response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 410
    contact = html.split('data-testid="contact"', 1)[1].split("</p>", 1)[0]
    email = personas.president.user.email
    assert "Paula President" in contact and f'href="mailto:{email}"' in contact
    assert "reply to the email" not in html
    assert reverse("account_login") not in html and "Sign in" not in html


def test_the_expired_consent_page_in_the_chapters_language(client, personas, django_capture_on_commit_callbacks):
    personas.chapter.language = "de"
    personas.chapter.save(update_fields=["language"])
    url = _expired_link(personas, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=services.CONSENT_LINK_VALID_DAYS + 1)):
        html = client.get(url).content.decode()
    assert "Dieser Link ist nicht mehr gültig" in html
    assert "Paula President (Leitung von Home Chapter)" in html


def test_choosing_yourself_as_receiver_says_so(client, personas):
    personas.login(client, "member")
    for typed in (str(personas.member.pk), personas.member.display_name):
        response = client.post(personas.url("referrals:new"), {"receiver": typed, "kind": "inside",
                                                               "temperature": "3"})
        assert response.status_code == 422
        assert "That is you: a referral goes to another member." in response.content.decode()
    assert not Referral.objects.exists()

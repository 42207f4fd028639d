"""The receiver's rating of a referral: one tap from the inbox, who may rate, history and audit, and
the giver's view of their ratings in aggregate only."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from members.models import AuditEvent
from referrals import services
from referrals.models import ReferralEvent
from tests.referrals.factories import ReferralFactory


def _rate(client, personas, referral, htmx=True, **data):
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(personas.url("referrals:rate", referral.pk), data, **extra)


def test_one_tap_in_the_inbox_rates_and_swaps_the_card(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="contacted")
    personas.login(client, "member2")
    inbox = client.get(personas.url("referrals:inbox")).content.decode()
    assert f'hx-post="{personas.url("referrals:rate", referral.pk)}"' in inbox
    assert 'name="rating" value="real"' in inbox and "Was it a lead?" in inbox

    response = _rate(client, personas, referral, rating="real")

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.strip().startswith(f'<article class="referral-card" id="referral-{referral.pk}"')
    assert 'value="real" class="secondary" aria-pressed="true"' in body
    assert 'name="usefulness" value="4"' in body  # the usefulness taps appear once rated
    referral.refresh_from_db()
    assert (referral.rating, referral.usefulness) == ("real", None)


def test_usefulness_tapped_after_keeps_the_rating_and_a_change_is_recorded(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="won")
    personas.login(client, "member2")
    _rate(client, personas, referral, rating="real")
    _rate(client, personas, referral, usefulness="4")
    referral.refresh_from_db()
    assert (referral.rating, referral.usefulness) == ("real", 4)

    _rate(client, personas, referral, htmx=False, rating="duplicate")  # changed: the usefulness stays

    referral.refresh_from_db()
    assert (referral.rating, referral.usefulness) == ("duplicate", 4)
    notes = list(referral.events.filter(action=ReferralEvent.Action.RATED).values_list("note", flat=True))
    assert notes == ["real", "real:4", "duplicate:4"]
    audit = AuditEvent.objects.filter(action="referral.rated").order_by("pk").last()
    assert audit.before == {"rating": "real", "usefulness": 4}
    assert audit.after == {"rating": "duplicate", "usefulness": 4}


def test_no_rating_before_the_receiver_acted_and_none_on_the_card(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="accepted")
    personas.login(client, "member2")
    assert 'name="rating"' not in client.get(personas.url("referrals:inbox")).content.decode()
    response = _rate(client, personas, referral, rating="real")
    assert "Rate a referral once you have contacted the prospect." in response.content.decode()
    referral.refresh_from_db()
    assert referral.rating == ""


@pytest.mark.parametrize("who", ["member", "president", "org_admin"])
def test_only_the_receiver_may_rate(client, personas, who):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="contacted")
    personas.login(client, who)
    assert _rate(client, personas, referral, rating="not_lead").status_code == 403
    referral.refresh_from_db()
    assert referral.rating == ""
    with pytest.raises(PermissionDenied):
        services.referral_rate(referral=referral, by=personas.member, rating="real")


def test_another_chapters_member_gets_404(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="contacted")
    personas.login(client, "outsider")
    assert _rate(client, personas, referral, rating="real").status_code == 404
    other = personas.url("referrals:rate", referral.pk, chapter=personas.other_chapter)
    assert client.post(other, {"rating": "real"}).status_code == 404


def test_unknown_values_are_refused(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="meeting")
    with pytest.raises(ValidationError):
        services.referral_rate(referral=referral, by=personas.member2, rating="great")
    with pytest.raises(ValidationError):
        services.referral_rate(referral=referral, by=personas.member2, rating="real", usefulness=6)


def test_detail_page_rates_and_the_giver_never_sees_one_referrals_rating(client, personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status="contacted")
    personas.login(client, "member2")
    response = _rate(client, personas, referral, htmx=False, rating="not_lead")
    assert response.status_code == 302
    page = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "Your rating" in page and "Rated by the receiver: Not a lead" in page

    personas.login(client, "member")
    page = client.get(personas.url("referrals:detail", referral.pk)).content.decode()
    assert "Not a lead" not in page and "Rated by the receiver" not in page
    outbox = client.get(personas.url("referrals:outbox")).content.decode()
    assert "Not a lead" not in outbox


def test_the_giver_sees_their_ratings_in_aggregate(client, personas):
    for rating, useful in (("real", 4), ("real", 3), ("not_lead", None)):
        r = ReferralFactory(giver=personas.member, receiver=personas.member2, status="contacted")
        services.referral_rate(referral=r, by=personas.member2, rating=rating, usefulness=useful)
    ReferralFactory(giver=personas.member, receiver=personas.member2, status="contacted")  # not rated
    personas.login(client, "member")
    page = client.get(personas.url("referrals:stats")).content.decode()
    assert "2 of 3 rated real leads" in page and "average usefulness 3.5 of 5" in page

    personas.member.user.language = "de"
    personas.member.user.save(update_fields=["language"])
    with translation.override("de"):
        page = client.get(personas.url("referrals:stats"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "2 von 3 als echte Leads bewertet" in page and "durchschnittliche Nützlichkeit 3,5 von 5" in page


def test_repeats_are_found_by_a_keyed_hash_that_goes_with_an_erasure(personas):
    first = ReferralFactory(giver=personas.member, receiver=personas.member2, prospect_email="Petra@Example.com ")
    again = ReferralFactory(giver=personas.member, receiver=personas.president, prospect_email="petra@example.com")
    by_phone = ReferralFactory(giver=personas.member, receiver=personas.member2, prospect_email="",
                               prospect_phone="07700 900123")
    assert first.prospect_key == again.prospect_key and len(first.prospect_key) == 32
    assert "petra" not in first.prospect_key and by_phone.prospect_key not in ("", first.prospect_key)
    leadership = SimpleNamespace(is_leadership=True, membership=personas.president)
    services.referral_prospect_erase(referral=first, access=leadership, reason="Asked by phone")
    first.refresh_from_db()
    assert first.prospect_key == ""

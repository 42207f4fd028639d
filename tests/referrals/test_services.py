"""Giving and the lifecycle: who may do what, and what each step records."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from members.models import Membership, Notification
from referrals import services
from referrals.models import Referral, ReferralEvent, ThankYou
from tests.factories import MembershipFactory
from tests.referrals.factories import ReferralFactory

S = Referral.Status


def _give(p, **kw):
    args = dict(
        chapter=p.chapter,
        giver=p.member,
        receiver=p.member2,
        kind="outside",
        prospect_name="Petra",
        prospect_email="petra@example.com",
        consent="stated",
        temperature=4,
    )
    args.update(kw)
    return services.referral_give(**args)


def test_give_records_referral_history_and_notifies_receiver(personas):
    referral = _give(personas)
    assert referral.status == S.GIVEN
    assert referral.events.get().action == ReferralEvent.Action.CREATED
    notice = Notification.objects.get(user=personas.member2.user)
    assert notice.kind == Notification.Kind.REFERRAL_RECEIVED
    assert "petra" not in (notice.title + notice.body).lower()  # no prospect data in emails


def test_cannot_give_to_oneself(personas):
    with pytest.raises(ValidationError):
        _give(personas, receiver=personas.member)


def test_cannot_give_to_another_chapters_member(personas):
    with pytest.raises(ValidationError):
        _give(personas, receiver=personas.outsider)


def test_cannot_give_to_inactive_member(personas):
    gone = MembershipFactory(chapter=personas.chapter, status=Membership.Status.RESIGNED)
    with pytest.raises(ValidationError):
        _give(personas, receiver=gone)


def test_outside_referral_needs_a_way_to_reach_the_prospect(personas):
    with pytest.raises(ValidationError):
        _give(personas, prospect_email="", prospect_phone="")


def test_inside_referral_counts_as_consented(personas):
    referral = _give(personas, kind="inside", prospect_name="", prospect_email="", consent="not_asked")
    assert referral.consent == Referral.Consent.STATED


def _walk(referral, by, *steps):
    for step in steps:
        referral = services.referral_move(referral=referral, by=by, to=step)
    return referral


def test_receiver_walks_referral_to_won_and_giver_gets_tyfcb(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    referral = _walk(referral, personas.member2, S.ACCEPTED, S.CONTACTED, S.MEETING)
    today = timezone.localdate()
    referral = services.referral_move(
        referral=referral,
        by=personas.member2,
        to=S.WON,
        value=Decimal("1250.50"),
        closed_on=today,
        business_type="new",
    )
    assert referral.status == S.WON and referral.closed_value == Decimal("1250.50")
    thank_you = ThankYou.objects.get(referral=referral)
    assert thank_you.giver == personas.member and thank_you.value == Decimal("1250.50")
    assert Notification.objects.filter(user=personas.member.user, kind=Notification.Kind.THANK_YOU).exists()
    history = list(referral.events.filter(action="status").values_list("from_status", "to_status"))
    assert history == [
        ("given", "accepted"),
        ("accepted", "contacted"),
        ("contacted", "meeting"),
        ("meeting", "won"),
    ]


def test_only_the_receiver_moves_a_referral(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    for who in (personas.member, personas.president):
        with pytest.raises(PermissionDenied):
            services.referral_move(referral=referral, by=who, to=S.ACCEPTED)


@pytest.mark.parametrize(
    "start,to",
    [
        (S.GIVEN, S.WON),
        (S.GIVEN, S.MEETING),
        (S.WON, S.LOST),
        (S.DECLINED, S.ACCEPTED),
        (S.MEETING, S.GIVEN),
        (S.LOST, S.WON),
    ],
)
def test_invalid_jumps_are_refused_with_a_clear_message(personas, start, to):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status=start)
    with pytest.raises(ValidationError) as exc:
        services.referral_move(
            referral=referral,
            by=personas.member2,
            to=to,
            value=Decimal(1),
            closed_on=timezone.localdate(),
            business_type="new",
        )
    assert "cannot become" in str(exc.value)
    referral.refresh_from_db()
    assert referral.status == start


def test_decline_needs_a_reason(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2)
    with pytest.raises(ValidationError):
        services.referral_move(referral=referral, by=personas.member2, to=S.DECLINED, reason="  ")
    referral = services.referral_move(
        referral=referral, by=personas.member2, to=S.DECLINED, reason="Not my area"
    )
    assert referral.decline_reason == "Not my area"


@pytest.mark.parametrize(
    "value,days,field",
    [
        (Decimal("-1"), 0, "value"),
        (Decimal("10000000.01"), 0, "value"),
        (None, 0, "value"),
        (Decimal("10"), -1, "closed_on"),
    ],
)
def test_won_refuses_bad_value_or_future_date(personas, value, days, field):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, status=S.MEETING)
    with pytest.raises(ValidationError) as exc:
        services.referral_move(
            referral=referral,
            by=personas.member2,
            to=S.WON,
            value=value,
            closed_on=timezone.localdate() - timedelta(days=days),
            business_type="new",
        )
    assert field in exc.value.error_dict
    assert not ThankYou.objects.exists()


def test_update_clears_stale_mark(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, stale_since=timezone.now())
    referral = services.referral_move(referral=referral, by=personas.member2, to=S.ACCEPTED)
    assert referral.stale_since is None


def test_a_member_on_leave_cannot_receive_a_referral(personas):
    from django.core.exceptions import ValidationError

    from referrals import services

    personas.member2.status = "on_leave"
    personas.member2.save()
    assert personas.member2 not in services.receiver_candidates(chapter=personas.chapter, giver=personas.member)
    with pytest.raises(ValidationError, match="on leave"):
        services.referral_give(
            chapter=personas.chapter, giver=personas.member, receiver=personas.member2, kind="outside",
            prospect_name="P", prospect_email="p@example.com", prospect_phone="", consent="stated", temperature=3,
            notes="",
        )


def test_the_prospect_is_asked_at_most_once_a_day_and_three_times_in_all(personas):
    import time_machine
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from referrals import services
    from tests.referrals.factories import ReferralFactory

    referral = ReferralFactory(chapter=personas.chapter, giver=personas.member, receiver=personas.member2,
                               consent="not_asked")
    services.consent_request_send(referral=referral, by=personas.member)
    with pytest.raises(ValidationError, match="less than a day ago"):
        services.consent_request_send(referral=referral, by=personas.member)
    for days in (2, 4):
        with time_machine.travel(timezone.now() + timezone.timedelta(days=days)):
            services.consent_request_send(referral=referral, by=personas.member)
    with time_machine.travel(timezone.now() + timezone.timedelta(days=6)):
        with pytest.raises(ValidationError, match="asked 3 times"):
            services.consent_request_send(referral=referral, by=personas.member)


@pytest.mark.parametrize("page", ["referrals:stats", "referrals:inbox", "referrals:outbox", "referrals:chapter-list",
                                  "referrals:export"])
def test_far_future_dates_in_a_period_are_refused_not_a_crash(client, personas, page):
    personas.login(client, "member")
    response = client.get(personas.url(page), {"start": "2026-01-01", "end": "9999-12-31"})
    assert response.status_code < 500


def test_thank_you_notice_shows_money_with_two_decimals(personas):
    from referrals import services
    from tests.referrals.factories import ReferralFactory

    referral = ReferralFactory(chapter=personas.chapter, giver=personas.member, receiver=personas.member2,
                               status="meeting")
    services.referral_move(referral=referral, by=personas.member2, to="won", value=Decimal("1E+5"),
                           closed_on=timezone.localdate(), business_type="new")
    notice = Notification.objects.get(user=personas.member.user, kind="thank_you")
    assert "100,000.00" in notice.title and "E+" not in notice.title + notice.body


def test_a_one_to_one_from_long_ago_is_refused_inline(client, personas):
    personas.login(client, "member")
    response = client.post(personas.url("referrals:one-to-ones"),
                           {"other": personas.member2.pk, "met_on": "1900-01-01", "notes": ""})
    assert "more than a year ago" in response.content.decode()


@pytest.mark.parametrize("to,says", [
    ("accepted", "accepted your referral"),
    ("declined", "declined your referral"),
])
def test_the_giver_is_told_in_words_what_the_receiver_did(db, to, says):
    referral = ReferralFactory()
    services.referral_move(referral=referral, to=to, by=referral.receiver,
                           reason="Not my field" if to == "declined" else "")
    notice = Notification.objects.get(user=referral.giver.user, kind=Notification.Kind.REFERRAL_UPDATED)
    assert notice.title == f"{referral.receiver.display_name} {says}"

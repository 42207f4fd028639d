"""Stats arithmetic on a small known data set, and flat query counts."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.staticfiles import finders
from django.utils import timezone

from referrals.models import Referral, ThankYou
from referrals.selectors import chapter_stats, leaderboard
from tests.factories import MembershipFactory
from tests.referrals.factories import EducationCreditFactory, OneToOneFactory, ReferralFactory


def _at(chapter, day):
    return datetime.combine(day, time(12), tzinfo=chapter.tz)


def _known(p):
    """member gives 4 (1 inside; 3 consented; 1 won 1000, 1 won 500), member2 gives 1 (not asked); one old."""
    chapter, today = p.chapter, timezone.localdate()
    won1 = ReferralFactory(giver=p.member, receiver=p.member2, status="won", consent="confirmed")
    won2 = ReferralFactory(giver=p.member, receiver=p.president, status="won", consent="stated")
    ReferralFactory(giver=p.member, receiver=p.member2, kind="inside", consent="stated", status="lost")
    ReferralFactory(giver=p.member, receiver=p.member2, consent="not_asked")
    ReferralFactory(giver=p.member2, receiver=p.member, consent="not_asked")
    old = ReferralFactory(giver=p.member2, receiver=p.member)
    Referral.objects.filter(pk=old.pk).update(created_at=_at(chapter, today - timedelta(days=200)))
    for r, v in ((won1, "1000"), (won2, "500")):
        ThankYou.objects.create(
            chapter=chapter,
            referral=r,
            giver=r.giver,
            receiver=r.receiver,
            value=Decimal(v),
            closed_on=today,
            business_type="new",
        )
    OneToOneFactory(initiator=p.member, other=p.member2, status="confirmed", met_on=today)
    OneToOneFactory(initiator=p.member, other=p.president, status="pending", met_on=today)  # does not count
    EducationCreditFactory(membership=p.member, hours=Decimal("1.5"), completed_on=today)
    EducationCreditFactory(membership=p.member, hours=Decimal("2"), completed_on=today - timedelta(days=1))


def test_member_and_chapter_arithmetic(personas):
    _known(personas)
    today = timezone.localdate()
    rows, total = chapter_stats(chapter=personas.chapter, start=today - timedelta(days=30), end=today)
    by = {s.membership.pk: s for s in rows}
    m, m2, pres = by[personas.member.pk], by[personas.member2.pk], by[personas.president.pk]
    assert (m.given, m.given_inside, m.given_outside, m.given_consented, m.given_won) == (4, 1, 3, 3, 2)
    assert m.consented_share == 0.75 and m.conversion == 0.5
    assert (m.received, m2.received, pres.received) == (1, 3, 1)
    assert m.tyfcb_given == Decimal("1500") and m2.tyfcb_received == Decimal("1000")
    assert pres.tyfcb_received == Decimal("500")
    assert (m.one_to_ones, m2.one_to_ones, pres.one_to_ones) == (1, 1, 0)
    assert m.ceu_hours == Decimal("3.5")
    assert (total.given, total.given_won, total.tyfcb_given, total.one_to_ones) == (5, 2, Decimal("1500"), 1)
    assert by[personas.treasurer.pk].conversion is None
    assert leaderboard(rows)[0].membership == personas.member


def test_period_boundaries_use_the_chapter_timezone(personas):
    personas.chapter.timezone = "Pacific/Auckland"
    personas.chapter.save()
    r = ReferralFactory(giver=personas.member, receiver=personas.member2)
    day = timezone.localdate(timezone=personas.chapter.tz)
    Referral.objects.filter(pk=r.pk).update(
        created_at=datetime.combine(day, time(0, 30), tzinfo=personas.chapter.tz)
    )
    rows, total = chapter_stats(chapter=personas.chapter, start=day, end=day)
    assert total.given == 1
    rows, total = chapter_stats(
        chapter=personas.chapter, start=day - timedelta(days=1), end=day - timedelta(days=1)
    )
    assert total.given == 0


def test_stats_page_shows_my_numbers(client, personas):
    _known(personas)
    personas.login(client, "member")
    response = client.get(personas.url("referrals:stats"))
    assert response.context["mine"].given == 4
    assert b"1,500" in response.content  # TYFCB from my referrals


def test_stats_show_money_with_two_decimals_and_hours_plainly(client, personas):
    ReferralFactory(giver=personas.member, receiver=personas.member2, status="won")
    referral = Referral.objects.get()
    ThankYou.objects.create(
        chapter=personas.chapter,
        referral=referral,
        giver=personas.member,
        receiver=personas.member2,
        value=Decimal("13250.5"),
        closed_on=timezone.localdate(),
        business_type="new",
    )
    EducationCreditFactory(membership=personas.member, hours=Decimal("3.0"), completed_on=timezone.localdate())
    personas.login(client, "member")
    html = client.get(personas.url("referrals:stats")).content.decode()
    assert "13,250.50" in html and "13,250.5<" not in html
    assert "<strong>3</strong>" in html


def test_stats_query_count_does_not_grow_with_chapter_size(client, personas, django_assert_num_queries):
    _known(personas)
    personas.login(client, "member")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(personas.url("referrals:stats"))
    for _ in range(10):
        newcomer = MembershipFactory(chapter=personas.chapter)
        ReferralFactory(giver=newcomer, receiver=personas.member, status="won")
        OneToOneFactory(
            initiator=newcomer, other=personas.member, status="confirmed", met_on=timezone.localdate()
        )
        EducationCreditFactory(membership=newcomer, completed_on=timezone.localdate())
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(personas.url("referrals:stats"))
    assert len(response.context["board"]) == 15


def test_ordering_link_alone_still_shows_the_period(client, personas):
    personas.login(client, "member")
    html = client.get(personas.url("referrals:stats") + "?by=tyfcb").content.decode()
    today = timezone.localdate(timezone=personas.chapter.tz)
    assert f'name="start" value="{(today - timedelta(days=89)).isoformat()}"' in html
    assert f'name="end" value="{today.isoformat()}"' in html


def test_leaderboard_on_a_phone_keeps_the_won_and_tyfcb_columns(client, personas):
    personas.login(client, "member")
    html = client.get(personas.url("referrals:stats")).content.decode()
    head = html[html.index('data-testid="leaderboard"') :]
    head = head[: head.index("</thead>")]
    assert "<th>Won</th>" in head and "<th>TYFCB</th>" in head and '<th class="hide-sm">Received</th>' in head
    # narrower cells: 390 px wide without scrolling (in the app's stylesheet: the CSP allows no inline style)
    assert 'class="striped leaderboard"' in html and "css/app.css" in html
    assert ".leaderboard td { padding-inline" in Path(finders.find("css/app.css")).read_text()

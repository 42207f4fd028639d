"""The organisation overview: who sees which chapters, the figures recomputed by hand, at-risk reasons,
search, pages, the CSV, and the same number of queries whatever the size of the organisation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import Attendance, Meeting, Visitor
from members.models import Membership
from referrals.models import Referral, ThankYou
from tests.enforcement.factories import ExpulsionCaseFactory
from tests.factories import ChapterFactory, MembershipFactory, RegionFactory, RegionStaffFactory, UserFactory

# A Wednesday; the default range is the 13 weeks from Monday 22 Dec 2025 to today.

TODAY = date(2026, 3, 18)
FIRST_MONDAY = date(2025, 12, 22)
LONG_AGO = date(2020, 1, 1)
URL = "/org/overview/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime(2026, 3, 18, 12, 0, tzinfo=UTC), tick=False):
        yield


def _seats(chapter, n: int) -> list[Membership]:
    return MembershipFactory.create_batch(n, chapter=chapter, joined_on=LONG_AGO)


def _meetings(chapter, seats, present_by_week: list[int]) -> list[Meeting]:
    """A closed meeting each Wednesday from FIRST_MONDAY; week i marks `present_by_week[i]` seats present
    and the rest of `seats` absent."""
    meetings = []
    for i, present in enumerate(present_by_week):
        day = FIRST_MONDAY + timedelta(weeks=i, days=2)
        meeting = Meeting.objects.create(chapter=chapter, local_date=day, scheduled_date=day, status="closed",
                                         starts_at=datetime.combine(day, time(7), tzinfo=chapter.tz))
        Attendance.objects.bulk_create([
            Attendance(meeting=meeting, membership=s, status="present" if k < present else "absent")
            for k, s in enumerate(seats)
        ])
        meetings.append(meeting)
    return meetings


def _left(chapter, *days: date) -> None:
    """Members seated long ago who resigned on these days."""
    for day in days:
        MembershipFactory(chapter=chapter, joined_on=LONG_AGO, status=Membership.Status.RESIGNED, left_on=day)


@pytest.fixture
def org(db):
    """Three chapters in two regions, each figure chosen to be worked out by hand.

    - Alpha (north, GBP): 25 active, three more who resigned on 28 Jan, 4 Feb and 11 Mar (in the range): a net
      loss of 3 of the 28 seats held on 22 Dec, 10.7 %, just over the 10 % a shrinking roster needs;
      attendance 8 of 10 for nine weeks then 7 of 10 for four (80% → 70%: a fall of exactly 10 points); 33
      referrals in the range, 11 won; £1,000.50 new and £250.00 repeat closed business; 3 visitors. At risk:
      shrinking roster, falling attendance.
    - Beta (north, GBP): 26 active, one of whom joined on 2 Feb, and three who resigned in the range: a net
      loss of 2 of the 28 seats held on 22 Dec, 7.1 %, a near miss; attendance 20 of 25 for nine weeks then
      18, 18, 18, 17 (80% → 71%: 9 points, a near miss too); nothing else. Not at risk.
    - Gamma (south, EUR): 20 active (high risk band), an open expulsion case, €300 closed business.
    """
    north, south = RegionFactory(name="North Shore"), RegionFactory(name="South Downs")
    alpha = ChapterFactory(name="Alpha Breakfast", slug="alpha", region=north, currency="GBP")
    beta = ChapterFactory(name="Beta Lunch", slug="beta", region=north, currency="GBP")
    gamma = ChapterFactory(name="Gamma Evening", slug="gamma", region=south, currency="EUR")

    a = _seats(alpha, 25)
    _left(alpha, date(2026, 1, 28), date(2026, 2, 4), date(2026, 3, 11))
    meetings = _meetings(alpha, a[:10], [8] * 9 + [7] * 4)
    Visitor.objects.bulk_create([Visitor(meeting=meetings[k], name=f"V{k}", invited_by=a[0]) for k in (1, 5, 12)])
    referrals = Referral.objects.bulk_create([
        Referral(chapter=alpha, giver=a[i % 25], receiver=a[(i + 1) % 25], status="won" if i % 3 == 0 else "given")
        for i in range(34)
    ])
    for i, r in enumerate(referrals):  # one a day from 23 Dec; the last one before the range
        when = datetime(2025, 12, 23, 10, tzinfo=alpha.tz) + timedelta(days=2 * i)
        Referral.objects.filter(pk=r.pk).update(created_at=when if i < 33 else datetime(2025, 12, 1, tzinfo=alpha.tz))
    ThankYou.objects.bulk_create([
        ThankYou(chapter=alpha, referral=referrals[0], giver=a[0], receiver=a[1], value=Decimal("1000.50"),
                 closed_on=date(2026, 2, 3), business_type="new"),
        ThankYou(chapter=alpha, referral=referrals[3], giver=a[3], receiver=a[4], value=Decimal("250"),
                 closed_on=date(2026, 3, 10), business_type="repeat"),
        ThankYou(chapter=alpha, referral=referrals[6], giver=a[6], receiver=a[7], value=Decimal("999"),
                 closed_on=date(2025, 12, 1), business_type="new"),  # before the range
    ])

    b = _seats(beta, 25)
    MembershipFactory(chapter=beta, joined_on=date(2026, 2, 2))
    _left(beta, date(2026, 1, 5), date(2026, 2, 16), date(2026, 3, 2))
    _meetings(beta, b, [20] * 9 + [18, 18, 18, 17])

    g = _seats(gamma, 20)
    ExpulsionCaseFactory(membership=g[0])
    won = Referral.objects.create(chapter=gamma, giver=g[1], receiver=g[2], status="won")
    Referral.objects.filter(pk=won.pk).update(created_at=datetime(2025, 11, 3, tzinfo=gamma.tz))  # before the range
    ThankYou.objects.create(chapter=gamma, referral=won, giver=g[1], receiver=g[2], value=Decimal("300"),
                            closed_on=date(2026, 3, 1), business_type="new")
    return {
        "alpha": alpha, "beta": beta, "gamma": gamma, "north": north, "south": south,
        "admin": UserFactory(is_org_admin=True), "north_staff": RegionStaffFactory(region=north).user,
        "member": a[0].user,
    }


def _rows(response) -> dict:
    return {row.chapter.slug: row for row in response.context["page"].rows}


# Access -------------------------------------------------------------------------------------------


def test_admin_sees_every_chapter(client, org):
    client.force_login(org["admin"])
    response = client.get(URL)
    assert response.status_code == 200
    assert list(_rows(response)) == ["alpha", "beta", "gamma"]


def test_region_staff_see_only_their_regions_chapters(client, org):
    client.force_login(org["north_staff"])
    response = client.get(URL)
    assert list(_rows(response)) == ["alpha", "beta"]
    assert b"Gamma Evening" not in response.content
    assert response.context["totals"].chapters == 2


def test_a_member_is_refused(client, org):
    client.force_login(org["member"])
    assert client.get(URL).status_code == 403
    assert client.get(reverse("org-overview-csv")).status_code == 403


def test_the_user_menu_links_the_overview_for_overseers_only(client, org):
    client.force_login(org["north_staff"])
    assert b'href="/org/overview/">Organisation overview</a>' in client.get("/").content
    client.force_login(org["member"])
    assert b"Organisation overview" not in client.get("/").content


# Figures, by hand ---------------------------------------------------------------------------------


def test_figures_of_a_chapter_recomputed_by_hand(client, org):
    client.force_login(org["admin"])
    response = client.get(URL)
    alpha = _rows(response)["alpha"]
    assert response.context["start"] == FIRST_MONDAY and response.context["end"] == TODAY
    assert len(alpha.weeks) == 13
    assert alpha.active == 25
    assert (alpha.joined, alpha.left, alpha.change, alpha.seats_at_start) == (0, 3, -3, 28)
    assert alpha.attendance_text == "77%"  # (9 × 8 + 4 × 7) / 130 = 100 / 130
    # 28 seats to the week of 19 Jan, 27 in the week of 26 Jan, 26 to the week of 2 Mar, 25 after 11 Mar
    assert alpha.member_weeks == 5 * 28 + 27 + 5 * 26 + 2 * 25
    assert alpha.given == 33 and alpha.won == 11
    assert alpha.per_member_week_text == "0.10"  # 33 / 330
    assert alpha.conversion_text == "33%"
    assert alpha.tyfcb_text == "£1,250.50"
    assert alpha.visitors == 3
    row_html = response.content.decode().split('data-chapter="alpha"')[1].split("</tr>")[0]
    assert 'href="/c/alpha/reports/health/?start=2025-12-22&amp;end=2026-03-18">Alpha Breakfast</a>' in row_html
    for text in ("25 <small", "(-3)", "77%", "0.10", "(33 given)", "33%", "(11 / 33)", "£1,250.50"):
        assert text in row_html


def test_each_chapter_keeps_its_own_currency(client, org):
    client.force_login(org["admin"])
    rows = _rows(client.get(URL))
    assert rows["gamma"].tyfcb_text == "€300.00"
    assert rows["beta"].tyfcb_text == "£0.00"


def test_totals_cover_the_scope_and_say_when_they_were_computed(client, org):
    client.force_login(org["admin"])
    response = client.get(URL)
    totals = response.context["totals"]
    assert (totals.chapters, totals.active, totals.referrals) == (3, 71, 33)
    assert b"Computed at 12:00 UTC" in response.content


def test_totals_are_cached_per_scope_and_range(client, org):
    client.force_login(org["admin"])
    client.get(URL)
    MembershipFactory(chapter=org["beta"])
    assert client.get(URL).context["totals"].active == 71  # kept for 15 minutes
    assert client.get(URL + "?start=2026-01-01&end=2026-03-18").context["totals"].active == 72  # another range


# At risk ------------------------------------------------------------------------------------------


def test_falling_attendance_and_a_shrinking_roster_are_flagged_with_their_reasons(client, org):
    client.force_login(org["admin"])
    alpha = _rows(client.get(URL))["alpha"]
    assert alpha.reasons == [
        "shrinking roster: 3 left and 0 joined since 22 Dec 2025, a net loss of 3 of the 28 seats held then (10.7%)",
        "falling attendance: 70% in the last 4 weeks against 80% in the 4 before",
    ]


def test_a_fall_of_nine_points_is_not_flagged(client, org):
    client.force_login(org["admin"])
    beta = _rows(client.get(URL))["beta"]
    assert beta.attendance_text == "77%"  # (9 × 20 + 71) / 325
    assert beta.reasons == []
    html = client.get(URL).content.decode().split('data-chapter="beta"')[1].split("</tr>")[0]
    assert "At risk" not in html


def test_few_members_and_open_cases_are_flagged(client, org):
    client.force_login(org["admin"])
    gamma = _rows(client.get(URL))["gamma"]
    assert gamma.reasons == ["few members: 20 active, under 24 (high risk)", "1 open expulsion case"]


def test_a_net_loss_under_a_tenth_of_the_seats_is_no_shrinking_roster(client, org):
    client.force_login(org["admin"])
    beta = _rows(client.get(URL))["beta"]
    assert (beta.joined, beta.left, beta.seats_at_start) == (1, 3, 28)  # a net loss of 2 of 28: 7.1 %
    assert not beta.shrinking and beta.reasons == []


def test_one_leaver_is_no_shrinking_roster(client, org):
    client.force_login(org["admin"])
    alpha = _rows(client.get(URL + "?start=2026-02-23&end=2026-03-18"))["alpha"]
    assert (alpha.left, alpha.seats_at_start) == (1, 26)  # 1 of 26 (3.8 %): one leaver, no trend
    assert not alpha.shrinking


@pytest.mark.parametrize("loss,held,flagged", [
    (2, 20, True),  # exactly 2, exactly 10 %
    (2, 21, False),  # 9.5 %
    (1, 5, False),  # 20 %, but a single seat
    (3, 30, True), (3, 31, False),
    (0, 0, False),
    (-4, 20, False),  # a growing chapter
])
def test_shrinking_roster_rule_by_hand(loss, held, flagged):
    from reports.overview import is_shrinking

    assert is_shrinking(loss=loss, held=held) is flagged


def test_only_at_risk_keeps_every_chapter_the_page_would_flag_but_for_attendance(client, org):
    client.force_login(org["admin"])
    response = client.get(URL + "?at_risk=on")
    assert list(_rows(response)) == ["alpha", "gamma"]  # alpha for its roster; beta's near miss is left out
    assert [r for r in _rows(response)["alpha"].reasons if r.startswith("shrinking roster")]
    page = response.content.decode()
    assert ("a net loss (members who left minus those who joined over the range) of at least 2 and of at least "
            "10 % of the seats held when the range began") in page
    assert "falling attendance is worked out for the chapters shown on the page" in page


# Search, pages, range ----------------------------------------------------------------------------


def test_search_by_chapter_or_region_name(client, org):
    client.force_login(org["admin"])
    assert list(_rows(client.get(URL + "?q=beta"))) == ["beta"]
    assert list(_rows(client.get(URL + "?q=north shore"))) == ["alpha", "beta"]
    response = client.get(URL + "?q=nowhere")
    assert list(_rows(response)) == [] and b"No chapters match" in response.content


def test_pages_of_twenty_by_name(client, db):
    region = RegionFactory()
    staff = RegionStaffFactory(region=region).user
    for n in range(45):
        ChapterFactory(region=region, name=f"Chapter {n:02d}")
    client.force_login(staff)
    first = client.get(URL)
    assert [r.chapter.name for r in first.context["page"].rows] == [f"Chapter {n:02d}" for n in range(20)]
    assert b"Chapters 1\xe2\x80\x9320 of 45" in first.content
    third = client.get(URL + "?page=3")
    assert [r.chapter.name for r in third.context["page"].rows] == [f"Chapter {n:02d}" for n in range(40, 45)]
    past_the_end = client.get(URL + "?page=99")
    assert past_the_end.context["page"].number == 3 and len(past_the_end.context["page"].rows) == 5
    assert client.get(URL + "?page=x").context["page"].number == 1


@pytest.mark.parametrize("query,error", [
    ("start=2026-03-10&end=2026-03-01", "The end comes before the start."),
    ("start=2026-03-01&end=2026-04-01", "cannot reach past today"),
    ("start=soon", "Enter a valid date."),
])
def test_a_refused_range_says_why(client, org, query, error):
    client.force_login(org["admin"])
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert error in response.content.decode()
    assert client.get(f"{reverse('org-overview-csv')}?{query}").status_code == 400


def test_a_chosen_range_changes_the_figures(client, org):
    client.force_login(org["admin"])
    alpha = _rows(client.get(URL + "?start=2026-02-23&end=2026-03-18"))["alpha"]
    assert len(alpha.weeks) == 4
    assert alpha.attendance_text == "70%"
    assert alpha.reasons == []  # four weeks cannot show a fall, and nobody left in them


def test_the_sparkline_is_svg_with_words(client, org):
    client.force_login(org["admin"])
    response = client.get(URL)
    html = response.content.decode().split('data-chapter="alpha"')[1].split("</tr>")[0]
    assert '<svg class="spark"' in html and "<polyline points=" in html
    assert "<title>Attendance week by week, 13 weeks with meetings (scale 50% to 100%): 80%, 80%" in html
    assert "style=" not in response.content.decode().split("<main")[1]
    gamma = response.content.decode().split('data-chapter="gamma"')[1].split("</tr>")[0]
    assert "no meetings with marks in the range" in gamma and "<svg" not in gamma


# CSV ----------------------------------------------------------------------------------------------


def test_csv_of_the_page_is_formula_safe(client, org):
    org["beta"].name = "=HYPERLINK(\"http://evil\")"
    org["beta"].save()
    client.force_login(org["admin"])
    response = client.get(reverse("org-overview-csv") + "?q=")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Chapter", "Region", "Currency", "Active members"]
    by_name = {r[0]: r for r in rows[1:]}
    assert "'=HYPERLINK(\"http://evil\")" in by_name
    alpha = by_name["Alpha Breakfast"]
    assert alpha[3:8] == ["25", "at risk", "0", "3", "'-3"]
    assert alpha[14] == "1250.50" and alpha[17] == "yes"
    assert "falling attendance" in alpha[18]


# Queries ------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def _region_of(chapters: int, members: int):
    region = RegionFactory()
    for n in range(chapters):
        chapter = ChapterFactory(region=region, name=f"{region.name} {n:03d}")
        seats = _seats(chapter, members)
        if n < 20:  # the page's chapters carry activity of every kind
            meetings = _meetings(chapter, seats, [members // 2] * 3)
            Visitor.objects.create(meeting=meetings[0], name="V", invited_by=seats[0])
            r = Referral.objects.create(chapter=chapter, giver=seats[0], receiver=seats[1], status="won")
            ThankYou.objects.create(chapter=chapter, referral=r, giver=seats[0], receiver=seats[1], value=10,
                                    closed_on=date(2026, 3, 2))
            ExpulsionCaseFactory(membership=seats[2])
    return RegionStaffFactory(region=region).user


# Both: session, user, the person's regions, the page (with its count, headcounts and open cases in one
# statement), the weekly series' seven. The page adds the totals (three, cached afterwards) and the
# navigation (four, uncached in tests).
MAX_QUERIES = {URL: 18, "/org/overview.csv": 11}


@pytest.mark.parametrize("path", [URL, "/org/overview.csv"])
def test_same_queries_for_5_and_60_chapters(client, db, path):
    counts = []
    for chapters in (5, 60):
        client.force_login(_region_of(chapters, 3))
        counts.append(_queries(client, path))
    assert counts[0] == counts[1] <= MAX_QUERIES[path]


@pytest.mark.parametrize("path", [URL, "/org/overview.csv"])
def test_same_queries_for_10_and_150_members(client, db, path):
    counts = []
    for members in (10, 150):
        client.force_login(_region_of(2, members))
        counts.append(_queries(client, path))
    assert counts[0] == counts[1]


def test_sparkline_points_by_hand():
    from reports.overview import sparkline
    from reports.series import Week

    weeks = [Week(start=FIRST_MONDAY + timedelta(weeks=i)) for i in range(5)]
    weeks[0].present, weeks[0].absent = 10, 0  # 100%: the top
    weeks[2].present, weeks[2].absent = 5, 5  # 50%: the bottom of the default scale
    weeks[4].present, weeks[4].absent = 3, 1  # 75%; weeks 1 and 3 had no meeting: no point, place kept
    spark = sparkline(weeks)
    assert spark.lines == ["2.0,2.0 60.0,30.0 118.0,16.0"]
    assert spark.label == ("Attendance week by week, 3 weeks with meetings (scale 50% to 100%): 100%, 50%, 75%.")
    weeks[2].present, weeks[2].absent = 2, 8  # 20%: the scale reaches down to it
    assert sparkline(weeks).lines == ["2.0,2.0 60.0,30.0 118.0,10.8"]  # 2 + 0.25 / 0.8 × 28


@pytest.mark.parametrize("moment", [datetime(2026, 6, 1, 9, 0, tzinfo=UTC), datetime(2026, 10, 31, 23, 30, tzinfo=UTC)])
def test_the_demo_fills_the_overview(client, db, moment):
    from django.core.management import call_command

    from chapters.models import Chapter

    with time_machine.travel(moment, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        client.force_login(UserFactory(is_org_admin=True))
        response = client.get(URL)
        rows = response.context["page"].rows
        assert len(rows) == Chapter.objects.count() >= 4
        for row in rows:  # every chapter met, gave referrals, closed business and welcomed visitors
            assert row.attendance_rate and row.given and row.won and row.tyfcb and row.visitors, row.chapter.name
            assert row.spark.lines
        assert any(row.reasons for row in rows)
        assert {row.chapter.currency for row in rows} >= {"GBP", "EUR"}

"""seed_scale on PostgreSQL at a tiny size: counts in range, every member's data consistent, pages render."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test import Client

from chapters.models import Chapter
from enforcement.models import ChapterRules, ExpulsionCase, Fine, Leave
from meetings.models import Attendance, Meeting
from members.models import Membership, User
from referrals.models import OneToOne, Referral, ThankYou
from scale.seeding import DEMO_DOMAIN, DEMO_PASSWORD, seed_scale
from tests.services import database_url

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)
SEATED = Membership.SEATED_STATUSES

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    database_url()  # skips on SQLite (fails under REQUIRE_SERVICES=1)
    with time_machine.travel(NOW, tick=False):
        result = seed_scale(chapters=4, weeks=10, seed=3, now=NOW)
        yield result


def _sql(query: str, *params) -> int:
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()[0]


def test_row_counts_are_in_the_expected_ranges(seeded):
    c = seeded.counts
    assert c["chapters"] == 4
    seats = Membership.objects.filter(status__in=SEATED).count()
    assert 150 + 10 + 20 <= seats <= 150 + 10 + 2 * 150
    assert seeded.members_big == 150 and seeded.members_small == 10
    assert c["meetings"] == 4 * (10 + 4)  # ten weeks to today, four scheduled ahead
    # About one mark per seated member per closed meeting, and about one referral per member per week.
    assert 0.8 * seats * 9 <= c["attendance_rows"] <= seats * 10
    assert 0.6 * c["attendance_rows"] <= c["referrals"] <= 1.3 * c["attendance_rows"]
    assert c["notifications"] >= c["attendance_rows"]
    assert c["thank_yous"] > 0 and c["one_to_ones"] > 0 and c["visitors"] > 0 and c["testimonials"] > 0
    assert c["fines"] == 0 and c["expulsion_cases"] == 0  # a year not yet judged


def test_every_kind_of_status_and_mark_is_there(seeded):
    assert set(Membership.objects.values_list("status", flat=True)) >= {"active", "applicant", "resigned"}
    assert set(Attendance.objects.values_list("status", flat=True)) == set(Attendance.Status.values)
    assert set(Referral.objects.values_list("consent", flat=True)) == set(Referral.Consent.values)
    assert set(Referral.objects.values_list("status", flat=True)) >= {"given", "accepted", "won", "lost"}
    assert set(ThankYou.objects.values_list("business_type", flat=True)) == {"new", "repeat"}
    assert ChapterRules.objects.filter(number=2).exists()  # a rules change during the year
    assert Leave.objects.exists()


def test_no_mark_before_joining_or_after_leaving_nor_for_an_applicant(seeded):
    assert not Attendance.objects.filter(meeting__local_date__lt=F("membership__joined_on")).exists()
    assert not Attendance.objects.filter(
        membership__left_on__isnull=False, meeting__local_date__gt=F("membership__left_on")
    ).exists()
    assert not Attendance.objects.filter(membership__status="applicant").exists()
    assert not Attendance.objects.exclude(meeting__status=Meeting.Status.CLOSED).exists()
    assert not Attendance.objects.exclude(membership__chapter=F("meeting__chapter")).exists()


def test_substitutes_have_a_name_and_leave_is_marked_medical(seeded):
    assert not Attendance.objects.filter(status="substitute", substitute_name="").exists()
    for leave in Leave.objects.all()[:20]:
        marks = Attendance.objects.filter(
            membership=leave.membership, meeting__local_date__gte=leave.starts_on,
            **({"meeting__local_date__lte": leave.ends_on} if leave.ends_on else {}),
        )
        assert set(marks.values_list("status", flat=True)) <= {"medical"}


def test_referrals_one_to_ones_and_thank_yous_stay_inside_the_chapter(seeded):
    assert not Referral.objects.exclude(giver__chapter=F("chapter")).exists()
    assert not Referral.objects.exclude(receiver__chapter=F("chapter")).exists()
    assert not Referral.objects.filter(created_at__gt=NOW).exists()
    assert not Referral.objects.filter(consent="declined").exclude(status="prospect_declined").exists()
    assert not Referral.objects.filter(status="won", closed_value__isnull=True).exists()
    assert not OneToOne.objects.exclude(other__chapter=F("chapter")).exists()
    assert not ThankYou.objects.exclude(referral__status="won").exists()


def test_seats_hold_one_classification_each_and_one_president(seeded):
    assert _sql(
        "SELECT count(*) FROM (SELECT chapter_id, classification_id FROM members_membership "
        "WHERE status IN ('active', 'on_leave', 'probation') GROUP BY 1, 2 HAVING count(*) > 1) x"
    ) == 0
    for chapter in Chapter.objects.all():
        assert chapter.memberships.filter(role="president", status__in=SEATED).count() == 1


def test_meetings_fall_on_the_chapters_weekday_and_end_today(seeded):
    for chapter in Chapter.objects.all():
        days = list(chapter.meetings.values_list("local_date", flat=True))
        assert {d.weekday() for d in days} == {chapter.weekday}
        today = NOW.astimezone(chapter.tz).date()
        closed = chapter.meetings.filter(status="closed").order_by("-local_date").first()
        assert 0 <= (today - closed.local_date).days <= 7


def test_the_rules_find_a_few_percent_of_members_at_fault(seeded):
    from enforcement.services import chapter_enforce

    with time_machine.travel(NOW, tick=False):
        at_fault = set()
        for chapter in Chapter.objects.all():
            evaluation = chapter_enforce(chapter=chapter, now=NOW, dry_run=True).evaluation
            at_fault |= {f.membership.pk for f in evaluation.findings if f.kind in Fine.VIOLATION_KINDS}
    seats = Membership.objects.filter(status__in=SEATED).count()
    assert 0 < len(at_fault) <= 0.2 * seats
    assert not ExpulsionCase.objects.exists()


def test_demo_logins_sign_in_and_their_pages_render(seeded):
    big = Chapter.objects.get(slug=seeded.big_chapter)
    closed = big.meetings.filter(status="closed").last()
    client = Client()
    assert client.login(email=f"member150@{DEMO_DOMAIN}", password=DEMO_PASSWORD)
    for url in ("/", f"/c/{big.slug}/", f"/c/{big.slug}/meetings/my-attendance/", f"/c/{big.slug}/referrals/",
                "/notifications/"):
        assert client.get(url, secure=True).status_code == 200, url
    client.force_login(User.objects.get(email=f"president150@{DEMO_DOMAIN}"))
    for url in (f"/c/{big.slug}/members/", f"/c/{big.slug}/meetings/{closed.pk}/", f"/c/{big.slug}/meetings/report/",
                f"/c/{big.slug}/referrals/stats/", f"/c/{big.slug}/referrals/all/", f"/c/{big.slug}/rules/"):
        assert client.get(url, secure=True).status_code == 200, url
    client.force_login(User.objects.get(email=f"admin@{DEMO_DOMAIN}"))
    for url in ("/", "/cases/"):
        assert client.get(url, secure=True).status_code == 200, url


def test_demo_logins_sign_in_through_the_sign_in_form(seeded):
    """Their addresses are verified: the form signs them in (mandatory verification would stop them)."""
    for who in ("admin", "region", "president150", "member150"):
        client = Client()
        response = client.post("/accounts/login/", {"login": f"{who}@{DEMO_DOMAIN}", "password": DEMO_PASSWORD},
                               secure=True)
        assert response.status_code == 302 and "confirm" not in response["Location"], who
        assert client.get("/", secure=True).context["user"].email == f"{who}@{DEMO_DOMAIN}"


def test_it_refuses_a_database_that_has_chapters(seeded):
    with pytest.raises(CommandError, match="empty database"):
        call_command("seed_scale", "--chapters", "1", "--weeks", "1")


def test_it_refuses_sqlite():
    if connection.vendor == "postgresql":
        pytest.skip("the refusal is for SQLite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command("seed_scale", "--chapters", "1", "--weeks", "1")

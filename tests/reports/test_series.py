"""Chapter health week by week: every figure lands in the chapter's own local week, counted from the raw rows."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from meetings.models import Attendance, Meeting, Visitor
from members.models import Membership
from referrals.models import Referral, ThankYou
from reports.series import default_range, monday, week_starts, weekly_series
from tests.factories import ChapterFactory, MembershipFactory

NOW = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)  # Wednesday 3 June 2026
MON = date(2026, 5, 25)  # the Monday of the week before

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _meeting(chapter, day, status=Meeting.Status.CLOSED):
    return Meeting.objects.create(chapter=chapter, local_date=day, scheduled_date=day, status=status,
                                  starts_at=datetime.combine(day, time(7), tzinfo=chapter.tz))


def _referral(giver, receiver, at: datetime, **kwargs):
    r = Referral.objects.create(chapter=giver.chapter, giver=giver, receiver=receiver, **kwargs)
    Referral.objects.filter(pk=r.pk).update(created_at=at)
    return r


def test_the_default_range_is_26_weeks_from_a_monday_to_today():
    start, end = default_range(date(2026, 6, 3))
    assert start == date(2025, 12, 8) and start.weekday() == 0 and end == date(2026, 6, 3)
    assert len(week_starts(start, end)) == 26
    assert monday(date(2026, 6, 7)) == date(2026, 6, 1)


def test_attendance_counts_held_meetings_and_leaves_medical_out_of_the_rate():
    chapter = ChapterFactory()
    seats = MembershipFactory.create_batch(5, chapter=chapter, joined_on=date(2020, 1, 1))
    held = _meeting(chapter, MON + timedelta(days=2))
    cancelled = _meeting(chapter, MON + timedelta(days=3), Meeting.Status.CANCELLED)
    marks = ["present", "late", "substitute", "absent", "medical"]
    Attendance.objects.bulk_create([Attendance(meeting=held, membership=s, status=m) for s, m in zip(seats, marks, strict=True)]
                                   + [Attendance(meeting=cancelled, membership=s, status="absent") for s in seats])
    week = weekly_series(chapters=[chapter], start=MON - timedelta(weeks=1), end=date(2026, 6, 3))[chapter.pk][1]
    assert week.start == MON and week.meetings == 1
    assert (week.present, week.late, week.substitute, week.absent, week.medical) == (1, 1, 1, 1, 1)
    assert week.attendance_rate == 3 / 4  # medical left out; the cancelled meeting's marks too


def test_referrals_fall_in_the_local_week_of_the_chapter_whatever_its_timezone():
    tokyo = ChapterFactory(timezone="Asia/Tokyo")
    new_york = ChapterFactory(timezone="America/New_York")
    a, b = MembershipFactory.create_batch(2, chapter=tokyo)
    c, d = MembershipFactory.create_batch(2, chapter=new_york)
    # Monday 00:30 in Tokyo is still Sunday in UTC: it belongs to Tokyo's new week.
    _referral(a, b, datetime(2026, 6, 1, 0, 30, tzinfo=tokyo.tz), consent=Referral.Consent.CONFIRMED, status="won")
    # Sunday 23:30 in New York is already Monday in UTC: it belongs to the week before.
    _referral(c, d, datetime(2026, 5, 31, 23, 30, tzinfo=new_york.tz), consent=Referral.Consent.NOT_ASKED)
    _referral(c, d, datetime(2026, 5, 31, 22, 0, tzinfo=new_york.tz), consent=Referral.Consent.STATED)
    with CaptureQueriesContext(connection) as ctx:
        series = weekly_series(chapters=[tokyo, new_york], start=MON, end=date(2026, 6, 3))
    assert len(ctx) == 8  # seven, and one more for the second timezone's referrals
    tokyo_weeks, new_york_weeks = series[tokyo.pk], series[new_york.pk]
    assert [(w.start, w.given, w.consented, w.won) for w in tokyo_weeks] == [(MON, 0, 0, 0), (date(2026, 6, 1), 1, 1, 1)]
    assert [(w.start, w.given, w.consented) for w in new_york_weeks] == [(MON, 2, 1), (date(2026, 6, 1), 0, 0)]
    assert tokyo_weeks[1].conversion == 1.0 and new_york_weeks[1].conversion is None


def test_closed_business_visitors_and_seats_by_week():
    chapter = ChapterFactory()
    old = MembershipFactory.create_batch(3, chapter=chapter, joined_on=date(2020, 1, 1))
    MembershipFactory(chapter=chapter, joined_on=MON + timedelta(days=1))  # joins in the first week
    MembershipFactory(chapter=chapter, status=Membership.Status.RESIGNED, joined_on=date(2020, 1, 1),
                      left_on=date(2026, 6, 2))  # leaves in the second
    MembershipFactory(chapter=chapter, status=Membership.Status.RESIGNED, joined_on=date(2020, 1, 1),
                      left_on=date(2026, 1, 5))  # gone before the range
    MembershipFactory(chapter=chapter, status=Membership.Status.APPLICANT, joined_on=MON)  # not joined yet
    MembershipFactory(chapter=chapter, status=Membership.Status.EXPELLED, joined_on=MON, left_on=None)  # no date: left out
    for day, value, kind in ((MON, "100", "new"), (MON + timedelta(days=6), "50", "repeat"), (date(2026, 6, 2), "7", "new")):
        r = _referral(old[0], old[1], datetime.combine(day, time(9), tzinfo=chapter.tz), status="won")
        ThankYou.objects.create(chapter=chapter, referral=r, giver=old[0], receiver=old[1], value=Decimal(value),
                                closed_on=day, business_type=kind)
    meeting = _meeting(chapter, date(2026, 6, 3))
    Visitor.objects.create(meeting=meeting, name="Vera", follow_up=Visitor.FollowUp.APPLIED)
    Visitor.objects.create(meeting=meeting, name="Walt")
    first, second = weekly_series(chapters=[chapter], start=MON, end=date(2026, 6, 3))[chapter.pk]
    assert (first.tyfcb_new, first.tyfcb_repeat) == (Decimal("100"), Decimal("50"))
    assert (second.tyfcb_new, second.tyfcb_repeat, second.tyfcb) == (Decimal("7"), Decimal("0"), Decimal("7"))
    assert (second.visitors, second.visitors_applied, second.visitor_conversion) == (2, 1, 0.5)
    assert (first.joined, first.left, first.seats) == (1, 0, 3 + 1 + 1)  # three, the leaver, and the newcomer
    assert (second.joined, second.left, second.seats) == (0, 1, 4)


def test_every_week_is_there_even_without_figures():
    chapter = ChapterFactory()
    weeks = weekly_series(chapters=[chapter], start=date(2026, 1, 7), end=date(2026, 6, 3))[chapter.pk]
    assert weeks[0].start == date(2026, 1, 5) and weeks[-1].start == date(2026, 6, 1)
    assert all(w.given == 0 and w.attendance_rate is None and w.seats == 0 for w in weeks)
    assert weekly_series(chapters=[], start=date(2026, 1, 7), end=date(2026, 6, 3)) == {}

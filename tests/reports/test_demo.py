"""The demo shows the reports with something to read: trends over the half-year and scorecards of every colour."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from chapters.models import Chapter
from meetings.models import Attendance, Meeting, Visitor
from members.models import Membership
from referrals.models import Referral
from reports import series
from reports.scorecards import default_range, scorecards

pytestmark = pytest.mark.django_db


def _counts():
    return [m.objects.count() for m in (Meeting, Attendance, Visitor, Referral, Membership)]


# A Monday and a Saturday in another season: the demo is built from each chapter's schedule, not the weekday.
@pytest.mark.parametrize("moment", [datetime(2026, 6, 1, 9, 0, tzinfo=UTC), datetime(2026, 10, 31, 23, 30, tzinfo=UTC)])
def test_the_demo_gives_chapter_health_trends_and_scorecards_of_every_colour(moment):
    with time_machine.travel(moment, tick=False):
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        counts = _counts()
        call_command("seed_demo", stdout=open("/dev/null", "w"))
        assert _counts() == counts  # nothing written twice
        riverside = Chapter.objects.get(slug="riverside")
        today = timezone.localdate(timezone=riverside.tz)
        start, end = series.default_range(today)
        weeks = series.weekly_series(chapters=[riverside], start=start, end=end)[riverside.pk]
        first, last = weeks[:13], weeks[13:]
        assert sum(w.given for w in last) > 1.3 * sum(w.given for w in first)  # a growing chapter
        rates = [w.attendance_rate for w in weeks if w.attendance_rate is not None]
        assert len(rates) >= 24 and min(rates) < max(rates)  # every week met (but the holiday), not flat
        assert sum(w.joined for w in weeks) >= 1 and sum(w.left for w in weeks) == 2
        assert sum(w.visitors_applied for w in weeks) == 2
        assert sum(w.tyfcb_new for w in weeks) > 0 and sum(w.tyfcb_repeat for w in weeks) > 0
        start, end = default_range(today)
        seated = Membership.objects.filter(chapter=riverside, status__in=Membership.SEATED_STATUSES).select_related("user")
        cards = scorecards(chapter=riverside, memberships=seated, start=start, end=end)
        assert {"green", "amber", "red"} <= {c.band for c in cards.values()}
        # the member whose login the demo prints (seated in Riverside and City Lunch) sees several colours
        printed = seated.filter(user__memberships__chapter__slug="city-lunch").get()
        assert len({light.colour for light in cards[printed.pk].lights}) >= 3

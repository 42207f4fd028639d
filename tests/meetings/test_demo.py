from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from meetings import models as mm
from meetings.models import Attendance, Meeting, Presentation, Visitor

pytestmark = pytest.mark.django_db


# Riverside meets on Wednesdays: on a Monday its 8 coming meetings all lie ahead.
@time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
def test_seed_demo_writes_closed_history_and_upcoming_meetings_once(capsys):
    call_command("seed_demo")
    counts = [m.objects.count() for m in (Meeting, Attendance, Visitor, Presentation, mm.Testimonial)]
    call_command("seed_demo")
    assert [m.objects.count() for m in (Meeting, Attendance, Visitor, Presentation, mm.Testimonial)] == counts
    riverside = Meeting.objects.filter(chapter__slug="riverside")
    recent = dict(local_date__gte=date(2026, 6, 1) - timedelta(weeks=12))  # this demo's 12 weeks
    assert riverside.filter(status="closed", **recent).count() == 11 and riverside.filter(status="cancelled").count() == 1
    assert riverside.filter(status="scheduled").count() >= 8
    assert Meeting.objects.filter(chapter__slug="harbour", status="closed", **recent).count() == 6  # bi-weekly
    # and the 14 weeks before them, which the reports demo writes for chapter health's half-year
    assert riverside.filter(status="closed").count() == 11 + 14
    marks = Attendance.objects.filter(meeting__chapter__slug="riverside")
    statuses = set(marks.values_list("status", flat=True))
    assert statuses == {"present", "late", "absent", "medical", "substitute"}
    assert marks.filter(status="present").count() > marks.count() * 0.6
    # Someone misses often enough for the absence rules to find them.
    from django.db.models import Count

    worst = marks.filter(status="absent").values("membership").annotate(n=Count("pk")).order_by("-n").first()
    assert worst["n"] >= 3
    assert Visitor.objects.filter(name="Abigail Stone", meeting__chapter__slug="riverside").count() == 3

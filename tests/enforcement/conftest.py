from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from enforcement.evaluation import chapter_evaluate
from enforcement.models import Leave
from meetings.models import Attendance
from tests.enforcement.factories import AttendanceFactory, ChapterRulesFactory, MeetingFactory
from tests.factories import ChapterFactory, MembershipFactory


class World:
    """A chapter with rules and members, and helpers to write its history tersely."""

    def __init__(self, chapter):
        self.chapter = chapter
        self.members = {}

    def member(self, name="Ann", **kwargs):
        kwargs.setdefault("joined_on", date(2024, 1, 1))
        m = MembershipFactory(chapter=self.chapter, user__full_name=name, **kwargs)
        self.members[name] = m
        return m

    def rules(self, **kwargs):
        number = self.chapter.rules_versions.count() + 1
        return ChapterRulesFactory(chapter=self.chapter, number=number, **kwargs)

    def meeting(self, day: date, marks: dict | None = None, **kwargs):
        meeting = MeetingFactory(chapter=self.chapter, local_date=day, **kwargs)
        for name, status in (marks or {}).items():
            AttendanceFactory(meeting=meeting, membership=self.members[name], status=status)
        return meeting

    def weekly(self, first: date, statuses: list[str], who="Ann", step=7):
        """One meeting a week from `first`, `who` marked with each status in turn ('-' = cancelled)."""
        out = []
        for i, status in enumerate(statuses):
            day = first + timedelta(days=step * i)
            if status == "-":
                out.append(self.meeting(day, status="cancelled"))
            else:
                out.append(self.meeting(day, {who: STATUS[status]}))
        return out

    def leave(self, name: str, start: date, end: date | None = None, reason: str = "Leave"):
        """A recorded leave, written directly (the services are tested on their own)."""
        m = self.members[name]
        return Leave.objects.create(chapter=self.chapter, membership=m, starts_on=start, ends_on=end, reason=reason)

    def evaluate(self, today: date):
        return chapter_evaluate(chapter=self.chapter, today=today)

    def at(self, day: date, hour: int = 12) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=self.chapter.tz)


STATUS = {
    "P": Attendance.Status.PRESENT, "A": Attendance.Status.ABSENT, "L": Attendance.Status.LATE,
    "M": Attendance.Status.MEDICAL, "S": Attendance.Status.SUBSTITUTE,
}


@pytest.fixture
def world(db):
    w = World(ChapterFactory(slug="rules-chapter", timezone="Europe/London", currency="GBP"))
    return w


def amounts(evaluation, kind=None):
    return [(f.membership.user.full_name, f.kind, f.period.start, f.amount) for f in evaluation.findings
            if kind is None or f.kind == kind]


D = Decimal

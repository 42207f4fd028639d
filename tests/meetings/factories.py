"""Factories for meetings: the smallest valid rows, each kept inside one chapter."""

from datetime import date, datetime, time, timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from meetings.models import Attendance, Meeting, Presentation, Testimonial, Visitor
from tests.factories import ChapterFactory, MembershipFactory


class MeetingFactory(DjangoModelFactory):
    """A regular meeting on its own schedule slot, from today on (a day apart per meeting)."""

    class Meta:
        model = Meeting

    chapter = factory.SubFactory(ChapterFactory)
    kind = Meeting.Kind.REGULAR
    local_date = factory.Sequence(lambda n: date.today() + timedelta(days=n))
    scheduled_date = factory.LazyAttribute(lambda o: o.local_date if o.kind == Meeting.Kind.REGULAR else None)
    starts_at = factory.LazyAttribute(
        lambda o: datetime.combine(o.local_date, time(7, 0), tzinfo=o.chapter.tz)
    )
    venue = "The Riverside Hotel"


class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(MeetingFactory)
    membership = factory.SubFactory(MembershipFactory, chapter=factory.SelfAttribute("..meeting.chapter"))
    status = Attendance.Status.PRESENT


class VisitorFactory(DjangoModelFactory):
    class Meta:
        model = Visitor

    meeting = factory.SubFactory(MeetingFactory)
    name = factory.Sequence(lambda n: f"Visitor {n}")
    business = "Acme Ltd"
    email = factory.Sequence(lambda n: f"visitor{n}@example.com")


class PresentationFactory(DjangoModelFactory):
    class Meta:
        model = Presentation

    meeting = factory.SubFactory(MeetingFactory)
    presenter = factory.SubFactory(MembershipFactory, chapter=factory.SelfAttribute("..meeting.chapter"))
    kind = Presentation.Kind.FEATURE
    topic = "What I do"


class TestimonialFactory(DjangoModelFactory):
    class Meta:
        model = Testimonial

    meeting = factory.SubFactory(MeetingFactory)
    given_by = factory.SubFactory(MembershipFactory, chapter=factory.SelfAttribute("..meeting.chapter"))
    about = factory.SubFactory(MembershipFactory, chapter=factory.SelfAttribute("..meeting.chapter"))
    text = "Great work on our kitchen."


def meeting_started(chapter, *, ago: timedelta = timedelta(minutes=30), **kwargs) -> Meeting:
    """A one-off meeting that began `ago` (a negative `ago`: one still to come)."""
    starts = timezone.now() - ago
    kwargs.setdefault("kind", Meeting.Kind.ONE_OFF)
    return MeetingFactory(chapter=chapter, local_date=starts.astimezone(chapter.tz).date(), starts_at=starts, **kwargs)

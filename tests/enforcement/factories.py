"""Factories for enforcement tests, plus the meetings and referrals rows the rules read."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from enforcement.models import ChapterRules, ExpulsionCase, Fine
from meetings.models import Meeting
from referrals.models import Referral
from tests.factories import ChapterFactory, MembershipFactory
from tests.meetings import factories as meeting_factories
from tests.referrals import factories as referral_factories


class MeetingFactory(meeting_factories.MeetingFactory):
    """A closed regular meeting a week apart from Wed 7 Jan 2026, at the chapter's start time: the history rules read."""

    local_date = factory.Sequence(lambda n: date(2026, 1, 7) + timedelta(days=7 * n))
    starts_at = factory.LazyAttribute(
        lambda o: datetime.combine(o.local_date, o.chapter.start_time or time(7), tzinfo=o.chapter.tz)
    )
    status = Meeting.Status.CLOSED


class AttendanceFactory(meeting_factories.AttendanceFactory):
    meeting = factory.SubFactory(MeetingFactory)


class ReferralFactory(referral_factories.ReferralFactory):
    """A referral whose prospect confirmed consent; `at=` backdates it."""

    class Meta:
        skip_postgeneration_save = True

    consent = Referral.Consent.CONFIRMED

    @factory.post_generation
    def at(obj, create, extracted, **kwargs):
        """`at=<aware datetime>` backdates created_at (auto_now_add ignores a value passed in)."""
        if extracted:
            Referral.objects.filter(pk=obj.pk).update(created_at=extracted)
            obj.created_at = extracted


class ChapterRulesFactory(DjangoModelFactory):
    class Meta:
        model = ChapterRules

    chapter = factory.SubFactory(ChapterFactory)
    number = factory.Sequence(lambda n: n + 1)
    effective_from = date(2025, 1, 1)
    currency = factory.LazyAttribute(lambda o: o.chapter.currency)
    absences_allowed = 3
    window_months = 6
    late_weight = Decimal("0.5")
    fine_absence = Decimal("10.00")
    grace_days = 0


class FineFactory(DjangoModelFactory):
    class Meta:
        model = Fine

    membership = factory.SubFactory(MembershipFactory)
    chapter = factory.LazyAttribute(lambda o: o.membership.chapter)
    rules = factory.SubFactory(ChapterRulesFactory, chapter=factory.SelfAttribute("..membership.chapter"))
    kind = Fine.Kind.ABSENCE
    period_start = factory.Sequence(lambda n: date(2026, 1, 1) + timedelta(days=n))
    period_end = factory.LazyAttribute(lambda o: o.period_start)
    amount = Decimal("10.00")
    currency = "GBP"
    explanation = "Absent on the day; 4 of 3 allowed."


class ExpulsionCaseFactory(DjangoModelFactory):
    class Meta:
        model = ExpulsionCase

    membership = factory.SubFactory(MembershipFactory)
    chapter = factory.LazyAttribute(lambda o: o.membership.chapter)
    rules = factory.SubFactory(ChapterRulesFactory, chapter=factory.SelfAttribute("..membership.chapter"))
    explanation = "3 violations within 6 months."

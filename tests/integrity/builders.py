"""Activity as members record it, dated where a test wants it: referrals, TYFCB, one-to-ones, substitutes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from meetings.models import Attendance, Meeting
from referrals.models import OneToOne, Referral, ThankYou
from tests.factories import ChapterFactory, MembershipFactory

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)  # a Monday; every test lives then
_serial = itertools.count(1)


class Activity:
    """One chapter's members and what they record; every row dated `days` before NOW (chapter time)."""

    def __init__(self, chapter=None, *, now: datetime):
        self.chapter = chapter or ChapterFactory(timezone="Europe/London")
        self.now = now
        self.today = timezone.localdate(now, timezone=self.chapter.tz)
        self.members: dict[str, object] = {}
        self._meetings: dict[date, Meeting] = {}

    def member(self, name: str):
        if name not in self.members:
            self.members[name] = MembershipFactory(chapter=self.chapter, user__full_name=name)
        return self.members[name]

    def people(self, *names: str) -> list:
        return [self.member(n) for n in names]

    def at(self, days: int, hour: int = 10, minute: int = 0) -> datetime:
        return datetime.combine(self.today - timedelta(days=days), time(hour, minute), tzinfo=self.chapter.tz)

    def referral(self, giver: str, receiver: str, *, days: int = 10, kind=Referral.Kind.OUTSIDE, email=None,
                 phone=None, hour: int = 10) -> Referral:
        n = next(_serial)
        referral = Referral.objects.create(
            chapter=self.chapter, giver=self.member(giver), receiver=self.member(receiver), kind=kind,
            prospect_name="" if kind == Referral.Kind.INSIDE else f"Prospect {n}",
            prospect_email=f"prospect{n}@example.com" if email is None else email,
            prospect_phone=f"+44 7911 {100000 + n}" if phone is None else phone,  # never a number a test types
            consent=Referral.Consent.STATED,
        )
        Referral.objects.filter(pk=referral.pk).update(created_at=self.at(days, hour))
        referral.refresh_from_db()
        return referral

    def referrals(self, giver: str, receiver: str, count: int, *, days: int = 10, **kwargs) -> list[Referral]:
        return [self.referral(giver, receiver, days=days + i, **kwargs) for i in range(count)]

    def thank_you(self, giver: str, receiver: str, value, *, given_days: int = 30, closed_after: int = 10,
                  business=Referral.BusinessType.NEW) -> ThankYou:
        """A referral given `given_days` ago, won and thanked for, closed `closed_after` days after it was given."""
        referral = self.referral(giver, receiver, days=given_days)
        closed_on = self.today - timedelta(days=given_days - closed_after)
        Referral.objects.filter(pk=referral.pk).update(
            status=Referral.Status.WON, closed_value=Decimal(value), closed_on=closed_on, business_type=business
        )
        return ThankYou.objects.create(
            chapter=self.chapter, referral=referral, giver=referral.giver, receiver=referral.receiver,
            value=Decimal(value), closed_on=closed_on, business_type=business,
        )

    def one_to_one(self, initiator: str, other: str, *, met_days: int, recorded_days: int, hour: int = 21,
                   minute: int = 0, status=OneToOne.Status.CONFIRMED) -> OneToOne:
        return OneToOne.objects.create(
            chapter=self.chapter, initiator=self.member(initiator), other=self.member(other),
            met_on=self.today - timedelta(days=met_days), status=status,
            created_at=self.at(recorded_days, hour, minute),
        )

    def meeting(self, days: int) -> Meeting:
        day = self.today - timedelta(days=days)
        if day not in self._meetings:
            self._meetings[day] = Meeting.objects.create(
                chapter=self.chapter, local_date=day, scheduled_date=day, status=Meeting.Status.CLOSED,
                starts_at=datetime.combine(day, time(7, 0), tzinfo=self.chapter.tz),
            )
        return self._meetings[day]

    def substitute(self, member: str, name: str, *, days: int) -> Attendance:
        return Attendance.objects.create(
            meeting=self.meeting(days), membership=self.member(member), status=Attendance.Status.SUBSTITUTE,
            substitute_name=name,
        )

    def present(self, member: str, *, days: int) -> Attendance:
        return Attendance.objects.create(
            meeting=self.meeting(days), membership=self.member(member), status=Attendance.Status.PRESENT,
        )

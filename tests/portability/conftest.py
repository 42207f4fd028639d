"""Mona's world: a member whose traces are in most tables, written through the real services where they exist."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from enforcement import services as enforcement_services
from meetings import services as meeting_services
from members import services as member_services
from members.models import Membership, Profile
from referrals import services as referral_services
from tests.enforcement.factories import ChapterRulesFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory
from webhooks.models import WebhookEndpoint

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
NAME, EMAIL, PHONE, BUSINESS = "Mona Member", "mona.member@bookkeeping.example", "+44 20 7946 0958", "Mona's Bookkeeping Ltd"


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages made outside a request (services, checks) are in the site's language, whatever a German page
    test left active in this thread before; and this test leaves none active after it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@dataclass
class MonaWorld:
    personas: object
    mona: object  # her User
    seat: Membership
    other_seat: Membership
    endpoint: WebhookEndpoint


@pytest.fixture
def mona(personas, time_machine) -> MonaWorld:
    time_machine.move_to(NOW, tick=False)
    p = personas
    user = p.member.user
    user.email, user.phone, user.business_name = EMAIL, PHONE, BUSINESS
    user.save()
    from allauth.account.models import EmailAddress

    EmailAddress.objects.filter(user=user).update(email=EMAIL)
    Profile.objects.create(user=user, website="https://mona.example", ideal_referral="Start-ups that hate spreadsheets",
                           phone_visibility="chapters")
    Membership.objects.filter(chapter=p.chapter).update(joined_on=date(2025, 1, 1), business_name="")
    Membership.objects.filter(pk=p.member.pk).update(business_name=BUSINESS)
    endpoint = WebhookEndpoint.objects.create(chapter=p.chapter, url="https://93.184.215.14/hook",
                                              events=["referral.given", "fine.issued"], secret="whsec_x")
    # She joins a second chapter by invitation: her own act, in the audit trail with her as the actor.
    invitation, _ = member_services.invitation_create(chapter=p.other_chapter, email=EMAIL, full_name=NAME, role="member",
                                                      classification=None, invited_by=p.outsider.user)
    other_seat = member_services.invitation_accept(invitation=invitation, user=user)
    # Meetings, marks, a visit before she joined, a testimonial about her.
    rules = ChapterRulesFactory(chapter=p.chapter, number=1, absences_allowed=1, fine_absence=Decimal("10.00"))
    for week in range(4):
        meeting = MeetingFactory(chapter=p.chapter, local_date=date(2026, 1, 7) + timedelta(days=7 * week), status="closed")
        AttendanceFactory(meeting=meeting, membership=p.member, status="absent" if week % 2 else "present")
        AttendanceFactory(meeting=meeting, membership=p.member2, status="present")
    meeting_services.visitor_add(meeting=meeting, by=p.president.user, name=NAME, email=EMAIL, phone=PHONE,
                                 business=BUSINESS, invited_by=p.member2, notes=f"{NAME} asked about the fee")
    meeting_services.testimonial_add(meeting=meeting, given_by=p.member2, about=p.member, by=p.president.user,
                                     text=f"{NAME} sorted our VAT in a day.")
    # Referrals both ways (notices to Max name her), one won, a one-to-one, education.
    given = referral_services.referral_give(chapter=p.chapter, giver=p.member, receiver=p.member2, kind="outside",
                                            prospect_name="Petra Prospect", prospect_email="petra@example.org",
                                            consent="stated", notes="Met at the expo")
    for step in ("accepted", "contacted"):
        referral_services.referral_move(referral=given, by=p.member2, to=step)
    referral_services.referral_move(referral=given, by=p.member2, to="won", value=Decimal("2500.00"),
                                    closed_on=date(2026, 3, 10), business_type="new")
    referral_services.referral_give(chapter=p.chapter, giver=p.member2, receiver=p.member, kind="inside")
    referral_services.one_to_one_record(chapter=p.chapter, by=p.member, other=p.member2, met_on=date(2026, 3, 2),
                                        notes="Coffee at the station")
    referral_services.one_to_one_record(chapter=p.chapter, by=p.member2, other=p.member, met_on=date(2026, 3, 2))
    referral_services.education_credit_record(chapter=p.chapter, by=p.member, completed_on=date(2026, 2, 1),
                                              title="Networking 101", hours=Decimal("2"))
    # Enforcement fines her (explanations, audit, notices) and leadership changes her seat.
    enforcement_services.chapter_enforce(chapter=p.chapter, now=NOW)
    member_services.membership_change(membership=p.member, by=p.president.user, status="probation",
                                      reason=f"{NAME} missed two meetings")
    meeting_services.calendar_feed_for(user=user)
    assert rules.fines.filter(membership=p.member).exists()
    p.member.refresh_from_db()
    return MonaWorld(personas=p, mona=user, seat=p.member, other_seat=other_seat, endpoint=endpoint)

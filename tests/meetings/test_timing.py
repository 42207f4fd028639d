"""When a meeting may be marked and closed, and who it expects: nothing ahead of time, nobody who joined later."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings import selectors, services
from meetings.models import ROLL_CALL_OPENS_BEFORE, Attendance, Meeting
from members.services import invitation_accept, invitation_create, membership_change
from tests.factories import MembershipFactory
from tests.meetings.factories import MeetingFactory, meeting_started

pytestmark = pytest.mark.django_db


def test_a_future_meeting_cannot_be_closed(personas):
    meeting = meeting_started(personas.chapter, ago=-timedelta(weeks=3))
    with pytest.raises(ValidationError, match="has not started yet"):
        services.meeting_close(meeting=meeting, by=personas.president.user)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED and not Attendance.objects.exists()


def test_a_meeting_can_be_closed_once_it_has_started(personas):
    meeting = meeting_started(personas.chapter, ago=timedelta(minutes=1))
    services.meeting_close(meeting=meeting, by=personas.president.user)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.CLOSED


def test_close_page_of_a_future_meeting_explains_and_offers_no_button(client, personas):
    meeting = meeting_started(personas.chapter, ago=-timedelta(days=7))
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", meeting.pk)).content.decode()
    assert 'data-testid="not-started"' in html and 'data-testid="confirm-close"' not in html
    response = client.post(personas.url("meetings:close", meeting.pk), follow=True)
    assert "has not started yet" in response.content.decode()
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


def test_roll_call_is_refused_until_shortly_before_the_start(personas):
    meeting = meeting_started(personas.chapter, ago=-(ROLL_CALL_OPENS_BEFORE + timedelta(minutes=5)))
    with pytest.raises(ValidationError, match="Roll call opens 2 hours before"):
        services.attendance_mark(meeting=meeting, membership=personas.member, status="present",
                                 by=personas.president.user)
    assert not Attendance.objects.exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):  # arrivals at the venue
        services.attendance_mark(meeting=meeting, membership=personas.member, status="present",
                                 by=personas.president.user)
    assert Attendance.objects.get().status == "present"


def test_future_meeting_page_hides_close_and_roll_call_buttons(client, personas):
    meeting = meeting_started(personas.chapter, ago=-timedelta(weeks=3))
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert 'data-testid="close-meeting"' not in html and 'name="status"' not in html
    assert 'data-testid="roll-call-not-open"' in html and personas.member.display_name in html
    assert "Move or cancel" in html


def test_meeting_page_an_hour_before_the_start_offers_roll_call_but_not_close(client, personas):
    meeting = meeting_started(personas.chapter, ago=-timedelta(hours=1))
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert 'name="status"' in html and 'data-testid="close-meeting"' not in html
    assert 'data-testid="close-meeting-end"' not in html


def test_started_meeting_page_offers_roll_call_and_close(client, personas):
    meeting = meeting_started(personas.chapter)
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert 'name="status"' in html and 'data-testid="close-meeting"' in html
    # and again below the last member of the roll call, where a phone user ends up
    assert 'data-testid="close-meeting-end"' in html.split('<section id="agenda">')[0].rsplit("</ul>", 1)[1]


def test_someone_who_joins_after_the_start_is_not_expected_nor_marked_absent(personas):
    meeting = meeting_started(personas.chapter, ago=timedelta(hours=1))
    newcomer = MembershipFactory(chapter=personas.chapter, joined_on=meeting.local_date,
                                 user__full_name="Nina Newcomer")  # created now, after the start
    roll = selectors.meeting_roll_call(meeting=meeting)
    assert newcomer.pk not in [r.membership.pk for r in roll.expected]
    assert newcomer not in services.meeting_unmarked(meeting=meeting)
    services.meeting_close(meeting=meeting, by=personas.president.user)
    assert not Attendance.objects.filter(membership=newcomer).exists()
    assert Attendance.objects.get(membership=personas.member).status == "absent"


def test_someone_who_joined_that_morning_before_the_start_is_expected(personas):
    meeting = meeting_started(personas.chapter, ago=-timedelta(minutes=30))
    early = MembershipFactory(chapter=personas.chapter, joined_on=meeting.local_date)
    with time_machine.travel(meeting.starts_at + timedelta(hours=1), tick=False):
        services.meeting_close(meeting=meeting, by=personas.president.user)
    assert Attendance.objects.get(membership=early).status == "absent"


def test_a_seat_entered_late_but_dated_earlier_is_expected(personas):
    meeting = meeting_started(personas.chapter, ago=timedelta(hours=1))
    backdated = MembershipFactory(chapter=personas.chapter, joined_on=date(2021, 5, 1))  # created now
    assert backdated in services.meeting_unmarked(meeting=meeting)


def test_a_meeting_whose_roll_call_opened_early_does_not_claim_to_be_in_progress(client, personas):
    meeting = meeting_started(personas.chapter, ago=-timedelta(hours=1))  # an hour before the start
    services.attendance_mark(meeting=meeting, membership=personas.member, status="present", by=personas.president.user)
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert "Roll call open" in html and "In progress" not in html


# Seated when it started: who a meeting holds to it --------------------------------------------------

MEETING_START = datetime(2026, 3, 4, 7, 0, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday breakfast


def _breakfast(chapter):
    return MeetingFactory(chapter=chapter, local_date=MEETING_START.date(), starts_at=MEETING_START)


def test_an_applicant_activated_during_the_meeting_is_not_expected_nor_marked_absent(personas):
    """Issue 10: only members seated when the meeting started are held to it."""
    with time_machine.travel(MEETING_START - timedelta(weeks=3), tick=False):
        applicant = MembershipFactory(chapter=personas.chapter, status="applicant", joined_on=date(2026, 2, 11),
                                      user__full_name="Abe Applicant")  # an applicant since a visit
        meeting = _breakfast(personas.chapter)
    with time_machine.travel(MEETING_START + timedelta(minutes=20), tick=False):
        membership_change(membership=applicant, by=personas.president.user, status="active", reason="Approved")
        assert applicant.pk not in [r.membership.pk for r in selectors.meeting_roll_call(meeting=meeting).expected]
        assert applicant not in services.meeting_unmarked(meeting=meeting)
        services.meeting_close(meeting=meeting, by=personas.president.user)
    assert not Attendance.objects.filter(membership=applicant).exists()
    assert Attendance.objects.get(membership=personas.member).status == "absent"  # seated before: held to it


def test_an_applicant_activated_before_the_start_is_expected(personas):
    with time_machine.travel(MEETING_START - timedelta(weeks=3), tick=False):
        applicant = MembershipFactory(chapter=personas.chapter, status="applicant", joined_on=date(2026, 2, 11))
        meeting = _breakfast(personas.chapter)
    with time_machine.travel(MEETING_START - timedelta(hours=1), tick=False):  # roll call already open
        membership_change(membership=applicant, by=personas.president.user, status="active", reason="Approved")
    with time_machine.travel(MEETING_START + timedelta(hours=2), tick=False):
        services.meeting_close(meeting=meeting, by=personas.president.user)
    assert Attendance.objects.get(membership=applicant).status == "absent"


def test_a_former_member_who_accepts_an_invitation_after_the_start_is_not_held_to_it(personas):
    with time_machine.travel(MEETING_START - timedelta(weeks=3), tick=False):
        former = MembershipFactory(chapter=personas.chapter, status="resigned", joined_on=date(2024, 1, 1),
                                   classification=None)
        meeting = _breakfast(personas.chapter)
    with time_machine.travel(MEETING_START - timedelta(days=2), tick=False):
        invitation, _link = invitation_create(chapter=personas.chapter, email=former.user.email, full_name="",
                                              role="member", classification=None, invited_by=personas.president.user)
    with time_machine.travel(MEETING_START + timedelta(minutes=5), tick=False):
        invitation_accept(invitation=invitation, user=former.user)
    with time_machine.travel(MEETING_START + timedelta(days=9), tick=False):  # closed late, a week on
        services.meeting_close(meeting=meeting, by=personas.president.user)
    assert not Attendance.objects.filter(membership=former).exists()


def test_a_member_back_from_leave_during_the_meeting_is_still_held_to_it(personas):
    """Leave does not end a seat: coming back from it is no new seat, so leave rules decide, not this."""
    with time_machine.travel(MEETING_START - timedelta(weeks=3), tick=False):
        meeting = _breakfast(personas.chapter)
    with time_machine.travel(MEETING_START + timedelta(minutes=20), tick=False):
        membership_change(membership=personas.member, by=personas.president.user, status="on_leave", reason="Away")
        membership_change(membership=personas.member, by=personas.president.user, status="active", reason="Back")
        services.meeting_close(meeting=meeting, by=personas.president.user)
    assert Attendance.objects.get(membership=personas.member).status == "absent"

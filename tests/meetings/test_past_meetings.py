"""A meeting whose day is over: reinstated only with a reason, and closed only after seeing the fines it causes."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from enforcement.evaluation import chapter_evaluate
from enforcement.models import Fine
from meetings import services
from meetings.models import Attendance, Meeting
from members.models import AuditEvent
from tests.enforcement.factories import ChapterRulesFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = datetime(2026, 4, 8, 10, 0, tzinfo=LONDON)  # a Wednesday morning
FIVE_WEEKS_AGO = datetime(2026, 3, 4, 7, 0, tzinfo=LONDON)


@pytest.fixture
def now():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


@pytest.fixture
def rules(personas):
    """No absence allowed, £10 a fine: every member recorded absent is fined."""
    return ChapterRulesFactory(chapter=personas.chapter, effective_from=date(2025, 1, 1), absences_allowed=0,
                               fine_absence=Decimal("10.00"), currency="GBP")


def _meeting(personas, starts: datetime, **kwargs) -> Meeting:
    return MeetingFactory(chapter=personas.chapter, local_date=starts.date(), starts_at=starts, **kwargs)


@pytest.fixture
def cancelled_long_ago(personas, now):
    meeting = _meeting(personas, FIVE_WEEKS_AGO)
    with time_machine.travel(FIVE_WEEKS_AGO - timedelta(days=2), tick=False):
        services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="Venue flooded")
    return meeting


# Reinstating -----------------------------------------------------------------------------------------------


def test_a_past_cancelled_meeting_is_not_reinstated_without_a_reason(client, personas, cancelled_long_ago):
    """Issue 10: a meeting cancelled five weeks ago cannot come back silently."""
    with pytest.raises(ValidationError, match="say why it is reinstated"):
        services.meeting_reinstate(meeting=cancelled_long_ago, by=personas.president.user, reason="  ")
    personas.login(client, "president")
    response = client.post(personas.url("meetings:reinstate", cancelled_long_ago.pk), {"reason": ""}, follow=True)
    assert "say why it is reinstated" in response.content.decode()
    assert Meeting.objects.get(pk=cancelled_long_ago.pk).status == Meeting.Status.CANCELLED
    assert not AuditEvent.objects.filter(action="meeting.reinstated").exists()


def test_a_refused_reinstatement_keeps_the_reason_as_typed(client, personas, cancelled_long_ago):
    """A reason the form refuses (a line break pasted in) comes back in the field beside the message."""
    personas.login(client, "president")
    response = client.post(personas.url("meetings:reinstate", cancelled_long_ago.pk),
                           {"reason": "Venue reopened\nafter all"})
    assert response.status_code == 422
    field = re.search(r'<input [^>]*data-testid="reinstate-reason"[^>]*>', response.content.decode()).group(0)
    assert 'value="Venue reopened\nafter all"' in field and 'aria-invalid="true"' in field
    assert "single line" in response.content.decode()
    cancelled_long_ago.refresh_from_db()
    assert cancelled_long_ago.status == "cancelled"


def test_a_past_cancelled_meeting_is_reinstated_with_its_reason_on_the_audit_trail(client, personas,
                                                                                  cancelled_long_ago):
    personas.login(client, "vice_president")
    html = client.get(personas.url("meetings:detail", cancelled_long_ago.pk)).content.decode()
    field = re.search(r'<input [^>]*data-testid="reinstate-reason"[^>]*>', html).group(0)
    assert 'name="reason"' in field and " required" in field
    assert "closing it will mark everyone still unmarked as absent" in html  # what reinstating leads to
    response = client.post(personas.url("meetings:reinstate", cancelled_long_ago.pk),
                           {"reason": "It took place at the café next door after all"})
    assert response.status_code == 302
    cancelled_long_ago.refresh_from_db()
    assert cancelled_long_ago.status == Meeting.Status.SCHEDULED
    event = AuditEvent.objects.get(action="meeting.reinstated")
    assert event.reason == "It took place at the café next door after all"
    assert event.actor == personas.vice_president.user


def test_an_upcoming_cancelled_meeting_needs_no_reason_to_come_back(client, personas, now):
    meeting = _meeting(personas, TODAY + timedelta(days=7))
    services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="Holiday")
    personas.login(client, "president")
    assert 'data-testid="reinstate-reason"' not in client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    services.meeting_reinstate(meeting=meeting, by=personas.president.user)
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED


# Closing after the day -------------------------------------------------------------------------------------


def _foreseen(html: str) -> list[str]:
    rows = re.findall(r'<tr data-testid="foreseen-fine"><td>([^<]*)</td><td>([^<]*)</td></tr>', html)
    return sorted(f"{who}: {what}" for who, what in rows)


def test_closing_a_past_meeting_shows_the_fines_it_causes_and_writes_nothing(client, personas, rules,
                                                                           cancelled_long_ago):
    services.meeting_reinstate(meeting=cancelled_long_ago, by=personas.president.user, reason="It took place")
    AttendanceFactory(meeting=cancelled_long_ago, membership=personas.member, status="present")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", cancelled_long_ago.pk)).content.decode()

    assert 'data-testid="foreseen-fines"' in html
    fines = _foreseen(html)
    unmarked = ["Max Member", "Paula President", "Tess Treasurer", "Victor Vice"]
    assert [f.split(":")[0] for f in fines] == unmarked  # one each, the member marked present is not fined
    assert all("£10.00" in f for f in fines)
    assert "4 fines</strong>, £40.00 in all" in html
    # nothing of the trial close is kept: no marks, no fines, no close on the trail, as it was
    assert Meeting.objects.get(pk=cancelled_long_ago.pk).status == Meeting.Status.SCHEDULED
    assert list(Attendance.objects.filter(meeting=cancelled_long_ago).values_list("status", flat=True)) == ["present"]
    assert not Fine.objects.exists()
    assert not AuditEvent.objects.filter(action="meeting.closed").exists()


def test_the_preview_tells_a_fine_re_issued_in_place_of_an_unpaid_one_from_a_new_one(client, personas, rules,
                                                                                     cancelled_long_ago):
    """Mona was fined for a later meeting; closing the earlier one adds it to that fine's evidence. The page lists
    the re-issued fine as such, and its total counts only the new fines: nothing reads as charged twice."""
    from enforcement.services import chapter_enforce

    later = _meeting(personas, FIVE_WEEKS_AGO + timedelta(days=7), status=Meeting.Status.CLOSED)
    for m in (personas.member, personas.president, personas.vice_president, personas.treasurer):
        AttendanceFactory(meeting=later, membership=m, status="absent" if m == personas.member else "present")
    assert [f.amount for f in chapter_enforce(chapter=personas.chapter).fines] == [Decimal("10.00")]
    services.meeting_reinstate(meeting=cancelled_long_ago, by=personas.president.user, reason="It took place")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", cancelled_long_ago.pk)).content.decode()

    assert "5 fines</strong>, £50.00 in all" in html  # the five unmarked, for this meeting
    assert "1 unpaid fine re-issued</strong>, as this meeting now counts in its evidence (the same amount)" in html
    [replaced] = re.findall(r'<tr data-testid="foreseen-fine"><td>([^<]*)</td><td>([^<]*)<br>'
                            r'<small class="muted" data-testid="foreseen-replaces">([^<]*)</small>', html)
    assert replaced[0] == "Mona Member" and "Wed, 11 Mar 2026" in replaced[1]
    assert replaced[2] == "in place of the unpaid £10.00 fine already issued"


def test_the_preview_is_what_closing_then_calls_for(personas, rules, cancelled_long_ago, django_capture_on_commit_callbacks):
    services.meeting_reinstate(meeting=cancelled_long_ago, by=personas.president.user, reason="It took place")
    AttendanceFactory(meeting=cancelled_long_ago, membership=personas.treasurer, status="late")
    with django_capture_on_commit_callbacks() as queued:
        foreseen = services.meeting_close_fines_preview(meeting=cancelled_long_ago, by=personas.president.user)
    assert queued == []  # the trial close queued no enforcement, no follow-up email
    services.meeting_close(meeting=cancelled_long_ago, by=personas.president.user)
    after = chapter_evaluate(chapter=personas.chapter, today=TODAY.date()).findings
    assert sorted((f.membership.pk, f.kind, f.amount, f.summary) for f in foreseen) == sorted(
        (f.membership.pk, f.kind, f.amount, f.summary) for f in after)
    assert len(foreseen) == 5  # four unmarked absent, and the late arrival at half an absence


def test_a_past_meeting_closes_only_with_the_fines_shown_confirmed(client, personas, rules, cancelled_long_ago):
    services.meeting_reinstate(meeting=cancelled_long_ago, by=personas.president.user, reason="It took place")
    url = personas.url("meetings:close", cancelled_long_ago.pk)
    personas.login(client, "president")

    response = client.post(url)  # straight to the close, without the page that shows the fines
    assert response.status_code == 302 and response.url == url
    assert Meeting.objects.get(pk=cancelled_long_ago.pk).status != Meeting.Status.CLOSED

    seen = re.search(r'name="fines_seen" value="(\w+)"', client.get(url).content.decode()).group(1)
    AttendanceFactory(meeting=cancelled_long_ago, membership=personas.member, status="present")  # meanwhile
    response = client.post(url, {"fines_seen": seen}, follow=True)
    assert "changed since the page was shown" in response.content.decode()
    assert Meeting.objects.get(pk=cancelled_long_ago.pk).status != Meeting.Status.CLOSED

    seen = re.search(r'name="fines_seen" value="(\w+)"', client.get(url).content.decode()).group(1)
    assert client.post(url, {"fines_seen": seen}).status_code == 302
    assert Meeting.objects.get(pk=cancelled_long_ago.pk).status == Meeting.Status.CLOSED


def test_closing_a_past_meeting_that_fines_nobody_says_so(client, personas, now):
    meeting = _meeting(personas, FIVE_WEEKS_AGO)  # the chapter has no rules: nothing to fine
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", meeting.pk)).content.decode()
    assert 'data-testid="no-foreseen-fines"' in html


def test_closing_on_the_meetings_own_day_shows_no_preview(client, personas, rules, now):
    meeting = _meeting(personas, TODAY - timedelta(hours=2))
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", meeting.pk)).content.decode()
    assert 'data-testid="foreseen-fines"' not in html and 'name="fines_seen"' not in html
    assert client.post(personas.url("meetings:close", meeting.pk)).status_code == 302
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.CLOSED

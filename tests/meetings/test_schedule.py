from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from meetings import services, tasks
from meetings.models import Meeting
from members.models import AuditEvent
from tests.factories import ChapterFactory
from tests.meetings.factories import MeetingFactory

pytestmark = pytest.mark.django_db


def _utc(meeting):
    return meeting.starts_at.astimezone(UTC).replace(tzinfo=None)


def _schedule(chapter, today, weeks=8):
    services.meetings_schedule(chapter=chapter, today=today, weeks=weeks)
    return list(Meeting.objects.filter(chapter=chapter).order_by("starts_at"))


def test_london_spring_change_keeps_local_seven_oclock():
    chapter = ChapterFactory(timezone="Europe/London", weekday=2, start_time=time(7, 0))  # Wednesdays
    meetings = _schedule(chapter, date(2026, 3, 20), weeks=2)  # clocks go forward on Sun 29 March
    assert [m.local_date for m in meetings] == [date(2026, 3, 25), date(2026, 4, 1)]
    assert [_utc(m) for m in meetings] == [datetime(2026, 3, 25, 7, 0), datetime(2026, 4, 1, 6, 0)]
    assert all(m.starts_at.astimezone(chapter.tz).time() == time(7, 0) for m in meetings)


def test_london_autumn_change_keeps_local_seven_oclock():
    chapter = ChapterFactory(timezone="Europe/London", weekday=2, start_time=time(7, 0))
    meetings = _schedule(chapter, date(2026, 10, 16), weeks=2)  # clocks go back on Sun 25 October
    assert [_utc(m) for m in meetings] == [datetime(2026, 10, 21, 6, 0), datetime(2026, 10, 28, 7, 0)]


@pytest.mark.parametrize(
    "today,expected",
    [
        (date(2026, 3, 1), [datetime(2026, 3, 3, 12, 30), datetime(2026, 3, 10, 11, 30)]),  # EST → EDT 8 March
        (date(2026, 10, 25), [datetime(2026, 10, 27, 11, 30), datetime(2026, 11, 3, 12, 30)]),  # EDT → EST 1 Nov
    ],
)
def test_new_york_changes_keep_local_half_past_seven(today, expected):
    chapter = ChapterFactory(timezone="America/New_York", weekday=1, start_time=time(7, 30))  # Tuesdays
    meetings = _schedule(chapter, today, weeks=2)
    assert [_utc(m) for m in meetings] == expected
    assert all(m.starts_at.astimezone(chapter.tz).time() == time(7, 30) for m in meetings)


def test_meeting_records_local_date_venue_and_slot():
    chapter = ChapterFactory(weekday=4, venue="Gasthof zur Linde", timezone="Europe/Berlin", start_time=time(7, 0))
    (meeting,) = _schedule(chapter, date(2026, 5, 4), weeks=1)
    assert meeting.local_date == meeting.scheduled_date == date(2026, 5, 8)
    assert meeting.venue == "Gasthof zur Linde" and meeting.kind == Meeting.Kind.REGULAR


def test_biweekly_meets_every_other_week_and_keeps_its_rhythm():
    chapter = ChapterFactory(cadence="biweekly", weekday=1)
    first = _schedule(chapter, date(2026, 6, 1), weeks=8)
    dates = [m.local_date for m in first]
    assert dates == [date(2026, 6, 2), date(2026, 6, 16), date(2026, 6, 30), date(2026, 7, 14)]
    # A week later the schedule continues the same fortnightly rhythm instead of starting a new one.
    again = _schedule(chapter, date(2026, 6, 8), weeks=8)
    assert {m.local_date for m in again} == {*dates, date(2026, 7, 28)}


def test_scheduling_twice_creates_nothing_new():
    chapter = ChapterFactory(weekday=2)
    assert services.meetings_schedule(chapter=chapter, today=date(2026, 1, 1)) == 8
    assert services.meetings_schedule(chapter=chapter, today=date(2026, 1, 1)) == 0
    assert Meeting.objects.filter(chapter=chapter).count() == 8


def test_closed_chapter_gets_no_meetings():
    chapter = ChapterFactory(status="closed")
    assert services.meetings_schedule(chapter=chapter, today=date(2026, 1, 1)) == 0


# A Monday: the factory's chapters meet on Wednesdays, so all 8 coming slots lie ahead (on a
# Wednesday after 07:00 that day's slot has passed and only 7 are made, rightly).
@time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
def test_daily_task_fans_out_and_is_idempotent(django_capture_on_commit_callbacks, monkeypatch):
    chapter = ChapterFactory()
    calls = []
    monkeypatch.setattr(tasks.meetings_schedule_task, "delay", lambda pk: calls.append(pk))
    assert tasks.meetings_schedule_all() >= 1 and chapter.pk in calls
    assert tasks.meetings_schedule_task(chapter.pk) == 8
    assert tasks.meetings_schedule_task(chapter.pk) == 0


@time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
def test_management_command_schedules_every_chapter(capsys):
    a, b = ChapterFactory(), ChapterFactory()
    call_command("schedule_meetings")
    call_command("schedule_meetings")
    assert Meeting.objects.filter(chapter=a).count() == 8 and Meeting.objects.filter(chapter=b).count() == 8
    assert "0 meeting(s) created" in capsys.readouterr().out


def test_moved_meeting_keeps_its_slot_so_the_schedule_does_not_recreate_it(personas):
    chapter = personas.chapter
    meetings = _schedule(chapter, date(2026, 2, 1), weeks=1)
    meeting = services.meeting_move(
        meeting=meetings[0], by=personas.president.user, local_date=date(2026, 2, 5), local_time=time(8, 15),
        venue="Town Hall",
    )
    assert meeting.local_date == date(2026, 2, 5) and meeting.scheduled_date == date(2026, 2, 4)
    assert meeting.starts_at.astimezone(chapter.tz).time() == time(8, 15) and meeting.venue == "Town Hall"
    assert services.meetings_schedule(chapter=chapter, today=date(2026, 2, 1), weeks=1) == 0
    assert AuditEvent.objects.filter(action="meeting.moved", target_id=str(meeting.pk)).exists()


def test_cancel_needs_a_reason_and_keeps_the_slot(personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    with pytest.raises(ValidationError):
        services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="  ")
    services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="Bank holiday")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CANCELLED and meeting.cancel_reason == "Bank holiday"
    assert not meeting.counts_for_attendance


def test_one_off_meeting_lives_beside_the_schedule(personas):
    chapter = personas.chapter
    _schedule(chapter, date(2026, 2, 1), weeks=1)
    extra = services.meeting_add(
        chapter=chapter, by=personas.president.user, local_date=date(2026, 2, 4), local_time=time(18, 0), venue="Pub"
    )
    assert extra.kind == Meeting.Kind.ONE_OFF and extra.scheduled_date is None
    assert Meeting.objects.filter(chapter=chapter, local_date=date(2026, 2, 4)).count() == 2


def test_cancel_and_move_pages(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2030, 1, 9))
    personas.login(client, "president")
    response = client.post(personas.url("meetings:cancel", meeting.pk), {"reason": ""})
    assert response.status_code == 200 and b"This field is required" in response.content
    response = client.post(
        personas.url("meetings:move", meeting.pk), {"local_date": "2030-01-10", "local_time": "07:30", "venue": "Café"}
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.local_date == date(2030, 1, 10) and meeting.venue == "Café"
    client.post(personas.url("meetings:cancel", meeting.pk), {"reason": "Snow"})
    meeting.refresh_from_db()
    assert meeting.status == "cancelled"
    page = client.get(personas.url("meetings:detail", meeting.pk))
    assert b"Cancelled: Snow" in page.content


def test_add_one_off_page_keeps_input_on_error(client, personas):
    personas.login(client, "president")
    response = client.post(personas.url("meetings:add"), {"local_date": "", "local_time": "18:00", "venue": "Pub"})
    assert response.status_code == 200 and b'value="Pub"' in response.content
    response = client.post(personas.url("meetings:add"), {"local_date": "2030-05-05", "local_time": "18:00", "venue": "Pub"})
    assert response.status_code == 302
    assert Meeting.objects.get(chapter=personas.chapter, kind="one_off").venue == "Pub"

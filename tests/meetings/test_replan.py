"""Changing the chapter's schedule settings carries over to its upcoming meetings, without duplicates."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from chapters.models import Chapter
from chapters.services import chapter_update
from meetings import services
from meetings.models import Meeting
from members.models import AuditEvent
from tests.meetings.factories import AttendanceFactory, PresentationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chapter(personas):
    chapter = personas.chapter
    Chapter.objects.filter(pk=chapter.pk).update(
        timezone="Europe/London", cadence="weekly", weekday=2, start_time=time(7, 0), venue="Quay Hotel")
    chapter.refresh_from_db()
    services.meetings_schedule(chapter=chapter)
    return chapter


def _settings(chapter, **changes):
    data = {f: getattr(chapter, f) for f in ("name", "timezone", "cadence", "weekday", "start_time",
                                             "duration_minutes", "venue", "meal", "currency", "membership_fee")}
    return {**data, **changes}


def _upcoming(chapter):
    return list(Meeting.objects.filter(chapter=chapter, starts_at__gt=timezone.now()).order_by("starts_at"))


def test_new_weekday_time_and_venue_move_the_upcoming_meetings_and_keep_their_rota(personas, chapter):
    before = _upcoming(chapter)
    rota = PresentationFactory(meeting=before[1], presenter=personas.member)
    chapter_update(chapter=chapter, by=personas.president.user,
                   data=_settings(chapter, weekday=3, start_time=time(12, 30), venue="Guildhall"))
    services.meetings_schedule(chapter=chapter)  # the nightly run adds nothing on the old day
    after = _upcoming(chapter)
    assert {m.local_date.weekday() for m in after} == {3}
    assert all(m.starts_at.astimezone(chapter.tz).time() == time(12, 30) and m.venue == "Guildhall" for m in after)
    # the same meetings, moved within their week (the last week's may fall outside the 8-week window)
    assert len({m.pk for m in before} - {m.pk for m in after}) <= 1
    weeks = [m.local_date.isocalendar()[:2] for m in after]
    assert len(weeks) == len(set(weeks))  # one meeting a week: nothing left behind on the old day
    assert all(m.starts_at > timezone.now() for m in after)
    rota.refresh_from_db()
    assert rota.meeting.local_date.weekday() == 3
    event = AuditEvent.objects.get(action="meetings.replanned")
    assert event.actor == personas.president.user and event.after["moved"] >= len(before) - 1


def test_meetings_leadership_moved_cancelled_or_marked_keep_their_own_time(personas, chapter):
    first, second, third, *_ = _upcoming(chapter)
    services.meeting_move(meeting=second, by=personas.president.user, local_date=second.local_date,
                          local_time=time(9, 0), venue="Town Hall")
    services.meeting_cancel(meeting=third, by=personas.president.user, reason="Holiday")
    AttendanceFactory(meeting=first, membership=personas.member)
    chapter_update(chapter=chapter, by=personas.president.user, data=_settings(chapter, start_time=time(7, 30)))
    for meeting, expected in ((first, time(7, 0)), (second, time(9, 0)), (third, time(7, 0))):
        meeting.refresh_from_db()
        assert meeting.starts_at.astimezone(chapter.tz).time() == expected
    assert all(m.starts_at.astimezone(chapter.tz).time() == time(7, 30) for m in _upcoming(chapter)[3:])


def test_weekly_to_biweekly_drops_the_empty_meetings_between(personas, chapter):
    before = _upcoming(chapter)
    busy = before[1]
    PresentationFactory(meeting=busy, presenter=personas.member)
    chapter_update(chapter=chapter, by=personas.president.user, data=_settings(chapter, cadence="biweekly"))
    after = _upcoming(chapter)
    regular = [m for m in after if m.pk != busy.pk]
    gaps = {(b.local_date - a.local_date).days for a, b in zip(regular, regular[1:])}
    assert gaps == {14}
    assert Meeting.objects.filter(pk=busy.pk).exists()  # a meeting with a rota stays for leadership to cancel


def test_timezone_change_keeps_the_local_time(personas, chapter):
    chapter_update(chapter=chapter, by=personas.president.user, data=_settings(chapter, timezone="America/New_York"))
    after = _upcoming(chapter)
    assert after and all(m.starts_at.astimezone(chapter.tz).time() == time(7, 0) for m in after)
    assert Meeting.objects.filter(chapter=chapter, starts_at__gt=timezone.now() + timedelta(days=60)).count() == 0


def test_unrelated_settings_leave_the_meetings_alone(personas, chapter):
    before = [(m.pk, m.starts_at) for m in _upcoming(chapter)]
    chapter_update(chapter=chapter, by=personas.president.user, data=_settings(chapter, name="Renamed"))
    assert [(m.pk, m.starts_at) for m in _upcoming(chapter)] == before
    assert not AuditEvent.objects.filter(action="meetings.replanned").exists()


def test_a_change_to_a_time_already_past_today_makes_no_meeting_in_the_past(personas, chapter):
    today = timezone.localdate(timezone=chapter.tz)
    chapter_update(chapter=chapter, by=personas.president.user,
                   data=_settings(chapter, weekday=today.weekday(), start_time=time(0, 0)))
    services.meetings_schedule(chapter=chapter)  # the nightly run, later the same day
    assert not Meeting.objects.filter(chapter=chapter, local_date=today).exists()
    assert Meeting.objects.filter(chapter=chapter, local_date=today + timedelta(days=7)).exists()


def test_settings_page_says_and_does_it(client, personas, chapter):
    personas.login(client, "president")
    assert 'data-testid="replan-note"' in client.get(personas.url("chapters:settings")).content.decode()
    data = _settings(chapter, start_time="08:15", membership_fee="100.00")
    assert client.post(personas.url("chapters:settings"), data).status_code == 302
    assert {m.starts_at.astimezone(chapter.tz).time() for m in _upcoming(chapter)} == {time(8, 15)}


def test_a_cancelled_week_stays_cancelled_after_a_change_of_weekday(personas, chapter):
    holiday = _upcoming(chapter)[2]
    services.meeting_cancel(meeting=holiday, by=personas.president.user, reason="Christmas")
    new_weekday = (chapter.weekday + 1) % 7
    chapter_update(chapter=chapter, by=personas.president.user, data=_settings(chapter, weekday=new_weekday))
    services.meetings_schedule(chapter=chapter)
    week = holiday.local_date - timedelta(days=holiday.local_date.weekday())
    in_week = Meeting.objects.filter(chapter=chapter, local_date__gte=week, local_date__lt=week + timedelta(days=7))
    assert list(in_week) == [holiday]


def test_the_settings_page_names_and_links_the_meetings_a_cadence_change_kept(client, personas, chapter):
    """Issue 17: saving says which upcoming meetings stayed (presenters booked) and links them."""
    # two weeks in a row: whatever today's date, bi-weekly leaves one of them without a slot
    booked = _upcoming(chapter)[1:3]
    for meeting in booked:
        PresentationFactory(meeting=meeting, presenter=personas.member)
    personas.login(client, "president")
    response = client.post(personas.url("chapters:settings"), _settings(chapter, cadence="biweekly"), follow=True)
    html = response.content.decode()
    assert "1 upcoming meeting kept its date because presenters or visitors are booked on it" in html
    [kept] = AuditEvent.objects.get(action="meetings.replanned").after["kept_meetings"]
    assert kept in {m.pk for m in booked}
    assert f'<a href="{Meeting.objects.get(pk=kept).get_absolute_url()}">' in html


def test_a_change_that_keeps_no_meeting_says_nothing_about_kept_meetings(client, personas, chapter):
    personas.login(client, "president")
    html = client.post(personas.url("chapters:settings"), _settings(chapter, cadence="biweekly"),
                       follow=True).content.decode()
    assert "Chapter settings saved." in html and "kept its date" not in html and "kept their dates" not in html

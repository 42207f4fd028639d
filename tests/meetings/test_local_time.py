"""Meeting pages show the start in the chapter's own timezone, whatever the server's (UTC)."""

from datetime import date, datetime, time

import pytest

from tests.meetings.factories import MeetingFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tz,day,utc_hour", [
    ("America/New_York", date(2030, 1, 9), "12:30"),  # EST: UTC-5
    ("Europe/London", date(2030, 7, 10), "06:30"),  # summer time: UTC+1
])
@pytest.mark.parametrize("page", ["meetings:detail", "meetings:close"])
def test_meeting_pages_show_the_local_start(client, personas, tz, day, utc_hour, page):
    personas.chapter.timezone = tz
    personas.chapter.save()
    meeting = MeetingFactory(chapter=personas.chapter, local_date=day,
                             starts_at=datetime.combine(day, time(7, 30), tzinfo=personas.chapter.tz))
    personas.login(client, "president")
    html = client.get(personas.url(page, meeting.pk)).content.decode()
    assert day.strftime("%B") in html
    if page == "meetings:detail":
        assert f"07:30 ({tz})" in html
    assert utc_hour not in html


def test_closed_at_is_shown_in_local_time(client, personas):
    personas.chapter.timezone = "America/New_York"
    personas.chapter.save()
    day = date(2026, 1, 7)
    meeting = MeetingFactory(chapter=personas.chapter, local_date=day, status="closed",
                             starts_at=datetime.combine(day, time(7, 30), tzinfo=personas.chapter.tz),
                             closed_at=datetime.combine(day, time(9, 15), tzinfo=personas.chapter.tz))
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert "Closed 7 Jan 2026, 09:15" in html and "14:15" not in html

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from leadsgroups.csv_export import csv_safe
from meetings import selectors, services
from meetings.models import CalendarFeed
from tests.factories import ChapterFactory, MembershipFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory, VisitorFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 25)


def _past(chapter, days_ago, **kw):
    return MeetingFactory(chapter=chapter, local_date=TODAY - timedelta(days=days_ago), **kw)


def test_member_totals_over_six_and_twelve_months(personas):
    member = personas.member
    member.joined_on = TODAY - timedelta(days=800)
    member.save()
    AttendanceFactory(meeting=_past(personas.chapter, 10, status="closed"), membership=member, status="absent")
    AttendanceFactory(meeting=_past(personas.chapter, 17, status="closed"), membership=member, status="present")
    AttendanceFactory(meeting=_past(personas.chapter, 250, status="closed"), membership=member, status="absent")
    AttendanceFactory(meeting=_past(personas.chapter, 300, status="closed"), membership=member, status="medical")
    AttendanceFactory(meeting=_past(personas.chapter, 400, status="closed"), membership=member, status="absent")
    AttendanceFactory(meeting=_past(personas.chapter, 24, status="cancelled"), membership=member, status="absent")
    record = selectors.member_attendance(membership=member, today=TODAY)
    assert record["totals"]["6"] == {"present": 1, "absent": 1, "late": 0, "medical": 0, "substitute": 0}
    assert record["totals"]["12"] == {"present": 1, "absent": 2, "late": 0, "medical": 1, "substitute": 0}
    assert len(record["rows"]) == 4 and not record["provisional"]


def test_my_attendance_page_marks_open_meetings_provisional(client, personas, time_machine):
    # Half an hour before today's 07:00 (London) meeting: its roll call is open, the meeting is today's.
    time_machine.move_to(datetime(2026, 6, 3, 5, 30, tzinfo=UTC))
    meeting = MeetingFactory(chapter=personas.chapter, local_date=date(2026, 6, 3))
    services.attendance_mark(meeting=meeting, membership=personas.member, status="late", by=personas.president.user)
    VisitorFactory(meeting=meeting, invited_by=personas.member)
    personas.login(client, "member")
    html = client.get(personas.url("meetings:my-attendance")).content.decode()
    assert 'data-testid="t6-late">1<' in html and "provisional" in html
    # statuses down, the two periods across: three columns, which fit a phone
    totals = html.split('data-testid="totals"', 1)[1].split("</table>", 1)[0]
    assert totals.count('<th scope="row">') == 5 and totals.split("</thead>")[0].count("</th>") == 3
    assert "Visitors you invited in the last 12 months: <strong>1</strong>" in html


def test_region_staff_without_a_seat_sees_an_explanation(client, personas):
    personas.login(client, "region_staff")
    assert b"no seat in it" in client.get(personas.url("meetings:my-attendance")).content


def _report_data(personas, members):
    meetings = [_past(personas.chapter, d, status="closed") for d in (21, 14, 7)]  # oldest first, as the grid
    extra = MembershipFactory.create_batch(members, chapter=personas.chapter)
    for m in meetings:
        for member in extra:
            AttendanceFactory(meeting=m, membership=member, status="present")
    return meetings


def test_report_grid_and_totals(client, personas):
    meetings = _report_data(personas, 2)
    AttendanceFactory(meeting=meetings[0], membership=personas.member, status="absent")
    AttendanceFactory(meeting=meetings[1], membership=personas.member, status="substitute", substitute_name="S")
    cancelled = _past(personas.chapter, 28, status="cancelled")
    report = selectors.attendance_report(chapter=personas.chapter, start=TODAY - timedelta(days=30), end=TODAY)
    assert report["meetings"] == meetings and cancelled not in report["meetings"]
    line = next(line for line in report["lines"] if line.membership == personas.member)
    assert [c.status if c else None for c in line.cells] == ["absent", "substitute", None]
    assert line.totals["absent"] == 1 and line.totals["substitute"] == 1


def test_report_page_queries_do_not_grow_with_members(client, personas):
    personas.login(client, "president")
    url = personas.url("meetings:report") + f"?start={TODAY - timedelta(days=30)}&end={TODAY}"
    _report_data(personas, 5)
    reset_queries()  # the capture reads a bounded log: start it empty
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    MembershipFactory.create_batch(40, chapter=personas.chapter)
    reset_queries()  # the capture reads a bounded log: start it empty
    with CaptureQueriesContext(connection) as large:
        client.get(url)
    assert len(small) == len(large)


def test_report_range_errors_are_shown(client, personas):
    personas.login(client, "president")
    html = client.get(personas.url("meetings:report") + "?start=2026-05-01&end=2026-04-01").content.decode()
    assert "The end comes after the start" in html


def test_csv_export_lists_the_grid_and_neutralises_formulas(client, personas):
    meetings = _report_data(personas, 0)
    evil = MembershipFactory(chapter=personas.chapter, user__full_name="=HYPERLINK(\"http://x\")")
    AttendanceFactory(meeting=meetings[0], membership=evil, status="late")
    personas.login(client, "treasurer")
    response = client.get(personas.url("meetings:report-csv") + f"?start={TODAY - timedelta(days=30)}&end={TODAY}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["Member", "Classification", "Status"] and len(rows[0]) == 3 + 3 + 5 + 1
    evil_row = next(r for r in rows if "HYPERLINK" in r[0])
    assert evil_row[0].startswith("'=") and evil_row[3:6] == ["L", "", ""]


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+44", "'+44"), ("-3", "'-3"), ("@SUM", "'@SUM"),
                                            ("Plain", "Plain"), (5, "5")])
def test_csv_safe(value, expected):
    assert csv_safe(value) == expected


def test_member_cannot_export(client, personas):
    personas.login(client, "member")
    assert client.get(personas.url("meetings:report-csv")).status_code == 403


# Calendar feed -------------------------------------------------------------------------------------


def _feed(client, user):
    token = services.calendar_feed_for(user=user).token
    client.logout()
    return client.get(reverse("calendar-feed", args=[token]))


def test_feed_lists_upcoming_meetings_of_all_my_chapters_in_local_time(client, personas):
    upcoming = MeetingFactory(chapter=personas.chapter, local_date=date.today() + timedelta(days=3), venue="Quay Hotel")
    other = ChapterFactory(name="Harbour", timezone="America/New_York")
    MembershipFactory(chapter=other, user=personas.member.user)
    harbour = MeetingFactory(chapter=other, local_date=date.today() + timedelta(days=5))
    cancelled = MeetingFactory(chapter=personas.chapter, local_date=date.today() + timedelta(days=10),
                               status="cancelled", cancel_reason="Holiday")
    MeetingFactory(chapter=personas.other_chapter)  # not mine
    response = _feed(client, personas.member.user)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = {str(e["uid"]).split("@")[0]: e for e in cal.walk("VEVENT")}
    assert set(events) == {f"meeting-{m.pk}" for m in (upcoming, harbour, cancelled)}
    ev = events[f"meeting-{upcoming.pk}"]
    assert ev["location"] == "Quay Hotel"
    assert ev.decoded("dtstart") == upcoming.starts_at
    assert ev["dtstart"].params["TZID"] == "Europe/London"
    assert events[f"meeting-{harbour.pk}"]["dtstart"].params["TZID"] == "America/New_York"
    assert events[f"meeting-{cancelled.pk}"]["status"] == "CANCELLED"
    assert {tz["tzid"] for tz in cal.walk("VTIMEZONE")} == {"Europe/London", "America/New_York"}


def test_feed_sequence_only_grows_so_a_reinstated_or_moved_meeting_replaces_the_old_event(client, personas):
    from datetime import time

    meeting = MeetingFactory(chapter=personas.chapter, local_date=date.today() + timedelta(days=3))
    by = personas.president.user

    def sequence():
        (event,) = Calendar.from_ical(_feed(client, personas.member.user).content).walk("VEVENT")
        return event["status"], int(event["sequence"])

    assert sequence() == ("CONFIRMED", 0)
    services.meeting_cancel(meeting=meeting, by=by, reason="Holiday")
    assert sequence() == ("CANCELLED", 1)
    services.meeting_reinstate(meeting=meeting, by=by)
    assert sequence() == ("CONFIRMED", 2)  # above the cancellation's, or calendar apps keep it cancelled
    services.meeting_move(meeting=meeting, by=by, local_date=meeting.local_date, local_time=time(8, 0), venue="Elsewhere")
    assert sequence() == ("CONFIRMED", 3)


def test_bad_token_gets_404(client, db):
    assert client.get(reverse("calendar-feed", args=["not-a-token"])).status_code == 404


def test_reset_issues_a_new_token_and_the_old_one_stops_working(client, personas):
    old = services.calendar_feed_for(user=personas.member.user).token
    personas.login(client, "member")
    page = client.get(personas.url("meetings:calendar")).content.decode()
    assert old in page
    client.post(personas.url("meetings:calendar-reset"))
    new = CalendarFeed.objects.get(user=personas.member.user).token
    assert new != old
    assert client.get(reverse("calendar-feed", args=[old])).status_code == 404
    assert client.get(reverse("calendar-feed", args=[new])).status_code == 200


def test_feed_of_a_deactivated_user_is_gone(client, personas):
    token = services.calendar_feed_for(user=personas.member.user).token
    personas.member.user.is_active = False
    personas.member.user.save()
    assert client.get(reverse("calendar-feed", args=[token])).status_code == 404


def _count_queries(client, url):
    reset_queries()  # the capture reads a bounded log: start it empty
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("page", ["meetings:list", "meetings:report"])
def test_meeting_pages_queries_do_not_grow_with_meetings(client, personas, page):
    # Relative to the real date: the list splits upcoming from past by the clock, not by TODAY.
    today = date.today()
    personas.login(client, "president")
    url = personas.url(page) + f"?start={today - timedelta(days=120)}&end={today}"
    for d in (7, 14):
        MeetingFactory(chapter=personas.chapter, local_date=today - timedelta(days=d), status="closed")
    MeetingFactory(chapter=personas.chapter, local_date=today + timedelta(days=7))
    small = _count_queries(client, url)
    for d in range(21, 120, 7):
        MeetingFactory(chapter=personas.chapter, local_date=today - timedelta(days=d), status="closed")
    for d in (14, 21, 28):
        MeetingFactory(chapter=personas.chapter, local_date=today + timedelta(days=d))
    assert _count_queries(client, url) == small


def test_reversed_range_shows_its_error_and_no_other_range(client, personas):
    _past(personas.chapter, 7)  # within the default 12 weeks: must not be shown instead
    personas.login(client, "president")
    response = client.get(personas.url("meetings:report") + "?start=2026-05-01&end=2026-04-01")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end comes after the start" in html and 'data-testid="range-refused"' in html
    assert 'class="grid-report' not in html and "Download CSV" not in html
    assert 'value="2026-05-01"' in html and 'value="2026-04-01"' in html  # what was typed stays


@pytest.mark.parametrize("query", ["?start=2026-05-01&end=2026-04-01", "?start=2026-05-01&end=not-a-date",
                                   "?start=2020-01-01&end=2026-01-01"])
def test_csv_with_a_refused_range_answers_400_with_the_reason(client, personas, query):
    personas.login(client, "president")
    response = client.get(personas.url("meetings:report-csv") + query)
    assert response.status_code == 400 and response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert body.startswith("No CSV: the date range was refused.")
    assert any(reason in body for reason in ("The end comes after the start", "Enter a valid date",
                                             "Choose at most two years"))


def test_csv_without_a_range_exports_the_last_twelve_weeks(client, personas):
    personas.login(client, "president")
    response = client.get(personas.url("meetings:report-csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")

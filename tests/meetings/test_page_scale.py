"""Meeting pages at two chapter sizes: the same number of queries at 10 and 150 members, at most 12."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import Attendance, Meeting, Visitor
from meetings.models import Testimonial as TestimonialRow  # not collected as a test class
from tests.factories import ChapterFactory, MembershipFactory

MAX_QUERIES = 12
LONG_AGO = date(2020, 1, 1)
STATUSES = ["present", "present", "present", "late", "absent", "medical", "substitute"]


def _chapter(size: int, *, weeks: int = 30):
    """A chapter of `size` seats (its president first), a meeting a week for `weeks` weeks all closed
    with every seat marked, visitors and testimonials at each, and a meeting under way now."""
    from django.utils import timezone

    chapter = ChapterFactory()
    president = MembershipFactory(chapter=chapter, role="president", joined_on=LONG_AGO)
    seats = [president] + MembershipFactory.create_batch(size - 1, chapter=chapter, joined_on=LONG_AGO)
    now = timezone.now()
    past = []
    for week in range(weeks, 0, -1):
        day = (now - timedelta(weeks=week)).astimezone(chapter.tz).date()
        past.append(Meeting(chapter=chapter, local_date=day, scheduled_date=day, status="closed", closed_at=now,
                            starts_at=datetime.combine(day, time(7, 0), tzinfo=chapter.tz)))
    Meeting.objects.bulk_create(past)
    Attendance.objects.bulk_create([
        Attendance(meeting=m, membership=s, status=STATUSES[(i + j) % len(STATUSES)],
                   substitute_name="Sam Stand-in" if STATUSES[(i + j) % len(STATUSES)] == "substitute" else "")
        for i, m in enumerate(past) for j, s in enumerate(seats)
    ])
    Visitor.objects.bulk_create([
        Visitor(meeting=m, name=f"Visitor {i}-{k}", email=f"v{i}-{k}@example.com", invited_by=seats[k % size],
                classification=seats[k % size].classification)
        for i, m in enumerate(past) for k in range(max(1, size // 10))
    ])
    TestimonialRow.objects.bulk_create([
        TestimonialRow(meeting=m, given_by=seats[k % size], about=seats[(k + 1) % size], text="Great work.")
        for m in past for k in range(max(1, size // 15))
    ])
    starts = now - timedelta(minutes=20)
    live = Meeting.objects.create(chapter=chapter, starts_at=starts, local_date=starts.astimezone(chapter.tz).date(),
                                  kind="one_off")
    Attendance.objects.bulk_create([Attendance(meeting=live, membership=s, status="present") for s in seats[::2]])
    Visitor.objects.create(meeting=live, name="Vera Visitor", invited_by=seats[-1])
    return chapter, president, seats, past, live


def _queries(client, url) -> tuple[int, bytes]:
    reset_queries()  # the capture reads a bounded log: start it empty
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx), response.content


def _pages(chapter, past, live):
    start, end = past[0].local_date, live.local_date
    return {
        "roll call": reverse("meetings:detail", args=[chapter.slug, live.pk]),
        "closed meeting": reverse("meetings:detail", args=[chapter.slug, past[-1].pk]),
        "report": reverse("meetings:report", args=[chapter.slug]) + f"?start={start}&end={end}",
        "my attendance": reverse("meetings:my-attendance", args=[chapter.slug]),
    }


@pytest.mark.parametrize("page,who", [
    ("roll call", "president"), ("roll call", "member"), ("closed meeting", "president"), ("closed meeting", "member"),
    ("report", "president"), ("my attendance", "member"),
])
def test_page_queries_are_the_same_at_10_and_150_members(client, db, page, who):
    counts = {}
    for size in (10, 150):
        chapter, president, seats, past, live = _chapter(size)
        client.force_login(president.user if who == "president" else seats[1].user)
        counts[size], _ = _queries(client, _pages(chapter, past, live)[page])
    assert counts[10] == counts[150], f"{page}: {counts}"
    assert counts[150] <= MAX_QUERIES, f"{page}: {counts}"


def test_roll_call_rows_post_to_their_own_member_and_carry_no_option_lists(client, db):
    chapter, president, seats, past, live = _chapter(10, weeks=1)
    client.force_login(president.user)
    html = client.get(_pages(chapter, past, live)["roll call"]).content.decode()
    for seat in seats:
        url = reverse("meetings:attendance-mark", args=[chapter.slug, live.pk, seat.pk])
        assert html.count(f'action="{url}" hx-post="{url}"') == 2  # the P/L/A/M form and the substitute's
    assert "<select" not in html and "<option" not in html  # the visitor and testimonial forms load on demand
    assert reverse("meetings:visitor-add", args=[chapter.slug, live.pk]) in html  # the plain link, without JavaScript


def test_closed_meeting_rows_link_to_their_correction(client, db):
    chapter, president, seats, past, live = _chapter(10, weeks=1)
    client.force_login(president.user)
    html = client.get(_pages(chapter, past, live)["closed meeting"]).content.decode()
    for seat in seats:
        assert reverse("meetings:attendance-correct", args=[chapter.slug, past[-1].pk, seat.pk]) in html
    assert "<select" not in html


def test_visitor_form_comes_alone_for_the_section_that_opens_it(client, personas):
    from tests.meetings.factories import meeting_started

    meeting = meeting_started(personas.chapter)
    url = personas.url("meetings:visitor-add", meeting.pk)
    personas.login(client, "president")
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="visitor-form"' in fragment and "<html" not in fragment and "Mona Member" in fragment
    page = client.get(url).content.decode()  # the link without JavaScript: a page of its own
    assert "<html" in page and 'data-testid="visitor-form"' in page
    personas.login(client, "member")
    assert client.get(url, HTTP_HX_REQUEST="true").status_code == 403


def test_testimonials_section_lists_them_for_members_and_adds_the_form_for_leadership(client, personas):
    from tests.meetings.factories import TestimonialFactory, meeting_started

    meeting = meeting_started(personas.chapter)
    TestimonialFactory(meeting=meeting, given_by=personas.member, about=personas.member2, text="Fixed our boiler.")
    url = personas.url("meetings:testimonials", meeting.pk)
    personas.login(client, "member")
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Fixed our boiler." in body and "Mona Member about Max Member" in body
    assert 'data-testid="testimonial-form"' not in body and "<html" not in body
    personas.login(client, "president")
    body = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="testimonial-form"' in body
    assert client.get(url).status_code == 200  # without JavaScript: the same as a page
    personas.login(client, "outsider")
    assert client.get(url).status_code == 404


def test_report_pages_its_members_and_the_page_links_keep_the_range(client, db):
    from meetings.selectors import REPORT_PAGE_SIZE

    chapter, president, seats, past, live = _chapter(REPORT_PAGE_SIZE + 5, weeks=4)
    client.force_login(president.user)
    url = _pages(chapter, past, live)["report"]
    first = client.get(url).content.decode()
    start, end = past[0].local_date, live.local_date
    assert first.count("<tr><td>") == REPORT_PAGE_SIZE
    assert f'href="?start={start}&amp;end={end}&amp;page=2"' in first
    second = client.get(url + "&page=2").content.decode()
    assert second.count("<tr><td>") == 5
    names = {s.display_name for s in seats}
    shown = {n for n in names if f"<tr><td>{n}" in first} | {n for n in names if f"<tr><td>{n}" in second}
    assert shown == names  # every member on one page or the other


def test_report_totals_counted_in_sql_match_the_grid(db):
    from meetings import selectors

    chapter, president, seats, past, live = _chapter(12, weeks=6)
    cancelled = past[2]
    Meeting.objects.filter(pk=cancelled.pk).update(status="cancelled")  # its marks count for nobody
    report = selectors.attendance_report(chapter=chapter, start=past[0].local_date, end=live.local_date, page=1)
    assert cancelled.pk not in [m.pk for m in report["meetings"]]
    for line in report["lines"]:
        from_grid = {s: sum(1 for c in line.cells if c and c.status == s) for s in line.totals}
        assert line.totals == from_grid
        invited = Visitor.objects.filter(invited_by=line.membership).exclude(meeting=cancelled).count()
        assert line.visitors == invited


def test_report_csv_lists_every_member_whatever_the_page_size(client, db):
    from meetings.selectors import REPORT_PAGE_SIZE

    chapter, president, seats, past, live = _chapter(REPORT_PAGE_SIZE + 5, weeks=2)
    client.force_login(president.user)
    url = reverse("meetings:report-csv", args=[chapter.slug]) + f"?start={past[0].local_date}&end={live.local_date}"
    lines = client.get(url).content.decode().strip().splitlines()
    assert len(lines) == 1 + REPORT_PAGE_SIZE + 5  # the header and every member


def test_my_attendance_pages_a_year_of_meetings(client, db):
    from meetings.views import MY_ATTENDANCE_PAGE

    chapter, president, seats, past, live = _chapter(10, weeks=MY_ATTENDANCE_PAGE + 4)
    client.force_login(seats[1].user)
    url = _pages(chapter, past, live)["my attendance"]
    first = client.get(url).content.decode()
    assert first.count('<tr><td><a href="/c/') == MY_ATTENDANCE_PAGE
    assert 'href="?page=2"' in first
    second = client.get(url + "?page=2").content.decode()
    assert second.count('<tr><td><a href="/c/') == 4  # the rest (no mark yet at the meeting under way)


def test_roll_row_escapes_what_people_typed(client, personas):
    from meetings.models import Attendance
    from tests.meetings.factories import meeting_started

    meeting = meeting_started(personas.chapter)
    personas.member.user.full_name = '<script>alert("name")</script>'
    personas.member.user.save()
    Attendance.objects.create(meeting=meeting, membership=personas.member, status="substitute",
                              substitute_name='"><img src=x onerror=alert(1)>', substitute_business="<b>Biz</b>")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    row = html.split(f'id="roll-{personas.member.pk}"', 1)[1].split("</li>", 1)[0]
    assert "<script>" not in row and "<img" not in row and "<b>" not in row
    assert "&lt;script&gt;" in row and 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in row

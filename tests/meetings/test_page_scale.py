"""Meeting pages at two chapter sizes: the same number of queries at 10 and 150 members, at most 12."""

from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from meetings.models import Attendance, Meeting, Testimonial, Visitor
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
    Testimonial.objects.bulk_create([
        Testimonial(meeting=m, given_by=seats[k % size], about=seats[(k + 1) % size], text="Great work.")
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


@pytest.mark.parametrize("page", ["roll call", "closed meeting", "report", "my attendance"])
def test_page_queries_are_the_same_at_10_and_150_members(client, db, page):
    counts = {}
    for size in (10, 150):
        chapter, president, seats, past, live = _chapter(size)
        client.force_login(president.user)
        counts[size], _ = _queries(client, _pages(chapter, past, live)[page])
    assert counts[10] == counts[150], f"{page}: {counts}"
    assert counts[150] <= MAX_QUERIES, f"{page}: {counts}"

"""Issue 17 (item 3): every list pages or says what it leaves out, in a constant number of queries.

Each paged list is checked at two sizes: the smaller fits on one page, the larger spans three; both
pages of the larger list answer in the same number of queries as the smaller one.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chapters.views import HISTORY_PER_PAGE
from meetings.models import Visitor
from meetings.views import PAST_PER_PAGE, UPCOMING_PER_PAGE, VISITORS_DONE_PER_PAGE
from members.audit import audit_record
from members.models import Notification
from referrals.views import ITEMS_PER_PAGE
from tests.meetings.factories import AttendanceFactory, MeetingFactory, VisitorFactory
from tests.referrals.factories import EducationCreditFactory, OneToOneFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = datetime(2026, 6, 10, 12, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(TODAY, tick=False):
        yield TODAY


def _queries(client, url, data=None) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def _past_meetings(personas, n: int) -> list:
    meetings = []
    start = personas.chapter.meetings.count()  # a second batch goes further back
    for i in range(start, start + n):
        day = TODAY.date() - timedelta(weeks=i + 1)
        meeting = MeetingFactory(chapter=personas.chapter, local_date=day,
                                 starts_at=datetime.combine(day, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=7))
        AttendanceFactory(meeting=meeting, membership=personas.member)
        meetings.append(meeting)
    return meetings


# Past meetings ------------------------------------------------------------------------------------------


def test_every_past_meeting_is_reachable_page_by_page(client, personas):
    meetings = _past_meetings(personas, PAST_PER_PAGE * 2 + 1)
    personas.login(client, "member")
    url = personas.url("meetings:list")
    pages = [client.get(url, {"past": n}).content.decode() for n in (1, 2, 3)]
    assert "Page 1 of 3" in pages[0] and 'href="?past=2#past"' in pages[0]
    for meeting in meetings:
        link = f'href="{meeting.get_absolute_url()}"'
        assert sum(link in page for page in pages) == 1, meeting.local_date  # on exactly one page


def test_the_past_pager_keeps_the_upcoming_page(client, personas):
    _past_meetings(personas, PAST_PER_PAGE + 1)
    for i in range(UPCOMING_PER_PAGE + 1):
        day = TODAY.date() + timedelta(weeks=i + 1)
        MeetingFactory(chapter=personas.chapter, local_date=day,
                       starts_at=datetime.combine(day, datetime.min.time(), tzinfo=LONDON) + timedelta(hours=7))
    personas.login(client, "member")
    html = client.get(personas.url("meetings:list"), {"page": 2}).content.decode()
    assert 'href="?page=2&amp;past=2#past"' in html or 'href="?page=2&past=2#past"' in html


def test_the_meeting_list_answers_in_as_many_queries_at_any_size(client, personas, django_assert_num_queries):
    personas.login(client, "member")
    url = personas.url("meetings:list")
    _past_meetings(personas, 3)
    client.get(url)  # the session's first request settles what it stores
    small, _html = _queries(client, url)
    _past_meetings(personas, PAST_PER_PAGE * 3)
    with django_assert_num_queries(small):
        client.get(url)
    with django_assert_num_queries(small):
        client.get(url, {"past": 3})


# Visitors followed up ---------------------------------------------------------------------------------------


def _done_visitors(personas, n: int) -> None:
    meeting = _past_meetings(personas, 1)[0]
    VisitorFactory.create_batch(n, meeting=meeting, follow_up=Visitor.FollowUp.NOT_INTERESTED)


def test_every_visitor_followed_up_is_reachable(client, personas, django_assert_num_queries):
    personas.login(client, "president")
    url = personas.url("meetings:visitors")
    _done_visitors(personas, 2)
    client.get(url)
    small, html = _queries(client, url)
    assert "Followed up (2)" in html and 'data-testid="pager"' not in html
    _done_visitors(personas, VISITORS_DONE_PER_PAGE * 2)
    with django_assert_num_queries(small):
        first = client.get(url).content.decode()
    with django_assert_num_queries(small):
        last = client.get(url, {"done": 3}).content.decode()
    total = 2 + VISITORS_DONE_PER_PAGE * 2
    assert f"Followed up ({total})" in first and "Page 1 of 3" in first and 'href="?done=2#done"' in first
    assert "Page 3 of 3" in last and '<details id="done" open>' in last


# One-to-ones and education credits ------------------------------------------------------------------------------


@pytest.mark.parametrize("name,make", [
    ("referrals:one-to-ones", lambda p, n: [OneToOneFactory(
        initiator=p.member, other=p.member2, chapter=p.chapter, met_on=date(2026, 5, 1) - timedelta(days=i))
        for i in range(p.chapter.one_to_ones.count(), p.chapter.one_to_ones.count() + n)]),
    ("referrals:education", lambda p, n: EducationCreditFactory.create_batch(
        n, membership=p.member, chapter=p.chapter, completed_on=date(2026, 5, 1))),
])
def test_one_to_ones_and_education_page_in_as_many_queries(client, personas, django_assert_num_queries, name, make):
    personas.login(client, "member")
    url = personas.url(name)
    make(personas, 2)
    client.get(url)
    small, html = _queries(client, url)
    assert 'class="actions pager"' not in html
    make(personas, ITEMS_PER_PAGE * 2)
    with django_assert_num_queries(small):
        first = client.get(url).content.decode()
    with django_assert_num_queries(small):
        last = client.get(url, {"page": 3}).content.decode()
    assert "Page 1 of 3" in first and 'rel="next"' in first
    assert "Page 3 of 3" in last and last.count("<li id=") == 2


# A seat's history --------------------------------------------------------------------------------------------


def _changes(personas, n: int) -> None:
    for i in range(n):
        audit_record(actor=personas.president.user, action="membership.changed", target=personas.member,
                     chapter=personas.chapter, summary=f"Change number {i}", after={"status": "active"})


def test_a_seats_whole_history_is_reachable(client, personas, django_assert_num_queries):
    personas.login(client, "president")
    url = personas.url("chapters:member-edit", personas.member.pk)
    _changes(personas, 2)
    client.get(url)
    small, html = _queries(client, url)
    assert "Change number 1" in html and 'class="actions pager"' not in html
    _changes(personas, HISTORY_PER_PAGE * 2)
    with django_assert_num_queries(small):
        first = client.get(url).content.decode()
    with django_assert_num_queries(small):
        last = client.get(url, {"page": 3}).content.decode()
    assert "Page 1 of 3" in first and "#history" in first
    assert "Change number 0" in last and "Change number 0" not in first


# Lists that show the latest few say so ---------------------------------------------------------------------------


def test_the_dashboard_says_how_many_unread_it_leaves_out(client, personas):
    from home.views import UNREAD_SHOWN

    for i in range(UNREAD_SHOWN + 4):
        Notification.objects.create(user=personas.member.user, chapter=personas.chapter,
                                    kind=Notification.Kind.MEMBERSHIP, title=f"Notice {i}")
    personas.login(client, "member")
    html = client.get(reverse("dashboard")).content.decode()
    assert f"The latest {UNREAD_SHOWN} of {UNREAD_SHOWN + 4} unread." in html
    assert f'href="{reverse("notifications")}"' in html


def test_the_dashboard_says_nothing_when_all_unread_are_shown(client, personas):
    Notification.objects.create(user=personas.member.user, chapter=personas.chapter,
                                kind=Notification.Kind.MEMBERSHIP, title="Only one")
    personas.login(client, "member")
    assert 'data-testid="unread-more"' not in client.get(reverse("dashboard")).content.decode()


def test_the_export_page_says_it_lists_the_latest_only(client, personas):
    from portability.chapter_export import EXPORTS_SHOWN
    from portability.models import ChapterExport

    personas.login(client, "president")
    url = personas.url("portability:export")
    ChapterExport.objects.bulk_create([ChapterExport(chapter=personas.chapter, status=ChapterExport.Status.FAILED,
                                                     created_at=TODAY - timedelta(minutes=i))
                                       for i in range(EXPORTS_SHOWN)])
    assert 'data-testid="exports-more"' not in client.get(url).content.decode()
    ChapterExport.objects.create(chapter=personas.chapter, status=ChapterExport.Status.FAILED,
                                 created_at=TODAY - timedelta(hours=1))
    html = client.get(url).content.decode()
    assert f"The latest {EXPORTS_SHOWN} exports are listed" in html
    assert html.count('data-testid="export-state"') == EXPORTS_SHOWN


def test_the_dashboard_links_the_queue_when_more_chapters_have_cases(client, personas):
    from home.dashboard import CASE_CHAPTERS_SHOWN
    from tests.enforcement.factories import ExpulsionCaseFactory

    ExpulsionCaseFactory.create_batch(CASE_CHAPTERS_SHOWN + 1, appeal_deadline=TODAY - timedelta(days=1))
    client.force_login(personas.org_admin)
    html = client.get(reverse("dashboard")).content.decode()
    assert "Cases ready for your decision in more chapters: the whole queue" in html
    assert html.count("expulsion case ready for your decision") == CASE_CHAPTERS_SHOWN

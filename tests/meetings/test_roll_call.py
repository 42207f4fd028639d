import re
import threading
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, reset_queries
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from meetings import selectors, services
from meetings.models import Attendance, Meeting
from tests.factories import MembershipFactory
from tests.meetings.factories import AttendanceFactory, VisitorFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(personas):
    return meeting_started(personas.chapter)


def _mark_url(personas, meeting, membership):
    return personas.url("meetings:attendance-mark", meeting.pk, membership.pk)


def test_tap_marks_a_member_and_returns_the_row_and_live_counts(client, personas, meeting):
    personas.login(client, "vice_president")
    response = client.post(_mark_url(personas, meeting, personas.member), {"status": "late"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="roll-{personas.member.pk}"' in html and 'data-status="late"' in html
    # the figures only: the polling panel around them keeps where its poll is up to
    assert '<div id="roll-figures" hx-swap-oob="true">' in html and 'id="roll-counts"' not in html
    assert 'data-testid="count-late">1<' in html
    row = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert row.status == "late" and row.recorded_by == personas.vice_president.user
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.OPEN


def test_plain_form_post_works_without_javascript(client, personas, meeting):
    personas.login(client, "president")
    response = client.post(_mark_url(personas, meeting, personas.member), {"status": "present"})
    assert response.status_code == 302 and response.url.endswith(f"#roll-{personas.member.pk}")
    assert Attendance.objects.get(meeting=meeting, membership=personas.member).status == "present"


def _substitute_form(html: str, membership) -> str:
    """The substitute form of one member's roll-call row, as the page renders it."""
    row = html.split(f'id="roll-{membership.pk}"', 1)[1].split("</li>", 1)[0]
    return row.split('data-testid="substitute-form"', 1)[1].split("</form>", 1)[0]


def test_substitute_fields_have_a_form_of_their_own_that_marks_a_substitute(client, personas, meeting):
    """Issue 10: Enter in a substitute field submits that field's form, whose only button and status is substitute."""
    personas.login(client, "president")
    form = _substitute_form(client.get(personas.url("meetings:detail", meeting.pk)).content.decode(), personas.member)
    assert 'name="substitute_name"' in form and 'name="substitute_business"' in form
    assert form.count('type="submit"') == 1 and 'value="present"' not in form  # no P/L/A/M to fall back on
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form))
    assert fields.pop("status") == "substitute" and set(fields) == {"csrfmiddlewaretoken"}
    # what a browser without JavaScript sends on Enter: the form's own fields, no button value
    response = client.post(_mark_url(personas, meeting, personas.member),
                           {"status": "substitute", "substitute_name": "Sam Stand-in", "substitute_business": "Sam Ltd"})
    assert response.status_code == 302 and response.url.endswith(f"#roll-{personas.member.pk}")
    row = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert (row.status, row.substitute_name, row.substitute_business) == ("substitute", "Sam Stand-in", "Sam Ltd")


def test_member_cannot_mark_others(client, personas, meeting):
    personas.login(client, "member")
    response = client.post(_mark_url(personas, meeting, personas.member2), {"status": "absent"})
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_member_sees_counts_and_own_mark_but_no_roll_call_buttons(client, personas, meeting):
    AttendanceFactory(meeting=meeting, membership=personas.member, status="medical")
    personas.login(client, "member")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert "Your mark:" in html and "Medical" in html and "Provisional figures" in html
    assert 'name="status"' not in html


def test_substitute_needs_a_name_and_keeps_name_and_business(client, personas, meeting):
    personas.login(client, "president")
    url = _mark_url(personas, meeting, personas.member)
    response = client.post(url, {"status": "substitute", "substitute_name": ""}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Enter the substitute" in response.content.decode()
    assert not Attendance.objects.exists()
    client.post(url, {"status": "substitute", "substitute_name": "Sam Stand-in", "substitute_business": "Stand-in Ltd"},
                HTTP_HX_REQUEST="true")
    row = Attendance.objects.get()
    assert (row.status, row.substitute_name, row.substitute_business) == ("substitute", "Sam Stand-in", "Stand-in Ltd")


def test_a_refused_substitute_comes_back_with_what_was_typed(client, personas, meeting):
    """Enter pressed with only the business filled in: the error row keeps the business, so only the name is left."""
    personas.login(client, "president")
    response = client.post(_mark_url(personas, meeting, personas.member),
                           {"status": "substitute", "substitute_name": "", "substitute_business": "Stand-in Ltd"},
                           HTTP_HX_REQUEST="true")
    form = _substitute_form(response.content.decode(), personas.member)
    assert 'name="substitute_business"' in form and 'value="Stand-in Ltd"' in form
    assert "Enter the substitute" in response.content.decode()
    assert not Attendance.objects.exists()


def test_without_javascript_a_refused_substitute_keeps_what_was_typed_on_the_page(client, personas, meeting):
    """A plain form post (no htmx): the whole page comes back (422) with the error on that row and the
    business as typed; other rows are untouched."""
    personas.login(client, "president")
    response = client.post(_mark_url(personas, meeting, personas.member),
                           {"status": "substitute", "substitute_name": "", "substitute_business": "Stand-in Ltd"})
    assert response.status_code == 422
    html = response.content.decode()
    form = _substitute_form(html, personas.member)
    assert 'value="Stand-in Ltd"' in form
    assert html.count("Enter the substitute") == 1 and html.count('value="Stand-in Ltd"') == 1
    assert 'value="Stand-in Ltd"' not in _substitute_form(html, personas.member2)
    assert not Attendance.objects.exists()


def test_substitute_cannot_be_a_member_of_the_chapter(personas, meeting):
    with pytest.raises(ValidationError):
        services.attendance_mark(meeting=meeting, membership=personas.member, status="substitute",
                                 substitute_name="max member", by=personas.president.user)


def test_later_mark_replaces_the_earlier_one(personas, meeting):
    for status in ("present", "late", "absent"):
        services.attendance_mark(meeting=meeting, membership=personas.member, status=status,
                                 by=personas.president.user)
    assert Attendance.objects.get(meeting=meeting, membership=personas.member).status == "absent"
    assert Attendance.objects.count() == 1


def test_two_leaders_marking_the_same_row_end_in_one_row_with_a_state(personas, meeting):
    """Sequential upserts on SQLite; see the threaded test for PostgreSQL."""
    services.attendance_mark(meeting=meeting, membership=personas.member, status="late", by=personas.president.user)
    services.attendance_mark(meeting=meeting, membership=personas.member, status="present",
                             by=personas.vice_president.user)
    row = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert (row.status, row.recorded_by) == ("present", personas.vice_president.user)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a database with real concurrency")
def test_concurrent_marks_on_postgresql_both_succeed_without_error(personas):
    meeting = meeting_started(personas.chapter)
    barrier = threading.Barrier(2)
    errors = []

    def mark(status, leader):
        try:
            barrier.wait()
            services.attendance_mark(meeting=meeting, membership=personas.member, status=status, by=leader.user)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=mark, args=("late", personas.president)),
               threading.Thread(target=mark, args=("present", personas.vice_president))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    row = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert row.status in ("late", "present")
    assert row.recorded_by_id == {"late": personas.president.user_id, "present": personas.vice_president.user_id}[
        row.status]


def test_members_on_leave_are_shown_apart_and_not_counted_as_expected(client, personas, meeting):
    MembershipFactory(chapter=personas.chapter, status="on_leave", joined_on=date(2020, 1, 1), user__full_name="Lena Leave")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    roll, leave = html.split("<h3>On leave", 1)
    assert "Lena Leave" in leave and "Lena Leave" not in roll
    assert 'data-testid="count-unmarked">5<' in html  # the five active personas


def test_closed_meeting_refuses_roll_call_marks(personas, meeting):
    services.meeting_close(meeting=meeting, by=personas.president.user)
    with pytest.raises(ValidationError):
        services.attendance_mark(meeting=meeting, membership=personas.member, status="present",
                                 by=personas.president.user)


def _page_queries(client, personas, extra_members):
    meeting = meeting_started(personas.chapter)
    members = MembershipFactory.create_batch(extra_members, chapter=personas.chapter, joined_on=date(2020, 1, 1))
    for m in members[::2]:
        AttendanceFactory(meeting=meeting, membership=m, status="present")
    MembershipFactory.create_batch(2, chapter=personas.chapter, status="on_leave", joined_on=date(2020, 1, 1))
    VisitorFactory.create_batch(3, meeting=meeting, invited_by=members[0])
    personas.login(client, "president")
    url = personas.url("meetings:detail", meeting.pk)
    reset_queries()  # the capture reads a bounded log: start it empty
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="roll-row"') == extra_members + 5 + 2
    assert html.count('name="status" value="present"') == extra_members + 5 + 2  # roll call is open
    return len(ctx.captured_queries)


def test_roll_call_page_queries_do_not_grow_with_members(client, personas, django_db_blocker):
    small = _page_queries(client, personas, 10)
    from members.models import Membership

    Membership.objects.filter(chapter=personas.chapter, role="member").exclude(
        pk__in=[personas.member.pk, personas.member2.pk]).delete()
    large = _page_queries(client, personas, 60)
    assert small == large, f"{small} queries for 10 members, {large} for 60"
    assert large <= 12  # session, user, chapter, seat, region staff; the meeting with its settings and
    # testimonial count; seats with their marks; run sheet; visitors; nav (chapters, unread, oversight)


def test_roll_call_mark_response_queries_are_flat(client, personas, django_assert_max_num_queries):
    meeting = meeting_started(personas.chapter)
    MembershipFactory.create_batch(40, chapter=personas.chapter, joined_on=date(2020, 1, 1))
    personas.login(client, "president")
    with django_assert_max_num_queries(16):
        response = client.post(_mark_url(personas, meeting, personas.member), {"status": "present"},
                               HTTP_HX_REQUEST="true")
    assert Attendance.objects.get(meeting=meeting, membership=personas.member).status == "present"
    assert response.content.decode().count('class="roll-row"') == 1


def test_marking_a_departed_member_is_refused_without_an_error_page(client, personas, meeting):
    gone = MembershipFactory(chapter=personas.chapter, status="resigned")
    personas.login(client, "president")
    response = client.post(_mark_url(personas, meeting, gone), {"status": "present"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and b"no seat" in response.content
    assert not Attendance.objects.exists()


def test_overlong_substitute_name_gets_only_the_length_error(client, personas, meeting):
    personas.login(client, "president")
    response = client.post(_mark_url(personas, meeting, personas.member),
                           {"status": "substitute", "substitute_name": "x" * 5000}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "at most 150 characters" in html and "Enter the substitute" not in html
    assert not Attendance.objects.exists()


def test_counts_panel_polls_so_marks_by_another_leader_show_up(client, personas):
    meeting = meeting_started(personas.chapter)
    personas.login(client, "member")
    url = personas.url("meetings:roll-counts", meeting.pk)
    assert f'hx-get="{url}?since=' in client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    services.attendance_mark(meeting=meeting, membership=personas.member2, status="late", by=personas.vice_president.user)
    panel = client.get(url).content.decode()
    assert panel.lstrip().startswith('<section id="roll-counts"') and 'data-testid="count-late">1<' in panel
    assert "<html" not in panel and f'hx-get="{url}?since=' in panel  # a fragment that keeps polling
    assert 'class="roll-row"' not in panel  # a member sees the figures, never the rows
    services.meeting_close(meeting=meeting, by=personas.president.user)
    panel = client.get(url).content.decode()
    assert "Final figures" in panel and "hx-get" not in panel  # final: polling stops


def _since(html: str) -> str:
    return re.search(r'counts/\?since=([0-9.]+)"', html).group(1)


def test_poll_brings_the_rows_another_leader_marked_since_the_last_poll(client, personas):
    """A second leader's page shows individual marks live, not only the counts (issue 4)."""
    meeting = meeting_started(personas.chapter)
    services.attendance_mark(meeting=meeting, membership=personas.member, status="present",
                             by=personas.vice_president.user)
    Attendance.objects.update(recorded_at=timezone.now() - timedelta(minutes=5))  # marked before the page loaded
    personas.login(client, "president")
    url = personas.url("meetings:roll-counts", meeting.pk)
    since = _since(client.get(personas.url("meetings:detail", meeting.pk)).content.decode())
    panel = client.get(f"{url}?since={since}").content.decode()
    assert 'class="roll-row"' not in panel  # nothing changed since the page was drawn
    services.attendance_mark(meeting=meeting, membership=personas.member2, status="substitute",
                             substitute_name="Sam Stand-in", by=personas.vice_president.user)
    panel = client.get(f"{url}?since={since}").content.decode()
    assert panel.count('class="roll-row"') == 1  # only the changed row, swapped out of band
    assert f'<li id="roll-{personas.member2.pk}" class="roll-row" data-status="substitute" hx-swap-oob="true">' in panel
    assert "Sam Stand-in" in panel and 'data-testid="count-substitute">1<' in panel
    assert _since(panel) > since  # the next poll starts from this one
    # no `since` (an old page) or a garbled one: the figures alone, as before
    assert 'class="roll-row"' not in client.get(url).content.decode()
    assert 'class="roll-row"' not in client.get(f"{url}?since=nan").content.decode()
    # closed meanwhile: every row comes once more, locked, and the panel stops polling
    services.meeting_close(meeting=meeting, by=personas.vice_president.user)
    panel = client.get(f"{url}?since={_since(panel)}").content.decode()
    assert panel.count('class="roll-row"') == len(selectors.meeting_roll_call(meeting=meeting).expected)
    assert 'name="status"' not in panel and "Correct…" in panel and "hx-get" not in panel


def test_roll_call_poll_queries_do_not_grow_with_members(client, personas):
    meeting = meeting_started(personas.chapter)
    personas.login(client, "president")
    url = personas.url("meetings:roll-counts", meeting.pk)
    since = f"{(timezone.now() - timedelta(minutes=1)).timestamp():.6f}"

    def poll_queries():
        for m in personas.chapter.memberships.all():  # every row changed since: the most a poll sends
            services.attendance_mark(meeting=meeting, membership=m, status="late", by=personas.president.user)
        with CaptureQueriesContext(connection) as ctx:
            html = client.get(f"{url}?since={since}").content.decode()
        assert html.count('class="roll-row"') == personas.chapter.memberships.count()
        return len(ctx.captured_queries)

    MembershipFactory.create_batch(5, chapter=personas.chapter, joined_on=date(2020, 1, 1))
    small = poll_queries()
    MembershipFactory.create_batch(50, chapter=personas.chapter, joined_on=date(2020, 1, 1))
    large = poll_queries()
    assert small == large, f"{small} queries for a small chapter, {large} for 55 more members"
    assert large <= 9


# Keyboard and screen reader (issue 14) -------------------------------------------------------------


def test_mark_buttons_say_whom_they_mark_and_which_is_pressed(client, personas, meeting):
    AttendanceFactory(meeting=meeting, membership=personas.member, status="late")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    row = re.findall(rf'<li id="roll-{personas.member.pk}".*?</li>', html, re.S)[0]
    buttons = re.findall(r'<button type="submit" name="status" value="(\w+)"[^>]*aria-pressed="(\w+)" '
                         r'aria-label="([^"]+)">(\w)</button>', row)
    assert buttons == [("present", "false", "Mark Mona Member present", "P"),
                       ("late", "true", "Mark Mona Member late", "L"),
                       ("absent", "false", "Mark Mona Member absent", "A"),
                       ("medical", "false", "Mark Mona Member medical", "M")]
    assert 'aria-label="Mark substitute for Mona Member">Mark substitute</button>' in row
    assert '<span class="visually-hidden">: Mona Member</span>' in row  # the substitute's summary, for whom


def test_skip_link_leads_leadership_past_the_navigation_to_the_members(client, personas, meeting):
    personas.login(client, "president")
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    body = html.split("<body", 1)[1]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'href="#roll-list"' in first_link and 'class="skip-link"' in first_link  # before the navigation's links
    assert '<ul class="roll" id="roll-list" tabindex="-1"' in html
    assert '<p id="roll-live" class="visually-hidden" role="status"' in html  # where each mark is announced
    personas.login(client, "member")  # no roll call to skip to
    assert "skip-link" not in client.get(personas.url("meetings:detail", meeting.pk)).content.decode()


def test_the_counts_are_a_live_region_for_members_only(client, personas, meeting):
    """Leadership hear each mark they make (#roll-live), not every figure after each tap and poll."""
    counts = personas.url("meetings:roll-counts", meeting.pk)
    personas.login(client, "member")
    assert 'id="roll-counts" class="roll-counts" aria-live="polite"' in client.get(counts).content.decode()
    personas.login(client, "president")
    assert 'id="roll-counts" class="roll-counts"\n' in client.get(counts).content.decode()

from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils import timezone

from meetings import services, tasks
from meetings.models import Attendance, Meeting
from members.models import AuditEvent, Notification
from tests.factories import MembershipFactory
from tests.meetings.factories import AttendanceFactory, MeetingFactory, VisitorFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(personas, time_machine):
    """Begun half an hour ago, on a day not yet over: midday in the chapter's zone, on the day the run lives.

    Run just after midnight, a meeting begun 30 minutes ago would belong to a day that has passed,
    whose close asks first to confirm the fines it causes.
    """
    today = timezone.now().astimezone(personas.chapter.tz).date()
    time_machine.move_to(datetime.combine(today, time(12), tzinfo=personas.chapter.tz), tick=True)
    return meeting_started(personas.chapter)


def test_close_preview_lists_the_unmarked_before_confirming(client, personas, meeting):
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present")
    MembershipFactory(chapter=personas.chapter, status="on_leave", joined_on=date(2020, 1, 1), user__full_name="Lena Leave")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", meeting.pk)).content.decode()
    unmarked = html.split('data-testid="unmarked"', 1)[1].split("</ul>", 1)[0]
    assert "Max Member" in unmarked and "Paula President" in unmarked
    assert "Mona Member" not in unmarked and "Lena Leave" not in unmarked
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.SCHEDULED  # a preview changes nothing


def test_close_preview_shows_the_figures_about_to_be_locked(client, personas, meeting):
    """Issue 4: the president sees present/late/absent/medical/substitute as they will be locked."""
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present")
    AttendanceFactory(meeting=meeting, membership=personas.member2, status="substitute", substitute_name="Sam")
    AttendanceFactory(meeting=meeting, membership=personas.treasurer, status="absent")
    leave = MembershipFactory(chapter=personas.chapter, status="on_leave", joined_on=date(2020, 1, 1))
    AttendanceFactory(meeting=meeting, membership=leave, status="medical")
    personas.login(client, "president")
    html = client.get(personas.url("meetings:close", meeting.pk)).content.decode()
    unmarked = len(services.meeting_unmarked(meeting=meeting))
    assert unmarked == 2  # the president and the vice-president

    def figure(status):
        return int(html.split(f'data-testid="locked-{status}">', 1)[1].split("<", 1)[0])

    assert [figure(s) for s in ("present", "late", "absent", "medical", "substitute")] == [1, 0, 1 + unmarked, 1, 1]
    assert f"incl. {unmarked} not marked" in html and "2 attending" in html
    order = [html.index(f'data-testid="locked-{s}"') for s in ("present", "late", "absent", "medical", "substitute")]
    assert order == sorted(order)  # as the roll call's counts read
    services.meeting_close(meeting=meeting, by=personas.president.user)
    final = dict(Attendance.objects.filter(meeting=meeting).values_list("status").annotate(n=Count("pk")))
    assert final == {"present": 1, "absent": 3, "medical": 1, "substitute": 1}  # what the preview showed


def test_closing_records_unmarked_as_absent_and_locks(client, personas, meeting, django_capture_on_commit_callbacks):
    AttendanceFactory(meeting=meeting, membership=personas.member, status="late")
    leave = MembershipFactory(chapter=personas.chapter, status="on_leave", joined_on=date(2020, 1, 1))
    personas.login(client, "president")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(personas.url("meetings:close", meeting.pk))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED and meeting.closed_by == personas.president.user
    assert meeting.closed_at is not None
    marks = dict(Attendance.objects.filter(meeting=meeting).values_list("membership_id", "status"))
    assert marks[personas.member.pk] == "late"
    assert marks[personas.member2.pk] == marks[personas.president.pk] == "absent"
    assert leave.pk not in marks
    assert len(callbacks) == 1  # the after-close work, queued once the close is committed
    assert AuditEvent.objects.filter(action="meeting.closed", target_id=str(meeting.pk)).exists()
    html = client.get(personas.url("meetings:detail", meeting.pk)).content.decode()
    assert "Final figures" in html and "Provisional figures" not in html and 'name="status"' not in html
    # a locked roll call says how to change a mark, not how to tap one
    assert 'data-testid="roll-call-locked"' in html and "One tap per member" not in html


def test_closing_twice_changes_nothing(personas, meeting):
    services.meeting_close(meeting=meeting, by=personas.president.user)
    first = list(Attendance.objects.values_list("pk", "status"))
    services.meeting_close(meeting=meeting, by=personas.vice_president.user)
    meeting.refresh_from_db()
    assert list(Attendance.objects.values_list("pk", "status")) == first
    assert meeting.closed_by == personas.president.user


def test_cancelled_meeting_cannot_be_closed_and_counts_for_nobody(personas, meeting):
    services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="Holiday")
    with pytest.raises(ValidationError):
        services.meeting_close(meeting=meeting, by=personas.president.user)
    assert not Attendance.objects.exists()


def test_correction_after_close_needs_a_reason(client, personas, meeting):
    services.meeting_close(meeting=meeting, by=personas.president.user)
    personas.login(client, "vice_president")
    url = personas.url("meetings:attendance-correct", meeting.pk, personas.member.pk)
    response = client.post(url, {"status": "medical", "reason": "  "})
    html = response.content.decode()
    assert response.status_code == 200
    # Issue 17: one message, not the generic error under a "Required: …" help text
    assert html.count("Say why the mark is corrected") == 1
    assert "This field is required" not in html and "Required: the audit trail" not in html
    assert Attendance.objects.get(meeting=meeting, membership=personas.member).status == "absent"


def test_correction_is_recorded_with_who_when_before_and_after(client, personas, meeting):
    services.meeting_close(meeting=meeting, by=personas.president.user)
    personas.login(client, "vice_president")
    url = personas.url("meetings:attendance-correct", meeting.pk, personas.member.pk)
    response = client.post(url, {"status": "medical", "reason": "Hospital letter arrived"})
    assert response.status_code == 302
    row = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert row.status == "medical"
    event = AuditEvent.objects.get(action="attendance.corrected")
    assert event.actor == personas.vice_president.user and event.chapter == personas.chapter
    assert event.before["status"] == "absent" and event.after["status"] == "medical"
    assert event.reason == "Hospital letter arrived" and event.created_at is not None


def test_correction_that_changes_nothing_is_refused_with_a_form_error_and_not_audited(client, personas, meeting):
    """Issue 10: present → present is no correction: a clear error, nothing written, nothing audited."""
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present",
                      recorded_by=personas.president.user)
    services.meeting_close(meeting=meeting, by=personas.president.user)
    personas.login(client, "vice_president")
    url = personas.url("meetings:attendance-correct", meeting.pk, personas.member.pk)
    response = client.post(url, {"status": "present", "reason": "Double-checking the sheet"})
    assert response.status_code == 200
    assert "The mark is already present" in response.content.decode()
    row = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert (row.status, row.recorded_by) == ("present", personas.president.user)
    assert not AuditEvent.objects.filter(action="attendance.corrected").exists()


def test_correction_to_the_same_substitute_is_refused_but_new_details_are_a_correction(personas, meeting):
    AttendanceFactory(meeting=meeting, membership=personas.member, status="substitute",
                      substitute_name="Sam Stand-in", substitute_business="Sam Ltd")
    services.meeting_close(meeting=meeting, by=personas.president.user)
    same = {"meeting": meeting, "membership": personas.member, "status": "substitute", "by": personas.president.user,
            "reason": "Checked the sheet", "substitute_name": " Sam Stand-in ", "substitute_business": "Sam Ltd"}
    with pytest.raises(ValidationError, match=r"already substitute \(Sam Stand-in, Sam Ltd\)"):
        services.attendance_correct(**same)
    assert not AuditEvent.objects.filter(action="attendance.corrected").exists()

    row = services.attendance_correct(**{**same, "substitute_business": "Sam & Daughters Ltd"})
    assert row.substitute_business == "Sam & Daughters Ltd"
    event = AuditEvent.objects.get(action="attendance.corrected")
    assert event.before["substitute_business"] == "Sam Ltd" and event.after["substitute_business"] == row.substitute_business


def test_correction_is_refused_before_close(personas, meeting):
    with pytest.raises(ValidationError):
        services.attendance_correct(meeting=meeting, membership=personas.member, status="present",
                                    by=personas.president.user, reason="x")


def test_member_cannot_close(client, personas, meeting):
    personas.login(client, "member")
    assert client.post(personas.url("meetings:close", meeting.pk)).status_code == 403
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_after_close_task_asks_inviting_members_to_follow_up_once(personas, meeting):
    VisitorFactory(meeting=meeting, invited_by=personas.member, name="Vera Visitor")
    VisitorFactory(meeting=meeting, invited_by=None)
    services.meeting_close(meeting=meeting, by=personas.president.user)
    assert tasks.meeting_visitor_followups_task(meeting.pk) == 1
    assert tasks.meeting_visitor_followups_task(meeting.pk) == 0
    notice = Notification.objects.get(user=personas.member.user)
    assert "Vera Visitor" in notice.title


def test_closing_queues_rule_enforcement_for_the_chapter(personas, meeting, django_capture_on_commit_callbacks):
    from unittest import mock

    with mock.patch("enforcement.tasks.chapter_enforce_task.delay") as enforce:
        with mock.patch("meetings.tasks.meeting_visitor_followups_task.delay"):
            with django_capture_on_commit_callbacks(execute=True):
                services.meeting_close(meeting=meeting, by=personas.president.user)
    enforce.assert_called_once_with(personas.chapter.pk)


def test_closing_fines_the_member_over_the_absence_limit(personas, django_capture_on_commit_callbacks):
    """End to end: the close's on-commit task runs the real evaluation."""
    from datetime import timedelta

    from django.utils import timezone

    from enforcement.models import Fine
    from tests.enforcement.factories import ChapterRulesFactory

    today = timezone.localdate()
    ChapterRulesFactory(chapter=personas.chapter, effective_from=today - timedelta(days=60), absences_allowed=1,
                        fine_absence="10.00", grace_days=0)
    personas.chapter.memberships.update(joined_on=today - timedelta(days=365))
    meetings = [MeetingFactory(chapter=personas.chapter, local_date=today - timedelta(days=d)) for d in (21, 14, 7)]
    for m in meetings[:-1]:
        AttendanceFactory(meeting=m, membership=personas.member, status="absent")
        services.meeting_close(meeting=m, by=personas.president.user)
    with mock_delay_runs_now():
        with django_capture_on_commit_callbacks(execute=True):
            services.meeting_close(meeting=meetings[-1], by=personas.president.user)  # Mona unmarked: absent
    fines = Fine.objects.filter(membership=personas.member, kind="absence")
    assert fines.count() == 2  # absences 2 and 3 are over the limit of 1


def mock_delay_runs_now():
    """Run the after-close tasks in-process, as a worker would."""
    from contextlib import ExitStack
    from unittest import mock

    from enforcement import tasks as enforcement_tasks

    stack = ExitStack()
    stack.enter_context(mock.patch.object(
        enforcement_tasks.chapter_enforce_task, "delay", side_effect=lambda cid: enforcement_tasks.chapter_enforce_task(cid)
    ))
    stack.enter_context(mock.patch.object(tasks.meeting_visitor_followups_task, "delay"))
    return stack


def test_next_meeting_moves_on_once_todays_is_closed(client, personas, meeting):
    from datetime import timedelta

    from django.utils import timezone

    following = MeetingFactory(chapter=personas.chapter, starts_at=timezone.now() + timedelta(days=2))
    personas.login(client, "member")
    assert client.get(personas.url("meetings:next"))["Location"] == meeting.get_absolute_url()
    services.meeting_close(meeting=meeting, by=personas.president.user)
    assert client.get(personas.url("meetings:next"))["Location"] == following.get_absolute_url()
    home = client.get(personas.url("chapters:home")).content.decode()
    assert following.get_absolute_url() in home and meeting.get_absolute_url() not in home


def test_meeting_list_reads_attendance_of_a_closed_meeting_as_final(client, personas):
    from datetime import timedelta

    meeting = meeting_started(personas.chapter, ago=timedelta(hours=4))  # over, not closed yet
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present")
    personas.login(client, "president")
    past = client.get(personas.url("meetings:list")).content.decode().split(">Past</h2>", 1)[1]
    assert "1 so far (1 marked)" in past  # under way: provisional
    services.meeting_close(meeting=meeting, by=personas.president.user)
    past = client.get(personas.url("meetings:list")).content.decode().split(">Past</h2>", 1)[1]
    assert "1 of 5" in past and "marked" not in past  # closed: everyone has a mark

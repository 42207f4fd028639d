"""A cancelled meeting takes nothing new, and a cancellation made by mistake can be undone."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from leadsgroups.formats import format_date
from meetings import models, services
from members.models import AuditEvent, Notification
from tests.meetings.factories import AttendanceFactory, MeetingFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled(personas):
    # a week ahead: a meeting that is over needs a reason to come back (tests/meetings/test_past_meetings.py)
    meeting = MeetingFactory(chapter=personas.chapter, local_date=date.today() + timedelta(days=7))
    return services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="Bank holiday")


def test_leader_reinstates_a_cancelled_meeting_on_the_audit_trail(client, personas, cancelled):
    personas.login(client, "vice_president")
    html = client.get(personas.url("meetings:detail", cancelled.pk)).content.decode()
    assert 'data-testid="reinstate-meeting"' in html
    response = client.post(personas.url("meetings:reinstate", cancelled.pk))
    assert response.status_code == 302
    cancelled.refresh_from_db()
    assert cancelled.status == models.Meeting.Status.SCHEDULED and cancelled.cancel_reason == ""
    event = AuditEvent.objects.get(action="meeting.reinstated")
    assert event.actor == personas.vice_president.user and event.chapter == personas.chapter
    assert event.before == {"status": "cancelled", "cancel_reason": "Bank holiday"}
    assert event.after == {"status": "scheduled"}


def test_reinstated_meeting_keeps_its_earlier_marks_and_is_under_way_again(personas):
    meeting = meeting_started(personas.chapter)
    AttendanceFactory(meeting=meeting, membership=personas.member, status="present")
    services.meeting_cancel(meeting=meeting, by=personas.president.user, reason="Fire alarm")
    services.meeting_reinstate(meeting=meeting, by=personas.president.user)
    meeting.refresh_from_db()
    assert meeting.status == models.Meeting.Status.OPEN and meeting.attendances.get().status == "present"


def test_only_a_cancelled_meeting_can_be_reinstated(client, personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    with pytest.raises(ValidationError, match="Only a cancelled meeting"):
        services.meeting_reinstate(meeting=meeting, by=personas.president.user)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:reinstate", meeting.pk), follow=True)
    assert "Only a cancelled meeting can be reinstated" in response.content.decode()
    assert not AuditEvent.objects.filter(action="meeting.reinstated").exists()


def test_member_sees_no_reinstate_button_and_cannot_reinstate(client, personas, cancelled):
    personas.login(client, "member")
    assert b"reinstate-meeting" not in client.get(personas.url("meetings:detail", cancelled.pk)).content
    assert client.post(personas.url("meetings:reinstate", cancelled.pk)).status_code == 403
    assert models.Meeting.objects.get(pk=cancelled.pk).status == models.Meeting.Status.CANCELLED


def test_no_testimonial_on_a_cancelled_meeting(client, personas, cancelled):
    with pytest.raises(ValidationError, match="cancelled"):
        services.testimonial_add(meeting=cancelled, given_by=personas.member, about=personas.member2,
                                 text="Great work", by=personas.president.user)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:testimonial-add", cancelled.pk), {
        "testimonial-given_by": personas.member.pk, "testimonial-about": personas.member2.pk,
        "testimonial-text": "Great work",
    })
    assert response.status_code == 200 and b"The meeting is cancelled" in response.content
    assert not models.Testimonial.objects.exists()


def test_no_visitor_on_a_cancelled_meeting(personas, cancelled):
    with pytest.raises(ValidationError, match="cancelled"):
        services.visitor_add(meeting=cancelled, by=personas.president.user, name="Vera Visitor")
    assert not models.Visitor.objects.exists()


def test_no_presentation_on_a_cancelled_meeting(personas, cancelled):
    with pytest.raises(ValidationError):
        services.presentation_add(meeting=cancelled, presenter=personas.member, kind="feature", topic="",
                                  by=personas.president.user)
    assert not models.Presentation.objects.exists()


def test_a_stale_meeting_object_cannot_sneak_a_testimonial_past_a_cancellation(personas):
    stale = MeetingFactory(chapter=personas.chapter)
    services.meeting_cancel(meeting=models.Meeting.objects.get(pk=stale.pk), by=personas.president.user, reason="Snow")
    assert stale.status == models.Meeting.Status.SCHEDULED  # the caller's copy does not know yet
    with pytest.raises(ValidationError):
        services.testimonial_add(meeting=stale, given_by=personas.member, about=personas.member2, text="Hi",
                                 by=personas.president.user)


def _run_sheet(personas):
    """A meeting with a feature presentation and the education moment booked, and the next two meetings."""
    from tests.meetings.factories import PresentationFactory

    first, second, third = (MeetingFactory(chapter=personas.chapter) for _ in range(3))
    feature = PresentationFactory(meeting=first, presenter=personas.member, topic="Roof repairs")
    education = PresentationFactory(meeting=first, presenter=personas.member2, kind="education", topic="Tax")
    return first, second, third, feature, education


def test_cancel_page_lists_the_booked_run_sheet_and_offers_to_move_it(client, personas):
    """Issue 4: leadership cancelling a meeting with presentations booked is told, and offered the next meeting."""
    first, second, _third, _feature, _education = _run_sheet(personas)
    personas.login(client, "president")
    html = client.get(personas.url("meetings:move", first.pk)).content.decode()
    booked = html.split('data-testid="booked-presentations"', 1)[1].split("</div>", 1)[0]
    assert "Feature presentation: Mona Member" in booked and "Education moment: Max Member" in booked
    assert 'name="move_presentations"' in html and "checked" in html.split('name="move_presentations"', 1)[1].split(">", 1)[0]
    assert f"Move them to the next meeting, {format_date(second.local_date, 'MMMMEEEEd')}" in html
    # no run sheet: no checkbox
    empty = MeetingFactory(chapter=personas.chapter)
    assert 'name="move_presentations"' not in client.get(personas.url("meetings:move", empty.pk)).content.decode()

    response = client.post(personas.url("meetings:cancel", first.pk), {"reason": "Bank holiday",
                                                                      "move_presentations": "on"}, follow=True)
    assert f"Moved to {format_date(second.local_date, 'MMMMEEEEd')}" in response.content.decode()
    assert set(second.presentations.values_list("presenter__user__full_name", "kind")) == {
        ("Mona Member", "feature"), ("Max Member", "education")}
    assert not first.presentations.exists()
    moved = AuditEvent.objects.filter(action="presentation.moved")
    assert moved.count() == 2 and all(e.actor == personas.president.user and e.reason == "Bank holiday" for e in moved)
    notice = Notification.objects.get(user=personas.member.user)
    # the site's English (en-gb): "Thu 3 Sept", whatever day the run lives on
    assert notice.title == f"Your feature presentation moves to {format_date(second.local_date, 'MMMEd')}"
    assert "Roof repairs" in notice.body and notice.url == second.get_absolute_url()
    assert Notification.objects.filter(user=personas.member2.user, title__contains="education moment moves").exists()
    assert services.meeting_after(meeting=first) == second


def test_cancel_without_moving_keeps_the_run_sheet_and_tells_the_presenters(client, personas):
    first, second, _third, feature, _education = _run_sheet(personas)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:cancel", first.pk), {"reason": "Venue flooded"}, follow=True)
    assert "Still on the cancelled meeting, to rebook on the rota" in response.content.decode()
    assert first.presentations.count() == 2 and not second.presentations.exists()
    notice = Notification.objects.get(user=personas.member.user)
    assert "cancelled: your feature presentation is off" in notice.title and "Venue flooded" in notice.body
    assert not AuditEvent.objects.filter(action="presentation.moved").exists()


def test_a_presenter_already_booked_next_time_keeps_the_slot_on_the_cancelled_meeting(personas):
    from tests.meetings.factories import PresentationFactory

    first, second, _third, feature, education = _run_sheet(personas)
    PresentationFactory(meeting=second, presenter=personas.member, topic="Gutters")  # same slot already there
    meeting = services.meeting_cancel(meeting=first, by=personas.president.user, reason="Holiday",
                                      move_presentations=True)
    assert meeting.run_sheet_moved == [education] and meeting.run_sheet_kept == [feature]
    feature.refresh_from_db()
    assert feature.meeting == first and second.presentations.count() == 2


def test_cancelling_the_last_scheduled_meeting_says_there_is_nowhere_to_move_to(client, personas):
    from tests.meetings.factories import PresentationFactory

    last = MeetingFactory(chapter=personas.chapter)
    PresentationFactory(meeting=last, presenter=personas.member)
    personas.login(client, "president")
    html = client.get(personas.url("meetings:move", last.pk)).content.decode()
    assert "No later meeting is scheduled" in html and 'name="move_presentations"' not in html


def test_an_education_moment_does_not_join_one_already_booked_at_the_next_meeting(personas):
    from tests.meetings.factories import PresentationFactory

    first, second, _third, feature, education = _run_sheet(personas)
    PresentationFactory(meeting=second, presenter=personas.treasurer, kind="education")
    meeting = services.meeting_cancel(meeting=first, by=personas.president.user, reason="Holiday",
                                      move_presentations=True)
    assert meeting.run_sheet_moved == [feature] and meeting.run_sheet_kept == [education]
    assert second.presentations.filter(kind="education").count() == 1

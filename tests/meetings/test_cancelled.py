"""A cancelled meeting takes nothing new, and a cancellation made by mistake can be undone."""

import pytest
from django.core.exceptions import ValidationError

from meetings import models, services
from members.models import AuditEvent
from tests.meetings.factories import AttendanceFactory, MeetingFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled(personas):
    meeting = MeetingFactory(chapter=personas.chapter)
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

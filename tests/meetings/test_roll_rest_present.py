"""Issue 17 (item 1): "mark everyone not yet marked present", so a president marks the exceptions
only, with an undo offered for a few seconds."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from meetings.models import Attendance
from meetings.views import REST_PRESENT_UNDO_SECONDS
from tests.meetings.factories import AttendanceFactory, meeting_started

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting(personas):
    return meeting_started(personas.chapter)


def _marks(meeting) -> dict[int, str]:
    return dict(Attendance.objects.filter(meeting=meeting).values_list("membership_id", "status"))


def test_everyone_not_yet_marked_becomes_present_and_the_exceptions_keep_their_marks(client, personas, meeting):
    AttendanceFactory(meeting=meeting, membership=personas.member, status="medical")
    personas.login(client, "president")
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'data-testid="rest-present"' in page and "Mark everyone not yet marked present" in page
    response = client.post(personas.url("meetings:roll-rest-present", meeting.pk), follow=True)
    marks = _marks(meeting)
    assert marks.pop(personas.member.pk) == "medical"
    expected = {r.pk for r in personas.chapter.memberships.filter(status__in=("active", "probation"))}
    assert set(marks) == expected - {personas.member.pk} and set(marks.values()) == {"present"}
    html = response.content.decode()
    assert f"{len(marks)} members marked present." in html
    assert 'data-testid="rest-undo"' in html and 'data-testid="rest-present"' not in html  # nobody left unmarked


def test_undo_unmarks_the_batch_but_keeps_a_mark_changed_since(client, personas, meeting):
    personas.login(client, "president")
    client.post(personas.url("meetings:roll-rest-present", meeting.pk))
    # another leader re-marks one of them late meanwhile: that mark is theirs and stays
    Attendance.objects.filter(meeting=meeting, membership=personas.member2).update(
        status="late", recorded_by=personas.vice_president.user)
    response = client.post(personas.url("meetings:roll-rest-undo", meeting.pk), follow=True)
    assert _marks(meeting) == {personas.member2.pk: "late"}
    assert "are unmarked again" in response.content.decode()


def test_undo_is_refused_after_a_few_seconds(client, personas, meeting):
    personas.login(client, "president")
    client.post(personas.url("meetings:roll-rest-present", meeting.pk))
    marked = _marks(meeting)
    with time_machine.travel(timezone.now() + timedelta(seconds=REST_PRESENT_UNDO_SECONDS + 1)):
        assert 'data-testid="rest-undo"' not in client.get(meeting.get_absolute_url()).content.decode()
        response = client.post(personas.url("meetings:roll-rest-undo", meeting.pk), follow=True)
    assert "Too late to undo" in response.content.decode()
    assert _marks(meeting) == marked


def test_members_cannot_mark_everyone_and_a_closed_meeting_is_refused(client, personas, meeting):
    personas.login(client, "member")
    assert client.post(personas.url("meetings:roll-rest-present", meeting.pk)).status_code in (403, 404)
    assert not _marks(meeting)
    from meetings import services

    services.meeting_close(meeting=meeting, by=personas.president.user)
    personas.login(client, "president")
    response = client.post(personas.url("meetings:roll-rest-present", meeting.pk), follow=True)
    assert "The meeting is closed" in response.content.decode()


def test_the_buttons_in_german(client, personas, meeting):
    personas.president.user.language = "de"
    personas.president.user.save(update_fields=["language"])
    personas.login(client, "president")
    html = client.post(personas.url("meetings:roll-rest-present", meeting.pk), follow=True).content.decode()
    assert "Mitglieder als anwesend markiert." in html and "Rückgängig" in html

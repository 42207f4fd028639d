"""The writes a member and leadership make in the browser, through the same forms and services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from meetings.models import Attendance, Meeting
from members.models import AuditEvent, Notification
from referrals.models import OneToOne, Referral, ReferralEvent, ThankYou
from tests.api.access import _closed_meeting_with_a_mark, _meeting
from tests.api.conftest import errors_at, url
from tests.factories import MembershipFactory
from tests.referrals.factories import OneToOneFactory, ReferralFactory


def _today(personas):
    return timezone.localdate(timezone=personas.chapter.tz)


OUTSIDE = {"kind": "outside", "prospect_name": "Petra Prospect", "prospect_phone": "+44 7700 900123",
           "consent": "stated", "temperature": 4, "notes": "Wants a quote by Friday"}


# Logging a referral ------------------------------------------------------------------------------------


def test_a_logged_referral_is_recorded_and_the_receiver_told(personas, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = api.post(url("referral_create", personas.chapter), api.token(personas.member),
                            body={"receiver_id": personas.president.pk, **OUTSIDE})
    assert response.status_code == 201
    body = response.json()
    referral = Referral.objects.get(pk=body["id"])
    assert (referral.giver, referral.receiver, referral.temperature) == (personas.member, personas.president, 4)
    assert body["prospect"]["name"] == "Petra Prospect"  # the giver sees what they passed
    assert ReferralEvent.objects.filter(referral=referral, action="created", actor=personas.member.user).exists()
    notice = Notification.objects.get(user=personas.president.user, kind=Notification.Kind.REFERRAL_RECEIVED)
    assert notice.title == "Mona Member passed you a referral" and notice.url.endswith(f"/referrals/{referral.pk}/")


def test_the_browser_s_validation_answers_422_field_by_field(personas, api):
    token = api.token(personas.member)
    missing = api.post(url("referral_create", personas.chapter), token,
                       body={"receiver_id": personas.president.pk, "kind": "outside"})
    assert errors_at(missing, "prospect_name") == ["Who is the prospect?"]
    assert errors_at(missing, "prospect_phone") == ["Give a phone number or an email address for the prospect."]
    assert errors_at(missing, "consent") == ["Say whether the prospect agreed to be contacted."]
    to_myself = api.post(url("referral_create", personas.chapter), token,
                         body={"receiver_id": personas.member.pk, "kind": "inside"})
    assert errors_at(to_myself, "receiver_id") == ["Choose an active member of this chapter (not yourself)."]
    bad_phone = api.post(url("referral_create", personas.chapter), token,
                         body={"receiver_id": personas.president.pk, **OUTSIDE, "prospect_phone": "call me"})
    assert errors_at(bad_phone, "prospect_phone")[0].startswith("Enter a phone number")
    assert not Referral.objects.exists()


def test_a_receiver_on_leave_is_named(personas, api):
    away = MembershipFactory(chapter=personas.chapter, status="on_leave")
    response = api.post(url("referral_create", personas.chapter), api.token(personas.member),
                        body={"receiver_id": away.pk, "kind": "inside"})
    assert errors_at(response, "receiver_id") == ["Choose an active member of this chapter (not yourself)."]


def test_the_schema_refuses_what_no_form_would_accept(personas, api):
    response = api.post(url("referral_create", personas.chapter), api.token(personas.member),
                        body={"receiver_id": personas.president.pk, "kind": "inside", "temperature": 9})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "temperature"


def test_a_receiver_of_another_chapter_cannot_be_named(personas, api):
    response = api.post(url("referral_create", personas.chapter), api.token(personas.member),
                        body={"receiver_id": personas.outsider.pk, "kind": "inside"})
    assert errors_at(response, "receiver_id")
    assert not Referral.objects.exists()


# Moving a referral -------------------------------------------------------------------------------------


@pytest.fixture
def referral(personas):
    return ReferralFactory(giver=personas.member, receiver=personas.president)


def _move(api, personas, referral, who="president", **body):
    return api.post(url("referral_move", personas.chapter, referral_id=referral.pk), api.token(personas.user(who)),
                    body=body)


def test_the_receiver_moves_it_on_and_the_giver_is_told(personas, api, referral):
    response = _move(api, personas, referral, to="accepted", note="Calling her today")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    assert response.json()["next_statuses"] == ["contacted", "lost", "declined"]
    event = ReferralEvent.objects.get(referral=referral, action="status")
    assert (event.from_status, event.to_status, event.note, event.actor) == (
        "given", "accepted", "Calling her today", personas.president.user)
    notice = Notification.objects.get(user=personas.member.user, kind=Notification.Kind.REFERRAL_UPDATED)
    assert notice.title == "Paula President accepted your referral"


def test_won_with_its_value_thanks_the_giver(personas, api, referral):
    Referral.objects.filter(pk=referral.pk).update(status="contacted")
    response = _move(api, personas, referral, to="won", value="2400.00", closed_on=_today(personas).isoformat(),
                     business_type="new", note="Thanks!")
    assert response.status_code == 200 and response.json()["closed_value"] == "2400.00"
    assert ThankYou.objects.get(referral=referral).value == 2400
    assert Notification.objects.filter(user=personas.member.user, kind=Notification.Kind.THANK_YOU).exists()


def test_won_needs_its_value_date_and_kind(personas, api, referral):
    Referral.objects.filter(pk=referral.pk).update(status="contacted")
    response = _move(api, personas, referral, to="won")
    assert errors_at(response, "value") and errors_at(response, "closed_on") and errors_at(response, "business_type")
    future = _move(api, personas, referral, to="won", value="10", business_type="new",
                   closed_on=(_today(personas) + timedelta(days=2)).isoformat())
    assert errors_at(future, "closed_on") == ["The date cannot be in the future."]
    assert not ThankYou.objects.exists()


def test_a_move_the_lifecycle_does_not_allow_is_422(personas, api, referral):
    response = _move(api, personas, referral, to="won", value="10", business_type="new",
                     closed_on=_today(personas).isoformat())
    assert errors_at(response, "to") == [
        "A referral that is given cannot become won; it can become: accepted, declined by receiver."
    ]
    declined = _move(api, personas, referral, to="declined")
    assert errors_at(declined, "reason") == ["Say why you decline this referral."]
    assert Referral.objects.get(pk=referral.pk).status == "given"


@pytest.mark.parametrize("who", ["member", "treasurer"])
def test_only_the_receiver_moves_it(personas, api, referral, who):
    response = _move(api, personas, referral, who=who, to="accepted")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only the member who received this referral can change its status."


# One-to-ones ------------------------------------------------------------------------------------------------


def test_a_one_to_one_is_recorded_and_the_other_asked_to_confirm(personas, api):
    met_on = _today(personas) - timedelta(days=1)
    response = api.post(url("one_to_one_create", personas.chapter), api.token(personas.member),
                        body={"other_id": personas.member2.pk, "met_on": met_on.isoformat(), "notes": "Coffee"})
    assert response.status_code == 201 and response.json()["status"] == "pending"
    one = OneToOne.objects.get()
    assert (one.initiator, one.other, one.met_on, one.notes) == (personas.member, personas.member2, met_on, "Coffee")
    assert Notification.objects.filter(user=personas.member2.user, kind=Notification.Kind.ONE_TO_ONE).exists()


def test_recording_the_other_s_one_to_one_confirms_it(personas, api):
    met_on = _today(personas) - timedelta(days=3)
    theirs = OneToOneFactory(initiator=personas.member2, other=personas.member, met_on=met_on)
    response = api.post(url("one_to_one_create", personas.chapter), api.token(personas.member),
                        body={"other_id": personas.member2.pk, "met_on": met_on.isoformat()})
    assert response.status_code == 201 and response.json()["id"] == theirs.pk
    assert OneToOne.objects.get().status == "confirmed"


def test_a_one_to_one_in_the_future_or_with_oneself_is_refused(personas, api):
    token = api.token(personas.member)
    future = api.post(url("one_to_one_create", personas.chapter), token,
                      body={"other_id": personas.member2.pk, "met_on": (_today(personas) + timedelta(days=1)).isoformat()})
    assert errors_at(future, "met_on") == ["The date cannot be in the future."]
    myself = api.post(url("one_to_one_create", personas.chapter), token,
                      body={"other_id": personas.member.pk, "met_on": _today(personas).isoformat()})
    assert errors_at(myself, "other_id")
    assert not OneToOne.objects.exists()


# Attendance -----------------------------------------------------------------------------------------------


def _mark(api, personas, meeting, membership, who="vice_president", **body):
    return api.put(url("attendance_mark", personas.chapter, meeting_id=meeting.pk, membership_id=membership.pk),
                   api.token(personas.user(who)), body=body)


def test_leadership_marks_attendance_while_roll_call_is_open(personas, api):
    meeting = _meeting(personas)
    response = _mark(api, personas, meeting, personas.member, status="substitute", substitute_name="Sam Stand-in",
                     substitute_business="Stand-in Ltd")
    assert response.status_code == 200
    assert response.json() | {"recorded_at": None} == {
        "membership_id": personas.member.pk, "name": "Mona Member", "on_leave": False, "status": "substitute",
        "substitute_name": "Sam Stand-in", "substitute_business": "Stand-in Ltd", "recorded_at": None}
    mark = Attendance.objects.get(meeting=meeting, membership=personas.member)
    assert (mark.status, mark.recorded_by) == ("substitute", personas.vice_president.user)
    assert Meeting.objects.get(pk=meeting.pk).status == "open"
    again = _mark(api, personas, meeting, personas.member, status="present")  # the latest mark wins
    assert again.json()["status"] == "present" and again.json()["substitute_name"] == ""


def test_a_substitute_needs_a_name_who_is_not_a_member(personas, api):
    meeting = _meeting(personas)
    assert errors_at(_mark(api, personas, meeting, personas.member, status="substitute"), "substitute_name") == [
        "Enter the substitute's name."]
    member = _mark(api, personas, meeting, personas.member, status="substitute", substitute_name="Max Member")
    assert errors_at(member, "substitute_name") == ["A substitute cannot be a member of this chapter."]


def test_marks_wait_for_the_roll_call_to_open_and_stop_when_closed(personas, api):
    tomorrow = _meeting(personas, starts_in=timedelta(days=1))
    early = _mark(api, personas, tomorrow, personas.member, status="present")
    assert early.status_code == 422 and early.json()["detail"][0]["msg"].startswith("Roll call opens 2 hours")
    closed = _closed_meeting_with_a_mark(personas)
    late = _mark(api, personas, closed, personas.member, status="absent")
    assert late.json()["detail"][0]["msg"] == "The meeting is closed: marks can no longer change."
    assert Attendance.objects.get(meeting=closed, membership=personas.member).status == "present"


def test_a_seat_of_another_chapter_is_404(personas, api):
    response = _mark(api, personas, _meeting(personas), personas.outsider, status="present")
    assert response.status_code == 404


def test_a_closed_meeting_s_mark_is_corrected_with_a_reason_on_the_audit_trail(personas, api):
    meeting = _closed_meeting_with_a_mark(personas)
    path = url("attendance_correct", personas.chapter, meeting_id=meeting.pk, membership_id=personas.member.pk)
    token = api.token(personas.president)
    without = api.post(path, token, body={"status": "late", "reason": ""})
    assert errors_at(without, "reason")
    response = api.post(path, token, body={"status": "late", "reason": "Arrived at 7:20, after the pitches"})
    assert response.status_code == 200 and response.json()["status"] == "late"
    event = AuditEvent.objects.get(action="attendance.corrected")
    assert (event.actor, event.reason, event.before["status"], event.after["status"]) == (
        personas.president.user, "Arrived at 7:20, after the pitches", "present", "late")


def test_an_open_meeting_is_not_corrected_but_marked(personas, api):
    meeting = _meeting(personas)
    response = api.post(url("attendance_correct", personas.chapter, meeting_id=meeting.pk,
                            membership_id=personas.member.pk), api.token(personas.president),
                        body={"status": "late", "reason": "Arrived late"})
    assert response.status_code == 422
    assert not AuditEvent.objects.filter(action="attendance.corrected").exists()

"""Every consequential act leaves one audit event: who, what, before and after; none can be changed."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory

from chapters.access import access_for
from chapters.services import chapter_update
from enforcement import review, services
from enforcement.models import ExpulsionCase, Fine
from enforcement.periods import local_today
from meetings.models import Attendance
from meetings.services import attendance_correct, visitor_convert
from members.models import AuditEvent, Membership
from members.services import invitation_accept, invitation_create, membership_change
from referrals.services import referral_prospect_erase
from tests.enforcement.factories import (
    AttendanceFactory,
    ChapterRulesFactory,
    ExpulsionCaseFactory,
    FineFactory,
    MeetingFactory,
    ReferralFactory,
)
from tests.meetings.factories import VisitorFactory

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def last(action: str) -> AuditEvent:
    events = list(AuditEvent.objects.filter(action=action))
    assert len(events) == 1, f"expected one {action!r} event, got {len(events)}"
    return events[0]


def test_role_change(personas):
    membership_change(membership=personas.member, by=personas.president.user, role=Membership.Role.VICE_PRESIDENT)
    e = last("membership.changed")
    assert e.actor == personas.president.user and e.chapter == personas.chapter
    assert e.before["role"] == "member" and e.after["role"] == "vice_president"


def test_status_change_with_reason(personas):
    membership_change(membership=personas.member, by=personas.president.user, status=Membership.Status.ON_LEAVE,
                      reason="Parental leave")
    e = last("membership.changed")
    assert (e.before["status"], e.after["status"], e.reason) == ("active", "on_leave", "Parental leave")


def test_member_removed(personas):
    membership_change(membership=personas.member2, by=personas.region_staff, status=Membership.Status.RESIGNED,
                      reason="Moved away")
    e = last("membership.changed")
    assert e.after["status"] == "resigned" and e.actor == personas.region_staff


def test_member_added_by_invitation(personas):
    invitation, link = invitation_create(chapter=personas.chapter, email="new@example.com", full_name="Nina New",
                                         role="member", classification=None, invited_by=personas.president.user)
    assert last("invitation.created").actor == personas.president.user
    membership = invitation_accept(invitation=invitation, user=None, full_name="Nina New", password="pw-for-tests-1")
    e = last("membership.joined")
    assert e.target_id == str(membership.pk) and e.after["status"] == "active"


def test_member_added_from_a_visitor(personas):
    visitor = VisitorFactory(meeting=MeetingFactory(chapter=personas.chapter))
    membership = visitor_convert(visitor=visitor, by=personas.vice_president.user)
    e = last("visitor.converted")
    assert e.target_id == str(membership.pk) and e.actor == personas.vice_president.user


def test_fine_issued_paid_and_waived(personas):
    Membership.objects.filter(pk=personas.member.pk).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, absences_allowed=0, fine_absence=Decimal("10.00"),
                        expulsion_violations=9)
    for day in (date(2026, 2, 4), date(2026, 2, 11)):
        AttendanceFactory(meeting=MeetingFactory(chapter=personas.chapter, local_date=day), membership=personas.member,
                          status=Attendance.Status.ABSENT)
    fines = services.chapter_enforce(chapter=personas.chapter, now=NOW).fines
    issued = AuditEvent.objects.filter(action="fine.issued")
    assert issued.count() == 2 and {e.target_id for e in issued} == {str(f.pk) for f in fines}
    assert issued.first().actor is None and issued.first().after["amount"] == "10.00"
    services.fine_resolve(fine=fines[0], by=personas.treasurer.user, status=Fine.Status.PAID)
    services.fine_resolve(fine=fines[1], by=personas.treasurer.user, status=Fine.Status.WAIVED, reason="Flood")
    assert last("fine.paid").after == {"status": "paid"}
    waived = last("fine.waived")
    assert waived.reason == "Flood" and waived.before == {"status": "open"} and waived.actor == personas.treasurer.user


def test_attendance_corrected_after_close(personas):
    meeting = MeetingFactory(chapter=personas.chapter)
    AttendanceFactory(meeting=meeting, membership=personas.member, status=Attendance.Status.ABSENT)
    attendance_correct(meeting=meeting, membership=personas.member, status=Attendance.Status.MEDICAL,
                       by=personas.vice_president.user, reason="Doctor's note")
    e = last("attendance.corrected")
    assert (e.before["status"], e.after["status"], e.reason) == ("absent", "medical", "Doctor's note")


def test_rules_changed(personas):
    services.rules_create(chapter=personas.chapter, by=personas.president.user, data={"absences_allowed": 3},
                          effective_from=date.today() + timedelta(days=1), reason="First rules")
    services.rules_create(chapter=personas.chapter, by=personas.president.user, data={"absences_allowed": 4},
                          effective_from=date.today() + timedelta(days=2), reason="Kinder")
    events = AuditEvent.objects.filter(action="rules.version_created").order_by("pk")
    assert events.count() == 2
    assert events[1].before == {"absences_allowed": 3} and events[1].after == {"absences_allowed": 4}


def test_chapter_settings_changed(personas):
    chapter_update(chapter=personas.chapter, by=personas.org_admin, data={"venue": "The Old Mill"})
    assert last("chapter.settings_changed").after == {"venue": "The Old Mill"}


def test_prospect_data_erased(personas):
    referral = ReferralFactory(giver=personas.member, receiver=personas.member2, prospect_email="pat@example.com")
    access = access_for(personas.president.user, personas.chapter)
    referral_prospect_erase(referral=referral, access=access, reason="Prospect asked")
    e = last("referral.prospect_erased")
    assert e.reason == "Prospect asked" and e.before["prospect_email"] is True
    assert "pat@example.com" not in str(e.before) + str(e.after) + e.summary  # the erased data is not kept here


def test_case_opened_recommended_appealed_waived_decided(personas):
    case = ExpulsionCaseFactory(membership=personas.member)
    review.case_recommend(case=case, by=personas.president.user, recommendation="probation", note="One chance")
    rec = last("case.recommended")
    assert rec.after == {"recommendation": "probation", "note": "One chance"} and rec.actor == personas.president.user
    review.case_appeal(case=case, by=personas.member.user, text="I was ill")
    appeal = last("case.appealed")
    assert appeal.reason == "I was ill" and appeal.actor == personas.member.user
    review.case_appeal_waive(case=case, by=personas.member.user)
    assert last("case.appeal_waived").actor == personas.member.user
    review.case_decide(case=case, by=personas.org_admin, decision="probation", reason="Ill, but warned",
                       probation_until=date.today() + timedelta(days=60), conditions="Attend every meeting")
    decided = last("case.decided")
    assert decided.reason == "Ill, but warned" and decided.after["decision"] == "probation"
    assert decided.after["membership_status"] == "probation" and decided.actor == personas.org_admin
    status = last("membership.changed")
    assert status.after["status"] == "probation" and status.actor == personas.org_admin


def test_case_opened_by_enforcement(personas):
    Membership.objects.filter(pk=personas.member.pk).update(joined_on=date(2024, 1, 1))
    ChapterRulesFactory(chapter=personas.chapter, absences_allowed=0, expulsion_violations=1)
    AttendanceFactory(meeting=MeetingFactory(chapter=personas.chapter, local_date=date(2026, 2, 4)),
                      membership=personas.member, status=Attendance.Status.ABSENT)
    [case] = services.chapter_enforce(chapter=personas.chapter, now=NOW).cases
    assert last("case.opened").target_id == str(case.pk)


def test_expulsion_and_probation_lifted(personas):
    case = ExpulsionCaseFactory(membership=personas.member, appeal_waived_at=NOW)
    review.case_decide(case=case, by=personas.region_staff, decision="expel", reason="Never attends")
    assert last("case.decided").after["membership_status"] == "expelled"
    other = ExpulsionCaseFactory(membership=personas.member2, appeal_waived_at=NOW)
    review.case_decide(case=other, by=personas.org_admin, decision="probation", reason="Warned twice by the president.",
                       probation_until=local_today(personas.chapter.tz, datetime.now(UTC)) + timedelta(days=1),
                       conditions="Attend")
    review.probation_lift(case_id=other.pk, now=datetime.now(UTC) + timedelta(days=3))
    lifted = last("case.probation_lifted")
    assert lifted.actor is None and lifted.after == {"membership_status": "active"}


# Records cannot be changed -----------------------------------------------------------------------


def test_audit_events_cannot_be_edited_or_deleted(personas):
    membership_change(membership=personas.member, by=personas.president.user, role=Membership.Role.VICE_PRESIDENT)
    event = AuditEvent.objects.get()
    event.summary = "Nothing happened"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(summary="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().summary != "Nothing happened"


@pytest.mark.parametrize("model", [AuditEvent, ExpulsionCase])
def test_the_django_admin_cannot_change_or_delete_audit_events_or_case_decisions(personas, model):
    request = RequestFactory().get("/admin/")
    request.user = personas.org_admin
    request.user.is_superuser = True
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_an_expulsion_case_fine_keeps_its_audit_even_when_resolved(personas):
    fine = FineFactory(membership=personas.member)
    services.fine_resolve(fine=fine, by=personas.treasurer.user, status=Fine.Status.PAID)
    assert AuditEvent.objects.filter(action="fine.paid", target_id=str(fine.pk)).count() == 1


def test_seats_added_and_removed_in_the_django_admin_are_audited(client, personas):
    from tests.factories import ClassificationFactory

    admin_user = personas.org_admin
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    user = personas.outsider.user
    response = client.post("/admin/members/membership/add/", {
        "user": user.pk, "chapter": personas.chapter.pk, "classification": ClassificationFactory().pk,
        "business_name": "", "joined_on": "2026-01-05", "renewal_due": "", "left_on": "",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    added = last("membership.admin_added")
    assert added.actor == admin_user and added.chapter == personas.chapter
    seat = Membership.objects.get(user=user, chapter=personas.chapter)
    response = client.post(f"/admin/members/membership/{seat.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert last("membership.admin_deleted").target_id == str(seat.pk)


def test_the_django_admin_cannot_delete_a_fine(personas):
    """Deleting a fine there would leave no audit event and pull evidence out from under a case."""
    request = RequestFactory().get("/admin/")
    request.user = personas.org_admin
    request.user.is_superuser = True
    model_admin = admin.site._registry[Fine]
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_add_permission(request)

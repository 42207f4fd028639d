import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from members.models import AuditEvent, Membership, Notification
from members.services import membership_change
from tests.factories import MembershipFactory


def test_one_seated_member_per_classification_is_enforced_by_the_database(personas):
    with pytest.raises(IntegrityError):
        MembershipFactory(chapter=personas.chapter, classification=personas.member.classification)


def test_a_departed_members_classification_is_free_again(personas):
    membership_change(membership=personas.member, by=personas.president.user, status="resigned", reason="Moved away")
    MembershipFactory(chapter=personas.chapter, classification=personas.member.classification)


def test_status_change_needs_a_reason(personas):
    with pytest.raises(ValidationError, match="Say why"):
        membership_change(membership=personas.member, by=personas.president.user, status="probation")


def test_role_change_is_audited_and_notified(personas):
    membership_change(membership=personas.member, by=personas.president.user, role="vice_president")
    event = AuditEvent.objects.get(action="membership.changed")
    assert event.actor == personas.president.user
    assert event.before["role"] == "member" and event.after["role"] == "vice_president"
    assert Notification.objects.filter(user=personas.member.user, kind="membership").exists()


def test_expelling_an_officer_vacates_the_office(personas):
    m = membership_change(membership=personas.vice_president, by=personas.president.user, status="expelled", reason="x")
    assert m.role == Membership.Role.MEMBER and m.left_on is not None


def test_edit_form_refuses_a_held_classification_with_a_clear_message(client, personas):
    personas.login(client, "president")
    response = client.post(
        personas.url("chapters:member-edit", personas.member.pk),
        {"role": "member", "status": "active", "classification": personas.member2.classification.pk, "reason": ""},
    )
    assert response.status_code == 200
    assert "already holds this classification" in response.content.decode()
    personas.member.refresh_from_db()
    assert personas.member.classification != personas.member2.classification


def test_edit_form_requires_a_reason_for_status(client, personas):
    personas.login(client, "president")
    response = client.post(
        personas.url("chapters:member-edit", personas.member.pk),
        {"role": "member", "status": "on_leave", "classification": personas.member.classification.pk, "reason": ""},
    )
    assert "Say why the status changes" in response.content.decode()


def test_expelled_member_loses_access(client, personas):
    membership_change(membership=personas.member, by=personas.president.user, status="expelled", reason="x")
    personas.login(client, "member")
    assert client.get(personas.url("chapters:home")).status_code == 404


def test_audit_events_cannot_be_changed_or_deleted(personas):
    membership_change(membership=personas.member, by=personas.president.user, role="vice_president")
    event = AuditEvent.objects.get()
    event.summary = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(summary="x")


def test_admin_cannot_edit_or_delete_audit_events(client, personas):
    from django.contrib.admin.sites import site

    admin = site._registry[AuditEvent]
    request = type("R", (), {"user": personas.org_admin})()
    assert not admin.has_change_permission(request) and not admin.has_delete_permission(request)


def _edit(client, personas, who, target, **data):
    personas.login(client, who)
    base = {"role": target.role, "status": target.status, "classification": target.classification.pk, "reason": "x"}
    return client.post(personas.url("chapters:member-edit", target.pk), {**base, **data})


def test_an_officer_cannot_change_their_own_seat(client, personas):
    response = _edit(client, personas, "treasurer", personas.treasurer, role="president")
    assert response.status_code == 403
    personas.treasurer.refresh_from_db()
    assert personas.treasurer.role == "secretary_treasurer"


def test_an_officer_cannot_demote_or_expel_the_president(client, personas):
    response = _edit(client, personas, "vice_president", personas.president, status="expelled", reason="coup")
    assert response.status_code == 403
    personas.president.refresh_from_db()
    assert personas.president.status == "active" and personas.president.role == "president"


def test_only_the_president_or_an_admin_gives_roles(client, personas):
    _edit(client, personas, "vice_president", personas.member, role="vice_president")
    personas.member.refresh_from_db()
    assert personas.member.role == "member"  # the role field is fixed for a vice-president
    _edit(client, personas, "president", personas.member, role="secretary_treasurer")
    personas.member.refresh_from_db()
    assert personas.member.role == "secretary_treasurer"


def test_officers_still_manage_ordinary_members(client, personas):
    response = _edit(client, personas, "vice_president", personas.member, status="on_leave", reason="Surgery")
    assert response.status_code == 302
    personas.member.refresh_from_db()
    assert personas.member.status == "on_leave"


def test_appointing_a_president_hands_the_presidency_over(client, personas):
    _edit(client, personas, "org_admin", personas.member, role="president")
    personas.member.refresh_from_db()
    personas.president.refresh_from_db()
    assert personas.member.role == "president" and personas.president.role == "member"
    assert AuditEvent.objects.filter(target_id=str(personas.president.pk), summary__contains="handed over").exists()


def test_a_chapter_has_one_president_in_the_database(personas):
    with pytest.raises(IntegrityError):
        MembershipFactory(chapter=personas.chapter, role="president")


def test_only_the_president_or_an_admin_invites_officers(client, personas):
    personas.login(client, "vice_president")
    response = client.post(personas.url("chapters:member-invite"), {"email": "x@example.com", "role": "president"})
    assert response.status_code == 200 and "role" in response.context["form"].errors
    personas.login(client, "president")
    response = client.post(personas.url("chapters:member-invite"), {"email": "x@example.com", "role": "vice_president"})
    assert response.status_code == 302


def test_an_applicant_without_a_password_is_told_how_to_choose_one_when_seated(personas):
    applicant = MembershipFactory(chapter=personas.chapter, status="applicant")
    applicant.user.set_unusable_password()
    applicant.user.save()
    membership_change(membership=applicant, by=personas.president.user, status="active", reason="Approved")
    note = Notification.objects.filter(user=applicant.user).latest("pk")
    assert "You have no password yet" in note.body and "/accounts/password/reset/" in note.body
    membership_change(membership=personas.member, by=personas.president.user, status="on_leave", reason="Away")
    assert "no password" not in Notification.objects.filter(user=personas.member.user).latest("pk").body


def test_members_page_offers_edit_only_where_it_is_allowed(client, personas):
    personas.login(client, "vice_president")
    html = client.get(personas.url("chapters:members")).content.decode()
    for seat, allowed in ((personas.member, True), (personas.president, False), (personas.vice_president, False)):
        edit_url = personas.url("chapters:member-edit", seat.pk)
        assert (f'href="{edit_url}"' in html) is allowed, seat
        assert client.get(edit_url).status_code == (200 if allowed else 403)
    personas.login(client, "president")
    html = client.get(personas.url("chapters:members")).content.decode()
    assert f'href="{personas.url("chapters:member-edit", personas.vice_president.pk)}"' in html
    assert f'href="{personas.url("chapters:member-edit", personas.president.pk)}"' not in html

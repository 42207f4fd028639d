"""The Django admin: every registered model's list (with search) and detail open for an organisation admin."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse

from members.models import User


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=open("/dev/null", "w"))


def test_admin_lists_and_detail_pages_open(client, demo):
    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    for model, model_admin in admin.site._registry.items():
        info = model._meta.app_label, model._meta.model_name
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        assert client.get(changelist).status_code == 200, changelist
        if model_admin.search_fields:
            assert client.get(changelist, {"q": "a"}).status_code == 200, changelist
        obj = model._default_manager.order_by("pk").first()
        if obj is not None:
            change = reverse("admin:{}_{}_change".format(*info), args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_region_staff_without_staff_flag_cannot_use_the_admin(client, demo):
    client.force_login(User.objects.get(email="director.north@demo.leadsgroups.org"))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_attendance_and_meeting_status_cannot_be_changed_behind_the_audit(client, demo):
    from meetings.models import Attendance, Meeting

    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    mark = Attendance.objects.exclude(status="medical").first()
    url = reverse("admin:meetings_attendance_change", args=[mark.pk])
    response = client.post(url, {"meeting": mark.meeting_id, "membership": mark.membership_id, "status": "medical"})
    assert response.status_code == 403
    assert Attendance.objects.get(pk=mark.pk).status == mark.status
    meeting = Meeting.objects.filter(status="closed").first()
    url = reverse("admin:meetings_meeting_change", args=[meeting.pk])
    client.post(url, {"chapter": meeting.chapter_id, "kind": meeting.kind, "starts_at_0": meeting.local_date,
                      "starts_at_1": "07:00", "local_date": meeting.local_date, "duration_minutes": 90,
                      "status": "scheduled"})
    assert Meeting.objects.get(pk=meeting.pk).status == "closed"


@pytest.mark.parametrize("app_model", ["enforcement_fine", "enforcement_expulsioncase", "members_auditevent"])
def test_fines_cases_and_audit_events_are_view_only_in_the_admin(client, demo, app_model):
    """Every field is read-only, so the page offers no Save; a forged POST changes nothing."""
    from django.apps import apps

    model = apps.get_model(*app_model.split("_", 1))
    obj = model._default_manager.order_by("pk").first()
    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    changelist = reverse(f"admin:{app_model}_changelist")
    assert client.get(changelist, {"q": "a"}).status_code == 200
    html = client.get(reverse(f"admin:{app_model}_change", args=[obj.pk])).content.decode()
    assert 'name="_save"' not in html and 'name="_continue"' not in html
    assert "Delete" not in html
    assert client.post(reverse(f"admin:{app_model}_change", args=[obj.pk]), {}).status_code == 403


def test_fines_and_cases_can_be_found_by_the_member_name_in_the_admin(client, demo):
    from enforcement.models import ExpulsionCase, Fine

    client.force_login(User.objects.get(email="admin@demo.leadsgroups.org"))
    for model, name in ((Fine, "fine"), (ExpulsionCase, "expulsioncase")):
        obj = model.objects.select_related("membership__user").order_by("pk").first()
        other = model.objects.exclude(membership__user=obj.membership.user).order_by("pk").first()
        html = client.get(reverse(f"admin:enforcement_{name}_changelist"),
                          {"q": obj.membership.user.full_name}).content.decode()
        assert reverse(f"admin:enforcement_{name}_change", args=[obj.pk]) in html
        assert reverse(f"admin:enforcement_{name}_change", args=[other.pk]) not in html

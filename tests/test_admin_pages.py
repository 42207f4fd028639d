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

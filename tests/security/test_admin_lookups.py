"""The Django admin filters only on what it shows: a lookup on a hidden field is refused (400), from every admin.

"Hidden" comes from each admin's own configuration (leadsgroups.admin_privacy.hidden_fields): an
editable field its change form leaves out (`exclude`, or `fields`/`fieldsets` not listing it), for a
registered admin and for an inline. Every registered admin is tried with every hidden field it can
reach: its own, its inlines', and other models' through one or two relations.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from leadsgroups.admin_privacy import HiddenFieldsAdmin, hidden_fields
from members.models import User
from tests.factories import UserFactory
from tests.referrals.factories import ReferralFactory


def _request():
    request = RequestFactory().get("/admin/")
    request.user = User(email="walk@example.com", is_staff=True, is_superuser=True, is_active=True)
    return request


def _hidden_by_model() -> dict:
    """Model -> fields hidden by its registered admin, or by an inline of it in some admin."""
    request, hidden = _request(), {}
    for model, model_admin in admin.site._registry.items():
        hidden.setdefault(model, set()).update(hidden_fields(model_admin, request))
        for inline in model_admin.get_inline_instances(request):
            fk_to_parent = {f.name for f in inline.model._meta.fields if f.is_relation and f.related_model is model}
            hidden.setdefault(inline.model, set()).update(hidden_fields(inline, request) - fk_to_parent)
    return {model: fields for model, fields in hidden.items() if fields}


HIDDEN = _hidden_by_model()


def _relations(model):
    return [f for f in model._meta.get_fields() if f.is_relation and f.related_model is not None]


def _paths_to_hidden(model) -> list[str]:
    """Lookups from `model`'s admin list to every hidden field within two relations."""
    paths = [name for name in HIDDEN.get(model, ())]
    for first in _relations(model):
        paths += [f"{first.name}__{name}" for name in HIDDEN.get(first.related_model, ())]
        for second in _relations(first.related_model):
            paths += [f"{first.name}__{second.name}__{name}" for name in HIDDEN.get(second.related_model, ())]
    return sorted(set(paths))


ADMINS = sorted(
    (model._meta.label for model in admin.site._registry if _paths_to_hidden(model)),
)


def test_the_hidden_fields_are_those_the_admins_leave_out():
    """The walk below is only as good as this: the prospect fields, the feed's token, the history's note, an API
    token's hash."""
    labels = {model._meta.label: fields for model, fields in HIDDEN.items()}
    assert labels == {
        "referrals.Referral": {"prospect_name", "prospect_email", "prospect_phone", "notes", "decline_reason"},
        "referrals.ReferralEvent": {"note"},  # the referral admin's history inline
        "meetings.CalendarFeed": {"token"},
        "api.ApiToken": {"token_hash"},
    }


def test_every_admin_that_hides_fields_refuses_lookups_on_them_itself():
    request = _request()
    for model, model_admin in admin.site._registry.items():
        if hidden_fields(model_admin, request):
            assert isinstance(model_admin, HiddenFieldsAdmin), model._meta.label


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("label", ADMINS)
def test_no_admin_list_filters_on_a_hidden_field(superuser_client, label):
    model = next(m for m in admin.site._registry if m._meta.label == label)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    assert superuser_client.get(url).status_code == 200  # the list itself opens: a 400 below is the lookup's
    allowed = []
    for path in _paths_to_hidden(model):
        own = "__" not in path  # a field of this model: every kind of lookup; through relations: a prefix
        for lookup in [path, f"{path}__istartswith"] + ([f"{path}__isnull", f"{path}__regex"] if own else []):
            if superuser_client.get(url, {lookup: "P"}).status_code != 400:
                allowed.append(lookup)
    assert not allowed, f"{label}: lookups allowed: {allowed}"


def test_the_referral_list_is_no_oracle_for_a_prospects_name(superuser_client):
    """The issue's probe: the answer is the same refusal whether or not the letters are right."""
    ReferralFactory(prospect_name="Yusuf Okafor", prospect_email="yusuf@prospect.example")
    url = reverse("admin:referrals_referral_changelist")
    for probe in ("Yus", "Xyz"):
        response = superuser_client.get(url, {"prospect_name__istartswith": probe})
        assert response.status_code == 400
        assert b"yusuf@" not in response.content
    assert superuser_client.get(url, {"status": "given"}).status_code == 200  # shown fields still filter
    assert superuser_client.get(url, {"chapter": "x"}).status_code == 200

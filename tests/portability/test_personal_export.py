"""Download my data: everything the app holds about the person, read field by field; nothing that is a secret."""

import json

import pytest
from django.urls import reverse

from members.models import Notification
from portability import personal_export
from tests.portability.conftest import BUSINESS, EMAIL, NAME, PHONE

pytestmark = pytest.mark.django_db


def _download(client, user, day="2026-03-10") -> dict:
    client.force_login(user)
    response = client.get(reverse("my-data"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="leadsgroups-my-data-{day}.json"'
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    return json.loads(response.content)


def test_the_account_and_profile_as_they_are(client, mona):
    data = _download(client, mona.mona)
    account = data["account"]
    assert (account["email"], account["full_name"], account["phone"], account["business_name"]) == (EMAIL, NAME, PHONE, BUSINESS)
    assert account["email_addresses"] == [{"email": EMAIL, "verified": True, "primary": True}]
    assert account["calendar_feed_since"] is not None
    assert data["profile"]["website"] == "https://mona.example" and data["profile"]["phone_visibility"] == "chapters"


def test_seats_marks_and_slips(client, mona):
    data = _download(client, mona.mona)
    assert [(m["chapter"]["slug"], m["status"], m["business_name"]) for m in data["memberships"]] == [
        ("home-chapter", "probation", BUSINESS), ("other-chapter", "active", ""),
    ]
    assert [a["status"] for a in data["attendance"]] == ["present", "absent", "present", "absent"]
    [given] = data["referrals"]["given"]
    assert (given["prospect_name"], given["prospect_email"], given["notes"], given["status"]) == (
        "Petra Prospect", "petra@example.org", "Met at the expo", "won")  # hers to see, as the giver
    assert [r["kind"] for r in data["referrals"]["received"]] == ["inside"]
    assert [t["value"] for t in data["thank_yous"]] == ["2500.00"]
    assert [(o["status"], o["notes"]) for o in data["one_to_ones"]] == [("confirmed", "Coffee at the station")]
    assert [e["title"] for e in data["education_credits"]] == ["Networking 101"]
    assert [t["text"] for t in data["testimonials"]] == [f"{NAME} sorted our VAT in a day."]


def test_fines_cases_notices_and_the_trail_about_her(client, mona):
    data = _download(client, mona.mona)
    assert data["fines"] and all(f["amount"] == "10.00" and f["explanation"] for f in data["fines"])
    assert {n["kind"] for n in data["notifications"]} >= {"fine", "membership", "referral_updated", "thank_you"}
    assert len(data["notifications"]) == Notification.objects.filter(user=mona.mona).count()
    actions = {e["action"] for e in data["audit_events"]}
    assert {"membership.joined", "membership.changed", "fine.issued"} <= actions
    assert any(e["actor"] == NAME for e in data["audit_events"])  # her own acts
    assert [i["chapter__slug"] for i in data["invitations"]] == ["other-chapter"]
    assert data["emails"] and all(e["kind"] in ("notification", "invitation") for e in data["emails"])
    assert data["api_tokens"] == []  # no api app on this branch: nothing to list


def test_no_secret_and_nobody_elses_private_data(client, mona):
    p = mona.personas
    text = json.dumps(_download(client, mona.mona))
    assert mona.mona.password not in text and "md5$" not in text
    assert mona.mona.calendar_feed.token not in text
    others = Notification.objects.exclude(user=mona.mona).values_list("title", flat=True)
    assert not [t for t in others if t in text and "Mona" not in t]
    assert p.member2.user.email not in text


def test_the_export_costs_the_same_queries_however_much_there_is(mona, django_assert_max_num_queries):
    from referrals import services as referral_services

    p = mona.personas
    with django_assert_max_num_queries(40) as few:
        personal_export.personal_data(mona.mona)
    for _ in range(5):
        referral_services.referral_give(chapter=p.chapter, giver=mona.seat, receiver=p.member2, kind="inside")
    with django_assert_max_num_queries(len(few.captured_queries)):
        personal_export.personal_data(mona.mona)


def test_anyone_signed_in_gets_their_own_data_only(client, personas):
    from django.utils import timezone

    data = _download(client, personas.outsider.user, day=timezone.localdate().isoformat())
    assert data["account"]["full_name"] == "Otto Outsider"
    assert [m["chapter"]["slug"] for m in data["memberships"]] == ["other-chapter"]

"""Deleting one's account: no personal field of the person left anywhere, the chapters' figures intact."""

import json
import os
from datetime import date
from unittest import mock

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, models, transaction
from django.urls import reverse

from enforcement.models import Fine
from enforcement.selectors import chapter_fines, fines_totals
from meetings.models import Attendance, CalendarFeed
from meetings.selectors import attendance_report
from members.audit import audit_record
from members.models import AuditEvent, Membership, Notification, OutboundEmail, Profile, User
from portability import erasure, tasks
from portability.models import Erasure
from referrals.models import OneToOne, Referral, ThankYou
from referrals.selectors import chapter_stats
from tests.portability.conftest import BUSINESS, EMAIL, NAME, PHONE

pytestmark = pytest.mark.django_db
TERMS = (NAME, EMAIL, PHONE, BUSINESS)


def traces(terms=TERMS) -> list[str]:
    """Every text and JSON column of every table that holds one of the terms (any case): the auditor's search."""
    found = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField | models.JSONField)]
        if not fields:
            continue
        for pk, *values in model._base_manager.values_list("pk", *[f.attname for f in fields]):
            for field, value in zip(fields, values, strict=True):
                text = json.dumps(value, ensure_ascii=False) if isinstance(field, models.JSONField) else (value or "")
                found += [f"{model._meta.label}.{field.name}#{pk}: {t}" for t in terms if t.lower() in text.lower()]
    return found


def _figures(chapter) -> dict:
    start, end = date(2025, 1, 1), date(2026, 3, 10)
    _rows, total = chapter_stats(chapter=chapter, start=start, end=end)
    report = attendance_report(chapter=chapter, start=start, end=end, page=None)
    return {
        "given": total.given, "received": total.received, "won": total.given_won, "tyfcb": total.tyfcb_given,
        "one_to_ones": total.one_to_ones, "ceu": total.ceu_hours,
        "marks": sorted(tuple(sorted(line.totals.items())) for line in report["lines"]),
        "fines": fines_totals(chapter_fines(chapter=chapter)),
        "rows": [m.objects.filter(chapter=chapter).count() for m in (Referral, ThankYou, OneToOne, Fine)]
        + [Attendance.objects.filter(meeting__chapter=chapter).count(), Membership.objects.filter(chapter=chapter).count()],
    }


def _erase(user, django_capture_on_commit_callbacks) -> Erasure:
    with mock.patch("portability.tasks.erasure_scrub_task.delay", side_effect=tasks.erasure_scrub_task):
        with django_capture_on_commit_callbacks(execute=True):
            return erasure.account_erase(user=user)


def test_the_chapters_figures_stay_as_they_were(mona, django_capture_on_commit_callbacks):
    before = _figures(mona.personas.chapter)
    assert before["given"] == 2 and before["tyfcb"] == 2500 and before["fines"]["open"] > 0
    _erase(mona.mona, django_capture_on_commit_callbacks)
    assert _figures(mona.personas.chapter) == before


def test_no_personal_field_of_hers_is_left_in_any_table(mona, django_capture_on_commit_callbacks):
    found = traces()
    assert len({t.split(".", 1)[0] for t in found}) >= 4  # the search does find her: members, meetings, webhooks…
    assert len({t.split("#")[0] for t in found}) >= 15, found  # … in many columns
    _erase(mona.mona, django_capture_on_commit_callbacks)
    assert traces() == []
    assert Erasure.objects.get().terms == []  # what was searched for is not kept either


def test_her_records_carry_the_pseudonym(mona, django_capture_on_commit_callbacks):
    record = _erase(mona.mona, django_capture_on_commit_callbacks)
    pseudonym = f"Former member #{record.pk}"
    mona.seat.refresh_from_db()
    assert mona.seat.display_name == pseudonym and mona.seat.status == "resigned" and mona.seat.business_name == ""
    assert Referral.objects.get(giver=mona.seat).giver.display_name == pseudonym
    mine = AuditEvent.objects.filter(action="membership.joined").get()
    assert (mine.actor_id, mine.actor_name, mine.actor_email) == (None, pseudonym, "")
    assert mine.actor_label == f"{pseudonym}, account deleted"
    assert mine.summary == f"{pseudonym} joined Other Chapter by invitation"
    assert mine.summary_params["member"] == pseudonym  # the facts the pages word hold the pseudonym too
    assert mine.summary_text == f"{pseudonym} joined Other Chapter by invitation"
    told = Notification.objects.get(user=mona.personas.member2.user, kind="referral_received")
    assert told.title == f"{pseudonym} passed you a referral"
    assert AuditEvent.objects.filter(action="membership.changed", reason="The member deleted their account.").count() == 2


def test_her_account_is_an_empty_husk_that_cannot_sign_in(client, mona, django_capture_on_commit_callbacks):
    record = _erase(mona.mona, django_capture_on_commit_callbacks)
    user = User.objects.get(pk=mona.mona.pk)
    assert (user.email, user.full_name, user.phone, user.business_name) == (
        f"former-member-{record.pk}@erased.invalid", f"Former member #{record.pk}", "", "")
    assert not user.is_active and not user.has_usable_password()
    assert not client.login(email=EMAIL, password="pw-for-tests-1")
    assert not Profile.objects.filter(user=user).exists() and not CalendarFeed.objects.filter(user=user).exists()
    assert not Notification.objects.filter(user=user).exists()
    assert not OutboundEmail.objects.filter(to__iexact=EMAIL).exists()
    from allauth.account.models import EmailAddress

    assert not EmailAddress.objects.filter(user=user).exists()


def test_an_officer_who_leaves_leaves_the_office_vacant(personas, django_capture_on_commit_callbacks):
    _erase(personas.president.user, django_capture_on_commit_callbacks)
    personas.president.refresh_from_db()
    assert (personas.president.role, personas.president.status) == ("member", "resigned")
    assert not Membership.objects.filter(chapter=personas.chapter, role="president", status="active").exists()


def test_the_scrub_is_finished_by_the_sweep_when_its_task_was_lost(mona):
    with mock.patch("portability.tasks.erasure_scrub_task.delay", side_effect=RuntimeError("broker down")):
        record = erasure.account_erase(user=mona.mona)  # on_commit runs at once outside a test transaction
    assert Erasure.objects.get(pk=record.pk).scrubbed_at is None
    with mock.patch("portability.tasks.erasure_scrub_task.delay", side_effect=tasks.erasure_scrub_task):
        assert tasks.portability_sweep()["erasures"] == 1
    assert Erasure.objects.get(pk=record.pk).scrubbed_at is not None and traces() == []
    assert erasure.erasure_scrub(erasure_id=record.pk) == 0  # a second run has nothing to do


def test_a_short_name_is_not_searched_for_everywhere(personas):
    user = personas.member.user
    user.full_name = "Al"
    user.save()
    assert [t["kind"] for t in erasure._terms(user)] == ["email"]


# The page -------------------------------------------------------------------------------------------


def test_the_page_warns_and_asks_for_the_password(client, mona):
    client.force_login(mona.mona)
    html = client.get(reverse("account-delete")).content.decode()
    assert "This cannot be undone." in html and "You give up your seats in Home Chapter, Other Chapter." in html
    response = client.post(reverse("account-delete"), {"password": "wrong", "understood": "on"})
    assert response.status_code == 422 and "That is not your password." in response.content.decode()
    response = client.post(reverse("account-delete"), {"password": "pw-for-tests-1"})
    assert response.status_code == 422  # the warning must be acknowledged
    assert User.objects.get(pk=mona.mona.pk).is_active and not Erasure.objects.exists()


def test_an_account_without_a_password_is_asked_to_choose_one_first(client, personas):
    user = personas.member.user
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    response = client.post(reverse("account-delete"), {"password": "anything", "understood": "on"})
    assert response.status_code == 422 and "Your account has no password yet" in response.content.decode()
    assert User.objects.get(pk=user.pk).is_active


def test_deleting_signs_out_and_says_so(client, mona, django_capture_on_commit_callbacks):
    client.force_login(mona.mona)
    with mock.patch("portability.tasks.erasure_scrub_task.delay"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("account-delete"), {"password": "pw-for-tests-1", "understood": "on"},
                                   follow=True)
    assert "Your account has been deleted." in response.content.decode()
    assert client.get(reverse("profile")).status_code == 302  # signed out
    assert not User.objects.get(pk=mona.mona.pk).is_active


def test_the_delete_page_in_german(client, personas):
    user = personas.member.user
    user.language = "de"
    user.save(update_fields=["language"])
    client.force_login(user)
    html = client.get(reverse("account-delete")).content.decode()
    assert "Mein Konto löschen" in html and "Dies kann nicht rückgängig gemacht werden." in html


# PostgreSQL's audit trigger ---------------------------------------------------------------------------


def _postgresql_only():
    if connection.vendor == "postgresql":
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail("REQUIRE_SERVICES=1: the audit trigger test needs DATABASE_URL=postgres://…")
    pytest.skip("the audit trigger exists on PostgreSQL only (set DATABASE_URL=postgres://…)")


def test_postgresql_lets_only_an_erasure_rewrite_what_an_event_says(personas):
    _postgresql_only()
    event = audit_record(actor=personas.president.user, action="membership.changed", target=personas.member,
                         chapter=personas.chapter, summary="Mona Member: status: active → probation")
    rewrite = "UPDATE members_auditevent SET summary = 'Former member #1: status', actor_name = 'x' WHERE id = %s"
    with pytest.raises(IntegrityError, match="audit events cannot be changed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(rewrite, [event.pk])  # not inside an erasure
    with transaction.atomic(), erasure.audit_rewrite_allowed(), connection.cursor() as cursor:
        cursor.execute(rewrite, [event.pk])
    event.refresh_from_db()
    assert event.summary == "Former member #1: status"
    for forbidden in ("UPDATE members_auditevent SET action = 'fine.issued' WHERE id = %s",
                      "UPDATE members_auditevent SET created_at = now() WHERE id = %s",
                      "DELETE FROM members_auditevent WHERE id = %s"):
        with pytest.raises(IntegrityError, match="audit events cannot be changed"):
            # even inside an erasure: what, when and to what stay
            with transaction.atomic(), erasure.audit_rewrite_allowed(), connection.cursor() as cursor:
                cursor.execute(forbidden, [event.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('leadsgroups.erasure', true)")
        assert cursor.fetchone()[0] in (None, "", "off")  # the permission ended with its block
    with pytest.raises(IntegrityError, match="audit events cannot be changed"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(rewrite, [event.pk])


# Two people of one name ------------------------------------------------------------------------------


def _anna_world(p):
    """Two Anna Schmidts in one chapter, each named in audit events, a testimonial, a notice and a webhook."""
    from meetings import services as meeting_services
    from members import services as member_services
    from referrals import services as referral_services
    from tests.meetings.factories import MeetingFactory
    from webhooks.models import WebhookEndpoint

    for seat, email in ((p.member, "anna.one@example.org"), (p.member2, "anna.two@example.org")):
        User.objects.filter(pk=seat.user_id).update(full_name="Anna Schmidt", email=email, business_name="")
        seat.refresh_from_db()
    Membership.objects.filter(chapter=p.chapter).update(business_name="")
    WebhookEndpoint.objects.create(chapter=p.chapter, url="https://93.184.215.14/hook", events=["referral.given"],
                                   secret="whsec_x")
    meeting = MeetingFactory(chapter=p.chapter, local_date=date(2026, 1, 7), status="closed")
    for seat in (p.member, p.member2):
        member_services.membership_change(membership=seat, by=p.president.user, status="probation",
                                          reason="Anna Schmidt missed two meetings")
        meeting_services.testimonial_add(meeting=meeting, given_by=p.president, about=seat, by=p.president.user,
                                         text="Anna Schmidt sorted our VAT in a day.")
        referral_services.referral_give(chapter=p.chapter, giver=seat, receiver=p.president, kind="inside")


def test_a_namesake_keeps_her_name_in_her_own_rows(personas, django_capture_on_commit_callbacks):
    from meetings.models import Testimonial
    from webhooks.models import WebhookDelivery

    p = personas
    _anna_world(p)
    record = _erase(p.member.user, django_capture_on_commit_callbacks)
    pseudonym = f"Former member #{record.pk}"
    # The other Anna: her account, the events about her seat, her testimonial and her webhook payload.
    assert User.objects.get(pk=p.member2.user_id).full_name == "Anna Schmidt"
    hers = AuditEvent.objects.filter(target_type="members.membership", target_id=str(p.member2.pk),
                                     action="membership.changed")
    assert [e.reason for e in hers] == ["Anna Schmidt missed two meetings"]
    assert Testimonial.objects.get(about=p.member2).text == "Anna Schmidt sorted our VAT in a day."
    assert WebhookDelivery.objects.get(payload__referral__giver__membership_id=p.member2.pk).payload["referral"][
        "giver"]["name"] == "Anna Schmidt"
    # The deleted Anna: the rows that are hers, told apart by ids, carry the pseudonym.
    gone = AuditEvent.objects.filter(target_type="members.membership", target_id=str(p.member.pk),
                                     action="membership.changed", reason__contains="missed")
    assert [e.reason for e in gone] == [f"{pseudonym} missed two meetings"]
    assert Testimonial.objects.get(about=p.member).text == f"{pseudonym} sorted our VAT in a day."
    assert WebhookDelivery.objects.get(payload__referral__giver__membership_id=p.member.pk).payload["referral"][
        "giver"]["name"] == pseudonym
    assert traces(("anna.one@example.org",)) == []  # her email is hers alone: gone everywhere
    # What cannot be told apart stays, as the privacy notes say: the president's notices name "Anna Schmidt" twice.
    titles = list(Notification.objects.filter(user=p.president.user, kind="referral_received")
                  .values_list("title", flat=True))
    assert titles == ["Anna Schmidt passed you a referral"] * 2


def test_without_a_namesake_her_name_goes_everywhere(personas, django_capture_on_commit_callbacks):
    p = personas
    _anna_world(p)
    User.objects.filter(pk=p.member2.user_id).update(full_name="Anna Schneider")
    _erase(p.member.user, django_capture_on_commit_callbacks)
    assert Notification.objects.filter(user=p.president.user, title__contains="Anna Schmidt").count() == 0
    assert not AuditEvent.objects.filter(reason__contains="Anna Schmidt").exists()

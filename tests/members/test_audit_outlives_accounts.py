"""The audit trail keeps who acted after their account is gone; PostgreSQL refuses to change it.

PostgreSQL-only tests are skipped on SQLite (a newcomer's default) unless REQUIRE_SERVICES=1,
in which case (CI) they fail instead.
"""

import os

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import ProtectedError
from django.urls import reverse

from members.audit import audit_record
from members.models import AuditEvent, Membership
from members.services import membership_change
from tests.audit_time import audit_rewrite, audit_trigger_off

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _postgresql_only():
    if connection.vendor == "postgresql":
        return
    if REQUIRE_SERVICES:
        pytest.fail("REQUIRE_SERVICES=1: the audit trigger test needs DATABASE_URL=postgres://…")
    pytest.skip("the audit trigger exists on PostgreSQL only (set DATABASE_URL=postgres://…)")


def _expel_by_president(personas):
    """The president expels Mona through the real service: an audit event with Paula as the actor."""
    membership_change(membership=personas.member, by=personas.president.user, status=Membership.Status.EXPELLED,
                      reason="Missed every meeting since March")
    return AuditEvent.objects.get(action="membership.changed", target_id=str(personas.member.pk))


def _delete_president_account(personas):
    """Paula's account goes; another member is president now so the chapter still has leadership."""
    user = personas.president.user
    user.delete()
    return user


def test_an_event_keeps_the_actor_name_and_email_as_they_were(personas):
    paula = personas.president.user
    event = _expel_by_president(personas)
    paula.full_name = "Paula Renamed"
    paula.save()
    event.refresh_from_db()
    assert (event.actor_name, event.actor_email) == ("Paula President", paula.email)
    assert event.actor_label == "Paula President"


def test_the_system_still_reads_as_the_system(personas):
    event = audit_record(actor=None, action="fine.issued", target=personas.member, chapter=personas.chapter,
                         summary="Fine issued")
    assert (event.actor_name, event.actor_email, event.is_system) == ("", "", True)
    assert event.actor_label == ""


@pytest.mark.parametrize("page", ["chapter_audit", "global_audit", "member_edit"])
def test_deleting_a_user_keeps_the_trail_readable_on_every_page_that_shows_it(client, personas, page):
    event = _expel_by_president(personas)
    email = personas.president.user.email
    _delete_president_account(personas)
    event.refresh_from_db()
    assert event.actor_id is None and event.actor_name == "Paula President"
    who, url = {
        "chapter_audit": ("vice_president", personas.url("chapters:audit")),
        "global_audit": ("org_admin", reverse("audit")),
        "member_edit": ("org_admin", personas.url("chapters:member-edit", personas.member.pk)),
    }[page]
    personas.login(client, who)
    html = client.get(url).content.decode()
    assert f"Paula President ({email}), account deleted" in html
    assert "Missed every meeting since March" in html


def test_the_trail_of_a_deleted_user_is_found_by_their_old_name(client, personas):
    _expel_by_president(personas)
    _delete_president_account(personas)
    personas.login(client, "org_admin")
    html = client.get(reverse("audit"), {"q": "paula"}).content.decode()
    assert "account deleted" in html and "Missed every meeting since March" in html


def test_a_system_event_reads_as_system_on_the_audit_page(client, personas):
    audit_record(actor=None, action="fine.issued", target=personas.member, chapter=personas.chapter,
                 summary="Fine issued by the sweep")
    personas.login(client, "president")
    html = client.get(personas.url("chapters:audit")).content.decode()
    assert '<td data-label="Who">System</td>' in html


def test_a_chapter_with_an_audit_trail_cannot_be_deleted(personas):
    """Its history would go with it: a chapter is closed (status), not deleted."""
    _expel_by_president(personas)
    with pytest.raises(ProtectedError):
        personas.chapter.delete()


def test_a_membership_with_an_audit_trail_can_be_deleted_and_the_trail_stays(personas):
    """Events name their target by type and id, not by a foreign key: the record outlives the row."""
    event = _expel_by_president(personas)
    personas.member.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_backfill_gives_existing_events_their_actor_name_and_email(personas):
    event = _expel_by_president(personas)
    system = audit_record(actor=None, action="fine.issued", target=personas.member, chapter=personas.chapter,
                          summary="x")
    audit_rewrite(AuditEvent.objects.all(), actor_name="", actor_email="")  # as rows written before 0003
    from importlib import import_module

    backfill = import_module("members.migrations.0004_audit_actor_snapshot_backfill").backfill
    state = MigrationExecutor(connection).loader.project_state(("members", "0004_audit_actor_snapshot_backfill"))
    with audit_trigger_off():  # the migration runs before the trigger exists
        backfill(state.apps, None)
    event.refresh_from_db()
    system.refresh_from_db()
    assert (event.actor_name, event.actor_email) == ("Paula President", personas.president.user.email)
    assert (system.actor_name, system.actor_email) == ("", "")


# PostgreSQL: the database refuses ---------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE members_auditevent SET summary = 'rewritten' WHERE id = %s",
    "UPDATE members_auditevent SET actor_name = 'Someone else' WHERE id = %s",
    "DELETE FROM members_auditevent WHERE id = %s",
    # nulling the actor is allowed only on its own (an account deletion), never to slip in a change
    "UPDATE members_auditevent SET actor_id = NULL, reason = 'changed' WHERE id = %s",
])
def test_postgresql_refuses_to_change_or_delete_an_audit_row(personas, statement):
    _postgresql_only()
    event = _expel_by_president(personas)
    with pytest.raises(IntegrityError, match="audit events cannot be changed or deleted"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    event.refresh_from_db()
    assert event.summary.startswith(personas.member.user.full_name) and event.actor_id is not None


def test_postgresql_refuses_an_orm_bulk_delete_too(personas):
    _postgresql_only()
    event = _expel_by_president(personas)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            AuditEvent._base_manager.filter(pk=event.pk)._raw_delete(connection.alias)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_postgresql_lets_a_user_be_deleted_and_keeps_their_events(personas):
    _postgresql_only()
    event = _expel_by_president(personas)
    _delete_president_account(personas)  # Django nulls the actor: the one update the trigger allows
    event.refresh_from_db()
    assert event.actor_id is None and event.actor_label.startswith("Paula President (")

"""Test helper: give an audit event another time or content, which the app and PostgreSQL refuse.

Tests that need an old event (leave taken months ago, a chapter in another zone) date it after
writing it through the real service. On PostgreSQL the immutability trigger is switched off for
the statement inside the test's own transaction, which rolls back with the test.
"""

from contextlib import contextmanager

from django.db import connection

from members.models import AuditEvent

TRIGGER = "members_auditevent_immutable"


def audit_rewrite(events, **values) -> int:
    """Update audit events (an event, or a queryset of them) in a test; returns the row count."""
    qs = AuditEvent._base_manager.filter(pk=events.pk) if isinstance(events, AuditEvent) else events
    if connection.vendor != "postgresql":
        return AuditEvent._base_manager.filter(pk__in=list(qs.values_list("pk", flat=True))).update(**values)
    pks = list(qs.values_list("pk", flat=True))
    with audit_trigger_off():
        return AuditEvent._base_manager.filter(pk__in=pks).update(**values)


@contextmanager
def audit_trigger_off():
    """Switch PostgreSQL's audit trigger off inside the test's transaction (a no-op elsewhere)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred foreign-key checks: run the pending ones now, and
        # defer again afterwards (Django's constraints are created INITIALLY DEFERRED).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE members_auditevent DISABLE TRIGGER {TRIGGER}")
        try:
            yield
        finally:
            cursor.execute(f"ALTER TABLE members_auditevent ENABLE TRIGGER {TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

"""On PostgreSQL the database itself refuses to change or delete an audit event.

The app already refuses (AuditEvent.save/delete, the queryset's update/delete); the trigger also
stops raw SQL, a shell, or a future bulk operation. The one change it lets through is nulling the
actor when their account is deleted (Django's SET_NULL), with every other column unchanged: the
snapshot columns keep who acted, and the foreign key stays a real constraint. TRUNCATE (the test
runner's flush) does not fire row triggers. SQLite has no such trigger: it is a newcomer's default.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION members_auditevent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's account is being deleted; the snapshot keeps their name
    END IF;
    RAISE EXCEPTION 'audit events cannot be changed or deleted (event %)', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER members_auditevent_immutable
    BEFORE UPDATE OR DELETE ON members_auditevent
    FOR EACH ROW EXECUTE FUNCTION members_auditevent_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS members_auditevent_immutable ON members_auditevent;
DROP FUNCTION IF EXISTS members_auditevent_immutable();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0004_audit_actor_snapshot_backfill"),
    ]

    operations = [
        migrations.RunPython(create, drop),
    ]

"""PostgreSQL's audit trigger (members 0005) learns the one rewrite an account's erasure needs.

The trigger refuses every change to an audit event but the nulling of its actor when the account is
deleted. An account deleted at its owner's request (portability/erasure.py) keeps its events, but what
they say of the person must become the pseudonym: who acted (actor, name, email) and the words of the
event (summary, before, after, reason). The erasure's transaction, and only it, sets the local setting
`leadsgroups.erasure` (SET LOCAL: it ends with the transaction); then, and only then, the trigger lets
those columns change, never the event's action, target, chapter, time or id, and never a deletion.
"""

from django.db import migrations

ERASABLE = "ARRAY['actor_id', 'actor_name', 'actor_email', 'summary', 'before', 'after', 'reason']"

WITH_ERASURE = f"""
CREATE OR REPLACE FUNCTION members_auditevent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's account is being deleted; the snapshot keeps their name
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('leadsgroups.erasure', true) = 'on'
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (to_jsonb(NEW) - {ERASABLE}) = (to_jsonb(OLD) - {ERASABLE}) THEN
        RETURN NEW;  -- an account's erasure pseudonymises what the event says of the person, nothing else
    END IF;
    RAISE EXCEPTION 'audit events cannot be changed or deleted (event %)', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""

WITHOUT_ERASURE = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITH_ERASURE, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(WITHOUT_ERASURE, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0005_audit_immutable_trigger"),
        ("portability", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]

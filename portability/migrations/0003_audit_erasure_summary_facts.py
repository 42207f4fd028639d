"""The erasure's rewrite of an audit event (0002) also reaches its summary's facts.

An event's summary is now a key and its facts (members 0015): the facts hold names as they were, so an
account's erasure replaces the person's name there as it does in the summary's words. The function is
0002's with one more erasable column; going back restores 0002's.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION members_auditevent_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;  -- the actor's account is being deleted; the snapshot keeps their name
    END IF;
    IF TG_OP = 'UPDATE' AND current_setting('leadsgroups.erasure', true) = 'on'
       AND (NEW.actor_id IS NULL OR NEW.actor_id = OLD.actor_id)
       AND (to_jsonb(NEW) - {erasable}) = (to_jsonb(OLD) - {erasable}) THEN
        RETURN NEW;  -- an account's erasure pseudonymises what the event says of the person, nothing else
    END IF;
    RAISE EXCEPTION 'audit events cannot be changed or deleted (event %)', OLD.id
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""
BEFORE = "ARRAY['actor_id', 'actor_name', 'actor_email', 'summary', 'before', 'after', 'reason']"
ERASABLE = "ARRAY['actor_id', 'actor_name', 'actor_email', 'summary', 'summary_params', 'before', 'after', 'reason']"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.format(erasable=ERASABLE), params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.format(erasable=BEFORE), params=None)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0015_audit_summary_key"),
        ("portability", "0002_audit_erasure_trigger"),
    ]

    operations = [
        migrations.RunPython(forward, backward),
    ]

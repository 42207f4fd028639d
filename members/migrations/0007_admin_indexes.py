import django.db.models.functions.text
from django.db import migrations, models

from leadsgroups.migration_operations import AddIndexConcurrently


def analyze_users(apps, schema_editor):
    """Expression indexes get their statistics (what makes the planner use them) at the next ANALYZE."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ANALYZE members_user")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the tables stay writable while the indexes build

    dependencies = [
        ('members', '0006_outbound_email'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='auditevent',
            index=models.Index(fields=['created_at', 'id'], name='members_audit_created'),
        ),
        AddIndexConcurrently(
            model_name='notification',
            index=models.Index(fields=['created_at', 'id'], name='members_notif_created'),
        ),
        AddIndexConcurrently(
            model_name='notification',
            index=models.Index(fields=['kind', 'created_at', 'id'], name='members_notif_kind_created'),
        ),
        AddIndexConcurrently(
            model_name='outboundemail',
            index=models.Index(fields=['created_at', 'id'], name='members_outbox_created'),
        ),
        AddIndexConcurrently(
            model_name='user',
            index=models.Index(django.db.models.functions.text.Upper('email'), name='members_user_email_upper'),
        ),
        AddIndexConcurrently(
            model_name='user',
            index=models.Index(django.db.models.functions.text.Upper('full_name'), name='members_user_name_upper'),
        ),
        migrations.RunPython(analyze_users, migrations.RunPython.noop),
    ]

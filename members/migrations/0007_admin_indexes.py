from django.db import migrations, models

from leadsgroups.migration_operations import AddIndexConcurrently


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
    ]

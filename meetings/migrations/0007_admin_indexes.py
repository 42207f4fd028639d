from django.db import migrations, models

from leadsgroups.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the tables stay writable while the indexes build

    dependencies = [
        ('meetings', '0006_visitor_invitation'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='meeting',
            index=models.Index(fields=['starts_at', '-id'], name='meetings_meeting_starts'),
        ),
    ]

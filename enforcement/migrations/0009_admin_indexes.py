from django.db import migrations, models

from leadsgroups.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the tables stay writable while the indexes build

    dependencies = [
        ('enforcement', '0008_chapter_evaluation_state_sweep_run'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='fine',
            index=models.Index(fields=['period_start', 'id'], name='enforcement_fine_period'),
        ),
    ]

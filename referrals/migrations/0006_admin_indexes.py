from django.db import migrations, models

from leadsgroups.migration_operations import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY: the tables stay writable while the indexes build

    dependencies = [
        ('referrals', '0005_prospect_declined_status'),
    ]

    operations = [
        AddIndexConcurrently(
            model_name='educationcredit',
            index=models.Index(fields=['completed_on', 'id'], name='referrals_ceu_done'),
        ),
        AddIndexConcurrently(
            model_name='onetoone',
            index=models.Index(fields=['met_on', 'id'], name='referrals_121_met'),
        ),
        AddIndexConcurrently(
            model_name='referral',
            index=models.Index(fields=['created_at', 'id'], name='referrals_ref_created'),
        ),
        AddIndexConcurrently(
            model_name='thankyou',
            index=models.Index(fields=['closed_on', 'id'], name='referrals_ty_closed'),
        ),
    ]

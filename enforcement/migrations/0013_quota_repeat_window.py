import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('enforcement', '0012_quota_weights'),
    ]

    operations = [
        # Versions made before keep what they said (repeats numbered within the period): added with 0 …
        migrations.AddField(
            model_name='chapterrules',
            name='repeat_window_days',
            field=models.PositiveSmallIntegerField(default=0, help_text="Weighted quota: a referral is a repeat of the same prospect's (or of inside business to the same member) given in its period or this many days before it. 0: within the period only.", validators=[django.core.validators.MaxValueValidator(3660)], verbose_name='repeats counted over (days)'),
        ),
        # … then new versions default to a year.
        migrations.AlterField(
            model_name='chapterrules',
            name='repeat_window_days',
            field=models.PositiveSmallIntegerField(default=365, help_text="Weighted quota: a referral is a repeat of the same prospect's (or of inside business to the same member) given in its period or this many days before it. 0: within the period only.", validators=[django.core.validators.MaxValueValidator(3660)], verbose_name='repeats counted over (days)'),
        ),
        migrations.AddField(
            model_name='ruleslimits',
            name='repeat_window_days_max',
            field=models.PositiveSmallIntegerField(default=730, help_text='Weighted quota: the most days before a period whose referrals make a referral a repeat.', validators=[django.core.validators.MaxValueValidator(3660)], verbose_name='longest repeat window (days)'),
        ),
    ]

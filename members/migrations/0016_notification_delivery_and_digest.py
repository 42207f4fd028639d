"""Each kind of notice gets a delivery choice per person (app, email, digest or off), and notices a digest.

Who had kinds muted from email (`email_muted_kinds`) gets those kinds in the app only; kinds a rule
requires (fines, cases, membership changes) can no longer be muted and stay at their default, email.
"""

from django.db import migrations, models

# Frozen here (members/delivery.py REQUIRED may change later; this migration must not).
REQUIRED = {"fine", "case", "membership"}
KINDS = {
    "invitation", "membership", "referral_received", "referral_updated", "consent_answered", "thank_you",
    "one_to_one", "fine", "case", "reminder", "stale_referral", "read_out",
}


def delivery_from_muted(muted) -> dict:
    """The new map for one person's old list of kinds not emailed."""
    return {kind: "app" for kind in sorted(set(muted or [])) if kind in KINDS and kind not in REQUIRED}


def forwards(apps, schema_editor):
    User = apps.get_model("members", "User")
    changed = []
    for user in User.objects.exclude(email_muted_kinds=[]).only("pk", "email_muted_kinds").iterator(chunk_size=2000):
        delivery = delivery_from_muted(user.email_muted_kinds)
        if delivery:
            user.notification_delivery = delivery
            changed.append(user)
    User.objects.bulk_update(changed, ["notification_delivery"], batch_size=2000)


def backwards(apps, schema_editor):
    User = apps.get_model("members", "User")
    changed = []
    for user in User.objects.exclude(notification_delivery={}).only("pk", "notification_delivery").iterator(chunk_size=2000):
        user.email_muted_kinds = sorted(k for k, v in user.notification_delivery.items() if v != "email")
        changed.append(user)
    User.objects.bulk_update(changed, ["email_muted_kinds"], batch_size=2000)


class Migration(migrations.Migration):

    dependencies = [
        ('chapters', '0006_translated_labels'),
        ('members', '0015_audit_summary_key'),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='digest_sent_at',
            field=models.DateTimeField(blank=True, help_text='When a daily digest took this notice (each notice goes in one digest at most).', null=True, verbose_name='digest sent'),
        ),
        migrations.AddField(
            model_name='notification',
            name='digest_wanted',
            field=models.BooleanField(default=False, help_text="Goes out in the person's daily digest email.", verbose_name='for the digest'),
        ),
        migrations.AddField(
            model_name='user',
            name='notification_delivery',
            field=models.JSONField(blank=True, default=dict, help_text='Kind of notice → app, email, digest or off; a kind not listed takes its default (members/delivery.py).', verbose_name='how notices reach the person'),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField(
            model_name='user',
            name='email_muted_kinds',
        ),
        migrations.AlterField(
            model_name='outboundemail',
            name='kind',
            field=models.CharField(choices=[('invitation', 'Invitation'), ('consent', 'Consent request'), ('account', 'Account (password, address)'), ('notification', 'Notification'), ('reminder', 'Meeting reminder'), ('digest', 'Daily digest of notices'), ('alert', 'Operations alert')], max_length=16, verbose_name='kind'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('digest_sent_at__isnull', True), ('digest_wanted', True), ('read_at__isnull', True)), fields=['user', 'created_at'], name='members_notif_digest_pending'),
        ),
    ]

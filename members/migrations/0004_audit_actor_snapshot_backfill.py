from django.db import migrations
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    """Existing events get their actor's current name and email: the best record of them there is."""
    AuditEvent = apps.get_model("members", "AuditEvent")
    User = apps.get_model("members", "User")
    user = User.objects.filter(pk=OuterRef("actor_id"))
    # The historical model's plain manager: the app's own refuses every update. One statement.
    AuditEvent.objects.filter(actor__isnull=False, actor_email="").update(
        actor_name=Subquery(user.values("full_name")[:1]), actor_email=Subquery(user.values("email")[:1])
    )


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0003_audit_actor_snapshot"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]

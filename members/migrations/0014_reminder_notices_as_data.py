"""Reminders written before notices were data get their key and the facts their title is worded from.

The meeting is recovered from the dedupe key (`reminder:<meeting id>`); the member's standing that day
is not recoverable, so the migrated row's text (`body`) stays as written and only its title is worded
again in the reader's language. Rows whose meeting is gone keep their stored words.
"""

from django.db import migrations

KEY = "enforcement.reminder"


def forwards(apps, schema_editor):
    Notification = apps.get_model("members", "Notification")
    Meeting = apps.get_model("meetings", "Meeting")
    rows = list(Notification.objects.filter(kind="reminder", message_key="", dedupe_key__startswith="reminder:"))
    ids = {int(key) for key in (n.dedupe_key.split(":", 1)[1] for n in rows) if key.isdigit()}
    meetings = Meeting.objects.select_related("chapter").in_bulk(ids)
    changed = []
    for n in rows:
        key = n.dedupe_key.split(":", 1)[1]
        meeting = meetings.get(int(key)) if key.isdigit() else None
        if meeting is None or meeting.chapter_id != n.chapter_id:
            continue
        chapter = meeting.chapter
        n.message_key = KEY
        n.params = {
            "meeting": meeting.pk, "chapter": chapter.name, "timezone": chapter.timezone,
            "starts": meeting.starts_at.isoformat(), "venue": meeting.venue or chapter.venue or "",
        }
        changed.append(n)
    Notification.objects.bulk_update(changed, ["message_key", "params"], batch_size=500)


def backwards(apps, schema_editor):
    apps.get_model("members", "Notification").objects.filter(message_key=KEY).update(message_key="", params={})


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0013_notification_message_key"),
        ("meetings", "0008_translatable_labels"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

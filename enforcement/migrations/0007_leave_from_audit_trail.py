"""Leave recorded before leave had dates: rebuilt from the audit trail of status changes.

The same reading the evaluation used to make on every run (`leave_spans`): a change to "on leave"
starts a leave on that local day, a change away from it ends the leave the day before; leave with
no recorded start (a seat created on leave) starts on the day the member joined, and leave not yet
ended stays open.
"""

import zoneinfo
from datetime import timedelta

from django.db import migrations

REASON = "Recorded before leave had dates: rebuilt from the audit trail of status changes."


def leave_from_audit_trail(apps, schema_editor):
    Membership = apps.get_model("members", "Membership")
    AuditEvent = apps.get_model("members", "AuditEvent")
    Leave = apps.get_model("enforcement", "Leave")
    leave = "on_leave"
    seats = {m.pk: m for m in Membership.objects.select_related("chapter")}
    started: dict[int, object] = {}
    spans: list[tuple[int, object, object]] = []
    events = (
        AuditEvent.objects.filter(target_type="members.membership")
        .order_by("created_at", "pk")
        .values_list("target_id", "before", "after", "created_at")
    )
    for target_id, before, after, at in events.iterator():
        if not str(target_id).isdigit() or int(target_id) not in seats:
            continue
        m = seats[int(target_id)]
        was, now = (before or {}).get("status"), (after or {}).get("status")
        if leave not in (was, now):
            continue
        day = at.astimezone(zoneinfo.ZoneInfo(m.chapter.timezone)).date()
        if now == leave and m.pk not in started:
            started[m.pk] = day if was != leave else m.joined_on
        elif was == leave and now is not None and now != leave:
            start = started.pop(m.pk, m.joined_on)
            spans.append((m.pk, start, max(start, day - timedelta(days=1))))
    for pk, m in seats.items():
        if pk in started:
            spans.append((pk, started[pk], None))
        elif m.status == leave and not any(s[0] == pk and s[2] is None for s in spans):
            spans.append((pk, m.joined_on, None))  # on leave with no recorded change: since joining
    Leave.objects.bulk_create(
        [Leave(chapter_id=seats[pk].chapter_id, membership_id=pk, starts_on=start, ends_on=end, reason=REASON)
         for pk, start, end in spans]
    )


class Migration(migrations.Migration):

    dependencies = [
        ("enforcement", "0006_leave"),
        ("members", "0002_one_president"),
    ]

    operations = [
        migrations.RunPython(leave_from_audit_trail, migrations.RunPython.noop),
    ]

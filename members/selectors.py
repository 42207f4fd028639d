"""Reads of the members app shaped for a screen: the audit trail."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from members.models import AuditEvent


def audit_events(*, chapter=None, regions: list[int] | None = None, q: str = "") -> QuerySet[AuditEvent]:
    """Audit events newest first: one chapter's, some regions' chapters' (None: all), matching `q`.

    `q` matches the action, the summary, the reason, and the actor's name or email, so
    "who did what and why" can all be searched from one box.
    """
    events = AuditEvent.objects.select_related("actor", "chapter")
    if chapter is not None:
        events = events.filter(chapter=chapter)
    elif regions is not None:
        events = events.filter(chapter__region_id__in=regions)
    q = q.strip()
    if q:
        events = events.filter(
            Q(summary__icontains=q) | Q(action__icontains=q) | Q(reason__icontains=q)
            | Q(actor_name__icontains=q) | Q(actor_email__icontains=q)  # as they were when they acted ...
            | Q(actor__full_name__icontains=q) | Q(actor__email__icontains=q)  # ... and as they are now
        )
    return events

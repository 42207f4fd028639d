"""Reads about meetings, shaped for their pages."""

from __future__ import annotations

from django.utils import timezone

from meetings.models import Meeting


def meeting_next(*, chapter) -> Meeting | None:
    """The chapter's next meeting that is not cancelled (today's counts until it ends)."""
    cutoff = timezone.now() - timezone.timedelta(hours=3)
    return (
        Meeting.objects.filter(chapter=chapter, starts_at__gte=cutoff)
        .exclude(status=Meeting.Status.CANCELLED)
        .order_by("starts_at")
        .first()
    )

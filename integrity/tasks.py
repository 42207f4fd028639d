"""Celery tasks of the integrity check: one sweep a night, one task per chapter (thin and idempotent)."""

from __future__ import annotations

from celery import shared_task

from chapters.models import Chapter
from enforcement.tasks import RETRY  # enforcement's policy: transient database trouble retried with backoff
from integrity import services


@shared_task(**RETRY, soft_time_limit=240, time_limit=300)
def chapter_integrity_task(chapter_id: int) -> dict:
    """Check one chapter for every pattern and reconcile its flags; a rerun changes nothing."""
    chapter = Chapter.objects.filter(pk=chapter_id).first()
    if chapter is None:
        return {}
    return services.chapter_integrity_check(chapter=chapter).counts


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def integrity_sweep() -> int:
    """Nightly: one check task per chapter that is not closed. Returns how many were sent."""
    ids = list(Chapter.objects.exclude(status=Chapter.Status.CLOSED).order_by("pk").values_list("pk", flat=True))
    for pk in ids:
        chapter_integrity_task.delay(pk)
    return len(ids)

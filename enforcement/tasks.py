"""Celery tasks of rule enforcement: thin, idempotent, one chapter (or one batch of chapters) per task.

acks_late and reject_on_worker_lost are on for every task (settings): a task is acknowledged
only when done and requeued if its worker dies; every service here is safe to run again.
"""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from chapters.models import Chapter
from enforcement import leave, review, services, sweep
from enforcement.models import SweepRun

# Transient database trouble (a restart, a failover, a lock timeout) is retried with backoff.
RETRY = dict(
    autoretry_for=(OperationalError, InterfaceError), retry_backoff=5, retry_backoff_max=300, retry_jitter=True,
    max_retries=6, acks_late=True, reject_on_worker_lost=True,
)


@shared_task(**RETRY, soft_time_limit=120, time_limit=180)
def chapter_enforce_task(chapter_id: int) -> dict:
    """Judge one chapter in full and issue fines and cases at once (after a meeting closes or evidence changes)."""
    chapter = Chapter.objects.filter(pk=chapter_id).first()
    if chapter is None:
        return {"fines": 0, "cases": 0}
    result = services.chapter_enforce(chapter=chapter)
    return {"fines": len(result.fines), "cases": len(result.cases)}


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def enforcement_sweep() -> int:
    """Hourly: record a sweep run and send one `enforce_batch` task per batch of due chapters.

    Hourly because each chapter's day turns at its own hour (UTC); a chapter not due costs nothing.
    Returns the number of batches sent.
    """
    run, batches = sweep.sweep_start(now=timezone.now())
    for index, (day, ids) in enumerate(batches):
        enforce_batch.delay(run.pk, index, ids, day.isoformat())
    return len(batches)


@shared_task(**RETRY, soft_time_limit=600, time_limit=660)
def enforce_batch(run_id: int | None, index: int, chapter_ids: list[int], day: str) -> dict:
    """Judge one batch of chapters on local day `day` (ISO); a rerun finds the work done and counts once."""
    result = sweep.chapters_enforce(
        chapter_ids=chapter_ids, today=date.fromisoformat(day), run=SweepRun(pk=run_id) if run_id else None,
        index=index,
    )
    return result.counts


@shared_task(**RETRY, soft_time_limit=120, time_limit=180)
def chapter_reminders_task(chapter_id: int) -> int:
    chapter = Chapter.objects.filter(pk=chapter_id).first()
    return services.chapter_send_reminders(chapter=chapter) if chapter else 0


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def reminders_sweep() -> int:
    """Hourly: a reminders task for each chapter whose reminder hour has come and that meets tomorrow.

    Running every hour from the reminder hour to midnight (chapter time) catches a missed run;
    the dedupe keys make every later run a no-op.
    """
    due = services.chapters_due_reminders(now=timezone.now())
    for pk in due:
        chapter_reminders_task.delay(pk)
    for pk in services.reminders_email_pending_ids():
        reminder_email_send_task.delay(pk)
    return len(due)


@shared_task(
    autoretry_for=(OperationalError, ConnectionError, OSError), retry_backoff=True, max_retries=5,
    soft_time_limit=60, time_limit=90,
)
def reminder_email_send_task(notification_id: int) -> bool:
    return services.reminder_email_send(notification_id=notification_id)


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def probation_lift_task(case_id: int) -> bool:
    """Lift one ended probation (status back to active); a rerun finds it lifted and does nothing."""
    return review.probation_lift(case_id=case_id)


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def probations_lift_sweep() -> int:
    """Daily: a lift task for each probation whose last day has passed (chapter time)."""
    ids = review.probations_due(now=timezone.now())
    for pk in ids:
        probation_lift_task.delay(pk)
    return len(ids)


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def leave_status_sync_task(membership_id: int) -> bool:
    """Put one seat's status in step with its leave; a rerun finds it in step and does nothing."""
    return leave.leave_status_sync(membership_id=membership_id)


@shared_task(**RETRY, soft_time_limit=60, time_limit=90)
def leave_status_sweep() -> int:
    """Hourly: seats whose leave started or ended today (chapter time) get their status set, one task each.

    Hourly rather than daily because chapters' days start at different hours (UTC); in-step seats are skipped.
    """
    ids = leave.leave_status_mismatches(now=timezone.now())
    for pk in ids:
        leave_status_sync_task.delay(pk)
    return len(ids)

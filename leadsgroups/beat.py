"""What Celery beat runs, and when (times in UTC; each task works in each chapter's timezone).

Kept in code rather than django-celery-beat: the schedule is part of the product, reviewed
in pull requests, identical on every install, and needs no tables or admin screens.
"""

from datetime import timedelta

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # The email outbox (members/outbox.py): every email is a row first; this sends what is due —
    # a send whose on-commit task was lost (broker down, worker killed) and retries after a wait.
    "outbox-sweep": {
        "task": "members.tasks.outbox_sweep",
        "schedule": crontab(),  # every minute: the first retry comes one minute after a failure
    },
    # The daily digest (members/digest.py): one email per person gathering the notices they get that way.
    # A fixed hour, morning in Europe; each notice goes in one digest (rows claimed), so a rerun sends nothing.
    "notifications-digest": {
        "task": "members.tasks.notification_digests_sweep",
        "schedule": crontab(hour=6, minute=30),
    },
    # Each chapter's meetings for the next 8 weeks (idempotent: one meeting per schedule slot).
    "meetings-schedule": {
        "task": "meetings.tasks.meetings_schedule_all",
        "schedule": crontab(hour=2, minute=15),
    },
    # Referrals with no update for STALE_REFERRAL_DAYS: mark stale, remind the receiver once per spell.
    "referrals-stale-sweep": {
        "task": "referrals.tasks.referrals_stale_sweep",
        "schedule": crontab(hour=6, minute=15),
    },
    # Rule enforcement, in batches of due chapters: those whose evidence changed (a close-time task
    # lost) or whose next due day came in chapter time (a quota period to judge, a leave ending).
    # Hourly: each chapter is judged soon after its midnight; a chapter not due costs nothing.
    "enforcement-sweep": {
        "task": "enforcement.tasks.enforcement_sweep",
        "schedule": crontab(minute=30),
    },
    # Meeting reminders: chapters whose reminder hour (ENFORCEMENT_REMINDER_HOUR, chapter time)
    # has come and that meet tomorrow; later runs that evening are no-ops (one per member per meeting).
    "enforcement-reminders": {
        "task": "enforcement.tasks.reminders_sweep",
        "schedule": crontab(minute=0),
    },
    # Leave that starts or ends today (chapter time) sets the seat's status: on leave, then back to active.
    "enforcement-leave-status": {
        "task": "enforcement.tasks.leave_status_sweep",
        "schedule": crontab(minute=10),  # hourly: each chapter's midnight comes at its own hour
    },
    # Retention (members/retention.py): notifications and sent emails past their retention days,
    # deleted in batches; a rerun finds nothing more. At 03:40, after the night's sweeps.
    "retention-prune": {
        "task": "members.tasks.retention_prune_task",
        "schedule": crontab(hour=3, minute=40),
    },
    # Webhook deliveries (webhooks/delivery.py) that are due: a send whose task was lost, and retries.
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhooks_sweep",
        "schedule": crontab(),  # every minute, as the email outbox: the first retry comes a minute after
    },
    # Chapter exports whose build task was lost, and account erasures whose scrub was lost (portability).
    "portability-sweep": {
        "task": "portability.tasks.portability_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Retention of expired API tokens, finished webhook deliveries, expired exports and closed referrals'
    # prospect data (portability/retention.py), in batches; after the notifications' prune.
    "data-retention-prune": {
        "task": "portability.tasks.data_retention_prune_task",
        "schedule": crontab(hour=3, minute=45),
    },
    # The Background work page's rows (ops/models.py TaskRun): runs past TASK_RUN_RETENTION_DAYS.
    "task-runs-prune": {
        "task": "ops.tasks.task_runs_prune_task",
        "schedule": crontab(hour=3, minute=50),
    },
    # Integrity flags (integrity/): every chapter checked for gamed activity over its last months, one task per
    # chapter; reruns find the same flags. Nightly at 01:20 UTC, when Europe's chapters sleep and before the
    # 03:40 prune; a pattern is months deep, so the hour does not change what is found.
    "integrity-sweep": {
        "task": "integrity.tasks.integrity_sweep",
        "schedule": crontab(hour=1, minute=20),
    },
    # Probation decided on an expulsion case whose last day has passed (chapter time): back to active,
    # audited, member and president told. Idempotent: a lifted case is marked and skipped.
    "enforcement-probations-lift": {
        "task": "enforcement.tasks.probations_lift_sweep",
        "schedule": crontab(minute=45),  # hourly: each chapter's midnight comes at its own hour
    },
}


def beat_schedule(*, every_seconds: int = 0) -> dict:
    """The schedule Celery is configured with (settings.CELERY_BEAT_SCHEDULE).

    `every_seconds` (setting BEAT_EVERY_SECONDS) replaces every entry's timing by that interval: the
    system test and a developer watching the engine run see every entry sent within seconds.
    """
    if not every_seconds:
        return {name: dict(entry) for name, entry in BEAT_SCHEDULE.items()}
    return {name: {**entry, "schedule": timedelta(seconds=every_seconds)} for name, entry in BEAT_SCHEDULE.items()}

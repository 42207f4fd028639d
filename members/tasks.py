from celery import shared_task
from django.utils import timezone

from members import digest, notifications, outbox, retention


@shared_task
def outbound_email_send_task(email_id: int) -> bool:
    """Send one outbox email; after a failure, queue the next try for when its wait is over."""
    result = outbox.email_send(email_id=email_id)
    if result.retry_at is not None:
        # Lost if the broker is down or the worker restarts: the sweep then finds the row due.
        outbox.email_send_queue(email_id=email_id, eta=result.retry_at)
    return result.sent


@shared_task
def outbound_emails_send_task(email_ids: list[int]) -> int:
    """Send a batch of outbox emails, each claimed on its own as `outbound_email_send_task` does; returns how many went.

    An email sent meanwhile (by the outbox sweep, or this batch delivered twice) is skipped by its
    claim; a failed one has its next try queued alone, for when its wait is over.
    """
    sent = 0
    for email_id in email_ids:
        result = outbox.email_send(email_id=email_id)
        if result.retry_at is not None:
            outbox.email_send_queue(email_id=email_id, eta=result.retry_at)
        sent += result.sent
    return sent


@shared_task
def outbox_sweep() -> int:
    """Every minute: queue a send for each email that is due (its task was lost, or its wait is over)."""
    notifications.notifications_email_backfill()  # notices from before the outbox: their emails join it
    ids = outbox.emails_due_ids()
    for pk in ids:
        outbound_email_send_task.delay(pk)
    return len(ids)


@shared_task
def notifications_send_pending() -> int:
    """The old name of `outbox_sweep`: kept so a beat still running the old schedule keeps mail moving."""
    return outbox_sweep()


@shared_task(soft_time_limit=600, time_limit=660)
def retention_prune_task() -> dict:
    """Daily: delete notifications and sent emails past their retention, a batch per transaction."""
    pruned = retention.retention_prune(max_batches=100)  # at most 500,000 rows a run; the next run goes on
    return {"notifications": pruned.notifications, "emails": pruned.emails}


@shared_task
def notification_digests_sweep(now_iso: str | None = None) -> int:
    """Daily: find everyone with notices waiting for their digest and queue their digests in batches of people."""
    from django.utils.dateparse import parse_datetime

    now = parse_datetime(now_iso) if now_iso else timezone.now()
    user_ids = digest.digest_user_ids(now=now)
    for i in range(0, len(user_ids), digest.BATCH):
        notification_digests_send_task.delay(user_ids[i:i + digest.BATCH], now.isoformat())
    return len(user_ids)


@shared_task
def notification_digests_send_task(user_ids: list[int], now_iso: str) -> int:
    """Write the digests of a batch of people (each claims its notices: a batch run twice writes nothing twice)."""
    from django.utils.dateparse import parse_datetime

    return digest.notification_digests_send(user_ids=user_ids, now=parse_datetime(now_iso))

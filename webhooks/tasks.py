import logging

from celery import shared_task

from webhooks import delivery

log = logging.getLogger(__name__)


@shared_task
def webhook_delivery_send_task(delivery_id: int) -> bool:
    """Send one webhook delivery; after a failed try, queue the next for when its wait is over."""
    result = delivery.delivery_send(delivery_id=delivery_id)
    if result.retry_at is not None:
        try:
            # Lost if the broker is down or the worker restarts: the sweep then finds the row due.
            webhook_delivery_send_task.apply_async((delivery_id,), eta=result.retry_at)
        except Exception:  # noqa: BLE001 - the row waits for the sweep
            log.warning("Broker unavailable; webhook delivery %s will be retried by the sweep", delivery_id)
    return result.sent


@shared_task
def webhooks_sweep() -> int:
    """Every minute: queue a send for each delivery that is due (its task was lost, or its wait is over)."""
    ids = delivery.deliveries_due_ids()
    for pk in ids:
        webhook_delivery_send_task.delay(pk)
    return len(ids)

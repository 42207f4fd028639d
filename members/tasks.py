from smtplib import SMTPException

from celery import shared_task

from members import notifications


@shared_task(autoretry_for=(SMTPException, ConnectionError), retry_backoff=True, max_retries=5)
def notification_email_send_task(notification_id: int) -> bool:
    return notifications.notification_email_send(notification_id=notification_id)


@shared_task
def notifications_send_pending() -> int:
    """Queue the email of every notification still unsent; each send claims its row."""
    ids = notifications.notifications_pending_ids()
    for pk in ids:
        notification_email_send_task.delay(pk)
    return len(ids)

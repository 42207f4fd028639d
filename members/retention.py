"""Retention: old notifications and sent emails are deleted in batches, so the tables stop growing.

Read notifications go after NOTIFICATION_RETENTION_DAYS, unread ones after
NOTIFICATION_UNREAD_RETENTION_DAYS (never sooner than read ones: an unread notice may still be
news to someone who has been away). Sent emails go after OUTBOX_SENT_RETENTION_DAYS; failed,
queued and sending ones are kept for the admins whatever their age (a retry that succeeds makes
them sent, and then they age out). Each batch is its own short transaction: no single huge DELETE
holds locks or bloats one transaction, and a run stopped half-way simply continues next time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from members.models import Notification, OutboundEmail

BATCH_SIZE = 5_000


@dataclass
class Pruned:
    notifications: int = 0
    emails: int = 0


def _delete_in_batches(queryset, *, batch_size: int, max_batches: int | None) -> int:
    """Delete the rows of `queryset` oldest first, `batch_size` primary keys per transaction."""
    model = queryset.model
    deleted = batches = 0
    while max_batches is None or batches < max_batches:
        ids = list(queryset.order_by("created_at", "pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            break
        with transaction.atomic():
            _, per_model = model.objects.filter(pk__in=ids).delete()
        deleted += per_model.get(model._meta.label, 0)
        batches += 1
    return deleted


def notifications_prunable(*, now=None):
    """Notifications past their retention whose emails are all settled (none failed or still to go)."""
    now = now or timezone.now()
    read_days = settings.NOTIFICATION_RETENTION_DAYS
    unread_days = max(settings.NOTIFICATION_UNREAD_RETENTION_DAYS, read_days)
    unsettled = OutboundEmail.objects.filter(
        notification=OuterRef("pk"), status__in=[*OutboundEmail.PENDING, OutboundEmail.Status.FAILED]
    )
    read_cutoff = now - timedelta(days=read_days)
    return (
        # The plain bound lets PostgreSQL range-scan the created_at index; the OR alone reads it all.
        Notification.objects.filter(created_at__lt=read_cutoff)
        .filter(
            Q(read_at__isnull=False) | Q(created_at__lt=now - timedelta(days=unread_days), read_at__isnull=True)
        )
        .filter(~Exists(unsettled))
    )


def emails_prunable(*, now=None):
    """Sent emails past OUTBOX_SENT_RETENTION_DAYS, and cancelled ones that no notification waits on."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.OUTBOX_SENT_RETENTION_DAYS)
    return OutboundEmail.objects.filter(created_at__lt=cutoff).filter(
        # A cancelled email of a notification stays: without any row, the outbox's backfill would
        # take the notification for one written before the outbox and queue its email again.
        Q(status=OutboundEmail.Status.SENT) | Q(status=OutboundEmail.Status.CANCELLED, notification__isnull=True)
    )


def retention_prune(*, now=None, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> Pruned:
    """Delete what is past its retention; a rerun finds nothing more to do."""
    return Pruned(
        notifications=_delete_in_batches(notifications_prunable(now=now), batch_size=batch_size, max_batches=max_batches),
        emails=_delete_in_batches(emails_prunable(now=now), batch_size=batch_size, max_batches=max_batches),
    )

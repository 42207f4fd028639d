"""Retention of what this issue added: expired API tokens, finished webhook deliveries, export files, prospects.

Read notifications and sent emails are pruned by members/retention.py. Here, each night:

- API tokens expired or revoked more than API_TOKEN_RETENTION_DAYS ago are deleted (when the `api`
  app is installed); a token's row is no use once it can no longer be used, beyond telling its owner;
- webhook deliveries sent or failed more than WEBHOOK_DELIVERY_RETENTION_DAYS ago are deleted;
- chapter exports past their expiry (CHAPTER_EXPORT_RETENTION_HOURS after they were ready) lose their
  file and their row; failed ones go after a day;
- the prospect's name, email, phone and the giver's notes of referrals closed (won, lost, declined)
  more than PROSPECT_DATA_RETENTION_DAYS ago are erased as an erasure by hand erases them (a history
  entry says so; consent links are closed and their emails emptied); counts, statuses and values stay.

Set-based statements in batches of primary keys, each batch its own short transaction, so a run stopped
half-way continues next time and nothing holds locks for long.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from members.models import OutboundEmail
from members.outbox import emails_erase
from portability.api_tokens import token_model
from portability.models import ChapterExport
from referrals.models import ConsentRequest, Referral, ReferralEvent
from webhooks.models import WebhookDelivery

BATCH_SIZE = 2_000
CLOSED = (Referral.Status.WON, Referral.Status.LOST, Referral.Status.DECLINED, Referral.Status.PROSPECT_DECLINED)


@dataclass
class Pruned:
    api_tokens: int = 0
    webhook_deliveries: int = 0
    exports: int = 0
    prospects: int = 0


def _batches(queryset, *, batch_size: int, max_batches: int | None):
    """Successive lists of primary keys of `queryset`, lowest first, until none are left."""
    done = 0
    while max_batches is None or done < max_batches:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return
        yield ids
        done += 1


def _delete(queryset, **batching) -> int:
    deleted = 0
    for ids in _batches(queryset, **batching):
        with transaction.atomic():
            deleted += queryset.model.objects.filter(pk__in=ids).delete()[1].get(queryset.model._meta.label, 0)
    return deleted


def tokens_prunable(*, now=None):
    """Tokens expired or revoked longer than API_TOKEN_RETENTION_DAYS ago; None without the `api` app."""
    model = token_model()
    if model is None:
        return None
    cutoff = (now or timezone.now()) - timedelta(days=settings.API_TOKEN_RETENTION_DAYS)
    gone = Q(expires_at__lt=cutoff)
    if any(f.name == "revoked_at" for f in model._meta.concrete_fields):
        gone |= Q(revoked_at__lt=cutoff)
    return model.objects.filter(gone)


def deliveries_prunable(*, now=None):
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_DELIVERY_RETENTION_DAYS)
    return WebhookDelivery.objects.filter(created_at__lt=cutoff, status__in=WebhookDelivery.FINISHED)


def exports_prunable(*, now=None):
    now = now or timezone.now()
    return ChapterExport.objects.filter(
        Q(expires_at__lt=now) | Q(status=ChapterExport.Status.FAILED, created_at__lt=now - timedelta(days=1))
    )


def exports_prune(*, now=None, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> int:
    """Delete expired exports, their files once the rows' deletion is committed."""
    deleted = 0
    for ids in _batches(exports_prunable(now=now), batch_size=batch_size, max_batches=max_batches):
        with transaction.atomic():
            names = [n for n in ChapterExport.objects.filter(pk__in=ids).values_list("file", flat=True) if n]
            deleted += ChapterExport.objects.filter(pk__in=ids).delete()[1].get(ChapterExport._meta.label, 0)
            transaction.on_commit(lambda names=names: _files_delete(names))
    return deleted


def _files_delete(names: list[str]) -> None:
    storage = ChapterExport._meta.get_field("file").storage
    for name in names:
        storage.delete(name)


def prospects_expired(*, now=None):
    """Closed referrals whose prospect data is older than PROSPECT_DATA_RETENTION_DAYS and still there."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.PROSPECT_DATA_RETENTION_DAYS)
    has_data = ~Q(prospect_name="") | ~Q(prospect_email="") | ~Q(prospect_phone="") | ~Q(notes="")
    return Referral.objects.filter(status__in=CLOSED, status_changed_at__lt=cutoff, prospect_erased_at__isnull=True).filter(has_data)


def prospects_prune(*, now=None, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> int:
    now = now or timezone.now()
    days = settings.PROSPECT_DATA_RETENTION_DAYS
    note = f"Prospect data removed: the referral closed more than {days} days ago (retention)."
    erased = 0
    for ids in _batches(prospects_expired(now=now), batch_size=batch_size, max_batches=max_batches):
        with transaction.atomic():
            erased += Referral.objects.filter(pk__in=ids, prospect_erased_at__isnull=True).update(
                prospect_name="", prospect_email="", prospect_phone="", notes="", prospect_erased_at=now
            )
            ReferralEvent.objects.bulk_create(
                [ReferralEvent(referral_id=pk, action=ReferralEvent.Action.ERASED, note=note, created_at=now)
                 for pk in ids]
            )
            ConsentRequest.objects.filter(referral_id__in=ids, closed_at__isnull=True).update(
                closed_at=now, outcome=ConsentRequest.Outcome.ERASED
            )
            emails_erase(emails=OutboundEmail.objects.filter(consent_request__referral_id__in=ids))
    return erased


def data_retention_prune(*, now=None, batch_size: int = BATCH_SIZE, max_batches: int | None = None) -> Pruned:
    """Everything of this module past its retention; a rerun finds nothing more to do."""
    batching = {"batch_size": batch_size, "max_batches": max_batches}
    tokens = tokens_prunable(now=now)
    return Pruned(
        api_tokens=_delete(tokens, **batching) if tokens is not None else 0,
        webhook_deliveries=_delete(deliveries_prunable(now=now), **batching),
        exports=exports_prune(now=now, **batching),
        prospects=prospects_prune(now=now, **batching),
    )


def pruned_dict(pruned: Pruned) -> dict:
    return asdict(pruned)

"""The audit trail: every consequential act is recorded here, once, never changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import models

from leadsgroups.i18n import language
from members.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")  # to the second, with its offset
    return str(value)  # dates, decimals, enums: as the person reads them


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model,
    summary: str,
    chapter=None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Write one audit event; call inside the transaction of the act it records."""
    actor = actor if getattr(actor, "is_authenticated", False) else None
    with language(None):  # a record: names of rows (a classification's) in the site's language, whoever acted
        before, after = _plain(before or {}), _plain(after or {})
    return AuditEvent.objects.create(
        actor=actor,
        # A snapshot of who acted, so the trail still names them after their account is deleted.
        actor_name=(actor.full_name if actor else "")[:150],
        actor_email=(actor.email if actor else "")[:254],
        chapter=chapter,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        summary=summary[:300],
        before=before,
        after=after,
        reason=reason,
    )

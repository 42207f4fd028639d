"""Reads of the members app shaped for a screen: the audit trail, the email outbox, a person's seats."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery

from members.models import AuditEvent, OutboundEmail


def audit_events(*, chapter=None, regions: list[int] | None = None, q: str = "") -> QuerySet[AuditEvent]:
    """Audit events newest first: one chapter's, some regions' chapters' (None: all), matching `q`.

    `q` matches the action, the summary, the reason, and the actor's name or email, so
    "who did what and why" can all be searched from one box.
    """
    events = AuditEvent.objects.select_related("actor", "chapter")
    if chapter is not None:
        events = events.filter(chapter=chapter)
    elif regions is not None:
        events = events.filter(chapter__region_id__in=regions)
    q = q.strip()
    if q:
        events = events.filter(
            Q(summary__icontains=q) | Q(action__icontains=q) | Q(reason__icontains=q)
            | Q(actor_name__icontains=q) | Q(actor_email__icontains=q)  # as they were when they acted ...
            | Q(actor__full_name__icontains=q) | Q(actor__email__icontains=q)  # ... and as they are now
        )
    return events


def with_email_state(queryset: QuerySet, *, cause: str) -> QuerySet:
    """Give each row its latest email's `outbox_status`, `outbox_error` and `outbox_sent_at` (None: no email).

    `cause` is the outbox's foreign key to the row ("invitation", "consent_request"); three
    subqueries in the one statement, never a query per row.
    """
    latest = OutboundEmail.objects.filter(**{cause: OuterRef("pk")}).order_by("-created_at", "-pk")
    return queryset.annotate(
        outbox_status=Subquery(latest.values("status")[:1]),
        outbox_error=Subquery(latest.values("last_error")[:1]),
        outbox_sent_at=Subquery(latest.values("sent_at")[:1]),
    )


OUTBOX_FILTERS = {
    "failed": [OutboundEmail.Status.FAILED],
    "waiting": list(OutboundEmail.PENDING),
    "sent": [OutboundEmail.Status.SENT],
    "all": None,
}


def outbox_emails(*, show: str = "failed", q: str = "") -> QuerySet[OutboundEmail]:
    """The outbox for admins, newest first: failed, waiting (queued or sending), sent, or all; matching `q`."""
    emails = OutboundEmail.objects.select_related("chapter").defer("body", "html", "headers")
    statuses = OUTBOX_FILTERS.get(show, OUTBOX_FILTERS["failed"])
    if statuses is not None:
        emails = emails.filter(status__in=statuses)
    q = q.strip()
    if q:
        emails = emails.filter(Q(to__icontains=q) | Q(subject__icontains=q) | Q(last_error__icontains=q))
    return emails


def outbox_counts() -> dict[str, int]:
    """How many emails are failed, waiting and sent (one query)."""
    rows = dict(OutboundEmail.objects.values_list("status").annotate(n=Count("pk")).order_by())
    return {
        name: sum(rows.get(s, 0) for s in (statuses or OutboundEmail.Status.values))
        for name, statuses in OUTBOX_FILTERS.items()
    }


def directory_seats(*, user) -> list:
    """The person's seats (chapter and classification): the directories their card appears in."""
    from members.models import Membership

    return list(
        Membership.objects.filter(user=user, status__in=Membership.SEATED_STATUSES)
        .select_related("chapter", "classification")
        .order_by("chapter__name", "pk")
    )

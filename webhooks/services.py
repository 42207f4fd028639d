"""Writes about a chapter's webhook endpoints: register, change, new secret, remove, send a delivery again."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from members.audit import AuditText, audit_record
from webhooks import signing
from webhooks.addresses import url_check
from webhooks.delivery import delivery_resend_queue
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint


def _events_check(events: list[str]) -> list[str]:
    chosen = [e for e in Event.values if e in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationError({"events": _("Choose at least one of the events listed.")})
    return chosen


@transaction.atomic
def endpoint_create(*, chapter, url: str, events: list[str], description: str, by) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its secret, which is shown this once."""
    url_check(url)
    secret = signing.secret_make()
    endpoint = WebhookEndpoint.objects.create(
        chapter=chapter, url=url.strip(), events=_events_check(events), description=description.strip(),
        secret=secret, created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_record(actor=by, action="webhook.created", target=endpoint, chapter=chapter,
                 summary=AuditText(gettext_noop("Webhook endpoint %(url)s registered"), url=endpoint.url),
                 after={"events": endpoint.events})
    return endpoint, secret


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, url: str, events: list[str], description: str,
                    is_active: bool, by) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().defer("secret").get(pk=endpoint.pk)
    if url.strip() != endpoint.url:
        url_check(url)
    before = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    endpoint.url, endpoint.events = url.strip(), _events_check(events)
    endpoint.description, endpoint.is_active = description.strip(), is_active
    endpoint.save(update_fields=["url", "events", "description", "is_active"])
    after = {"url": endpoint.url, "events": endpoint.events, "is_active": endpoint.is_active}
    if after != before:
        audit_record(actor=by, action="webhook.changed", target=endpoint, chapter=endpoint.chapter,
                     summary=AuditText(gettext_noop("Webhook endpoint %(url)s changed"), url=endpoint.url),
                     before=before, after=after)
    return endpoint


@transaction.atomic
def endpoint_secret_renew(*, endpoint: WebhookEndpoint, by) -> str:
    """A new secret (the old one stops working at once); returns it, shown this once."""
    secret = signing.secret_make()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret)
    audit_record(actor=by, action="webhook.secret_renewed", target=endpoint, chapter=endpoint.chapter,
                 summary=AuditText(gettext_noop("New secret for webhook endpoint %(url)s"), url=endpoint.url))
    return secret


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, by) -> None:
    """Remove the endpoint and its deliveries (those still queued are not sent)."""
    audit_record(actor=by, action="webhook.deleted", target=endpoint, chapter=endpoint.chapter,
                 summary=AuditText(gettext_noop("Webhook endpoint %(url)s removed"), url=endpoint.url))
    endpoint.delete()


@transaction.atomic
def delivery_resend(*, delivery: WebhookDelivery, by) -> None:
    """Send a sent or failed delivery again (same id and body, so a receiver can tell it is the same event)."""
    if not delivery_resend_queue(delivery=delivery):
        raise ValidationError(_("This delivery is still on its way: it can be sent again once it has gone or failed."))
    audit_record(actor=by, action="webhook.resent", target=delivery.endpoint, chapter=delivery.endpoint.chapter,
                 summary=AuditText(gettext_noop("Webhook delivery %(id)s (%(event)s) queued again"),
                                   id=delivery.delivery_id, event=delivery.event))

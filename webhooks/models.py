"""Webhooks: a chapter's endpoints, and each delivery to one of them as a row first (the outbox's shape)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webhooks.secret_box import EncryptedSecretField


class Event(models.TextChoices):
    """What a chapter's endpoint may subscribe to; the value is the `X-Leadsgroups-Event` header."""

    REFERRAL_GIVEN = "referral.given", _("Referral given")
    REFERRAL_WON = "referral.won", _("Referral won")
    MEETING_CLOSED = "meeting.closed", _("Meeting closed")
    FINE_ISSUED = "fine.issued", _("Fine issued")


class WebhookEndpoint(models.Model):
    """An HTTPS address of the chapter's leadership that is told of the events it chose, signed with its secret."""

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=100, blank=True)
    events = models.JSONField(default=list, help_text=_("The events this endpoint is told of."))
    # Kept to sign each delivery (an HMAC needs the key itself), encrypted under WEBHOOK_SECRET_KEYS
    # (webhooks/secret_box.py); shown to people once, when made or renewed.
    secret = EncryptedSecretField()
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["chapter", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.url

    def wants(self, event: str) -> bool:
        return self.is_active and event in (self.events or [])


class WebhookDelivery(models.Model):
    """One event for one endpoint: written in the transaction of its cause, sent by a task, retried with backoff."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    PENDING = (Status.QUEUED, Status.SENDING)
    FINISHED = (Status.SENT, Status.FAILED)

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Event.choices)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False,
                                   help_text=_("Sent as X-Leadsgroups-Delivery: the receiver's key against doubles."))
    dedupe_key = models.CharField(max_length=120, help_text=_("The cause: one delivery per endpoint and cause."))
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # An event emitted again (a retried task, a meeting closed twice) is not delivered twice.
            models.UniqueConstraint(fields=["endpoint", "dedupe_key"], name="webhooks_delivery_once_per_cause"),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["queued", "sending"]),
                         name="webhooks_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhooks_delivery_endpoint"),
            models.Index(fields=["created_at", "id"], name="webhooks_delivery_created"),  # retention's range
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"

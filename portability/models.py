"""Data that leaves, and data that goes: chapter exports being built or kept, and accounts being erased."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChapterExport(models.Model):
    """A zip of a chapter's records, built by a task; kept for CHAPTER_EXPORT_RETENTION_HOURS, then deleted."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Preparing")
        BUILDING = "building", _("Preparing")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    PENDING = (Status.QUEUED, Status.BUILDING)

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Under MEDIA_ROOT with a random name, and never served as a file: the download view checks access.
    file = models.FileField(upload_to="exports/", blank=True, max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True, help_text=_("Rows per file, as written."))
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("chapter export")
        verbose_name_plural = _("chapter exports")
        constraints = [
            # Asking twice while one is being prepared gives that one, not a second build.
            models.UniqueConstraint(fields=["chapter"], condition=Q(status__in=["queued", "building"]),
                                    name="portability_export_one_pending"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="portability_export_expires")]

    def __str__(self) -> str:
        return f"Export of {self.chapter_id} ({self.status})"

    @property
    def is_pending(self) -> bool:
        return self.status in self.PENDING

    def is_downloadable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.status == self.Status.READY and bool(self.file) and (self.expires_at is None or self.expires_at > now)


class Erasure(models.Model):
    """An account deleted at its owner's request; its number is the pseudonym ("Former member #12").

    The account row stays as a pseudonymous husk (memberships, referrals and attendance keep pointing
    at it, so the chapters' figures stand). `terms` holds what is searched for and replaced in the rest
    of the database (name, email, phone, business) only until that search is done, then it is emptied.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    terms = models.JSONField(default=list, blank=True)
    scrubbed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("account erasure")
        verbose_name_plural = _("account erasures")
        indexes = [models.Index(fields=["scrubbed_at"], condition=Q(scrubbed_at__isnull=True),
                                name="portability_erasure_pending")]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def pseudonym(self) -> str:
        return f"Former member #{self.pk}"

    @property
    def pseudonym_email(self) -> str:
        return f"former-member-{self.pk}@erased.invalid"

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class Referral(models.Model):
    class Kind(models.TextChoices):
        INSIDE = "inside", "Inside (business from me)"
        OUTSIDE = "outside", "Outside (a third party)"

    class Consent(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed by the prospect"
        STATED = "stated", "Stated by the giver"
        NOT_ASKED = "not_asked", "Not asked"
        DECLINED = "declined", "Declined by the prospect"

    class Status(models.TextChoices):
        GIVEN = "given", "Given"
        ACCEPTED = "accepted", "Accepted"
        CONTACTED = "contacted", "Contacted"
        MEETING = "meeting", "Meeting held"
        WON = "won", "Won"
        LOST = "lost", "Lost"
        DECLINED = "declined", "Declined by receiver"

    class BusinessType(models.TextChoices):
        NEW = "new", "New business"
        REPEAT = "repeat", "Repeat business"

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="referrals")
    giver = models.ForeignKey("members.Membership", on_delete=models.PROTECT, related_name="referrals_given")
    receiver = models.ForeignKey("members.Membership", on_delete=models.PROTECT, related_name="referrals_received")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OUTSIDE)
    prospect_name = models.CharField(max_length=150, blank=True)
    prospect_email = models.EmailField(blank=True)
    prospect_phone = models.CharField(max_length=40, blank=True)
    consent = models.CharField(max_length=10, choices=Consent.choices, default=Consent.NOT_ASKED)
    temperature = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)], default=3)
    notes = models.TextField(blank=True, max_length=4000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GIVEN)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    closed_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    closed_on = models.DateField(null=True, blank=True)
    business_type = models.CharField(max_length=10, choices=BusinessType.choices, blank=True)
    prospect_erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(giver=F("receiver")), name="referrals_referral_not_to_self"),
            models.CheckConstraint(
                condition=Q(closed_value__isnull=True) | Q(closed_value__gte=0), name="referrals_referral_value_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["chapter", "created_at"], name="referrals_ref_ch_created"),
            models.Index(fields=["receiver", "status"], name="referrals_ref_recv_status"),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk} {self.giver} → {self.receiver}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:detail", args=[self.chapter.slug, self.pk])

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

# The temperature a giver puts on a referral: how much effort went into it (DOMAIN.md).
TEMPERATURE_MEANINGS = {
    1: "Contact passed on; the prospect knows you will call",
    2: "The prospect has a need and expects your call",
    3: "I talked the prospect through your business",
    4: "I recommended you; the prospect wants to meet",
    5: "I introduced you in person (or on a three-way call)",
}
# No closed deal in a leads group is worth more than this; a larger figure is a typo.
MAX_CLOSED_VALUE = Decimal("10000000.00")


class Referral(models.Model):
    class Kind(models.TextChoices):
        INSIDE = "inside", "Inside (the giver's own business)"
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
        PROSPECT_DECLINED = "prospect_declined", "Closed: prospect declined"

    class BusinessType(models.TextChoices):
        NEW = "new", "New business"
        REPEAT = "repeat", "Repeat business"

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="referrals")
    giver = models.ForeignKey("members.Membership", on_delete=models.PROTECT, related_name="referrals_given")
    receiver = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="referrals_received"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OUTSIDE)
    prospect_name = models.CharField(max_length=150, blank=True)
    prospect_email = models.EmailField(blank=True)
    prospect_phone = models.CharField(max_length=40, blank=True)
    consent = models.CharField(max_length=10, choices=Consent.choices, default=Consent.NOT_ASKED)
    temperature = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], default=3
    )
    notes = models.TextField(blank=True, max_length=4000)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.GIVEN)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    closed_value = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    closed_on = models.DateField(null=True, blank=True)
    business_type = models.CharField(max_length=10, choices=BusinessType.choices, blank=True)
    prospect_erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    decline_reason = models.CharField(max_length=300, blank=True, help_text="Why the receiver declined it.")
    stale_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set when an open referral went without an update too long; cleared on update.",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(giver=F("receiver")), name="referrals_referral_not_to_self"),
            models.CheckConstraint(
                condition=Q(closed_value__isnull=True) | Q(closed_value__gte=0),
                name="referrals_referral_value_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["chapter", "created_at"], name="referrals_ref_ch_created"),
            # The admin's list, newest first: seeded or imported rows share a created_at by the thousand.
            models.Index(fields=["created_at", "id"], name="referrals_ref_created"),
            models.Index(fields=["receiver", "status"], name="referrals_ref_recv_status"),
        ]

    def __str__(self) -> str:
        return f"Referral #{self.pk} {self.giver} → {self.receiver}"

    def get_absolute_url(self) -> str:
        return reverse("referrals:detail", args=[self.chapter.slug, self.pk])

    # Where the receiver may move a referral from each status; terminal statuses lead nowhere.
    TRANSITIONS = {
        Status.GIVEN: (Status.ACCEPTED, Status.DECLINED),
        Status.ACCEPTED: (Status.CONTACTED, Status.LOST, Status.DECLINED),
        Status.CONTACTED: (Status.MEETING, Status.WON, Status.LOST),
        Status.MEETING: (Status.WON, Status.LOST),
        Status.WON: (),
        Status.LOST: (),
        Status.DECLINED: (),
        Status.PROSPECT_DECLINED: (),
    }
    OPEN_STATUSES = (Status.GIVEN, Status.ACCEPTED, Status.CONTACTED, Status.MEETING)
    CONSENTED = (Consent.CONFIRMED, Consent.STATED)

    @property
    def prospect_declined(self) -> bool:
        """The prospect declined (or withdrew) being contacted: nobody may contact them any more."""
        return self.consent == self.Consent.DECLINED

    @property
    def next_statuses(self) -> tuple[str, ...]:
        """Where the receiver may move it now: once the prospect said no, only to its close."""
        if self.prospect_declined:
            return (self.Status.PROSPECT_DECLINED,) if self.is_open else ()
        return self.TRANSITIONS.get(self.status, ())

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def is_stale(self) -> bool:
        return self.stale_since is not None and self.is_open

    @property
    def is_erased(self) -> bool:
        return self.prospect_erased_at is not None

    @property
    def temperature_meaning(self) -> str:
        return TEMPERATURE_MEANINGS.get(self.temperature, "")


class ReferralEvent(models.Model):
    """One entry in a referral's history: a status change, a consent answer, an erasure."""

    class Action(models.TextChoices):
        CREATED = "created", "Given"
        STATUS = "status", "Status changed"
        CONSENT = "consent", "Consent"
        ERASED = "erased", "Prospect data erased"
        STALE = "stale", "Marked stale"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        "members.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the prospect (through the consent link) or the system acted.",
    )
    from_status = models.CharField(max_length=20, blank=True, choices=Referral.Status.choices)
    to_status = models.CharField(max_length=20, blank=True, choices=Referral.Status.choices)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.action} {self.from_status}→{self.to_status}"


class ConsentRequest(models.Model):
    """A link sent to a prospect to confirm or decline being contacted; only the token's hash is kept."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REPLACED = "replaced", "Replaced by a newer link"
        ERASED = "erased", "Prospect data erased"

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="consent_requests")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_by = models.ForeignKey("members.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Set when the link stops working.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(closed_at__isnull=True),
                name="referrals_consentrequest_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent request for referral #{self.referral_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ThankYou(models.Model):
    """Thank-you for closed business (TYFCB): value the receiver closed, credited to the giver."""

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="thank_yous")
    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="thank_you")
    giver = models.ForeignKey(
        "members.Membership",
        on_delete=models.PROTECT,
        related_name="thank_yous_credited",
        help_text="Who gave the referral: the TYFCB is credited to them.",
    )
    receiver = models.ForeignKey(
        "members.Membership",
        on_delete=models.PROTECT,
        related_name="thank_yous_given",
        help_text="Who closed the business and says thank you.",
    )
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_CLOSED_VALUE)],
    )
    closed_on = models.DateField()
    business_type = models.CharField(max_length=10, choices=Referral.BusinessType.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-closed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="referrals_thankyou_value_positive"),
        ]
        indexes = [
            models.Index(fields=["chapter", "closed_on"], name="referrals_ty_ch_closed"),
            models.Index(fields=["closed_on", "id"], name="referrals_ty_closed"),  # the admin's list
        ]

    def __str__(self) -> str:
        return f"TYFCB {self.value} to {self.giver}"


class OneToOne(models.Model):
    """Two members met to learn each other's business; counts once the other confirms."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for confirmation"
        CONFIRMED = "confirmed", "Confirmed"
        DECLINED = "declined", "Declined"

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="one_to_ones")
    initiator = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="one_to_ones_logged"
    )
    other = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="one_to_ones_invited"
    )
    met_on = models.DateField()
    notes = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-met_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(initiator=F("other")), name="referrals_onetoone_not_self"),
            models.UniqueConstraint(
                fields=["initiator", "other", "met_on"], name="referrals_onetoone_once_a_day"
            ),
        ]
        indexes = [
            models.Index(fields=["chapter", "met_on"], name="referrals_121_ch_met"),
            models.Index(fields=["met_on", "id"], name="referrals_121_met"),  # the admin's list
        ]

    def __str__(self) -> str:
        return f"One-to-one {self.initiator} & {self.other} on {self.met_on}"


class EducationCredit(models.Model):
    """Training a member did (a CEU): date, what, hours."""

    chapter = models.ForeignKey(
        "chapters.Chapter", on_delete=models.CASCADE, related_name="education_credits"
    )
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.PROTECT, related_name="education_credits"
    )
    completed_on = models.DateField()
    title = models.CharField(max_length=200)
    hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("40"))],
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="referrals_education_hours_positive"),
        ]
        indexes = [
            models.Index(fields=["chapter", "completed_on"], name="referrals_ceu_ch_done"),
            models.Index(fields=["completed_on", "id"], name="referrals_ceu_done"),  # the admin's list
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.hours} h)"

import hashlib
import hmac
import re
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, pgettext_lazy
from django.utils.translation import gettext_lazy as _

# The temperature a giver puts on a referral: how much effort went into it (DOMAIN.md).
TEMPERATURE_MEANINGS = {
    1: _("Contact passed on; the prospect knows you will call"),
    2: _("The prospect has a need and expects your call"),
    3: _("I talked the prospect through your business"),
    4: _("I recommended you; the prospect wants to meet"),
    5: _("I introduced you in person (or on a three-way call)"),
}


def prospect_key_for(email: str, phone: str) -> str:
    """A keyed hash of the prospect's email (or, without one, their phone's digits), so repeat
    referrals of one prospect are found without comparing contact details in clear. Keyed with the
    site's secret: the hash cannot be recomputed from a guessed address outside the app."""
    contact = email.strip().lower() or re.sub(r"\D", "", phone)[-9:]
    if not contact:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), f"prospect:{contact}".encode(), hashlib.sha256).hexdigest()[:32]


# No closed deal in a leads group is worth more than this; a larger figure is a typo.
MAX_CLOSED_VALUE = Decimal("10000000.00")


class Referral(models.Model):
    class Kind(models.TextChoices):
        INSIDE = "inside", _("Inside (the giver's own business)")
        OUTSIDE = "outside", _("Outside (a third party)")

    class Consent(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed by the prospect")
        STATED = "stated", _("Stated by the giver")
        NOT_ASKED = "not_asked", _("Not asked")
        DECLINED = "declined", _("Declined by the prospect")

    class Status(models.TextChoices):
        GIVEN = "given", _("Given")
        ACCEPTED = "accepted", _("Accepted")
        CONTACTED = "contacted", _("Contacted")
        MEETING = "meeting", _("Meeting held")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        DECLINED = "declined", _("Declined by receiver")
        PROSPECT_DECLINED = "prospect_declined", _("Closed: prospect declined")

    class Rating(models.TextChoices):
        REAL = "real", _("A real lead")
        NOT_LEAD = "not_lead", _("Not a lead")
        DUPLICATE = "duplicate", _("A duplicate")

    class BusinessType(models.TextChoices):
        NEW = "new", _("New business")
        REPEAT = "repeat", _("Repeat business")

    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="referrals"
    )
    giver = models.ForeignKey(
        "members.Membership", verbose_name=_("giver"), on_delete=models.PROTECT, related_name="referrals_given"
    )
    receiver = models.ForeignKey(
        "members.Membership", verbose_name=_("receiver"), on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OUTSIDE)
    prospect_name = models.CharField(_("prospect's name"), max_length=150, blank=True)
    prospect_email = models.EmailField(_("prospect's email"), blank=True)
    prospect_phone = models.CharField(_("prospect's phone"), max_length=40, blank=True)
    consent = models.CharField(_("consent"), max_length=10, choices=Consent.choices, default=Consent.NOT_ASKED)
    temperature = models.PositiveSmallIntegerField(
        _("temperature"), validators=[MinValueValidator(1), MaxValueValidator(5)], default=3
    )
    notes = models.TextField(_("notes"), blank=True, max_length=4000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.GIVEN)
    status_changed_at = models.DateTimeField(_("status changed at"), auto_now_add=True)
    closed_value = models.DecimalField(
        _("closed value"), max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    business_type = models.CharField(_("business type"), max_length=10, choices=BusinessType.choices, blank=True)
    prospect_erased_at = models.DateTimeField(_("prospect data erased at"), null=True, blank=True)
    created_at = models.DateTimeField(_("given at"), auto_now_add=True, db_index=True)
    decline_reason = models.CharField(
        _("decline reason"), max_length=300, blank=True, help_text=_("Why the receiver declined it.")
    )
    prospect_key = models.CharField(
        _("prospect key"), max_length=32, blank=True, editable=False,
        help_text=_("A keyed hash of the prospect's contact, to find repeats; erased with the prospect's data."),
    )
    # The receiver's judgement once they acted on it (RATEABLE): whether it was a lead at all and,
    # optionally, how useful. The giver sees them only in aggregate (stats), never per referral.
    rating = models.CharField(_("rating"), max_length=10, choices=Rating.choices, blank=True)
    usefulness = models.PositiveSmallIntegerField(
        _("usefulness"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1 (of little use) to 5 (very useful), in the receiver's view."),
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    stale_since = models.DateTimeField(
        _("stale since"),
        null=True,
        blank=True,
        help_text=_("Set when an open referral went without an update too long; cleared on update."),
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
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
        return gettext("Referral #%(id)s %(giver)s → %(receiver)s") % {
            "id": self.pk, "giver": self.giver, "receiver": self.receiver,
        }

    def save(self, *args, **kwargs):
        self.prospect_key = prospect_key_for(self.prospect_email, self.prospect_phone)
        fields = kwargs.get("update_fields")
        if fields is not None and ({"prospect_email", "prospect_phone"} & set(fields)):
            kwargs["update_fields"] = [*fields, "prospect_key"]
        super().save(*args, **kwargs)

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
    # The receiver can judge a referral once they acted on it: contacted the prospect, or later.
    RATEABLE_STATUSES = (Status.CONTACTED, Status.MEETING, Status.WON, Status.LOST)
    USEFULNESS_CHOICES = (1, 2, 3, 4, 5)
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
    def can_be_rated(self) -> bool:
        return self.status in self.RATEABLE_STATUSES

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

    @property
    def status_phrase(self) -> str:
        return status_phrase(self.status)


# A status inside a sentence ("a referral that is meeting held cannot…"). Not the label lowered:
# German capitalises its nouns, and other languages inflect differently in a sentence than on a tag.
STATUS_PHRASES = {
    Referral.Status.GIVEN: pgettext_lazy("referral status in a sentence", "given"),
    Referral.Status.ACCEPTED: pgettext_lazy("referral status in a sentence", "accepted"),
    Referral.Status.CONTACTED: pgettext_lazy("referral status in a sentence", "contacted"),
    Referral.Status.MEETING: pgettext_lazy("referral status in a sentence", "meeting held"),
    Referral.Status.WON: pgettext_lazy("referral status in a sentence", "won"),
    Referral.Status.LOST: pgettext_lazy("referral status in a sentence", "lost"),
    Referral.Status.DECLINED: pgettext_lazy("referral status in a sentence", "declined by receiver"),
    Referral.Status.PROSPECT_DECLINED: pgettext_lazy("referral status in a sentence", "closed: prospect declined"),
}


def status_phrase(status: str) -> str:
    """The status as it reads inside a sentence, in the active language."""
    return str(STATUS_PHRASES.get(status, status))


# Notes the app itself writes in a referral's history. They are stored in English (the rows read in
# any language, and rows written before translations keep working) and shown in the reader's language.
NOTE_CONSENT_QUEUED = gettext_noop("Consent request queued to be emailed to the prospect")
NOTE_CONFIRMED = gettext_noop("The prospect confirmed they may be contacted")
NOTE_DECLINED = gettext_noop("The prospect declined to be contacted; their details were erased")
NOTE_WITHDRAWN = gettext_noop("The prospect withdrew their consent; their details were erased")
REASON_DECLINED = gettext_noop("The prospect declined to be contacted through the consent link.")
REASON_WITHDRAWN = gettext_noop("The prospect withdrew their consent through the consent link.")
SYSTEM_NOTES = frozenset(
    {NOTE_CONSENT_QUEUED, NOTE_CONFIRMED, NOTE_DECLINED, NOTE_WITHDRAWN, REASON_DECLINED, REASON_WITHDRAWN}
)
# An erasure made for a prospect's request keeps the request's reference: "Erasure request <reference>".
ERASURE_REQUEST_NOTE = "Erasure request "


def erasure_request_note(reference: str) -> str:
    """The stored (English) reason of an erasure made for a request; shown translated by note_text."""
    return f"{ERASURE_REQUEST_NOTE}{reference}"


def note_text(note: str) -> str:
    """A history note in the active language when the app wrote it; a person's own words as typed."""
    if note in SYSTEM_NOTES:
        return gettext(note)
    if note.startswith(ERASURE_REQUEST_NOTE):
        return gettext("Erasure request %(reference)s") % {"reference": note[len(ERASURE_REQUEST_NOTE):]}
    return note


class ReferralEvent(models.Model):
    """One entry in a referral's history: a status change, a consent answer, an erasure."""

    class Action(models.TextChoices):
        CREATED = "created", _("Given")
        STATUS = "status", _("Status changed")
        CONSENT = "consent", _("Consent")
        ERASED = "erased", _("Prospect data erased")
        STALE = "stale", _("Marked stale")
        RATED = "rated", _("Rated by the receiver")

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        "members.User",
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty when the prospect (through the consent link) or the system acted."),
    )
    from_status = models.CharField(_("from status"), max_length=20, blank=True, choices=Referral.Status.choices)
    to_status = models.CharField(_("to status"), max_length=20, blank=True, choices=Referral.Status.choices)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("referral event")
        verbose_name_plural = _("referral events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral_id}: {self.action} {self.from_status}→{self.to_status}"

    @property
    def note_text(self) -> str:
        return note_text(self.note)

    @property
    def rating_text(self) -> str:
        """A rating event's note ("real:4", stored as machine values) in the reader's language."""
        rating, _sep, usefulness = self.note.partition(":")
        label = str(Referral.Rating(rating).label) if rating in Referral.Rating.values else rating
        if not usefulness:
            return label
        return gettext("%(rating)s, usefulness %(usefulness)s of 5") % {"rating": label, "usefulness": usefulness}

    @property
    def from_phrase(self) -> str:
        return status_phrase(self.from_status)

    @property
    def to_phrase(self) -> str:
        return status_phrase(self.to_status)


class ConsentRequest(models.Model):
    """A link sent to a prospect to confirm or decline being contacted; only the token's hash is kept."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REPLACED = "replaced", _("Replaced by a newer link")
        ERASED = "erased", _("Prospect data erased")

    referral = models.ForeignKey(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="consent_requests"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    sent_by = models.ForeignKey(
        "members.User", verbose_name=_("sent by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    closed_at = models.DateTimeField(
        _("closed at"), null=True, blank=True, help_text=_("Set when the link stops working.")
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)

    class Meta:
        verbose_name = _("consent request")
        verbose_name_plural = _("consent requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(closed_at__isnull=True),
                name="referrals_consentrequest_one_open",
            ),
        ]

    def __str__(self) -> str:
        return gettext("Consent request for referral #%(id)s") % {"id": self.referral_id}

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()


class ThankYou(models.Model):
    """Thank-you for closed business (TYFCB): value the receiver closed, credited to the giver."""

    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="thank_yous"
    )
    referral = models.OneToOneField(
        Referral, verbose_name=_("referral"), on_delete=models.CASCADE, related_name="thank_you"
    )
    giver = models.ForeignKey(
        "members.Membership",
        verbose_name=_("giver"),
        on_delete=models.PROTECT,
        related_name="thank_yous_credited",
        help_text=_("Who gave the referral: the TYFCB is credited to them."),
    )
    receiver = models.ForeignKey(
        "members.Membership",
        verbose_name=_("receiver"),
        on_delete=models.PROTECT,
        related_name="thank_yous_given",
        help_text=_("Who closed the business and says thank you."),
    )
    value = models.DecimalField(
        _("value"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(MAX_CLOSED_VALUE)],
    )
    closed_on = models.DateField(_("closed on"))
    business_type = models.CharField(_("business type"), max_length=10, choices=Referral.BusinessType.choices)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("thank-you for closed business")
        verbose_name_plural = _("thank-yous for closed business")
        ordering = ["-closed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0), name="referrals_thankyou_value_positive"),
        ]
        indexes = [
            models.Index(fields=["chapter", "closed_on"], name="referrals_ty_ch_closed"),
            models.Index(fields=["closed_on", "id"], name="referrals_ty_closed"),  # the admin's list
        ]

    def __str__(self) -> str:
        return gettext("TYFCB %(value)s to %(giver)s") % {"value": self.value, "giver": self.giver}


class OneToOne(models.Model):
    """Two members met to learn each other's business; counts once the other confirms."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        DECLINED = "declined", _("Declined")

    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="one_to_ones"
    )
    initiator = models.ForeignKey(
        "members.Membership", verbose_name=_("recorded by"), on_delete=models.PROTECT,
        related_name="one_to_ones_logged",
    )
    other = models.ForeignKey(
        "members.Membership", verbose_name=_("with"), on_delete=models.PROTECT, related_name="one_to_ones_invited"
    )
    met_on = models.DateField(_("met on"))
    notes = models.TextField(_("notes"), blank=True, max_length=2000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("one-to-one")
        verbose_name_plural = _("one-to-ones")
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
        return gettext("One-to-one %(initiator)s & %(other)s on %(date)s") % {
            "initiator": self.initiator, "other": self.other, "date": self.met_on,
        }


class EducationCredit(models.Model):
    """Training a member did (a CEU): date, what, hours."""

    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="education_credits"
    )
    membership = models.ForeignKey(
        "members.Membership", verbose_name=_("member"), on_delete=models.PROTECT,
        related_name="education_credits",
    )
    completed_on = models.DateField(_("completed on"))
    title = models.CharField(_("title"), max_length=200)
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("40"))],
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    class Meta:
        verbose_name = _("education credit")
        verbose_name_plural = _("education credits")
        ordering = ["-completed_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(hours__gt=0), name="referrals_education_hours_positive"),
        ]
        indexes = [
            models.Index(fields=["chapter", "completed_on"], name="referrals_ceu_ch_done"),
            models.Index(fields=["completed_on", "id"], name="referrals_ceu_done"),  # the admin's list
        ]

    def __str__(self) -> str:
        return gettext("%(title)s (%(hours)s h)") % {"title": self.title, "hours": self.hours}

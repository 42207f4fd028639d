"""Integrity flags: patterns of gamed activity found by the nightly check, their evidence, and the review.

A flag never fines anyone: it points chapter leadership (and oversight) at rows worth a look, with the
figures that tripped it, and leadership records what it made of it (a fine, a warning, or a false alarm).

The thresholds are a chapter's own (`IntegrityRules`, one row per chapter, every change audited); a chapter
without a row uses these defaults, which the settings page shows too (a flag is raised when …):

- window_days 180: every pattern looks at the last this many days;
- ring_min_referrals 6, ring_min_share 60 %: two (or three) members passed at least 6 referrals among
  themselves, and each of them gave at least 60 % of all they gave to the others;
- repeat_prospect_min 2: one giver referred the same prospect (same email or phone) twice;
- tyfcb_min_days 2: business was recorded as closed fewer than 2 days after its referral was given, or before;
- round_unit 1000, round_min_count 3, round_min_share 80 %: a member recorded at least 3 TYFCB amounts that
  are multiples of 1000, making at least 80 % of all they recorded;
- repeated_amount_min 3: a member recorded the same amount of new business 3 times;
- substitute_min_members 3, substitute_min_chapters 2: one substitute name attended for 3 members of the
  chapter, or for members of 2 chapters;
- one_to_one_bulk_min 5: a member recorded 5 one-to-ones on one day (chapter time);
- internal_relog_days 14: a member gave the same member an inside referral again within 14 days.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

PERCENT = [MinValueValidator(1), MaxValueValidator(100)]


class IntegrityRules(models.Model):
    """A chapter's thresholds for the integrity check; a chapter without a row uses these defaults."""

    chapter = models.OneToOneField(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="integrity_rules"
    )
    window_days = models.PositiveSmallIntegerField(
        _("days looked back"), default=180, validators=[MinValueValidator(30), MaxValueValidator(730)],
        help_text=_("Every pattern is looked for in the activity of this many days up to today."),
    )
    ring_min_referrals = models.PositiveSmallIntegerField(
        _("ring: referrals among them"), default=6, validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("Two or three members passed at least this many referrals among themselves …"),
    )
    ring_min_share = models.PositiveSmallIntegerField(
        _("ring: share of each one's referrals (%)"), default=60, validators=PERCENT,
        help_text=_("… and each of them gave at least this share of all their referrals to the others."),
    )
    repeat_prospect_min = models.PositiveSmallIntegerField(
        _("same prospect: referrals by one giver"), default=2, validators=[MinValueValidator(2), MaxValueValidator(20)],
        help_text=_("One giver referred the same prospect (same email or phone) this many times."),
    )
    tyfcb_min_days = models.PositiveSmallIntegerField(
        _("TYFCB: days after the referral"), default=2, validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("Business recorded as closed fewer days than this after its referral was given, or before it."),
    )
    round_unit = models.DecimalField(
        _("round amounts: multiple of"), max_digits=10, decimal_places=2, default=Decimal("1000"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("An amount that is a whole multiple of this counts as round."),
    )
    round_min_count = models.PositiveSmallIntegerField(
        _("round amounts: how many"), default=3, validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("A member recorded at least this many round TYFCB amounts …"),
    )
    round_min_share = models.PositiveSmallIntegerField(
        _("round amounts: share (%)"), default=80, validators=PERCENT,
        help_text=_("… making at least this share of all the TYFCB they recorded."),
    )
    repeated_amount_min = models.PositiveSmallIntegerField(
        _("repeated amounts: how many"), default=3, validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("A member recorded exactly the same amount of new business this many times."),
    )
    substitute_min_members = models.PositiveSmallIntegerField(
        _("substitute: members covered"), default=3, validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("One substitute name attended for this many members of the chapter …"),
    )
    substitute_min_chapters = models.PositiveSmallIntegerField(
        _("substitute: chapters"), default=2, validators=[MinValueValidator(2), MaxValueValidator(50)],
        help_text=_("… or for members of this many chapters."),
    )
    one_to_one_bulk_min = models.PositiveSmallIntegerField(
        _("one-to-ones recorded on one day"), default=5, validators=[MinValueValidator(2), MaxValueValidator(100)],
        help_text=_("A member recorded this many one-to-ones on one day."),
    )
    internal_relog_days = models.PositiveSmallIntegerField(
        _("inside referral again within (days)"), default=14, validators=[MinValueValidator(1), MaxValueValidator(90)],
        help_text=_("A member gave the same member an inside referral (their own business) again within this many "
                    "days."),
    )
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    THRESHOLD_FIELDS = (
        "window_days", "ring_min_referrals", "ring_min_share", "repeat_prospect_min", "tyfcb_min_days",
        "round_unit", "round_min_count", "round_min_share", "repeated_amount_min", "substitute_min_members",
        "substitute_min_chapters", "one_to_one_bulk_min", "internal_relog_days",
    )

    class Meta:
        verbose_name = _("integrity thresholds")
        verbose_name_plural = _("integrity thresholds")

    def __str__(self) -> str:
        return gettext("Integrity thresholds of %(chapter)s") % {"chapter": self.chapter}


class IntegrityFlag(models.Model):
    """One pattern found once, keyed by what it is about (a pair, a prospect, a name …), with its evidence."""

    class Kind(models.TextChoices):
        RING = "ring", _("Referral ring")
        REPEAT_PROSPECT = "repeat_prospect", _("Same prospect referred again")
        TYFCB_UNEARNED = "tyfcb_unearned", _("TYFCB with no earlier referral")
        TYFCB_ROUND = "tyfcb_round", _("Round TYFCB amounts")
        TYFCB_REPEATED = "tyfcb_repeated", _("Repeated TYFCB amounts")
        SUBSTITUTE = "substitute", _("One substitute for several members")
        ONE_TO_ONE_BULK = "one_to_one_bulk", _("One-to-ones recorded in bulk")
        INTERNAL_RELOGGED = "internal_relogged", _("Inside referral logged again")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        REVIEWED = "reviewed", _("Reviewed")
        CLOSED = "closed", _("Closed: evidence gone")

    class Outcome(models.TextChoices):
        FINE = "fine", _("Fined")
        WARNED = "warned", _("Warned")
        FALSE_ALARM = "false_alarm", _("False alarm")

    # Reviews that confirm the pattern: their evidence, like an open flag's, is left out of the honest figures.
    CONFIRMED = (Outcome.FINE, Outcome.WARNED)

    chapter = models.ForeignKey(
        "chapters.Chapter", verbose_name=_("chapter"), on_delete=models.CASCADE, related_name="integrity_flags"
    )
    kind = models.CharField(_("pattern"), max_length=20, choices=Kind.choices)
    key = models.CharField(
        _("key"), max_length=100, help_text=_("What the flag is about within its pattern (a pair, a prospect …)."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    figures = models.JSONField(
        _("figures"), default=dict, blank=True, help_text=_("The figures that tripped the flag and the thresholds."),
    )
    memberships = models.ManyToManyField(
        "members.Membership", verbose_name=_("members"), related_name="integrity_flags", blank=True,
    )
    opened_at = models.DateTimeField(_("found at"), default=timezone.now)
    evidence_changed_at = models.DateTimeField(_("evidence changed at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    note = models.TextField(_("review note"), blank=True, max_length=2000)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("integrity flag")
        verbose_name_plural = _("integrity flags")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["chapter", "kind", "key"], name="integrity_flag_one_per_key"),
            models.CheckConstraint(
                condition=~Q(status="reviewed") | ~Q(outcome=""), name="integrity_flag_reviewed_has_outcome",
            ),
        ]
        indexes = [models.Index(fields=["chapter", "status"], name="integrity_flag_ch_status")]

    def __str__(self) -> str:
        return gettext("%(kind)s (flag #%(id)s)") % {"kind": self.get_kind_display(), "id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("integrity:detail", args=[self.chapter.slug, self.pk])

    @property
    def counts_against(self) -> bool:
        """Open, or confirmed by its review: its evidence is left out of the figures without flagged activity."""
        return self.status == self.Status.OPEN or (
            self.status == self.Status.REVIEWED and self.outcome in self.CONFIRMED
        )


def counting(prefix: str = "") -> Q:
    """Flags whose evidence the honest figures leave out (IntegrityFlag.counts_against), from `prefix` ("flag__")."""
    return Q(**{f"{prefix}status": IntegrityFlag.Status.OPEN}) | Q(
        **{f"{prefix}status": IntegrityFlag.Status.REVIEWED, f"{prefix}outcome__in": IntegrityFlag.CONFIRMED}
    )


EVIDENCE_FIELDS = ("referral", "thank_you", "one_to_one", "attendance")


def _exactly_one_of(fields) -> Q:
    condition = Q()
    for name in fields:
        condition |= Q(**{f"{name}__isnull": False}, **{f"{other}__isnull": True for other in fields if other != name})
    return condition


class IntegrityEvidence(models.Model):
    """One row behind a flag: a referral, a TYFCB, a one-to-one or an attendance mark.

    Kept when the flag closes (what was flagged stays on record); a row deleted elsewhere takes its
    evidence with it, and the next check reconciles the flag.
    """

    flag = models.ForeignKey(IntegrityFlag, verbose_name=_("flag"), on_delete=models.CASCADE, related_name="evidence")
    referral = models.ForeignKey(
        "referrals.Referral", verbose_name=_("referral"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    thank_you = models.ForeignKey(
        "referrals.ThankYou", verbose_name=_("TYFCB"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    one_to_one = models.ForeignKey(
        "referrals.OneToOne", verbose_name=_("one-to-one"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    attendance = models.ForeignKey(
        "meetings.Attendance", verbose_name=_("attendance mark"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        verbose_name = _("integrity evidence")
        verbose_name_plural = _("integrity evidence")
        constraints = [
            models.CheckConstraint(condition=_exactly_one_of(EVIDENCE_FIELDS), name="integrity_evidence_one_row"),
            *(
                models.UniqueConstraint(
                    fields=["flag", name], condition=Q(**{f"{name}__isnull": False}),
                    name=f"integrity_evidence_once_{name}",
                )
                for name in EVIDENCE_FIELDS
            ),
        ]

    def __str__(self) -> str:
        for name in EVIDENCE_FIELDS:
            if getattr(self, f"{name}_id") is not None:
                return f"{self.flag_id}: {name} #{getattr(self, f'{name}_id')}"
        return str(self.flag_id)


class ProspectFingerprint(models.Model):
    """Keyed hashes of a referral's prospect email and phone, for finding the same prospect again.

    An HMAC with a key derived from SECRET_KEY (integrity/fingerprints.py): equal contacts give equal
    hashes, and nobody can turn a hash back into the contact or test a guess without the key. The clear
    values stay on the referral only; an erased prospect loses their fingerprint too.
    """

    referral = models.OneToOneField(
        "referrals.Referral", verbose_name=_("referral"), primary_key=True, on_delete=models.CASCADE,
        related_name="fingerprint",
    )
    email_hash = models.CharField(_("email hash"), max_length=64, blank=True, db_index=True)
    phone_hash = models.CharField(_("phone hash"), max_length=64, blank=True, db_index=True)
    key_id = models.CharField(
        _("key"), max_length=16, help_text=_("Which key made the hashes: they are made again after a key change."),
    )

    class Meta:
        verbose_name = _("prospect fingerprint")
        verbose_name_plural = _("prospect fingerprints")

    def __str__(self) -> str:
        return f"{self.referral_id}"


class IntegrityCheck(models.Model):
    """When a chapter was last checked; its row is locked while a check runs, so two never overlap."""

    chapter = models.OneToOneField(
        "chapters.Chapter", verbose_name=_("chapter"), primary_key=True, on_delete=models.CASCADE,
        related_name="integrity_check",
    )
    checked_at = models.DateTimeField(_("checked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("integrity check")
        verbose_name_plural = _("integrity checks")

    def __str__(self) -> str:
        return f"{self.chapter_id}: {self.checked_at}"

"""Chapter rules (versioned), the bounds admins put on them, and what enforcing them produces."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

WEIGHT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


MONEY = dict(max_digits=10, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])


def appeal_days() -> int:
    """Days a member has to appeal an expulsion case (setting EXPULSION_APPEAL_DAYS)."""
    return getattr(settings, "EXPULSION_APPEAL_DAYS", 14)


class RulesLimits(models.Model):
    """Bounds an admin sets on what chapter leadership may choose; one row per region plus one default.

    Kept on their own model (not on Region) so that chapters without a region and the whole
    organisation share one default row, and a region overrides it only where it differs.
    """

    region = models.OneToOneField(
        "chapters.Region", null=True, blank=True, on_delete=models.CASCADE, related_name="rules_limits",
        verbose_name=_("region"),
        help_text=_("Empty: the organisation-wide default, used for chapters whose region has no row."),
    )
    absences_allowed_max = models.PositiveSmallIntegerField(_("most absences allowed"), default=6)
    window_months_max = models.PositiveSmallIntegerField(
        _("longest window (months)"), default=12, validators=[MinValueValidator(1)]
    )
    substitutes_allowed_max = models.PositiveSmallIntegerField(_("most substitutes allowed"), default=6)
    medical_allowed_max = models.PositiveSmallIntegerField(
        _("most medical absences allowed"), default=8, help_text=_("Meetings of medical leave.")
    )
    referral_quota_max = models.PositiveSmallIntegerField(_("highest referral quota"), default=10)
    fine_max = models.DecimalField(
        _("largest fine"), default=Decimal("50.00"), help_text=_("Largest amount for any one fine."), **MONEY
    )
    grace_days_max = models.PositiveSmallIntegerField(_("longest grace period for new members (days)"), default=180)
    consent_grace_days_max = models.PositiveSmallIntegerField(
        _("longest consent grace (days)"), default=14,
        help_text=_("Longest grace after a quota period within which a prospect's consent still counts."),
    )
    repeat_window_days_max = models.PositiveSmallIntegerField(
        _("longest repeat window (days)"), default=730, validators=[MaxValueValidator(3660)],
        help_text=_("Weighted quota: the most days before a period whose referrals make a referral a repeat."),
    )
    expulsion_violations_min = models.PositiveSmallIntegerField(
        _("fewest violations before expulsion"), default=2, validators=[MinValueValidator(1)],
        help_text=_("Leadership may not make expulsion easier than this."),
    )

    class Meta:
        verbose_name = _("rules limits")
        verbose_name_plural = _("rules limits")
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(region__isnull=True), name="enforcement_ruleslimits_one_default"
            ),
        ]

    def __str__(self) -> str:
        if self.region_id is None:
            return str(_("Limits for every region"))
        return str(_("Limits for %(region)s") % {"region": self.region})


class ChapterRules(models.Model):
    """One version of a chapter's rules, in force from `effective_from` until the next version."""

    class Window(models.TextChoices):
        ROLLING = "rolling", _("Rolling window of months")
        QUARTER = "quarter", _("Fixed quarters")
        HALF = "half", _("Fixed half-years")

    class QuotaPeriod(models.TextChoices):
        WEEK = "week", _("Week (Monday to Sunday)")
        MONTH = "month", _("Calendar month")
        MEETING = "meeting", _("Meeting (since the previous meeting)")

    class QuotaCounts(models.TextChoices):
        ALL = "all", _("Every referral given")
        CONSENTED = "consented", _("Only referrals whose prospect consented")
        MEETING = "meeting", _("Only referrals that reached a meeting")
        WON = "won", _("Only referrals that closed business")
        WEIGHTED = "weighted", _("Weighted by outcome and the receiver's rating")

    chapter = models.ForeignKey(
        "chapters.Chapter", on_delete=models.CASCADE, related_name="rules_versions", verbose_name=_("chapter")
    )
    number = models.PositiveIntegerField(_("version"), help_text=_("Version number within the chapter: 1, 2, 3 …"))
    effective_from = models.DateField(
        _("in force from"), help_text=_("Local date in the chapter's timezone from which this version applies.")
    )
    currency = models.CharField(
        _("currency"), max_length=3, help_text=_("The chapter's currency when the version was made.")
    )

    absence_window = models.CharField(
        _("absence window"), max_length=10, choices=Window.choices, default=Window.ROLLING
    )
    window_months = models.PositiveSmallIntegerField(
        _("rolling window (months)"), default=6, validators=[MinValueValidator(1)],
        help_text=_("Length of the rolling window."),
    )
    fixed_start_month = models.PositiveSmallIntegerField(
        _("fixed windows start in month"), default=1, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("Month a fixed quarter or half-year starts in (1 = January: Jan–Jun / Jul–Dec)."),
    )
    absences_allowed = models.PositiveSmallIntegerField(_("absences allowed"), default=3)
    late_weight = models.DecimalField(
        _("a late arrival counts as"), max_digits=3, decimal_places=2, default=Decimal("0.50"),
        validators=WEIGHT_VALIDATORS,
        help_text=_("How much of an absence a late arrival counts as (0 = not at all, 1 = a full absence)."),
    )
    medical_weight = models.DecimalField(
        _("a medical absence counts as"), max_digits=3, decimal_places=2, default=Decimal("0"),
        validators=WEIGHT_VALIDATORS,
    )
    substitute_weight = models.DecimalField(
        _("a substitute counts as"), max_digits=3, decimal_places=2, default=Decimal("0"),
        validators=WEIGHT_VALIDATORS,
    )
    substitutes_allowed = models.PositiveSmallIntegerField(
        _("substitutes allowed per window"), default=3,
        help_text=_("Substitutes per window; each one beyond counts as a full absence."),
    )
    medical_allowed = models.PositiveSmallIntegerField(
        _("medical absences allowed per window"), default=8,
        help_text=_("Medical marks per window; each one beyond counts as a full absence."),
    )
    referral_quota = models.PositiveSmallIntegerField(
        _("referral quota"), default=0, help_text=_("0 means no referral quota.")
    )
    quota_period = models.CharField(
        _("quota per"), max_length=10, choices=QuotaPeriod.choices, default=QuotaPeriod.MONTH
    )
    quota_counts = models.CharField(
        _("what counts toward the quota"), max_length=10, choices=QuotaCounts.choices, default=QuotaCounts.ALL
    )
    # A weighted quota: what one referral is worth by how far it went. Repeats of one prospect, and
    # inside referrals to the same receiver, count ½, ¼ … of that; "not a lead" or "duplicate" nothing.
    weight_given = models.DecimalField(
        _("a referral given counts as"), max_digits=4, decimal_places=2, default=Decimal("0.50"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("Weighted quota: a referral given or accepted, not yet contacted."),
    )
    weight_contacted = models.DecimalField(
        _("a referral contacted counts as"), max_digits=4, decimal_places=2, default=Decimal("1.00"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
        help_text=_("Weighted quota: the prospect was contacted (or the business was lost after)."),
    )
    weight_meeting = models.DecimalField(
        _("a referral that reached a meeting counts as"), max_digits=4, decimal_places=2, default=Decimal("1.50"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    weight_won = models.DecimalField(
        _("a referral won counts as"), max_digits=4, decimal_places=2, default=Decimal("2.00"),
        validators=[MinValueValidator(0), MaxValueValidator(10)],
    )
    # Versions made before this field were migrated with 0 (repeats numbered within the period, as the app
    # did then): the past is never edited. A chapter's new versions default to a year.
    repeat_window_days = models.PositiveSmallIntegerField(
        _("repeats counted over (days)"), default=365, validators=[MaxValueValidator(3660)],
        help_text=_("Weighted quota: a referral is a repeat of the same prospect's (or of inside business to the "
                    "same member) given in its period or this many days before it. 0: within the period only."),
    )
    fine_absence = models.DecimalField(
        _("fine per absence over the limit"), default=Decimal("0.00"), help_text=_("Per absence over the limit."),
        **MONEY,
    )
    fine_late = models.DecimalField(
        _("fine per late arrival"), default=Decimal("0.00"), help_text=_("Per late arrival (0 = none)."), **MONEY
    )
    fine_quota = models.DecimalField(
        _("fine per missed quota period"), default=Decimal("0.00"), help_text=_("Per period the quota is missed."),
        **MONEY,
    )
    grace_days = models.PositiveSmallIntegerField(
        _("grace period for new members (days)"), default=90,
        help_text=_("New members are not held to the rules for this many days after joining."),
    )
    exempt_on_leave = models.BooleanField(
        _("members on leave are exempt"), default=True,
        help_text=_("Meetings and quota periods inside a member's recorded leave are excused."),
    )
    consent_grace_days = models.PositiveSmallIntegerField(
        _("consent grace after a quota period (days)"), default=3,
        help_text=_("When only consented referrals count: consent the prospect gives up to this many days after "
                    "the period still counts, and the period is judged only after them."),
    )
    # Existing versions were migrated with True (what the app always did); a chapter's first rules
    # default to False, the fairer choice: one late arrival is charged once in money.
    late_fee_stacks_with_absence = models.BooleanField(
        _("a late fee stacks with the late's share of an absence fine"), default=False,
        help_text=_("A late arrival over the absence limit pays the late fee and its share of an absence fine. "
                    "Off: the late fee alone; its share of an absence still counts toward the limit and expulsion."),
    )
    expulsion_violations = models.PositiveSmallIntegerField(
        _("expulsion candidate after … violations"), default=3, validators=[MinValueValidator(1)],
        help_text=_("Violations (absence or quota fines not waived) that make a member an expulsion candidate …"),
    )
    expulsion_months = models.PositiveSmallIntegerField(
        _("… within (months)"), default=6, validators=[MinValueValidator(1)], help_text=_("… within this many months.")
    )

    reason = models.CharField(
        _("why the change"), max_length=300, blank=True, help_text=_("Why the rules changed (shown in the history).")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("made by"),
    )
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)

    # The fields a new version copies and the form edits (everything but bookkeeping).
    RULE_FIELDS = (
        "absence_window", "window_months", "fixed_start_month", "absences_allowed", "late_weight",
        "medical_weight", "substitute_weight", "substitutes_allowed", "medical_allowed", "referral_quota",
        "quota_period", "quota_counts", "fine_absence", "fine_late", "fine_quota", "grace_days",
        "exempt_on_leave", "expulsion_violations", "expulsion_months", "consent_grace_days",
        "late_fee_stacks_with_absence", "weight_given", "weight_contacted", "weight_meeting", "weight_won",
        "repeat_window_days",
    )

    class Meta:
        ordering = ["chapter", "effective_from", "number"]
        verbose_name = _("chapter rules version")
        verbose_name_plural = _("chapter rules versions")
        constraints = [
            models.UniqueConstraint(fields=["chapter", "number"], name="enforcement_rules_version_number_unique"),
        ]
        indexes = [models.Index(fields=["chapter", "effective_from"], name="enforcement_rules_ch_from")]

    def __str__(self) -> str:
        return str(_("%(chapter)s rules v%(number)s from %(date)s") % {
            "chapter": self.chapter, "number": self.number, "date": self.effective_from.isoformat(),
        })


class Fine(models.Model):
    """A violation of a rules version for one period, with its evidence; a zero amount is a warning."""

    class Kind(models.TextChoices):
        ABSENCE = "absence", _("Absence over the limit")
        LATE = "late", _("Late arrival")
        QUOTA = "quota", _("Referral quota missed")

    class Status(models.TextChoices):
        OPEN = "open", _("Unpaid")
        PAID = "paid", _("Paid")
        WAIVED = "waived", _("Waived")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REFUNDED = "refunded", _("Refunded")

    class RefundDecision(models.TextChoices):
        REFUND = "refund", _("Refund it")
        KEEP = "keep", _("Keep it")

    # Kinds that count toward the expulsion threshold (a late fee is a fee, not a violation).
    VIOLATION_KINDS = (Kind.ABSENCE, Kind.QUOTA)
    # Statuses the evidence no longer stands behind: never counted toward expulsion or amounts owed.
    VOID_STATUSES = (Status.WITHDRAWN, Status.REFUNDED)

    chapter = models.ForeignKey(
        "chapters.Chapter", on_delete=models.CASCADE, related_name="fines", verbose_name=_("chapter")
    )
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="fines", verbose_name=_("member")
    )
    rules = models.ForeignKey(
        ChapterRules, on_delete=models.PROTECT, related_name="fines", verbose_name=_("rules version")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    period_start = models.DateField(
        _("period start"), help_text=_("Local date: the meeting's date, or the first day of the quota period.")
    )
    period_end = models.DateField(_("period end"), help_text=_("Local date: last day of the period (inclusive)."))
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="fines",
        verbose_name=_("meeting"),
    )
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    explanation = models.TextField(
        _("explanation (English snapshot)"),
        help_text=_("The evidence and the arithmetic in English words, as written when the fine was issued; pages "
                    "render them from the evidence in the reader's language."),
    )
    evidence = models.JSONField(
        _("evidence"), default=dict,
        help_text=_("The evidence and the arithmetic, structured: what the explanation is rendered from."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    # Withdrawn by reconciliation: the evidence no longer supports the (unpaid) fine.
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_reason = models.TextField(
        _("why withdrawn (English snapshot)"), blank=True, help_text=_("Why the fine was withdrawn, in words.")
    )
    withdrawn_cause = models.JSONField(
        _("why withdrawn"), default=dict, blank=True,
        help_text=_("What caused it, structured: {'kind': 'correction' | 'leave' | 'rules' | 'consent' | …, …}."),
    )
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces",
        verbose_name=_("replaced by"),
        help_text=_("The fine issued in its place when the evidence called for a different amount."),
    )
    # A paid fine the evidence no longer supports waits for leadership's refund decision.
    refund_flagged_at = models.DateTimeField(_("refund flagged at"), null=True, blank=True)
    refund_flag_reason = models.TextField(_("why a refund is to decide (English snapshot)"), blank=True)
    refund_flag_cause = models.JSONField(_("why a refund is to decide"), default=dict, blank=True)
    refund_decision = models.CharField(
        _("refund decision"), max_length=10, choices=RefundDecision.choices, blank=True
    )
    refund_decided_at = models.DateTimeField(_("refund decided at"), null=True, blank=True)
    refund_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("refund decided by"),
    )
    refund_decision_reason = models.CharField(_("reason for the refund decision"), max_length=300, blank=True)

    class Meta:
        ordering = ["-period_start", "-pk"]
        constraints = [
            # A rerun, a duplicate delivery or a second worker can never fine the same thing twice:
            # once per meeting (two meetings may share a day), once per quota period without one.
            # A withdrawn fine is kept as a record and does not block the fine issued in its place.
            models.UniqueConstraint(
                fields=["membership", "kind", "meeting"], condition=Q(meeting__isnull=False) & ~Q(status="withdrawn"),
                name="enforcement_fine_one_per_meeting",
            ),
            models.UniqueConstraint(
                fields=["membership", "kind", "period_start"],
                condition=Q(meeting__isnull=True) & ~Q(status="withdrawn"),
                name="enforcement_fine_one_per_period",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="enforcement_fine_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
                name="enforcement_fine_withdrawn_has_time",
            ),
        ]
        verbose_name = _("fine")
        verbose_name_plural = _("fines")
        indexes = [
            models.Index(fields=["chapter", "status"], name="enforcement_fine_ch_status"),
            models.Index(fields=["period_start", "id"], name="enforcement_fine_period"),  # the admin's list
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.membership} · {self.period_start}"

    def get_absolute_url(self) -> str:
        return reverse("enforcement:fine-detail", args=[self.chapter.slug, self.pk])

    @property
    def is_warning(self) -> bool:
        return self.amount == 0

    @property
    def is_void(self) -> bool:
        """Withdrawn or refunded: the evidence no longer stands behind it."""
        return self.status in self.VOID_STATUSES

    @property
    def refund_pending(self) -> bool:
        """Paid, no longer supported by the evidence, and waiting for leadership's refund decision."""
        return self.refund_flagged_at is not None and not self.refund_decision and self.status == self.Status.PAID

    @property
    def amount_words(self) -> str:
        """The amount in the reader's locale with its currency sign, or "warning" when there is none."""
        from enforcement import explain

        return explain.amount_or_warning(self.amount, self.currency)

    @property
    def title_key(self) -> str:
        from enforcement import explain

        return explain.title_key(self.kind, self.evidence)

    @property
    def title(self) -> str:
        """What the fine is for, in the reader's language; names lates where only lates were counted."""
        from enforcement import explain

        return explain.title(self.title_key)

    @property
    def explained(self) -> str:
        """The explanation in the reader's language, from the evidence (or the stored text of a row that predates it)."""
        from enforcement import explain

        if explain.structured(self.evidence):
            return explain.fine_text(self.kind, self.evidence)
        return self.explanation

    @property
    def explained_as_written(self) -> bool:
        """The explanation is the text stored when the fine was issued (its evidence predates explanations as data)."""
        from enforcement import explain

        return not explain.structured(self.evidence)

    @property
    def withdrawn_explained(self) -> str:
        from enforcement import explain

        return explain.cause_text(self.withdrawn_cause) if explain.structured(self.withdrawn_cause) \
            else self.withdrawn_reason

    @property
    def refund_flag_explained(self) -> str:
        from enforcement import explain

        return explain.cause_text(self.refund_flag_cause) if explain.structured(self.refund_flag_cause) \
            else self.refund_flag_reason


def fine_words(kind: str, evidence: dict, *, many: bool = False) -> str:
    """'Absence over the limit', 'Lates over the limit', 'Lates and absences over the limit' … from the evidence,
    in the active language (`enforcement.explain.title_key`)."""
    from enforcement import explain

    return explain.title(explain.title_key(kind, evidence))


class ExpulsionCase(models.Model):
    """A member who crossed the chapter's expulsion threshold; reviewed and decided by an admin."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DECIDED = "decided", _("Decided")

    class Decision(models.TextChoices):
        EXPEL = "expel", _("Expel")
        PROBATION = "probation", _("Probation")
        DISMISS = "dismiss", _("Dismiss")

    class Recommendation(models.TextChoices):
        KEEP = "keep", _("Keep the seat")
        PROBATION = "probation", _("Probation")
        EXPEL = "expel", _("Expel")

    chapter = models.ForeignKey(
        "chapters.Chapter", on_delete=models.CASCADE, related_name="expulsion_cases", verbose_name=_("chapter")
    )
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="expulsion_cases", verbose_name=_("member")
    )
    rules = models.ForeignKey(
        ChapterRules, on_delete=models.PROTECT, related_name="expulsion_cases", verbose_name=_("rules version")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    fines = models.ManyToManyField(Fine, related_name="expulsion_cases", blank=True, verbose_name=_("fines"))
    explanation = models.TextField(
        _("explanation (English snapshot)"),
        help_text=_("Why the case was opened, in English words as written then; pages render it from the evidence."),
    )
    evidence = models.JSONField(_("evidence"), default=dict)
    # Review (issue #7): appeal, the president's recommendation, the admin's decision.
    appeal_deadline = models.DateTimeField(_("appeal deadline"), null=True, blank=True)
    appeal_text = models.TextField(_("appeal"), blank=True)
    appealed_at = models.DateTimeField(_("appealed at"), null=True, blank=True)
    appeal_waived_at = models.DateTimeField(
        _("appeal waived at"), null=True, blank=True,
        help_text=_("The member said they will not appeal (further): a decision may come at once."),
    )
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices, blank=True,
        help_text=_("What the president recommends."),
    )
    president_recommendation = models.TextField(
        _("the president's note"), blank=True, help_text=_("The president's note on the recommendation.")
    )
    recommended_at = models.DateTimeField(_("recommended at"), null=True, blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("recommended by"),
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("decided by"),
    )
    probation_until = models.DateField(
        _("probation until"), null=True, blank=True,
        help_text=_("Local date: the last day of probation; lifted by the daily task after it."),
    )
    probation_conditions = models.TextField(_("probation conditions"), blank=True)
    probation_lifted_at = models.DateTimeField(_("probation lifted at"), null=True, blank=True)
    # Reconciliation flags an open case whose standing violations fell below its threshold.
    below_threshold_at = models.DateTimeField(_("below its threshold since"), null=True, blank=True)
    below_threshold_note = models.TextField(_("why below its threshold (English snapshot)"), blank=True)
    below_threshold_cause = models.JSONField(
        _("why below its threshold"), default=dict, blank=True,
        help_text=_("How many of its violations still stand, and the threshold it was opened at."),
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["membership"], condition=Q(status="open"), name="enforcement_case_one_open_per_membership"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | ~Q(decision=""), name="enforcement_case_decided_has_decision"
            ),
        ]
        verbose_name = _("expulsion case")
        verbose_name_plural = _("expulsion cases")
        indexes = [models.Index(fields=["status", "opened_at"], name="enforcement_case_status_opened")]

    def __str__(self) -> str:
        return str(_("Case #%(number)s: %(member)s") % {"number": self.pk, "member": self.membership})

    def save(self, *args, **kwargs):
        if self.appeal_deadline is None:
            # Every case gives the member time to answer, however it was created.
            self.appeal_deadline = (self.opened_at or timezone.now()) + timedelta(days=appeal_days())
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("enforcement:case-detail", args=[self.chapter.slug, self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def explained(self) -> str:
        """Why the case was opened, in the reader's language (or the stored text of a row that predates the data)."""
        from enforcement import explain

        return explain.case_text(self.evidence) if explain.structured(self.evidence) else self.explanation

    @property
    def explained_as_written(self) -> bool:
        from enforcement import explain

        return not explain.structured(self.evidence)

    @property
    def below_threshold_explained(self) -> str:
        from enforcement import explain

        if explain.structured(self.below_threshold_cause):
            return explain.below_threshold_text(self.below_threshold_cause)
        return self.below_threshold_note

    def appeal_open(self, now: datetime) -> bool:
        """The member may still write an appeal (or waive it)."""
        return self.is_open and not self.appealed_at and not self.appeal_waived_at and now < self.appeal_deadline

    def decidable(self, now: datetime) -> bool:
        """An admin may decide: the appeal deadline has passed, or the member waived the rest of it."""
        return self.is_open and (self.appeal_waived_at is not None or now >= self.appeal_deadline)


class Leave(models.Model):
    """A member's leave, by local dates (both ends inclusive); no end means until further notice.

    Meetings and quota periods inside it are excused (when the rules say so); Membership.status
    follows it (on leave while a leave covers today), kept so by `leave_*` services and a daily sync.
    """

    chapter = models.ForeignKey(
        "chapters.Chapter", on_delete=models.CASCADE, related_name="leaves", verbose_name=_("chapter")
    )
    membership = models.ForeignKey(
        "members.Membership", on_delete=models.CASCADE, related_name="leaves", verbose_name=_("member")
    )
    starts_on = models.DateField(_("first day"), help_text=_("Local date: the first day of leave."))
    ends_on = models.DateField(
        _("last day"), null=True, blank=True, help_text=_("Local date: the last day of leave; empty = open.")
    )
    reason = models.CharField(
        _("reason"), max_length=300, blank=True, help_text=_("Required when the leave starts in the past.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["membership", "starts_on"]
        verbose_name = _("leave")
        verbose_name_plural = _("leave")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="enforcement_leave_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["chapter", "membership", "starts_on"], name="enforcement_leave_member")]

    def __str__(self) -> str:
        return str(_("Leave of %(member)s from %(date)s") % {"member": self.membership, "date": self.starts_on})

    def covers(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    @property
    def label(self) -> str:
        """"1 Feb 2026 – 28 Feb 2026", or "1 Feb 2026 – until further notice", in the reader's language."""
        from enforcement import explain

        end = explain.short_day(self.ends_on) if self.ends_on else _("until further notice")
        return str(_("%(start)s – %(end)s") % {"start": explain.short_day(self.starts_on), "end": end})


class ChapterEvaluationState(models.Model):
    """Where the sweep stands with one chapter: what was judged, when time alone next matters, and
    whether evidence changed since (then it is judged in full at the next sweep, or at once)."""

    chapter = models.OneToOneField(
        "chapters.Chapter", primary_key=True, on_delete=models.CASCADE, related_name="evaluation_state"
    )
    evaluated_on = models.DateField(
        _("evaluated on"), null=True, blank=True,
        help_text=_("Local date of the last evaluation: everything due by then was judged."),
    )
    evaluated_at = models.DateTimeField(_("evaluated at"), null=True, blank=True)
    next_due_on = models.DateField(
        _("next due on"), null=True, blank=True, db_index=True,
        help_text=_("The first local date on which the passage of time alone may change the outcome "
                    "(a meeting ended, a quota period judged, a leave or version starting, a violation leaving the "
                    "window). Empty: only a change of evidence will."),
    )
    dirty_since = models.DateTimeField(
        _("evidence changed at"), null=True, blank=True, db_index=True,
        help_text=_("Set (in the same transaction) when evidence changes; cleared by the full evaluation that "
                    "follows."),
    )

    class Meta:
        verbose_name = _("chapter evaluation state")
        verbose_name_plural = _("chapter evaluation states")

    def __str__(self) -> str:
        return str(_("Evaluation state of chapter %(chapter)s") % {"chapter": self.chapter_id})

    @classmethod
    def mark_dirty(cls, chapter_id: int) -> None:
        """Evidence changed (call in the transaction that changed it): the next sweep judges the chapter in full."""
        cls.objects.bulk_create(
            [cls(chapter_id=chapter_id, dirty_since=timezone.now())],
            update_conflicts=True, unique_fields=["chapter"], update_fields=["dirty_since"],
        )


class SweepRun(models.Model):
    """One run of the enforcement sweep: how many batches it sent and how many are done, and what they did."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(
        _("finished at"), null=True, blank=True, help_text=_("Set when the last batch is done.")
    )
    batches = models.PositiveIntegerField(_("batches"), default=0)
    batches_done = models.PositiveIntegerField(_("batches done"), default=0)
    done_batches = models.JSONField(
        _("numbers of the batches done"), default=list, blank=True,
        help_text=_("Numbers of the batches done (a rerun counts once)."),
    )
    chapters = models.PositiveIntegerField(_("chapters"), default=0, help_text=_("Chapters judged (due ones only)."))
    fines = models.PositiveIntegerField(_("fines"), default=0)
    withdrawn = models.PositiveIntegerField(_("withdrawn"), default=0)
    cases = models.PositiveIntegerField(_("cases"), default=0)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        indexes = [models.Index(fields=["-started_at"], name="enforcement_sweeprun_started")]

    def __str__(self) -> str:
        return str(_("Sweep %(started)s (%(done)s/%(batches)s)") % {
            "started": self.started_at.isoformat(sep=" ", timespec="minutes"), "done": self.batches_done,
            "batches": self.batches,
        })

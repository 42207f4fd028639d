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
        help_text="Empty: the organisation-wide default, used for chapters whose region has no row.",
    )
    absences_allowed_max = models.PositiveSmallIntegerField(default=6)
    window_months_max = models.PositiveSmallIntegerField(default=12, validators=[MinValueValidator(1)])
    substitutes_allowed_max = models.PositiveSmallIntegerField(default=6)
    medical_allowed_max = models.PositiveSmallIntegerField(default=8, help_text="Meetings of medical leave.")
    referral_quota_max = models.PositiveSmallIntegerField(default=10)
    fine_max = models.DecimalField(default=Decimal("50.00"), help_text="Largest amount for any one fine.", **MONEY)
    grace_days_max = models.PositiveSmallIntegerField(default=180)
    consent_grace_days_max = models.PositiveSmallIntegerField(
        default=14, help_text="Longest grace after a quota period within which a prospect's consent still counts."
    )
    expulsion_violations_min = models.PositiveSmallIntegerField(
        default=2, validators=[MinValueValidator(1)], help_text="Leadership may not make expulsion easier than this."
    )

    class Meta:
        verbose_name = "rules limits"
        verbose_name_plural = "rules limits"
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(region__isnull=True), name="enforcement_ruleslimits_one_default"
            ),
        ]

    def __str__(self) -> str:
        return f"Limits for {self.region or 'every region'}"


class ChapterRules(models.Model):
    """One version of a chapter's rules, in force from `effective_from` until the next version."""

    class Window(models.TextChoices):
        ROLLING = "rolling", "Rolling window of months"
        QUARTER = "quarter", "Fixed quarters"
        HALF = "half", "Fixed half-years"

    class QuotaPeriod(models.TextChoices):
        WEEK = "week", "Week (Monday to Sunday)"
        MONTH = "month", "Calendar month"
        MEETING = "meeting", "Meeting (since the previous meeting)"

    class QuotaCounts(models.TextChoices):
        ALL = "all", "Every referral given"
        CONSENTED = "consented", "Only referrals whose prospect consented"
        MEETING = "meeting", "Only referrals that reached a meeting"
        WON = "won", "Only referrals that closed business"

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="rules_versions")
    number = models.PositiveIntegerField(help_text="Version number within the chapter: 1, 2, 3 …")
    effective_from = models.DateField(help_text="Local date in the chapter's timezone from which this version applies.")
    currency = models.CharField(max_length=3, help_text="The chapter's currency when the version was made.")

    absence_window = models.CharField(max_length=10, choices=Window.choices, default=Window.ROLLING)
    window_months = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1)], help_text="Length of the rolling window."
    )
    fixed_start_month = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text="Month a fixed quarter or half-year starts in (1 = January: Jan–Jun / Jul–Dec).",
    )
    absences_allowed = models.PositiveSmallIntegerField(default=3)
    late_weight = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0.50"), validators=WEIGHT_VALIDATORS,
        help_text="How much of an absence a late arrival counts as (0 = not at all, 1 = a full absence).",
    )
    medical_weight = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0"), validators=WEIGHT_VALIDATORS
    )
    substitute_weight = models.DecimalField(
        max_digits=3, decimal_places=2, default=Decimal("0"), validators=WEIGHT_VALIDATORS
    )
    substitutes_allowed = models.PositiveSmallIntegerField(
        default=3, help_text="Substitutes per window; each one beyond counts as a full absence."
    )
    medical_allowed = models.PositiveSmallIntegerField(
        default=8, help_text="Medical marks per window; each one beyond counts as a full absence."
    )
    referral_quota = models.PositiveSmallIntegerField(default=0, help_text="0 means no referral quota.")
    quota_period = models.CharField(max_length=10, choices=QuotaPeriod.choices, default=QuotaPeriod.MONTH)
    quota_counts = models.CharField(max_length=10, choices=QuotaCounts.choices, default=QuotaCounts.ALL)
    fine_absence = models.DecimalField(default=Decimal("0.00"), help_text="Per absence over the limit.", **MONEY)
    fine_late = models.DecimalField(default=Decimal("0.00"), help_text="Per late arrival (0 = none).", **MONEY)
    fine_quota = models.DecimalField(default=Decimal("0.00"), help_text="Per period the quota is missed.", **MONEY)
    grace_days = models.PositiveSmallIntegerField(
        default=90, help_text="New members are not held to the rules for this many days after joining."
    )
    exempt_on_leave = models.BooleanField(
        default=True, help_text="Meetings and quota periods inside a member's recorded leave are excused."
    )
    consent_grace_days = models.PositiveSmallIntegerField(
        default=3,
        help_text="When only consented referrals count: consent the prospect gives up to this many days after "
        "the period still counts, and the period is judged only after them.",
    )
    # Existing versions were migrated with True (what the app always did); a chapter's first rules
    # default to False, the fairer choice: one late arrival is charged once in money.
    late_fee_stacks_with_absence = models.BooleanField(
        default=False,
        help_text="A late arrival over the absence limit pays the late fee and its share of an absence fine. "
        "Off: the late fee alone; its share of an absence still counts toward the limit and expulsion.",
    )
    expulsion_violations = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1)],
        help_text="Violations (absence or quota fines not waived) that make a member an expulsion candidate …",
    )
    expulsion_months = models.PositiveSmallIntegerField(
        default=6, validators=[MinValueValidator(1)], help_text="… within this many months."
    )

    reason = models.CharField(max_length=300, blank=True, help_text="Why the rules changed (shown in the history).")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # The fields a new version copies and the form edits (everything but bookkeeping).
    RULE_FIELDS = (
        "absence_window", "window_months", "fixed_start_month", "absences_allowed", "late_weight",
        "medical_weight", "substitute_weight", "substitutes_allowed", "medical_allowed", "referral_quota",
        "quota_period", "quota_counts", "fine_absence", "fine_late", "fine_quota", "grace_days",
        "exempt_on_leave", "expulsion_violations", "expulsion_months", "consent_grace_days",
        "late_fee_stacks_with_absence",
    )

    class Meta:
        ordering = ["chapter", "effective_from", "number"]
        verbose_name = "chapter rules version"
        constraints = [
            models.UniqueConstraint(fields=["chapter", "number"], name="enforcement_rules_version_number_unique"),
        ]
        indexes = [models.Index(fields=["chapter", "effective_from"], name="enforcement_rules_ch_from")]

    def __str__(self) -> str:
        return f"{self.chapter} rules v{self.number} from {self.effective_from}"


class Fine(models.Model):
    """A violation of a rules version for one period, with its evidence; a zero amount is a warning."""

    class Kind(models.TextChoices):
        ABSENCE = "absence", "Absence over the limit"
        LATE = "late", "Late arrival"
        QUOTA = "quota", "Referral quota missed"

    class Status(models.TextChoices):
        OPEN = "open", "Unpaid"
        PAID = "paid", "Paid"
        WAIVED = "waived", "Waived"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REFUNDED = "refunded", "Refunded"

    class RefundDecision(models.TextChoices):
        REFUND = "refund", "Refund it"
        KEEP = "keep", "Keep it"

    # Kinds that count toward the expulsion threshold (a late fee is a fee, not a violation).
    VIOLATION_KINDS = (Kind.ABSENCE, Kind.QUOTA)
    # Statuses the evidence no longer stands behind: never counted toward expulsion or amounts owed.
    VOID_STATUSES = (Status.WITHDRAWN, Status.REFUNDED)

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="fines")
    membership = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="fines")
    rules = models.ForeignKey(ChapterRules, on_delete=models.PROTECT, related_name="fines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    period_start = models.DateField(help_text="Local date: the meeting's date, or the first day of the quota period.")
    period_end = models.DateField(help_text="Local date: last day of the period (inclusive).")
    meeting = models.ForeignKey(
        "meetings.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="fines"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    explanation = models.TextField(help_text="The evidence and the arithmetic, in plain language.")
    evidence = models.JSONField(default=dict, help_text="The same evidence, structured.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Withdrawn by reconciliation: the evidence no longer supports the (unpaid) fine.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True, help_text="Why the fine was withdrawn, in words.")
    withdrawn_cause = models.JSONField(
        default=dict, blank=True,
        help_text="What caused it, structured: {'kind': 'correction' | 'leave' | 'rules' | 'consent' | …, …}.",
    )
    replaced_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaces",
        help_text="The fine issued in its place when the evidence called for a different amount.",
    )
    # A paid fine the evidence no longer supports waits for leadership's refund decision.
    refund_flagged_at = models.DateTimeField(null=True, blank=True)
    refund_flag_reason = models.TextField(blank=True)
    refund_flag_cause = models.JSONField(default=dict, blank=True)
    refund_decision = models.CharField(max_length=10, choices=RefundDecision.choices, blank=True)
    refund_decided_at = models.DateTimeField(null=True, blank=True)
    refund_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refund_decision_reason = models.CharField(max_length=300, blank=True)

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
    def title(self) -> str:
        """What the fine is for, in words that name lates where only lates were counted."""
        return fine_words(self.kind, self.evidence)


def fine_words(kind: str, evidence: dict, *, many: bool = False) -> str:
    """'Absence over the limit', 'Late over the limit', 'Lates and absences over the limit' … from the evidence.

    An absence-limit fine whose counted marks (weight above 0) are all lates never says "absence".
    """
    if kind != Fine.Kind.ABSENCE:
        return Fine.Kind(kind).label if kind in Fine.Kind.values else kind
    statuses = {m.get("status") for m in (evidence or {}).get("marks", []) if m.get("weight") not in ("0", 0, None)}
    if statuses and statuses <= {"late"}:
        return "Lates over the limit"
    if "late" in statuses:
        return "Lates and absences over the limit"
    return "Absence over the limit"


class ExpulsionCase(models.Model):
    """A member who crossed the chapter's expulsion threshold; reviewed and decided by an admin."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DECIDED = "decided", "Decided"

    class Decision(models.TextChoices):
        EXPEL = "expel", "Expel"
        PROBATION = "probation", "Probation"
        DISMISS = "dismiss", "Dismiss"

    class Recommendation(models.TextChoices):
        KEEP = "keep", "Keep the seat"
        PROBATION = "probation", "Probation"
        EXPEL = "expel", "Expel"

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="expulsion_cases")
    membership = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="expulsion_cases")
    rules = models.ForeignKey(ChapterRules, on_delete=models.PROTECT, related_name="expulsion_cases")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    fines = models.ManyToManyField(Fine, related_name="expulsion_cases", blank=True)
    explanation = models.TextField()
    evidence = models.JSONField(default=dict)
    # Review (issue #7): appeal, the president's recommendation, the admin's decision.
    appeal_deadline = models.DateTimeField(null=True, blank=True)
    appeal_text = models.TextField(blank=True)
    appealed_at = models.DateTimeField(null=True, blank=True)
    appeal_waived_at = models.DateTimeField(
        null=True, blank=True, help_text="The member said they will not appeal (further): a decision may come at once."
    )
    recommendation = models.CharField(
        max_length=10, choices=Recommendation.choices, blank=True, help_text="What the president recommends."
    )
    president_recommendation = models.TextField(blank=True, help_text="The president's note on the recommendation.")
    recommended_at = models.DateTimeField(null=True, blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    probation_until = models.DateField(
        null=True, blank=True, help_text="Local date: the last day of probation; lifted by the daily task after it."
    )
    probation_conditions = models.TextField(blank=True)
    probation_lifted_at = models.DateTimeField(null=True, blank=True)
    # Reconciliation flags an open case whose standing violations fell below its threshold.
    below_threshold_at = models.DateTimeField(null=True, blank=True)
    below_threshold_note = models.TextField(blank=True)

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
        indexes = [models.Index(fields=["status", "opened_at"], name="enforcement_case_status_opened")]

    def __str__(self) -> str:
        return f"Case #{self.pk}: {self.membership}"

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

    chapter = models.ForeignKey("chapters.Chapter", on_delete=models.CASCADE, related_name="leaves")
    membership = models.ForeignKey("members.Membership", on_delete=models.CASCADE, related_name="leaves")
    starts_on = models.DateField(help_text="Local date: the first day of leave.")
    ends_on = models.DateField(null=True, blank=True, help_text="Local date: the last day of leave; empty = open.")
    reason = models.CharField(max_length=300, blank=True, help_text="Required when the leave starts in the past.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["membership", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="enforcement_leave_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["chapter", "membership", "starts_on"], name="enforcement_leave_member")]

    def __str__(self) -> str:
        return f"Leave of {self.membership} from {self.starts_on}"

    def covers(self, day) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    @property
    def label(self) -> str:
        end = f"{self.ends_on:%-d %b %Y}" if self.ends_on else "until further notice"
        return f"{self.starts_on:%-d %b %Y} – {end}"


class ChapterEvaluationState(models.Model):
    """Where the sweep stands with one chapter: what was judged, when time alone next matters, and
    whether evidence changed since (then it is judged in full at the next sweep, or at once)."""

    chapter = models.OneToOneField(
        "chapters.Chapter", primary_key=True, on_delete=models.CASCADE, related_name="evaluation_state"
    )
    evaluated_on = models.DateField(
        null=True, blank=True, help_text="Local date of the last evaluation: everything due by then was judged."
    )
    evaluated_at = models.DateTimeField(null=True, blank=True)
    next_due_on = models.DateField(
        null=True, blank=True, db_index=True,
        help_text="The first local date on which the passage of time alone may change the outcome "
        "(a meeting ended, a quota period judged, a leave or version starting, a violation leaving the window). "
        "Empty: only a change of evidence will.",
    )
    dirty_since = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="Set (in the same transaction) when evidence changes; cleared by the full evaluation that follows.",
    )

    class Meta:
        verbose_name = "chapter evaluation state"

    def __str__(self) -> str:
        return f"Evaluation state of chapter {self.chapter_id}"

    @classmethod
    def mark_dirty(cls, chapter_id: int) -> None:
        """Evidence changed (call in the transaction that changed it): the next sweep judges the chapter in full."""
        cls.objects.bulk_create(
            [cls(chapter_id=chapter_id, dirty_since=timezone.now())],
            update_conflicts=True, unique_fields=["chapter"], update_fields=["dirty_since"],
        )


class SweepRun(models.Model):
    """One run of the enforcement sweep: how many batches it sent and how many are done, and what they did."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="Set when the last batch is done.")
    batches = models.PositiveIntegerField(default=0)
    batches_done = models.PositiveIntegerField(default=0)
    done_batches = models.JSONField(default=list, blank=True, help_text="Numbers of the batches done (a rerun counts once).")
    chapters = models.PositiveIntegerField(default=0, help_text="Chapters judged (due ones only).")
    fines = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["-started_at"], name="enforcement_sweeprun_started")]

    def __str__(self) -> str:
        return f"Sweep {self.started_at:%Y-%m-%d %H:%M} ({self.batches_done}/{self.batches})"

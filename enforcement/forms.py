from datetime import timedelta

from django import forms
from django.utils import timezone

from enforcement.limits import (
    PROBATION_MAX_MONTHS,
    RULES_AHEAD_MAX_MONTHS,
    probation_until_error,
    probation_until_max,
    rules_effective_from_error,
    rules_effective_from_max,
    rules_limit_errors,
)
from enforcement.models import ChapterRules, ExpulsionCase, Fine
from leadsgroups.single_line import SingleLineFormMixin

WEIGHT_HELP = "0 = does not count, 0.5 = half an absence, 1 = a full absence."


class RulesForm(SingleLineFormMixin, forms.ModelForm):
    """A new rules version: starts today or later, within the limits the organisation sets."""

    class Meta:
        model = ChapterRules
        fields = ["effective_from", *ChapterRules.RULE_FIELDS, "reason"]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "late_weight": forms.NumberInput(attrs={"step": "0.25", "min": "0", "max": "1"}),
            "medical_weight": forms.NumberInput(attrs={"step": "0.25", "min": "0", "max": "1"}),
            "substitute_weight": forms.NumberInput(attrs={"step": "0.25", "min": "0", "max": "1"}),
        }
        labels = {
            "effective_from": "In force from",
            "absence_window": "Absence window",
            "window_months": "Rolling window (months)",
            "fixed_start_month": "Fixed windows start in month",
            "late_weight": "A late arrival counts as",
            "medical_weight": "A medical absence counts as",
            "substitute_weight": "A substitute counts as",
            "medical_allowed": "Medical absences allowed per window",
            "substitutes_allowed": "Substitutes allowed per window",
            "referral_quota": "Referral quota",
            "quota_period": "Quota per",
            "quota_counts": "What counts toward the quota",
            "fine_absence": "Fine per absence over the limit",
            "fine_late": "Fine per late arrival",
            "fine_quota": "Fine per missed quota period",
            "grace_days": "Grace period for new members (days)",
            "exempt_on_leave": "Members on leave are exempt",
            "expulsion_violations": "Expulsion candidate after … violations",
            "expulsion_months": "… within (months)",
            "consent_grace_days": "Consent grace after a quota period (days)",
            "late_fee_stacks_with_absence": "A late fee stacks with the late's share of an absence fine",
            "reason": "Why the change",
        }
        help_texts = {"late_weight": WEIGHT_HELP, "medical_weight": WEIGHT_HELP, "substitute_weight": WEIGHT_HELP}

    def __init__(self, *args, chapter, limits, **kwargs):
        super().__init__(*args, **kwargs)
        self.chapter = chapter
        self.limits = limits
        self.today = timezone.now().astimezone(chapter.tz).date()
        self.fields["reason"].required = True
        self.fields["effective_from"].widget.attrs.update(
            min=self.today.isoformat(), max=rules_effective_from_max(self.today).isoformat()
        )
        self.fields["effective_from"].help_text = (
            f"Today or later, at most {RULES_AHEAD_MAX_MONTHS} months ahead."
        )
        for name in ("fine_absence", "fine_late", "fine_quota"):
            self.fields[name].help_text = f"In {chapter.currency}; at most {limits.fine_max}."
        self.fields["consent_grace_days"].help_text = (
            "When only consented referrals count: consent given up to this many days after a period still counts, "
            f"and the period is judged after them. At most {limits.consent_grace_days_max}."
        )

    def clean_effective_from(self):
        day = self.cleaned_data["effective_from"]
        error = rules_effective_from_error(day, self.today)
        if error:
            raise forms.ValidationError(error)
        return day

    def clean(self):
        data = super().clean()
        for field, message in rules_limit_errors(limits=self.limits, data=data, currency=self.chapter.currency).items():
            self.add_error(field, message)
        return data


class FineResolveForm(SingleLineFormMixin, forms.Form):
    status = forms.ChoiceField(choices=[(Fine.Status.PAID, "Paid"), (Fine.Status.WAIVED, "Waived")])
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.TextInput(),
        help_text="Required to waive; the member and the audit trail see it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Fine.Status.WAIVED and not (data.get("reason") or "").strip():
            self.add_error("reason", "Say why the fine is waived.")
        return data


# Expulsion-case review ----------------------------------------------------------------------------


class RecommendForm(forms.Form):
    recommendation = forms.ChoiceField(
        choices=ExpulsionCase.Recommendation.choices, widget=forms.RadioSelect, label="You recommend"
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=3000, label="Why",
        help_text="The member and the admin who decides read it.",
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), max_length=6000, label="Your appeal",
        help_text="What happened, and anything the admin should weigh before deciding.",
    )
    waive_rest = forms.BooleanField(
        required=False, label="I have said all I want to say: the case may be decided before the deadline",
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=ExpulsionCase.Decision.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=6000, label="Written reason",
        help_text="Required. The member, the president and the audit trail read it.",
    )
    probation_until = forms.DateField(
        required=False, label="Probation ends on (last day)",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    conditions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=3000, label="Probation conditions",
        help_text="What the member must do during probation.",
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["probation_until"].widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(), max=probation_until_max(today).isoformat()
        )
        self.fields["probation_until"].help_text = f"At most {PROBATION_MAX_MONTHS // 12} years from today."

    def clean(self):
        data = super().clean()
        if data.get("decision") == ExpulsionCase.Decision.PROBATION:
            until = data.get("probation_until")
            if until is None and "probation_until" not in self.errors:
                self.add_error("probation_until", "Give the last day of probation.")
            elif until is not None and (error := probation_until_error(until, self.today)):
                self.add_error("probation_until", error)
            if not (data.get("conditions") or "").strip():
                self.add_error("conditions", "Say what the member must do during probation.")
        return data


# Leave ----------------------------------------------------------------------------------------------

DATE = dict(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class LeaveForm(SingleLineFormMixin, forms.Form):
    """Record leave: a first day (may be in the past, with a reason), and a last day if known."""

    starts_on = forms.DateField(label="First day of leave", **DATE)
    ends_on = forms.DateField(label="Last day of leave", required=False, help_text="Empty: until further notice.", **DATE)
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.TextInput(),
        help_text="Required if the leave began before today (back-dated); the member and the audit trail see it.",
    )

    def __init__(self, *args, today, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.correcting = correcting
        if correcting:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = "Why the dates change; the member and the audit trail see it."

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", f"The leave cannot end before it starts ({start:%-d %b %Y}).")
        reason = (data.get("reason") or "").strip()
        if start and start < self.today and not self.correcting and len(reason) < 5:
            self.add_error("reason", "The leave starts in the past: say why it is back-dated (e.g. the sick note's date).")
        return data


class RefundDecideForm(SingleLineFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=Fine.RefundDecision.choices, widget=forms.RadioSelect, label="Decision")
    reason = forms.CharField(
        max_length=300, required=False, widget=forms.TextInput(),
        help_text="Required to keep the fine (a sentence); the member and the audit trail see it.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == Fine.RefundDecision.KEEP and len((data.get("reason") or "").strip()) < 10:
            self.add_error("reason", "Say in a sentence why the fine is kept.")
        return data

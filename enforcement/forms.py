from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from enforcement import explain
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

WEIGHT_HELP = gettext_lazy("0 = does not count, 0.5 = half an absence, 1 = a full absence.")


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
            "effective_from": gettext_lazy("In force from"),
            "absence_window": gettext_lazy("Absence window"),
            "window_months": gettext_lazy("Rolling window (months)"),
            "fixed_start_month": gettext_lazy("Fixed windows start in month"),
            "late_weight": gettext_lazy("A late arrival counts as"),
            "medical_weight": gettext_lazy("A medical absence counts as"),
            "substitute_weight": gettext_lazy("A substitute counts as"),
            "medical_allowed": gettext_lazy("Medical absences allowed per window"),
            "substitutes_allowed": gettext_lazy("Substitutes allowed per window"),
            "referral_quota": gettext_lazy("Referral quota"),
            "quota_period": gettext_lazy("Quota per"),
            "quota_counts": gettext_lazy("What counts toward the quota"),
            "fine_absence": gettext_lazy("Fine per absence over the limit"),
            "fine_late": gettext_lazy("Fine per late arrival"),
            "fine_quota": gettext_lazy("Fine per missed quota period"),
            "grace_days": gettext_lazy("Grace period for new members (days)"),
            "exempt_on_leave": gettext_lazy("Members on leave are exempt"),
            "expulsion_violations": gettext_lazy("Expulsion candidate after … violations"),
            "expulsion_months": gettext_lazy("… within (months)"),
            "consent_grace_days": gettext_lazy("Consent grace after a quota period (days)"),
            "late_fee_stacks_with_absence": gettext_lazy("A late fee stacks with the late's share of an absence fine"),
            "repeat_window_days": gettext_lazy("Repeats counted over (days)"),
            "reason": gettext_lazy("Why the change"),
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
        self.fields["effective_from"].help_text = ngettext(
            "Today or later, at most %(count)s month ahead.", "Today or later, at most %(count)s months ahead.",
            RULES_AHEAD_MAX_MONTHS,
        ) % {"count": RULES_AHEAD_MAX_MONTHS}
        for name in ("fine_absence", "fine_late", "fine_quota"):
            self.fields[name].help_text = _("In %(currency)s; at most %(amount)s.") % {
                "currency": chapter.currency, "amount": explain.money(limits.fine_max, chapter.currency),
            }
        self.fields["consent_grace_days"].help_text = _(
            "When only consented referrals count: consent given up to this many days after a period still counts, "
            "and the period is judged after them. At most %(count)s."
        ) % {"count": limits.consent_grace_days_max}
        self.fields["repeat_window_days"].help_text = _(
            "Weighted quota: a referral of a prospect referred before (or inside business to the same member again) "
            "counts ½, ¼ … when the earlier one was given in its period or this many days before it. 0: within the "
            "period only. At most %(count)s."
        ) % {"count": limits.repeat_window_days_max}

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
    status = forms.ChoiceField(
        label=gettext_lazy("Status"), choices=[(Fine.Status.PAID, Fine.Status.PAID.label),
                                               (Fine.Status.WAIVED, Fine.Status.WAIVED.label)],
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, required=False, widget=forms.TextInput(),
        help_text=gettext_lazy("Required to waive; the member and the audit trail see it."),
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Fine.Status.WAIVED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the fine is waived."))
        return data


# Expulsion-case review ----------------------------------------------------------------------------


class RecommendForm(forms.Form):
    recommendation = forms.ChoiceField(
        choices=ExpulsionCase.Recommendation.choices, widget=forms.RadioSelect, label=gettext_lazy("You recommend")
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), max_length=3000, label=gettext_lazy("Why"),
        help_text=gettext_lazy("The member and the admin who decides read it."),
    )


class AppealForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), max_length=6000, label=gettext_lazy("Your appeal"),
        help_text=gettext_lazy("What happened, and anything the admin should weigh before deciding."),
    )
    waive_rest = forms.BooleanField(
        required=False,
        label=gettext_lazy("I have said all I want to say: the case may be decided before the deadline"),
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"), choices=ExpulsionCase.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=6000, label=gettext_lazy("Written reason"),
        help_text=gettext_lazy("Required. The member, the president and the audit trail read it."),
    )
    probation_until = forms.DateField(
        required=False, label=gettext_lazy("Probation ends on (last day)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    conditions = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=3000,
        label=gettext_lazy("Probation conditions"),
        help_text=gettext_lazy("What the member must do during probation."),
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["probation_until"].widget.attrs.update(
            min=(today + timedelta(days=1)).isoformat(), max=probation_until_max(today).isoformat()
        )
        years = PROBATION_MAX_MONTHS // 12
        self.fields["probation_until"].help_text = ngettext(
            "At most %(count)s year from today.", "At most %(count)s years from today.", years
        ) % {"count": years}

    def clean(self):
        data = super().clean()
        if data.get("decision") == ExpulsionCase.Decision.PROBATION:
            until = data.get("probation_until")
            if until is None and "probation_until" not in self.errors:
                self.add_error("probation_until", _("Give the last day of probation."))
            elif until is not None and (error := probation_until_error(until, self.today)):
                self.add_error("probation_until", error)
            if not (data.get("conditions") or "").strip():
                self.add_error("conditions", _("Say what the member must do during probation."))
        return data


# Leave ----------------------------------------------------------------------------------------------

DATE = dict(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class LeaveForm(SingleLineFormMixin, forms.Form):
    """Record leave: a first day (may be in the past, with a reason), and a last day if known."""

    starts_on = forms.DateField(label=gettext_lazy("First day of leave"), **DATE)
    ends_on = forms.DateField(
        label=gettext_lazy("Last day of leave"), required=False,
        help_text=gettext_lazy("Empty: until further notice."), **DATE,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, required=False, widget=forms.TextInput(),
        help_text=gettext_lazy(
            "Required if the leave began before today (back-dated); the member and the audit trail see it."
        ),
    )

    def __init__(self, *args, today, correcting: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.correcting = correcting
        if correcting:
            self.fields["reason"].required = True
            self.fields["reason"].help_text = _("Why the dates change; the member and the audit trail see it.")

    def clean(self):
        data = super().clean()
        start, end = data.get("starts_on"), data.get("ends_on")
        if start and end and end < start:
            self.add_error("ends_on", _("The leave cannot end before it starts (%(date)s).") % {
                "date": explain.short_day(start),
            })
        reason = (data.get("reason") or "").strip()
        if start and start < self.today and not self.correcting and len(reason) < 5:
            self.add_error("reason", _("The leave starts in the past: say why it is back-dated (e.g. the sick note's "
                                       "date)."))
        return data


class RefundDecideForm(SingleLineFormMixin, forms.Form):
    decision = forms.ChoiceField(
        choices=Fine.RefundDecision.choices, widget=forms.RadioSelect, label=gettext_lazy("Decision")
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300, required=False, widget=forms.TextInput(),
        help_text=gettext_lazy("Required to keep the fine (a sentence); the member and the audit trail see it."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == Fine.RefundDecision.KEEP and len((data.get("reason") or "").strip()) < 10:
            self.add_error("reason", _("Say in a sentence why the fine is kept."))
        return data

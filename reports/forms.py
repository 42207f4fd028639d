from __future__ import annotations

from datetime import date, timedelta

from django import forms

from enforcement.formatting import num
from leadsgroups.single_line import SingleLineFormMixin
from reports.ladders import ladder_parse, ladder_text
from reports.limits import scorecard_rules_errors
from reports.models import ScorecardLimits, ScorecardRules
from reports.scorecards import COMPONENTS, ladders_of

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_RANGE_DAYS = 2 * 366  # two years of weeks: beyond that a chart is a smear and a range a typing slip
EARLIEST = date(2000, 1, 1)


class RangeForm(forms.Form):
    """A report's date range (GET): both ends, in order, at most two years, not in the future."""

    start = forms.DateField(label="From", widget=DATE)
    end = forms.DateField(label="To", widget=DATE)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(min=EARLIEST.isoformat(), max=today.isoformat())

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and start < EARLIEST:
            self.add_error("start", f"Choose a day from {EARLIEST:%-d %b %Y} on.")
        if end and end > self.today:
            self.add_error("end", f"The report cannot reach past today ({self.today:%-d %b %Y}).")
        if start and end and start > end:
            self.add_error("end", "The end comes before the start.")
        elif start and end and (end - start).days >= MAX_RANGE_DAYS:
            self.add_error("start", f"Choose at most two years (from {end - timedelta(days=MAX_RANGE_DAYS - 1):%-d %b %Y}).")
        return data


LADDER_HELP = {
    "absences": "Absences in the range = points: at most that many earns the points, more earns 0. Default 0=15, 1=10, 2=5.",
    "lates": "Late arrivals in the range = points (never late: 0=5).",
    "referrals": "Referrals given a week = points: the highest threshold reached counts. Default 0.5=5, 0.75=10, 1=15, 1.2=20.",
    "visitors": "Visitors invited a week = points. Default 0.05=5, 0.1=10, 0.15=15, 0.2=20 (one visitor in 20 weeks earns 5).",
    "one_to_ones": "Confirmed one-to-ones a week = points. Empty: shown but not scored (the default). E.g. 0.25=5, 0.5=10.",
    "education": "Hours of education a week = points. Default 0.1=5, 0.25=10, 0.5=15.",
    "testimonials": "Testimonials given in the range = points. Default 1=5, 2=10.",
    "tyfcb": "Closed business in the range, in the chapter's currency = points. Default 500=5, 2000=10, 5000=15.",
}


def _ladder(key: str, label: str):
    return forms.CharField(required=False, max_length=200, label=label, help_text=LADDER_HELP[key])


class ScorecardRulesForm(SingleLineFormMixin, forms.Form):
    """The chapter's scorecard: a ladder per figure (threshold=points, …), what counts, and the bands."""

    absences = _ladder("absences", "Absences")
    lates = _ladder("lates", "Never late")
    referrals = _ladder("referrals", "Referrals given")
    visitors = _ladder("visitors", "Visitors invited")
    one_to_ones = _ladder("one_to_ones", "One-to-ones")
    education = _ladder("education", "Education")
    testimonials = _ladder("testimonials", "Testimonials given")
    tyfcb = _ladder("tyfcb", "TYFCB")
    referrals_count = forms.ChoiceField(choices=ScorecardRules.ReferralsCount.choices, label="Referrals that count")
    tyfcb_counts = forms.ChoiceField(choices=ScorecardRules.TyfcbCounts.choices, label="TYFCB that counts")
    tyfcb_business = forms.ChoiceField(choices=ScorecardRules.TyfcbBusiness.choices, label="TYFCB business")
    green_from = forms.IntegerField(min_value=1, max_value=100, label="Green from (points)")
    amber_from = forms.IntegerField(min_value=1, max_value=100, label="Amber from (points)")
    red_from = forms.IntegerField(min_value=0, max_value=100, label="Red from (points; grey below)")

    def __init__(self, *args, rules: ScorecardRules, limits: ScorecardLimits, **kwargs):
        ladders = ladders_of(rules)
        initial = {c.key: ladder_text(ladders[c.key]) for c in COMPONENTS}
        initial.update({k: getattr(rules, k) for k in ScorecardRules.RULE_FIELDS if k not in initial})
        super().__init__(*args, initial=initial, **kwargs)
        self.rules, self.limits = rules, limits
        self.fields["tyfcb"].help_text += f" Amounts in {rules.chapter.currency}."
        self.fields["green_from"].help_text = f"At least {limits.green_from_min} (your organisation's floor)."
        self.fields["absences"].help_text += (
            f" At most {limits.absences_with_points_max} absences may earn points (your organisation's limit).")
        self.fields["referrals"].help_text += (
            f" Full points need at least {num(limits.referrals_full_min)} a week (your organisation's limit).")

    def clean(self):
        data = super().clean()
        ladders = {}
        for c in COMPONENTS:
            if c.key in self.errors:
                continue
            try:
                ladders[c.key] = ladder_parse(data.get(c.key, ""), direction=c.direction, whole=c.whole)
            except forms.ValidationError as exc:
                self.add_error(c.key, exc)
        labels = {c.key: c.label for c in COMPONENTS}
        for field, message in scorecard_rules_errors(limits=self.limits, ladders=ladders, data=data,
                                                     labels=labels).items():
            if field is None or field not in self.errors:
                self.add_error(field, message)
        data["ladders"] = ladders
        return data


class OverviewForm(SingleLineFormMixin, RangeForm):
    """The organisation overview's filters (GET): a range, a name to look for, only chapters at risk."""

    q = forms.CharField(required=False, max_length=100, label="Chapter or region",
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Chapter or region name"}))
    at_risk = forms.BooleanField(required=False, label="Only chapters at risk")

    def clean_q(self):
        return self.cleaned_data["q"].strip()

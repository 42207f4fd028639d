from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leadsgroups.formats import format_date, format_number
from leadsgroups.single_line import SingleLineFormMixin
from reports.ladders import ladder_parse, ladder_text
from reports.limits import scorecard_rules_errors
from reports.models import ScorecardLimits, ScorecardRules
from reports.scorecards import BY_KEY, COMPONENTS, ladders_of

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_RANGE_DAYS = 2 * 366  # two years of weeks: beyond that a chart is a smear and a range a typing slip
EARLIEST = date(2000, 1, 1)


class RangeForm(forms.Form):
    """A report's date range (GET): both ends, in order, at most two years, not in the future."""

    start = forms.DateField(label=gettext_lazy("From"), widget=DATE)
    end = forms.DateField(label=gettext_lazy("To"), widget=DATE)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update(min=EARLIEST.isoformat(), max=today.isoformat())

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and start < EARLIEST:
            self.add_error("start", forms.ValidationError(
                _("Choose a day from %(day)s on."), code="too_early", params={"day": format_date(EARLIEST)}))
        if end and end > self.today:
            self.add_error("end", forms.ValidationError(
                _("The report cannot reach past today (%(today)s)."), code="future",
                params={"today": format_date(self.today)}))
        if start and end and start > end:
            self.add_error("end", forms.ValidationError(_("The end comes before the start."), code="order"))
        elif start and end and (end - start).days >= MAX_RANGE_DAYS:
            self.add_error("start", forms.ValidationError(
                _("Choose at most two years (from %(day)s)."), code="too_long",
                params={"day": format_date(end - timedelta(days=MAX_RANGE_DAYS - 1))}))
        return data


LADDER_HELP = {
    "absences": gettext_lazy("Absences in the range = points: at most that many earns the points, more earns 0. "
                             "Default 0=15, 1=10, 2=5."),
    "lates": gettext_lazy("Late arrivals in the range = points (never late: 0=5)."),
    "referrals": gettext_lazy("Referrals given a week = points: the highest threshold reached counts. Default 0.5=5, "
                              "0.75=10, 1=15, 1.2=20."),
    "visitors": gettext_lazy("Visitors invited a week = points. Default 0.05=5, 0.1=10, 0.15=15, 0.2=20 (one visitor "
                             "in 20 weeks earns 5)."),
    "one_to_ones": gettext_lazy("Confirmed one-to-ones a week = points. Empty: shown but not scored (the default). "
                                "E.g. 0.25=5, 0.5=10."),
    "education": gettext_lazy("Hours of education a week = points. Default 0.1=5, 0.25=10, 0.5=15."),
    "testimonials": gettext_lazy("Testimonials given in the range = points. Default 1=5, 2=10."),
    "tyfcb": gettext_lazy("Closed business in the range, in the chapter's currency = points. Default 500=5, "
                          "2000=10, 5000=15."),
}


def _ladder(key: str, label):
    return forms.CharField(required=False, max_length=200, label=label, help_text=LADDER_HELP[key])


class ScorecardRulesForm(SingleLineFormMixin, forms.Form):
    """The chapter's scorecard: a ladder per figure (threshold=points, …), what counts, and the bands."""

    absences = _ladder("absences", BY_KEY["absences"].label)
    lates = _ladder("lates", BY_KEY["lates"].label)
    referrals = _ladder("referrals", BY_KEY["referrals"].label)
    visitors = _ladder("visitors", BY_KEY["visitors"].label)
    one_to_ones = _ladder("one_to_ones", BY_KEY["one_to_ones"].label)
    education = _ladder("education", BY_KEY["education"].label)
    testimonials = _ladder("testimonials", BY_KEY["testimonials"].label)
    tyfcb = _ladder("tyfcb", "TYFCB")
    referrals_count = forms.ChoiceField(choices=ScorecardRules.ReferralsCount.choices,
                                        label=gettext_lazy("Referrals that count"))
    tyfcb_counts = forms.ChoiceField(choices=ScorecardRules.TyfcbCounts.choices, label=gettext_lazy("TYFCB that counts"))
    tyfcb_business = forms.ChoiceField(choices=ScorecardRules.TyfcbBusiness.choices, label=gettext_lazy("TYFCB business"))
    green_from = forms.IntegerField(min_value=1, max_value=100, label=gettext_lazy("Green from (points)"))
    amber_from = forms.IntegerField(min_value=1, max_value=100, label=gettext_lazy("Amber from (points)"))
    red_from = forms.IntegerField(min_value=0, max_value=100, label=gettext_lazy("Red from (points; grey below)"))

    def __init__(self, *args, rules: ScorecardRules, limits: ScorecardLimits, **kwargs):
        ladders = ladders_of(rules)
        initial = {c.key: ladder_text(ladders[c.key]) for c in COMPONENTS}
        initial.update({k: getattr(rules, k) for k in ScorecardRules.RULE_FIELDS if k not in initial})
        super().__init__(*args, initial=initial, **kwargs)
        self.rules, self.limits = rules, limits
        fields = self.fields
        fields["tyfcb"].help_text = " ".join([str(LADDER_HELP["tyfcb"]), _("Amounts in %(currency)s.") % {
            "currency": rules.chapter.currency}])
        fields["green_from"].help_text = _("At least %(floor)s (your organisation's floor).") % {
            "floor": limits.green_from_min}
        fields["absences"].help_text = " ".join([str(LADDER_HELP["absences"]), ngettext(
            "At most %(most)s absence may earn points (your organisation's limit).",
            "At most %(most)s absences may earn points (your organisation's limit).", limits.absences_with_points_max,
        ) % {"most": limits.absences_with_points_max}])
        fields["referrals"].help_text = " ".join([str(LADDER_HELP["referrals"]), _(
            "Full points need at least %(least)s a week (your organisation's limit).") % {
            "least": format_number(limits.referrals_full_min)}])

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
        labels = {c.key: str(c.label) for c in COMPONENTS}
        for field, message in scorecard_rules_errors(limits=self.limits, ladders=ladders, data=data,
                                                     labels=labels).items():
            if field is None or field not in self.errors:
                self.add_error(field, message)
        data["ladders"] = ladders
        return data


class OverviewForm(SingleLineFormMixin, RangeForm):
    """The organisation overview's filters (GET): a range, a name to look for, only chapters at risk."""

    q = forms.CharField(required=False, max_length=100, label=gettext_lazy("Chapter or region"),
                        widget=forms.TextInput(attrs={"type": "search",
                                                      "placeholder": gettext_lazy("Chapter or region name")}))
    at_risk = forms.BooleanField(required=False, label=gettext_lazy("Only chapters at risk"))

    def clean_q(self):
        return self.cleaned_data["q"].strip()

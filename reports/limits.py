"""The bounds an admin puts on chapters' scorecards, and checking a scorecard proposal against them
(as enforcement/limits.py does for rules)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leadsgroups.formats import format_number
from reports.ladders import Ladder, ladder_max
from reports.models import ScorecardLimits

TOTAL_POINTS = 100


def scorecard_limits_for(*, chapter) -> ScorecardLimits:
    """The chapter's region's limits, else the organisation default, else the built-in defaults (unsaved)."""
    rows = {
        row.region_id: row
        for row in ScorecardLimits.objects.filter(Q(region__isnull=True) | Q(region=chapter.region_id))
    }
    return rows.get(chapter.region_id) or rows.get(None) or ScorecardLimits()


def scorecard_rules_errors(*, limits: ScorecardLimits, ladders: dict[str, Ladder], data: dict,
                           labels: dict[str, str]) -> dict[str | None, str]:
    """Field (None: the whole form) → message for everything a scorecard may not be: its best points not
    adding up to 100, a figure carrying more than the admin allows, bands out of order or too lenient."""
    errors: dict[str | None, str] = {}
    for key, steps in ladders.items():
        if ladder_max(steps) > limits.component_points_max:
            errors[key] = _("Your organisation allows at most %(most)s points for any one figure; this gives "
                            "%(given)s.") % {"most": limits.component_points_max, "given": ladder_max(steps)}
    absences = ladders.get("absences", ())
    earning = [s.threshold for s in absences if s.points > 0]
    if "absences" not in errors and earning and max(earning) > limits.absences_with_points_max:
        errors["absences"] = ngettext(
            "Your organisation gives no points for more than %(count)s absence.",
            "Your organisation gives no points for more than %(count)s absences.", limits.absences_with_points_max,
        ) % {"count": limits.absences_with_points_max}
    referrals = ladders.get("referrals", ())
    if "referrals" not in errors and referrals:
        full = next(s.threshold for s in referrals if s.points == ladder_max(referrals))
        if full < limits.referrals_full_min:
            errors["referrals"] = _("Your organisation asks at least %(least)s referrals a week for the full points; "
                                    "this gives them from %(given)s.") % {
                "least": format_number(limits.referrals_full_min), "given": format_number(full)}
    if len(ladders) == len(labels):
        total = sum(ladder_max(steps) for steps in ladders.values())
        if total != TOTAL_POINTS:
            parts = ", ".join(f"{labels[k]} {ladder_max(ladders[k])}" for k in labels)
            errors[None] = _("The figures' best points must add up to %(total)s; they add up to %(sum)s (%(parts)s).") % {
                "total": TOTAL_POINTS, "sum": total, "parts": parts}
    green, amber, red = data.get("green_from"), data.get("amber_from"), data.get("red_from")
    if green is not None and green < limits.green_from_min:
        errors["green_from"] = _("Your organisation starts green at %(floor)s points at the lowest.") % {
            "floor": limits.green_from_min}
    if None not in (green, amber) and amber >= green:
        errors["amber_from"] = _("Amber must start below green.")
    if None not in (amber, red) and red >= amber:
        errors["red_from"] = _("Red must start below amber.")
    return errors

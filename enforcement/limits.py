"""The bounds an admin puts on chapter rules, and checking a rules proposal against them."""

from __future__ import annotations

from django.db.models import Q

from enforcement.formatting import money
from enforcement.models import RulesLimits


def rules_limits_for(*, chapter) -> RulesLimits:
    """The chapter's region's limits, else the organisation default, else the built-in defaults (unsaved)."""
    rows = {row.region_id: row for row in RulesLimits.objects.filter(Q(region__isnull=True) | Q(region=chapter.region_id))}
    return rows.get(chapter.region_id) or rows.get(None) or RulesLimits()


def rules_limit_errors(*, limits: RulesLimits, data: dict, currency: str) -> dict[str, str]:
    """Field → message for every value outside the admin's bounds."""
    errors = {}

    def over(field, value, bound, unit=""):
        if data.get(field) is not None and data[field] > bound:
            errors[field] = f"Your organisation allows at most {value(bound)}{unit}."

    plain = str
    over("absences_allowed", plain, limits.absences_allowed_max)
    over("window_months", plain, limits.window_months_max, " months")
    over("substitutes_allowed", plain, limits.substitutes_allowed_max)
    over("medical_allowed", plain, limits.medical_allowed_max)
    over("referral_quota", plain, limits.referral_quota_max)
    over("grace_days", plain, limits.grace_days_max, " days")
    for field in ("fine_absence", "fine_late", "fine_quota"):
        over(field, lambda b: money(b, currency), limits.fine_max)
    if data.get("expulsion_violations") is not None and data["expulsion_violations"] < limits.expulsion_violations_min:
        errors["expulsion_violations"] = (
            f"Your organisation requires at least {limits.expulsion_violations_min} violations."
        )
    return errors

"""The bounds an admin puts on chapter rules, and checking a rules proposal against them."""

from __future__ import annotations

from datetime import date

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from enforcement import explain
from enforcement.models import RulesLimits
from enforcement.periods import add_months

# How far ahead a date may be set: beyond these it is a typing slip (9999-12-31), not a plan.
PROBATION_MAX_MONTHS = 24
RULES_AHEAD_MAX_MONTHS = 12


def probation_until_max(today: date) -> date:
    """The latest last day of probation a decision on `today` may set."""
    return add_months(today, PROBATION_MAX_MONTHS)


def probation_until_error(until: date, today: date) -> str | None:
    """Why a probation ending on `until` cannot be set on `today`, or None."""
    if until <= today:
        return _("Probation must end after today.")
    latest = probation_until_max(today)
    if until > latest:
        years = PROBATION_MAX_MONTHS // 12
        return ngettext("Probation may last at most %(count)s year: end it by %(date)s.",
                        "Probation may last at most %(count)s years: end it by %(date)s.", years) % {
            "count": years, "date": explain.short_day(latest),
        }
    return None


def rules_effective_from_max(today: date) -> date:
    """The latest day a rules version made on `today` may come into force."""
    return add_months(today, RULES_AHEAD_MAX_MONTHS)


def rules_effective_from_error(day: date, today: date, *, allow_backdate: bool = False) -> str | None:
    """Why a rules version made on `today` cannot come into force on `day`, or None."""
    if day < today and not allow_backdate:
        return _("A new version cannot start in the past: the past is never edited.")
    latest = rules_effective_from_max(today)
    if day > latest:
        return ngettext("A new version may start at most %(count)s month ahead: by %(date)s.",
                        "A new version may start at most %(count)s months ahead: by %(date)s.",
                        RULES_AHEAD_MAX_MONTHS) % {"count": RULES_AHEAD_MAX_MONTHS, "date": explain.short_day(latest)}
    return None


def rules_limits_for(*, chapter) -> RulesLimits:
    """The chapter's region's limits, else the organisation default, else the built-in defaults (unsaved)."""
    rows = {row.region_id: row for row in RulesLimits.objects.filter(Q(region__isnull=True) | Q(region=chapter.region_id))}
    return rows.get(chapter.region_id) or rows.get(None) or RulesLimits()


def rules_limit_errors(*, limits: RulesLimits, data: dict, currency: str) -> dict[str, str]:
    """Field → message for every value outside the admin's bounds."""
    errors = {}

    def over(field, bound, unit=""):
        if data.get(field) is None or data[field] <= bound:
            return
        if unit == "month":
            text = ngettext("Your organisation allows at most %(count)s month.",
                            "Your organisation allows at most %(count)s months.", bound)
        elif unit == "day":
            text = ngettext("Your organisation allows at most %(count)s day.",
                            "Your organisation allows at most %(count)s days.", bound)
        else:
            text = _("Your organisation allows at most %(count)s.")
        errors[field] = text % {"count": explain.money(bound, currency) if unit == "money" else bound}

    over("absences_allowed", limits.absences_allowed_max)
    over("window_months", limits.window_months_max, "month")
    over("substitutes_allowed", limits.substitutes_allowed_max)
    over("medical_allowed", limits.medical_allowed_max)
    over("referral_quota", limits.referral_quota_max)
    over("grace_days", limits.grace_days_max, "day")
    over("consent_grace_days", limits.consent_grace_days_max, "day")
    over("repeat_window_days", limits.repeat_window_days_max, "day")
    for field in ("fine_absence", "fine_late", "fine_quota"):
        over(field, limits.fine_max, "money")
    if data.get("expulsion_violations") is not None and data["expulsion_violations"] < limits.expulsion_violations_min:
        n = limits.expulsion_violations_min
        errors["expulsion_violations"] = ngettext(
            "Your organisation requires at least %(count)s violation.",
            "Your organisation requires at least %(count)s violations.", n,
        ) % {"count": n}
    return errors

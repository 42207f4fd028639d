from django.contrib import admin

from leadsgroups.admin_lists import ReadOnlyAdmin
from reports.models import ScorecardLimits, ScorecardRules


@admin.register(ScorecardLimits)
class ScorecardLimitsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "component_points_max", "green_from_min", "absences_with_points_max",
                    "referrals_full_min"]
    list_select_related = ["region"]


@admin.register(ScorecardRules)
class ScorecardRulesAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: chapter leadership sets the scorecard on its settings page, within the limits (audited)."""

    list_display = ["chapter", "green_from", "amber_from", "red_from", "updated_at", "updated_by"]
    list_select_related = ["chapter", "updated_by"]
    search_fields = ["^chapter__name", "=chapter__slug"]

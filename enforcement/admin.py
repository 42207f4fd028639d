from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from enforcement.models import (
    ChapterEvaluationState,
    ChapterRules,
    ExpulsionCase,
    Fine,
    RulesLimits,
    SweepRun,
)
from leadsgroups.admin_lists import ChapterFilter, LargeTableAdmin, ReadOnlyAdmin


@admin.register(RulesLimits)
class RulesLimitsAdmin(admin.ModelAdmin):
    list_display = ["__str__", "absences_allowed_max", "referral_quota_max", "fine_max", "expulsion_violations_min"]
    list_select_related = ["region"]


@admin.register(ChapterRules)
class ChapterRulesAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: versions are made by chapter leadership through the rules page (never edited)."""

    list_display = ["chapter", "number", "effective_from", "absences_allowed", "referral_quota", "created_by"]
    list_filter = [ChapterFilter]
    list_select_related = ["chapter", "created_by"]


@admin.register(Fine)
class FineAdmin(ReadOnlyAdmin, LargeTableAdmin):
    """View-only: fines are issued by the enforcement task and paid or waived on their page (audited)."""

    list_display = ["membership", "chapter", "kind", "period_start", "amount", "currency", "status"]
    list_filter = ["status", "kind", ChapterFilter]
    search_fields = ["=membership__user__email", "^membership__user__full_name"]
    search_help_text = _("The member's exact email address, or the start of their name.")
    # The membership's name says "<person> in <chapter>": without its chapter, one query per row.
    list_select_related = ["membership__user", "membership__chapter", "chapter"]


@admin.register(ExpulsionCase)
class ExpulsionCaseAdmin(ReadOnlyAdmin, LargeTableAdmin):
    """Read-only: recommendations, appeals and decisions are made on the case page, with their audit events."""

    list_display = ["membership", "chapter", "status", "opened_at", "appeal_deadline", "decision"]
    list_filter = ["status", "decision", ChapterFilter]
    search_fields = ["=membership__user__email", "^membership__user__full_name", "^chapter__name"]
    list_select_related = ["membership__user", "membership__chapter", "chapter"]


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    """Read-only: what each enforcement sweep did (written by the sweep and its batches)."""

    list_display = ["started_at", "finished_at", "batches", "batches_done", "chapters", "fines", "withdrawn", "cases"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ChapterEvaluationState)
class ChapterEvaluationStateAdmin(admin.ModelAdmin):
    """Read-only: when each chapter was judged, when it is next due, and whether its evidence changed since."""

    list_display = ["chapter", "evaluated_on", "next_due_on", "dirty_since"]
    list_select_related = ["chapter"]
    search_fields = ["chapter__name", "chapter__slug"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

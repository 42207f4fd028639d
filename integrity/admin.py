from django.contrib import admin

from integrity.models import IntegrityCheck, IntegrityFlag, IntegrityRules
from leadsgroups.admin_lists import ChapterFilter, ReadOnlyAdmin


@admin.register(IntegrityFlag)
class IntegrityFlagAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """View-only: flags are found by the nightly check and reviewed on their page in the app (audited)."""

    list_display = ["pk", "chapter", "kind", "status", "outcome", "opened_at", "evidence_changed_at"]
    list_filter = ["kind", "status", "outcome", ChapterFilter]
    list_select_related = ["chapter"]
    search_fields = ["^chapter__name", "=chapter__slug"]
    raw_id_fields = ["memberships"]


@admin.register(IntegrityRules)
class IntegrityRulesAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """View-only: leadership sets the thresholds on the chapter's page, where every change is audited."""

    list_display = ["chapter", "window_days", "ring_min_referrals", "ring_min_share", "updated_at", "updated_by"]
    list_select_related = ["chapter", "updated_by"]
    search_fields = ["^chapter__name", "=chapter__slug"]


@admin.register(IntegrityCheck)
class IntegrityCheckAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """When each chapter was last checked."""

    list_display = ["chapter", "checked_at"]
    list_select_related = ["chapter"]

from django.conf import settings
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leadsgroups.admin_lists import ReadOnlyAdmin
from ops.models import TaskRun
from ops.selectors import background_work


class BeatEntryFilter(admin.SimpleListFilter):
    """The entries of the beat schedule (not a DISTINCT over every run)."""

    title = gettext_lazy("beat entry")
    parameter_name = "beat_entry"

    def lookups(self, request, model_admin):
        from leadsgroups.celery import app

        return [(name, name) for name in app.conf.beat_schedule]

    def queryset(self, request, queryset):
        return queryset.filter(beat_entry=self.value()) if self.value() else queryset


@admin.register(TaskRun)
class TaskRunAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Background work: each beat entry's last run, success and failure, then every run. Read-only: the runs
    write their rows themselves, and retention prunes them (TASK_RUN_RETENTION_DAYS)."""

    change_list_template = "admin/ops/taskrun/change_list.html"
    list_display = ["started_at", "beat_entry", "state", "duration", "worker", "error_line"]
    list_filter = ["state", BeatEntryFilter]
    search_fields = ["=task_id"]
    list_per_page = 50

    @admin.display(description=gettext_lazy("error"))
    def error_line(self, run):
        return run.error.splitlines()[0][:120] if run.error else ""

    def changelist_view(self, request, extra_context=None):
        from leadsgroups.celery import app

        work = background_work(beat_schedule=app.conf.beat_schedule)
        return super().changelist_view(
            request,
            {**(extra_context or {}), "title": _("Background work"), "work": work,
             "retention_days": settings.TASK_RUN_RETENTION_DAYS},
        )

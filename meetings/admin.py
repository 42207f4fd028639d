from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from leadsgroups.admin_lists import ChapterFilter, LargeTableAdmin, ReadOnlyAdmin
from leadsgroups.admin_privacy import HiddenFieldsAdmin
from meetings.models import (
    Attendance,
    CalendarFeed,
    ChapterMeetingSettings,
    Meeting,
    Presentation,
    Testimonial,
    Visitor,
)


@admin.register(Meeting)
class MeetingAdmin(LargeTableAdmin):
    list_display = ["chapter", "local_date", "kind", "status", "venue"]
    list_filter = ["status", "kind", ChapterFilter]
    list_select_related = ["chapter"]
    date_hierarchy = "local_date"
    search_fields = ["^chapter__name", "^venue"]
    autocomplete_fields = ["chapter"]
    # Closing, cancelling and moving go through the app, where they are audited and figures lock.
    readonly_fields = ["status", "cancel_reason", "closed_at", "closed_by"]


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin, LargeTableAdmin):
    """Read-only (roll call and corrections, with their reason and audit record, happen in the app). Over a
    million rows: newest first by primary key, a member found by exact email or name prefix."""

    list_display = ["meeting", "membership", "status", "substitute_name", "recorded_at"]
    list_filter = ["status"]
    list_select_related = ["meeting__chapter", "membership__user", "membership__chapter"]
    raw_id_fields = ["meeting", "membership", "recorded_by"]
    search_fields = ["=membership__user__email", "^membership__user__full_name"]
    search_help_text = _("The member's exact email address, or the start of their name.")


@admin.register(Visitor)
class VisitorAdmin(LargeTableAdmin):
    list_display = ["name", "business", "meeting", "invited_by", "follow_up"]
    list_filter = ["follow_up"]
    search_fields = ["^name", "^business", "=email"]
    list_select_related = ["meeting__chapter", "invited_by__user", "invited_by__chapter"]
    raw_id_fields = ["meeting", "invited_by", "applicant_membership", "recorded_by", "invitation"]
    autocomplete_fields = ["classification"]
    ordering = ["-pk"]  # newest first from the primary key, not sorted by the meeting's time (another table)


@admin.register(Presentation)
class PresentationAdmin(LargeTableAdmin):
    list_display = ["meeting", "presenter", "kind", "topic"]
    ordering = ["-pk"]  # newest first from the primary key, not sorted by the meeting's time (another table)
    list_select_related = ["meeting__chapter", "presenter__user", "presenter__chapter"]
    raw_id_fields = ["meeting", "presenter"]


@admin.register(Testimonial)
class TestimonialAdmin(LargeTableAdmin):
    list_display = ["meeting", "given_by", "about"]
    ordering = ["-pk"]  # newest first from the primary key, not sorted by the meeting's time (another table)
    list_select_related = [
        "meeting__chapter", "given_by__user", "given_by__chapter", "about__user", "about__chapter",
    ]
    raw_id_fields = ["meeting", "given_by", "about"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(HiddenFieldsAdmin):
    list_display = ["user", "created_at"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    exclude = ["token"]  # the feed's secret: neither shown nor filterable (`?token__startswith=` is refused)


@admin.register(ChapterMeetingSettings)
class ChapterMeetingSettingsAdmin(admin.ModelAdmin):
    list_display = ["chapter", "max_visits_before_applying", "updated_at"]
    list_select_related = ["chapter"]
    search_fields = ["^chapter__name"]
    # Changes go through the app's settings page, where they are audited.
    readonly_fields = ["chapter", "max_visits_before_applying"]

    def has_add_permission(self, request):
        return False

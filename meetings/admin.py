from django.contrib import admin

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
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["chapter", "local_date", "kind", "status", "venue"]
    list_filter = ["status", "kind", "chapter"]
    list_select_related = ["chapter"]
    date_hierarchy = "local_date"
    search_fields = ["chapter__name", "venue"]
    # Closing, cancelling and moving go through the app, where they are audited and figures lock.
    readonly_fields = ["status", "cancel_reason", "closed_at", "closed_by"]


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["meeting", "membership", "status", "substitute_name", "recorded_at"]
    list_filter = ["status"]
    list_select_related = ["meeting__chapter", "membership__user", "membership__chapter"]
    raw_id_fields = ["meeting", "membership", "recorded_by"]
    search_fields = ["membership__user__full_name", "membership__user__email", "substitute_name"]

    # Roll call and corrections (with their reason and audit record) happen in the app only.
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["name", "business", "meeting", "invited_by", "follow_up"]
    list_filter = ["follow_up"]
    search_fields = ["name", "business", "email"]
    list_select_related = ["meeting__chapter", "invited_by__user", "invited_by__chapter"]
    raw_id_fields = ["meeting", "invited_by", "applicant_membership", "recorded_by"]


@admin.register(Presentation)
class PresentationAdmin(admin.ModelAdmin):
    list_display = ["meeting", "presenter", "kind", "topic"]
    list_select_related = ["meeting__chapter", "presenter__user", "presenter__chapter"]
    raw_id_fields = ["meeting", "presenter"]


@admin.register(Testimonial)
class TestimonialAdmin(admin.ModelAdmin):
    list_display = ["meeting", "given_by", "about"]
    raw_id_fields = ["meeting", "given_by", "about"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at"]
    raw_id_fields = ["user"]
    exclude = ["token"]


@admin.register(ChapterMeetingSettings)
class ChapterMeetingSettingsAdmin(admin.ModelAdmin):
    list_display = ["chapter", "max_visits_before_applying", "updated_at"]
    list_select_related = ["chapter"]
    search_fields = ["chapter__name"]
    # Changes go through the app's settings page, where they are audited.
    readonly_fields = ["chapter", "max_visits_before_applying"]

    def has_add_permission(self, request):
        return False

from django.contrib import admin

from meetings.models import Attendance, CalendarFeed, Meeting, Presentation, Testimonial, Visitor


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["chapter", "local_date", "kind", "status", "venue"]
    list_filter = ["status", "kind", "chapter"]
    list_select_related = ["chapter"]
    date_hierarchy = "local_date"


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["meeting", "membership", "status", "substitute_name", "recorded_at"]
    list_filter = ["status"]
    list_select_related = ["meeting__chapter", "membership__user", "membership__chapter"]
    raw_id_fields = ["meeting", "membership", "recorded_by"]


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ["name", "business", "meeting", "invited_by", "follow_up"]
    list_filter = ["follow_up"]
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

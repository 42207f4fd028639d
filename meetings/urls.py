from django.urls import path

from meetings import printouts, views

app_name = "meetings"

urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("next/", views.meeting_next, name="next"),
    path("add/", views.meeting_add, name="add"),
    path("<int:meeting_id>/", views.meeting_detail, name="detail"),
    path("<int:meeting_id>/move/", views.meeting_move, name="move"),
    path("<int:meeting_id>/cancel/", views.meeting_cancel, name="cancel"),
    path("<int:meeting_id>/reinstate/", views.meeting_reinstate, name="reinstate"),
    path("<int:meeting_id>/close/", views.meeting_close, name="close"),
    path("<int:meeting_id>/counts/", views.roll_counts, name="roll-counts"),
    path("<int:meeting_id>/attendance/rest-present/", views.roll_rest_present, name="roll-rest-present"),
    path("<int:meeting_id>/attendance/rest-present/undo/", views.roll_rest_undo, name="roll-rest-undo"),
    path("<int:meeting_id>/attendance/<int:membership_id>/", views.attendance_mark, name="attendance-mark"),
    path(
        "<int:meeting_id>/attendance/<int:membership_id>/correct/", views.attendance_correct,
        name="attendance-correct",
    ),
    path("<int:meeting_id>/visitors/add/", views.visitor_add, name="visitor-add"),
    path("<int:meeting_id>/read-out/", printouts.readout, name="read-out"),
    path("<int:meeting_id>/read-out.csv", printouts.readout_csv, name="read-out-csv"),
    path("<int:meeting_id>/run-sheet/", printouts.run_sheet, name="run-sheet"),
    path("<int:meeting_id>/run-sheet.csv", printouts.run_sheet_csv, name="run-sheet-csv"),
    path("<int:meeting_id>/testimonials/", views.meeting_testimonials, name="testimonials"),
    path("<int:meeting_id>/testimonials/add/", views.testimonial_add, name="testimonial-add"),
    path("visitors/", views.visitor_list, name="visitors"),
    path("settings/", views.meeting_settings, name="settings"),
    path("visitors/<int:visitor_id>/", views.visitor_edit, name="visitor-edit"),
    path("visitors/<int:visitor_id>/convert/", views.visitor_convert, name="visitor-convert"),
    path("rota/", views.rota, name="rota"),
    path("rota/<int:presentation_id>/remove/", views.presentation_remove, name="presentation-remove"),
    path("my-attendance/", views.my_attendance, name="my-attendance"),
    path("report/", views.attendance_report, name="report"),
    path("report.csv", views.attendance_report_csv, name="report-csv"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/reset/", views.calendar_reset, name="calendar-reset"),
]

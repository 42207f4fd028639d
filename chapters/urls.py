from django.urls import path

from chapters import views

app_name = "chapters"

urlpatterns = [
    path("", views.chapter_home, name="home"),
    path("roster/", views.roster, name="roster"),
    path("roster.csv", views.roster_csv, name="roster-csv"),
    path("settings/", views.chapter_settings, name="settings"),
    path("members/", views.members_manage, name="members"),
    path("members/invite/", views.member_invite, name="member-invite"),
    path("members/<int:membership_id>/", views.member_edit, name="member-edit"),
    path("invitations/<int:invitation_id>/revoke/", views.invitation_revoke, name="invitation-revoke"),
    path("invitations/<int:invitation_id>/resend/", views.invitation_resend, name="invitation-resend"),
    path("audit/", views.chapter_audit, name="audit"),
]

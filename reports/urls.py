from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("members/<int:membership_id>/scorecard/", views.scorecard, name="scorecard"),
    path("reports/health/", views.health, name="health"),
    path("reports/health.csv", views.health_csv, name="health-csv"),
    path("reports/scorecards.csv", views.scorecards_csv, name="scorecards-csv"),
    path("reports/scorecard-settings/", views.scorecard_settings, name="scorecard-settings"),
]

from django.urls import path

from portability import views

app_name = "portability"

urlpatterns = [
    path("roster/import/", views.roster_import_page, name="roster-import"),
    path("export/", views.export_page, name="export"),
    path("export/<int:export_id>/download/", views.export_download, name="export-download"),
]

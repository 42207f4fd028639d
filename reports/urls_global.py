"""Report URLs outside any chapter: the organisation overview of organisation admins and region staff, and the
dashboard's traffic lights of the person's own seats."""

from django.urls import path

from reports import views

urlpatterns = [
    path("org/overview/", views.overview, name="org-overview"),
    path("org/overview.csv", views.overview_csv, name="org-overview-csv"),
    path("me/traffic-lights/", views.my_lights, name="my-lights"),
]

"""Enforcement URLs outside any chapter: the review queue of organisation admins and region staff."""

from django.urls import path

from enforcement import views

urlpatterns = [
    path("cases/", views.case_queue, name="case-queue"),
    path("my-cases/<int:case_id>/", views.my_case, name="my-case"),
]

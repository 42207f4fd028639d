"""Integrity URLs outside any chapter: the flags across chapters that organisation admins and region staff see."""

from django.urls import path

from integrity import views

urlpatterns = [
    path("integrity/", views.queue, name="integrity-queue"),
]

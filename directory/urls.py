from django.urls import path

from directory import views

app_name = "directory"

urlpatterns = [
    path("", views.chapter_directory, name="chapter"),
    path("<int:membership_id>/photo/", views.photo, name="photo"),
]

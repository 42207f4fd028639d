"""A person's own data, outside any chapter: download it, or delete the account."""

from django.urls import path

from portability import views

urlpatterns = [
    path("profile/data/", views.my_data, name="my-data"),
    path("profile/delete/", views.account_delete, name="account-delete"),
]

"""The personal access token page, reached from the profile (the API itself is mounted from api/v1.py)."""

from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("", views.token_list, name="tokens"),
    path("<int:token_id>/revoke/", views.token_revoke, name="token-revoke"),
]

"""Referral URLs outside any chapter: the navigation's "Log a referral" and the prospect's consent link."""

from django.urls import path

from referrals import views

urlpatterns = [
    path("referrals/new/", views.referral_new_any, name="referral-new"),
    path("consent/<str:token>/", views.consent_page, name="referral-consent"),
]

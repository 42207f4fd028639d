from django.urls import path

from referrals import views

app_name = "referrals"

urlpatterns = [
    path("referrals/", views.inbox, name="inbox"),
    path("referrals/given/", views.outbox, name="outbox"),
    path("referrals/all/", views.chapter_list, name="chapter-list"),
    path("referrals/new/", views.referral_new, name="new"),
    path("referrals/stats/", views.stats, name="stats"),
    path("referrals/export.csv", views.referral_export, name="export"),
    path("referrals/erase/", views.referral_erase_find, name="erase-find"),
    path("referrals/<int:referral_id>/", views.referral_detail, name="detail"),
    path("referrals/<int:referral_id>/status/", views.referral_status, name="status"),
    path("referrals/<int:referral_id>/rate/", views.referral_rate, name="rate"),
    path("referrals/<int:referral_id>/won/", views.referral_won, name="won"),
    path("referrals/<int:referral_id>/consent-request/", views.consent_request, name="consent-request"),
    path("referrals/<int:referral_id>/erase/", views.referral_erase, name="erase"),
    path("one-to-ones/", views.one_to_ones, name="one-to-ones"),
    path("one-to-ones/<int:one_to_one_id>/answer/", views.one_to_one_answer, name="one-to-one-answer"),
    path(
        "one-to-ones/<int:one_to_one_id>/withdraw/", views.one_to_one_withdraw, name="one-to-one-withdraw"
    ),
    path("education/", views.education, name="education"),
    path("education/<int:credit_id>/", views.education_edit, name="education-edit"),
    path("education/<int:credit_id>/delete/", views.education_delete, name="education-delete"),
]

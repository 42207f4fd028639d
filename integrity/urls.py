from django.urls import path

from integrity import views

app_name = "integrity"

urlpatterns = [
    path("integrity/", views.flags, name="flags"),
    path("integrity/thresholds/", views.rules, name="rules"),
    path("integrity/<int:flag_id>/", views.flag_detail, name="detail"),
    path("integrity/<int:flag_id>/review/", views.flag_review, name="review"),
]

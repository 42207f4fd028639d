from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    path("dev/outbox/", views.dev_outbox, name="dev-outbox"),
    path("dev/outbox/<str:name>/", views.dev_outbox_detail, name="dev-outbox-detail"),
    path("dev/outbox/<str:name>/html/", views.dev_outbox_html, name="dev-outbox-html"),
]

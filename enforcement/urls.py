from django.urls import path

from enforcement import views

app_name = "enforcement"

urlpatterns = [
    path("rules/", views.rules, name="rules"),
    path("rules/change/", views.rules_edit, name="rules-edit"),
    path("rules/preview/", views.preview, name="preview"),
    path("fines/", views.fines, name="fines"),
    path("fines/mine/", views.my_fines, name="my-fines"),
    path("fines/<int:fine_id>/", views.fine_detail, name="fine-detail"),
    path("fines/<int:fine_id>/resolve/", views.fine_resolve, name="fine-resolve"),
    path("fines/<int:fine_id>/refund/", views.fine_refund_decide, name="fine-refund"),
    path("leave/<int:membership_id>/", views.leave_manage, name="leave"),
    path("leave/<int:membership_id>/<int:leave_id>/", views.leave_edit, name="leave-edit"),
    path("cases/", views.cases, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case-detail"),
    path("cases/<int:case_id>/recommend/", views.case_recommend, name="case-recommend"),
    path("cases/<int:case_id>/appeal/", views.case_appeal, name="case-appeal"),
    path("cases/<int:case_id>/waive/", views.case_waive, name="case-waive"),
    path("cases/<int:case_id>/decide/", views.case_decide, name="case-decide"),
    path("standing/", views.standing, name="standing"),
    path("standing/<int:membership_id>/", views.standing_member, name="standing-member"),
]

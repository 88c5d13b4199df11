from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("inbox/", views.approval_inbox, name="inbox"),
    path("inbox/backdating/<int:pk>/approve/", views.backdating_approve, name="backdating_approve"),
    path("inbox/backdating/<int:pk>/reject/", views.backdating_reject, name="backdating_reject"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/window/", views.window_edit, name="window_edit"),
    path("<int:pk>/rules/new/", views.rule_edit, name="rule_create"),
    path("<int:pk>/rules/<int:rule_pk>/", views.rule_edit, name="rule_edit"),
    path("<int:pk>/referrals/", views.referral_queue, name="referral_queue"),
]

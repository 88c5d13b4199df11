from django.urls import path

from . import views

app_name = "programs"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/window/", views.window_edit, name="window_edit"),
    path("<int:pk>/rules/new/", views.rule_edit, name="rule_create"),
    path("<int:pk>/rules/<int:rule_pk>/", views.rule_edit, name="rule_edit"),
    path("<int:pk>/referrals/", views.referral_queue, name="referral_queue"),
]

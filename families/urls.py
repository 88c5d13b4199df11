from django.urls import path

from . import correction_views, transfer_views, views
from .privacy_views import break_glass as views_break_glass

app_name = "families"

urlpatterns = [
    path("", views.family_list, name="list"),
    path("new/", views.referral_create, name="referral_create"),
    path("<int:pk>/", views.family_detail, name="detail"),
    path("<int:pk>/consent/", views.consent_create, name="consent_create"),
    path("<int:pk>/enroll/", views.enrollment_create, name="enrollment_create"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("enrollments/<int:pk>/exit/", views.enrollment_exit, name="enrollment_exit"),
    path("enrollments/<int:pk>/activate/", views.enrollment_activate, name="enrollment_activate"),
    path("<int:pk>/handover/", views.case_handover, name="case_handover"),
    path("<int:pk>/deputies/new/", views.deputy_add, name="deputy_add"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("<int:pk>/transfer/", transfer_views.transfer_request, name="transfer_request"),
    path("transfers/", transfer_views.transfer_inbox, name="transfer_inbox"),
    path("transfers/<int:pk>/", transfer_views.transfer_decide, name="transfer_decide"),
    path("transfers/<int:pk>/cancel/", transfer_views.transfer_cancel, name="transfer_cancel"),
    path("<int:pk>/referrals/new/", views.family_referral_create, name="family_referral_create"),
    path("<int:pk>/children/new/", views.child_add, name="child_add"),
    path("<int:pk>/notes/new/", views.case_note_create, name="case_note_create"),
    path("<int:pk>/attachments/new/", views.attachment_create, name="attachment_create"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment_download"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("people/<str:kind>/<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.family_correct, name="family_correct"),
    path("people/<str:kind>/<int:pk>/edit/", views.person_correct, name="person_correct"),
]

urlpatterns += [path("break-glass/", views_break_glass, name="break_glass")]

# Issue 11: identity-code and consent corrections, the backdating request from a refused enrollment.
urlpatterns += [
    path(
        "people/<str:kind>/<int:pk>/identity-code/",
        correction_views.identity_code_correct,
        name="identity_code_correct",
    ),
    path("consents/<int:pk>/correct/", correction_views.consent_correct, name="consent_correct"),
    path("consents/<int:pk>/void/", correction_views.consent_void, name="consent_void"),
    path(
        "<int:pk>/enroll/backdating-request/",
        correction_views.backdating_request_create,
        name="backdating_request_create",
    ),
]

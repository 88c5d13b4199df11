from django.urls import path

from . import privacy_views, views

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
    path("people/<str:kind>/<int:pk>/", views.person_detail, name="person_detail"),
]

urlpatterns += [
    path("break-glass/", privacy_views.break_glass, name="break_glass"),
    path("privacy/", privacy_views.privacy_index, name="privacy_index"),
    path("privacy/subject-access/", privacy_views.subject_access, name="subject_access"),
    path(
        "privacy/subject-access/<str:kind>/<int:pk>/",
        privacy_views.subject_access_person,
        name="subject_access_person",
    ),
    path("privacy/erasure/", privacy_views.erasure_list, name="erasure_list"),
    path("privacy/erasure/family/<int:pk>/propose/", privacy_views.erasure_propose_view, name="erasure_propose"),
    path("privacy/erasure/<int:pk>/decide/", privacy_views.erasure_decide, name="erasure_decide"),
    path("privacy/break-glass/", privacy_views.break_glass_review_list, name="break_glass_review"),
    path("privacy/break-glass/<int:pk>/review/", privacy_views.break_glass_review_view, name="break_glass_reviewed"),
    path("privacy/access-review/", privacy_views.access_review, name="access_review"),
]

"""Admins' privacy pages (/privacy/): subject access, erasure, break-glass review, unusual access."""

from django.urls import path

from . import privacy_views

app_name = "privacy"

urlpatterns = [
    path("", privacy_views.privacy_index, name="index"),
    path("subject-access/", privacy_views.subject_access, name="subject_access"),
    path("subject-access/<str:kind>/<int:pk>/", privacy_views.subject_access_person, name="subject_access_person"),
    path("erasure/", privacy_views.erasure_list, name="erasure_list"),
    path("erasure/family/<int:pk>/propose/", privacy_views.erasure_propose_view, name="erasure_propose"),
    path("erasure/<int:pk>/decide/", privacy_views.erasure_decide, name="erasure_decide"),
    path("break-glass/", privacy_views.break_glass_review_list, name="break_glass_review"),
    path("break-glass/<int:pk>/review/", privacy_views.break_glass_review_view, name="break_glass_reviewed"),
    path("access-review/", privacy_views.access_review, name="access_review"),
]

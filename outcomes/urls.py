from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path("families/<int:pk>/assessment/", views.assessment_create, name="assessment_create"),
    path("assessments/<int:pk>/correct/", views.assessment_correct, name="assessment_correct"),
    path("families/<int:pk>/episode/", views.episode_create, name="episode_create"),
    path("families/<int:pk>/observation/", views.observation_create, name="observation_create"),
    path("families/<int:pk>/visit/", views.visit_create, name="visit_create"),
    path("observations/<int:pk>/correct/", views.observation_correct, name="observation_correct"),
    path("observations/<int:pk>/void/", views.observation_void, name="observation_void"),
    path("visits/group/", views.group_visit_create, name="group_visit_create"),
    path("imports/<int:import_id>/", views.import_status, name="import_status"),
]

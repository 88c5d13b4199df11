from django.urls import path

from . import views

app_name = "payments"

urlpatterns = [
    path("", views.statement_list, name="statement_list"),
    path("runs/", views.run_create, name="run_create"),
    path("terms/", views.terms_list, name="terms_list"),
    path("terms/new/", views.terms_create, name="terms_create"),
    path("terms/<int:pk>/in-force/", views.terms_put_in_force_view, name="terms_put_in_force"),
    path("comparison-costs/", views.comparison_cost_create, name="comparison_cost_create"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("runs/<int:pk>/retry/", views.run_retry_view, name="run_retry"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/transition/", views.statement_transition_view, name="statement_transition"),
    path("statements/<int:pk>/recalculate/", views.statement_recalculate, name="statement_recalculate"),
    path("statements/<int:pk>/children/", views.statement_children, name="statement_children"),
    path("statements/<int:pk>/sample/", views.sample_draw_view, name="sample_draw"),
    path("statements/<int:pk>/sample/<int:item_pk>/", views.sample_item_view, name="sample_item"),
    path("statements/<int:pk>/sample/<int:item_pk>/evidence/", views.sample_evidence, name="sample_evidence"),
    path(
        "statements/<int:pk>/document.<str:fmt>",
        views.statement_document,
        name="statement_document",
    ),
]

from django.urls import path

from . import views

app_name = "fund"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("overview.csv", views.overview_csv, name="overview_csv"),
    path("overview.xlsx", views.overview_xlsx, name="overview_xlsx"),
    path("indigo.json", views.indigo_export, name="indigo"),
    path("investors/", views.investors, name="investors"),
    path("investors/record/", views.investor_record, name="investor_record"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("programmes/<int:pk>/years.csv", views.programme_years_csv, name="years_csv"),
    path("programmes/<int:pk>/statement.csv", views.programme_statement_csv, name="statement_csv"),
    path("programmes/<int:pk>/report.pdf", views.programme_report_pdf, name="report_pdf"),
    path("programmes/<int:pk>/report.xlsx", views.programme_report_xlsx, name="report_xlsx"),
]

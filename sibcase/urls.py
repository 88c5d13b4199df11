from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("families/", include("families.urls")),
    path("privacy/", include("families.privacy_urls")),
    path("services/", include("outcomes.urls")),
    path("programmes/", include("programs.urls")),
    path("payments/", include("payments.urls")),
    path("fund/", include("payments.fund_reports.urls")),
    path("api/", include("sibcase.api_urls")),
    path("admin/", admin.site.urls),
]

handler404 = "sibcase.views.page_not_found"
handler500 = "sibcase.views.server_error"

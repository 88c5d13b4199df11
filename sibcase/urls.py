from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from . import otp, views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", otp.SignInView.as_view(), name="login"),
    path("logout/", otp.SignOutView.as_view(), name="logout"),
    path("login/code/", otp.otp_verify, name="otp-verify"),
    path("login/authenticator/", otp.otp_enrol, name="otp-enrol"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("families/", include("families.urls")),
    path("privacy/", include("families.privacy_urls")),
    path("services/", include("outcomes.urls")),
    path("programmes/", include("programs.urls")),
    path("payments/", include("payments.urls")),
    path("fund/", include("payments.fund_reports.urls")),
    path("api/", include("sibcase.api_urls")),
    # The admin signs in through the same two-step sign-in (audited, throttled), not its own form.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
]

if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("sibcase.oidc_urls")))

handler404 = "sibcase.views.page_not_found"
handler500 = "sibcase.views.server_error"

"""Two-factor sign-in (TOTP through django-otp): a password alone reaches no page with personal data.

After the password, a user with a confirmed authenticator enters its six-digit code (``otp-verify``); a user without
one is taken to enrolment (``otp-enrol``: the secret and its QR code, confirmed with a first code). Until then
OTPRequiredMiddleware sends the session to one of those two pages from every page except sign-in's own, static files,
the health check and the language switch. The REST API is guarded by its authentication classes instead
(sibcase.api_auth): a session counts only once verified; API tokens are for integrations and carry no second factor.

An OpenID Connect sign-in whose identity provider asserted multi-factor authentication (sibcase/oidc.py) is marked
in the session with IDP_MFA_SESSION_KEY and counts as verified.
"""

from __future__ import annotations

import base64
import io
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record

IDP_MFA_SESSION_KEY = "sibcase_idp_mfa"
DEVICE_NAME = "authenticator"

# Paths an authenticated but unverified session may still reach (prefixes).
EXEMPT_URL_NAMES = ("login", "logout", "otp-verify", "otp-enrol", "healthz", "set_language")
EXEMPT_PREFIXES = ("/static/", "/api/", "/oidc/")


def otp_required() -> bool:
    return getattr(settings, "SIBCASE_REQUIRE_OTP", True)


def session_is_verified(request: HttpRequest) -> bool:
    """True when the signed-in session passed the second factor (or the setting switches it off)."""
    if not otp_required():
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if request.session.get(IDP_MFA_SESSION_KEY) is True:
        return True
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


class OTPRequiredMiddleware:
    """Sends a signed-in session that has not passed the second factor to the code or enrolment page.

    /api/ is left to the API's authentication classes, which refuse an unverified session (401/403, not a redirect).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not session_is_verified(request)
            and not self._exempt(request.path)
        ):
            target = "otp-verify" if user_has_device(user, confirmed=True) else "otp-enrol"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        return path.startswith(EXEMPT_PREFIXES) or path in {reverse(name) for name in EXEMPT_URL_NAMES}


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Vahvistuskoodi"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].replace(" ", "")
        if not code.isdigit():
            raise forms.ValidationError(_("Koodissa on vain numeroita."))
        return code


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _throttled(devices: list[TOTPDevice]) -> bool:
    return all(not device.verify_is_allowed()[0] for device in devices)


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: the code from the user's authenticator app."""
    if session_is_verified(request):
        return redirect(_next_url(request))
    devices = list(devices_for_user(request.user, confirmed=True))
    if not devices:
        return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': _next_url(request)})}")
    form = CodeForm(request.POST or None)
    throttled = False
    if request.method == "POST" and form.is_valid():
        throttled = _throttled(devices)
        device = None if throttled else _matching_device(devices, form.cleaned_data["code"])
        if device is not None:
            request.session.cycle_key()  # a new session id for the fully signed-in session
            otp_login(request, device)
            audit_record(actor=request.user, event_type="signin.second_factor", obj=request.user)
            return redirect(_next_url(request))
        audit_record(
            actor=request.user,
            event_type="signin.second_factor_failed",
            obj=request.user,
            new={"throttled": throttled},
        )
        form.add_error(
            "code",
            _("Liian monta väärää koodia. Odota hetki ja yritä uudelleen.")
            if throttled
            else _("Koodi ei kelpaa. Tarkista koodi sovelluksesta ja yritä uudelleen."),
        )
    return render(request, "registration/otp_verify.html", {"form": form, "next": _next_url(request)})


def _matching_device(devices: list[TOTPDevice], code: str) -> TOTPDevice | None:
    for device in devices:
        # verify_token refuses a reused code and counts failures for django-otp's throttle.
        if device.verify_token(code):
            return device
    return None


def _qr_svg(url: str) -> str:
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """First sign-in: register an authenticator app (TOTP) and confirm it with its first code."""
    if user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('otp-verify')}?{urlencode({'next': _next_url(request)})}")
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=request.user, confirmed=False).order_by("pk").first()
        )
        if device is None:
            device = TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_is_allowed()[0] and device.verify_token(form.cleaned_data["code"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            request.session.cycle_key()
            otp_login(request, device)
            audit_record(actor=request.user, event_type="signin.second_factor_enrolled", obj=request.user)
            return redirect(_next_url(request))
        audit_record(actor=request.user, event_type="signin.second_factor_failed", obj=request.user)
        form.add_error("code", _("Koodi ei kelpaa. Tarkista koodi sovelluksesta ja yritä uudelleen."))
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(
        request,
        "registration/otp_enrol.html",
        {
            "form": form,
            "next": _next_url(request),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "qr": _qr_svg(device.config_url),
        },
    )


class SignInView(auth_views.LoginView):
    """The password step; the second factor follows (OTPRequiredMiddleware)."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "oidc_enabled": settings.OIDC_ENABLED}

    def form_valid(self, form):
        # A password sign-in never inherits an earlier single sign-on's multi-factor assertion.
        self.request.session.pop(IDP_MFA_SESSION_KEY, None)
        response = super().form_valid(form)
        audit_record(actor=self.request.user, event_type="signin.password", obj=self.request.user)
        return response


class SignOutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            audit_record(actor=request.user, event_type="signin.signed_out", obj=request.user)
        return super().post(request, *args, **kwargs)

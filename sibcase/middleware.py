"""Request-wide policies: no caching of personal pages, the client address behind the proxy, the idle timeout's
renewal and the absolute lifetime of a signed-in session."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _


class PrivateCacheMiddleware:
    """Pages served to a signed-in user may hold personal data: never store them in any cache (ASVS 14.3.2)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True, no_store=True)
        return response


def client_ip(request) -> str | None:
    """The client's address as seen by our own reverse proxy.

    With TRUSTED_PROXY_COUNT = n (the proxies in front of the app, which append the address they saw to
    X-Forwarded-For), the n-th entry from the right is the client; anything left of it the client may have made
    up. With 0 (no proxy), REMOTE_ADDR. Used by the sign-in lockout (django-axes) and the API throttles.
    """
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


SESSION_STARTED_KEY = "sibcase_auth_started_at"


class AbsoluteSessionLifetimeMiddleware:
    """A signed-in session ends SESSION_COOKIE_AGE seconds after sign-in however active it is (ASVS 7.3.2).

    The idle timeout is the session cookie's own age, renewed on every request; this is the cap on top of it.
    The start is recorded on the first request the session is signed in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - started > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, _("Istuntosi enimmäiskesto täyttyi. Kirjaudu uudelleen."))
        return self.get_response(request)


SESSION_RENEWED_KEY = "sibcase_renewed_at"


class SessionRenewalMiddleware:
    """The idle timeout (SESSION_COOKIE_AGE of inactivity) without a database write on every request.

    Django's SESSION_SAVE_EVERY_REQUEST writes the session row on every page view. Here the session is saved (and
    its expiry moved SESSION_COOKIE_AGE ahead) when it changed anyway or when its last renewal is at least
    SESSION_RENEW_SECONDS old. A session therefore never lives longer than configured: it expires between
    SESSION_COOKIE_AGE − SESSION_RENEW_SECONDS and SESSION_COOKIE_AGE after the last request, never later.
    Placed after SessionMiddleware, so its response half runs before the session is saved.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty():
            return response
        now = time.time()
        if session.modified or now - session.get(SESSION_RENEWED_KEY, 0) >= settings.SESSION_RENEW_SECONDS:
            session[SESSION_RENEWED_KEY] = now  # saved (and its expiry renewed) by SessionMiddleware
        return response

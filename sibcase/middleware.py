"""Request-wide policies: no caching of personal pages, the client address behind the proxy, and the absolute
lifetime of a signed-in session."""

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

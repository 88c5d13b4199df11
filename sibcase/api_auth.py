"""API authentication: the browser's session once it passed the second factor, and hashed, expiring, revocable
API tokens (sibcase.ApiToken) whose failures are throttled per client address.

DRF authenticates before it checks throttles, so a request with a wrong token is answered 401 without ever
reaching a throttle: token guessing would be unlimited. Here each failed token is counted per client address
(scope ``failed_token`` in DEFAULT_THROTTLE_RATES) and, past the rate, every token request from that address is
answered 429 until the window passes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.authentication import SessionScheme
from rest_framework import exceptions
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .api_tokens import api_token_user
from .middleware import client_ip
from .otp import session_is_verified


class FailedTokenThrottle(SimpleRateThrottle):
    scope = "failed_token"

    def get_rate(self):
        # Read at use, not at import, so the configured rate (and a test's override) applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "unknown"}

    def blocked(self, request) -> bool:
        """True when the address has used up its failures (without counting this request)."""
        self.key = self.get_cache_key(request, None)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests

    def record_failure(self) -> None:
        self.throttle_success()


class FailedAuthThrottleMixin:
    """For any token authentication class: count failures per address and refuse past the rate."""

    def authenticate(self, request):
        if not request.META.get("HTTP_AUTHORIZATION"):
            return super().authenticate(request)
        throttle = FailedTokenThrottle()
        if throttle.blocked(request):
            raise exceptions.Throttled(
                wait=throttle.wait(), detail=_("Liian monta virheellistä tunnistetta tästä osoitteesta.")
            )
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure()
            raise


class ApiTokenAuthentication(FailedAuthThrottleMixin, TokenAuthentication):
    """``Authorization: Token <prefix>.<secret>``: a known, unexpired, unrevoked token of an active user."""

    def authenticate_credentials(self, key):
        user = api_token_user(token=key)
        if user is None:
            raise exceptions.AuthenticationFailed(_("Virheellinen, vanhentunut tai peruttu tunniste."))
        return (user, None)


class VerifiedSessionAuthentication(SessionAuthentication):
    """The session counts only once it has passed the second factor (sibcase.otp); otherwise not signed in."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None or not session_is_verified(request._request):
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI schema describes the verified session as the cookie session it is (drf-spectacular)."""

    target_class = VerifiedSessionAuthentication

"""Municipal single sign-on through OpenID Connect (mozilla-django-oidc), switched on by OIDC_RP_CLIENT_ID.

The identity provider's groups claim (OIDC_GROUPS_CLAIM) maps to a role through OIDC_ROLE_MAP; the municipality
claim (OIDC_MUNICIPALITY_CLAIM, a municipality code) sets a social worker's scope. Refused: no mapped group, groups
that map to two different roles, a social worker without a known municipality, an inactive account. The role and
municipality are refreshed from the claims at every sign-in, so removing a person from the group ends their access.
Administrators are never created or signed in through the identity provider (no "admin" mapping; a staff account
with the same username is not taken over).

The second factor: our TOTP is still asked after an SSO sign-in, unless the ID token's ``amr`` claim (RFC 8176)
contains a value of OIDC_TRUSTED_AMR (default "mfa", "otp"): then the municipality's own multi-factor sign-in
counts and the session is marked verified (sibcase.otp.IDP_MFA_SESSION_KEY).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView

from programs.models import Municipality

from .audit import audit_record
from .models import Role, User
from .otp import IDP_MFA_SESSION_KEY


def role_from_groups(groups: Iterable[str] | str | None, role_map: Mapping[str, str]) -> str | None:
    """The one role the groups map to; None when none maps or when they map to different roles (refused)."""
    if isinstance(groups, str):
        groups = [groups]
    roles = {role_map[group] for group in groups or () if group in role_map}
    # Administrators are never made from the identity provider: they sign in locally, with password and TOTP.
    roles &= set(Role.values) - {Role.ADMIN}
    return roles.pop() if len(roles) == 1 else None


def asserts_mfa(claims: Mapping[str, Any], trusted: Iterable[str]) -> bool:
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return bool(set(amr) & set(trusted))


class RoleMappingOIDCBackend(OIDCAuthenticationBackend):
    """Users from the municipality's identity provider, with their role from its groups."""

    def get_userinfo(self, access_token, id_token, payload):
        # The ID token's claims (amr, groups) with the userinfo endpoint's on top.
        return {**payload, **super().get_userinfo(access_token, id_token, payload)}

    def verify_claims(self, claims) -> bool:
        role = role_from_groups(claims.get(settings.OIDC_GROUPS_CLAIM), settings.OIDC_ROLE_MAP)
        username = claims.get(settings.OIDC_USERNAME_CLAIM)
        if role is None or not username:
            return False
        # A social worker's scope is their municipality: without a known one, no sign-in.
        return role != Role.SOCIAL_WORKER or self._municipality(claims) is not None

    def _municipality(self, claims) -> Municipality | None:
        code = claims.get(settings.OIDC_MUNICIPALITY_CLAIM)
        return Municipality.objects.filter(code=code).first() if code else None

    def filter_users_by_claims(self, claims):
        return User.objects.filter(username=claims.get(settings.OIDC_USERNAME_CLAIM))

    def create_user(self, claims):
        user = User(username=claims[settings.OIDC_USERNAME_CLAIM], email=claims.get("email", ""))
        user.set_unusable_password()
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        if user.pk is not None and (not user.is_active or user.is_staff or user.is_superuser):
            raise SuspiciousOperation("inactive or administrator account: not signed in through the identity provider")
        user.role = role_from_groups(claims.get(settings.OIDC_GROUPS_CLAIM), settings.OIDC_ROLE_MAP)
        user.first_name = claims.get("given_name", user.first_name)
        user.last_name = claims.get("family_name", user.last_name)
        user.municipality = self._municipality(claims)
        user.save()
        user.sibcase_idp_mfa = asserts_mfa(claims, settings.OIDC_TRUSTED_AMR)
        return user


class CallbackView(OIDCAuthenticationCallbackView):
    """Signs in, audits the sign-in, and counts the provider's multi-factor sign-in as the second factor."""

    def login_success(self):
        response = super().login_success()
        mfa = getattr(self.user, "sibcase_idp_mfa", False)
        self.request.session[IDP_MFA_SESSION_KEY] = mfa
        audit_record(actor=self.user, event_type="signin.single_sign_on", obj=self.user, new={"idp_mfa": mfa})
        return response

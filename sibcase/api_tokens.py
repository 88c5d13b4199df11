"""API tokens for integrations: created and revoked here (each audited), checked by sibcase.api_auth.

A token is ``<prefix>.<secret>``: 12 hex characters that find the row and 43 URL-safe characters of which only the
SHA-256 hash is stored. The token is shown once, when created; a lost token is revoked and a new one created.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import DomainError, Problem
from .models import ApiToken, User

# last_used_at is written at most this often per token (not a write per request).
LAST_USED_RESOLUTION = datetime.timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@transaction.atomic
def api_token_create(*, user: User, days: int | None = None, name: str = "", actor: User | None = None) -> str:
    """Create a token for `user`, valid `days` days; returns the token itself (shown once, never stored)."""
    days = settings.API_TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise DomainError(
            Problem(
                "api_token_validity",
                _("Tunnisteen voimassaolo on 1–%(max)s päivää.") % {"max": settings.API_TOKEN_MAX_DAYS},
            )
        )
    if not user.is_active:
        raise DomainError(Problem("api_token_inactive_user", _("Käyttäjä ei ole aktiivinen.")))
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        created_at=now,
        expires_at=now + datetime.timedelta(days=days),
    )
    audit_record(
        actor=actor,
        event_type="api_token.created",
        obj=token,
        new={"prefix": prefix, "user": user.username, "name": name, "expires_at": token.expires_at},
    )
    return f"{prefix}.{secret}"


@transaction.atomic
def api_token_revoke(*, prefix: str, actor: User | None = None) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(prefix=prefix).first()
    if token is None:
        raise DomainError(Problem("api_token_unknown", _("Tunnistetta ei löytynyt.")))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            event_type="api_token.revoked",
            obj=token,
            new={"prefix": prefix, "user_id": token.user_id, "revoked_at": token.revoked_at},
        )
    return token


def api_token_user(*, token: str) -> User | None:
    """The active user of a valid (known, unexpired, unrevoked) token, or None. Constant-time hash comparison."""
    prefix, _sep, secret = token.partition(".")
    if not prefix or not secret:
        return None
    row = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    candidate = _hash(secret)
    if row is None:
        hmac.compare_digest(candidate, candidate)  # the same work whether or not the prefix is known
        return None
    now = timezone.now()
    if not hmac.compare_digest(row.secret_hash, candidate) or row.revoked_at is not None or row.expires_at <= now:
        return None
    if not row.user.is_active:
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user

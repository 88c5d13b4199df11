"""Pseudonymous ids for people in reports: stable for a deployment, not reversible without the key.

An evaluator can follow one child across statements by its pseudonym, but cannot get back to the database id
(let alone the identity code) without PSEUDONYM_KEY, which lives only in the server's environment.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def pseudonym(kind: str, pk: int) -> str:
    key = (settings.PSEUDONYM_KEY or settings.SECRET_KEY).encode()
    digest = hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).hexdigest()
    return f"{kind[:1].upper()}-{digest[:12].upper()}"

"""Pseudonymous ids for children in an evaluator's per-child detail of a payment statement.

A pseudonym is an HMAC-SHA-256 keyed with PSEUDONYM_KEY over the statement id and the child id: the same child has
a different pseudonym in every statement, so rows cannot be linked across statements, and nobody without the key
(which lives only in the server's environment, never in the code) can get back to the child. The key is required:
production refuses to start without it; demo and test set their own.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _key() -> bytes:
    key = getattr(settings, "PSEUDONYM_KEY", "")
    if not key:
        raise ImproperlyConfigured("PSEUDONYM_KEY must be set (a random value of at least 32 characters).")
    return key.encode()


def statement_pseudonym(*, statement_id: int, child_id: int) -> str:
    digest = hmac.new(_key(), f"statement:{statement_id}:child:{child_id}".encode(), hashlib.sha256).hexdigest()
    return f"C-{digest[:12].upper()}"

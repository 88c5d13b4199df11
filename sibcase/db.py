"""Small database helpers shared by the services: which constraint an IntegrityError broke."""

from __future__ import annotations

from django.db import IntegrityError


def violated_constraint(error: IntegrityError) -> str | None:
    """The name of the constraint or index PostgreSQL reports for an IntegrityError (None elsewhere)."""
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)

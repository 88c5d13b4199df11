"""Model fields shared by the apps."""

from __future__ import annotations

from django.conf import settings
from django.db import models


def actor_field(verbose_name, *, optional: bool = False) -> models.ForeignKey:
    """Who did something (recorded, decided, approved…): a user, kept while the record exists (PROTECT: a user who
    has acted is deactivated, never deleted), with no reverse accessor. `optional` for a step not yet taken."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=optional,
        blank=optional,
        related_name="+",
    )

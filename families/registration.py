"""Registering a family when one of its identity codes is already registered outside the user's scope.

Such a registration cannot be saved (identity codes are unique), but saying so earlier than an unknown code would
be refused would let anyone test whether a code is known anywhere (enumeration). So every check the registration
makes is run first, in a transaction that is always rolled back, with the known people left out; an invalid request
gets exactly the answer it would get with an unknown code, and only a registration that would otherwise have been
saved is refused, with a message that names no family.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from programs.models import Programme
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from . import services
from .identity import normalize_identity_code
from .selectors import identity_code_owner


class _DryRun(Exception):
    pass


def registration_refuse_known_elsewhere(
    *,
    actor: User,
    programme: Programme,
    postal_code: str,
    district: str,
    children: list[dict],
    guardians: list[dict],
    source: str,
    referred_on: datetime.date,
    reason: str,
) -> None:
    """Raise the registration's own DomainError if it is invalid for another reason, else `identity_code_unavailable`."""

    def unknown(person: dict) -> bool:
        return identity_code_owner(normalize_identity_code(person["identity_code"])) is None

    try:
        with transaction.atomic():
            family = services.family_create(
                actor=actor, municipality_id=programme.municipality_id, postal_code=postal_code, district=district
            )
            for child in filter(unknown, children):
                services.child_create(
                    actor=actor,
                    family=family,
                    first_names=child["first_names"],
                    last_name=child["last_name"],
                    identity_code=child["identity_code"],
                    need_category_ids=child.get("need_category_ids", ()),
                )
            for guardian in filter(unknown, guardians):
                services.guardian_create(actor=actor, family=family, **guardian)
            services.referral_create(
                actor=actor, family=family, programme=programme, source=source, referred_on=referred_on, reason=reason
            )
            raise _DryRun
    except _DryRun:
        pass
    raise DomainError(
        Problem(
            "identity_code_unavailable",
            _("Perhettä ei voitu tallentaa, koska henkilötunnusta ei voi käyttää. Ota yhteyttä ylläpitoon."),
        ),
        field_name="identity_code",
    )

"""Corrections of what a worker recorded about a family and its people.

Each correction goes through one function here: a reason is required, the row is locked, only the fields that
really change are saved, django-simple-history keeps who, when, the old and new values and the reason (shown on
the family's timeline), and an audit row is written in the same transaction. The caller learns whether the
corrected data lies behind a validated, approved or paid payment statement: that statement keeps its frozen
inputs, and the next statement's calculation carries the difference as an adjustment.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from payments.models import PaymentStatement
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from .models import Child, Family, Guardian
from .selectors import signed_statements_touching

FAMILY_FIELDS = ("postal_code", "district", "service_language")
CHILD_FIELDS = ("first_names", "last_name")
GUARDIAN_FIELDS = ("first_names", "last_name", "employment_status", "phone", "email")


@dataclass(frozen=True)
class Correction:
    obj: models.Model
    changed: dict[str, tuple]
    statements: list[PaymentStatement]


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(Problem("reason_required", _("Kirjaa korjauksen syy.")), field_name="reason")
    return reason


def _correct(
    *, actor: User | None, obj: models.Model, allowed: tuple[str, ...], values: dict, reason: str, event_type: str
) -> tuple[models.Model, dict[str, tuple]]:
    reason = _reason(reason)
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"not correctable here: {sorted(unknown)}")
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        changed = {}
        for name, value in values.items():
            value = value.strip() if isinstance(value, str) else value
            if getattr(obj, name) != value:
                changed[name] = (getattr(obj, name), value)
                setattr(obj, name, value)
        if not changed:
            raise DomainError(Problem("nothing_changed", _("Mikään tieto ei muuttunut.")))
        try:
            obj.full_clean(validate_unique=False)
        except ValidationError as exc:
            raise DomainError(
                [
                    Problem(f"invalid_{name}", message)
                    for name, messages in exc.message_dict.items()
                    for message in messages
                ]
            ) from None
        obj._history_user = actor
        obj._change_reason = reason
        obj.save(update_fields=list(changed))
        audit_record(
            actor=actor,
            event_type=event_type,
            obj=obj,
            old={name: old for name, (old, _new) in changed.items()},
            new={name: new for name, (_old, new) in changed.items()},
            reason=reason,
        )
    return obj, changed


def family_correct(*, actor: User | None, family: Family, reason: str, **values) -> Correction:
    """The family's postal code, district and service language (fi/sv)."""
    family, changed = _correct(
        actor=actor, obj=family, allowed=FAMILY_FIELDS, values=values, reason=reason, event_type="family.data_corrected"
    )
    child_ids = list(family.children.values_list("pk", flat=True))
    return Correction(family, changed, signed_statements_touching(child_ids=child_ids))


def child_correct(*, actor: User | None, child: Child, reason: str, **values) -> Correction:
    child, changed = _correct(
        actor=actor, obj=child, allowed=CHILD_FIELDS, values=values, reason=reason, event_type="child.data_corrected"
    )
    return Correction(child, changed, signed_statements_touching(child_ids=[child.pk]))


def guardian_correct(*, actor: User | None, guardian: Guardian, reason: str, **values) -> Correction:
    """A guardian's name, work or education status (an unknown status blocks enrollment) and contact details."""
    guardian, changed = _correct(
        actor=actor,
        obj=guardian,
        allowed=GUARDIAN_FIELDS,
        values=values,
        reason=reason,
        event_type="guardian.data_corrected",
    )
    child_ids = list(Child.objects.filter(family_id=guardian.family_id).values_list("pk", flat=True))
    return Correction(guardian, changed, signed_statements_touching(child_ids=child_ids))

"""Writing the audit trail (state changes) and the access log (reads of personal data).

Both tables are append-only. Call these inside the same transaction as the change they describe.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

from .models import AccessAction, AccessLogEntry, AuditEvent, User


def audit_record(
    *,
    actor: User | None,
    event_type: str,
    obj: models.Model,
    old: dict[str, Any] | None = None,
    new: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        event_type=event_type,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        old_values=_jsonable(old or {}),
        new_values=_jsonable(new or {}),
        reason=reason,
    )


# Where a family is seen on a ground other than the page's own, the app that knows it says so here: a function
# (user, family ids) -> {family id: basis}. The families app registers break-glass grants
# (families.break_glass.break_glass_bases), so that every access-log row of a family seen through a grant, written
# from any page, list, file or API response, carries the grant's basis and is found by the grant's review.
FamilyBases = Callable[[User, list[int]], Mapping[int, str]]
_family_bases: list[FamilyBases] = []


def family_bases_register(bases: FamilyBases) -> FamilyBases:
    if bases not in _family_bases:
        _family_bases.append(bases)
    return bases


def _bases_of(user: User, family_ids: Iterable[int]) -> dict[int, str]:
    ids = list(family_ids)
    found: dict[int, str] = {}
    for bases in _family_bases if ids else ():
        found.update(bases(user, ids))
    return found


def access_log_record(
    *,
    user: User,
    action: str,
    basis: str,
    family_id: int | None = None,
    person: models.Model | None = None,
    path: str = "",
    recipient: str = "",
) -> AccessLogEntry:
    """One read of personal data. `person` is a Child or Guardian; the log stores its type and id, never its code."""
    if family_id is not None:
        basis = _bases_of(user, [family_id]).get(family_id, basis)
    return AccessLogEntry.objects.create(
        user=user,
        user_role=user.role,
        action=action,
        family_id=family_id,
        person_type=person._meta.model_name if person is not None else "",
        person_id=person.pk if person is not None else None,
        basis=basis,
        path=path[:300],
        recipient=recipient,
    )


def access_log_record_many(
    *, user: User, action: str, basis: str, family_ids: list[int], path: str = "", recipient: str = ""
) -> None:
    """A list or export showing several families: one row per family, one INSERT."""
    ids = list(dict.fromkeys(family_ids))
    bases = _bases_of(user, ids)
    AccessLogEntry.objects.bulk_create(
        AccessLogEntry(
            user=user,
            user_role=user.role,
            action=action,
            family_id=family_id,
            basis=bases.get(family_id, basis),
            path=path[:300],
            recipient=recipient,
        )
        for family_id in ids
    )


BASIS_REFUSED = "estetty yritys: ei käyttöoikeutta pyydettyyn tietoon"


def access_refused_record(*, user: User, target: str, path: str = "") -> AccessLogEntry:
    """A refused attempt (403/404) to open a record about a person. `target` names what was asked for
    ("families.family:123"); the id may not exist, so it is kept as text, not as a foreign key."""
    return AccessLogEntry.objects.create(
        user=user,
        user_role=user.role,
        action=AccessAction.REFUSED,
        basis=BASIS_REFUSED,
        path=path[:300],
        target=target[:100],
    )


def logs_refusals(target: str, *, kwarg: str = "pk") -> Callable:
    """View decorator (inside login_required): a 403 or 404 raised by the view is written to the access log as a
    refused attempt on `target` with the requested id, then raised on. `target` may contain ``{kind}`` and other
    URL keyword arguments."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except (Http404, PermissionDenied):
                if request.user.is_authenticated:
                    label = target.format(**kwargs)
                    access_refused_record(
                        user=request.user, target=f"{label}:{kwargs.get(kwarg, '')}", path=request.path
                    )
                raise

        return wrapper

    return decorator


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: value if isinstance(value, (int, float, bool, type(None))) else str(value) for key, value in values.items()
    }


__all__ = [
    "AccessAction",
    "access_log_record",
    "access_log_record_many",
    "access_refused_record",
    "audit_record",
    "logs_refusals",
]

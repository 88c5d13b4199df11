"""Break-glass access: a social worker opens a family outside their municipality by stating a reason.

The grant is time-limited (SIBCASE["BREAK_GLASS_HOURS"]), written to the access log with the basis
"break-glass: <reason>" and to the audit trail, and listed for an admin's review. Every access-log row of the family
written while the grant is in force, from any page, list, file or API response, carries that basis too
(`break_glass_bases`, registered with sibcase.audit). Visibility itself is decided in
`families.selectors.families_visible_to`, which reads `active_break_glass_grants` below.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sibcase.audit import access_log_record, audit_record, family_bases_register
from sibcase.errors import DomainError, Problem
from sibcase.models import AccessAction, Role, User

from .models import BreakGlassGrant, Family

BASIS_PREFIX = "break-glass: "
REASON_MIN_LENGTH = 10


def active_break_glass_grants(*, user: User, now: datetime.datetime | None = None) -> QuerySet[BreakGlassGrant]:
    """The user's grants in force now."""
    return BreakGlassGrant.objects.filter(user=user, expires_at__gt=now or timezone.now())


@family_bases_register
def break_glass_bases(user: User, family_ids: list[int]) -> dict[int, str]:
    """The access-log basis ("break-glass: <reason>", of the newest grant in force) of each of these families that
    the user sees through a break-glass grant; not the families the user's own scope covers (a social worker's
    municipality, which a transfer may have made theirs since the grant). Registered with sibcase.audit, so every
    access-log row of a family is written with it."""
    if user.role != Role.SOCIAL_WORKER or user.break_glass_until is None or user.break_glass_until <= timezone.now():
        return {}
    grants = (
        active_break_glass_grants(user=user)
        .filter(family_id__in=family_ids)
        .exclude(family__municipality_id=user.municipality_id)
        .order_by("family_id", "granted_at")
        .values_list("family_id", "reason")
    )
    return {family_id: f"{BASIS_PREFIX}{reason}"[:200] for family_id, reason in grants}  # the newest wins


def break_glass_open(*, user: User, family_reference: str, reason: str, path: str = "") -> BreakGlassGrant:
    """Grant `user` access to the family with this reference for the configured hours. Social workers only; a
    family of their own municipality needs no grant. References are random (P- and 8 characters) and tell nothing
    about the family, so saying that one is unknown reveals nothing worth guessing for."""
    reason = reason.strip()
    if user.role != Role.SOCIAL_WORKER:
        raise DomainError(Problem("break_glass_role", _("Poikkeuksellinen pääsy on vain sosiaalityöntekijöille.")))
    if len(reason) < REASON_MIN_LENGTH:
        raise DomainError(
            Problem("break_glass_reason_required", _("Kirjaa peruste (vähintään 10 merkkiä).")), field_name="reason"
        )
    family = Family.objects.filter(reference__iexact=family_reference.strip()).first()
    if family is None:
        raise DomainError(
            Problem("family_not_found", _("Perhetunnuksella ei löydy perhettä.")), field_name="family_reference"
        )
    if family.municipality_id == user.municipality_id:
        raise DomainError(
            Problem("break_glass_not_needed", _("Perhe on oman kuntasi perhe; poikkeuksellista pääsyä ei tarvita.")),
            field_name="family_reference",
        )
    now = timezone.now()
    with transaction.atomic():
        grant = BreakGlassGrant.objects.create(
            user=user,
            family=family,
            reason=reason,
            granted_at=now,
            expires_at=now + datetime.timedelta(hours=settings.SIBCASE["BREAK_GLASS_HOURS"]),
        )
        User.objects.filter(pk=user.pk).update(
            break_glass_until=Greatest(Coalesce("break_glass_until", Value(grant.expires_at)), Value(grant.expires_at))
        )
        user.break_glass_until = max(filter(None, [user.break_glass_until, grant.expires_at]))
        audit_record(
            actor=user,
            event_type="break_glass.opened",
            obj=grant,
            new={"family": family.pk, "expires_at": grant.expires_at},
            reason=reason,
        )
        access_log_record(
            user=user, action=AccessAction.VIEW, basis=f"{BASIS_PREFIX}{reason}"[:200], family_id=family.pk, path=path
        )
    return grant


def break_glass_review(*, actor: User, grant: BreakGlassGrant, note: str) -> BreakGlassGrant:
    """An admin marks a grant reviewed, with a note (what was found: justified, or escalated)."""
    if not (actor.is_superuser or actor.role == Role.ADMIN):
        raise DomainError(Problem("not_admin", _("Vain ylläpitäjä voi tarkastaa poikkeukselliset pääsyt.")))
    note = note.strip()
    if not note:
        raise DomainError(Problem("review_note_required", _("Kirjaa tarkastuksen huomio.")), field_name="note")
    with transaction.atomic():
        grant = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.reviewed_at is not None:
            raise DomainError(Problem("already_reviewed", _("Pääsy on jo tarkastettu.")))
        if grant.user_id == actor.pk:
            raise DomainError(Problem("own_grant", _("Omaa poikkeuksellista pääsyä ei voi tarkastaa itse.")))
        grant.reviewed_at, grant.reviewed_by, grant.review_note = timezone.now(), actor, note
        grant.save(update_fields=["reviewed_at", "reviewed_by", "review_note"])
        audit_record(actor=actor, event_type="break_glass.reviewed", obj=grant, reason=note)
    return grant


def break_glass_grants_for_review(*, reviewed: bool = False) -> QuerySet[BreakGlassGrant]:
    return BreakGlassGrant.objects.filter(reviewed_at__isnull=not reviewed).select_related(
        "user", "family", "family__municipality", "reviewed_by"
    )

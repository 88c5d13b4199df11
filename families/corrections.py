"""Corrections of what a worker recorded about a family and its people.

Each correction goes through one function here: a reason is required, the row is locked, only the fields that
really change are saved, django-simple-history keeps who, when, the old and new values and the reason (shown on
the family's timeline), and an audit row is written in the same transaction. The caller learns whether the
corrected data lies behind a validated, approved or paid payment statement: that statement keeps its frozen
inputs, and the next statement's calculation carries the difference as an adjustment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from payments.models import PaymentStatement
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from .identity import birth_date_from_identity_code, mask_identity_code, validate_identity_code
from .models import Child, Consent, ConsentScope, Enrollment, EnrollmentStatus, Family, Guardian
from .selectors import identity_code_owner, signed_statements_touching, valid_participation_consent_exists

FAMILY_FIELDS = ("postal_code", "district", "service_language")
CHILD_FIELDS = ("first_names", "last_name")
GUARDIAN_FIELDS = ("first_names", "last_name", "employment_status", "phone", "email")


@dataclass(frozen=True)
class Correction:
    obj: models.Model
    changed: dict[str, tuple]
    statements: list[PaymentStatement]
    # Ended enrollments whose start no longer has a valid participation consent after a consent correction.
    enrollments_without_consent: list[Enrollment] = field(default_factory=list)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(Problem("reason_required", _("Kirjaa korjauksen syy.")), field_name="reason")
    return reason


def history_baseline(obj: models.Model) -> None:
    """A record made before its model kept history has no row to diff a correction against: write one first, so
    the history (and the timeline) shows the old value."""
    if not obj.history.exists():
        type(obj).history.bulk_history_create([obj])


def fields_correct(
    *, actor: User | None, obj: models.Model, allowed: tuple[str, ...], values: dict, reason: str, event_type: str
) -> tuple[models.Model, dict[str, tuple]]:
    reason = _reason(reason)
    unknown = set(values) - set(allowed)
    if unknown:
        raise ValueError(f"not correctable here: {sorted(unknown)}")
    with transaction.atomic():
        obj = type(obj).objects.select_for_update().get(pk=obj.pk)
        history_baseline(obj)
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
    family, changed = fields_correct(
        actor=actor, obj=family, allowed=FAMILY_FIELDS, values=values, reason=reason, event_type="family.data_corrected"
    )
    child_ids = list(family.children.values_list("pk", flat=True))
    return Correction(family, changed, signed_statements_touching(child_ids=child_ids))


def child_correct(*, actor: User | None, child: Child, reason: str, **values) -> Correction:
    child, changed = fields_correct(
        actor=actor, obj=child, allowed=CHILD_FIELDS, values=values, reason=reason, event_type="child.data_corrected"
    )
    return Correction(child, changed, signed_statements_touching(child_ids=[child.pk]))


def guardian_correct(*, actor: User | None, guardian: Guardian, reason: str, **values) -> Correction:
    """A guardian's name, work or education status (an unknown status blocks enrollment) and contact details."""
    guardian, changed = fields_correct(
        actor=actor,
        obj=guardian,
        allowed=GUARDIAN_FIELDS,
        values=values,
        reason=reason,
        event_type="guardian.data_corrected",
    )
    child_ids = list(Child.objects.filter(family_id=guardian.family_id).values_list("pk", flat=True))
    return Correction(guardian, changed, signed_statements_touching(child_ids=child_ids))


def _known_code_problem() -> Problem:
    # Never says whose code it is: the owner may be in a family the user may not see.
    return Problem("identity_code_known", _("Henkilötunnus on jo rekisterissä toisella henkilöllä."))


def identity_code_correct(
    *, actor: User | None, person: Child | Guardian, identity_code: str, reason: str
) -> Correction:
    """A child's or guardian's identity code (henkilötunnus) recorded wrong: validated (temporary codes 900–999
    accepted), refused when already registered to anyone, and the birth date derived from it follows. The history
    keeps the full old and new code (as the record itself does); the audit row and the timeline show them masked."""
    reason = _reason(reason)
    try:
        code = validate_identity_code(identity_code)
    except ValidationError as exc:
        raise DomainError(
            Problem(exc.code or "identity_code_invalid", exc.messages[0]), field_name="identity_code"
        ) from None
    with transaction.atomic():
        person = type(person).objects.select_for_update().get(pk=person.pk)
        if person.erased_at is not None:
            raise DomainError(Problem("person_erased", _("Henkilön tiedot on poistettu; niitä ei voi korjata.")))
        if code == person.identity_code:
            raise DomainError(Problem("nothing_changed", _("Mikään tieto ei muuttunut.")), field_name="identity_code")
        if identity_code_owner(code) is not None:
            raise DomainError(_known_code_problem(), field_name="identity_code")
        history_baseline(person)
        old_code, old_birth = person.identity_code, person.birth_date
        person.identity_code, person.birth_date = code, birth_date_from_identity_code(code)
        person._history_user = actor
        person._change_reason = reason
        try:
            with transaction.atomic():
                person.save(update_fields=["identity_code", "birth_date"])
        except IntegrityError:
            # Registered by a parallel request after the check above: the unique index decides.
            raise DomainError(_known_code_problem(), field_name="identity_code") from None
        audit_record(
            actor=actor,
            event_type=f"{person._meta.model_name}.identity_code_corrected",
            obj=person,
            old={"identity_code": mask_identity_code(old_code), "birth_date": old_birth},
            new={"identity_code": mask_identity_code(code), "birth_date": person.birth_date},
            reason=reason,
        )
    changed = {"identity_code": (old_code, code)}
    if old_birth != person.birth_date:
        changed["birth_date"] = (old_birth, person.birth_date)
    if isinstance(person, Child):
        child_ids = [person.pk]
    else:
        child_ids = list(Child.objects.filter(family_id=person.family_id).values_list("pk", flat=True))
    return Correction(person, changed, signed_statements_touching(child_ids=child_ids))


CONSENT_FIELDS = ("guardian", "scope", "given_on")
OPEN_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED)


def _enrollments_without_consent(*, family_id: int, programme_ids: set[int]) -> list[Enrollment]:
    """Enrollments of these programmes whose start day has no valid participation consent (as the rows stand now,
    inside the correction's transaction)."""
    family = Family(pk=family_id)
    return [
        enrollment
        for enrollment in Enrollment.objects.filter(family_id=family_id, programme_id__in=programme_ids)
        .select_related("programme")
        .order_by("enrolled_on", "id")
        if not valid_participation_consent_exists(
            family=family,
            programme_id=enrollment.programme_id,
            on_date=enrollment.activated_on or enrollment.enrolled_on,
        )
    ]


def _consent_aftermath(*, consent: Consent, before: list[Enrollment]) -> tuple[list[Enrollment], list[int]]:
    """What a consent correction or void leaves behind. An open enrollment left without a valid participation
    consent on its start day is refused (the enrollment rule holds for every open enrollment: record the right
    consent first, or end the participation, then correct); an ended one is reported, and the page says so."""
    after = _enrollments_without_consent(family_id=consent.family_id, programme_ids={consent.programme_id})
    known = {e.pk for e in before}
    newly = [e for e in after if e.pk not in known]
    open_ones = [e for e in newly if e.status in OPEN_STATUSES]
    if open_ones:
        raise DomainError(
            Problem(
                "consent_backs_enrollment",
                _(
                    "Suostumus on ainoa voimassa oleva osallistumissuostumus perheen osallistumiselle ohjelmaan "
                    "%(programme)s (mukaan %(date)s). Kirjaa ensin oikea suostumus tai päätä osallistuminen, ja "
                    "korjaa sitten."
                )
                % {"programme": open_ones[0].programme, "date": date_format(open_ones[0].enrolled_on)},
                {"enrollment_ids": [e.pk for e in open_ones]},
            )
        )
    child_ids = list(
        Child.objects.filter(
            enrollments__family_id=consent.family_id, enrollments__programme_id=consent.programme_id
        ).values_list("pk", flat=True)
    )
    return newly, child_ids


def consent_correct(
    *,
    actor: User | None,
    consent: Consent,
    reason: str,
    guardian: Guardian | None = None,
    scope: str | None = None,
    given_on: datetime.date | None = None,
) -> Correction:
    """A consent recorded with a wrong guardian, scope or date. The enrollments it backs are checked again."""
    reason = _reason(reason)
    with transaction.atomic():
        consent = Consent.objects.select_for_update().select_related("programme").get(pk=consent.pk)
        if consent.voided_at is not None:
            raise DomainError(Problem("consent_voided", _("Mitätöityä suostumusta ei voi korjata.")))
        values = {"guardian": guardian, "scope": scope, "given_on": given_on}
        changed = {
            name: (getattr(consent, name), value)
            for name, value in values.items()
            if value is not None and getattr(consent, name) != value
        }
        if not changed:
            raise DomainError(Problem("nothing_changed", _("Mikään tieto ei muuttunut.")))
        problems = []
        if guardian is not None and guardian.family_id != consent.family_id:
            problems.append(Problem("guardian_not_in_family", _("Huoltaja ei kuulu tähän perheeseen.")))
        if scope is not None and scope not in ConsentScope.values:
            problems.append(Problem("invalid_scope", _("Tuntematon suostumuksen laajuus.")))
        if given_on is not None and given_on > timezone.localdate():
            problems.append(Problem("date_in_future", _("Suostumuksen päivä ei voi olla tulevaisuudessa.")))
        if given_on is not None and consent.withdrawn_on is not None and given_on > consent.withdrawn_on:
            problems.append(
                Problem("given_after_withdrawal", _("Suostumuksen päivä ei voi olla sen perumisen jälkeen."))
            )
        if problems:
            raise DomainError(problems)
        before = _enrollments_without_consent(family_id=consent.family_id, programme_ids={consent.programme_id})
        history_baseline(consent)
        for name, (_old, new) in changed.items():
            setattr(consent, name, new)
        if (
            consent.withdrawn_on is None
            and Consent.objects.current()
            .filter(guardian=consent.guardian, programme_id=consent.programme_id, scope=consent.scope)
            .filter(withdrawn_on__isnull=True)
            .exclude(pk=consent.pk)
            .exists()
        ):
            raise DomainError(Problem("consent_already_valid", _("Huoltajalla on jo voimassa oleva suostumus tähän.")))
        consent._history_user = actor
        consent._change_reason = reason
        try:
            with transaction.atomic():
                consent.save(update_fields=list(changed))
        except IntegrityError:  # a parallel request recorded the same consent after the check above
            raise DomainError(
                Problem("consent_already_valid", _("Huoltajalla on jo voimassa oleva suostumus tähän."))
            ) from None
        newly, child_ids = _consent_aftermath(consent=consent, before=before)
        shown = {
            name: (old.pk if name == "guardian" else old, new.pk if name == "guardian" else new)
            for name, (old, new) in changed.items()
        }
        audit_record(
            actor=actor,
            event_type="consent.corrected",
            obj=consent,
            old={name: old for name, (old, _new) in shown.items()},
            new={
                **{name: new for name, (_old, new) in shown.items()},
                **({"enrollments_without_consent": [e.pk for e in newly]} if newly else {}),
            },
            reason=reason,
        )
    return Correction(consent, changed, signed_statements_touching(child_ids=child_ids), newly)


def consent_void(*, actor: User | None, consent: Consent, reason: str) -> Correction:
    """A consent recorded in error (never given, or given by someone else): it stays on record with its history
    but counts nowhere. Distinct from a withdrawal, which records that a given consent was taken back."""
    reason = _reason(reason)
    with transaction.atomic():
        consent = Consent.objects.select_for_update().select_related("programme").get(pk=consent.pk)
        if consent.voided_at is not None:
            raise DomainError(Problem("consent_voided", _("Suostumus on jo mitätöity.")))
        before = _enrollments_without_consent(family_id=consent.family_id, programme_ids={consent.programme_id})
        history_baseline(consent)
        consent.voided_at, consent.void_reason = timezone.now(), reason
        consent._history_user = actor
        consent._change_reason = reason
        consent.save(update_fields=["voided_at", "void_reason"])
        newly, child_ids = _consent_aftermath(consent=consent, before=before)
        audit_record(
            actor=actor,
            event_type="consent.voided",
            obj=consent,
            new={"enrollments_without_consent": [e.pk for e in newly]} if newly else None,
            reason=reason,
        )
    return Correction(
        consent, {"voided_at": (None, consent.voided_at)}, signed_statements_touching(child_ids=child_ids), newly
    )

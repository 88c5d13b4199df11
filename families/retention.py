"""Retention and erasure of client records (Client Data Act 703/2023; the National Archives' retention table).

- **When a case closes** (a family's last open enrollment ends) `retention_set_on_close` sets
  `Family.retain_until` = the last exit date + SIBCASE["RETENTION_YEARS"] (30). A family with an open enrollment
  is never due, whatever its date; the date is set again when that enrollment ends.
- **Daily** the beat job `families.list_retention_due` calls `retention_due_record`: each family that has fallen
  due and is not yet erased gets one `family.retention_due` audit row (once), and admins see the list at
  /families/privacy/erasure/.
- **Erasure** is two-step: one admin proposes it with a reason (`erasure_propose`), another approves it
  (`erasure_approve`), which pseudonymises every person of the family irreversibly (`_family_pseudonymise`).
  Ids, dates and figures stay: payment statements' frozen inputs refer to child ids, so they still verify.
"""

from __future__ import annotations

import datetime
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from outcomes.models import OutcomeObservation, ServiceNeedsAssessment, ServiceVisit
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import AuditEvent, Role, User

from .identity import make_temporary_identity_code
from .models import (
    CaseAttachment,
    CaseNote,
    Child,
    Consent,
    Enrollment,
    EnrollmentStatus,
    ErasureRequest,
    ErasureStatus,
    Family,
    Guardian,
    Referral,
)

ERASED_TEXT = "[poistettu]"
ERASED_NAME = "Poistettu"
OPEN_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED)


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def retention_set_on_close(*, family_id: int) -> datetime.date | None:
    """Called where an enrollment ends: when no open enrollment remains the case is closed, and the family is kept
    RETENTION_YEARS after the last exit. Returns the date set (None while the case is open)."""
    if Enrollment.objects.filter(family_id=family_id, status__in=OPEN_STATUSES).exists():
        return None
    last_exit = Enrollment.objects.filter(family_id=family_id).aggregate(last=Max("exit_date"))["last"]
    if last_exit is None:
        return None
    retain_until = _add_years(last_exit, settings.SIBCASE["RETENTION_YEARS"])
    family = Family.objects.select_for_update().get(pk=family_id)
    if family.retain_until != retain_until:
        old = family.retain_until
        family.retain_until = retain_until
        family.save(update_fields=["retain_until"])
        audit_record(
            actor=None,
            event_type="family.retention_set",
            obj=family,
            old={"retain_until": old},
            new={"retain_until": retain_until},
        )
    return retain_until


def families_due_for_erasure(*, on_date: datetime.date | None = None) -> QuerySet[Family]:
    """Families whose retention period has passed, whose case is closed and whose people are not yet erased."""
    on_date = on_date or timezone.localdate()
    return (
        Family.objects.filter(retain_until__isnull=False, retain_until__lte=on_date)
        .exclude(Exists(Enrollment.objects.filter(family=OuterRef("pk"), status__in=OPEN_STATUSES)))
        .exclude(Exists(ErasureRequest.objects.filter(family=OuterRef("pk"), status=ErasureStatus.APPROVED)))
        .select_related("municipality")
        .annotate(open_request=Exists(ErasureRequest.objects.filter(family=OuterRef("pk"), status="proposed")))
        .order_by("retain_until", "reference")
    )


def retention_due_record(*, on_date: datetime.date | None = None) -> int:
    """The beat job: one `family.retention_due` audit row for each family newly due. Returns how many."""
    due = families_due_for_erasure(on_date=on_date)
    reported = AuditEvent.objects.filter(event_type="family.retention_due", object_type="families.family")
    new = due.exclude(pk__in=[int(pk) for pk in reported.values_list("object_id", flat=True)])
    count = 0
    with transaction.atomic():
        for family in new:
            audit_record(
                actor=None, event_type="family.retention_due", obj=family, new={"retain_until": family.retain_until}
            )
            count += 1
    return count


def _require_admin(user: User) -> None:
    if not (user.is_superuser or user.role == Role.ADMIN):
        raise DomainError(Problem("not_admin", _("Vain ylläpitäjä voi käsitellä tietojen poistoa.")))


def erasure_propose(*, actor: User, family: Family, reason: str) -> ErasureRequest:
    _require_admin(actor)
    reason = reason.strip()
    if not reason:
        raise DomainError(Problem("reason_required", _("Kirjaa poiston peruste.")), field_name="reason")
    with transaction.atomic():
        family = Family.objects.select_for_update().get(pk=family.pk)
        if not families_due_for_erasure().filter(pk=family.pk).exists():
            raise DomainError(
                Problem(
                    "retention_not_passed",
                    _("Perheen tietojen säilytysaika ei ole päättynyt, tai tiedot on jo poistettu."),
                )
            )
        if ErasureRequest.objects.filter(family=family, status=ErasureStatus.PROPOSED).exists():
            raise DomainError(Problem("erasure_already_proposed", _("Poistoa on jo ehdotettu.")))
        request = ErasureRequest.objects.create(
            family=family, reason=reason, proposed_by=actor, proposed_at=timezone.now()
        )
        audit_record(actor=actor, event_type="erasure.proposed", obj=request, new={"family": family.pk}, reason=reason)
    return request


def erasure_reject(*, actor: User, request: ErasureRequest, note: str) -> ErasureRequest:
    _require_admin(actor)
    with transaction.atomic():
        request = _open_request_locked(request, actor)
        request.status, request.decided_by, request.decided_at = ErasureStatus.REJECTED, actor, timezone.now()
        request.decision_note = note.strip()
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, event_type="erasure.rejected", obj=request, reason=request.decision_note)
    return request


def erasure_approve(*, actor: User, request: ErasureRequest, note: str = "") -> ErasureRequest:
    """The second admin approves, and the family's people are pseudonymised in the same transaction."""
    _require_admin(actor)
    with transaction.atomic():
        request = _open_request_locked(request, actor)
        if not families_due_for_erasure().filter(pk=request.family_id).exists():
            raise DomainError(Problem("retention_not_passed", _("Perheen tietojen säilytysaika ei ole päättynyt.")))
        counts = _family_pseudonymise(family_id=request.family_id)
        request.status, request.decided_by, request.decided_at = ErasureStatus.APPROVED, actor, timezone.now()
        request.decision_note = note.strip()
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_record(actor=actor, event_type="erasure.approved", obj=request, new=counts, reason=request.decision_note)
    return request


def _open_request_locked(request: ErasureRequest, actor: User) -> ErasureRequest:
    request = ErasureRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != ErasureStatus.PROPOSED:
        raise DomainError(Problem("erasure_decided", _("Poistopyyntö on jo ratkaistu.")))
    if request.proposed_by_id == actor.pk:
        raise DomainError(Problem("erasure_same_admin", _("Poiston hyväksyy toinen ylläpitäjä kuin sen ehdottanut.")))
    return request


def erased_identity_code(*, birth_year: int) -> str:
    """A placeholder in the identity-code format (the database's format check holds) whose check character is
    deliberately wrong, so it can never be a real person's code; random, so it links to nothing. The birth date
    it encodes is 1 January of the person's birth year: the birth date is coarsened to the year."""
    real = make_temporary_identity_code(datetime.date(birth_year, 1, 1), 900 + secrets.randbelow(100))
    individual = f"{secrets.randbelow(1000):03d}"
    stem = real[:7] + individual
    right = "0123456789ABCDEFHJKLMNPRSTUVWXY"[int(real[:6] + individual) % 31]
    wrong = secrets.choice([c for c in "0123456789ABCDEFHJKLMNPRSTUVWXY" if c != right])
    return stem + wrong


def _person_pseudonymise(person: Child | Guardian, now: datetime.datetime) -> None:
    birth_year = person.birth_date.year
    for _attempt in range(50):
        person.first_names, person.last_name = ERASED_NAME, ERASED_NAME
        person.identity_code = erased_identity_code(birth_year=birth_year)
        person.erased_at = now
        try:
            with transaction.atomic():
                person.save(update_fields=["first_names", "last_name", "identity_code", "birth_date", "erased_at"])
            return
        except IntegrityError:
            continue  # the random placeholder was taken: draw another
    raise RuntimeError("no free placeholder identity code")


def _family_pseudonymise(*, family_id: int) -> dict[str, int]:
    """Irreversible: names replaced, identity codes by random invalid placeholders, birth dates to the year, need
    categories (health data) and every free-text field cleared, in the records and in their history rows."""
    now = timezone.now()
    family = Family.objects.select_for_update().get(pk=family_id)
    family.district, family.postal_code = "", "00000"
    family.save(update_fields=["district", "postal_code"])
    children = list(Child.objects.select_for_update().filter(family_id=family_id))
    guardians = list(Guardian.objects.select_for_update().filter(family_id=family_id))
    for person in [*children, *guardians]:
        _person_pseudonymise(person, now)
    for child in children:
        child.need_categories.clear()
    Guardian.objects.filter(family_id=family_id).update(employment_status="unknown", phone="", email="")
    # Case notes and attachments are the worker's own records of the family: their text and files go too.
    CaseNote.objects.filter(family_id=family_id).update(text=ERASED_TEXT)
    for attachment in CaseAttachment.objects.filter(family_id=family_id):
        attachment.file.delete(save=False)
    CaseAttachment.objects.filter(family_id=family_id).update(original_name=ERASED_TEXT, description="")
    Referral.objects.filter(family_id=family_id).update(reason=ERASED_TEXT)
    ServiceNeedsAssessment.objects.filter(family_id=family_id).update(summary=ERASED_TEXT)
    ServiceVisit.objects.filter(episode__family_id=family_id).update(note="")
    enrollments = Enrollment.objects.filter(family_id=family_id)
    enrollment_ids = list(enrollments.values_list("pk", flat=True))
    enrollments.update(exit_note="")
    enrollments.exclude(backdating_reason="").update(backdating_reason=ERASED_TEXT)
    observations = OutcomeObservation.objects.filter(child__family_id=family_id)
    observation_ids = list(observations.values_list("pk", flat=True))
    observations.exclude(void_reason="").update(void_reason=ERASED_TEXT)
    # django-simple-history keeps the old values of these free texts (and the change reasons copied from them).
    enrollment_history = Enrollment.history.model.objects.filter(id__in=enrollment_ids)
    enrollment_history.update(exit_note="", history_change_reason=None)
    enrollment_history.exclude(backdating_reason="").update(backdating_reason=ERASED_TEXT)
    observation_history = OutcomeObservation.history.model.objects.filter(id__in=observation_ids)
    observation_history.update(history_change_reason=None)
    observation_history.exclude(void_reason="").update(void_reason=ERASED_TEXT)
    ServiceNeedsAssessment.history.model.objects.filter(family_id=family_id).update(
        summary=ERASED_TEXT, history_change_reason=None
    )
    Consent.objects.filter(family_id=family_id).exclude(void_reason="").update(void_reason=ERASED_TEXT)
    consent_history = Consent.history.model.objects.filter(family_id=family_id)
    consent_history.update(history_change_reason=None)
    consent_history.exclude(void_reason="").update(void_reason=ERASED_TEXT)
    # The people's and the family's own history rows hold the old names, codes and contacts: none is kept.
    Child.history.model.objects.filter(id__in=[c.pk for c in children]).delete()
    Guardian.history.model.objects.filter(id__in=[g.pk for g in guardians]).delete()
    Family.history.model.objects.filter(id=family_id).delete()
    return {"children": len(children), "guardians": len(guardians)}

"""Writes for families, people, referrals, consents and enrollments.

`enrollment_create` is the only way an enrollment comes to be: the web form, the API, the admin, imports and
the demo seeder all call it, so a programme's window, cutoff, consent and capacity rules hold everywhere.
"""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from outcomes.services import episodes_close_for_enrollment
from programs.models import BackdatingRequest, BackdatingStatus, Programme
from programs.services import eligibility_evaluate, enrollment_refusal_record
from sibcase.aggregate_cache import programme_data_changed
from sibcase.audit import audit_record
from sibcase.db import violated_constraint
from sibcase.errors import DomainError, Problem
from sibcase.models import Role, User

from .assignments import case_assign
from .identity import normalize_identity_code
from .models import (
    AssignmentRole,
    Child,
    Consent,
    Enrollment,
    EnrollmentStatus,
    ExitReason,
    Family,
    Guardian,
    Referral,
    ReferralStatus,
)
from .retention import retention_set_on_close
from .selectors import identity_code_owner, valid_participation_consent_exists

_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXY3456789"


def _today() -> datetime.date:
    return timezone.localdate()


def _refuse_future(day: datetime.date, field_name: str, label) -> None:
    if day > _today():
        raise DomainError(
            Problem("date_in_future", _("%(label)s ei voi olla tulevaisuudessa.") % {"label": label}),
            field_name=field_name,
        )


def family_create(*, actor: User | None, municipality_id: int, postal_code: str, district: str = "") -> Family:
    family = Family(
        reference=_new_family_reference(),
        municipality_id=municipality_id,
        postal_code=postal_code.strip(),
        district=district.strip(),
        created_by=actor,
    )
    family.full_clean()
    family.save()
    audit_record(actor=actor, event_type="family.created", obj=family, new={"municipality": municipality_id})
    return family


def _new_family_reference() -> str:
    # Random, not sequential: a reference tells nothing about the family or how many there are.
    while True:
        reference = "P-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
        if not Family.objects.filter(reference=reference).exists():
            return reference


def _person_fields_clean(person: Child | Guardian) -> None:
    person.identity_code = normalize_identity_code(person.identity_code)
    owner = identity_code_owner(person.identity_code)
    if owner is not None and (type(owner) is not type(person) or owner.pk != person.pk):
        raise DomainError(
            Problem(
                "identity_code_known",
                _("Henkilötunnus on jo rekisterissä toisella henkilöllä (perhe %(reference)s).")
                % {"reference": owner.family.reference},
                {"family_id": owner.family_id},
            ),
            field_name="identity_code",
        )
    try:
        # Uniqueness is left to the insert (_person_save): a read here could be passed by a parallel request.
        person.full_clean(exclude=["birth_date"], validate_unique=False)
    except ValidationError as exc:
        raise DomainError(
            [Problem(f"invalid_{name}", message) for name, messages in exc.message_dict.items() for message in messages]
        ) from None


def _person_save(person: Child | Guardian) -> None:
    """Insert a person; the identity code registered by a parallel request meanwhile is a refusal, not a 500."""
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError as exc:
        if violated_constraint(exc) not in (None, f"{person._meta.db_table}_identity_code_key"):
            raise
        raise DomainError(
            Problem("identity_code_known", _("Henkilötunnus on jo rekisterissä. Perhettä ei luotu uudelleen.")),
            field_name="identity_code",
        ) from None


def child_create(
    *,
    actor: User | None,
    family: Family,
    first_names: str,
    last_name: str,
    identity_code: str,
    need_category_ids: Iterable[int] = (),
) -> Child:
    child = Child(
        family=family, first_names=first_names.strip(), last_name=last_name.strip(), identity_code=identity_code
    )
    _person_fields_clean(child)
    _person_save(child)
    if need_category_ids:
        child.need_categories.set(need_category_ids)
    audit_record(actor=actor, event_type="child.created", obj=child, new={"family": family.pk})
    return child


def guardian_create(
    *,
    actor: User | None,
    family: Family,
    first_names: str,
    last_name: str,
    identity_code: str,
    employment_status: str,
) -> Guardian:
    guardian = Guardian(
        family=family,
        first_names=first_names.strip(),
        last_name=last_name.strip(),
        identity_code=identity_code,
        employment_status=employment_status,
    )
    _person_fields_clean(guardian)
    _person_save(guardian)
    audit_record(actor=actor, event_type="guardian.created", obj=guardian, new={"family": family.pk})
    return guardian


def referral_create(
    *, actor: User | None, family: Family, programme: Programme, source: str, referred_on: datetime.date, reason: str
) -> Referral:
    _refuse_future(referred_on, "referred_on", _("Ohjauspäivä"))
    if programme.municipality_id != family.municipality_id:
        raise DomainError(Problem("programme_other_municipality", _("Ohjelma on toisen kunnan ohjelma.")))
    referral = Referral(
        family=family,
        programme=programme,
        source=source,
        referred_on=referred_on,
        reason=reason.strip(),
        created_by=actor,
    )
    referral.full_clean()
    referral.save()
    audit_record(
        actor=actor, event_type="referral.created", obj=referral, new={"programme": programme.pk, "source": source}
    )
    return referral


def family_register(
    *,
    actor: User | None,
    programme: Programme,
    postal_code: str,
    district: str,
    children: list[dict],
    guardians: list[dict],
    source: str,
    referred_on: datetime.date,
    reason: str,
) -> Family:
    """A new family with its children and guardians and its referral to a programme, all or nothing.

    `children` items: first_names, last_name, identity_code, need_category_ids (optional);
    `guardians` items: first_names, last_name, identity_code, employment_status.
    Duplicate detection lives with the callers (they show the existing family); the database's unique
    identity codes are the last line of defence.
    """
    if not children:
        raise DomainError(Problem("no_children", _("Perheellä on oltava vähintään yksi lapsi.")), field_name="children")
    with transaction.atomic():
        family = family_create(
            actor=actor, municipality_id=programme.municipality_id, postal_code=postal_code, district=district
        )
        for child in children:
            child_create(
                actor=actor,
                family=family,
                first_names=child["first_names"],
                last_name=child["last_name"],
                identity_code=child["identity_code"],
                need_category_ids=child.get("need_category_ids", ()),
            )
        for guardian in guardians:
            guardian_create(actor=actor, family=family, **guardian)
        referral_create(
            actor=actor, family=family, programme=programme, source=source, referred_on=referred_on, reason=reason
        )
        if actor is not None and actor.is_authenticated and actor.role == Role.SOCIAL_WORKER:
            # The worker who registers a family owns its case until they hand it over.
            case_assign(actor=actor, family=family, worker=actor, role=AssignmentRole.RESPONSIBLE)
    return family


def consent_give(
    *, actor: User | None, guardian: Guardian, programme: Programme, scope: str, given_on: datetime.date
) -> Consent:
    _refuse_future(given_on, "given_on", _("Suostumuksen päivä"))
    with transaction.atomic():
        Guardian.objects.select_for_update().get(pk=guardian.pk)
        if (
            Consent.objects.current()
            .filter(guardian=guardian, programme=programme, scope=scope, withdrawn_on__isnull=True)
            .exists()
        ):
            raise DomainError(Problem("consent_already_valid", _("Huoltajalla on jo voimassa oleva suostumus tähän.")))
        consent = Consent(
            family_id=guardian.family_id,
            guardian=guardian,
            programme=programme,
            scope=scope,
            given_on=given_on,
            recorded_by=actor,
        )
        consent.full_clean()
        consent.save()
        audit_record(actor=actor, event_type="consent.given", obj=consent, new={"scope": scope, "given_on": given_on})
    return consent


def consent_withdraw(*, actor: User | None, consent: Consent, withdrawn_on: datetime.date) -> Consent:
    _refuse_future(withdrawn_on, "withdrawn_on", _("Peruutuspäivä"))
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_on is not None:
            raise DomainError(Problem("consent_already_withdrawn", _("Suostumus on jo peruttu.")))
        if consent.voided_at is not None:
            raise DomainError(Problem("consent_voided", _("Suostumus on mitätöity; sitä ei voi perua.")))
        if withdrawn_on < consent.given_on:
            raise DomainError(
                Problem("withdrawn_before_given", _("Suostumusta ei voi perua ennen sen antamispäivää.")),
                field_name="withdrawn_on",
            )
        consent.withdrawn_on = withdrawn_on
        consent.save(update_fields=["withdrawn_on"])
        audit_record(
            actor=actor,
            event_type="consent.withdrawn",
            obj=consent,
            old={"withdrawn_on": None},
            new={"withdrawn_on": withdrawn_on},
        )
    return consent


def enrollment_create(
    *,
    actor: User | None,
    programme: Programme,
    family: Family,
    enrolled_on: datetime.date,
    children: Iterable[Child] | None = None,
    referral: Referral | None = None,
    backdating_approved_by: User | None = None,
    backdating_reason: str = "",
    refresh_preview: bool = True,
) -> Enrollment:
    """Take a family into a programme, or refuse with a DomainError naming every reason. Nothing of the
    enrollment is saved on refusal; the refusal itself is recorded (codes only) for the coordinators' overview.

    The programme row is locked for the whole check, so two people enrolling the last place, or the same
    family twice, at the same moment are serialised: exactly one succeeds.
    """
    try:
        return _enrollment_create_locked(
            actor=actor,
            programme=programme,
            family=family,
            enrolled_on=enrolled_on,
            children=children,
            referral=referral,
            backdating_approved_by=backdating_approved_by,
            backdating_reason=backdating_reason,
            refresh_preview=refresh_preview,
        )
    except DomainError as exc:
        enrollment_refusal_record(
            actor=actor, programme=programme, family_id=family.pk, enrolled_on=enrolled_on, codes=exc.codes
        )
        raise


def _enrollment_create_locked(
    *,
    actor: User | None,
    programme: Programme,
    family: Family,
    enrolled_on: datetime.date,
    children: Iterable[Child] | None,
    referral: Referral | None,
    backdating_approved_by: User | None,
    backdating_reason: str,
    refresh_preview: bool,
) -> Enrollment:
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        family = Family.objects.select_for_update().get(pk=family.pk)
        children = list(children) if children is not None else list(family.children.all())

        problems = _enrollment_problems(
            programme=programme,
            family=family,
            enrolled_on=enrolled_on,
            children=children,
            referral=referral,
            backdating_approved_by=backdating_approved_by,
            backdating_reason=backdating_reason,
        )
        if problems:
            raise DomainError(problems)

        status = EnrollmentStatus.ACTIVE
        if _programme_full(programme):
            if not programme.waitlist_when_full:
                raise DomainError(_capacity_problem(programme))
            status = EnrollmentStatus.WAITLISTED

        enrollment = Enrollment(
            programme=programme,
            family=family,
            referral=referral,
            enrolled_on=enrolled_on,
            activated_on=enrolled_on if status == EnrollmentStatus.ACTIVE else None,
            status=status,
            recorded_by=actor,
            backdating_approved_by=backdating_approved_by if _is_backdated(programme, enrolled_on) else None,
            backdating_reason=backdating_reason.strip() if _is_backdated(programme, enrolled_on) else "",
        )
        enrollment._history_user = actor
        try:
            with transaction.atomic():
                enrollment.save()
        except IntegrityError:
            # The partial unique constraint caught a duplicate that slipped past the check.
            raise DomainError(_already_enrolled_problem()) from None
        enrollment.children.set(children)
        if referral is not None:
            Referral.objects.filter(pk=referral.pk).update(status=ReferralStatus.ENROLLED)
        audit_record(
            actor=actor,
            event_type="enrollment.created",
            obj=enrollment,
            new={"programme": programme.pk, "family": family.pk, "enrolled_on": enrolled_on, "status": status},
        )
        programme_data_changed(programme_ids=[programme.pk])
        if enrollment.backdating_approved_by_id:
            audit_record(
                actor=backdating_approved_by,
                event_type="enrollment.backdating_approved",
                obj=enrollment,
                new={"enrolled_on": enrolled_on, "cutoff": programme.enrollment_cutoff},
                reason=enrollment.backdating_reason,
            )
        # The cohort changed: the coordinators' preview for this quarter is recalculated in the background.
        from payments.services.runs import preview_refresh_request

        enrollment.preview_run = preview_refresh_request(actor=actor, programme=programme) if refresh_preview else None
    return enrollment


def backdating_request_create(
    *,
    actor: User | None,
    programme: Programme,
    family: Family,
    enrolled_on: datetime.date,
    reason: str,
    children: Iterable[Child] | None = None,
    referral: Referral | None = None,
) -> BackdatingRequest:
    """A backdated enrollment (dated before a cutoff that has passed) asked for instead of refused: the request
    waits in the coordinators' approval inbox, and approving it enrolls the family with `enrollment_create` and
    the coordinator as approver (programs.backdating). Every other enrollment check must already pass, so that
    the coordinator decides on the backdating alone; nothing of enrollment_create's checks changes here."""
    if not reason.strip():
        raise DomainError(
            Problem("reason_required", _("Kirjaa perustelu takautuvalle kirjaukselle.")), field_name="reason"
        )
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        family = Family.objects.select_for_update().get(pk=family.pk)
        children = list(children) if children is not None else list(family.children.all())
        if not _is_backdated(programme, enrolled_on):
            raise DomainError(
                Problem(
                    "not_backdated",
                    _("Kirjaus ei ole takautuva: ota perhe mukaan tavalliseen tapaan ilman hyväksyntäpyyntöä."),
                ),
                field_name="enrolled_on",
            )
        problems = [
            problem
            for problem in _enrollment_problems(
                programme=programme,
                family=family,
                enrolled_on=enrolled_on,
                children=children,
                referral=referral,
                backdating_approved_by=None,
                backdating_reason="",
            )
            if problem.code != "backdating_requires_approval"
        ]
        if BackdatingRequest.objects.filter(
            programme=programme, family=family, status=BackdatingStatus.PENDING
        ).exists():
            problems.append(
                Problem("backdating_request_pending", _("Perheellä on jo hyväksyntää odottava takautuva kirjaus."))
            )
        if problems:
            raise DomainError(problems)
        request = BackdatingRequest(
            programme=programme,
            family=family,
            referral=referral,
            enrolled_on=enrolled_on,
            reason=reason.strip(),
            requested_by=actor if actor is not None and actor.is_authenticated else None,
        )
        request.full_clean()
        request.save()
        request.children.set(children)
        audit_record(
            actor=actor,
            event_type="backdating_request.created",
            obj=request,
            new={"programme": programme.pk, "family": family.pk, "enrolled_on": enrolled_on},
            reason=request.reason,
        )
    return request


def _programme_full(programme: Programme) -> bool:
    if programme.capacity is None:
        return False
    return Enrollment.objects.filter(programme=programme, status=EnrollmentStatus.ACTIVE).count() >= programme.capacity


def _capacity_problem(programme: Programme) -> Problem:
    return Problem(
        "capacity_full",
        _("Ohjelma on täynnä (%(capacity)s perhettä mukana).") % {"capacity": programme.capacity},
        {"capacity": programme.capacity},
    )


def enrollment_activate(*, actor: User | None, enrollment: Enrollment, activated_on: datetime.date) -> Enrollment:
    """Move a queued family into the programme: capacity, cutoff, window and consent are checked on the day it
    begins, as for any enrollment. The cohort (and so the outcome payment) counts the family from that day."""
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=enrollment.programme_id)
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.status != EnrollmentStatus.WAITLISTED:
            raise DomainError(Problem("not_waitlisted", _("Perhe ei ole jonossa.")))
        problems: list[Problem] = []
        if activated_on > _today():
            problems.append(Problem("date_in_future", _("Aloituspäivä ei voi olla tulevaisuudessa.")))
        if activated_on < enrollment.enrolled_on:
            problems.append(
                Problem("activation_before_queue", _("Aloituspäivä ei voi olla ennen jonoon merkitsemistä."))
            )
        if programme.enrollment_cutoff is not None and activated_on >= programme.enrollment_cutoff:
            problems.append(_cutoff_problem(programme))
        if not valid_participation_consent_exists(
            family=enrollment.family, programme_id=programme.pk, on_date=activated_on
        ):
            problems.append(
                Problem(
                    "consent_missing",
                    _(
                        "Huoltajan voimassa olevaa suostumusta ohjelmaan osallistumiseen ei ole kirjattu aloituspäivälle."
                    ),
                )
            )
        if _programme_full(programme):
            problems.append(_capacity_problem(programme))
        if problems:
            raise DomainError(problems, field_name="activated_on")
        enrollment.status, enrollment.activated_on = EnrollmentStatus.ACTIVE, activated_on
        enrollment._history_user = actor
        enrollment.save(update_fields=["status", "activated_on"])
        audit_record(
            actor=actor,
            event_type="enrollment.activated",
            obj=enrollment,
            old={"status": EnrollmentStatus.WAITLISTED},
            new={"status": EnrollmentStatus.ACTIVE, "activated_on": activated_on},
        )
        programme_data_changed(programme_ids=[programme.pk])
    return enrollment


def _is_backdated(programme: Programme, enrolled_on: datetime.date) -> bool:
    cutoff = programme.enrollment_cutoff
    return cutoff is not None and enrolled_on < cutoff <= _today()


def _already_enrolled_problem() -> Problem:
    return Problem("already_enrolled", _("Perhe on jo mukana tässä ohjelmassa."))


def _enrollment_problems(
    *,
    programme: Programme,
    family: Family,
    enrolled_on: datetime.date,
    children: list[Child],
    referral: Referral | None,
    backdating_approved_by: User | None,
    backdating_reason: str,
) -> list[Problem]:
    problems: list[Problem] = []
    if programme.municipality_id != family.municipality_id:
        problems.append(Problem("programme_other_municipality", _("Ohjelma on toisen kunnan ohjelma.")))
    if enrolled_on > _today():
        problems.append(Problem("date_in_future", _("Mukaantulopäivä ei voi olla tulevaisuudessa.")))
    if enrolled_on < programme.enrollment_opens:
        problems.append(
            Problem(
                "enrollment_not_open",
                _("Ohjelmaan otetaan perheitä vasta %(date)s alkaen.")
                % {"date": date_format(programme.enrollment_opens)},
            )
        )
    cutoff = programme.enrollment_cutoff
    if cutoff is not None and enrolled_on >= cutoff:
        problems.append(_cutoff_problem(programme))
    elif _is_backdated(programme, enrolled_on):
        if backdating_approved_by is None or not backdating_reason.strip():
            problems.append(
                Problem(
                    "backdating_requires_approval",
                    _(
                        "Ohjelman uusien perheiden ottaminen päättyi %(cutoff)s. Ennen sitä päivätty kirjaus tehdään "
                        "nyt jälkikäteen, joten se vaatii koordinaattorin hyväksynnän ja kirjallisen perustelun."
                    )
                    % {"cutoff": date_format(cutoff)},
                    {"cutoff": cutoff.isoformat()},
                )
            )
        elif not (
            backdating_approved_by.is_superuser
            or backdating_approved_by.role == Role.ADMIN
            or (
                backdating_approved_by.role == Role.COORDINATOR
                and backdating_approved_by.programmes.filter(pk=programme.pk).exists()
            )
        ):
            problems.append(
                Problem(
                    "backdating_approver_not_coordinator",
                    _("Takautuvan kirjauksen voi hyväksyä vain ohjelman koordinaattori."),
                )
            )
    if not valid_participation_consent_exists(family=family, programme_id=programme.pk, on_date=enrolled_on):
        problems.append(
            Problem(
                "consent_missing",
                _(
                    "Huoltajan voimassa olevaa suostumusta ohjelmaan osallistumiseen ei ole kirjattu mukaantulopäivälle."
                ),
            )
        )
    if Enrollment.objects.filter(
        programme=programme, family=family, status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED]
    ).exists():
        problems.append(_already_enrolled_problem())
    if not children:
        problems.append(Problem("no_children", _("Valitse vähintään yksi lapsi.")))
    elif any(child.family_id != family.pk for child in children):
        problems.append(Problem("child_not_in_family", _("Lapsi ei kuulu tähän perheeseen.")))
    if referral is not None and (referral.family_id != family.pk or referral.programme_id != programme.pk):
        problems.append(Problem("referral_mismatch", _("Ohjaus koskee toista perhettä tai ohjelmaa.")))
    problems.extend(
        _eligibility_problems(programme=programme, family=family, referral=referral, enrolled_on=enrolled_on)
    )
    return problems


def _eligibility_problems(
    *, programme: Programme, family: Family, referral: Referral | None, enrolled_on: datetime.date
) -> list[Problem]:
    """The programme's eligibility rules, judged on the referral date (the enrollment date if there is none)."""
    if referral is None:
        referral = Referral.objects.filter(family=family, programme=programme).order_by("-referred_on", "-id").first()
    result = eligibility_evaluate(
        programme=programme, family=family, on_date=referral.referred_on if referral else enrolled_on
    )
    failing = [reason for reason in result.reasons if reason.verdict == result.verdict]
    details = {"rules": [{"kind": r.kind, "verdict": r.verdict, **r.messages_by_language} for r in result.reasons]}
    if result.verdict == "fail":
        return [
            Problem(
                "not_eligible",
                _("Perhe ei täytä ohjelman ehtoja: %(reasons)s") % {"reasons": " ".join(r.message for r in failing)},
                details,
            )
        ]
    if result.verdict == "unknown":
        return [
            Problem(
                "eligibility_unknown",
                _("Kelpoisuutta ei voida ratkaista, kirjaa puuttuvat tiedot: %(reasons)s")
                % {"reasons": " ".join(r.message for r in failing)},
                details,
            )
        ]
    return []


def _cutoff_problem(programme: Programme) -> Problem:
    cutoff = programme.enrollment_cutoff
    decision = ""
    if programme.cutoff_decision_body:
        decision = _(" (%(body)s, päätös %(date)s)") % {
            "body": programme.cutoff_decision_body,
            "date": date_format(programme.cutoff_decision_date) if programme.cutoff_decision_date else "",
        }
    return Problem(
        "enrollment_closed",
        _("Ohjelmaan ei oteta uusia perheitä %(cutoff)s alkaen%(decision)s.")
        % {"cutoff": date_format(cutoff), "decision": decision},
        {"cutoff": cutoff.isoformat(), "decision_body": programme.cutoff_decision_body},
    )


def enrollment_exit(
    *, actor: User | None, enrollment: Enrollment, exit_date: datetime.date, reason: str, note: str = ""
) -> Enrollment:
    _refuse_future(exit_date, "exit_date", _("Päättymispäivä"))
    if reason not in ExitReason.values:
        raise DomainError(Problem("invalid_exit_reason", _("Valitse päättymisen syy.")), field_name="reason")
    with transaction.atomic():
        enrollment = Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        if enrollment.status == EnrollmentStatus.EXITED:
            raise DomainError(Problem("already_exited", _("Osallistuminen on jo päättynyt.")))
        if exit_date < (enrollment.activated_on or enrollment.enrolled_on):
            raise DomainError(
                Problem("exit_before_enrollment", _("Päättymispäivä ei voi olla ennen mukaantulopäivää.")),
                field_name="exit_date",
            )
        old_status = enrollment.status
        enrollment.status = EnrollmentStatus.EXITED
        enrollment.exit_date = exit_date
        enrollment.exit_reason = reason
        enrollment.exit_note = note.strip()
        enrollment._history_user = actor
        enrollment._change_reason = enrollment.exit_note
        enrollment.save(update_fields=["status", "exit_date", "exit_reason", "exit_note"])
        audit_record(
            actor=actor,
            event_type="enrollment.exited",
            obj=enrollment,
            old={"status": old_status},
            new={"status": enrollment.status, "exit_date": exit_date, "exit_reason": reason},
        )
        programme_data_changed(programme_ids=[enrollment.programme_id])
        # Episodes do not outlive the participation: they stayed "Käynnissä" after an exit (issue 11).
        episodes_close_for_enrollment(actor=actor, enrollment=enrollment, end_date=exit_date)
        retention_set_on_close(family_id=enrollment.family_id)
    return enrollment


@dataclass
class ImportRowResult:
    row: int
    ok: bool
    messages: list[str]


class _ImportFailed(Exception):
    pass


def enrollments_import(
    *, actor: User | None, rows: Iterable[dict[str, str]], approved_by: User | None = None
) -> list[ImportRowResult]:
    """Enroll families listed in a file (family_reference, programme_code, enrolled_on, backdating_reason).

    Every row goes through `enrollment_create`. All or nothing: one bad row and no row is saved.
    """
    results: list[ImportRowResult] = []
    try:
        with transaction.atomic():
            for number, row in enumerate(rows, start=2):  # row 1 is the header
                results.append(_import_row(actor=actor, number=number, row=row, approved_by=approved_by))
            if not all(result.ok for result in results):
                raise _ImportFailed
    except _ImportFailed:
        pass
    return results


def _import_row(*, actor: User | None, number: int, row: dict[str, str], approved_by: User | None) -> ImportRowResult:
    family = Family.objects.filter(reference=(row.get("family_reference") or "").strip()).first()
    programme = Programme.objects.filter(code=(row.get("programme_code") or "").strip()).first()
    try:
        enrolled_on = datetime.date.fromisoformat((row.get("enrolled_on") or "").strip())
    except ValueError:
        enrolled_on = None
    missing = [
        message
        for present, message in [
            (family, _("tuntematon perhetunnus")),
            (programme, _("tuntematon ohjelma")),
            (enrolled_on, _("päivämäärä ei ole muotoa VVVV-KK-PP")),
        ]
        if not present
    ]
    if missing:
        return ImportRowResult(number, False, [str(m) for m in missing])
    reason = (row.get("backdating_reason") or "").strip()
    try:
        with transaction.atomic():
            enrollment_create(
                actor=actor,
                programme=programme,
                family=family,
                enrolled_on=enrolled_on,
                backdating_approved_by=approved_by if reason else None,
                backdating_reason=reason,
            )
    except DomainError as exc:
        return ImportRowResult(number, False, [f"{p.code}: {p.message}" for p in exc.problems])
    return ImportRowResult(number, True, [])

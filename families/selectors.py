"""Reads of families and the people in them, always scoped to what the user may see."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Now
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from rest_framework.settings import api_settings
from rest_framework.throttling import UserRateThrottle

from outcomes.models import ServiceEpisode, ServiceNeedsAssessment
from payments.models import PaymentStatement, StatementCohortEntry, StatementObservation, StatementStatus
from programs.models import Programme
from sibcase.audit import access_log_record
from sibcase.errors import DomainError, Problem
from sibcase.jsonrows import Shape, instances, prefetched, rows
from sibcase.models import AccessAction, Role, User

from .family_page import FamilyRecords, eligibility_inputs, family_records
from .identity import mask_identity_code, normalize_identity_code
from .models import (
    AssignmentRole,
    BreakGlassGrant,
    CaseAssignment,
    CaseTask,
    Child,
    Consent,
    ConsentScope,
    Enrollment,
    EnrollmentStatus,
    Family,
    FamilyTransfer,
    Guardian,
    Referral,
    TransferStatus,
)

# An enrollment as the lists show it: with its programme.
CASELOAD_ENROLLMENT = Shape(Enrollment, related={"programme": Shape(Programme)})


def families_visible_to(user: User) -> QuerySet[Family]:
    """The one place that decides whose families a user may see (object-level access, ASVS 8.2.2 / 8.4.1)."""
    families = Family.objects.all()
    today = timezone.localdate()
    if not user.is_authenticated:
        return families.none()
    if user.is_superuser or user.role == Role.ADMIN:
        return families
    if user.role == Role.SOCIAL_WORKER:
        own = Q(municipality_id=user.municipality_id)
        # Break-glass: a family outside the municipality, opened with a stated reason, until the grant expires.
        granted = Q(Exists(BreakGlassGrant.objects.filter(user=user, family=OuterRef("pk"), expires_at__gt=Now())))
        return families.filter(own | granted)
    if user.role == Role.COORDINATOR:
        # Families referred to or enrolled in the coordinator's own programmes.
        programme_ids = user.programmes.values("id")
        return families.filter(
            Q(Exists(Enrollment.objects.filter(family=OuterRef("pk"), programme_id__in=programme_ids)))
            | Q(Exists(Referral.objects.filter(family=OuterRef("pk"), programme_id__in=programme_ids)))
        )
    if user.role == Role.PROVIDER_WORKER:
        # Only while a guardian's consent to disclosure to the provider is valid for the episode's programme.
        sharing = (
            Consent.objects.current()
            .filter(
                family=OuterRef("family_id"),
                programme_id=OuterRef("enrollment__programme_id"),
                scope=ConsentScope.PROVIDER_SHARING,
                given_on__lte=today,
            )
            .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=today))
        )
        return families.filter(
            Exists(
                ServiceEpisode.objects.filter(family=OuterRef("pk"), provider_id=user.provider_id).filter(
                    Exists(sharing)
                )
            )
        )
    # Evaluators and fund managers never see a family through these pages.
    return families.none()


def family_get_for_user(*, user: User, pk: int) -> Family:
    """A family the user may see, or 404: another municipality's id looks exactly like a missing one."""
    try:
        return families_visible_to(user).select_related("municipality").get(pk=pk)
    except (Family.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def identity_code_owner(identity_code: str) -> Child | Guardian | None:
    """The person already registered with this code, whichever family they are in (duplicate detection)."""
    return (
        Child.objects.select_related("family").filter(identity_code=identity_code).first()
        or Guardian.objects.select_related("family").filter(identity_code=identity_code).first()
    )


def valid_participation_consent_exists(*, family: Family, programme_id: int, on_date) -> bool:
    return (
        Consent.objects.current()
        .filter(
            family=family,
            programme_id=programme_id,
            scope=ConsentScope.PARTICIPATION,
            given_on__lte=on_date,
        )
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on_date))
        .exists()
    )


def consent_withdrawn_on(
    *, family_id: int, programme_id: int, scope: str, on_date: datetime.date
) -> datetime.date | None:
    """The day a consent of this scope was withdrawn, if it was withdrawn on or before `on_date` and no consent of
    the scope is valid on that day; None otherwise (also when no consent was ever recorded: the enrollment rules
    decide that). Processing that rests on the consent is restricted from the withdrawal day on."""
    consents = Consent.objects.current().filter(family_id=family_id, programme_id=programme_id, scope=scope)
    valid = consents.filter(given_on__lte=on_date).filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on_date))
    if valid.exists():
        return None
    return (
        consents.filter(withdrawn_on__isnull=False, withdrawn_on__lte=on_date)
        .order_by("-withdrawn_on")
        .values_list("withdrawn_on", flat=True)
        .first()
    )


def open_enrollment_count(*, programme_id: int) -> int:
    return Enrollment.objects.filter(programme_id=programme_id, status=EnrollmentStatus.ACTIVE).count()


def family_search(
    *, user: User, text: str = "", programme_id: int | None = None, status: str = "", district: str = ""
) -> QuerySet[Family]:
    """The family list: scoped, filtered, with what a row shows loaded in a fixed number of queries."""
    families = families_visible_to(user).select_related("municipality")
    text = text.strip()
    if text:
        # Subqueries rather than joins: each is served by its own index (migration 0003) and no DISTINCT is needed.
        names = Q(last_name__icontains=text) | Q(first_names__icontains=text)
        families = families.filter(
            Q(reference__iexact=text)
            | Q(pk__in=Child.objects.filter(names).values("family_id"))
            | Q(pk__in=Guardian.objects.filter(names).values("family_id"))
        )
    # Programme and status apply to the same enrollment; "none": no enrollment (in the programme, if one is chosen).
    enrollments = Enrollment.objects.filter(family=OuterRef("pk"))
    if programme_id:
        enrollments = enrollments.filter(programme_id=programme_id)
    if status == "none":
        families = families.filter(~Exists(enrollments))
    elif status:
        families = families.filter(Exists(enrollments.filter(status=status)))
    elif programme_id:
        families = families.filter(Exists(enrollments))
    if district:
        families = families.filter(district__iexact=district.strip())
    # What a row shows as JSON arrays of the same query (family_rows_load() turns them into the related sets).
    return families.order_by("reference").annotate(
        child_rows=rows(Child.objects.filter(family=OuterRef("pk")).order_by("birth_date", "id"), Shape(Child)),
        guardian_rows=rows(
            Guardian.objects.filter(family=OuterRef("pk")).order_by("last_name", "first_names", "id"), Shape(Guardian)
        ),
        enrollment_rows=rows(
            Enrollment.objects.filter(family=OuterRef("pk")).order_by("-enrolled_on", "-id"), CASELOAD_ENROLLMENT
        ),
    )


def family_rows_load(families: Iterable[Family]) -> list[Family]:
    """The page of `family_search` with each family's children, guardians and enrollments set as if prefetched."""
    families = list(families)
    for family in families:
        prefetched(family, "children", instances(Shape(Child), family.child_rows))
        prefetched(family, "guardians", instances(Shape(Guardian), family.guardian_rows))
        prefetched(family, "enrollments", instances(CASELOAD_ENROLLMENT, family.enrollment_rows))
    return families


@dataclass(frozen=True)
class KnownIdentityCode:
    """An identity code already registered to a person in a family the user may see."""

    family: Family


@dataclass(frozen=True)
class IdentityCodeLookup:
    """What a lookup may tell the user: the visible family of a known code, or nothing.

    `known_elsewhere` is for the caller's control flow only (a registration with such a code cannot be saved) and
    must never change what the user is told before the registration would otherwise have succeeded."""

    visible: KnownIdentityCode | None
    known_elsewhere: bool


class IdentityCodeLookupThrottle(UserRateThrottle):
    """Per-user rate of identity-code lookups (scope ``identity_code_lookup``), pages and API alike."""

    scope = "identity_code_lookup"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]


IDENTITY_LOOKUP_BASIS = "asiakassuhde: henkilötunnushaku (päällekkäisyyden tarkistus tai haku)"


def identity_code_lookup(*, request, identity_codes: Iterable[str]) -> IdentityCodeLookup:
    """The one door to "is this identity code known?" (duplicate check of a registration, search by code).

    Rate-limited per user (DomainError `identity_code_lookups_exceeded`), and every code looked up is a row in the
    access log: the owner's family and person when the code is known (so the person's own log shows who looked them
    up), nothing otherwise; never the code. A code known only outside the user's scope answers like an unknown one.
    """
    codes = list(dict.fromkeys(normalize_identity_code(code) for code in identity_codes))
    throttle = IdentityCodeLookupThrottle()
    if not throttle.allow_request(request, None):
        raise DomainError(
            Problem(
                "identity_code_lookups_exceeded",
                _("Liian monta henkilötunnushakua. Yritä uudelleen minuutin kuluttua."),
            ),
            field_name="identity_code",
        )
    visible_ids = set()
    owners = [identity_code_owner(code) for code in codes]
    family_ids = {owner.family_id for owner in owners if owner is not None}
    if family_ids:
        visible_ids = set(families_visible_to(request.user).filter(pk__in=family_ids).values_list("pk", flat=True))
    visible: KnownIdentityCode | None = None
    known_elsewhere = False
    with transaction.atomic():
        for owner in owners:
            access_log_record(
                user=request.user,
                action=AccessAction.LOOKUP,
                basis=IDENTITY_LOOKUP_BASIS,
                family_id=owner.family_id if owner is not None else None,
                person=owner,
                path=request.path,
            )
            if owner is None:
                continue
            if owner.family_id in visible_ids:
                visible = visible or KnownIdentityCode(family=owner.family)
            else:
                known_elsewhere = True
    return IdentityCodeLookup(visible=visible, known_elsewhere=known_elsewhere)


CASELOAD_LIMIT = 50


@dataclass(frozen=True)
class Caseload:
    families: list[Family]
    total: int


CASELOAD_SORTS = {
    "enrolled": ("-last_enrolled", "reference"),
    "reference": ("reference",),
    "name": ("first_child_name", "reference"),
}


# The caseload's SQL is composed and compiled once per process for each shape of request (the user's role, the
# filters used, the sort): composing its JSON columns took two thirds of the query's time on the social worker's home
# page. Stand-in values mark the user's own; they are swapped for the real ones at each call.
_USER_ID, _MUNICIPALITY_ID, _PROGRAMME_ID = -7_000_000_011, -7_000_000_012, -7_000_000_013
_ASSIGNMENT_ROLE = "caseload-assignment-role-stand-in"


def caseload_for_worker(
    *,
    user: User,
    limit: int = CASELOAD_LIMIT,
    sort: str = "enrolled",
    programme_id: int | None = None,
    role: str = "",
) -> Caseload:
    """The worker's own families with an open enrollment (those the worker is assigned to, as the responsible
    worker or a deputy), each with its next steps; most recently enrolled first, at most `limit` (the family list
    has the rest)."""
    sql, params = _caseload_sql(
        user_role=user.role,
        is_superuser=user.is_superuser,
        sort=sort if sort in CASELOAD_SORTS else "enrolled",
        by_programme=bool(programme_id),
        by_role=bool(role),
        limit=limit,
        today=timezone.localdate(),  # a date in the visibility rule would otherwise stay the first day's
    )
    own = {
        _USER_ID: user.pk,
        _MUNICIPALITY_ID: user.municipality_id,
        _PROGRAMME_ID: programme_id,
        _ASSIGNMENT_ROLE: role,
    }
    shown = list(Family.objects.raw(sql, [own.get(p, p) if isinstance(p, int | str) else p for p in params]))
    for family in shown:
        family.open_enrollments = instances(CASELOAD_ENROLLMENT, family.open_enrollment_rows)
        prefetched(family, "children", instances(Shape(Child), family.child_rows))
        family.my_assignments = instances(Shape(CaseAssignment), family.my_assignment_rows)
    return Caseload(families=shown, total=shown[0].total if shown else 0)


@functools.lru_cache(maxsize=64)
def _caseload_sql(
    *,
    user_role: str,
    is_superuser: bool,
    sort: str,
    by_programme: bool,
    by_role: bool,
    limit: int,
    today: datetime.date,
) -> tuple[str, tuple]:
    stand_in = User(pk=_USER_ID, role=user_role, is_superuser=is_superuser, municipality_id=_MUNICIPALITY_ID)
    queryset = _caseload_queryset(
        user=stand_in,
        sort=sort,
        programme_id=_PROGRAMME_ID if by_programme else None,
        role=_ASSIGNMENT_ROLE if by_role else "",
    )
    sql, params = queryset[:limit].query.sql_with_params()
    return sql, tuple(params)


def _caseload_queryset(*, user: User, sort: str, programme_id: int | None, role: str) -> QuerySet[Family]:
    open_statuses = [EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED]
    mine = CaseAssignment.objects.filter(family=OuterRef("pk"), worker=user, ended_at__isnull=True)
    if role:
        mine = mine.filter(role=role)
    own = Q(Exists(mine))
    open_enrollments = Enrollment.objects.filter(family=OuterRef("pk"), status__in=open_statuses)
    if programme_id:
        open_enrollments = open_enrollments.filter(programme_id=programme_id)
    return (
        families_visible_to(user)
        .filter(own)
        .filter(Exists(open_enrollments))
        .annotate(
            first_child_name=Subquery(
                Child.objects.filter(family=OuterRef("pk")).order_by("last_name", "first_names").values("last_name")[:1]
            ),
            has_assessment=Exists(ServiceNeedsAssessment.objects.filter(family=OuterRef("pk"))),
            has_episode=Exists(ServiceEpisode.objects.filter(family=OuterRef("pk"))),
            last_enrolled=Subquery(
                Enrollment.objects.filter(family=OuterRef("pk"), status__in=open_statuses)
                .order_by("-enrolled_on")
                .values("enrolled_on")[:1]
            ),
        )
        # The rows each family shows as JSON arrays and the total by a window count: the caseload is one query.
        .annotate(
            open_enrollment_rows=rows(
                Enrollment.objects.filter(family=OuterRef("pk"), status__in=open_statuses).order_by("-enrolled_on"),
                CASELOAD_ENROLLMENT,
            ),
            child_rows=rows(Child.objects.filter(family=OuterRef("pk")).order_by("birth_date", "id"), Shape(Child)),
            my_assignment_rows=rows(
                CaseAssignment.objects.filter(family=OuterRef("pk"), worker=user, ended_at__isnull=True),
                Shape(CaseAssignment),
            ),
            total=Window(Count("pk")),
        )
        .order_by(*CASELOAD_SORTS[sort])
    )


# What a correction shows on the timeline, per model: the fields a worker may correct (families.corrections,
# outcomes.services.assessment_correct). Identity codes are shown masked, as everywhere outside the person's page.
CORRECTION_FIELDS = {
    Family: ("postal_code", "district", "service_language"),
    Child: ("first_names", "last_name", "identity_code"),
    Guardian: ("first_names", "last_name", "identity_code", "employment_status", "phone", "email"),
    Consent: ("guardian", "scope", "given_on", "voided_at"),
    ServiceNeedsAssessment: ("child", "started_on", "completed_on", "summary"),
}


def _shown(model, name: str, value) -> str:
    field = model._meta.get_field(name)
    if name == "identity_code":
        return mask_identity_code(value) or "–"
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATE_FORMAT")
    if isinstance(value, datetime.date):
        return date_format(value, "SHORT_DATE_FORMAT")
    return str(value) if value not in (None, "") else "–"


def _subject(model, row) -> str:
    if model is Consent:
        return _("suostumus (%(scope)s)") % {"scope": row.get_scope_display()}
    if model in (Child, Guardian):
        return f"{row.first_names} {row.last_name}"
    return str(model._meta.verbose_name)


def _correction_events(history: dict[type, list]) -> list[TimelineEvent]:
    """Corrections of the family, its people, consents and assessments from their history rows (read with the
    family's records): each shows the old and new value of every changed field, who corrected and why."""
    events = []
    for model, history_rows in history.items():
        fields = CORRECTION_FIELDS[model]
        previous: dict[int, object] = {}
        for row in history_rows:
            before = previous.get(row.id)
            previous[row.id] = row
            if before is None or row.history_type != "~":
                continue
            changes = [
                f"{model._meta.get_field(name).verbose_name}: {_shown_value(model, name, before)} → "
                f"{_shown_value(model, name, row)}"
                for name in fields
                if _raw(model, name, before) != _raw(model, name, row)
            ]
            if not changes:
                continue
            who = _worker_name(row.history_user) if row.history_user else ""
            if model is Consent and row.voided_at and not before.voided_at:
                title = _("Suostumus mitätöity (kirjattu virheellisesti): %(scope)s") % {
                    "scope": row.get_scope_display()
                }
                changes = [f"{row.guardian} – {_shown(Consent, 'given_on', row.given_on)}"]
            else:
                title = _("Korjaus: %(subject)s") % {"subject": _subject(model, row)}
            events.append(
                TimelineEvent(
                    timezone.localdate(row.history_date),
                    "correction",
                    title,
                    "; ".join(changes)
                    + (
                        _(" – syy: %(reason)s") % {"reason": row.history_change_reason}
                        if row.history_change_reason
                        else ""
                    )
                    + (f" ({who})" if who else ""),
                )
            )
    return events


def _raw(model, name: str, row):
    field = model._meta.get_field(name)
    return getattr(row, field.attname) if field.is_relation else getattr(row, name)


def _shown_value(model, name: str, row) -> str:
    if model._meta.get_field(name).is_relation:
        related = getattr(row, name)
        return str(related) if related is not None else "–"
    return _shown(model, name, getattr(row, name))


def _worker_name(user: User) -> str:
    return user.get_full_name() or user.username


@dataclass(frozen=True)
class TimelineEvent:
    day: datetime.date
    kind: str
    title: str
    detail: str = ""


def family_timeline(
    *, family: Family, provider_id: int | None = None, records: FamilyRecords | None = None
) -> list[TimelineEvent]:
    """Everything that happened to a family, newest first, from its records (read in one query when not given).

    `provider_id` narrows the view to what a service provider's worker may see: their own episodes and visits.
    """
    if records is None:
        records = family_records(family=family, provider_id=provider_id)
    events: list[TimelineEvent] = []
    episodes, visits = records.episodes, records.visits
    if provider_id is None:
        for referral in records.referrals:
            events.append(
                TimelineEvent(
                    referral.referred_on,
                    "referral",
                    _("Ohjaus: %(programme)s") % {"programme": referral.programme},
                    f"{referral.get_source_display()} – {referral.reason}",
                )
            )
        for consent in records.consents:
            events.append(
                TimelineEvent(
                    consent.given_on,
                    "consent",
                    _("Suostumus annettu: %(scope)s") % {"scope": consent.get_scope_display()},
                    f"{consent.guardian} – {consent.programme}"
                    + (_(" (mitätöity: kirjattu virheellisesti)") if consent.voided_at else ""),
                )
            )
            if consent.withdrawn_on:
                events.append(
                    TimelineEvent(
                        consent.withdrawn_on,
                        "consent_withdrawn",
                        _("Suostumus peruttu: %(scope)s") % {"scope": consent.get_scope_display()},
                        f"{consent.guardian} – {consent.programme}",
                    )
                )
        for assessment in records.assessments:
            events.append(
                TimelineEvent(assessment.started_on, "assessment", _("Palvelutarpeen arvio"), assessment.summary)
            )
        for observation in records.observations:
            events.append(
                TimelineEvent(
                    observation.period_start,
                    "observation",
                    _("Tulostieto: %(metric)s") % {"metric": observation.metric},
                    f"{observation.child.first_names}: {observation.value} ({observation.period_start}–{observation.period_end})",
                )
            )
        events.extend(_correction_events(records.history))
        for assignment in records.assignments:
            events.append(
                TimelineEvent(
                    timezone.localdate(assignment.started_at),
                    "assignment",
                    _("%(role)s: %(worker)s")
                    % {"role": assignment.get_role_display(), "worker": _worker_name(assignment.worker)},
                    assignment.note,
                )
            )
            if assignment.ended_at:
                events.append(
                    TimelineEvent(
                        timezone.localdate(assignment.ended_at),
                        "assignment_end",
                        _("%(role)s päättyi: %(worker)s")
                        % {"role": assignment.get_role_display(), "worker": _worker_name(assignment.worker)},
                        assignment.end_note,
                    )
                )
        for transfer in records.transfers:
            route = f"{transfer.from_municipality} → {transfer.to_municipality}"
            events.append(
                TimelineEvent(
                    timezone.localdate(transfer.requested_at),
                    "transfer",
                    _("Kuntasiirtoa pyydettiin: %(route)s") % {"route": route},
                    f"{transfer.note} ({_worker_name(transfer.requested_by)})",
                )
            )
            if transfer.decided_at:
                title = (
                    _("Kuntasiirto hyväksyttiin: %(route)s")
                    if transfer.status == TransferStatus.ACCEPTED
                    else _("Kuntasiirtoa ei hyväksytty: %(route)s")
                )
                events.append(
                    TimelineEvent(
                        timezone.localdate(transfer.decided_at),
                        "transfer_decided",
                        title % {"route": route},
                        " ".join(filter(None, [transfer.decision_note, f"({_worker_name(transfer.decided_by)})"])),
                    )
                )
            if transfer.cancelled_at:
                events.append(
                    TimelineEvent(
                        timezone.localdate(transfer.cancelled_at),
                        "transfer_cancelled",
                        _("Kuntasiirtopyyntö peruttiin: %(route)s") % {"route": route},
                        " ".join(filter(None, [transfer.cancel_note, f"({_worker_name(transfer.cancelled_by)})"])),
                    )
                )
        for enrollment in records.enrollments:
            events.append(
                TimelineEvent(
                    enrollment.enrolled_on,
                    "enrollment",
                    _("Mukaan ohjelmaan: %(programme)s") % {"programme": enrollment.programme},
                    enrollment.get_status_display(),
                )
            )
            if enrollment.exit_date:
                events.append(
                    TimelineEvent(
                        enrollment.exit_date,
                        "exit",
                        _("Osallistuminen päättyi: %(programme)s") % {"programme": enrollment.programme},
                        enrollment.get_exit_reason_display(),
                    )
                )
    for episode in episodes:
        events.append(
            TimelineEvent(
                episode.start_date,
                "episode",
                _("Palvelujakso alkoi: %(service)s") % {"service": episode.service},
                episode.child.first_names if episode.child else "",
            )
        )
        if episode.end_date:
            events.append(
                TimelineEvent(
                    episode.end_date,
                    "episode_end",
                    _("Palvelujakso päättyi: %(service)s") % {"service": episode.service},
                )
            )
    for visit in visits:
        events.append(
            TimelineEvent(
                visit.visited_on,
                "visit",
                _("Tapaaminen: %(service)s") % {"service": visit.episode.service},
                _("%(minutes)s min") % {"minutes": visit.duration_minutes},
            )
        )
    return sorted(events, key=lambda event: event.day, reverse=True)


def eligibility_for_family(*, family: Family, programmes: QuerySet, records: FamilyRecords | None = None) -> list[dict]:
    """The eligibility verdict of each programme the family is referred to: the one place pages ask for it. With
    the family's `records` already read, the programmes' rules, areas and places taken are read in one query."""
    from programs.services import eligibility_evaluate, eligibility_evaluate_loaded

    if records is not None:
        latest: dict[int, Referral] = {}
        for referral in records.referrals:  # newest first
            latest.setdefault(referral.programme_id, referral)
        verdicts = []
        for inputs in eligibility_inputs(programmes=programmes, programme_ids=set(latest)):
            referral = latest[inputs.programme.pk]
            verdicts.append(
                {
                    "programme": inputs.programme,
                    "result": eligibility_evaluate_loaded(
                        programme=inputs.programme,
                        family=family,
                        children=records.children,
                        rules=inputs.rules,
                        codes=inputs.codes,
                        latest_referral=referral,
                        active=inputs.active,
                        on_date=referral.referred_on,
                    ),
                }
            )
        order = list(latest)
        return sorted(verdicts, key=lambda item: order.index(item["programme"].pk))
    referrals = Referral.objects.filter(family=family, programme__in=programmes).select_related("programme")
    seen: dict[int, dict] = {}
    for referral in referrals:
        if referral.programme_id not in seen:
            seen[referral.programme_id] = {
                "programme": referral.programme,
                "result": eligibility_evaluate(
                    programme=referral.programme, family=family, on_date=referral.referred_on
                ),
            }
    return list(seen.values())


def assignable_workers(*, family: Family) -> QuerySet[User]:
    """Social workers who may be named to the family's case: active, of the family's municipality."""
    return User.objects.filter(
        is_active=True, role=Role.SOCIAL_WORKER, municipality_id=family.municipality_id
    ).order_by("last_name", "first_name", "username")


def responsible_worker(*, family: Family) -> User | None:
    assignment = (
        CaseAssignment.objects.filter(family=family, role=AssignmentRole.RESPONSIBLE, ended_at__isnull=True)
        .select_related("worker")
        .first()
    )
    return assignment.worker if assignment else None


TASK_LOOKAHEAD_DAYS = 14


@dataclass(frozen=True)
class DueTasks:
    overdue: list[CaseTask]
    today: list[CaseTask]
    upcoming: list[CaseTask]

    def __iter__(self):
        return iter((self.overdue, self.today, self.upcoming))


def tasks_due_for_worker(*, user: User, today: datetime.date | None = None) -> DueTasks:
    """Open tasks of the families the worker is assigned to (responsible or deputy), overdue, due today and due
    within two weeks, in one query."""
    today = today or timezone.localdate()
    mine = CaseAssignment.objects.filter(family=OuterRef("family_id"), worker=user, ended_at__isnull=True)
    tasks = list(
        CaseTask.objects.filter(done_at__isnull=True, due_on__lte=today + datetime.timedelta(days=TASK_LOOKAHEAD_DAYS))
        .filter(Exists(mine), family__in=families_visible_to(user))
        .select_related("family", "child", "enrollment__programme")
        .order_by("due_on", "id")
    )
    return DueTasks(
        overdue=[t for t in tasks if t.due_on < today],
        today=[t for t in tasks if t.due_on == today],
        upcoming=[t for t in tasks if t.due_on > today],
    )


def task_get_for_user(*, user: User, pk: int) -> CaseTask:
    try:
        return CaseTask.objects.select_related("family").get(pk=pk, family__in=families_visible_to(user))
    except (CaseTask.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


SIGNED_STATUSES = (StatementStatus.VALIDATED, StatementStatus.APPROVED, StatementStatus.PAID)


def signed_statements_touching(
    *, child_ids: Iterable[int] = (), observation_ids: Iterable[int] = ()
) -> list[PaymentStatement]:
    """Validated, approved or paid payment statements whose frozen inputs include these children or observations:
    a correction of such data says so (the statement keeps its inputs; the next one carries the adjustment)."""
    child_ids, observation_ids = list(child_ids), list(observation_ids)
    if not child_ids and not observation_ids:
        return []
    touching = Q(pk__in=StatementCohortEntry.objects.filter(child_id__in=child_ids).values("statement_id")) | Q(
        pk__in=StatementObservation.objects.filter(
            Q(observation_id__in=observation_ids) | Q(child_id__in=child_ids)
        ).values("statement_id")
    )
    return list(
        PaymentStatement.objects.filter(touching, status__in=SIGNED_STATUSES)
        .select_related("programme")
        .order_by("period_start", "id")
    )


# Transfers to another municipality (kuntasiirto; writes in families.transfers) ---------------------------------


def transfer_consent_valid(*, family_id: int, on_date: datetime.date) -> bool:
    """A guardian's consent to hand the record to the new home municipality is valid on the day (any programme of
    the family: the consent is about the family's data, not a programme's service)."""
    return (
        Consent.objects.current()
        .filter(family_id=family_id, scope=ConsentScope.MUNICIPALITY_TRANSFER, given_on__lte=on_date)
        .filter(Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=on_date))
        .exists()
    )


def transfer_deciding_municipality_ids(user: User) -> QuerySet | list[int]:
    """The municipalities whose incoming transfers the user decides: a social worker's own, a coordinator's
    programmes' municipalities. Admins and other roles decide none (the receiving municipality decides)."""
    if not user.is_authenticated:
        return []
    if user.role == Role.SOCIAL_WORKER and user.municipality_id:
        return [user.municipality_id]
    if user.role == Role.COORDINATOR:
        return user.programmes.values_list("municipality_id", flat=True)
    return []


def transfers_incoming_for(*, user: User) -> QuerySet[FamilyTransfer]:
    """Open transfers to the user's municipality, with only what is needed to decide: the family reference, the
    number of children, the sending municipality, the requester and the note. Never the record itself."""
    return (
        FamilyTransfer.objects.filter(
            status=TransferStatus.REQUESTED, to_municipality_id__in=transfer_deciding_municipality_ids(user)
        )
        .exclude(requested_by=user)
        .select_related("family", "from_municipality", "to_municipality", "requested_by")
        .annotate(child_count=Count("family__children"))
        .order_by("requested_at", "id")
    )


def transfers_incoming_count(*, user: User) -> int:
    """How many transfer requests wait for the user's municipality's answer (the home page's link says it)."""
    return (
        FamilyTransfer.objects.filter(
            status=TransferStatus.REQUESTED, to_municipality_id__in=transfer_deciding_municipality_ids(user)
        )
        .exclude(requested_by=user)
        .count()
    )


def transfers_outgoing_for(*, user: User) -> QuerySet[FamilyTransfer]:
    """Open transfers of families the user may see (the sending side's view of what waits for an answer)."""
    return (
        FamilyTransfer.objects.filter(status=TransferStatus.REQUESTED, family__in=families_visible_to(user))
        .select_related("family", "from_municipality", "to_municipality", "requested_by")
        .order_by("requested_at", "id")
    )


def transfer_get_incoming(*, user: User, pk: int) -> FamilyTransfer:
    """An open transfer the user may decide, or 404."""
    try:
        return transfers_incoming_for(user=user).get(pk=pk)
    except (FamilyTransfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def transfer_get_outgoing(*, user: User, pk: int) -> FamilyTransfer:
    """An open transfer of a family the user may see (the sending side), or 404."""
    try:
        return transfers_outgoing_for(user=user).get(pk=pk)
    except (FamilyTransfer.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def family_open_transfer(*, family: Family) -> FamilyTransfer | None:
    return (
        FamilyTransfer.objects.filter(family=family, status=TransferStatus.REQUESTED)
        .select_related("to_municipality", "requested_by")
        .first()
    )


def transfer_enrollments_to_end(*, family: Family) -> list[Enrollment]:
    """Open enrollments in the family's present municipality's programmes: they end when a transfer is accepted
    (the programmes are municipal; the new municipality enrolls the family in its own if it wants)."""
    return list(
        Enrollment.objects.filter(
            family=family,
            status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED],
            programme__municipality_id=family.municipality_id,
        )
        .select_related("programme")
        .order_by("enrolled_on", "id")
    )

"""Reads for the family page in a fixed, small number of queries (issue 14: at most 10 per page).

Every section of the page (children, guardians, enrollments, consents, referrals, assessments, observations,
assignments, episodes, visits, notes, attachments, the corrections' history) is one JSON-array column of ONE query on
the family (sibcase.jsonrows), and the eligibility verdicts' inputs (rules, target areas, places taken) one query on
the referred programmes. Each table is read once and shared by the sections and the timeline that show it.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Func, IntegerField, OuterRef, QuerySet, Subquery

from outcomes.models import OutcomeMetric, OutcomeObservation, ServiceEpisode, ServiceNeedsAssessment, ServiceVisit
from programs.models import (
    BackdatingRequest,
    BackdatingStatus,
    EligibilityRule,
    Municipality,
    NeedCategory,
    Programme,
    Service,
    ServiceProvider,
    TargetArea,
    TargetAreaPostalCode,
)
from sibcase.jsonrows import Shape, instances, prefetched, rows
from sibcase.models import User

from .models import (
    CaseAssignment,
    CaseAttachment,
    CaseNote,
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

USER = Shape(User, fields=("username", "first_name", "last_name"))
PROGRAMME = Shape(Programme)
NEED = Shape(NeedCategory)


def _history_shape(model, related: dict[str, Shape] | None = None) -> Shape:
    return Shape(model.history.model, related={"history_user": USER, **(related or {})})


# The models whose corrections the timeline shows, from their history (families.selectors.CORRECTION_FIELDS).
HISTORY_MODELS = (Family, Child, Guardian, Consent, ServiceNeedsAssessment)


@dataclass
class FamilyRecords:
    """The family's records, each table read once."""

    children: list[Child] = field(default_factory=list)
    guardians: list[Guardian] = field(default_factory=list)
    enrollments: list[Enrollment] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    assessments: list[ServiceNeedsAssessment] = field(default_factory=list)
    observations: list[OutcomeObservation] = field(default_factory=list)
    assignments: list[CaseAssignment] = field(default_factory=list)
    episodes: list[ServiceEpisode] = field(default_factory=list)
    visits: list[ServiceVisit] = field(default_factory=list)
    notes: list[CaseNote] = field(default_factory=list)
    attachments: list[CaseAttachment] = field(default_factory=list)
    transfers: list[FamilyTransfer] = field(default_factory=list)
    backdating_requests: list[BackdatingRequest] = field(default_factory=list)
    history: dict[type, list] = field(default_factory=dict)

    @property
    def open_transfer(self) -> FamilyTransfer | None:
        return next((t for t in self.transfers if t.status == TransferStatus.REQUESTED), None)


# Stand-ins for the family and provider ids while the query is compiled once per process (see _compiled).
_FAMILY_ID = -7_000_000_001
_PROVIDER_ID = -7_000_000_002


def family_records(*, family: Family, provider_id: int | None = None) -> FamilyRecords:
    """Everything the family page shows of `family`, in one query. `provider_id`: a service provider's worker sees
    the children, their own provider's episodes and visits, nothing else."""
    shapes = _shapes(for_provider=provider_id is not None)
    sql, params = _compiled(for_provider=provider_id is not None)
    values = [family.pk if p == _FAMILY_ID else provider_id if p == _PROVIDER_ID else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    data = dict(zip(names, row, strict=True)) if row else {}
    loaded = {name: instances(shape, data.get(f"{name}_rows")) for name, (_queryset, shape) in shapes.items()}
    records = FamilyRecords(
        **{name: value for name, value in loaded.items() if not name.startswith("history_")},
        history={model: loaded[f"history_{model.__name__.lower()}"] for model in HISTORY_MODELS}
        if provider_id is None
        else {},
    )
    _link(family, records)
    return records


@functools.cache
def _compiled(*, for_provider: bool) -> tuple[str, tuple]:
    """The page's query as SQL, built once per process: composing and compiling its few hundred expressions took
    most of the page's CPU. The ids are parameters, swapped in per request."""
    shapes = _shapes(for_provider=for_provider)
    queryset = Family.objects.filter(pk=_FAMILY_ID).values(
        **{f"{name}_rows": rows(queryset, shape) for name, (queryset, shape) in shapes.items()}
    )
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


@functools.cache
def _shapes(*, for_provider: bool) -> dict[str, tuple[QuerySet, Shape]]:
    provider_id = _PROVIDER_ID if for_provider else None
    shapes: dict[str, tuple[QuerySet, Shape]] = {
        "children": (
            Child.objects.filter(family=OuterRef("pk")).order_by("birth_date", "id"),
            Shape(Child, many={"need_categories": NEED}),
        ),
        "guardians": (
            Guardian.objects.filter(family=OuterRef("pk")).order_by("last_name", "first_names", "id"),
            Shape(Guardian),
        ),
    }
    episodes = ServiceEpisode.objects.filter(family=OuterRef("pk"))
    visits = ServiceVisit.objects.filter(episode__family=OuterRef("pk"))
    if provider_id is not None:
        episodes = episodes.filter(provider_id=provider_id)
        visits = visits.filter(episode__provider_id=provider_id)
    shapes["episodes"] = (
        episodes.annotate(visit_total=_count(ServiceVisit.objects.filter(episode=OuterRef("pk")))).order_by(
            "-start_date", "-id"
        ),
        Shape(
            ServiceEpisode,
            related={"service": Shape(Service), "provider": Shape(ServiceProvider)},
            extra={"visit_count": F("visit_total")},
        ),
    )
    shapes["visits"] = (visits.order_by("-visited_on", "-id"), Shape(ServiceVisit))
    if provider_id is None:
        shapes |= {
            "enrollments": (
                Enrollment.objects.filter(family=OuterRef("pk")).order_by("-enrolled_on", "-id"),
                Shape(Enrollment, related={"programme": PROGRAMME}, many={"children": Shape(Child, fields=("id",))}),
            ),
            "consents": (
                Consent.objects.filter(family=OuterRef("pk")).order_by("-given_on", "-id"),
                Shape(Consent, related={"programme": PROGRAMME}),
            ),
            "referrals": (
                Referral.objects.filter(family=OuterRef("pk")).order_by("-referred_on", "-id"),
                Shape(Referral, related={"programme": PROGRAMME}),
            ),
            "assessments": (
                ServiceNeedsAssessment.objects.filter(family=OuterRef("pk")).order_by("-started_on", "-id"),
                Shape(ServiceNeedsAssessment),
            ),
            "observations": (
                OutcomeObservation.objects.filter(child__family=OuterRef("pk")).order_by("-period_start", "-id"),
                Shape(OutcomeObservation, related={"metric": Shape(OutcomeMetric)}),
            ),
            "assignments": (
                CaseAssignment.objects.filter(family=OuterRef("pk")).order_by(
                    F("ended_at").desc(nulls_first=True), "role", "-started_at"
                ),
                Shape(CaseAssignment, related={"worker": USER}),
            ),
            "notes": (
                CaseNote.objects.filter(family=OuterRef("pk")).order_by("-written_on", "-id"),
                Shape(CaseNote, related={"created_by": USER}),
            ),
            "attachments": (
                CaseAttachment.objects.filter(family=OuterRef("pk")).order_by("-uploaded_at", "-id"),
                Shape(CaseAttachment),
            ),
            "transfers": (
                FamilyTransfer.objects.filter(family=OuterRef("pk")).order_by("-requested_at", "-id"),
                Shape(
                    FamilyTransfer,
                    related={
                        "from_municipality": Shape(Municipality),
                        "to_municipality": Shape(Municipality),
                        "requested_by": USER,
                        "decided_by": USER,
                        "cancelled_by": USER,
                    },
                ),
            ),
            "backdating_requests": (
                BackdatingRequest.objects.filter(family=OuterRef("pk"), status=BackdatingStatus.PENDING).order_by(
                    "requested_at", "id"
                ),
                Shape(BackdatingRequest, related={"programme": PROGRAMME, "requested_by": USER}),
            ),
            "history_family": (
                Family.history.filter(id=OuterRef("pk")).order_by("id", "history_date", "history_id"),
                _history_shape(Family),
            ),
            "history_child": (
                Child.history.filter(family_id=OuterRef("pk")).order_by("id", "history_date", "history_id"),
                _history_shape(Child),
            ),
            "history_guardian": (
                Guardian.history.filter(family_id=OuterRef("pk")).order_by("id", "history_date", "history_id"),
                _history_shape(Guardian),
            ),
            "history_consent": (
                Consent.history.filter(family_id=OuterRef("pk")).order_by("id", "history_date", "history_id"),
                _history_shape(Consent, related={"guardian": Shape(Guardian)}),
            ),
            "history_serviceneedsassessment": (
                ServiceNeedsAssessment.history.filter(family_id=OuterRef("pk")).order_by(
                    "id", "history_date", "history_id"
                ),
                _history_shape(ServiceNeedsAssessment, related={"child": Shape(Child)}),
            ),
        }
    return shapes


def _link(family: Family, records: FamilyRecords) -> None:
    """Point the rows at the objects already loaded (a consent's guardian, an observation's child…)."""
    children = {child.pk: child for child in records.children}
    guardians = {guardian.pk: guardian for guardian in records.guardians}
    episodes = {episode.pk: episode for episode in records.episodes}
    for child in records.children:
        Child.family.field.set_cached_value(child, family)
    for guardian in records.guardians:
        Guardian.family.field.set_cached_value(guardian, family)
    prefetched(family, "children", records.children)
    prefetched(family, "guardians", records.guardians)
    for enrollment in records.enrollments:
        prefetched(enrollment, "children", [children[c.pk] for c in enrollment.children.all() if c.pk in children])
    for consent in records.consents:
        Consent.guardian.field.set_cached_value(consent, guardians.get(consent.guardian_id))
    for assessment in records.assessments:
        ServiceNeedsAssessment.child.field.set_cached_value(assessment, children.get(assessment.child_id))
    for observation in records.observations:
        OutcomeObservation.child.field.set_cached_value(observation, children.get(observation.child_id))
    for episode in records.episodes:
        ServiceEpisode.child.field.set_cached_value(episode, children.get(episode.child_id))
    # A provider's worker sees the visits of their own episodes only (the query filtered them already).
    records.visits = [visit for visit in records.visits if visit.episode_id in episodes]
    for visit in records.visits:
        ServiceVisit.episode.field.set_cached_value(visit, episodes[visit.episode_id])


def offer_exit(*, records: FamilyRecords, on_date: datetime.date) -> list[Enrollment]:
    """The rule of `selectors.consent_withdrawn_on` over the loaded rows: open enrollments whose participation consent was
    withdrawn on or before `on_date` with no consent of the scope valid that day."""
    open_statuses = {EnrollmentStatus.ACTIVE, EnrollmentStatus.WAITLISTED}
    offered = []
    for enrollment in sorted(records.enrollments, key=lambda e: e.enrolled_on):
        if enrollment.status not in open_statuses:
            continue
        consents = [
            c
            for c in records.consents
            if c.programme_id == enrollment.programme_id
            and c.scope == ConsentScope.PARTICIPATION
            and c.voided_at is None  # recorded in error: counts nowhere
        ]
        valid = any(c.given_on <= on_date and (c.withdrawn_on is None or c.withdrawn_on > on_date) for c in consents)
        if not valid and any(c.withdrawn_on is not None and c.withdrawn_on <= on_date for c in consents):
            offered.append(enrollment)
    return offered


@dataclass(frozen=True)
class EligibilityInputs:
    programme: Programme
    rules: list[EligibilityRule]
    codes: list[TargetAreaPostalCode]
    active: int


def eligibility_inputs(*, programmes: QuerySet[Programme], programme_ids: set[int]) -> list[EligibilityInputs]:
    """The referred programmes the user works with, each with its active rules, target-area postal codes and the
    number of active enrollments (the capacity check), in one query."""
    if not programme_ids:
        return []
    rule_shape = Shape(EligibilityRule, many={"need_categories": NEED})
    code_shape = Shape(TargetAreaPostalCode, related={"area": Shape(TargetArea)})
    found = (
        programmes.filter(pk__in=programme_ids)
        .annotate(
            rule_rows=rows(
                EligibilityRule.objects.filter(programme=OuterRef("pk"), is_active=True).order_by("position", "id"),
                rule_shape,
            ),
            code_rows=rows(TargetAreaPostalCode.objects.filter(area__programme=OuterRef("pk")), code_shape),
            active_enrollments=_count(
                Enrollment.objects.filter(programme=OuterRef("pk"), status=EnrollmentStatus.ACTIVE)
            ),
        )
        .order_by()
    )
    return [
        EligibilityInputs(
            programme=programme,
            rules=instances(rule_shape, programme.rule_rows),
            codes=instances(code_shape, programme.code_rows),
            active=programme.active_enrollments,
        )
        for programme in found
    ]


def _count(queryset: QuerySet) -> Subquery:
    """A correlated COUNT(*) (no GROUP BY on the outer query)."""
    return Subquery(queryset.order_by().values(n=Func(F("pk"), function="COUNT", output_field=IntegerField())))

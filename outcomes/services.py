"""Writes for assessments, service episodes, visits and outcome observations.

None of these depends on the enrollment window: families enrolled before a cutoff keep being served after it.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from families.identity import normalize_identity_code, validate_identity_code
from families.models import Child, Enrollment, EnrollmentStatus, Family
from programs.models import Programme, Service
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from .models import (
    EpisodeStatus,
    MetricUnitCost,
    ObservationSource,
    OutcomeMetric,
    OutcomeObservation,
    ServiceEpisode,
    ServiceNeedsAssessment,
    ServiceVisit,
)


def _check_range(start: datetime.date, end: datetime.date | None, *, start_field: str, end_field: str) -> None:
    today = timezone.localdate()
    if start > today:
        raise DomainError(
            Problem("date_in_future", _("Alkupäivä ei voi olla tulevaisuudessa.")), field_name=start_field
        )
    if end is not None and end < start:
        raise DomainError(
            Problem("end_before_start", _("Loppupäivä ei voi olla ennen alkupäivää.")), field_name=end_field
        )
    if end is not None and end > today:
        raise DomainError(Problem("date_in_future", _("Loppupäivä ei voi olla tulevaisuudessa.")), field_name=end_field)


def assessment_create(
    *,
    actor: User | None,
    family: Family,
    started_on: datetime.date,
    summary: str,
    completed_on: datetime.date | None = None,
    child: Child | None = None,
) -> ServiceNeedsAssessment:
    _check_range(started_on, completed_on, start_field="started_on", end_field="completed_on")
    if child is not None and child.family_id != family.pk:
        raise DomainError(Problem("child_not_in_family", _("Lapsi ei kuulu tähän perheeseen.")), field_name="child")
    assessment = ServiceNeedsAssessment(
        family=family,
        child=child,
        started_on=started_on,
        completed_on=completed_on,
        summary=summary.strip(),
        recorded_by=actor,
    )
    assessment.full_clean()
    with transaction.atomic():
        assessment.save()
        audit_record(actor=actor, event_type="assessment.created", obj=assessment, new={"started_on": started_on})
    return assessment


def episode_create(
    *,
    actor: User | None,
    enrollment: Enrollment,
    service: Service,
    start_date: datetime.date,
    end_date: datetime.date | None = None,
    child: Child | None = None,
) -> ServiceEpisode:
    _check_range(start_date, end_date, start_field="start_date", end_field="end_date")
    if enrollment.status == EnrollmentStatus.WAITLISTED:
        raise DomainError(Problem("enrollment_waitlisted", _("Perhe on vasta jonossa; palvelua ei voi aloittaa.")))
    if start_date < enrollment.enrolled_on or (enrollment.exit_date and start_date > enrollment.exit_date):
        raise DomainError(
            Problem("episode_outside_enrollment", _("Palvelujakson on alettava perheen ohjelmajakson aikana.")),
            field_name="start_date",
        )
    if not enrollment.programme.services.filter(pk=service.pk).exists():
        raise DomainError(
            Problem("service_not_in_programme", _("Palvelu ei kuulu tähän ohjelmaan.")), field_name="service"
        )
    if child is not None and child.family_id != enrollment.family_id:
        raise DomainError(Problem("child_not_in_family", _("Lapsi ei kuulu tähän perheeseen.")), field_name="child")
    episode = ServiceEpisode(
        service=service,
        provider_id=service.provider_id,
        enrollment=enrollment,
        family_id=enrollment.family_id,
        child=child,
        start_date=start_date,
        end_date=end_date,
        status=EpisodeStatus.COMPLETED if end_date else EpisodeStatus.ACTIVE,
        recorded_by=actor,
    )
    episode.full_clean()
    with transaction.atomic():
        episode.save()
        audit_record(
            actor=actor,
            event_type="episode.created",
            obj=episode,
            new={"service": service.code, "start_date": start_date},
        )
    return episode


def visit_create(
    *, actor: User | None, episode: ServiceEpisode, visited_on: datetime.date, duration_minutes: int, note: str = ""
) -> ServiceVisit:
    _check_range(visited_on, None, start_field="visited_on", end_field="visited_on")
    if visited_on < episode.start_date or (episode.end_date and visited_on > episode.end_date):
        raise DomainError(
            Problem("visit_outside_episode", _("Tapaamisen on osuttava palvelujakson ajalle.")), field_name="visited_on"
        )
    visit = ServiceVisit(
        episode=episode, visited_on=visited_on, duration_minutes=duration_minutes, note=note.strip(), recorded_by=actor
    )
    visit.full_clean()
    with transaction.atomic():
        visit.save()
        audit_record(actor=actor, event_type="visit.created", obj=visit, new={"visited_on": visited_on})
    return visit


def observation_create(
    *,
    actor: User | None,
    metric: OutcomeMetric,
    child: Child,
    period_start: datetime.date,
    period_end: datetime.date | None,
    value: Decimal,
    source: str,
) -> OutcomeObservation:
    period_end = period_end or period_start
    _check_range(period_start, period_end, start_field="period_start", end_field="period_end")
    if value < 0:
        raise DomainError(Problem("negative_value", _("Arvo ei voi olla negatiivinen.")), field_name="value")
    if not Enrollment.objects.filter(programme_id=metric.programme_id, children=child).exists():
        raise DomainError(
            Problem("child_not_in_programme", _("Lapsi ei ole mukana mittarin ohjelmassa.")), field_name="child"
        )
    observation = OutcomeObservation(
        metric=metric,
        child=child,
        period_start=period_start,
        period_end=period_end,
        value=value,
        source=source,
        recorded_by=actor,
    )
    observation.full_clean()
    observation._history_user = actor
    with transaction.atomic():
        observation.save()
        audit_record(
            actor=actor,
            event_type="observation.created",
            obj=observation,
            new={"metric": metric.code, "value": value, "period_start": period_start},
        )
    return observation


def _correction_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(Problem("reason_required", _("Kirjaa korjauksen syy.")), field_name="reason")
    return reason


def observation_correct(
    *, actor: User | None, observation: OutcomeObservation, value: Decimal, reason: str
) -> OutcomeObservation:
    """Correct an observation's value. The history keeps who, when, the old and new value and the reason; a
    statement already approved keeps its frozen value, and the difference lands in the next one as an adjustment."""
    reason = _correction_reason(reason)
    if value < 0 or value > MAX_VALUE:
        raise DomainError(Problem("invalid_value", _("Arvo ei kelpaa.")), field_name="value")
    with transaction.atomic():
        observation = OutcomeObservation.objects.select_for_update().get(pk=observation.pk)
        if observation.voided_at is not None:
            raise DomainError(Problem("observation_voided", _("Mitätöityä havaintoa ei voi korjata.")))
        old = observation.value
        observation.value = value
        observation._history_user = actor
        observation._change_reason = reason
        observation.save(update_fields=["value"])
        audit_record(
            actor=actor,
            event_type="observation.corrected",
            obj=observation,
            old={"value": old},
            new={"value": value},
            reason=reason,
        )
    return observation


def observation_void(*, actor: User | None, observation: OutcomeObservation, reason: str) -> OutcomeObservation:
    """Void an observation recorded in error: it stays on record with its history but counts nowhere."""
    reason = _correction_reason(reason)
    with transaction.atomic():
        observation = OutcomeObservation.objects.select_for_update().get(pk=observation.pk)
        if observation.voided_at is not None:
            raise DomainError(Problem("observation_voided", _("Havainto on jo mitätöity.")))
        observation.voided_at, observation.void_reason = timezone.now(), reason
        observation._history_user = actor
        observation._change_reason = reason
        observation.save(update_fields=["voided_at", "void_reason"])
        audit_record(actor=actor, event_type="observation.voided", obj=observation, reason=reason)
    return observation


def unit_cost_record(
    *,
    actor: User | None,
    metric: OutcomeMetric,
    valid_from: datetime.date,
    unit_cost: Decimal,
    source: str = "",
    reason: str = "",
) -> MetricUnitCost:
    """Record a unit-cost version valid from a date, or correct an existing one (a reason is then required). An
    approved statement keeps the unit cost it was frozen with; a correction lands in the next statement as an
    adjustment. The history keeps who, when, old and new value and the reason."""
    if unit_cost < 0 or unit_cost > MAX_VALUE:
        raise DomainError(Problem("invalid_value", _("Arvo ei kelpaa.")), field_name="unit_cost")
    with transaction.atomic():
        existing = MetricUnitCost.objects.select_for_update().filter(metric=metric, valid_from=valid_from).first()
        if existing is None:
            cost = MetricUnitCost(metric=metric, valid_from=valid_from, unit_cost=unit_cost, source=source.strip())
            cost._history_user = actor
            cost._change_reason = reason.strip()
            cost.save()
            audit_record(
                actor=actor,
                event_type="unit_cost.recorded",
                obj=cost,
                new={"metric": metric.code, "valid_from": valid_from, "unit_cost": unit_cost},
                reason=reason.strip(),
            )
            return cost
        reason = _correction_reason(reason)
        old = existing.unit_cost
        existing.unit_cost, existing.source = unit_cost, source.strip() or existing.source
        existing._history_user = actor
        existing._change_reason = reason
        existing.save(update_fields=["unit_cost", "source"])
        audit_record(
            actor=actor,
            event_type="unit_cost.corrected",
            obj=existing,
            old={"unit_cost": old},
            new={"unit_cost": unit_cost},
            reason=reason,
        )
        return existing


IMPORT_FIELDS = ("identity_code", "metric", "period_start", "period_end", "value", "source")
MAX_VALUE = Decimal("9999999999.99")


@dataclass
class ImportRowReport:
    row: int
    errors: list[dict[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, field_name: str, code: str, message) -> None:
        self.errors.append({"field": field_name, "code": code, "message": str(message)})


@dataclass
class ImportReport:
    rows: list[ImportRowReport]
    imported: int

    @property
    def error_rows(self) -> list[ImportRowReport]:
        return [row for row in self.rows if not row.ok]


def observations_import(
    *, actor: User | None, programme: Programme, rows: list[dict[str, str]], children: QuerySet[Child]
) -> ImportReport:
    """A register extract of outcome observations: every row is checked, and one bad row imports nothing.

    Rows carry identity_code, metric (code), period_start, period_end (optional), value and source (optional,
    default register extract). `children` is the caller's visible scope: a code outside it reads as unknown.
    A fixed number of queries whatever the number of rows; one audit record for the whole import.
    """
    metrics = {metric.code: metric for metric in OutcomeMetric.objects.filter(programme=programme)}
    codes = {normalize_identity_code(str(row.get("identity_code") or "")) for row in rows}
    child_ids = dict(children.filter(identity_code__in=codes).values_list("identity_code", "pk"))
    enrolled = set(
        Enrollment.objects.filter(programme=programme, children__in=child_ids.values()).values_list(
            "children", flat=True
        )
    )
    existing = set(
        OutcomeObservation.objects.filter(metric__programme=programme, child_id__in=child_ids.values()).values_list(
            "metric_id", "child_id", "period_start", "period_end"
        )
    )
    reports: list[ImportRowReport] = []
    observations: list[OutcomeObservation] = []
    seen: set[tuple] = set()
    for number, row in enumerate(rows, start=1):
        report = ImportRowReport(row=number)
        reports.append(report)
        if not isinstance(row, dict):
            report.add("row", "invalid_row", _("Rivi ei ole kenttien joukko."))
            continue
        unknown = sorted(set(row) - set(IMPORT_FIELDS))
        if unknown:
            report.add("row", "unknown_field", _("Tuntemattomat sarakkeet: %(names)s") % {"names": ", ".join(unknown)})
        code = normalize_identity_code(str(row.get("identity_code") or ""))
        child_id = None
        try:
            validate_identity_code(code)
        except ValidationError as exc:
            report.add("identity_code", exc.code or "invalid", exc.messages[0])
        else:
            child_id = child_ids.get(code)
            if child_id is None:
                report.add("identity_code", "unknown_child", _("Henkilötunnuksella ei löydy lasta."))
            elif child_id not in enrolled:
                report.add("identity_code", "child_not_in_programme", _("Lapsi ei ole mukana ohjelmassa."))
        metric = metrics.get(str(row.get("metric") or "").strip())
        if metric is None:
            report.add("metric", "unknown_metric", _("Ohjelmalla ei ole tällä tunnuksella mittaria."))
        start = _import_date(report, row, "period_start", required=True)
        end = _import_date(report, row, "period_end", required=False) or start
        if start and end:
            try:  # the same date rule as a single observation
                _check_range(start, end, start_field="period_start", end_field="period_end")
            except DomainError as exc:
                for problem in exc.problems:
                    report.add(exc.field_name, problem.code, problem.message)
        value = _import_value(report, row)
        source = str(row.get("source") or ObservationSource.REGISTER_EXTRACT).strip()
        if source not in ObservationSource.values:
            report.add("source", "invalid_source", _("Tuntematon lähde."))
        if not report.ok:
            continue
        key = (metric.pk, child_id, start, end)
        if key in existing or key in seen:
            report.add("row", "duplicate", _("Sama havainto on jo kirjattu (mittari, lapsi ja jakso)."))
            continue
        seen.add(key)
        observations.append(
            OutcomeObservation(
                metric=metric,
                child_id=child_id,
                period_start=start,
                period_end=end,
                value=value,
                source=source,
                recorded_by=actor,
            )
        )
    if any(not report.ok for report in reports) or not rows:
        return ImportReport(rows=reports, imported=0)
    with transaction.atomic():
        OutcomeObservation.objects.bulk_create(observations, batch_size=5000)
        audit_record(
            actor=actor,
            event_type="observations.imported",
            obj=programme,
            new={"rows": len(observations)},
        )
    return ImportReport(rows=reports, imported=len(observations))


def _import_date(report: ImportRowReport, row: dict, name: str, *, required: bool) -> datetime.date | None:
    raw = str(row.get(name) or "").strip()
    if not raw:
        if required:
            report.add(name, "required", _("Päivämäärä puuttuu."))
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        report.add(name, "invalid_date", _("Päivämäärän muoto on VVVV-KK-PP."))
        return None


def _import_value(report: ImportRowReport, row: dict) -> Decimal | None:
    raw = str(row.get("value") if row.get("value") is not None else "").strip().replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        report.add("value", "invalid_number", _("Arvo ei ole luku."))
        return None
    if not value.is_finite() or value < 0 or value > MAX_VALUE or value != value.quantize(Decimal("0.01")):
        report.add("value", "invalid_value", _("Arvon on oltava ei-negatiivinen luku, enintään kaksi desimaalia."))
        return None
    return value

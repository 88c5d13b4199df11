"""Writes for assessments, service episodes, visits and outcome observations.

None of these depends on the enrollment window: families enrolled before a cutoff keep being served after it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from families.corrections import Correction, fields_correct
from families.identity import normalize_identity_code, validate_identity_code
from families.models import Child, ConsentScope, Enrollment, EnrollmentStatus, Family
from families.selectors import consent_withdrawn_on, families_visible_to
from programs.models import Programme, Service
from sibcase.aggregate_cache import programme_data_changed
from sibcase.audit import audit_record
from sibcase.db import violated_constraint
from sibcase.errors import DomainError, Problem
from sibcase.models import User
from sibcase.outbox import outbox_enqueue

from .models import (
    EpisodeStatus,
    ImportStatus,
    MetricUnitCost,
    ObservationImport,
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


def _refuse_after_withdrawal(
    *,
    family_id: int,
    programme_id: int,
    on_date: datetime.date,
    field_name: str,
    scope: str = ConsentScope.PARTICIPATION,
) -> None:
    """Consent per purpose: what rests on a consent is not recorded for days from its withdrawal on."""
    withdrawn = consent_withdrawn_on(family_id=family_id, programme_id=programme_id, scope=scope, on_date=on_date)
    if withdrawn is None:
        return
    if scope == ConsentScope.EVALUATION:
        message = _(
            "Suostumus tietojen käyttöön arvioinnissa on peruttu %(date)s; arvioijan tietoja ei kirjata sen jälkeen."
        )
    else:
        message = _(
            "Suostumus ohjelmaan osallistumiseen on peruttu %(date)s; palvelua ei kirjata sen jälkeen. Päätä "
            "osallistuminen perheen sivulta."
        )
    raise DomainError(
        Problem(
            "consent_withdrawn", message % {"date": date_format(withdrawn)}, {"withdrawn_on": withdrawn.isoformat()}
        ),
        field_name=field_name,
    )


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


ASSESSMENT_FIELDS = ("child", "started_on", "completed_on", "summary")


def assessment_correct(*, actor: User | None, assessment: ServiceNeedsAssessment, reason: str, **values) -> Correction:
    """Correct a service-needs assessment (palvelutarpeen arvio): its dates, summary or the child it is about. The
    history keeps who, when, old and new value and the reason; the family's timeline shows it. An assessment is no
    input of an outcome payment, so no statement is touched (`statements` stays empty)."""
    started_on = values.get("started_on", assessment.started_on)
    completed_on = values.get("completed_on", assessment.completed_on)
    _check_range(started_on, completed_on, start_field="started_on", end_field="completed_on")
    child = values.get("child")
    if child is not None and child.family_id != assessment.family_id:
        raise DomainError(Problem("child_not_in_family", _("Lapsi ei kuulu tähän perheeseen.")), field_name="child")
    assessment, changed = fields_correct(
        actor=actor,
        obj=assessment,
        allowed=ASSESSMENT_FIELDS,
        values=values,
        reason=reason,
        event_type="assessment.corrected",
    )
    return Correction(assessment, changed, [])


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
    _refuse_after_withdrawal(
        family_id=enrollment.family_id,
        programme_id=enrollment.programme_id,
        on_date=start_date,
        field_name="start_date",
    )
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
    _refuse_after_withdrawal(
        family_id=episode.family_id,
        programme_id=episode.enrollment.programme_id,
        on_date=visited_on,
        field_name="visited_on",
    )
    visit = ServiceVisit(
        episode=episode, visited_on=visited_on, duration_minutes=duration_minutes, note=note.strip(), recorded_by=actor
    )
    visit.full_clean()
    with transaction.atomic():
        visit.save()
        audit_record(actor=actor, event_type="visit.created", obj=visit, new={"visited_on": visited_on})
    return visit


def visits_create_for_group(
    *,
    actor: User | None,
    episodes: list[ServiceEpisode],
    visited_on: datetime.date,
    duration_minutes: int,
    note: str = "",
) -> list[ServiceVisit]:
    """One group session (an Icehearts team's practice) as a visit on each selected episode, all or nothing:
    a visit that cannot be saved (outside its episode) saves none, and the refusal names the child."""
    if not episodes:
        raise DomainError(Problem("no_episodes", _("Valitse vähintään yksi osallistuja.")), field_name="episodes")
    visits = []
    with transaction.atomic():
        for episode in episodes:
            try:
                visits.append(
                    visit_create(
                        actor=actor,
                        episode=episode,
                        visited_on=visited_on,
                        duration_minutes=duration_minutes,
                        note=note,
                    )
                )
            except DomainError as exc:
                who = episode.child.first_names if episode.child else str(episode.family)
                raise DomainError(
                    [Problem(p.code, f"{who}: {p.message}") for p in exc.problems], field_name="episodes"
                ) from None
    return visits


def episodes_close_for_enrollment(*, actor: User | None, enrollment: Enrollment, end_date: datetime.date) -> int:
    """When the family's participation ends, its episodes that are still going end with it (on the exit date, or
    on their start if they were to begin later); each closure is an audit row. Returns how many were closed."""
    closed = 0
    episodes = ServiceEpisode.objects.select_for_update().filter(
        enrollment=enrollment, status__in=[EpisodeStatus.ACTIVE, EpisodeStatus.PLANNED]
    )
    for episode in episodes:
        old = {"status": episode.status, "end_date": episode.end_date}
        if episode.start_date > end_date:
            episode.status = EpisodeStatus.CANCELLED
        else:
            episode.status = EpisodeStatus.COMPLETED
            if episode.end_date is None or episode.end_date > end_date:
                episode.end_date = end_date
        episode.save(update_fields=["status", "end_date"])
        audit_record(
            actor=actor,
            event_type="episode.closed",
            obj=episode,
            old=old,
            new={"status": episode.status, "end_date": episode.end_date},
            reason="Osallistuminen ohjelmaan päättyi",
        )
        closed += 1
    return closed


NATURAL_KEY_CONSTRAINT = "observation_natural_key"


def _duplicate_observation() -> Problem:
    return Problem(
        "duplicate",
        _("Sama havainto on jo kirjattu (lapsi, mittari, jakso, lähde ja lähdejärjestelmän tunniste)."),
    )


def observation_create(
    *,
    actor: User | None,
    metric: OutcomeMetric,
    child: Child,
    period_start: datetime.date,
    period_end: datetime.date | None,
    value: Decimal,
    source: str,
    external_id: str = "",
) -> OutcomeObservation:
    """One observation. The same one (child, metric, period, source, external id) twice is refused, also when
    both arrive at the same moment: the database's natural-key constraint decides, and the loser is told."""
    period_end = period_end or period_start
    external_id = external_id.strip()
    _check_range(period_start, period_end, start_field="period_start", end_field="period_end")
    if value < 0:
        raise DomainError(Problem("negative_value", _("Arvo ei voi olla negatiivinen.")), field_name="value")
    if not Enrollment.objects.filter(programme_id=metric.programme_id, children=child).exists():
        raise DomainError(
            Problem("child_not_in_programme", _("Lapsi ei ole mukana mittarin ohjelmassa.")), field_name="child"
        )
    # Register extracts measure the outcome of the whole cohort (intention to treat) and are kept after a
    # withdrawal; what workers record rests on participation, what evaluators record on the evaluation consent.
    if source != ObservationSource.REGISTER_EXTRACT:
        _refuse_after_withdrawal(
            family_id=child.family_id,
            programme_id=metric.programme_id,
            on_date=period_end,
            field_name="period_end",
            scope=ConsentScope.EVALUATION if source == ObservationSource.EVALUATOR else ConsentScope.PARTICIPATION,
        )
    observation = OutcomeObservation(
        metric=metric,
        child=child,
        period_start=period_start,
        period_end=period_end,
        value=value,
        source=source,
        external_id=external_id,
        recorded_by=actor,
    )
    # The natural key is checked by the insert itself (below), not by a read that a parallel request could pass.
    observation.full_clean(validate_constraints=False)
    observation._history_user = actor
    try:
        with transaction.atomic():
            observation.save()
            audit_record(
                actor=actor,
                event_type="observation.created",
                obj=observation,
                new={"metric": metric.code, "value": value, "period_start": period_start},
            )
            programme_data_changed(programme_ids=[metric.programme_id])
    except IntegrityError as exc:
        if violated_constraint(exc) not in (None, NATURAL_KEY_CONSTRAINT):
            raise
        raise DomainError(_duplicate_observation()) from None
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
        programme_data_changed(programme_ids=[observation.metric.programme_id])
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
        programme_data_changed(programme_ids=[observation.metric.programme_id])
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


IMPORT_FIELDS = ("identity_code", "metric", "period_start", "period_end", "value", "source", "external_id")
EXTRA_FIELDS = "_extra_fields"  # a CSV row's fields beyond the header (a key no column can have)
EXTERNAL_ID_MAX_LENGTH = OutcomeObservation._meta.get_field("external_id").max_length
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
    *, actor: User | None, programme: Programme, rows: list, children: QuerySet[Child]
) -> ImportReport:
    """A register extract of outcome observations: every row is checked, and one bad row imports nothing.

    Rows carry identity_code, metric (code), period_start, period_end (optional), value, source (optional,
    default register extract) and external_id (optional: the source system's id of the row). Dates are
    YYYY-MM-DD or d.m.yyyy, values may use a decimal comma. `children` is the caller's visible scope: a code
    outside it reads as unknown. A row repeating a stored observation (the natural key: child, metric, period,
    source, external id) is refused, also when the same file is being imported in parallel: the insert waits
    for the other import and then reports which rows it stored. A fixed number of queries whatever the number
    of rows; one audit record for the whole import.
    """
    mappings = [row for row in rows if isinstance(row, dict)]
    metrics = {metric.code: metric for metric in OutcomeMetric.objects.filter(programme=programme)}
    codes = {normalize_identity_code(_text(row.get("identity_code"))) for row in mappings}
    child_ids = dict(children.filter(identity_code__in=codes).values_list("identity_code", "pk"))
    enrolled = set(
        Enrollment.objects.filter(programme=programme, children__in=child_ids.values()).values_list(
            "children", flat=True
        )
    )
    existing = _stored_keys(programme, child_ids.values())
    reports: list[ImportRowReport] = []
    observations: list[OutcomeObservation] = []
    keys: list[tuple] = []
    seen: set[tuple] = set()
    for number, row in enumerate(rows, start=1):
        report = ImportRowReport(row=number)
        reports.append(report)
        observation = _import_row(report, row, metrics=metrics, child_ids=child_ids, enrolled=enrolled)
        if observation is None:
            continue
        key = _natural_key(observation)
        if key in existing or key in seen:
            report.add("row", "duplicate", _duplicate_observation().message)
            continue
        seen.add(key)
        observation.recorded_by = actor
        observations.append(observation)
        keys.append(key)
    if any(not report.ok for report in reports) or not rows:
        return ImportReport(rows=reports, imported=0)
    try:
        with transaction.atomic():
            OutcomeObservation.objects.bulk_create(observations, batch_size=5000)
            audit_record(
                actor=actor,
                event_type="observations.imported",
                obj=programme,
                new={"rows": len(observations)},
            )
            programme_data_changed(programme_ids=[programme.pk])
    except IntegrityError as exc:
        # Another import stored some of these rows after they were checked: the insert waited for it to
        # commit and then hit the natural key. Nothing of this import is stored; name the rows now stored.
        if violated_constraint(exc) not in (None, NATURAL_KEY_CONSTRAINT):
            raise
        stored = _stored_keys(programme, child_ids.values())
        ok_reports = [report for report in reports if report.ok]
        for report, key in zip(ok_reports, keys, strict=True):
            if key in stored:
                report.add("row", "duplicate", _duplicate_observation().message)
        if all(report.ok for report in reports):
            raise DomainError(_duplicate_observation()) from None
        return ImportReport(rows=reports, imported=0)
    return ImportReport(rows=reports, imported=len(observations))


def _stored_keys(programme: Programme, child_ids) -> set[tuple]:
    return set(
        OutcomeObservation.objects.filter(metric__programme=programme, child_id__in=list(child_ids)).values_list(
            "metric_id", "child_id", "period_start", "period_end", "source", "external_id"
        )
    )


def _natural_key(observation: OutcomeObservation) -> tuple:
    return (
        observation.metric_id,
        observation.child_id,
        observation.period_start,
        observation.period_end,
        observation.source,
        observation.external_id,
    )


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _import_row(
    report: ImportRowReport, row, *, metrics: dict, child_ids: dict, enrolled: set
) -> OutcomeObservation | None:
    """One row checked: an unsaved observation, or None with the row's problems added to its report."""
    if not isinstance(row, dict):
        report.add("row", "invalid_row", _("Rivi ei ole kenttien joukko."))
        return None
    if EXTRA_FIELDS in row or None in row:  # the CSV reader puts the fields beyond the header there
        report.add(
            "row",
            "extra_fields",
            _(
                "Rivillä on enemmän kenttiä kuin otsikkorivillä. Jos arvossa on desimaalipilkku, käytä "
                "puolipistettä erottimena tai lainausmerkkejä arvon ympärillä."
            ),
        )
        return None
    unknown = sorted(str(name) for name in set(row) - set(IMPORT_FIELDS))
    if unknown:
        report.add("row", "unknown_field", _("Tuntemattomat sarakkeet: %(names)s") % {"names": ", ".join(unknown)})
    for name in IMPORT_FIELDS:
        if name in row and not (row[name] is None or isinstance(row[name], str | int | float)):
            report.add(name, "invalid_type", _("Arvon on oltava teksti tai luku."))
        elif isinstance(row.get(name), str) and "\x00" in row[name]:  # PostgreSQL text cannot hold NUL
            report.add(name, "invalid_character", _("Arvossa on kielletty merkki (NUL)."))
    if not report.ok:
        return None
    code = normalize_identity_code(_text(row.get("identity_code")))
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
    metric = metrics.get(_text(row.get("metric")))
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
    source = _text(row.get("source")) or ObservationSource.REGISTER_EXTRACT
    if source not in ObservationSource.values:
        report.add("source", "invalid_source", _("Tuntematon lähde."))
    external_id = _text(row.get("external_id"))
    if len(external_id) > EXTERNAL_ID_MAX_LENGTH:
        report.add(
            "external_id",
            "too_long",
            _("Tunniste on liian pitkä (enintään %(n)s merkkiä).") % {"n": EXTERNAL_ID_MAX_LENGTH},
        )
    if not report.ok:
        return None
    return OutcomeObservation(
        metric=metric,
        child_id=child_id,
        period_start=start,
        period_end=end,
        value=value,
        source=source,
        external_id=external_id,
    )


_FINNISH_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def _import_date(report: ImportRowReport, row: dict, name: str, *, required: bool) -> datetime.date | None:
    raw = _text(row.get(name))
    if not raw:
        if required:
            report.add(name, "required", _("Päivämäärä puuttuu."))
        return None
    finnish = _FINNISH_DATE.fullmatch(raw)
    try:
        if finnish:  # d.m.yyyy, as Finnish spreadsheets write dates
            day, month, year = (int(part) for part in finnish.groups())
            return datetime.date(year, month, day)
        return datetime.date.fromisoformat(raw)
    except ValueError:
        report.add(name, "invalid_date", _("Päivämäärän muoto on VVVV-KK-PP tai P.K.VVVV."))
        return None


def _import_value(report: ImportRowReport, row: dict) -> Decimal | None:
    # A decimal comma and spaces between thousands, as Finnish spreadsheets write numbers.
    raw = _text(row.get("value")).replace(",", ".")
    for space in (" ", "\u00a0", "\u202f"):
        raw = raw.replace(space, "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        report.add("value", "invalid_number", _("Arvo ei ole luku."))
        return None
    if not value.is_finite() or value < 0 or value > MAX_VALUE or value != value.quantize(Decimal("0.01")):
        report.add("value", "invalid_value", _("Arvon on oltava ei-negatiivinen luku, enintään kaksi desimaalia."))
        return None
    return value


IMPORT_TASK = "outcomes.run_observation_import"


def observation_import_queue(*, actor: User, programme: Programme, rows: list) -> ObservationImport:
    """Record a large import and hand it to the worker (through the outbox: a broker outage only delays it)."""
    with transaction.atomic():
        job = ObservationImport.objects.create(programme=programme, requested_by=actor, row_count=len(rows), rows=rows)
        audit_record(actor=actor, event_type="observations.import_queued", obj=job, new={"rows": len(rows)})
        outbox_enqueue(task_name=IMPORT_TASK, import_id=job.pk)
    return job


def observation_import_run(*, import_id: int) -> None:
    """Run a queued import: the same all-or-nothing check and insert as a small one, then its report.

    Safe to run twice (at-least-once delivery): the import and the job's result commit together, and a job that
    has finished is left alone; one left `running` by a killed worker is run again when redelivered.
    """
    with transaction.atomic():
        job = ObservationImport.objects.select_for_update().get(pk=import_id)
        if job.finished:
            return
        job.status, job.started_at = ImportStatus.RUNNING, timezone.now()
        job.save(update_fields=["status", "started_at"])
    with transaction.atomic():
        job = (
            ObservationImport.objects.select_for_update().select_related("requested_by", "programme").get(pk=import_id)
        )
        if job.status != ImportStatus.RUNNING:
            return
        children = Child.objects.filter(family__in=families_visible_to(job.requested_by))
        try:
            report = observations_import(
                actor=job.requested_by, programme=job.programme, rows=job.rows, children=children
            )
        except DomainError as exc:
            errors = [{"row": 0, "errors": [{**p.as_dict(), "field": "file"} for p in exc.problems]}]
            imported = 0
        else:
            errors = [{"row": r.row, "errors": r.errors} for r in report.error_rows]
            imported = report.imported
        job.status = ImportStatus.DONE if imported else ImportStatus.REFUSED
        job.imported, job.errors, job.rows, job.finished_at = imported, errors, [], timezone.now()
        job.save(update_fields=["status", "imported", "errors", "rows", "finished_at"])
        audit_record(
            actor=job.requested_by,
            event_type=f"observations.import_{job.status}",
            obj=job,
            old={"status": ImportStatus.RUNNING},
            new={"status": job.status, "imported": imported, "error_rows": len(errors)},
        )


def observation_import_fail(*, import_id: int, error: str) -> None:
    """A bug or a lasting outage: the job is marked failed with the reason (nothing of it was imported)."""
    with transaction.atomic():
        job = ObservationImport.objects.select_for_update().get(pk=import_id)
        if job.finished:
            return
        old = job.status
        job.status, job.failure, job.rows, job.finished_at = ImportStatus.FAILED, error[:500], [], timezone.now()
        job.save(update_fields=["status", "failure", "rows", "finished_at"])
        audit_record(
            actor=None,
            event_type="observations.import_failed",
            obj=job,
            old={"status": old},
            new={"status": job.status},
            reason=job.failure,
        )

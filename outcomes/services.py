"""Writes for assessments, service episodes, visits and outcome observations.

None of these depends on the enrollment window: families enrolled before a cutoff keep being served after it.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from families.models import Child, Enrollment, EnrollmentStatus, Family
from programs.models import Service
from sibcase.audit import audit_record
from sibcase.errors import DomainError, Problem
from sibcase.models import User

from .models import (
    EpisodeStatus,
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
    with transaction.atomic():
        observation.save()
        audit_record(
            actor=actor,
            event_type="observation.created",
            obj=observation,
            new={"metric": metric.code, "value": value, "period_start": period_start},
        )
    return observation

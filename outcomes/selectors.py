"""Reads of episodes, visits, metrics and observations."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from families.models import Enrollment, EnrollmentStatus, Family
from programs.models import Service
from sibcase.models import Role, User

from .models import OutcomeMetric, ServiceEpisode


def episodes_for_family(*, family: Family, provider_id: int | None = None) -> list[ServiceEpisode]:
    episodes = (
        ServiceEpisode.objects.filter(family=family)
        .select_related("service", "provider", "child", "enrollment__programme")
        .annotate(visit_count=Count("visits"))
        .order_by("-start_date", "-id")
    )
    if provider_id is not None:
        episodes = episodes.filter(provider_id=provider_id)
    return list(episodes)


def episodes_for_user(*, user: User, family: Family) -> QuerySet[ServiceEpisode]:
    """Episodes a user may log visits for: a provider worker only their own provider's."""
    episodes = ServiceEpisode.objects.filter(family=family).select_related("service")
    if user.role == Role.PROVIDER_WORKER:
        episodes = episodes.filter(provider_id=user.provider_id)
    return episodes


def enrollments_open_for_services(*, family: Family) -> QuerySet[Enrollment]:
    # Exited enrollments stay selectable: an episode may be recorded afterwards for the time the family was in.
    return (
        Enrollment.objects.filter(family=family).exclude(status=EnrollmentStatus.WAITLISTED).select_related("programme")
    )


def services_for_user(*, user: User, family: Family) -> QuerySet[Service]:
    services = Service.objects.filter(programmes__enrollments__family=family).distinct()
    if user.role == Role.PROVIDER_WORKER:
        services = services.filter(provider_id=user.provider_id)
    return services


def metrics_for_family(*, family: Family) -> QuerySet[OutcomeMetric]:
    return OutcomeMetric.objects.filter(programme__enrollments__family=family).select_related("programme").distinct()

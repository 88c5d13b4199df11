"""Reads of episodes, visits, metrics and observations."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.http import Http404

from families.models import Enrollment, EnrollmentStatus, Family
from families.selectors import families_visible_to
from programs.models import Service
from sibcase.models import Role, User

from .models import EpisodeStatus, ObservationImport, OutcomeMetric, ServiceEpisode


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


def observation_import_get_for_user(*, user: User, pk: int) -> ObservationImport:
    """A background import: its requester and admins see it; anyone else gets 404, as for a missing one."""
    jobs = ObservationImport.objects.select_related("programme")
    if not (user.is_superuser or user.role == Role.ADMIN):
        jobs = jobs.filter(requested_by=user)
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def group_episodes_for_user(*, user: User, service_id: int | None = None) -> QuerySet[ServiceEpisode]:
    """Going episodes a user may record a group session for (a provider worker: their provider's), with the child
    and family a row shows, by service and child's name."""
    episodes = ServiceEpisode.objects.filter(
        status=EpisodeStatus.ACTIVE, family__in=families_visible_to(user)
    ).select_related("service", "child", "family")
    if user.role == Role.PROVIDER_WORKER:
        episodes = episodes.filter(provider_id=user.provider_id)
    if service_id:
        episodes = episodes.filter(service_id=service_id)
    return episodes.order_by("service__name_fi", "child__last_name", "child__first_names", "id")

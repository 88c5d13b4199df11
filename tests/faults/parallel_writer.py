"""Run in separate processes by test_parallel_writes: each process sets Django up on the test database and
performs its share of writes through the services, reporting which ones were acknowledged."""

from __future__ import annotations

import datetime
import os


def write(job: dict) -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "sibcase.settings.test"
    os.environ["DATABASE_URL"] = job["database_url"]
    import django

    django.setup()
    from decimal import Decimal

    from families.models import Child, Family
    from families.services import enrollment_create
    from outcomes.models import OutcomeMetric
    from outcomes.services import observation_create
    from programs.models import Programme
    from sibcase.errors import DomainError

    programme = Programme.objects.get(pk=job["programme"])
    metric = OutcomeMetric.objects.get(pk=job["metric"])
    acknowledged: dict[str, list] = {"enrollments": [], "observations": [], "refused": []}
    for family_id in job["families"]:
        try:
            enrollment_create(
                actor=None,
                programme=programme,
                family=Family.objects.get(pk=family_id),
                enrolled_on=datetime.date(2024, 2, 1),
            )
            acknowledged["enrollments"].append(family_id)
        except DomainError as exc:
            acknowledged["refused"].append((family_id, exc.codes))
    for child_id, day in job["observations"]:
        observation = observation_create(
            actor=None,
            metric=metric,
            child=Child.objects.get(pk=child_id),
            period_start=datetime.date.fromisoformat(day),
            period_end=None,
            value=Decimal("1"),
            source="register_extract",
        )
        acknowledged["observations"].append(observation.pk)
    from django.db import connections

    connections.close_all()
    return acknowledged

"""Fifty writes at once from parallel processes: every acknowledged write is in the database exactly once."""

import datetime
import multiprocessing

import pytest
from django.db import connection

from families.models import Enrollment
from outcomes.models import OutcomeObservation

from ..factories import (
    ChildFactory,
    ConsentFactory,
    EnrollmentFactory,
    FamilyFactory,
    GuardianFactory,
    OutcomeMetricFactory,
    ProgrammeFactory,
)
from .parallel_writer import write

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrency against PostgreSQL"),
]

PROCESSES = 10
D = datetime.date


def test_fifty_parallel_writes_land_exactly_once():
    programme = ProgrammeFactory()
    metric = OutcomeMetricFactory(programme=programme)
    families = []
    for _ in range(20):
        family = FamilyFactory(municipality=programme.municipality)
        ChildFactory(family=family)
        ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
        families.append(family.pk)
    observed = [ChildFactory(family=FamilyFactory(municipality=programme.municipality)) for _ in range(3)]
    for child in observed:
        EnrollmentFactory(programme=programme, family=child.family, children=[child])
    settings = connection.settings_dict
    database_url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    jobs = []
    for index in range(PROCESSES):
        # Processes 2p and 2p+1 both try to enroll the same four families (in opposite orders), plus one
        # observation each: 5 writes per process, 50 in all; each family must end up enrolled exactly once.
        shared = families[4 * (index // 2) : 4 * (index // 2) + 4]
        jobs.append(
            {
                "database_url": database_url,
                "programme": programme.pk,
                "metric": metric.pk,
                "families": shared if index % 2 == 0 else shared[::-1],
                "observations": [(observed[index % 3].pk, f"2024-03-{index + 1:02d}")],
            }
        )
    with multiprocessing.get_context("spawn").Pool(PROCESSES) as pool:
        results = pool.map(write, jobs)

    acknowledged_enrollments = [family for result in results for family in result["enrollments"]]
    acknowledged_observations = [pk for result in results for pk in result["observations"]]
    refused = [codes for result in results for _, codes in result["refused"]]
    writes = len(acknowledged_enrollments) + len(refused) + len(acknowledged_observations)
    assert writes == 50
    # Each family was attempted by two processes: one enrollment each, the other attempt refused, never both.
    assert sorted(acknowledged_enrollments) == sorted(families)
    assert set(
        Enrollment.objects.filter(programme=programme, family_id__in=families).values_list("family_id", flat=True)
    ) == set(acknowledged_enrollments)
    assert Enrollment.objects.filter(programme=programme, family_id__in=families).count() == len(
        acknowledged_enrollments
    )
    assert all(codes == ["already_enrolled"] for codes in refused)
    assert sorted(OutcomeObservation.objects.values_list("pk", flat=True)) == sorted(acknowledged_observations)

"""Two people enrolling at the same moment against real PostgreSQL: the row locks leave exactly one enrollment."""

import datetime
import threading

import pytest
from django.db import connection, connections

from families.models import Enrollment
from families.services import enrollment_create
from sibcase.errors import DomainError

from ..factories import ChildFactory, ConsentFactory, FamilyFactory, GuardianFactory, ProgrammeFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are what is tested; SQLite has none"),
]

D = datetime.date


def _family(programme):
    family = FamilyFactory(municipality=programme.municipality)
    ChildFactory(family=family)
    ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2024, 1, 1))
    return family


def _race(attempts):
    """Run each attempt in its own thread and connection, released together by a barrier."""
    barrier = threading.Barrier(len(attempts))
    outcomes: list[object] = [None] * len(attempts)

    def run(index, attempt):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = attempt()
        except DomainError as exc:
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_two_families_racing_for_the_last_place_leave_one_enrollment():
    programme = ProgrammeFactory(capacity=1)
    worker = UserFactory(municipality=programme.municipality)
    first, second = _family(programme), _family(programme)
    outcomes = _race(
        [
            lambda: enrollment_create(actor=worker, programme=programme, family=first, enrolled_on=D(2024, 2, 1)),
            lambda: enrollment_create(actor=worker, programme=programme, family=second, enrolled_on=D(2024, 2, 1)),
        ]
    )
    refusals = [o for o in outcomes if isinstance(o, DomainError)]
    assert Enrollment.objects.count() == 1
    assert [r.codes for r in refusals] == [["capacity_full"]]


def test_the_same_family_enrolled_twice_at_once_leaves_one_enrollment():
    programme = ProgrammeFactory()
    worker = UserFactory(municipality=programme.municipality)
    family = _family(programme)
    outcomes = _race(
        [lambda: enrollment_create(actor=worker, programme=programme, family=family, enrolled_on=D(2024, 2, 1))] * 2
    )
    refusals = [o for o in outcomes if isinstance(o, DomainError)]
    assert Enrollment.objects.count() == 1
    assert [r.codes for r in refusals] == [["already_enrolled"]]

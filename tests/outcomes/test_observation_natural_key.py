"""The natural key of an outcome observation: child, metric, period, source and the source system's id."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor

from outcomes.models import OutcomeObservation
from outcomes.services import observation_create
from sibcase.errors import DomainError

from ..factories import ChildFactory, EnrollmentFactory, OutcomeMetricFactory, OutcomeObservationFactory, UserFactory

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def enrolled():
    metric = OutcomeMetricFactory()
    child = ChildFactory(family__municipality=metric.programme.municipality)
    EnrollmentFactory(programme=metric.programme, family=child.family, children=[child], enrolled_on=D(2024, 1, 1))
    return {"metric": metric, "child": child}


def _create(enrolled, **overrides):
    values = {
        "actor": UserFactory(),
        "metric": enrolled["metric"],
        "child": enrolled["child"],
        "period_start": D(2024, 3, 1),
        "period_end": None,
        "value": Decimal("1"),
        "source": "social_worker",
        **overrides,
    }
    return observation_create(**values)


def test_the_same_observation_twice_is_refused_with_a_message(enrolled):
    _create(enrolled)
    with pytest.raises(DomainError) as refused:
        _create(enrolled, value=Decimal("2"))
    assert refused.value.codes == ["duplicate"]
    assert OutcomeObservation.objects.count() == 1


def test_another_source_or_external_id_is_another_observation(enrolled):
    _create(enrolled)
    _create(enrolled, source="provider")
    _create(enrolled, external_id="REK-1")
    _create(enrolled, external_id="REK-2")
    assert OutcomeObservation.objects.count() == 4


def test_the_database_refuses_a_duplicate_below_the_service():
    observation = OutcomeObservationFactory()
    with pytest.raises(IntegrityError):
        OutcomeObservationFactory(
            metric=observation.metric,
            child=observation.child,
            period_start=observation.period_start,
            source=observation.source,
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="migrations against PostgreSQL")
def test_the_migration_keeps_existing_duplicates_and_marks_them():
    metric = OutcomeMetricFactory()
    child = ChildFactory()
    executor = MigrationExecutor(connection)
    executor.migrate([("outcomes", "0002_initial")])
    old = executor.loader.project_state(("outcomes", "0002_initial")).apps.get_model("outcomes", "OutcomeObservation")
    values = {"metric_id": metric.pk, "child_id": child.pk, "period_start": D(2024, 3, 1), "period_end": D(2024, 3, 1)}
    first, second, third = (old.objects.create(value=1, source="register_extract", **values) for _ in range(3))
    other = old.objects.create(value=1, source="provider", **values)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    marked = dict(OutcomeObservation.objects.values_list("pk", "external_id"))
    assert marked == {
        first.pk: "",
        second.pk: f"legacy-duplicate:{second.pk}",
        third.pk: f"legacy-duplicate:{third.pk}",
        other.pk: "",
    }

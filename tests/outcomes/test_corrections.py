"""Corrections of observations and unit costs go through services that keep who, when, old and new value, reason."""

import datetime
from decimal import Decimal

import pytest

from outcomes.models import MetricUnitCost, OutcomeObservation
from outcomes.services import observation_correct, observation_void, unit_cost_record
from sibcase.errors import DomainError
from sibcase.models import AuditEvent

from ..factories import MetricUnitCostFactory, OutcomeMetricFactory, OutcomeObservationFactory

pytestmark = pytest.mark.django_db
D = datetime.date


def test_a_corrected_observation_keeps_its_history(social_worker):
    observation = OutcomeObservationFactory(value=Decimal("10"))
    observation_correct(actor=social_worker, observation=observation, value=Decimal("8"), reason="Rekisteriote")
    latest = OutcomeObservation.history.filter(id=observation.pk).order_by("-history_date").first()
    assert (latest.value, latest.history_user, latest.history_change_reason) == (
        Decimal("8.00"),
        social_worker,
        "Rekisteriote",
    )
    assert OutcomeObservation.history.filter(id=observation.pk, value=Decimal("10.00")).exists()


def test_a_correction_needs_a_reason(social_worker):
    with pytest.raises(DomainError) as error:
        observation_correct(
            actor=social_worker, observation=OutcomeObservationFactory(), value=Decimal("1"), reason=" "
        )
    assert error.value.codes == ["reason_required"]


def test_a_voided_observation_stays_on_record_but_no_longer_counts(social_worker):
    observation = OutcomeObservationFactory()
    observation_void(actor=social_worker, observation=observation, reason="Kirjattu väärälle lapselle")
    assert OutcomeObservation.objects.filter(pk=observation.pk).exists()
    assert not OutcomeObservation.objects.current().filter(pk=observation.pk).exists()
    assert AuditEvent.objects.filter(event_type="observation.voided", reason="Kirjattu väärälle lapselle").exists()


def test_a_unit_cost_correction_keeps_the_old_value_and_the_reason(social_worker):
    cost = MetricUnitCostFactory(valid_from=D(2024, 1, 1), unit_cost=Decimal("330.00"))
    unit_cost_record(
        actor=social_worker,
        metric=cost.metric,
        valid_from=D(2024, 1, 1),
        unit_cost=Decimal("350.00"),
        reason="Kuntaliiton päivitetty hinta",
    )
    history = MetricUnitCost.history.filter(id=cost.pk).order_by("history_date")
    assert [h.unit_cost for h in history] == [Decimal("330.00"), Decimal("350.00")]
    assert history.last().history_change_reason == "Kuntaliiton päivitetty hinta"


def test_a_new_unit_cost_version_needs_no_reason(social_worker):
    metric = OutcomeMetricFactory()
    cost = unit_cost_record(actor=social_worker, metric=metric, valid_from=D(2025, 1, 1), unit_cost=Decimal("400"))
    assert cost.unit_cost == Decimal("400")

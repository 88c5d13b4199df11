import datetime
from decimal import Decimal

import pytest

from ..factories import (
    ChildFactory,
    EnrollmentFactory,
    FamilyFactory,
    MetricUnitCostFactory,
    OutcomeMetricFactory,
    OutcomeObservationFactory,
    PaymentTermsFactory,
    ProgrammeFactory,
)

D = datetime.date


@pytest.fixture
def worked_example(db):
    """The README's worked example: three children, three observations that count and one that does not."""
    programme = ProgrammeFactory(
        start_date=D(2019, 1, 1), enrollment_opens=D(2019, 1, 1), follow_up_end=D(2032, 12, 31)
    )
    terms = PaymentTermsFactory(
        programme=programme,
        baseline_cost_per_child_year=Decimal("6500.00"),
        savings_share=Decimal("0.5000"),
        period_cap=Decimal("100000.00"),
        total_cap=Decimal("1000000.00"),
        carry_forward_negative=True,
    )
    out_of_home = OutcomeMetricFactory(programme=programme, code="out_of_home_care_days")
    MetricUnitCostFactory(metric=out_of_home, valid_from=D(2019, 1, 1), unit_cost=Decimal("330.00"))
    MetricUnitCostFactory(metric=out_of_home, valid_from=D(2024, 7, 1), unit_cost=Decimal("360.00"))
    open_care = OutcomeMetricFactory(programme=programme, code="open_care_months", unit="month")
    MetricUnitCostFactory(metric=open_care, valid_from=D(2019, 1, 1), unit_cost=Decimal("560.00"))

    def child(enrolled_on, **enrollment):
        family = FamilyFactory(municipality=programme.municipality)
        kid = ChildFactory(family=family)
        EnrollmentFactory(programme=programme, family=family, enrolled_on=enrolled_on, children=[kid], **enrollment)
        return kid

    a = child(D(2023, 6, 1))
    b = child(D(2024, 7, 1))
    c = child(D(2023, 1, 15), status="exited", exit_date=D(2024, 3, 31), exit_reason="moved_away")
    OutcomeObservationFactory(metric=out_of_home, child=a, period_start=D(2024, 3, 1), value=Decimal("10"))
    OutcomeObservationFactory(metric=out_of_home, child=c, period_start=D(2024, 9, 10), value=Decimal("5"))
    OutcomeObservationFactory(metric=open_care, child=b, period_start=D(2024, 8, 1), value=Decimal("2"))
    # Before B was enrolled: not the programme's doing, not counted.
    OutcomeObservationFactory(metric=open_care, child=b, period_start=D(2024, 5, 1), value=Decimal("3"))
    return {
        "programme": programme,
        "terms": terms,
        "a": a,
        "b": b,
        "c": c,
        "out_of_home": out_of_home,
        "open_care": open_care,
    }

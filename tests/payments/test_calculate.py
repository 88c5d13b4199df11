import datetime
from decimal import Decimal

import pytest

from families.models import Enrollment
from payments.models import LineKind, PaymentStatement, PaymentTerms, StatementKind, StatementStatus
from payments.services.calculate import period_figures
from payments.services.statements import statement_calculate
from sibcase.errors import DomainError
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    FamilyFactory,
    MetricUnitCostFactory,
    OutcomeMetricFactory,
    OutcomeObservationFactory,
    PaymentTermsFactory,
    ProgrammeFactory,
    UserFactory,
)
from . import signing

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR_2023 = {"kind": StatementKind.ANNUAL, "period_start": D(2023, 1, 1), "period_end": D(2023, 12, 31)}
YEAR_2024 = {"kind": StatementKind.ANNUAL, "period_start": D(2024, 1, 1), "period_end": D(2024, 12, 31)}


def _calculate(example, **period):
    return statement_calculate(programme=example["programme"], **(period or YEAR_2024))


def test_worked_example_exact_amounts(worked_example):
    statement = _calculate(worked_example)
    assert statement.child_count == 3
    assert statement.child_years == Decimal("2.5027")
    assert statement.counterfactual_cost == Decimal("16267.76")
    assert statement.actual_cost == Decimal("6220.00")
    assert statement.savings == Decimal("10047.76")
    assert statement.payable == Decimal("5023.88")


def test_worked_example_lines_split_at_the_unit_cost_version(worked_example):
    statement = _calculate(worked_example)
    lines = [
        (line.description, line.unit_cost, line.quantity, line.amount)
        for line in statement.lines.order_by("description", "unit_cost")
    ]
    assert lines == [
        ("open_care_months", Decimal("560.00"), Decimal("2.00"), Decimal("1120.00")),
        ("out_of_home_care_days", Decimal("330.00"), Decimal("10.00"), Decimal("3300.00")),
        ("out_of_home_care_days", Decimal("360.00"), Decimal("5.00"), Decimal("1800.00")),
    ]


def test_total_is_the_sum_of_the_rounded_lines(worked_example):
    statement = _calculate(worked_example)
    assert statement.actual_cost == sum(line.amount for line in statement.lines.all())


def test_child_exited_early_is_still_counted(worked_example):
    figures = period_figures(
        programme=worked_example["programme"],
        terms=worked_example["terms"],
        period_start=D(2024, 1, 1),
        period_end=D(2024, 12, 31),
    )
    assert figures.exposure_days == 366 + 184 + 366


def test_leap_year_child_years_use_366_days(worked_example):
    figures = period_figures(
        programme=worked_example["programme"],
        terms=worked_example["terms"],
        period_start=D(2024, 1, 1),
        period_end=D(2024, 12, 31),
    )
    assert figures.days_in_year == 366


def test_common_year_uses_365_days(worked_example):
    figures = period_figures(
        programme=worked_example["programme"],
        terms=worked_example["terms"],
        period_start=D(2023, 1, 1),
        period_end=D(2023, 12, 31),
    )
    # A from 1.6.2023 (214 days), C from 15.1.2023 (351 days); B not yet enrolled.
    assert (figures.child_count, figures.exposure_days, figures.days_in_year) == (2, 214 + 351, 365)


def test_quarter_preview_counts_the_quarter_only(worked_example):
    statement = _calculate(
        worked_example, kind=StatementKind.PREVIEW, period_start=D(2024, 1, 1), period_end=D(2024, 3, 31)
    )
    assert statement.child_count == 2
    assert statement.child_years == (Decimal(91 * 2) / 366).quantize(Decimal("0.0001"))


def test_period_cap_limits_the_payment(worked_example):
    worked_example["terms"].period_cap = Decimal("4000.00")
    worked_example["terms"].save()
    statement = _calculate(worked_example)
    assert (statement.payable, statement.period_cap_applied) == (Decimal("4000.00"), True)


def _approve(statement, programme):
    evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
    coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
    return signing.approve(statement, evaluator, coordinator)


def test_total_cap_limits_by_what_remains(worked_example):
    terms = worked_example["terms"]
    terms.total_cap = Decimal("5500.00")
    terms.save()
    y2023 = _approve(_calculate(worked_example, **YEAR_2023), worked_example["programme"])
    assert y2023.payable == Decimal("5030.82")  # 565 child-days × 6 500 / 365 × 50 %, no costs
    statement = _calculate(worked_example)
    assert (statement.payable, statement.total_cap_applied) == (Decimal("469.18"), True)


def test_payment_never_goes_below_zero_and_the_deficit_is_carried(worked_example):
    OutcomeObservationFactory(
        metric=worked_example["out_of_home"],
        child=worked_example["a"],
        period_start=D(2024, 4, 1),
        value=Decimal("100"),
    )
    statement = _calculate(worked_example)
    assert statement.savings < 0
    assert statement.payable == Decimal("0.00")
    assert statement.carried_forward_out == statement.savings


def test_carried_deficit_reduces_the_next_year(worked_example):
    # 40 out-of-home days in 2023: 13 200.00 against a counterfactual of 10 061.64
    OutcomeObservationFactory(
        metric=worked_example["out_of_home"], child=worked_example["a"], period_start=D(2023, 8, 1), value=Decimal("40")
    )
    y2023 = _approve(_calculate(worked_example, **YEAR_2023), worked_example["programme"])
    assert (y2023.payable, y2023.carried_forward_out) == (Decimal("0.00"), Decimal("-3138.36"))
    statement = _calculate(worked_example)
    assert statement.carried_forward_in == Decimal("-3138.36")
    assert statement.payable == Decimal("3454.70")  # 50 % of (10,047.76 − 3,138.36)


def test_without_carry_forward_the_deficit_is_forgotten(worked_example):
    terms = worked_example["terms"]
    terms.carry_forward_negative = False
    terms.save()
    OutcomeObservationFactory(
        metric=worked_example["out_of_home"],
        child=worked_example["a"],
        period_start=D(2024, 4, 1),
        value=Decimal("100"),
    )
    assert _calculate(worked_example).carried_forward_out == Decimal("0.00")


def test_recalculating_a_draft_replaces_it(worked_example):
    first = _calculate(worked_example)
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1), value=Decimal("1")
    )
    second = _calculate(worked_example)
    assert PaymentStatement.objects.count() == 1
    assert second.pk == first.pk  # recalculated in place: its sample and history stay with it
    assert second.actual_cost == Decimal("6780.00")
    assert second.previous_figures["actual_cost"] == "6220.00"


def test_approved_statement_is_not_recalculated(worked_example):
    statement = _calculate(worked_example)
    PaymentStatement.objects.filter(pk=statement.pk).update(
        status=StatementStatus.APPROVED, approved_at="2025-01-20T10:00:00+02:00", frozen_hash="0" * 64
    )
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1), value=Decimal("1")
    )
    again = _calculate(worked_example)
    assert (again.pk, again.actual_cost) == (statement.pk, Decimal("6220.00"))


def test_late_data_for_an_approved_year_becomes_an_adjustment_next_year(worked_example):
    statement = _calculate(worked_example)
    PaymentStatement.objects.filter(pk=statement.pk).update(
        status=StatementStatus.APPROVED, approved_at="2025-01-20T10:00:00+02:00", frozen_hash="0" * 64
    )
    OutcomeObservationFactory(
        metric=worked_example["open_care"], child=worked_example["a"], period_start=D(2024, 10, 1), value=Decimal("1")
    )
    next_year = _calculate(
        worked_example, kind=StatementKind.ANNUAL, period_start=D(2025, 1, 1), period_end=D(2025, 12, 31)
    )
    adjustment = next_year.lines.get(kind=LineKind.ADJUSTMENT)
    # what 2024 should have paid with the late 560.00 of costs, at its 50 % share
    assert (adjustment.adjusts_id, adjustment.amount) == (statement.pk, Decimal("-280.00"))
    assert next_year.adjustments == Decimal("-280.00")


def test_period_across_years_is_refused(worked_example):
    with pytest.raises(DomainError) as exc:
        _calculate(worked_example, kind=StatementKind.PREVIEW, period_start=D(2024, 12, 1), period_end=D(2025, 1, 31))
    assert exc.value.codes == ["invalid_period"]


def test_comparison_group_basis_without_a_figure_fails_clearly(worked_example):
    worked_example["terms"].counterfactual_basis = "comparison_group"
    worked_example["terms"].save()
    with pytest.raises(DomainError) as exc:
        _calculate(worked_example)
    assert exc.value.codes == ["comparison_cost_missing"]


def test_comparison_group_figure_is_used(worked_example):
    from ..factories import ComparisonGroupCostFactory

    worked_example["terms"].counterfactual_basis = "comparison_group"
    worked_example["terms"].save()
    ComparisonGroupCostFactory(programme=worked_example["programme"], cost_per_child_year=Decimal("7320.00"))
    assert _calculate(worked_example).counterfactual_cost == Decimal("18320.00")  # 916 × 7,320 / 366


def _cohort(programme, size):
    families = FamilyFactory._meta.model.objects.bulk_create(
        [FamilyFactory.build(municipality=programme.municipality, reference=f"P-Q{size}-{n}") for n in range(size)]
    )
    children = []
    for family in families:
        child = ChildFactory.build(family=family)
        child.birth_date = D(2018, 1, 1)  # bulk_create skips save(), which derives it from the code
        children.append(child)
    children = ChildFactory._meta.model.objects.bulk_create(children)
    enrollments = Enrollment.objects.bulk_create(
        [
            Enrollment(programme=programme, family=family, enrolled_on=D(2024, 2, 1), activated_on=D(2024, 2, 1))
            for family in families
        ]
    )
    Enrollment.children.through.objects.bulk_create(
        [Enrollment.children.through(enrollment=e, child=c) for e, c in zip(enrollments, children, strict=True)]
    )
    return children


def test_query_count_does_not_grow_with_children(django_assert_num_queries):
    counts = []
    for size in (10, 1000):
        programme = ProgrammeFactory()
        PaymentTermsFactory(programme=programme)
        metric = OutcomeMetricFactory(programme=programme)
        MetricUnitCostFactory(metric=metric)
        children = _cohort(programme, size)
        OutcomeObservationFactory._meta.model.objects.bulk_create(
            [
                OutcomeObservationFactory.build(
                    metric=metric, child=c, period_start=D(2024, 3, 1), period_end=D(2024, 3, 1)
                )
                for c in children
            ]
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            statement = statement_calculate(programme=programme, **YEAR_2024)
        assert statement.child_count == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_a_programme_starting_mid_year_uses_the_terms_in_force_at_the_period_end(worked_example):
    terms = worked_example["terms"]
    PaymentTerms.objects.filter(pk=terms.pk).update(effective_from=D(2024, 6, 1))
    statement = _calculate(worked_example)
    assert statement.terms_id == terms.pk


@pytest.mark.django_db
def test_a_period_without_terms_in_force_is_refused(worked_example):
    PaymentTerms.objects.filter(pk=worked_example["terms"].pk).update(effective_from=D(2025, 1, 1))
    with pytest.raises(DomainError) as error:
        _calculate(worked_example)
    assert error.value.codes == ["terms_missing"]


# The payment job's queries, whatever the cohort's size and number of lines: the statement's lock, the approved
# statements, the terms, the exposure, the metrics with their unit costs, the lines, writing the statement and its
# lines, reading them back for the audit row, and the audit chain's lock, head and row (a recalculation also reads
# the previous lines, re-checks the stored status and deletes the old lines; the savepoint is the job's own atomic
# block inside the test's transaction).
FIRST_CALCULATION_QUERIES = 14
RECALCULATION_QUERIES = 17


def _programme_with_lines(*, children: int, metrics: int):
    """A programme whose 2024 statement has two lines per metric (a unit-cost version starts on 1 July)."""
    programme = ProgrammeFactory()
    PaymentTermsFactory(programme=programme)
    cohort = _cohort(programme, children)
    observations = []
    for _ in range(metrics):
        metric = OutcomeMetricFactory(programme=programme)
        MetricUnitCostFactory(metric=metric, valid_from=D(2019, 1, 1), unit_cost=Decimal("300.00"))
        MetricUnitCostFactory(metric=metric, valid_from=D(2024, 7, 1), unit_cost=Decimal("330.00"))
        observations += [
            OutcomeObservationFactory.build(metric=metric, child=child, period_start=day, period_end=day)
            for child in cohort
            for day in (D(2024, 3, 1), D(2024, 9, 1))
        ]
    OutcomeObservationFactory._meta.model.objects.bulk_create(observations)
    return programme


@pytest.mark.parametrize(("children", "metrics"), [(2, 1), (300, 4)])
def test_the_payment_jobs_queries_have_a_ceiling_whatever_the_cohort_and_lines(
    children, metrics, django_assert_max_num_queries
):
    programme = _programme_with_lines(children=children, metrics=metrics)
    with django_assert_max_num_queries(FIRST_CALCULATION_QUERIES):
        statement = statement_calculate(programme=programme, **YEAR_2024)
    assert (statement.child_count, statement.lines.count()) == (children, 2 * metrics)
    with django_assert_max_num_queries(RECALCULATION_QUERIES):
        statement = statement_calculate(programme=programme, **YEAR_2024)
    assert statement.lines.count() == 2 * metrics

"""Property-based tests (hypothesis) of the invariants a payer signs on.

Each example runs in its own transaction that is rolled back, so examples never see each other's rows."""

import contextlib
import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from families.models import Enrollment
from families.services import enrollment_activate, enrollment_create, enrollment_exit
from outcomes.models import MetricUnitCost
from outcomes.services import observation_correct, observation_void
from payments.models import FROZEN_STATUSES, PaymentStatement, StatementKind, StatementStatus
from payments.services.calculate import (
    PeriodFigures,
    StatementFigures,
    TermsSnapshot,
    cohort_memberships,
)
from payments.services.freeze import statement_verify
from payments.services.statements import statement_calculate, statement_transition
from sibcase.errors import DomainError
from sibcase.models import Role

from ..factories import (
    ChildFactory,
    ConsentFactory,
    FamilyFactory,
    GuardianFactory,
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
DB_EXAMPLES = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)


@contextlib.contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def annual(year: int) -> dict:
    return {"kind": StatementKind.ANNUAL, "period_start": D(year, 1, 1), "period_end": D(year, 12, 31)}


# payable = 0 whenever savings ≤ 0 and nothing is carried ----------------------------------------------------------


@given(
    counterfactual_days=st.integers(min_value=0, max_value=5000),
    baseline=money,
    costs=st.lists(st.tuples(money, st.decimals(min_value=0, max_value=1000, places=2)), max_size=4),
    share=st.decimals(min_value=0, max_value=1, places=4),
    period_cap=st.one_of(st.none(), money),
    total_cap=st.one_of(st.none(), money),
    approved_elsewhere=money,
)
def test_nothing_is_payable_without_savings_or_carry(
    counterfactual_days, baseline, costs, share, period_cap, total_cap, approved_elsewhere
):
    from payments.services.calculate import MetricLine

    lines = [
        MetricLine(
            metric_id=i,
            metric_code=f"m{i}",
            unit_cost_valid_from=D(2024, 1, 1),
            unit_cost=unit,
            observation_count=1,
            quantity=quantity,
        )
        for i, (unit, quantity) in enumerate(costs)
    ]
    figures = StatementFigures(
        period=PeriodFigures(
            child_count=1, exposure_days=counterfactual_days, days_in_year=366, baseline=baseline, lines=lines
        ),
        terms=TermsSnapshot(
            terms_id=1,
            effective_from=D(2019, 1, 1),
            counterfactual_basis="fixed_baseline",
            savings_share=share,
            period_cap=period_cap,
            total_cap=total_cap,
            carry_forward_negative=False,
            baseline=baseline,
        ),
        approved_elsewhere=approved_elsewhere,
    )
    assert figures.payable >= 0
    if figures.period.savings <= 0:
        assert figures.payable == Decimal("0.00")
    if period_cap is not None:
        assert figures.payable <= period_cap
    if total_cap is not None:
        assert figures.payable + approved_elsewhere <= max(total_cap, approved_elsewhere)


# the cohort never contains a child who was only ever waitlisted ---------------------------------------------------

operation = st.tuples(
    st.sampled_from(["enroll", "exit", "activate", "raise_capacity"]),
    st.integers(min_value=0, max_value=4),
    st.integers(min_value=0, max_value=400),
)


@DB_EXAMPLES
@given(operations=st.lists(operation, min_size=1, max_size=12), capacity=st.integers(min_value=1, max_value=3))
def test_the_cohort_never_holds_a_child_who_only_queued(db, operations, capacity):
    with rolled_back():
        programme = ProgrammeFactory(
            start_date=D(2019, 1, 1), enrollment_opens=D(2019, 1, 1), capacity=capacity, waitlist_when_full=True
        )
        families = []
        for _ in range(5):
            family = FamilyFactory(municipality=programme.municipality)
            ChildFactory(family=family)
            ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2019, 1, 1))
            families.append(family)
        for action, index, offset in operations:
            day = D(2021, 1, 1) + datetime.timedelta(days=offset)
            family = families[index]
            open_enrollment = Enrollment.objects.filter(
                programme=programme, family=family, status__in=["active", "waitlisted"]
            ).first()
            with contextlib.suppress(DomainError):
                if action == "enroll":
                    enrollment_create(
                        actor=None, programme=programme, family=family, enrolled_on=day, refresh_preview=False
                    )
                elif action == "exit" and open_enrollment is not None:
                    enrollment_exit(
                        actor=None,
                        enrollment=open_enrollment,
                        exit_date=max(day, open_enrollment.activated_on or open_enrollment.enrolled_on),
                        reason="other",
                    )
                elif action == "activate" and open_enrollment is not None:
                    enrollment_activate(actor=None, enrollment=open_enrollment, activated_on=day)
                elif action == "raise_capacity":
                    programme.capacity = (programme.capacity or 0) + 1
                    programme.save(update_fields=["capacity"])
        cohort = {row["child_id"]: row["cohort_start"] for row in cohort_memberships(programme=programme)}
        for child_id, start in cohort.items():
            began = Enrollment.objects.filter(
                programme=programme, children=child_id, activated_on__isnull=False
            ).values_list("activated_on", flat=True)
            assert began, "a child in the cohort never actually began"
            assert start == min(began)
        only_queued = (
            Enrollment.children.through.objects.filter(enrollment__programme=programme)
            .exclude(child_id__in=Enrollment.objects.filter(activated_on__isnull=False).values("children"))
            .values_list("child_id", flat=True)
        )
        assert not set(only_queued) & set(cohort)


# the sum of approved and paid statements never exceeds the total cap, whatever the order -------------------------


@DB_EXAMPLES
@given(
    total_cap=st.decimals(min_value=0, max_value=20000, places=2),
    order=st.permutations([2021, 2022, 2023, 2024]),
    costs=st.lists(st.integers(min_value=0, max_value=30), min_size=4, max_size=4),
)
def test_approvals_in_any_order_never_pass_the_total_cap(db, total_cap, order, costs):
    with rolled_back():
        programme = ProgrammeFactory(start_date=D(2019, 1, 1), enrollment_opens=D(2019, 1, 1))
        PaymentTermsFactory(programme=programme, total_cap=total_cap, carry_forward_negative=True)
        metric = OutcomeMetricFactory(programme=programme)
        MetricUnitCostFactory(metric=metric, valid_from=D(2019, 1, 1), unit_cost=Decimal("330.00"))
        family = FamilyFactory(municipality=programme.municipality)
        child = ChildFactory(family=family)
        ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2019, 1, 1))
        enrollment_create(actor=None, programme=programme, family=family, enrolled_on=D(2020, 6, 1))
        for year, days in zip([2021, 2022, 2023, 2024], costs, strict=True):
            if days:
                OutcomeObservationFactory(metric=metric, child=child, period_start=D(year, 5, 1), value=days)
        evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
        coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
        for year in order:
            statement = statement_calculate(programme=programme, **annual(year))
            try:
                signing.approve(statement, evaluator, coordinator)
            except DomainError as error:
                assert set(error.codes) <= {"total_cap_exceeded", "adjustments_stale"}
                statement = statement_transition(actor=evaluator, statement=statement, to_status=StatementStatus.DRAFT)
                signing.approve(statement_calculate(programme=programme, **annual(year)), evaluator, coordinator)
            approved = sum(
                PaymentStatement.objects.filter(programme=programme, status__in=FROZEN_STATUSES).values_list(
                    "payable", flat=True
                ),
                Decimal("0.00"),
            )
            assert approved <= total_cap


# a statement recomputed from its snapshot equals itself after any later edit --------------------------------------

edit = st.tuples(
    st.sampled_from(["add_observation", "correct", "void", "new_family", "new_unit_cost"]),
    st.integers(min_value=0, max_value=300),
    st.integers(min_value=1, max_value=40),
)


@DB_EXAMPLES
@given(edits=st.lists(edit, min_size=1, max_size=6))
def test_a_frozen_statement_recomputes_to_itself_after_any_later_edit(db, edits):
    with rolled_back():
        programme = ProgrammeFactory(start_date=D(2019, 1, 1), enrollment_opens=D(2019, 1, 1))
        PaymentTermsFactory(programme=programme, effective_from=D(2019, 1, 1))
        metric = OutcomeMetricFactory(programme=programme)
        MetricUnitCostFactory(metric=metric, valid_from=D(2019, 1, 1), unit_cost=Decimal("330.00"))

        def new_family(day):
            family = FamilyFactory(municipality=programme.municipality)
            child = ChildFactory(family=family)
            ConsentFactory(guardian=GuardianFactory(family=family), programme=programme, given_on=D(2019, 1, 1))
            enrollment_create(actor=None, programme=programme, family=family, enrolled_on=day, refresh_preview=False)
            return child

        child = new_family(D(2022, 3, 1))
        observations = [
            OutcomeObservationFactory(metric=metric, child=child, period_start=D(2023, m, 1), value=m) for m in (2, 5)
        ]
        evaluator = UserFactory(role=Role.EVALUATOR, municipality=None)
        coordinator = UserFactory(role=Role.COORDINATOR, municipality=None, programmes=[programme])
        statement = signing.approve(statement_calculate(programme=programme, **annual(2023)), evaluator, coordinator)
        stored = PaymentStatement.objects.values().get(pk=statement.pk)
        for action, offset, value in edits:
            day = D(2023, 1, 1) + datetime.timedelta(days=offset)
            live = [o for o in observations if o.voided_at is None]
            if action == "add_observation":
                observations.append(
                    OutcomeObservationFactory(
                        metric=metric, child=child, period_start=day, value=value, external_id=f"E{len(observations)}"
                    )
                )
            elif action == "correct" and live:
                observation_correct(actor=None, observation=live[0], value=Decimal(value), reason="oikaisu")
            elif action == "void" and live:
                live[-1].voided_at = observation_void(actor=None, observation=live[-1], reason="virhe").voided_at
            elif action == "new_family":
                new_family(day)
            elif (
                action == "new_unit_cost" and not MetricUnitCost.objects.filter(valid_from=day, metric=metric).exists()
            ):
                MetricUnitCostFactory(metric=metric, valid_from=day, unit_cost=Decimal(value) * 10)
        statement.refresh_from_db()
        assert PaymentStatement.objects.values().get(pk=statement.pk) == stored
        assert statement_verify(statement=statement).ok

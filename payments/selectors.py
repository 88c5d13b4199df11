"""Reads of payment statements and runs, scoped to the user."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, QuerySet, Sum
from django.http import Http404

from outcomes.models import MetricUnitCost
from programs.models import Programme
from sibcase.models import OutboxMessage, OutboxStatus, Role, User
from sibcase.money import round_cents
from sibcase.pseudonym import statement_pseudonym

from .models import ComparisonGroupCost, PaymentRun, PaymentStatement
from .services.calculate import (
    _last_counted_day,
    cohort_children,
    cohort_observations,
    exposure_days_expression,
)
from .services.runs import CALCULATE_TASK


def payment_programmes_for_user(*, user: User) -> QuerySet[Programme]:
    """Programmes whose statements the user works on: a coordinator's own; evaluators and admins all."""
    programmes = Programme.objects.select_related("municipality").order_by("municipality__name_fi", "name_fi")
    if user.is_superuser or user.role in (Role.ADMIN, Role.EVALUATOR):
        return programmes
    if user.role == Role.COORDINATOR:
        return programmes.filter(coordinators=user)
    return programmes.none()


def statements_for_user(*, user: User) -> QuerySet[PaymentStatement]:
    return (
        PaymentStatement.objects.filter(programme__in=payment_programmes_for_user(user=user))
        .select_related("programme__municipality")
        .order_by("-period_start", "programme__name_fi", "kind")
    )


def statement_get_for_user(*, user: User, pk: int) -> PaymentStatement:
    try:
        return statements_for_user(user=user).select_related("terms", "validated_by", "approved_by").get(pk=pk)
    except PaymentStatement.DoesNotExist:
        raise Http404 from None


def runs_for_user(*, user: User) -> QuerySet[PaymentRun]:
    return PaymentRun.objects.filter(programme__in=payment_programmes_for_user(user=user)).select_related(
        "programme__municipality", "requested_by", "statement"
    )


def comparison_costs_for_user(*, user: User) -> QuerySet[ComparisonGroupCost]:
    return (
        ComparisonGroupCost.objects.filter(programme__in=payment_programmes_for_user(user=user))
        .select_related("programme", "entered_by")
        .order_by("-period_start", "programme__name_fi")
    )


def run_dispatch_delayed(run: PaymentRun | None) -> bool:
    """True while the run is still waiting in the outbox because the broker was down when it was requested."""
    if run is None:
        return False
    return OutboxMessage.objects.filter(
        status=OutboxStatus.PENDING, task_name=CALCULATE_TASK, kwargs__run_id=run.pk
    ).exists()


def run_get_for_user(*, user: User, pk: int) -> PaymentRun:
    try:
        return runs_for_user(user=user).get(pk=pk)
    except PaymentRun.DoesNotExist:
        raise Http404 from None


@dataclass(frozen=True)
class ChildRow:
    """One cohort child's share of a statement, under a pseudonym."""

    pseudonym: str
    cohort_start: datetime.date
    exposure_days: int
    observation_count: int
    actual_cost: Decimal


def statement_child_cohort(*, statement: PaymentStatement) -> list[dict]:
    """The statement's cohort, one row per child with its exposure in the period; for paging.

    Ordered by the per-statement pseudonym: random, but the same on every page load, and telling nothing about
    which child was registered first (as an order by id would)."""
    last_day = _last_counted_day(statement.programme, statement.period_start, statement.period_end)
    rows = list(
        cohort_children(programme=statement.programme, last_day=last_day)
        .values("child_id", "child__family_id")
        .annotate(
            cohort_start=Min("enrollment__enrolled_on"),
            span=exposure_days_expression(period_start=statement.period_start, last_day=last_day),
        )
        .order_by()
    )
    for row in rows:
        row["pseudonym"] = statement_pseudonym(statement_id=statement.pk, child_id=row["child_id"])
    return sorted(rows, key=lambda row: row["pseudonym"])


def statement_child_rows(*, statement: PaymentStatement, cohort_rows: list[dict]) -> list[ChildRow]:
    """Per-child detail for one page of the cohort: two more queries, whatever the page size.

    Recomputed from today's data: for a frozen statement, later data shows here but not in its totals.
    """
    last_day = _last_counted_day(statement.programme, statement.period_start, statement.period_end)
    ids = [row["child_id"] for row in cohort_rows]
    groups = list(
        cohort_observations(programme=statement.programme, period_start=statement.period_start, last_day=last_day)
        .filter(child_id__in=ids)
        .values("child_id", "metric_id", "unit_cost_from")
        .annotate(quantity=Sum("value"), observations=Count("id"))
        .order_by()
    )
    unit_costs = {
        (cost.metric_id, cost.valid_from): cost.unit_cost
        for cost in MetricUnitCost.objects.filter(metric__programme=statement.programme)
    }
    cost: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for group in groups:
        unit_cost = unit_costs.get((group["metric_id"], group["unit_cost_from"]), Decimal("0"))
        cost[group["child_id"]] = cost.get(group["child_id"], Decimal("0.00")) + round_cents(
            group["quantity"] * unit_cost
        )
        counts[group["child_id"]] = counts.get(group["child_id"], 0) + group["observations"]
    return [
        ChildRow(
            pseudonym=row["pseudonym"],
            # To the month: an exact enrollment day helps to re-identify a child.
            cohort_start=row["cohort_start"].replace(day=1),
            exposure_days=row["span"].days + 1,
            observation_count=counts.get(row["child_id"], 0),
            actual_cost=cost.get(row["child_id"], Decimal("0.00")),
        )
        for row in cohort_rows
    ]

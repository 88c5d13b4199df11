"""Reads of payment statements and runs, scoped to the user."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.http import Http404

from outcomes.models import MetricUnitCost
from programs.models import Programme
from sibcase.models import OutboxMessage, OutboxStatus, Role, User
from sibcase.money import round_cents
from sibcase.pseudonym import statement_pseudonym

from .models import (
    ComparisonGroupCost,
    PaymentRun,
    PaymentStatement,
    PaymentTerms,
    StatementCohortEntry,
    StatementObservation,
    StatementSample,
)
from .services.calculate import (
    cohort_children,
    cohort_observations,
    last_counted_day,
)
from .services.runs import CALCULATE_TASK
from .services.statements import statement_summary


def payment_programmes_for_user(*, user: User) -> QuerySet[Programme]:
    """Programmes whose statements the user works on: a coordinator's own; evaluators and admins all."""
    programmes = Programme.objects.select_related("municipality").order_by("municipality__name_fi", "name_fi")
    if user.is_superuser or user.role in (Role.ADMIN, Role.EVALUATOR):
        return programmes
    if user.role == Role.COORDINATOR:
        return programmes.filter(coordinators=user)
    return programmes.none()


def terms_for_user(*, user: User) -> QuerySet[PaymentTerms]:
    """Every version of the payment terms of the user's programmes, newest first per programme."""
    return (
        PaymentTerms.objects.filter(programme__in=payment_programmes_for_user(user=user))
        .select_related("programme__municipality", "created_by", "in_force_by")
        .order_by("programme__name_fi", "-effective_from", "-id")
    )


def _in_programmes(user: User, programmes: list[Programme] | None) -> dict:
    """The filter to the user's programmes: by the ids of the list the page has already read, else a subquery."""
    if programmes is not None:
        return {"programme_id__in": [programme.pk for programme in programmes]}
    return {"programme__in": payment_programmes_for_user(user=user)}


def statements_for_user(*, user: User, programmes: list[Programme] | None = None) -> QuerySet[PaymentStatement]:
    """``programmes``: payment_programmes_for_user, already read (the statements page lists them in its forms)."""
    return (
        PaymentStatement.objects.filter(**_in_programmes(user, programmes))
        .select_related("programme__municipality")
        .order_by("-period_start", "programme__name_fi", "kind")
    )


def statement_get_for_user(*, user: User, pk: int) -> PaymentStatement:
    try:
        return (
            statements_for_user(user=user)
            .select_related("terms", "validated_by", "approved_by", "co_approved_by", "paid_recorded_by")
            .get(pk=pk)
        )
    except PaymentStatement.DoesNotExist:
        raise Http404 from None


def runs_for_user(*, user: User, programmes: list[Programme] | None = None) -> QuerySet[PaymentRun]:
    return PaymentRun.objects.filter(**_in_programmes(user, programmes)).select_related(
        "programme__municipality", "requested_by", "statement"
    )


def comparison_costs_for_user(
    *, user: User, programmes: list[Programme] | None = None
) -> QuerySet[ComparisonGroupCost]:
    return (
        ComparisonGroupCost.objects.filter(**_in_programmes(user, programmes))
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
    """The statement's cohort, one row per child with its exposure in the period; for paging. A validated or
    approved statement shows its frozen cohort, a draft today's.

    Ordered by the per-statement pseudonym: random, but the same on every page load, and telling nothing about
    which child was registered first (as an order by id would)."""
    last_day = last_counted_day(statement.programme, statement.period_start, statement.period_end)
    if statement.frozen_hash:
        rows = list(
            StatementCohortEntry.objects.filter(statement=statement).values(
                "child_id", "child__family_id", "cohort_start"
            )
        )
    else:
        rows = list(
            cohort_children(programme=statement.programme, last_day=last_day)
            .values("child_id", "child__family_id", "cohort_start")
            .order_by()
        )
    for row in rows:
        row["span"] = last_day - max(row["cohort_start"], statement.period_start)
        row["pseudonym"] = statement_pseudonym(statement_id=statement.pk, child_id=row["child_id"])
    return sorted(rows, key=lambda row: row["pseudonym"])


def statement_child_rows(*, statement: PaymentStatement, cohort_rows: list[dict]) -> list[ChildRow]:
    """Per-child detail for one page of the cohort: two more queries, whatever the page size. A validated or
    approved statement shows the observations frozen with it; a draft today's."""
    ids = [row["child_id"] for row in cohort_rows]
    if statement.frozen_hash:
        groups = list(
            StatementObservation.objects.filter(statement=statement, child_id__in=ids)
            .values("child_id", "metric_id", "unit_cost")
            .annotate(quantity=Sum("value"), observations=Count("id"))
            .order_by()
        )
    else:
        last_day = last_counted_day(statement.programme, statement.period_start, statement.period_end)
        live = list(
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
        groups = [
            {**group, "unit_cost": unit_costs.get((group["metric_id"], group["unit_cost_from"]), Decimal("0"))}
            for group in live
        ]
    cost: dict[int, Decimal] = {}
    counts: dict[int, int] = {}
    for group in groups:
        cost[group["child_id"]] = cost.get(group["child_id"], Decimal("0.00")) + round_cents(
            group["quantity"] * group["unit_cost"]
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


def statement_sample_items(*, sample: StatementSample, items: list | None = None) -> list[dict]:
    """The sampled observations for the evaluator: metric, period, value and the child under the statement's
    pseudonym, never a name or an identity code. ``items``: the sample's items read with sample_items_read."""
    if items is None:
        items = sample_items_read(sample=sample, detail=True)
    return [
        {
            "item": item,
            "metric": item.observation.metric,
            "period_start": item.observation.period_start,
            "value": item.observation.value,
            "voided": item.observation.voided_at is not None,
            "child": statement_pseudonym(statement_id=sample.statement_id, child_id=item.observation.child_id),
        }
        for item in items
    ]


def sample_items_read(*, sample: StatementSample, detail: bool) -> list:
    """The sample's items in one query; with ``detail`` their observations and metrics for the evaluator's table."""
    items = sample.items.all()
    if detail:
        items = items.select_related("observation__metric", "checked_by")
    return list(items)


def statement_diff(*, statement: PaymentStatement, lines: list | None = None) -> list[dict]:
    """What the last recalculation changed, figure by figure and line by line (empty if nothing did). ``lines``:
    the statement's lines, when already read."""
    previous = statement.previous_figures or {}
    if not previous:
        return []
    current = statement_summary(statement, lines=lines)
    changes = [
        {"item": name, "before": previous.get(name), "after": current.get(name)}
        for name in ("child_count", "counterfactual_cost", "actual_cost", "savings", "adjustments", "payable")
        if previous.get(name) != current.get(name)
    ]

    def key(line: dict) -> tuple:
        return (line["kind"], line["description"], line["unit_cost"])

    before = {key(line): line for line in previous.get("lines", [])}
    after = {key(line): line for line in current.get("lines", [])}
    for line_key in sorted(before.keys() | after.keys()):
        old, new = before.get(line_key), after.get(line_key)
        if old != new:
            changes.append(
                {
                    "item": f"{line_key[1]} ({line_key[2]} EUR)" if line_key[0] == "metric" else line_key[1],
                    "before": old["amount"] if old else None,
                    "after": new["amount"] if new else None,
                }
            )
    return changes

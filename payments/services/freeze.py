"""Freezing a statement's inputs at validation, and recomputing a statement from what was frozen.

The frozen inputs are the cohort (each child and its cohort start) and every observation the lines used (its value
and unit cost then), in two tables, plus the statement's `inputs` (terms snapshot, earlier payments, adjustments),
all under one SHA-256 content hash. A statement is reproduced from them alone: `frozen_period_figures` recomputes
the period, `statement_verify` compares every stored figure with its recomputation and lists what changed in
today's data since (pending adjustments, not failures).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.db import connection
from django.db.models import OuterRef, Subquery

from outcomes.models import MetricUnitCost, OutcomeMetric
from sibcase.aggregate_cache import cached_aggregate

from ..models import (
    LineKind,
    PaymentStatement,
    StatementCohortEntry,
    StatementKind,
    StatementObservation,
)
from .calculate import (
    Adjustment,
    MetricLine,
    PeriodFigures,
    StatementFigures,
    TermsSnapshot,
    cohort_children,
    cohort_observations,
    days_in_year,
    last_counted_day,
)


def _insert_from(model, columns: list[str], statement_id: int, queryset, selected: list[str]) -> None:
    """INSERT … SELECT: the database copies the rows, one statement per table, whatever the cohort's size."""
    sql, params = queryset.query.sql_with_params()
    outer = ", ".join(f"sub.{name}" for name in selected)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT %s, {outer} FROM ({sql}) sub",  # noqa: S608 - our own names
            (statement_id, *params),
        )


def statement_freeze(*, statement: PaymentStatement) -> str:
    """Write the statement's frozen inputs from today's data; return their content hash. Call inside the
    transaction that validates the statement (which holds its row lock)."""
    statement_unfreeze(statement=statement)
    if statement.kind != StatementKind.TRUE_UP:
        programme = statement.programme
        last_day = last_counted_day(programme, statement.period_start, statement.period_end)
        _insert_from(
            StatementCohortEntry,
            ["statement_id", "child_id", "cohort_start"],
            statement.pk,
            cohort_children(programme=programme, last_day=last_day).order_by(),
            ["child_id", "cohort_start"],
        )
        observations = (
            cohort_observations(programme=programme, period_start=statement.period_start, last_day=last_day)
            .annotate(
                unit_cost_value=Subquery(
                    MetricUnitCost.objects.filter(
                        metric=OuterRef("metric_id"), valid_from=OuterRef("unit_cost_from")
                    ).values("unit_cost")[:1]
                )
            )
            .values("id", "child_id", "metric_id", "period_start", "value", "unit_cost_from", "unit_cost_value")
            .order_by()
        )
        _insert_from(
            StatementObservation,
            [
                "statement_id",
                "observation_id",
                "child_id",
                "metric_id",
                "period_start",
                "value",
                "unit_cost_valid_from",
                "unit_cost",
            ],
            statement.pk,
            observations,
            ["id", "child_id", "metric_id", "period_start", "value", "unit_cost_from", "unit_cost_value"],
        )
    return frozen_inputs_hash(statement=statement)


def statement_unfreeze(*, statement: PaymentStatement) -> None:
    """A statement returned to draft lets go of its frozen inputs (refused by the database once approved)."""
    StatementCohortEntry.objects.filter(statement=statement).delete()
    StatementObservation.objects.filter(statement=statement).delete()


def frozen_inputs_hash(*, statement: PaymentStatement) -> str:
    """SHA-256 over the frozen cohort, the frozen observations and the statement's inputs, in a canonical order."""
    digest = hashlib.sha256()
    digest.update(json.dumps(statement.inputs, sort_keys=True, default=str).encode())
    for child_id, cohort_start in (
        StatementCohortEntry.objects.filter(statement=statement)
        .order_by("child_id")
        .values_list("child_id", "cohort_start")
        .iterator(chunk_size=5000)
    ):
        digest.update(f"c|{child_id}|{cohort_start}\n".encode())
    for row in (
        StatementObservation.objects.filter(statement=statement)
        .order_by("observation_id")
        .values_list(
            "observation_id", "child_id", "metric_id", "period_start", "value", "unit_cost_valid_from", "unit_cost"
        )
        .iterator(chunk_size=5000)
    ):
        digest.update(("o|" + "|".join(str(v) for v in row) + "\n").encode())
    return digest.hexdigest()


def frozen_period_figures(*, statement: PaymentStatement) -> PeriodFigures:
    """The period's figures recomputed from the frozen cohort and observations and the stored baseline."""
    terms = TermsSnapshot.of_statement(statement)
    if statement.kind == StatementKind.TRUE_UP:
        return PeriodFigures(child_count=0, exposure_days=0, days_in_year=1, baseline=Decimal("0.00"), lines=[])
    last_day = last_counted_day(statement.programme, statement.period_start, statement.period_end)
    starts = list(StatementCohortEntry.objects.filter(statement=statement).values_list("cohort_start", flat=True))
    exposure = sum(((last_day - max(start, statement.period_start)).days + 1 for start in starts), 0)
    groups: dict[tuple[int, datetime.date, Decimal], list[Decimal]] = defaultdict(list)
    for metric_id, valid_from, unit_cost, value in StatementObservation.objects.filter(statement=statement).values_list(
        "metric_id", "unit_cost_valid_from", "unit_cost", "value"
    ):
        groups[(metric_id, valid_from, unit_cost)].append(value)
    codes = dict(OutcomeMetric.objects.filter(pk__in={key[0] for key in groups}).values_list("pk", "code"))
    lines = [
        MetricLine(
            metric_id=metric_id,
            metric_code=codes[metric_id],
            unit_cost_valid_from=valid_from,
            unit_cost=unit_cost,
            observation_count=len(values),
            quantity=sum(values, Decimal("0.00")),
        )
        for (metric_id, valid_from, unit_cost), values in sorted(groups.items())
    ]
    return PeriodFigures(
        child_count=len(starts),
        exposure_days=exposure,
        days_in_year=days_in_year(statement.period_start.year),
        baseline=terms.baseline,
        lines=lines,
    )


def frozen_statement_figures(*, statement: PaymentStatement) -> StatementFigures:
    """The whole statement recomputed from its frozen inputs: period, stored adjustments, carry and cap inputs."""
    inputs = statement.inputs
    adjusted = {
        s.pk: s for s in PaymentStatement.objects.filter(pk__in=[a["statement"] for a in inputs.get("adjustments", [])])
    }
    return StatementFigures(
        period=frozen_period_figures(statement=statement),
        terms=TermsSnapshot.of_statement(statement),
        adjustments=[
            Adjustment(
                statement=adjusted[a["statement"]],
                should_have_paid=Decimal(a["should_have_paid"]),
                paid=Decimal(a["paid"]),
                already_adjusted=Decimal(a["already_adjusted"]),
            )
            for a in inputs.get("adjustments", [])
        ],
        carried_forward_in=Decimal(inputs.get("carried_forward_in", "0.00")),
        approved_elsewhere=Decimal(inputs.get("approved_elsewhere", "0.00")),
    )


@dataclass
class Verification:
    statement: PaymentStatement
    differences: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def statement_verify(*, statement: PaymentStatement) -> Verification:
    """Recompute a frozen statement from its frozen inputs and compare every stored figure; list what today's raw
    rows say differently (pending adjustments)."""
    result = Verification(statement=statement)
    if not statement.frozen_hash:
        result.differences.append("no frozen inputs")
        return result
    if frozen_inputs_hash(statement=statement) != statement.frozen_hash:
        result.differences.append("frozen inputs do not match their content hash")
    figures = frozen_statement_figures(statement=statement)
    period = figures.period
    expected = {
        "child_count": period.child_count,
        "child_years": period.child_years,
        "counterfactual_cost": period.counterfactual,
        "actual_cost": period.actual,
        "savings": period.savings,
        "savings_share": figures.terms.savings_share,
        "carried_forward_out": figures.carried_forward_out,
        "uncapped_payment": figures.uncapped_payment,
        "period_payable": figures.period_payable,
        "adjustments": figures.adjustments_total,
        "refund_due": figures.refund_due,
        "period_cap_applied": figures.period_cap_applied,
        "total_cap_applied": figures.total_cap_applied,
        "payable": figures.payable,
    }
    if statement.kind == StatementKind.TRUE_UP:
        expected = {k: v for k, v in expected.items() if k not in ("child_years",)}
    for name, value in expected.items():
        stored = getattr(statement, name)
        if stored != value:
            result.differences.append(f"{name}: stored {stored}, recomputed {value}")
    stored_lines = sorted(
        (line.metric_id, line.unit_cost_valid_from, line.unit_cost, line.observation_count, line.quantity, line.amount)
        for line in statement.lines.filter(kind=LineKind.METRIC)
    )
    recomputed_lines = sorted(
        (line.metric_id, line.unit_cost_valid_from, line.unit_cost, line.observation_count, line.quantity, line.amount)
        for line in period.lines
    )
    if stored_lines != recomputed_lines:
        result.differences.append("metric lines differ from their recomputation")
    stored_adjustments = sorted(
        statement.lines.filter(kind=LineKind.ADJUSTMENT).values_list("adjusts_id", "amount"), key=str
    )
    recomputed_adjustments = sorted(((a.statement.pk, a.amount) for a in figures.adjustments), key=str)
    if stored_adjustments != recomputed_adjustments:
        result.differences.append("adjustment lines differ from their recomputation")
    result.pending = changed_after_validation(statement=statement)
    return result


def changed_after_validation(*, statement: PaymentStatement) -> list[tuple[str, int]]:
    """What today's data says differently from the frozen inputs: children added to or gone from the cohort, and
    observations added, changed or gone. These land in the next statement as adjustments.

    Counted by the database in one query (the cohort and its observations are never loaded), and kept in the shared
    cache under the programme's version: enrollments, observations and statement transitions supersede it."""
    if statement.kind == StatementKind.TRUE_UP or not statement.frozen_hash:
        return []
    return cached_aggregate(
        scope=statement.programme_id,
        name=f"changed-after-validation:{statement.pk}:{statement.frozen_hash}",
        compute=partial(_changed_after_validation_compute, statement),
    )


# Each count compares today's rows (live) with the frozen ones; a key on one side only is added or gone.
_CHANGE_COUNTS = """
WITH live_cohort (child_id, cohort_start) AS ({live_cohort}),
frozen_cohort (child_id, cohort_start) AS ({frozen_cohort}),
live_obs (id, value) AS ({live_obs}),
frozen_obs (id, value) AS ({frozen_obs})
SELECT
  (SELECT COUNT(*) FROM live_cohort l WHERE NOT EXISTS (SELECT 1 FROM frozen_cohort f WHERE f.child_id = l.child_id)),
  (SELECT COUNT(*) FROM frozen_cohort f WHERE NOT EXISTS (SELECT 1 FROM live_cohort l WHERE l.child_id = f.child_id)),
  (SELECT COUNT(*) FROM live_cohort l JOIN frozen_cohort f ON f.child_id = l.child_id
    WHERE l.cohort_start <> f.cohort_start),
  (SELECT COUNT(*) FROM live_obs l WHERE NOT EXISTS (SELECT 1 FROM frozen_obs f WHERE f.id = l.id)),
  (SELECT COUNT(*) FROM frozen_obs f WHERE NOT EXISTS (SELECT 1 FROM live_obs l WHERE l.id = f.id)),
  (SELECT COUNT(*) FROM live_obs l JOIN frozen_obs f ON f.id = l.id WHERE l.value <> f.value)
"""
_CHANGE_NAMES = (
    "cohort_added",
    "cohort_removed",
    "cohort_start_changed",
    "observations_added",
    "observations_removed",
    "observations_changed",
)


def _changed_after_validation_compute(statement: PaymentStatement) -> list[tuple[str, int]]:
    programme = statement.programme
    last_day = last_counted_day(programme, statement.period_start, statement.period_end)
    parts = {
        "live_cohort": cohort_children(programme=programme, last_day=last_day).values("child_id", "cohort_start"),
        "frozen_cohort": StatementCohortEntry.objects.filter(statement=statement).values("child_id", "cohort_start"),
        "live_obs": cohort_observations(
            programme=programme, period_start=statement.period_start, last_day=last_day
        ).values("id", "value"),
        "frozen_obs": StatementObservation.objects.filter(statement=statement).values("observation_id", "value"),
    }
    sql: dict[str, str] = {}
    params: list = []
    for name in ("live_cohort", "frozen_cohort", "live_obs", "frozen_obs"):  # the order their SQL appears in
        part_sql, part_params = parts[name].query.sql_with_params()
        sql[name] = part_sql
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(_CHANGE_COUNTS.format(**sql), params)
        counts = cursor.fetchone()
    return [(name, n) for name, n in zip(_CHANGE_NAMES, counts, strict=True) if n]

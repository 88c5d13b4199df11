"""The outcome-payment calculation, set-based: a fixed number of queries whatever the number of children.

For a programme and a period within one calendar year:
- cohort: every child ever enrolled (not merely waitlisted), from their first enrollment date until the
  programme's follow-up end, exits included (intention to treat);
- exposure: the cohort's days in the period; child-years = days / days in that calendar year (365 or 366);
- counterfactual cost = exposure × expected annual cost per child (fixed baseline, or the evaluator's
  comparison-group figure for the period), rounded to cents;
- actual cost: one line per cost-bearing metric and unit-cost version, quantity = Σ observation values whose
  period starts inside the period (and on or after the child's enrollment), amount = quantity × unit cost valid on
  the observation's start date, each line rounded to cents;
- savings = counterfactual − actual (+ adjustments to earlier approved periods, + a carried-forward deficit);
- payment = share × savings, never below 0, capped by the period cap and by what remains of the total cap.
All rounding is half-up to cents (sibcase.money.round_cents).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _

from families.models import Enrollment, EnrollmentStatus
from outcomes.models import MetricUnitCost, OutcomeMetric, OutcomeObservation
from programs.models import Programme
from sibcase.errors import DomainError, Problem
from sibcase.money import round_cents

from ..models import (
    FROZEN_STATUSES,
    ComparisonGroupCost,
    CounterfactualBasis,
    LineKind,
    PaymentStatement,
    PaymentStatementLine,
    PaymentTerms,
    StatementKind,
)


@dataclass(frozen=True)
class MetricLine:
    metric_id: int
    metric_code: str
    unit_cost_valid_from: datetime.date
    unit_cost: Decimal
    observation_count: int
    quantity: Decimal

    @property
    def amount(self) -> Decimal:
        return round_cents(self.quantity * self.unit_cost)


@dataclass(frozen=True)
class PeriodFigures:
    """What one period's data says now, before share, adjustments, carry-forward and caps."""

    child_count: int
    exposure_days: int
    days_in_year: int
    baseline: Decimal
    lines: list[MetricLine]

    @property
    def child_years(self) -> Decimal:
        return (Decimal(self.exposure_days) / Decimal(self.days_in_year)).quantize(Decimal("0.0001"))

    @property
    def counterfactual(self) -> Decimal:
        return round_cents(Decimal(self.exposure_days) * self.baseline / Decimal(self.days_in_year))

    @property
    def actual(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def savings(self) -> Decimal:
        return self.counterfactual - self.actual


@dataclass
class Adjustment:
    statement: PaymentStatement
    amount: Decimal


@dataclass
class StatementFigures:
    period: PeriodFigures
    terms: PaymentTerms
    adjustments: list[Adjustment] = field(default_factory=list)
    carried_forward_in: Decimal = Decimal("0.00")
    paid_before: Decimal = Decimal("0.00")

    @property
    def adjustments_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), Decimal("0.00"))

    @property
    def net_savings(self) -> Decimal:
        return self.period.savings + self.adjustments_total + self.carried_forward_in

    @property
    def uncapped_payment(self) -> Decimal:
        return round_cents(self.terms.savings_share * self.net_savings)

    @property
    def carried_forward_out(self) -> Decimal:
        return self.net_savings if self.net_savings < 0 and self.terms.carry_forward_negative else Decimal("0.00")

    @property
    def period_cap_applied(self) -> bool:
        return self.terms.period_cap is not None and self.uncapped_payment > self.terms.period_cap

    @property
    def remaining_total_cap(self) -> Decimal | None:
        if self.terms.total_cap is None:
            return None
        return max(self.terms.total_cap - self.paid_before, Decimal("0.00"))

    @property
    def payable(self) -> Decimal:
        payable = max(self.uncapped_payment, Decimal("0.00"))
        if self.terms.period_cap is not None:
            payable = min(payable, self.terms.period_cap)
        if self.remaining_total_cap is not None:
            payable = min(payable, self.remaining_total_cap)
        return payable

    @property
    def total_cap_applied(self) -> bool:
        remaining = self.remaining_total_cap
        capped_by_period = min(max(self.uncapped_payment, Decimal("0")), self.terms.period_cap or self.uncapped_payment)
        return remaining is not None and capped_by_period > remaining


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter that `day` falls in (the period of a preview)."""
    start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    next_start = datetime.date(day.year + 1, 1, 1) if start.month == 10 else start.replace(month=start.month + 3)
    return start, next_start - datetime.timedelta(days=1)


def check_period(period_start: datetime.date, period_end: datetime.date) -> None:
    if period_end < period_start or period_start.year != period_end.year:
        raise DomainError(
            Problem(
                "invalid_period",
                _("Laskentakauden on oltava saman kalenterivuoden sisällä ja päätyttävä alun jälkeen."),
            )
        )


def cohort_memberships(*, programme: Programme) -> QuerySet:
    """One row per child ever enrolled (not merely waitlisted) in the programme: `child_id` and `cohort_start`,
    the first enrollment date. Grouped over the enrollment–child table, so PostgreSQL aggregates in one pass."""
    return (
        Enrollment.children.through.objects.filter(enrollment__programme=programme)
        .exclude(enrollment__status=EnrollmentStatus.WAITLISTED)
        .values("child_id")
        .annotate(cohort_start=Min("enrollment__enrolled_on"))
    )


def _last_counted_day(programme: Programme, period_start: datetime.date, period_end: datetime.date) -> datetime.date:
    last_day = min(period_end, programme.follow_up_end)
    if last_day < period_start:  # the period lies after the follow-up has ended
        last_day = period_start - datetime.timedelta(days=1)
    return last_day


def cohort_children(*, programme: Programme, last_day: datetime.date) -> QuerySet:
    """The cohort as of `last_day`: every child enrolled by then, with `child_id` and `cohort_start`."""
    return cohort_memberships(programme=programme).filter(cohort_start__lte=last_day)


def cohort_observations(
    *, programme: Programme, period_start: datetime.date, last_day: datetime.date
) -> QuerySet[OutcomeObservation]:
    """Cost-bearing observations of the cohort starting in the period (and not before the child's enrollment),
    annotated with `unit_cost_from`: the start of the unit-cost version valid on the observation's start date."""
    enrolled_by_then = Enrollment.objects.filter(
        programme=programme, children=OuterRef("child_id"), enrolled_on__lte=OuterRef("period_start")
    ).exclude(status=EnrollmentStatus.WAITLISTED)
    return (
        OutcomeObservation.objects.filter(
            metric__programme=programme,
            metric__is_cost_bearing=True,
            period_start__gte=period_start,
            period_start__lte=last_day,
        )
        .filter(Exists(enrolled_by_then))
        .annotate(
            unit_cost_from=Subquery(
                MetricUnitCost.objects.filter(metric=OuterRef("metric_id"), valid_from__lte=OuterRef("period_start"))
                .order_by("-valid_from")
                .values("valid_from")[:1],
                output_field=DateField(),
            )
        )
    )


def exposure_days_expression(*, period_start: datetime.date, last_day: datetime.date) -> ExpressionWrapper:
    """A cohort child's days in the period, minus one (add one per child: both ends count)."""
    return ExpressionWrapper(
        Value(last_day) - Greatest(F("cohort_start"), Value(period_start)), output_field=DurationField()
    )


def period_figures(
    *, programme: Programme, terms: PaymentTerms, period_start: datetime.date, period_end: datetime.date
) -> PeriodFigures:
    """Cohort exposure and the metric lines of one period: three queries, whatever the cohort's size."""
    check_period(period_start, period_end)
    last_day = _last_counted_day(programme, period_start, period_end)
    exposure = cohort_children(programme=programme, last_day=last_day).aggregate(
        children=Count("child_id"), days=Sum(exposure_days_expression(period_start=period_start, last_day=last_day))
    )
    children = exposure["children"] or 0
    # Each child's span is inclusive of both ends: add one day per child.
    exposure_days = (exposure["days"].days + children) if children else 0

    observations = (
        cohort_observations(programme=programme, period_start=period_start, last_day=last_day)
        .values("metric_id", "unit_cost_from")
        .annotate(quantity=Sum("value"), observations=Count("id"))
        .order_by("metric_id", "unit_cost_from")
    )
    groups = list(observations)
    if any(group["unit_cost_from"] is None for group in groups):
        codes = OutcomeMetric.objects.filter(pk__in=[g["metric_id"] for g in groups if g["unit_cost_from"] is None])
        raise DomainError(
            Problem(
                "unit_cost_missing",
                _("Mittarille %(codes)s ei ole yksikkökustannusta havainnon päivälle.")
                % {"codes": ", ".join(m.code for m in codes)},
            )
        )
    costs = {
        (cost.metric_id, cost.valid_from): cost
        for cost in MetricUnitCost.objects.select_related("metric").filter(
            metric__programme=programme, valid_from__in={g["unit_cost_from"] for g in groups}
        )
    }
    lines = [
        MetricLine(
            metric_id=group["metric_id"],
            metric_code=costs[(group["metric_id"], group["unit_cost_from"])].metric.code,
            unit_cost_valid_from=group["unit_cost_from"],
            unit_cost=costs[(group["metric_id"], group["unit_cost_from"])].unit_cost,
            observation_count=group["observations"],
            quantity=group["quantity"],
        )
        for group in groups
    ]
    return PeriodFigures(
        child_count=children,
        exposure_days=exposure_days,
        days_in_year=days_in_year(period_start.year),
        baseline=_baseline(programme=programme, terms=terms, period_start=period_start, period_end=period_end),
        lines=lines,
    )


def terms_for(*, programme: Programme, period_start: datetime.date, period_end: datetime.date) -> PaymentTerms:
    """The terms version in force on the period's last day (a programme starting mid-year is still paid for)."""
    terms = (
        PaymentTerms.objects.filter(programme=programme, effective_from__lte=period_end)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=period_end))
        .order_by("-effective_from")
        .first()
    )
    if terms is None:
        raise DomainError(
            Problem("terms_missing", _("Ohjelmalle ei ole kauden viimeisenä päivänä voimassa olevia maksuehtoja."))
        )
    return terms


def _baseline(*, programme, terms, period_start, period_end) -> Decimal:
    if terms.counterfactual_basis == CounterfactualBasis.FIXED_BASELINE:
        return terms.baseline_cost_per_child_year
    figure = ComparisonGroupCost.objects.filter(
        programme=programme, period_start=period_start, period_end=period_end
    ).first()
    if figure is None:
        raise DomainError(
            Problem(
                "comparison_cost_missing",
                _("Maksuehdot käyttävät vertailuryhmän kustannusta, mutta arvioija ei ole kirjannut sitä kaudelle."),
            )
        )
    return figure.cost_per_child_year


def statement_figures(
    *, programme: Programme, kind: str, period_start: datetime.date, period_end: datetime.date
) -> StatementFigures:
    """Everything a statement shows. Annual statements also carry adjustments, deficits and the caps."""
    terms = terms_for(programme=programme, period_start=period_start, period_end=period_end)
    figures = StatementFigures(
        period=period_figures(programme=programme, terms=terms, period_start=period_start, period_end=period_end),
        terms=terms,
    )
    if kind != StatementKind.ANNUAL:
        return figures
    frozen = list(
        PaymentStatement.objects.filter(
            programme=programme, kind=StatementKind.ANNUAL, status__in=FROZEN_STATUSES, period_end__lt=period_start
        ).order_by("period_start")
    )
    figures.paid_before = sum((s.payable for s in frozen), Decimal("0.00"))
    if frozen and terms.carry_forward_negative:
        figures.carried_forward_in = frozen[-1].carried_forward_out
    already = _adjustments_already_made(programme=programme, before=period_start)
    for statement in frozen:
        now = period_figures(
            programme=programme,
            terms=statement.terms,
            period_start=statement.period_start,
            period_end=statement.period_end,
        )
        delta = now.savings - statement.savings - already.get(statement.pk, Decimal("0.00"))
        if delta:
            figures.adjustments.append(Adjustment(statement=statement, amount=delta))
    return figures


def _adjustments_already_made(*, programme: Programme, before: datetime.date) -> dict[int, Decimal]:
    rows = (
        PaymentStatementLine.objects.filter(
            statement__programme=programme,
            statement__status__in=FROZEN_STATUSES,
            statement__period_end__lt=before,
            kind=LineKind.ADJUSTMENT,
        )
        .values("adjusts_id")
        .annotate(total=Sum("amount"))
    )
    return {row["adjusts_id"]: row["total"] for row in rows}

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
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Case,
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
    When,
)
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _

from families.models import Enrollment
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
class TermsSnapshot:
    """The payment terms as a statement used them. A stored statement is only ever recomputed from its own
    snapshot (`PaymentStatement.inputs["terms"]`), never from the terms row, which may since have changed."""

    terms_id: int
    effective_from: datetime.date
    counterfactual_basis: str
    savings_share: Decimal
    period_cap: Decimal | None
    total_cap: Decimal | None
    carry_forward_negative: bool
    # The expected annual cost per child the statement used (the fixed baseline or the comparison-group figure).
    baseline: Decimal | None = None

    @classmethod
    def of(cls, terms: PaymentTerms) -> TermsSnapshot:
        return cls(
            terms_id=terms.pk,
            effective_from=terms.effective_from,
            counterfactual_basis=terms.counterfactual_basis,
            savings_share=terms.savings_share,
            period_cap=terms.period_cap,
            total_cap=terms.total_cap,
            carry_forward_negative=terms.carry_forward_negative,
            baseline=terms.baseline_cost_per_child_year
            if terms.counterfactual_basis == CounterfactualBasis.FIXED_BASELINE
            else None,
        )

    @classmethod
    def of_statement(cls, statement: PaymentStatement) -> TermsSnapshot:
        stored = statement.inputs.get("terms", {})

        def money(key: str) -> Decimal | None:
            return Decimal(stored[key]) if stored.get(key) is not None else None

        return cls(
            terms_id=statement.inputs.get("terms_id", statement.terms_id),
            effective_from=datetime.date.fromisoformat(stored["effective_from"]),
            counterfactual_basis=stored["counterfactual_basis"],
            savings_share=Decimal(stored["savings_share"]),
            period_cap=money("period_cap"),
            total_cap=money("total_cap"),
            carry_forward_negative=stored["carry_forward_negative"],
            baseline=money("baseline_cost_per_child_year"),
        )

    def as_inputs(self, baseline: Decimal) -> dict:
        return {
            "effective_from": self.effective_from.isoformat(),
            "counterfactual_basis": self.counterfactual_basis,
            "baseline_cost_per_child_year": str(baseline),
            "savings_share": str(self.savings_share),
            "period_cap": str(self.period_cap) if self.period_cap is not None else None,
            "total_cap": str(self.total_cap) if self.total_cap is not None else None,
            "carry_forward_negative": self.carry_forward_negative,
        }

    def period_payment(self, net_savings: Decimal) -> Decimal:
        """What a period's own result pays under these terms: share × net savings, never below zero, at most the
        period cap (a cap of 0.00 is a cap)."""
        payment = max(round_cents(self.savings_share * net_savings), Decimal("0.00"))
        return payment if self.period_cap is None else min(payment, self.period_cap)

    def carried_out(self, net_savings: Decimal) -> Decimal:
        return net_savings if net_savings < 0 and self.carry_forward_negative else Decimal("0.00")


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
    """A correction to an earlier approved statement: what its period should have paid with today's data under its
    own terms (share, floor, period cap), less what it paid and what later statements already corrected."""

    statement: PaymentStatement
    should_have_paid: Decimal
    paid: Decimal
    already_adjusted: Decimal

    @property
    def amount(self) -> Decimal:
        return self.should_have_paid - self.paid - self.already_adjusted

    def as_inputs(self) -> dict:
        return {
            "statement": self.statement.pk,
            "should_have_paid": str(self.should_have_paid),
            "paid": str(self.paid),
            "already_adjusted": str(self.already_adjusted),
            "amount": str(self.amount),
        }


@dataclass
class StatementFigures:
    """A statement's figures, step by step: the period's own payment (share, floor, period cap), then the
    adjustments to earlier years, then the total cap over everything approved."""

    period: PeriodFigures
    terms: TermsSnapshot
    adjustments: list[Adjustment] = field(default_factory=list)
    carried_forward_in: Decimal = Decimal("0.00")
    # Σ payable of every other approved or paid statement of the programme, whatever its period.
    approved_elsewhere: Decimal = Decimal("0.00")

    @property
    def net_savings(self) -> Decimal:
        return self.period.savings + self.carried_forward_in

    @property
    def uncapped_payment(self) -> Decimal:
        return round_cents(self.terms.savings_share * self.net_savings)

    @property
    def carried_forward_out(self) -> Decimal:
        return self.terms.carried_out(self.net_savings)

    @property
    def period_payable(self) -> Decimal:
        return self.terms.period_payment(self.net_savings)

    @property
    def period_cap_applied(self) -> bool:
        return self.terms.period_cap is not None and self.uncapped_payment > self.terms.period_cap

    @property
    def adjustments_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), Decimal("0.00"))

    @property
    def refund_due(self) -> Decimal:
        """What the fund owes back: negative adjustments larger than this statement's own payment."""
        return max(-(self.period_payable + self.adjustments_total), Decimal("0.00"))

    @property
    def before_total_cap(self) -> Decimal:
        return max(self.period_payable + self.adjustments_total, Decimal("0.00"))

    @property
    def remaining_total_cap(self) -> Decimal | None:
        if self.terms.total_cap is None:
            return None
        return max(self.terms.total_cap - self.approved_elsewhere, Decimal("0.00"))

    @property
    def payable(self) -> Decimal:
        remaining = self.remaining_total_cap
        return self.before_total_cap if remaining is None else min(self.before_total_cap, remaining)

    @property
    def total_cap_applied(self) -> bool:
        remaining = self.remaining_total_cap
        return remaining is not None and self.before_total_cap > remaining


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def quarter_of(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The first and last day of the calendar quarter that `day` falls in (the period of a preview)."""
    start = datetime.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    next_start = datetime.date(day.year + 1, 1, 1) if start.month == 10 else start.replace(month=start.month + 3)
    return start, next_start - datetime.timedelta(days=1)


def check_period(period_start: datetime.date, period_end: datetime.date) -> None:
    """A calculation period lies within one calendar year (annual statements and quarterly previews)."""
    if period_end < period_start or period_start.year != period_end.year:
        raise DomainError(
            Problem(
                "invalid_period",
                _("Laskentakauden on oltava saman kalenterivuoden sisällä ja päätyttävä alun jälkeen."),
            )
        )


def cohort_memberships(*, programme: Programme) -> QuerySet:
    """One row per child whose enrollment in the programme ever actually began (a waitlist spell never counts):
    `child_id` and `cohort_start`, the first day of actual participation. Grouped over the enrollment–child table,
    so PostgreSQL aggregates in one pass."""
    return (
        Enrollment.children.through.objects.filter(
            enrollment__programme=programme, enrollment__activated_on__isnull=False
        )
        .values("child_id")
        .annotate(cohort_start=Min("enrollment__activated_on"))
    )


def last_counted_day(programme: Programme, period_start: datetime.date, period_end: datetime.date) -> datetime.date:
    """The period's last day that counts: the period end, or the follow-up end if that comes first (the day before
    the period when the follow-up ended before it)."""
    last_day = min(period_end, programme.follow_up_end)
    if last_day < period_start:  # the period lies after the follow-up has ended
        last_day = period_start - datetime.timedelta(days=1)
    return last_day


def cohort_children(*, programme: Programme, last_day: datetime.date) -> QuerySet:
    """The cohort as of `last_day`: every child whose participation began by then, with `child_id` and
    `cohort_start`."""
    return cohort_memberships(programme=programme).filter(cohort_start__lte=last_day)


def _cohort_observation_rows(
    *,
    programme: Programme,
    period_start: datetime.date,
    last_day: datetime.date,
    metric_ids: list[int] | None = None,
) -> QuerySet[OutcomeObservation]:
    """Cost-bearing observations of the cohort starting in the period (and not before the child's participation
    began). `metric_ids`, the programme's cost-bearing metrics when the caller has already read them, replaces the
    join to the metric table: `metric_id IN (...)` with the period lets PostgreSQL read only the period's rows
    through the (metric, period_start) index instead of filtering the whole table."""
    begun_by_then = Enrollment.objects.ever_active().filter(
        programme=programme, children=OuterRef("child_id"), activated_on__lte=OuterRef("period_start")
    )
    metrics = (
        Q(metric__programme=programme, metric__is_cost_bearing=True)
        if metric_ids is None
        else Q(metric_id__in=metric_ids)
    )
    return (
        OutcomeObservation.objects.current()
        .filter(metrics, period_start__gte=period_start, period_start__lte=last_day)
        .filter(Exists(begun_by_then))
    )


def cohort_observations(
    *, programme: Programme, period_start: datetime.date, last_day: datetime.date
) -> QuerySet[OutcomeObservation]:
    """Cost-bearing observations of the cohort starting in the period (and not before the child's participation
    began), annotated with `unit_cost_from`: the start of the unit-cost version valid on the observation's start
    date."""
    return _cohort_observation_rows(programme=programme, period_start=period_start, last_day=last_day).annotate(
        unit_cost_from=Subquery(
            MetricUnitCost.objects.filter(metric=OuterRef("metric_id"), valid_from__lte=OuterRef("period_start"))
            .order_by("-valid_from")
            .values("valid_from")[:1],
            output_field=DateField(),
        )
    )


def unit_cost_from_expression(versions: Iterable[tuple[int, datetime.date]]) -> Case:
    """`unit_cost_from` without a subquery per observation: the unit-cost versions (metric id, valid from; a
    handful per metric, read once) become one CASE over (metric, start date), the latest `valid_from` ≤ the
    observation's start winning; NULL when no version is valid yet, as with the subquery in `cohort_observations`."""
    whens = [
        When(metric_id=metric_id, period_start__gte=valid_from, then=Value(valid_from))
        for metric_id, valid_from in sorted(versions, reverse=True)
    ]
    return Case(*whens, default=None, output_field=DateField())


def cost_bearing_metrics(*, programme: Programme) -> tuple[dict[int, str], dict[tuple[int, datetime.date], Decimal]]:
    """The programme's cost-bearing metrics (id → code) and every unit-cost version of them ((metric id, valid
    from) → unit cost), in one query: a metric without any version is still listed (its observations are refused
    as having no unit cost)."""
    codes: dict[int, str] = {}
    unit_costs: dict[tuple[int, datetime.date], Decimal] = {}
    rows = (
        OutcomeMetric.objects.filter(programme=programme, is_cost_bearing=True)
        .values_list("pk", "code", "unit_costs__valid_from", "unit_costs__unit_cost")
        .order_by()
    )
    for metric_id, code, valid_from, unit_cost in rows:
        codes[metric_id] = code
        if valid_from is not None:
            unit_costs[(metric_id, valid_from)] = unit_cost
    return codes, unit_costs


def exposure_days_expression(*, period_start: datetime.date, last_day: datetime.date) -> ExpressionWrapper:
    """A cohort child's days in the period, minus one (add one per child: both ends count)."""
    return ExpressionWrapper(
        Value(last_day) - Greatest(F("cohort_start"), Value(period_start)), output_field=DurationField()
    )


def period_figures(
    *,
    programme: Programme,
    terms: PaymentTerms | TermsSnapshot,
    period_start: datetime.date,
    period_end: datetime.date,
) -> PeriodFigures:
    """Cohort exposure and the metric lines of one period: a fixed number of queries, whatever the cohort's size."""
    snapshot = terms if isinstance(terms, TermsSnapshot) else TermsSnapshot.of(terms)
    check_period(period_start, period_end)
    last_day = last_counted_day(programme, period_start, period_end)
    exposure = cohort_children(programme=programme, last_day=last_day).aggregate(
        children=Count("child_id"), days=Sum(exposure_days_expression(period_start=period_start, last_day=last_day))
    )
    children = exposure["children"] or 0
    # Each child's span is inclusive of both ends: add one day per child.
    exposure_days = (exposure["days"].days + children) if children else 0

    # The cost-bearing metrics with every unit-cost version (a few rows), then the lines in one set-based
    # aggregate (no correlated lookup per observation: the hot spot at 1M children). No metric, no query.
    codes, unit_costs = cost_bearing_metrics(programme=programme)
    observations = (
        _cohort_observation_rows(
            programme=programme, period_start=period_start, last_day=last_day, metric_ids=sorted(codes)
        )
        .annotate(unit_cost_from=unit_cost_from_expression(unit_costs))
        .values("metric_id", "unit_cost_from")
        .annotate(quantity=Sum("value"), observations=Count("id"))
        .order_by("metric_id", "unit_cost_from")
    )
    groups = list(observations)
    missing = sorted({codes[g["metric_id"]] for g in groups if g["unit_cost_from"] is None})
    if missing:
        raise DomainError(
            Problem(
                "unit_cost_missing",
                _("Mittarille %(codes)s ei ole yksikkökustannusta havainnon päivälle.") % {"codes": ", ".join(missing)},
            )
        )
    lines = [
        MetricLine(
            metric_id=group["metric_id"],
            metric_code=codes[group["metric_id"]],
            unit_cost_valid_from=group["unit_cost_from"],
            unit_cost=unit_costs[(group["metric_id"], group["unit_cost_from"])],
            observation_count=group["observations"],
            quantity=group["quantity"],
        )
        for group in groups
    ]
    return PeriodFigures(
        child_count=children,
        exposure_days=exposure_days,
        days_in_year=days_in_year(period_start.year),
        baseline=_baseline(programme=programme, terms=snapshot, period_start=period_start, period_end=period_end),
        lines=lines,
    )


def terms_for(*, programme: Programme, period_start: datetime.date, period_end: datetime.date) -> PaymentTerms:
    """The terms version in force on the period's last counted day (the period end, or the follow-up end if that
    comes first): a programme starting mid-year is paid for, and so is the last year when the terms end with the
    follow-up."""
    day = max(last_counted_day(programme, period_start, period_end), period_start)
    terms = (
        PaymentTerms.objects.in_force()
        .filter(programme=programme, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-effective_from")
        .first()
    )
    if terms is None:
        raise DomainError(
            Problem("terms_missing", _("Ohjelmalle ei ole kauden viimeisenä päivänä voimassa olevia maksuehtoja."))
        )
    return terms


def _baseline(*, programme: Programme, terms: TermsSnapshot, period_start, period_end) -> Decimal:
    if terms.baseline is not None:
        return terms.baseline
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


def true_up_period(programme: Programme) -> tuple[datetime.date, datetime.date]:
    """A true-up statement covers the programme's whole follow-up."""
    return programme.start_date, programme.follow_up_end


def statement_figures(
    *,
    programme: Programme,
    kind: str,
    period_start: datetime.date,
    period_end: datetime.date,
    exclude_statement_id: int | None = None,
) -> StatementFigures:
    """Everything a statement shows. Every kind counts what is already approved against the total cap; annual
    statements and the true-up also carry the adjustments to earlier approved years and a carried deficit; the
    true-up has no period of its own (its figures are adjustments only)."""
    approved = list(
        PaymentStatement.objects.filter(programme=programme, status__in=FROZEN_STATUSES)
        .exclude(pk=exclude_statement_id)
        .order_by("period_start", "id")
    )
    approved_elsewhere = sum((s.payable for s in approved), Decimal("0.00"))
    if kind == StatementKind.TRUE_UP:
        last_year = [s for s in approved if s.kind == StatementKind.ANNUAL and s.period_end >= programme.follow_up_end]
        if not last_year:
            raise DomainError(
                Problem(
                    "last_year_not_approved",
                    _("Lopputilityksen voi laskea vasta, kun seurannan viimeisen vuoden laskelma on hyväksytty."),
                )
            )
        terms = TermsSnapshot.of_statement(last_year[0])
        period = PeriodFigures(child_count=0, exposure_days=0, days_in_year=1, baseline=Decimal("0.00"), lines=[])
        earlier = [s for s in approved if s.kind == StatementKind.ANNUAL]
    else:
        terms = TermsSnapshot.of(terms_for(programme=programme, period_start=period_start, period_end=period_end))
        period = period_figures(programme=programme, terms=terms, period_start=period_start, period_end=period_end)
        earlier = [s for s in approved if s.kind == StatementKind.ANNUAL and s.period_end < period_start]
    figures = StatementFigures(period=period, terms=terms, approved_elsewhere=approved_elsewhere)
    if kind == StatementKind.PREVIEW:
        return figures
    adjustments, carried = _adjustments(programme=programme, earlier=earlier)
    return StatementFigures(
        period=period,
        terms=terms,
        adjustments=adjustments,
        carried_forward_in=carried if terms.carry_forward_negative else Decimal("0.00"),
        approved_elsewhere=approved_elsewhere,
    )


def _adjustments(*, programme: Programme, earlier: list[PaymentStatement]) -> tuple[list[Adjustment], Decimal]:
    """Each earlier approved year recomputed with today's data under its own stored terms, in order, carrying a
    deficit from one to the next as its terms say; and the deficit carried out of the last one."""
    already = adjustments_already_made(programme=programme, statement_ids=[s.pk for s in earlier])
    adjustments: list[Adjustment] = []
    carried = Decimal("0.00")
    for statement in earlier:
        terms = TermsSnapshot.of_statement(statement)
        now = period_figures(
            programme=programme, terms=terms, period_start=statement.period_start, period_end=statement.period_end
        )
        net = now.savings + (carried if terms.carry_forward_negative else Decimal("0.00"))
        adjustment = Adjustment(
            statement=statement,
            should_have_paid=terms.period_payment(net),
            paid=statement.period_payable,
            already_adjusted=already.get(statement.pk, Decimal("0.00")),
        )
        if adjustment.amount:
            adjustments.append(adjustment)
        carried = terms.carried_out(net)
    return adjustments, carried


def adjustments_already_made(*, programme: Programme, statement_ids: list[int]) -> dict[int, Decimal]:
    """Σ adjustment lines per adjusted statement, in approved or paid statements."""
    if not statement_ids:
        return {}
    rows = (
        PaymentStatementLine.objects.filter(
            statement__programme=programme,
            statement__status__in=FROZEN_STATUSES,
            adjusts_id__in=statement_ids,
            kind=LineKind.ADJUSTMENT,
        )
        .values("adjusts_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["adjusts_id"]: row["total"] for row in rows}

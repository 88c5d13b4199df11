"""Aggregates for the fund reports: a fixed number of grouped queries whatever the number of families.

Nothing here returns a person, a family or an id of either; every count goes through suppression.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import get_language

from families.models import Enrollment, EnrollmentStatus
from outcomes.models import OutcomeMetric, OutcomeObservation, ServiceEpisode
from programs.models import Programme
from sibcase.money import round_cents

from ..models import PaymentStatement, PaymentTerms, StatementKind, StatementStatus
from .suppression import HIDDEN, THRESHOLD, suppress, suppress_group

ZERO = Decimal("0.00")


@dataclass
class ProgrammeFigures:
    programme: Programme
    families: int | str = 0
    children: int | str = 0
    suppressed: bool = False
    child_years: Decimal | str = Decimal("0")
    episodes_by_provider: dict[str, int | str] = field(default_factory=dict)
    events_by_metric: dict[str, int | str] = field(default_factory=dict)
    counterfactual: Decimal | str = ZERO
    actual: Decimal | str = ZERO
    savings: Decimal | str = ZERO
    paid: Decimal | str = ZERO
    approved: Decimal | str = ZERO
    pending: Decimal | str = ZERO
    total_cap: Decimal | None = None

    @property
    def committed(self) -> Decimal | str:
        if self.suppressed:
            return HIDDEN
        return self.paid + self.approved

    @property
    def cap_used_percent(self) -> Decimal | None:
        if self.suppressed or not self.total_cap:
            return None
        return (self.committed / self.total_cap * 100).quantize(Decimal("0.1"))


def _cohort_counts(programme: Programme | None = None) -> dict[int, dict[str, int]]:
    """Families and children ever enrolled, per programme (or for the one programme given)."""
    enrollments = Enrollment.objects.filter(programme=programme) if programme else Enrollment.objects.all()
    rows = (
        enrollments.exclude(status=EnrollmentStatus.WAITLISTED)
        .values("programme_id")
        .annotate(families=Count("family", distinct=True), children=Count("children", distinct=True))
        .order_by()
    )
    return {row["programme_id"]: row for row in rows}


def fund_overview() -> list[ProgrammeFigures]:
    """fund_overview_compute, cached for FUND_REPORT_CACHE_SECONDS: the aggregates scan every observation and
    episode, and hold no personal data, so a few minutes' staleness is the right trade (0 turns caching off)."""
    seconds = settings.SIBCASE["FUND_REPORT_CACHE_SECONDS"]
    if not seconds:
        return fund_overview_compute()
    return cache.get_or_set(f"fund-overview:{get_language()}", fund_overview_compute, seconds)


def fund_overview_compute() -> list[ProgrammeFigures]:
    """One row per programme: the cohort, services delivered, outcome events, costs, savings and payments."""
    programmes = list(Programme.objects.select_related("municipality").order_by("municipality__name_fi", "name_fi"))
    cohorts = _cohort_counts()
    episodes: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        ServiceEpisode.objects.values("enrollment__programme_id", "provider__name").annotate(n=Count("id")).order_by()
    ):
        episodes[row["enrollment__programme_id"]][row["provider__name"] or "–"] = row["n"]
    events: dict[int, dict[str, int]] = defaultdict(dict)
    metrics = {metric.pk: metric for metric in OutcomeMetric.objects.all()}
    for row in OutcomeObservation.objects.values("metric_id").annotate(n=Count("id")).order_by():
        metric = metrics[row["metric_id"]]
        events[metric.programme_id][metric.name] = row["n"]
    money = {
        row["programme_id"]: row
        for row in PaymentStatement.objects.filter(kind=StatementKind.ANNUAL)
        .values("programme_id")
        .annotate(
            child_years=Sum("child_years"),
            counterfactual=Sum("counterfactual_cost"),
            actual=Sum("actual_cost"),
            savings=Sum("savings"),
            paid=Sum("payable", filter=Q(status=StatementStatus.PAID)),
            approved=Sum("payable", filter=Q(status=StatementStatus.APPROVED)),
            pending=Sum("payable", filter=Q(status__in=[StatementStatus.DRAFT, StatementStatus.VALIDATED])),
        )
        .order_by()
    }
    caps = _current_total_caps()
    rows = []
    for programme in programmes:
        cohort = cohorts.get(programme.pk, {"families": 0, "children": 0})
        figures = ProgrammeFigures(
            programme=programme,
            families=suppress(cohort["families"]),
            children=suppress(cohort["children"]),
            total_cap=caps.get(programme.pk),
        )
        if 0 < cohort["children"] < THRESHOLD:
            figures.suppressed = True
            for name in ("child_years", "counterfactual", "actual", "savings", "paid", "approved", "pending"):
                setattr(figures, name, HIDDEN)
            rows.append(figures)
            continue
        figures.episodes_by_provider = suppress_group(episodes.get(programme.pk, {}))
        figures.events_by_metric = suppress_group(events.get(programme.pk, {}))
        sums = money.get(programme.pk, {})
        figures.child_years = sums.get("child_years") or Decimal("0")
        for name in ("counterfactual", "actual", "savings", "paid", "approved", "pending"):
            setattr(figures, name, sums.get(name) or ZERO)
        rows.append(figures)
    return rows


def fund_overview_totals(rows: list[ProgrammeFigures]) -> dict[str, Decimal]:
    """Money totals over the programmes whose figures are shown: a suppressed programme's figures must not be
    recoverable as the total minus the others."""
    shown = [row for row in rows if not row.suppressed]
    return {
        name: sum((getattr(row, name) for row in shown), ZERO)
        for name in ("counterfactual", "actual", "savings", "paid", "approved", "pending")
    }


def _current_total_caps() -> dict[int, Decimal | None]:
    caps: dict[int, Decimal | None] = {}
    for terms in PaymentTerms.objects.order_by("programme_id", "effective_from"):
        caps[terms.programme_id] = terms.total_cap  # the latest version wins
    return caps


@dataclass
class YearRow:
    year: int
    status: str
    projected: bool
    child_years: Decimal | str
    counterfactual: Decimal | str
    actual: Decimal | str
    savings: Decimal | str
    payable: Decimal | str
    cumulative: Decimal | str
    low: Decimal | None = None
    high: Decimal | None = None


@dataclass
class ProgrammeReport:
    programme: Programme
    children: int | str
    suppressed: bool
    statement: PaymentStatement | None
    line_counts: dict[int, int | str]
    years: list[YearRow]
    enrollments_by_year: list[tuple[int, int | str]]
    total_cap: Decimal | None
    assumptions: dict


def programme_report(*, programme: Programme, year: int | None = None) -> ProgrammeReport:
    cohort = _cohort_counts(programme).get(programme.pk, {"children": 0})
    children = cohort["children"]
    suppressed = 0 < children < THRESHOLD
    statements = list(
        PaymentStatement.objects.filter(programme=programme, kind=StatementKind.ANNUAL).order_by("period_start")
    )
    by_year = {s.period_start.year: s for s in statements}
    statement = by_year.get(year) if year else (statements[-1] if statements else None)
    lines = list(statement.lines.select_related("metric")) if statement and not suppressed else []
    terms = PaymentTerms.objects.filter(programme=programme).order_by("-effective_from").first()
    years, assumptions = _years(programme, by_year, children, terms, suppressed)
    enrollments = dict(
        Enrollment.objects.filter(programme=programme)
        .exclude(status=EnrollmentStatus.WAITLISTED)
        .annotate(year=ExtractYear("enrolled_on"))
        .values_list("year")
        .annotate(n=Count("id"))
        .order_by()
    )
    first = programme.start_date.year
    last = max([first, *enrollments.keys()])
    # The years add up to the cohort shown above: suppressed as one group.
    by_year = suppress_group({year: enrollments.get(year, 0) for year in range(first, last + 1)})
    return ProgrammeReport(
        programme=programme,
        children=suppress(children),
        suppressed=suppressed,
        statement=statement if not suppressed else None,
        line_counts=suppress_group({line.pk: line.observation_count for line in lines}),
        years=years,
        enrollments_by_year=list(by_year.items()),
        total_cap=terms.total_cap if terms else None,
        assumptions=assumptions,
    )


def _years(programme, by_year, children, terms, suppressed) -> tuple[list[YearRow], dict]:
    """Calculated years from the statements, then a projection to the follow-up end from the current cohort."""
    rows: list[YearRow] = []
    cumulative = ZERO
    for year in sorted(by_year):
        s = by_year[year]
        if s.status in (StatementStatus.APPROVED, StatementStatus.PAID):
            cumulative += s.payable
        rows.append(
            YearRow(
                year=year,
                status=s.get_status_display(),
                projected=False,
                child_years=s.child_years,
                counterfactual=s.counterfactual_cost,
                actual=s.actual_cost,
                savings=s.savings,
                payable=s.payable,
                cumulative=cumulative,
            )
        )
    child_years = sum((s.child_years for s in by_year.values()), Decimal("0"))
    savings = sum((s.savings for s in by_year.values()), ZERO)
    rate = round_cents(savings / child_years) if child_years else ZERO
    scenarios = settings.SIBCASE["PROJECTION_SCENARIOS"]
    assumptions = {
        "savings_per_child_year": rate,
        "cohort_children": children,
        "share": terms.savings_share if terms else None,
        "optimistic": scenarios["optimistic"],
        "pessimistic": scenarios["pessimistic"],
    }
    start = max(by_year) + 1 if by_year else max(programme.start_date.year, timezone.localdate().year)
    if terms is not None:
        spent = {"base": cumulative, "low": cumulative, "high": cumulative}
        for year in range(start, programme.follow_up_end.year + 1):
            payment = {}
            for name, factor in (
                ("base", Decimal("1")),
                ("low", scenarios["pessimistic"]),
                ("high", scenarios["optimistic"]),
            ):
                amount = max(round_cents(terms.savings_share * rate * factor * children), ZERO)
                if terms.period_cap is not None:
                    amount = min(amount, terms.period_cap)
                if terms.total_cap is not None:
                    amount = min(amount, max(terms.total_cap - spent[name], ZERO))
                spent[name] += amount
                payment[name] = amount
            rows.append(
                YearRow(
                    year=year,
                    status="",
                    projected=True,
                    child_years=Decimal(children),
                    counterfactual=ZERO,
                    actual=ZERO,
                    savings=round_cents(rate * children),
                    payable=payment["base"],
                    cumulative=spent["base"],
                    low=payment["low"],
                    high=payment["high"],
                )
            )
    if suppressed:
        for row in rows:
            for name in ("child_years", "counterfactual", "actual", "savings", "payable", "cumulative"):
                setattr(row, name, HIDDEN)
            row.low = row.high = None
        assumptions = {**assumptions, "savings_per_child_year": HIDDEN, "cohort_children": suppress(children)}
    return rows, assumptions

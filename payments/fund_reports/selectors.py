"""Aggregates for the fund reports: a fixed number of grouped queries whatever the number of families.

Nothing here returns a person, a family or an id of either; every count goes through suppression.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, OuterRef, Subquery, Sum
from django.utils import timezone
from django.utils.translation import get_language

from families.models import Enrollment
from outcomes.models import OutcomeMetric, OutcomeObservation, ServiceEpisode
from programs.models import Fund, Programme
from sibcase.aggregate_cache import ALL_PROGRAMMES, aggregates_version, cached_aggregate
from sibcase.money import round_cents

from ..models import LineKind, PaymentStatement, PaymentStatementLine, PaymentTerms, StatementKind, StatementStatus
from .suppression import HIDDEN, THRESHOLD, Shown, is_suppressed, publish_group, suppress_group

ZERO = Decimal("0.00")


@dataclass
class ProgrammeFigures:
    programme: Programme
    families: int | str = 0
    children: int | str = 0
    suppressed: bool = False
    hidden_periods: int = 0  # statements of a period whose cohort was under five: left out of every sum
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
    """Families and children whose participation ever began (the payment cohort: a waitlist spell never counts),
    per programme (or for the one programme given); from the shared cache, superseded whenever a programme's
    enrollments change."""
    scope = programme.pk if programme else ALL_PROGRAMMES
    return cached_aggregate(scope=scope, name="cohort-counts", compute=partial(_cohort_counts_compute, programme))


def _cohort_counts_compute(programme: Programme | None) -> dict[int, dict[str, int]]:
    enrollments = Enrollment.objects.filter(programme=programme) if programme else Enrollment.objects.all()
    rows = (
        enrollments.ever_active()
        .values("programme_id")
        .annotate(families=Count("family", distinct=True), children=Count("children", distinct=True))
        .order_by()
    )
    return {row["programme_id"]: row for row in rows}


def published_children(cohorts: dict[int, dict[str, int]] | None = None) -> tuple[dict[int, Shown], Shown]:
    """Children per programme and over all programmes, published as one audited group: every page and export
    (overview, period report, home page, INDIGO) shows these same figures, so none can be differenced."""
    cohorts = _cohort_counts() if cohorts is None else cohorts
    cells = {pk: row["children"] for pk, row in cohorts.items()}
    shown, total = publish_group(cells, total=sum(cells.values()))
    return shown, total if total is not None else 0


def _families_by_year(programme: Programme | None = None) -> dict[int, dict[int, int]]:
    """Families per year their participation first began, per programme: the years add up to the families of the
    cohort, so the year table and the cohort total are one group for disclosure control. From the shared cache."""
    return cached_aggregate(
        scope=programme.pk if programme else ALL_PROGRAMMES,
        name="families-by-year",
        compute=partial(_families_by_year_compute, programme),
    )


def _families_by_year_compute(programme: Programme | None) -> dict[int, dict[int, int]]:
    enrollments = Enrollment.objects.filter(programme=programme) if programme else Enrollment.objects.all()
    years: dict[int, Counter[int]] = defaultdict(Counter)
    for row in (
        enrollments.ever_active().values("programme_id", "family_id").annotate(first=Min("activated_on")).order_by()
    ):
        years[row["programme_id"]][row["first"].year] += 1
    return {pk: dict(by_year) for pk, by_year in years.items()}  # plain dicts: picklable into the cache


def _published_families(programme: Programme, by_year: dict[int, int], families: int):
    """The families of a cohort by year and in total, as published on every page and export."""
    first = programme.start_date.year
    last = max([first, *by_year.keys()])
    cells = {year: by_year.get(year, 0) for year in range(min([first, *by_year.keys()]), last + 1)}
    return publish_group(cells, total=families)


def fund_overview() -> list[ProgrammeFigures]:
    """fund_overview_compute, cached for FUND_REPORT_CACHE_SECONDS: the aggregates scan every observation and
    episode, and hold no personal data, so a few minutes' staleness is the right trade (0 turns caching off)."""
    seconds = settings.SIBCASE["FUND_REPORT_CACHE_SECONDS"]
    if not seconds:
        return fund_overview_compute()
    # Under the all-programmes version: a change of enrollments, observations or statements shows at once.
    key = f"fund-overview:{get_language()}:{aggregates_version(ALL_PROGRAMMES)}"
    return cache.get_or_set(key, fund_overview_compute, seconds)


def fund_overview_compute() -> list[ProgrammeFigures]:
    """One row per programme: the cohort, services delivered, outcome events, costs, savings and payments."""
    # The current terms' total cap comes with each programme (the latest version wins).
    latest_cap = PaymentTerms.objects.filter(programme=OuterRef("pk")).order_by("-effective_from").values("total_cap")
    programmes = list(
        Programme.objects.select_related("municipality")
        .annotate(current_total_cap=Subquery(latest_cap[:1]))
        .order_by("municipality__name_fi", "name_fi")
    )
    cohorts = _cohort_counts()
    children_shown, _ = published_children(cohorts)
    family_years = _families_by_year()
    episodes: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        ServiceEpisode.objects.values("enrollment__programme_id", "provider__name").annotate(n=Count("id")).order_by()
    ):
        episodes[row["enrollment__programme_id"]][row["provider__name"] or "–"] = row["n"]
    # Outcome events per metric, the metric's programme and names in the same grouped query.
    events: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        OutcomeObservation.objects.values(
            "metric_id", "metric__programme_id", "metric__name_fi", "metric__name_sv", "metric__name_en"
        )
        .annotate(n=Count("id"))
        .order_by()
    ):
        metric = OutcomeMetric(
            name_fi=row["metric__name_fi"], name_sv=row["metric__name_sv"], name_en=row["metric__name_en"]
        )
        events[row["metric__programme_id"]][metric.name] = row["n"]
    # The annual statements and their lines, read once: the hidden periods, then the sums over the shown ones.
    annual = list(
        PaymentStatement.objects.filter(kind=StatementKind.ANNUAL).only(
            "pk",
            "programme_id",
            "child_count",
            "status",
            "child_years",
            "counterfactual_cost",
            "actual_cost",
            "savings",
            "payable",
        )
    )
    lines_of: dict[int, list] = defaultdict(list)
    for line in PaymentStatementLine.objects.filter(statement__kind=StatementKind.ANNUAL).only(
        "pk", "statement_id", "kind", "observation_count", "amount"
    ):
        lines_of[line.statement_id].append(line)
    hidden_ids = _hidden_among(annual, lines_of)
    money: dict[int, dict[str, Decimal]] = {}
    for statement in annual:
        if statement.pk in hidden_ids:
            continue
        sums = money.setdefault(
            statement.programme_id,
            {"child_years": Decimal("0"), **dict.fromkeys(("counterfactual", "actual", "savings"), ZERO)}
            | dict.fromkeys(("paid", "approved", "pending"), ZERO),
        )
        sums["child_years"] += statement.child_years
        sums["counterfactual"] += statement.counterfactual_cost
        sums["actual"] += statement.actual_cost
        sums["savings"] += statement.savings
        if statement.status == StatementStatus.PAID:
            sums["paid"] += statement.payable
        elif statement.status == StatementStatus.APPROVED:
            sums["approved"] += statement.payable
        elif statement.status in (StatementStatus.DRAFT, StatementStatus.VALIDATED):
            sums["pending"] += statement.payable
    hidden_periods = Counter(statement.programme_id for statement in annual if statement.pk in hidden_ids)
    caps = {programme.pk: programme.current_total_cap for programme in programmes}
    rows = []
    for programme in programmes:
        cohort = cohorts.get(programme.pk, {"families": 0, "children": 0})
        _, families = _published_families(programme, family_years.get(programme.pk, {}), cohort["families"])
        figures = ProgrammeFigures(
            programme=programme,
            families=families,
            children=children_shown.get(programme.pk, 0),
            total_cap=caps.get(programme.pk),
            hidden_periods=hidden_periods.get(programme.pk, 0),
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
    hidden: bool = False


@dataclass
class StatementFigures:
    """One statement's figures as published: "x" throughout when its period's cohort was under five."""

    child_years: Decimal | str
    counterfactual: Decimal | str
    actual: Decimal | str
    savings: Decimal | str
    adjustments: Decimal | str
    share_percent: Decimal | str
    payable: Decimal | str


@dataclass
class LineRow:
    """A statement line as published. The quantity and amount of a line whose count is hidden are hidden too."""

    kind: str
    name: str
    unit_cost_valid_from: object
    count: Shown | str
    quantity: Decimal | str
    unit_cost: Decimal | str
    amount: Decimal | str


@dataclass
class ProgrammeReport:
    programme: Programme
    children: int | str
    families: int | str
    suppressed: bool
    statement: PaymentStatement | None
    statement_hidden: bool
    figures: StatementFigures | None
    lines: list[LineRow]
    years: list[YearRow]
    enrollments_by_year: list[tuple[int, int | str]]
    total_cap: Decimal | None
    assumptions: dict
    hidden_periods: int = 0


def programme_report(*, programme: Programme, year: int | None = None) -> ProgrammeReport:
    # Every programme's cohort in one query: this programme's row, and the group its children are published in.
    cohorts = _cohort_counts()
    cohort = cohorts.get(programme.pk, {"children": 0, "families": 0})
    children = cohort["children"]
    suppressed = 0 < children < THRESHOLD
    statements = list(
        PaymentStatement.objects.filter(programme=programme, kind=StatementKind.ANNUAL).order_by("period_start")
    )
    by_year = {s.period_start.year: s for s in statements}
    statement = by_year.get(year) if year else (statements[-1] if statements else None)
    # Every annual statement's lines in one query: for the hidden periods and for the lines of the one shown.
    lines_of: dict[int, list[PaymentStatementLine]] = defaultdict(list)
    for line in PaymentStatementLine.objects.filter(statement__in=[s.pk for s in statements]).select_related("metric"):
        lines_of[line.statement_id].append(line)
    hidden_ids = _hidden_among(statements, lines_of)
    statement_hidden = statement is not None and statement.pk in hidden_ids
    lines: list[LineRow] = []
    if statement is not None and not suppressed and not statement_hidden:
        lines = _published_lines(lines_of.get(statement.pk, []))[0]
    terms = PaymentTerms.objects.filter(programme=programme).order_by("-effective_from").first()
    shown_children = published_children(cohorts)[0].get(programme.pk, 0)
    years, assumptions = _years(programme, by_year, shown_children, terms, suppressed, hidden_ids)
    # The years add up to the cohort's families shown on the overview: one group, audited with its total.
    family_years, families = _published_families(
        programme, _families_by_year(programme).get(programme.pk, {}), cohort["families"]
    )
    figures = None
    if statement is not None and not suppressed:
        figures = _statement_figures(statement, hidden=statement_hidden)
    return ProgrammeReport(
        programme=programme,
        children=shown_children,
        families=families,
        suppressed=suppressed,
        statement=statement if not suppressed else None,
        statement_hidden=statement_hidden,
        figures=figures,
        lines=lines if not statement_hidden else [],
        years=years,
        enrollments_by_year=list(family_years.items()),
        total_cap=terms.total_cap if terms else None,
        assumptions=assumptions,
        hidden_periods=len(hidden_ids),
    )


def _statement_figures(statement: PaymentStatement, *, hidden: bool) -> StatementFigures:
    if hidden:
        return StatementFigures(*[HIDDEN] * 7)
    return StatementFigures(
        child_years=statement.child_years,
        counterfactual=statement.counterfactual_cost,
        actual=statement.actual_cost,
        savings=statement.savings,
        adjustments=statement.adjustments,
        share_percent=statement.savings_share_percent,
        payable=statement.payable,
    )


def _line_protection(lines) -> tuple[dict[int, Shown], set[int], bool]:
    """The lines' published counts, the lines whose quantity and amount are hidden, and whether that protects them.

    The metric lines add up to the statement's actual cost, so when exactly one metric line's amount is hidden
    the smallest other one is hidden too (its count as "x"). When no other line can be hidden the actual cost would
    give the line away: protectable is False and the statement's figures are hidden as a whole.
    """
    metric_lines = [line for line in lines if line.kind == LineKind.METRIC]
    counts = suppress_group({line.pk: line.observation_count for line in metric_lines})
    hidden = {pk for pk, shown in counts.items() if is_suppressed(shown)}
    protectable = True
    if len(hidden) == 1:
        others = sorted((line for line in metric_lines if line.pk not in hidden), key=lambda line: line.amount)
        if others:
            hidden.add(others[0].pk)
            counts[others[0].pk] = HIDDEN
        else:
            protectable = False
    return counts, hidden, protectable


def _published_lines(lines) -> tuple[list[LineRow], bool]:
    counts, hidden, protectable = _line_protection(lines)
    rows = []
    for line in lines:
        secret = line.pk in hidden
        rows.append(
            LineRow(
                kind=line.kind,
                name=line.metric.name if line.metric else line.description,
                unit_cost_valid_from=line.unit_cost_valid_from,
                count=counts.get(line.pk, ""),
                quantity=HIDDEN if secret else line.quantity,
                unit_cost=line.unit_cost,
                amount=HIDDEN if secret else line.amount,
            )
        )
    return rows, protectable


def hidden_statement_ids(*, programme: Programme | None = None) -> set[int]:
    """Annual statements shown as "x" everywhere and left out of every sum: a period whose cohort was under five,
    or whose lines no complement can protect. Two queries, whatever the number of statements."""
    statements = PaymentStatement.objects.filter(kind=StatementKind.ANNUAL)
    if programme is not None:
        statements = statements.filter(programme=programme)
    hidden = set(statements.filter(child_count__lt=THRESHOLD).values_list("pk", flat=True))
    lines: dict[int, list] = defaultdict(list)
    for line in PaymentStatementLine.objects.filter(statement__in=statements.exclude(pk__in=hidden)).only(
        "pk", "statement_id", "kind", "observation_count", "amount"
    ):
        lines[line.statement_id].append(line)
    return hidden | {pk for pk, group in lines.items() if not _line_protection(group)[2]}


def _hidden_among(statements: list[PaymentStatement], lines_of: dict[int, list]) -> set[int]:
    """hidden_statement_ids for statements and lines already read: the same rule, no query."""
    hidden = {s.pk for s in statements if s.child_count < THRESHOLD}
    return hidden | {
        pk for pk, group in lines_of.items() if pk not in hidden and group and not _line_protection(group)[2]
    }


def _years(programme, by_year, cohort, terms, suppressed, hidden_ids) -> tuple[list[YearRow], dict]:
    """Calculated years from the statements, then a projection to the follow-up end from the current cohort.

    A hidden period (cohort under five) shows "x" and is left out of the cumulative sum and of the savings rate,
    so that no total shown elsewhere can be differenced against the shown years to recover it."""
    rows: list[YearRow] = []
    cumulative = ZERO
    shown = {year: s for year, s in by_year.items() if s.pk not in hidden_ids}
    for year in sorted(by_year):
        s = by_year[year]
        if year not in shown:
            rows.append(YearRow(year, s.get_status_display(), False, *[HIDDEN] * 6, hidden=True))
            continue
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
    child_years = sum((s.child_years for s in shown.values()), Decimal("0"))
    savings = sum((s.savings for s in shown.values()), ZERO)
    rate = round_cents(savings / child_years) if child_years else ZERO
    # The projection runs on the cohort as published (rounded), so that it cannot be divided back to the exact count.
    cohort_n = cohort if isinstance(cohort, int) else 0  # a hidden cohort ("x") projects nothing rather than leak
    scenarios = settings.SIBCASE["PROJECTION_SCENARIOS"]
    assumptions = {
        "savings_per_child_year": rate,
        "cohort_children": cohort,
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
                amount = max(round_cents(terms.savings_share * rate * factor * cohort_n), ZERO)
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
                    child_years=Decimal(cohort_n),
                    counterfactual=ZERO,
                    actual=ZERO,
                    savings=round_cents(rate * cohort_n),
                    payable=payment["base"],
                    cumulative=spent["base"],
                    low=payment["low"],
                    high=payment["high"],
                )
            )
    if not suppressed and not isinstance(cohort, int):
        for row in rows:
            if row.projected:  # the cohort is hidden as a complement: its projection would give it away
                for name in ("child_years", "savings", "payable", "cumulative"):
                    setattr(row, name, HIDDEN)
                row.low = row.high = None
                row.hidden = True
    if suppressed:
        for row in rows:
            for name in ("child_years", "counterfactual", "actual", "savings", "payable", "cumulative"):
                setattr(row, name, HIDDEN)
            row.low = row.high = None
            row.hidden = True
        assumptions = {**assumptions, "savings_per_child_year": HIDDEN}
    return rows, assumptions


@dataclass
class FundDashboard:
    """The figures a fund manager opens the app for, all aggregates under the same disclosure control."""

    committed_capital: Decimal | None
    paid: Decimal
    approved: Decimal
    pending: Decimal
    total_caps: Decimal | None
    children: int | str | None
    children_target: int | None
    projection: list[YearRow]  # per year over the shown programmes: actual to date, then the projection
    projected_total: Decimal | None
    projected_low: Decimal | None
    projected_high: Decimal | None
    programmes_left_out: int


def fund_dashboard() -> FundDashboard:
    """Totals over the programmes whose figures are shown; a suppressed programme is left out of every sum."""
    rows = fund_overview()
    shown = [row for row in rows if not row.suppressed]
    totals = fund_overview_totals(rows)
    capital = Fund.objects.aggregate(total=Sum("committed_capital"))["total"]
    caps = [row.total_cap for row in shown]
    _, children = published_children()
    capacities = [row.programme.capacity for row in rows]
    by_year: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    projected: dict[int, bool] = {}
    for row in shown:
        for year in programme_report(programme=row.programme).years:
            if year.hidden or not isinstance(year.payable, Decimal):
                continue
            by_year[year.year]["payable"] += year.payable
            by_year[year.year]["low"] += year.low if year.low is not None else year.payable
            by_year[year.year]["high"] += year.high if year.high is not None else year.payable
            projected[year.year] = projected.get(year.year, False) or year.projected
    projection = []
    cumulative = {"payable": ZERO, "low": ZERO, "high": ZERO}
    for year in sorted(by_year):
        for name in cumulative:
            cumulative[name] += by_year[year][name]
        projection.append(
            YearRow(
                year=year,
                status="",
                projected=projected[year],
                child_years="",
                counterfactual="",
                actual="",
                savings="",
                payable=by_year[year]["payable"],
                cumulative=cumulative["payable"],
                low=cumulative["low"],
                high=cumulative["high"],
            )
        )
    return FundDashboard(
        committed_capital=capital,
        paid=totals["paid"],
        approved=totals["approved"],
        pending=totals["pending"],
        total_caps=sum(caps, ZERO) if caps and all(cap is not None for cap in caps) else None,
        children=children,
        children_target=sum(capacities) if capacities and all(capacities) else None,
        projection=projection,
        projected_total=cumulative["payable"] if projection else None,
        projected_low=cumulative["low"] if projection else None,
        projected_high=cumulative["high"] if projection else None,
        programmes_left_out=len(rows) - len(shown),
    )

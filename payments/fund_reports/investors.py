"""The investors' side of the fund, in aggregates: commitments, draw-downs, outcome payments received by the
fund, distributions back to investors, the money multiple and the IRR to date and projected to 2032.

Cash flows for the IRR are the investors' own: draw-downs negative (capital paid in), distributions positive.
The fund's net asset value (NAV) is modelled simply and conservatively: the outcome payments the fund has
received and not yet distributed (paid statements minus distributions, at least 0). Drawn capital is taken as
spent on services (the fund's service costs are not recorded in sibcase), so it adds nothing to the NAV. The
IRR to date counts the NAV as if distributed today; the projection adds the statements approved but not yet
paid (today) and each scenario's projected outcome payments for the years to come (31 December of each year,
or today if that is past), assuming all of it is distributed to the investors when received. Programmes whose
figures are suppressed are left out of the projection (as on the fund manager's home page), so the projection
is a lower bound.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone

from programs.models import InvestorFlow, InvestorFlowKind

from ..models import PaymentStatement, StatementStatus
from .returns import Flow, money_multiple, xirr
from .selectors import fund_dashboard

ZERO = Decimal("0.00")
PROJECTION_END = 2032


def irr_percent(irr: float | None) -> Decimal | None:
    """The rate as shown: percent, rounded half up to one decimal (the float itself is never shown)."""
    if irr is None:
        return None
    return Decimal(repr(irr * 100)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class YearFlows:
    year: int
    committed: Decimal
    drawn: Decimal
    received: Decimal  # outcome payments paid to the fund
    distributed: Decimal


@dataclass(frozen=True)
class ScenarioReturn:
    name: str  # "pessimistic", "base", "optimistic"
    future_inflows: Decimal  # approved-unpaid + projected outcome payments to PROJECTION_END
    multiple: Decimal | None
    irr: float | None

    @property
    def irr_percent(self) -> Decimal | None:
        return irr_percent(self.irr)


@dataclass
class InvestorReport:
    investors: int
    committed: Decimal
    drawn: Decimal
    undrawn: Decimal
    received: Decimal
    distributed: Decimal
    nav: Decimal
    distributed_multiple: Decimal | None  # distributions / paid-in (DPI)
    total_multiple: Decimal | None  # (distributions + NAV) / paid-in (TVPI)
    irr_to_date: float | None
    years: list[YearFlows] = field(default_factory=list)
    scenarios: list[ScenarioReturn] = field(default_factory=list)

    @property
    def irr_to_date_percent(self) -> Decimal | None:
        return irr_percent(self.irr_to_date)


def _paid_statements():
    return PaymentStatement.objects.filter(status=StatementStatus.PAID, paid_on__isnull=False)


def investor_report(*, today: datetime.date | None = None) -> InvestorReport:
    """All funds together (Lapset SIB has one); a fixed number of queries."""
    today = today or timezone.localdate()
    totals = InvestorFlow.objects.aggregate(
        investors=Count("investor", distinct=True, filter=Q(kind=InvestorFlowKind.COMMITMENT)),
        **{kind: Sum("amount", filter=Q(kind=kind), default=ZERO) for kind in InvestorFlowKind.values},
    )
    received = _paid_statements().aggregate(total=Sum("payable", default=ZERO))["total"]
    committed, drawn, distributed = (
        totals[InvestorFlowKind.COMMITMENT],
        totals[InvestorFlowKind.DRAWDOWN],
        totals[InvestorFlowKind.DISTRIBUTION],
    )
    nav = max(received - distributed, ZERO)

    by_year: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for year, kind, amount in (
        InvestorFlow.objects.annotate(year=ExtractYear("occurred_on"))
        .values_list("year", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        by_year[year][kind] += amount
    for year, amount in (
        _paid_statements().annotate(year=ExtractYear("paid_on")).values_list("year").annotate(total=Sum("payable"))
    ):
        by_year[year]["received"] += amount
    years = [
        YearFlows(
            year=year,
            committed=by_year[year][InvestorFlowKind.COMMITMENT],
            drawn=by_year[year][InvestorFlowKind.DRAWDOWN],
            received=by_year[year]["received"],
            distributed=by_year[year][InvestorFlowKind.DISTRIBUTION],
        )
        for year in sorted(by_year)
    ]

    # The investors' dated flows, summed per day (aggregates only).
    flows: list[Flow] = []
    for day, kind, amount in (
        InvestorFlow.objects.exclude(kind=InvestorFlowKind.COMMITMENT)
        .values_list("occurred_on", "kind")
        .annotate(total=Sum("amount"))
        .order_by("occurred_on")
    ):
        flows.append((day, -amount if kind == InvestorFlowKind.DRAWDOWN else amount))
    to_date = [*flows, (today, nav)] if nav else flows

    return InvestorReport(
        investors=totals["investors"],
        committed=committed,
        drawn=drawn,
        undrawn=max(committed - drawn, ZERO),
        received=received,
        distributed=distributed,
        nav=nav,
        distributed_multiple=money_multiple(returned=distributed, paid_in=drawn),
        total_multiple=money_multiple(returned=distributed + nav, paid_in=drawn),
        irr_to_date=xirr(to_date),
        years=years,
        scenarios=_scenarios(flows=to_date, returned=distributed + nav, drawn=drawn, today=today),
    )


def _scenarios(*, flows: list[Flow], returned: Decimal, drawn: Decimal, today: datetime.date) -> list[ScenarioReturn]:
    dashboard = fund_dashboard()
    approved = dashboard.approved
    future: dict[str, list[Flow]] = {"pessimistic": [], "base": [], "optimistic": []}
    previous = {"low": ZERO, "high": ZERO}
    for row in dashboard.projection:
        # The dashboard's low/high are cumulative; the year's own amount is the difference.
        low, high = row.low - previous["low"], row.high - previous["high"]
        previous = {"low": row.low, "high": row.high}
        if not row.projected or row.year > PROJECTION_END:
            continue
        day = max(datetime.date(row.year, 12, 31), today)
        future["pessimistic"].append((day, low))
        future["base"].append((day, row.payable))
        future["optimistic"].append((day, high))
    scenarios = []
    for name, projected in future.items():
        inflows = approved + sum((amount for _, amount in projected), ZERO)
        scenario_flows = [*flows, (today, approved), *projected]
        scenarios.append(
            ScenarioReturn(
                name=name,
                future_inflows=inflows,
                multiple=money_multiple(returned=returned + inflows, paid_in=drawn),
                irr=xirr(scenario_flows),
            )
        )
    return scenarios

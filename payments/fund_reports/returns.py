"""Investor returns: the money multiple and the internal rate of return (IRR) of dated cash flows.

Money stays Decimal everywhere; the rate is a float. The IRR is the annual rate r at which the net present value
of the flows, discounted by actual days / 365 from the first flow, is zero (as Excel's XIRR):

    NPV(r) = Σ amount_i / (1 + r) ** (days_i / 365)

It is found by bisection, which cannot diverge as Newton's method can on flows with long gaps: the bracket starts
at (-0.9999, 1.0) and its upper end is doubled until the NPV changes sign (up to a rate of 1e6, i.e. never for
real flows); then 200 halvings give the rate to far below 1e-12. Flows without both a negative and a positive
amount have no IRR (None). Flows with several sign changes can have several IRRs; the one found is the lowest
root in the bracket when NPV falls with the rate, which is the case for the fund's flows (draw-downs first,
distributions later). Pages round the rate for display to 0.1 percentage points.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

Flow = tuple[datetime.date, Decimal]

LOWEST_RATE = -0.9999
HIGHEST_RATE = 1e6
ITERATIONS = 200


def xnpv(rate: float, flows: Sequence[Flow]) -> float:
    """Net present value at `rate` of dated flows, discounted to the first date (actual/365)."""
    start = min(day for day, _ in flows)
    return sum(float(amount) / (1.0 + rate) ** ((day - start).days / 365.0) for day, amount in flows)


def xirr(flows: Sequence[Flow]) -> float | None:
    """The annual internal rate of return of dated flows (negative: money in, positive: money out), or None."""
    flows = [(day, amount) for day, amount in flows if amount]
    if not any(amount < 0 for _, amount in flows) or not any(amount > 0 for _, amount in flows):
        return None
    low, high = LOWEST_RATE, 1.0
    npv_low = xnpv(low, flows)
    while (npv_low > 0) == (xnpv(high, flows) > 0):
        if high >= HIGHEST_RATE:
            return None
        high *= 2
    for _ in range(ITERATIONS):
        middle = (low + high) / 2
        npv_middle = xnpv(middle, flows)
        if npv_middle == 0:
            return middle
        if (npv_middle > 0) == (npv_low > 0):
            low, npv_low = middle, npv_middle
        else:
            high = middle
    return (low + high) / 2


def money_multiple(*, returned: Decimal, paid_in: Decimal) -> Decimal | None:
    """Returned / paid-in capital, to two decimals (half up); None when nothing has been paid in."""
    if paid_in <= 0:
        return None
    return (returned / paid_in).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

"""Disclosure control for everything fund managers see (pages, CSV, XLSX, PDF, INDIGO export).

The rule for counts (issue 13, defect 2), chosen because it cannot be differenced:

1. A count of 0 is shown as 0; a count from 1 to 4 as "<5"; every other count is rounded to the nearest multiple
   of five (half up: 7 → 5, 8 → 10, 12 → 10, 13 → 15). Totals are counts too and are rounded the same way from
   their true value, wherever they are shown, so the same total is the same figure on every page and export.
2. A group of counts published with its total (the years of a cohort against the cohort) is audited with the
   attacker's own arithmetic: each shown figure stands for an interval of true values; a hidden cell is
   recoverable when the total's interval minus the other cells' intervals leaves it one value. While that happens
   the smallest shown non-zero cell is hidden as "x" too (and, as the last resort, the total), so the table that
   leaves this module never pins a hidden cell. With rounding this is rarely needed (e.g. 4 + 4 = 8, shown as 10).

Figures derived from a small count (the quantity and amount of a statement line whose count is hidden, the whole
statement of a period whose cohort is under five) are hidden by the selectors as "x" (issue 13, defect 1).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

SUPPRESSED = "<5"  # a count from 1 to 4
HIDDEN = "x"  # hidden so that a suppressed count cannot be worked out from it (or: a figure of a small cohort)
THRESHOLD = 5
BASE = 5
UNBOUNDED = 10**9

K = TypeVar("K", bound=Hashable)
Shown = int | str


def publish_count(count: int) -> Shown:
    """One count as published: 0, "<5" or the count rounded to base 5."""
    if count <= 0:
        return 0
    if count < THRESHOLD:
        return SUPPRESSED
    return int((Decimal(count) / BASE).quantize(Decimal("1"), rounding=ROUND_HALF_UP)) * BASE


def suppress(count: int) -> Shown:
    """Kept for callers that publish a single count: the same rule as publish_count."""
    return publish_count(count)


def interval(shown: Shown, *, hidden_upper: int = UNBOUNDED) -> tuple[int, int]:
    """The true values a published figure can stand for, as an attacker who knows this rule reasons."""
    if shown == SUPPRESSED:
        return 1, THRESHOLD - 1
    if shown == HIDDEN:
        return THRESHOLD, hidden_upper
    value = int(shown)
    if value == 0:
        return 0, 0
    return max(THRESHOLD, value - BASE // 2), value + BASE // 2


def _hidden_upper(shown: Mapping[K, Shown]) -> int:
    """A complement "x" is chosen as the smallest shown cell, so it is at most the smallest shown cell's top."""
    numbers = [value for value in shown.values() if isinstance(value, int) and value]
    return interval(min(numbers))[1] if numbers else UNBOUNDED


def pinned_cells(shown: Mapping[K, Shown], total: Shown | None) -> list[K]:
    """The "<5" cells whose value the shown cells and total leave to one value (the differencing attack)."""
    if total is None or total == HIDDEN:
        return []  # without a total, every "<5" cell stays 1..4
    upper = _hidden_upper(shown)
    bounds = {key: interval(value, hidden_upper=upper) for key, value in shown.items()}
    total_low, total_high = interval(total, hidden_upper=UNBOUNDED)
    low_sum = sum(low for low, _ in bounds.values())
    high_sum = sum(high for _, high in bounds.values())
    pinned = []
    for key, value in shown.items():
        if value != SUPPRESSED:
            continue
        low, high = bounds[key]
        feasible_low = max(low, total_low - (high_sum - high))
        feasible_high = min(high, total_high - (low_sum - low))
        if feasible_low >= feasible_high:
            pinned.append(key)
    return pinned


def publish_group(cells: Mapping[K, int], *, total: int | None = None) -> tuple[dict[K, Shown], Shown | None]:
    """A group of counts and (optionally) their total, as published: rounded, then audited against differencing."""
    shown: dict[K, Shown] = {key: publish_count(value) for key, value in cells.items()}
    shown_total: Shown | None = publish_count(total) if total is not None else None
    while pinned_cells(shown, shown_total):
        candidates = sorted(
            (key for key, value in shown.items() if isinstance(value, int) and value),  # zeros stay exact
            key=lambda key: (shown[key], cells[key], str(key)),
        )
        if candidates:
            shown[candidates[0]] = HIDDEN
        else:
            shown_total = HIDDEN
    return shown, shown_total


def suppress_group(cells: Mapping[K, int]) -> dict[K, Shown]:
    """A group of counts whose total is not shown anywhere."""
    return publish_group(cells)[0]


def is_suppressed(value) -> bool:
    return value in (SUPPRESSED, HIDDEN)

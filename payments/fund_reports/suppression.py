"""Small-number suppression for everything fund managers see.

Primary: a count from 1 to 4 is shown as "<5". Secondary: when a group of counts is shown with its total and
exactly one cell was suppressed, the next smallest cell is shown as "x" too, so that subtracting the others from
the total cannot recover the hidden one. A programme whose cohort is under five children shows no figures at all.
"""

from __future__ import annotations

from typing import TypeVar

SUPPRESSED = "<5"  # a count from 1 to 4
HIDDEN = "x"  # hidden so that a suppressed count cannot be worked out from it (or: a small cohort's money)
THRESHOLD = 5

K = TypeVar("K")


def suppress(count: int) -> int | str:
    return SUPPRESSED if 0 < count < THRESHOLD else count


def suppress_group(cells: dict[K, int]) -> dict[K, int | str]:
    shown: dict[K, int | str] = {key: suppress(value) for key, value in cells.items()}
    hidden = [key for key, value in shown.items() if value == SUPPRESSED]
    if len(hidden) == 1:
        candidates = sorted(
            (value, str(key), key) for key, value in cells.items() if shown[key] != SUPPRESSED and value
        )
        if candidates:
            shown[candidates[0][2]] = HIDDEN
    return shown


def is_suppressed(value) -> bool:
    return value in (SUPPRESSED, HIDDEN)

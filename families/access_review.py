"""The admins' report of unusual access to personal data, read from the access log (selectors only).

Four signals, thresholds in SIBCASE (settings/base.py):
- a user who saw many distinct families in a short time (ACCESS_REVIEW_DISTINCT_FAMILIES within a sliding window
  of ACCESS_REVIEW_WINDOW_MINUTES; lists count every family shown, so browsing long lists shows up too),
- refused attempts (access-log action `refused`: a 403/404 on a person's record),
- break-glass uses (grants to families outside the own municipality),
- identity-code lookups at volume (ACCESS_REVIEW_LOOKUPS_PER_DAY per user and day).
"""

from __future__ import annotations

import datetime
from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Max
from django.db.models.functions import TruncDate

from sibcase.models import AccessAction, AccessLogEntry, User

from .models import BreakGlassGrant

# Reads that show a family's data (a lookup is reported on its own).
FAMILY_READS = (AccessAction.VIEW, AccessAction.LIST, AccessAction.SEARCH, AccessAction.API_READ, AccessAction.EXPORT)


@dataclass(frozen=True)
class BurstOfReads:
    user: User
    families: int
    window_start: datetime.datetime
    window_end: datetime.datetime


@dataclass(frozen=True)
class RefusedAttempts:
    user: User
    count: int
    last_at: datetime.datetime


@dataclass(frozen=True)
class LookupVolume:
    user: User
    day: datetime.date
    count: int


@dataclass(frozen=True)
class UnusualAccessReport:
    since: datetime.datetime
    until: datetime.datetime
    bursts: list[BurstOfReads]
    refused: list[RefusedAttempts]
    break_glass: list[BreakGlassGrant]
    lookups: list[LookupVolume]


def _bursts(
    entries: Iterable[tuple[int, int, datetime.datetime]], *, threshold: int, window: datetime.timedelta
) -> dict[int, tuple]:
    """Per user, the window with the most distinct families, if it reaches the threshold (sliding window)."""
    by_user: dict[int, list[tuple[datetime.datetime, int]]] = defaultdict(list)
    for user_id, family_id, occurred_at in entries:
        by_user[user_id].append((occurred_at, family_id))
    found: dict[int, tuple] = {}
    for user_id, rows in by_user.items():
        rows.sort()
        window_rows: deque[tuple[datetime.datetime, int]] = deque()
        counts: dict[int, int] = defaultdict(int)
        best = (0, None, None)
        for occurred_at, family_id in rows:
            window_rows.append((occurred_at, family_id))
            counts[family_id] += 1
            while window_rows[0][0] <= occurred_at - window:
                _old_at, old_family = window_rows.popleft()
                counts[old_family] -= 1
                if not counts[old_family]:
                    del counts[old_family]
            if len(counts) > best[0]:
                best = (len(counts), window_rows[0][0], occurred_at)
        if best[0] >= threshold:
            found[user_id] = best
    return found


def unusual_access_report(*, since: datetime.datetime, until: datetime.datetime) -> UnusualAccessReport:
    config = settings.SIBCASE
    log = AccessLogEntry.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    reads = (
        log.filter(action__in=FAMILY_READS, family__isnull=False)
        .values_list("user_id", "family_id", "occurred_at")
        .order_by()
    )
    bursts = _bursts(
        reads,
        threshold=config["ACCESS_REVIEW_DISTINCT_FAMILIES"],
        window=datetime.timedelta(minutes=config["ACCESS_REVIEW_WINDOW_MINUTES"]),
    )
    refused = list(
        log.filter(action=AccessAction.REFUSED)
        .values("user_id")
        .annotate(count=Count("id"), last_at=Max("occurred_at"))
        .order_by("-count")
    )
    lookups = list(
        log.filter(action=AccessAction.LOOKUP)
        .annotate(day=TruncDate("occurred_at"))
        .values("user_id", "day")
        .annotate(count=Count("id"))
        .filter(count__gte=config["ACCESS_REVIEW_LOOKUPS_PER_DAY"])
        .order_by("-count")
    )
    user_ids = set(bursts) | {row["user_id"] for row in refused} | {row["user_id"] for row in lookups}
    users = User.objects.in_bulk(user_ids)
    return UnusualAccessReport(
        since=since,
        until=until,
        bursts=sorted(
            (BurstOfReads(users[uid], count, start, end) for uid, (count, start, end) in bursts.items()),
            key=lambda burst: -burst.families,
        ),
        refused=[RefusedAttempts(users[row["user_id"]], row["count"], row["last_at"]) for row in refused],
        break_glass=list(
            BreakGlassGrant.objects.filter(granted_at__gte=since, granted_at__lt=until).select_related(
                "user", "family", "reviewed_by"
            )
        ),
        lookups=[LookupVolume(users[row["user_id"]], row["day"], row["count"]) for row in lookups],
    )

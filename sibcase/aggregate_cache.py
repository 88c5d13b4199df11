"""Whole-programme aggregates (cohort counts, enrollments by month, what changed after validation) in the shared
cache, superseded explicitly when the data under them changes.

Each programme has a version token in the cache; a service that changes the programme's enrollments, observations
or statements calls ``programme_data_changed`` inside its transaction, and after the commit the programme's token
and the all-programmes token are replaced, so every value cached under the old token is never read again (it
expires by itself). A value is cached under the token read *before* it is computed, so a computation racing with
a commit can only ever be stored under the superseded token.

The ``default`` cache swallows a Redis outage (settings/caches.py): a read is a miss, a write is dropped, and the
figure is computed from the database. ``AGGREGATE_CACHE_SECONDS`` bounds how long a value lives, which also bounds
staleness if a token replacement itself was lost in an outage; 0 turns the cache off (the test settings do).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")
ALL_PROGRAMMES = "all"


def _version_key(scope: int | str) -> str:
    return f"aggregates:version:{scope}"


def _seconds() -> int:
    return settings.SIBCASE["AGGREGATE_CACHE_SECONDS"]


def _bump(programme_ids: tuple[int, ...]) -> None:
    token = uuid.uuid4().hex
    keys = [_version_key(pk) for pk in programme_ids] + [_version_key(ALL_PROGRAMMES)]
    cache.set_many(dict.fromkeys(keys, token), timeout=None)


def programme_data_changed(*, programme_ids: list[int] | set[int] | tuple[int, ...]) -> None:
    """Supersede the programmes' cached aggregates once the current transaction commits (at once outside one)."""
    if programme_ids:
        transaction.on_commit(partial(_bump, tuple(sorted(set(programme_ids)))))


def aggregates_version(scope: int | str) -> str:
    """The current version token of a programme's (or all programmes') aggregates, for a cache key of its own."""
    key = _version_key(scope)
    token = cache.get(key)
    if token is None:
        cache.add(key, uuid.uuid4().hex, timeout=None)
        # None again: the cache is unreachable; a fresh token makes the value's read a miss as well.
        token = cache.get(key) or uuid.uuid4().hex
    return token


def cached_aggregate(*, scope: int | str, name: str, compute: Callable[[], T]) -> T:
    """compute() cached under the programme's (or all programmes') current version; computed every time when the
    cache is off or unreachable. ``name`` must say everything else the value depends on (a language, a year…)."""
    seconds = _seconds()
    if not seconds:
        return compute()
    key = f"aggregates:{scope}:{aggregates_version(scope)}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value

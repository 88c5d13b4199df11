"""REST API rate limits that keep counting when Redis is down.

DRF's throttles read and write their request history in a cache. In production that is Redis (shared by every
gunicorn worker); when Redis cannot be reached, a stock throttle raises and every API call answers 500. These
throttles count in the shared cache while it answers, and in this process's memory while it does not (a
per-process limit is looser by the number of workers, but never absent), with a warning in the log.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger("sibcase.throttling")
# A Redis outage would otherwise log one warning per API request.
WARN_EVERY_SECONDS = 60.0
CACHE_ERRORS = (RedisError, OSError)


class FailoverCache:
    """The shared ``throttle`` cache, or this process's ``local`` cache while the shared one raises."""

    def __init__(self, shared: str = "throttle", fallback: str = "local") -> None:
        self.shared, self.fallback = shared, fallback
        self._last_warning = 0.0

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= WARN_EVERY_SECONDS:
            self._last_warning = now
            logger.warning(
                "throttle cache unavailable (%s: %s): API rate limits count per process until it is back",
                type(exc).__name__,
                exc,
            )

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return caches[self.shared].get(key, default)
        except CACHE_ERRORS as exc:
            self._warn(exc)
            return caches[self.fallback].get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> None:
        try:
            caches[self.shared].set(key, value, timeout)
        except CACHE_ERRORS as exc:
            self._warn(exc)
            caches[self.fallback].set(key, value, timeout)


failover_cache = FailoverCache()


class UserThrottle(UserRateThrottle):
    cache = failover_cache


class AnonThrottle(AnonRateThrottle):
    cache = failover_cache

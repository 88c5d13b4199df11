"""The CACHES setting built from CACHE_URL, so that a Redis outage slows nothing down and breaks nothing.

- ``default`` (the fund overview's aggregates and anything else that is only a cache): with Redis, django-redis with
  ``IGNORE_EXCEPTIONS``: a read that cannot reach Redis is a miss, a write is dropped, and each is logged
  (``DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS``), so the page is computed from the database instead.
- ``throttle`` (the REST API's rate-limit counts): the same Redis database, but errors are raised, so that
  ``sibcase.throttling`` can notice the outage and count in the process instead (``local``) rather than stop
  counting altogether.
- ``local``: this process's memory, the throttle's fallback.

Short socket timeouts: an unreachable Redis costs at most a second per call, not the operating system's minutes.
No Django imports here: settings modules load this before Django is set up.
"""

from __future__ import annotations

from typing import Any

import environ

REDIS_BACKEND = "django_redis.cache.RedisCache"
LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"
SOCKET_TIMEOUTS = {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1}


def cache_settings(url: str) -> dict[str, dict[str, Any]]:
    """CACHES for a CACHE_URL (``redis://host:6379/1``, ``locmemcache://``, …)."""
    default = environ.Env.cache_url_config(url)
    local = {"BACKEND": LOCMEM_BACKEND, "LOCATION": "sibcase-process-local"}
    if not url.startswith(("redis", "rediss", "valkey")):
        return {"default": default, "throttle": default, "local": local}
    options = {**SOCKET_TIMEOUTS, **default.get("OPTIONS", {})}
    shared = {**default, "BACKEND": REDIS_BACKEND}
    return {
        "default": {**shared, "OPTIONS": {**options, "IGNORE_EXCEPTIONS": True}},
        "throttle": {**shared, "OPTIONS": {**options, "IGNORE_EXCEPTIONS": False}},
        "local": local,
    }

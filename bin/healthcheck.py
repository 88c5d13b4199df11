#!/usr/bin/env python3
"""Container healthchecks for docker-compose.yml.

    bin/healthcheck.py web    GET /healthz through the app as the proxy would (allowed host, HTTPS forwarded)
    bin/healthcheck.py beat   the beat scheduler ticked within the last minute (it touches BEAT_HEARTBEAT_FILE)

The worker's check is Celery's own: `celery -A sibcase inspect ping --destination celery@$HOSTNAME`.
Exit status 0: healthy. Standard library only, so a check costs a few milliseconds, not a Django start-up.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request

BEAT_MAX_SILENCE_SECONDS = 60


def web() -> bool:
    host = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
    request = urllib.request.Request(  # noqa: S310 - a fixed local URL
        "http://127.0.0.1:8000/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.status == 200


def beat() -> bool:
    path = os.environ.get("BEAT_HEARTBEAT_FILE", "")
    return bool(path) and time.time() - os.path.getmtime(path) < BEAT_MAX_SILENCE_SECONDS


if __name__ == "__main__":
    checks = {"web": web, "beat": beat}
    try:
        healthy = checks[sys.argv[1]]()
    except Exception as exc:  # noqa: BLE001 - any failure is "unhealthy", with its reason for `docker inspect`
        print(f"unhealthy: {type(exc).__name__}: {exc}")
        healthy = False
    sys.exit(0 if healthy else 1)

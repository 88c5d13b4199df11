"""Shared set-up for the benchmark scripts: Django on the benchmark database (never the test or demo one)."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/sibcase_bench"


def setup_django(database_url: str | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url or os.environ.get("BENCH_DATABASE_URL", BENCH_DATABASE_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sibcase.settings.demo")
    os.environ.pop("CELERY_BROKER_URL", None)  # the benchmarks call services directly
    import django

    django.setup()


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time in seconds over `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def machine() -> str:
    import platform

    cpus = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = 0
    return f"{platform.machine()}, {cpus} cores, {mem:.0f} GiB, {platform.python_implementation()} {platform.python_version()}"

"""Celery beat's scheduler: django-celery-beat's database scheduler, made safe to run twice and through outages.

- **One beat acts at a time.** Before each tick the scheduler makes sure it holds a PostgreSQL session-level
  advisory lock on a connection of its own. A second beat (started by mistake, or a replacement that came up
  before the old one was gone) finds the lock taken and stands by, trying again every few seconds; when the
  holder's session ends (the process died, its host went away, the database restarted) the lock is released by
  PostgreSQL itself and the standby takes over, reloading the schedule so it sees the last runs the other wrote.
  The schedule lives in the database already, so the lock needs no other service.
- **Beat survives a database outage.** django-celery-beat catches database errors in some places but not in its
  periodic full reload, so an outage longer than a few minutes ended the process for good. Here any database error
  in a tick is logged, the connections are dropped, and the tick is tried again after OUTAGE_RETRY_SECONDS; the
  same at start-up. Nothing is dispatched during the outage (every scheduled task needs the database anyway);
  entries that fell due meanwhile run once when it is back.
- **Liveness.** Each tick touches BEAT_HEARTBEAT_FILE (if set), which the container healthcheck reads.

On a database other than PostgreSQL (the demo's SQLite) there is no lock: demo mode runs no beat.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import time
from pathlib import Path

import psycopg2
from django.db import DatabaseError, InterfaceError, close_old_connections, connections
from django_celery_beat.schedulers import DatabaseScheduler

logger = logging.getLogger("sibcase.beat")

# pg_try_advisory_lock key: a fixed 64-bit number that no other code of the app uses ("sibcase-beat").
LOCK_KEY = 0x5_1BCA_5EBE_A7
LOCK_RETRY_SECONDS = 5.0
OUTAGE_RETRY_SECONDS = 10.0
DATABASE_ERRORS = (DatabaseError, InterfaceError, psycopg2.Error)


class ScheduleLock:
    """A session-level advisory lock held on a dedicated connection for as long as this process lives."""

    def __init__(self, alias: str = "default") -> None:
        self.alias = alias
        self._connection = None
        self.enabled = connections[alias].vendor == "postgresql"

    def held(self) -> bool:
        """True while this process holds the lock; takes it when it is free. Never raises."""
        if not self.enabled:
            return True
        try:
            if self._connection is not None:
                with self._connection.cursor() as cursor:  # alive: the session, and so the lock, is still ours
                    cursor.execute("SELECT 1")
                return True
            candidate = psycopg2.connect(
                **connections[self.alias].get_connection_params(),
                connect_timeout=5,
                application_name="sibcase-beat-lock",
            )
            candidate.autocommit = True
            with candidate.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
                acquired = cursor.fetchone()[0]
            if not acquired:
                candidate.close()
                return False
            self._connection = candidate
            logger.info("beat: schedule lock acquired; this beat dispatches the periodic tasks")
            return True
        except psycopg2.Error as exc:
            if self._connection is not None:
                logger.warning("beat: schedule lock lost (%s); standing by", type(exc).__name__)
            self.release()
            return False

    def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(psycopg2.Error):
                self._connection.close()
        self._connection = None


class LockedDatabaseScheduler(DatabaseScheduler):
    """DatabaseScheduler + the schedule lock + outage tolerance (see the module docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        self.schedule_lock = ScheduleLock()
        self._was_holding = False
        heartbeat = os.environ.get("BEAT_HEARTBEAT_FILE", "")
        self.heartbeat_file = Path(heartbeat) if heartbeat else None
        super().__init__(*args, **kwargs)

    def setup_schedule(self) -> None:
        while True:
            try:
                super().setup_schedule()
                return
            except DATABASE_ERRORS as exc:
                self._beat_heartbeat()  # waiting for the database is alive, not hung
                self._outage(exc, "start-up")
                self._initial_read = True  # read the whole schedule again next time
                time.sleep(OUTAGE_RETRY_SECONDS)

    def tick(self, *args, **kwargs) -> float:
        self._beat_heartbeat()
        if not self.schedule_lock.held():
            self._was_holding = False
            return LOCK_RETRY_SECONDS
        if not self._was_holding:
            self._was_holding = True
            # Another beat may have run entries since our last read: start from what the database says.
            # (django-celery-beat compares this with a naive datetime.now(): naive on purpose.)
            self._last_full_sync = datetime.datetime(1970, 1, 1)  # noqa: DTZ001
        try:
            return super().tick(*args, **kwargs)
        except DATABASE_ERRORS as exc:
            self._outage(exc, "tick")
            return OUTAGE_RETRY_SECONDS

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.schedule_lock.release()

    def _outage(self, exc: Exception, where: str) -> None:
        logger.warning(
            "beat: database unavailable during %s (%s: %s); trying again in %s s",
            where,
            type(exc).__name__,
            exc,
            OUTAGE_RETRY_SECONDS,
        )
        close_old_connections()  # a connection that failed is closed; the next query opens a fresh one

    def _beat_heartbeat(self) -> None:
        if self.heartbeat_file is not None:
            self.heartbeat_file.touch()

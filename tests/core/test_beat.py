"""Celery beat: one scheduler acts at a time (a PostgreSQL advisory lock), and a database outage does not end it."""

import datetime

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask

from sibcase.beat import LOCK_RETRY_SECONDS, OUTAGE_RETRY_SECONDS, LockedDatabaseScheduler, ScheduleLock
from sibcase.celery import app

from ..support import _free_port

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the schedule lock is a PostgreSQL advisory lock"),
]


@pytest.fixture
def locks():
    made = []

    def make():
        made.append(ScheduleLock())
        return made[-1]

    yield make
    for lock in made:
        lock.release()


class RecordingScheduler(LockedDatabaseScheduler):
    """Records what it would send instead of sending it: the point here is who sends, not the broker."""

    def __init__(self, *args, **kwargs):
        self.sent = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.task)
        return None


@pytest.fixture
def schedulers():
    made = []

    def make():
        scheduler = RecordingScheduler(app=app)
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler._finalize()  # sync and release now, not at interpreter exit after the test database is gone
        scheduler.schedule_lock.release()


def _backend_pid(lock: ScheduleLock) -> int:
    return lock._connection.info.backend_pid


def test_only_one_process_holds_the_schedule_lock(locks):
    first, second = locks(), locks()
    assert first.held()
    assert not second.held()
    assert first.held()  # still, on the next tick


def test_standby_takes_over_when_the_holders_session_ends(locks):
    first, second = locks(), locks()
    assert first.held()
    with connection.cursor() as cursor:  # the holder's host dies, or a DBA ends its session
        cursor.execute("SELECT pg_terminate_backend(%s)", [_backend_pid(first)])
    assert second.held()
    assert not first.held()


def test_standby_beat_dispatches_nothing_while_the_other_acts(schedulers):
    acting, standby = schedulers(), schedulers()
    PeriodicTask.objects.update(last_run_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))  # all due
    for _ in range(5):
        acting.tick()
        assert standby.tick() == LOCK_RETRY_SECONDS
    assert "sibcase.relay_outbox" in acting.sent
    assert standby.sent == []


def test_tick_survives_a_database_outage_and_resumes(schedulers):
    scheduler = schedulers()
    assert scheduler.tick() is not None
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = str(_free_port())  # nothing listens there: the database is "down"
    try:
        scheduler._last_full_sync = datetime.datetime(1970, 1, 1)  # the periodic full reload falls in the outage
        assert scheduler.tick() == OUTAGE_RETRY_SECONDS
        for _ in range(3):
            scheduler.tick()  # still no exception: beat goes on ticking through the outage
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    PeriodicTask.objects.update(last_run_at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    scheduler._last_full_sync = datetime.datetime(1970, 1, 1)
    for _ in range(3):
        scheduler.tick()
    assert "sibcase.relay_outbox" in scheduler.sent  # dispatching again once the database is back

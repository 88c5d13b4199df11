"""Two `celery beat` processes started by mistake: only one dispatches; when it dies the other takes over."""

import json
import os
import signal
import subprocess
import sys

import pytest
import redis
from django.db import connection
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from ..support import ROOT, RedisServer, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the schedule lock is a PostgreSQL advisory lock"),
]


@pytest.fixture
def own_redis():
    server = RedisServer()
    server.start()
    yield server
    server.stop()


def _start_beat(broker_url: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "sibcase.settings.test",
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "celery", "-A", "sibcase", "beat", "--loglevel", "WARNING", "--pidfile", ""],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _senders(server: RedisServer) -> list[int]:
    """The process id of the beat that sent each queued message (Celery's `origin` header: gen<pid>@host)."""
    messages = redis.Redis(port=server.port).lrange("celery", 0, -1)
    return [int(json.loads(m)["headers"]["origin"].split("@")[0].removeprefix("gen")) for m in messages]


def test_only_one_of_two_beats_dispatches_and_the_other_takes_over(own_redis):
    every_second = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="test: relay every second", task="sibcase.relay_outbox", interval=every_second)
    beats = [_start_beat(own_redis.url), _start_beat(own_redis.url)]
    try:
        assert wait_for(lambda: len(_senders(own_redis)) >= 5, timeout=60)
        acting = set(_senders(own_redis))
        assert len(acting) == 1  # the other beat stood by
        holder = next(beat for beat in beats if beat.pid in acting)
        standby = next(beat for beat in beats if beat is not holder)
        os.kill(holder.pid, signal.SIGKILL)  # no clean shutdown: its session, and so the lock, ends with it
        holder.wait(timeout=20)
        assert wait_for(lambda: standby.pid in _senders(own_redis), timeout=60)
        assert standby.poll() is None
    finally:
        for beat in beats:
            if beat.poll() is None:
                beat.terminate()
                beat.wait(timeout=20)

"""The outbox keeps background work when Redis is down and relays it when Redis is back.

These tests start a Redis server of their own on a spare port, so stopping it never disturbs anything else.
"""

import time

import pytest
from celery import shared_task
from django.db import transaction

from sibcase.models import OutboxMessage, OutboxStatus
from sibcase.outbox import outbox_enqueue, outbox_relay_pending

from ..support import RedisServer

pytestmark = pytest.mark.django_db(transaction=True)

CALLS: list[dict] = []


@shared_task(name="tests.outbox_probe")
def outbox_probe(**kwargs):
    CALLS.append(kwargs)


@pytest.fixture
def own_redis(use_broker):
    server = RedisServer()
    server.start()
    server.reconnect = lambda: use_broker(server.url)  # forget pooled connections to a stopped server
    server.reconnect()
    yield server
    server.stop()


def test_message_reaches_the_broker_after_commit(own_redis):
    with transaction.atomic():
        message = outbox_enqueue(task_name="tests.outbox_probe", family_id=1)
        assert own_redis.queue_length() == 0  # nothing leaves before commit
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert own_redis.queue_length() == 1


def test_rolled_back_change_sends_nothing(own_redis):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(task_name="tests.outbox_probe", family_id=1)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert own_redis.queue_length() == 0


def test_broker_down_keeps_the_message_pending(own_redis):
    own_redis.stop()
    own_redis.reconnect()
    started = time.monotonic()
    with transaction.atomic():
        message = outbox_enqueue(task_name="tests.outbox_probe", family_id=2)
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING
    assert message.last_error
    assert time.monotonic() - started < 15  # the user is not kept waiting for long


def test_pending_message_is_relayed_once_the_broker_is_back(own_redis):
    own_redis.stop()
    own_redis.reconnect()
    with transaction.atomic():
        outbox_enqueue(task_name="tests.outbox_probe", family_id=3)
    own_redis.start()
    own_redis.reconnect()
    assert outbox_relay_pending() == (1, 0)
    assert own_redis.queue_length() == 1


def test_relay_sends_each_message_once(own_redis):
    with transaction.atomic():
        outbox_enqueue(task_name="tests.outbox_probe", family_id=4)
    assert outbox_relay_pending() == (0, 0)
    assert own_redis.queue_length() == 1


def test_eager_mode_runs_the_task_in_process():
    CALLS.clear()
    with transaction.atomic():
        outbox_enqueue(task_name="tests.outbox_probe", family_id=5)
    assert CALLS == [{"family_id": 5}]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


def test_unknown_task_is_refused():
    with pytest.raises(LookupError):
        outbox_enqueue(task_name="no.such.task")

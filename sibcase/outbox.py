"""Transactional outbox for Celery tasks.

`outbox_enqueue` writes the message in the caller's transaction and hands it to the broker right after commit.
A broker that is down leaves the message pending (the user's change is saved all the same); `outbox_relay_pending`
(run by Celery beat and by `manage.py relay_outbox`) sends pending messages once the broker is back.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from .celery import app
from .models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

# Errors that mean "the broker is unreachable right now", not "the task is wrong".
BROKER_DOWN_ERRORS: tuple[type[BaseException], ...] = (BrokerError, ConnectionError, TimeoutError, OSError)


def outbox_enqueue(*, task_name: str, **kwargs: Any) -> OutboxMessage:
    if task_name not in app.tasks:
        raise LookupError(f"unknown task {task_name}")
    message = OutboxMessage.objects.create(task_name=task_name, kwargs=kwargs)
    transaction.on_commit(partial(outbox_dispatch, message_id=message.pk))
    return message


def outbox_dispatch(*, message_id: int) -> bool:
    """Send one pending message. True when the broker took it (or it had been sent already)."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None or message.status == OutboxStatus.SENT:
            return message is not None
        try:
            # apply_async honours CELERY_TASK_ALWAYS_EAGER (the embedded default); send_task would not.
            app.tasks[message.task_name].apply_async(kwargs=message.kwargs)
        except BROKER_DOWN_ERRORS as exc:
            message.attempts += 1
            message.last_error = f"{type(exc).__name__}: {exc}"[:500]
            message.save(update_fields=["attempts", "last_error"])
            logger.warning("broker unavailable, outbox message %s stays pending: %s", message.pk, type(exc).__name__)
            return False
        message.status = OutboxStatus.SENT
        message.sent_at = timezone.now()
        message.attempts += 1
        message.save(update_fields=["status", "sent_at", "attempts"])
        return True


def outbox_relay_pending(*, limit: int = 500) -> tuple[int, int]:
    """Send pending messages, oldest first. Returns (sent, still pending); stops at the first broker failure."""
    sent = 0
    ids = list(OutboxMessage.objects.filter(status=OutboxStatus.PENDING).values_list("pk", flat=True)[:limit])
    for message_id in ids:
        if not outbox_dispatch(message_id=message_id):
            break
        sent += 1
    return sent, OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count()


def outbox_is_pending(message: OutboxMessage) -> bool:
    return OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.PENDING).exists()

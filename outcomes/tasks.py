"""Celery tasks for outcomes: large observation imports. They take ids, call a service and own their retries."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import IMPORT_TASK, observation_import_fail, observation_import_run


@shared_task(
    name=IMPORT_TASK,
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def run_observation_import(self, import_id: int) -> None:
    try:
        observation_import_run(import_id=import_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries >= self.max_retries:
            observation_import_fail(
                import_id=import_id,
                error=f"database unavailable after {self.max_retries} retries: {type(exc).__name__}",
            )
            return
        raise
    except Exception as exc:
        # A bug, not an outage: the job shows it as failed (nothing was imported); Celery logs the trace.
        observation_import_fail(import_id=import_id, error=type(exc).__name__)
        raise

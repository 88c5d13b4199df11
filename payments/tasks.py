"""Celery tasks for payments. They take ids, call a service and own their retries."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .models import StatementKind
from .services.runs import CALCULATE_TASK, run_execute, run_fail, runs_requeue_stuck, runs_schedule


@shared_task(
    name=CALCULATE_TASK,
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    # Retry budget (no jitter, so it is a guarantee): 15 + 30 + 60 + 120 + 6 x 120 s = 945 s (about 16 min) before
    # giving up; a database restart of five minutes is outlasted by the 5th retry (345 s). See README.
    retry_backoff=15,
    retry_backoff_max=120,
    retry_jitter=False,
    max_retries=10,
)
def calculate_statement(self, run_id: int) -> None:
    try:
        run_execute(run_id=run_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.retries >= self.max_retries:
            run_fail(
                run_id=run_id, error=f"database unavailable after {self.max_retries} retries: {type(exc).__name__}"
            )
            return
        raise
    except Exception as exc:
        # A bug, not an outage: record it on the run so the coordinator sees it, and let Celery log the trace.
        run_fail(run_id=run_id, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="payments.schedule_annual_runs")
def schedule_annual_runs() -> None:
    runs_schedule(kind=StatementKind.ANNUAL)


@shared_task(name="payments.schedule_preview_runs")
def schedule_preview_runs() -> None:
    runs_schedule(kind=StatementKind.PREVIEW)


@shared_task(name="payments.requeue_stuck_runs")
def requeue_stuck_runs() -> None:
    runs_requeue_stuck()

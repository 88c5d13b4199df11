"""Celery tasks for families: the daily retention list and the run that makes case tasks whose date arrives."""

from celery import shared_task

from .casetasks import tasks_sync_all
from .retention import retention_due_record


@shared_task(name="families.list_retention_due", ignore_result=True)
def list_retention_due() -> int:
    """Daily: audit each family whose retention period has passed (the admins' list shows them)."""
    return retention_due_record()


@shared_task(name="families.tasks_sync_all", acks_late=True)
def sync_case_tasks() -> int:
    return tasks_sync_all()

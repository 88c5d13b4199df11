"""Celery tasks for families: the daily run that makes tasks whose date arrives."""

from celery import shared_task

from .casetasks import tasks_sync_all


@shared_task(name="families.tasks_sync_all", acks_late=True)
def sync_case_tasks() -> int:
    return tasks_sync_all()

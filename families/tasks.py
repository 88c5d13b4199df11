from celery import shared_task

from .retention import retention_due_record


@shared_task(name="families.list_retention_due", ignore_result=True)
def list_retention_due() -> int:
    """Daily: audit each family whose retention period has passed (the admins' list shows them)."""
    return retention_due_record()

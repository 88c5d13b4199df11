from celery import shared_task

from .outbox import outbox_relay_pending


@shared_task(name="sibcase.relay_outbox", ignore_result=True)
def relay_outbox() -> None:
    outbox_relay_pending()

from celery import shared_task

from .api import idempotency_keys_purge
from .forms import form_tokens_purge
from .outbox import outbox_relay_pending


@shared_task(name="sibcase.relay_outbox", ignore_result=True)
def relay_outbox() -> None:
    outbox_relay_pending()


@shared_task(name="sibcase.purge_request_keys")
def purge_request_keys() -> dict[str, int]:
    """Expired API answers (they can hold personal data) and spent form tokens, deleted on the beat's schedule."""
    return {"idempotency_keys": idempotency_keys_purge(), "form_tokens": form_tokens_purge()}

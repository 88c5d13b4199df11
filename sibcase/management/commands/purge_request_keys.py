"""Delete expired idempotency keys (older than 24 h) and spent one-time form tokens (older than 24 h).

Expired rows are already ignored. The beat runs the same purge every hour (task ``sibcase.purge_request_keys``):
the stored answers can hold personal data. This command is for a set-up without beat, or to purge at once."""

from django.core.management.base import BaseCommand

from sibcase.api import idempotency_keys_purge
from sibcase.forms import form_tokens_purge


class Command(BaseCommand):
    help = "Delete expired Idempotency-Key records and spent form tokens."

    def handle(self, *args, **options):
        keys = idempotency_keys_purge()
        tokens = form_tokens_purge()
        self.stdout.write(f"deleted {keys} idempotency key(s) and {tokens} form token(s)")

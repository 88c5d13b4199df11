from django.core.management.base import BaseCommand

from sibcase.outbox import outbox_relay_pending


class Command(BaseCommand):
    help = "Send background tasks that could not reach the broker when they were recorded."

    def handle(self, *args, **options):
        sent, pending = outbox_relay_pending()
        self.stdout.write(f"sent {sent}, still pending {pending}")

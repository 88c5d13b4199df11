from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = _("Palvelut ja tulokset")

    def ready(self) -> None:
        # Register the Celery tasks in every process (web too), so the outbox can name them before a worker runs.
        from . import tasks  # noqa: F401

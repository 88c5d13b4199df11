from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SibcaseConfig(AppConfig):
    name = "sibcase"
    verbose_name = _("Käyttäjät ja lokit")

    def ready(self) -> None:
        from . import tasks  # noqa: F401 - registers the outbox relay task

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FamiliesConfig(AppConfig):
    name = "families"
    verbose_name = _("Perheet")

    def ready(self) -> None:
        # Registers break-glass grants as a ground of access with the access log (sibcase.audit.family_bases_register).
        from . import break_glass  # noqa: F401

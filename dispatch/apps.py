from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DispatchConfig(AppConfig):
    name = "dispatch"
    verbose_name = _("Appointments and dispatch")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dispatch import panels

        panels.register()  # visits on the shop page, next bookings on the portal home

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service requests")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicedesk import panels, scheduler

        panels.register()  # the shop's requests on the console shop page
        scheduler.start_if_embedded_server()

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommerceConfig(AppConfig):
    name = "commerce"
    verbose_name = _("Commerce")

    def ready(self) -> None:
        from commerce import panels

        panels.register()  # recent orders on the shop page and the portal home

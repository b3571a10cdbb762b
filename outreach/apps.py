from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "outreach"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from outreach import initiatives, views_portal
        from outreach.services import delivery
        from quality import funnels
        from servicedesk import scheduler

        views_portal.register_panels()  # the shop's messages and consent on the console shop page

        # The embedded server's minute loop (Celery beat runs ``outreach.tick`` in production).
        scheduler.register("outreach", delivery.tick)
        funnels.register_awareness(initiatives.initiative_awareness)

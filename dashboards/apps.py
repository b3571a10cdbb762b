from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Dashboards")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicedesk import scheduler

        def refresh_rollups() -> int:
            from dashboards.services import rollups

            return rollups.refresh_due()

        # The embedded loop calls this every minute; it refreshes once the figures are 15 min old.
        scheduler.register("dashboard_days_refreshed", refresh_rollups)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "quality"
    verbose_name = _("Service quality evaluation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from servicedesk import scheduler

        def invite_ratings() -> int:
            from quality.services import csat

            return csat.invite_due_ratings()

        def open_waves() -> int:
            from quality.services import surveys

            return surveys.notify_open_waves()

        scheduler.register("csat_invited", invite_ratings)
        scheduler.register("survey_invitations_sent", open_waves)

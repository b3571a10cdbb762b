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

        # An edited questionnaire is read afresh by the next answer (question_specs' cache).
        from django.core.cache import cache
        from django.db.models.signals import post_delete, post_save

        from quality.models import Dimension, Question
        from quality.services.surveys import specs_cache_key

        def forget_specs(sender, instance, **kwargs) -> None:
            cache.delete(specs_cache_key(instance.instrument_id))

        for model in (Question, Dimension):
            post_save.connect(
                forget_specs, sender=model, weak=False, dispatch_uid=f"specs-{model.__name__}"
            )
            post_delete.connect(
                forget_specs, sender=model, weak=False, dispatch_uid=f"specs-{model.__name__}-"
            )

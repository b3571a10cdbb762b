"""Periodic work of service quality (Celery beat; the embedded scheduler runs the same)."""

from celery import shared_task


@shared_task(name="quality.invite_due_ratings")
def invite_due_ratings_task() -> int:
    from quality.services import csat

    return csat.invite_due_ratings()


@shared_task(name="quality.notify_open_waves")
def notify_open_waves_task() -> int:
    from quality.services import surveys

    return surveys.notify_open_waves()

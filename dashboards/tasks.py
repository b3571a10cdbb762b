"""Periodic work of the dashboards (Celery beat; the embedded scheduler runs the same)."""

from celery import shared_task


@shared_task(name="dashboards.refresh_rollups")
def refresh_rollups_task() -> int:
    from dashboards.services import rollups

    return rollups.refresh_due()

"""Background work of the knowledge base: the curation page's clustering snapshot."""

from celery import shared_task


@shared_task(name="knowledge.curation_snapshot")
def curation_snapshot_task(snapshot_id: int) -> bool:
    from knowledge.services import curation

    return curation.curation_snapshot_run(snapshot_id)


@shared_task(name="knowledge.refresh_curation_snapshot")
def refresh_curation_snapshot_task() -> bool:
    """Beat: ask for a fresh snapshot (computed by the task above)."""
    from knowledge.services import curation

    return curation.curation_snapshot_request() is not None

"""Community background work (Celery; in-process in the embedded mode)."""

from celery import shared_task


@shared_task(name="community.refresh_hot_scores")
def refresh_hot_scores_task() -> int:
    from community.services import hot

    return hot.refresh()


@shared_task(name="community.refresh_thread_hot")
def refresh_thread_hot_task(thread_id: int) -> int:
    from community.services import hot

    return hot.refresh(thread_ids=[thread_id])

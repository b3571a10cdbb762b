"""Background work of the imports app: run one import job (idempotent: a job runs once)."""

from celery import shared_task


@shared_task(name="imports.run_job")
def import_job_run_task(job_id: int) -> None:
    from imports import services  # services enqueue this task: import at call time

    services.import_job_run(job_id=job_id)


@shared_task(name="imports.requeue_waiting_jobs")
def requeue_waiting_jobs_task() -> int:
    """Enqueue again the jobs still queued after a while (the broker was down at upload)."""
    from imports import services

    return services.import_jobs_requeue()

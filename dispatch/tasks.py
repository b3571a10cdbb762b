"""Background work of dispatch: run one optimisation (idempotent: a plan is claimed once)."""

from celery import shared_task


@shared_task(name="dispatch.run_plan")
def run_plan_task(plan_id: int) -> None:
    from dispatch.services import planning  # planning enqueues this task: import at call time

    planning.run_plan(plan_id)


@shared_task(name="dispatch.requeue_waiting_plans")
def requeue_waiting_plans_task() -> int:
    """Enqueue again the plans still queued after a while; fail the ones stuck running."""
    from dispatch.services import planning

    return planning.plans_requeue()

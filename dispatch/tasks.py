"""Background work of dispatch: run one optimisation (idempotent: a plan is claimed once).

A run holds a PostgreSQL advisory lock on its plan while it works, and the lock goes with the
worker's connection when the worker dies (SIGKILL, out of memory). So a plan still RUNNING whose
lock is free was left by a dead worker: the task delivered again after the crash (acks_late,
reject_on_worker_lost) or the sweeper queues it again and it is redone, instead of staying RUNNING
until the sweeper fails it. A plan whose lock is held is being optimised: left alone.
"""

import contextlib
from collections.abc import Iterator

from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext

LOCK_NAMESPACE = 0x504C414E  # "PLAN": first key of the plan runs' advisory locks


def lock_key(plan_id: int) -> int:
    return plan_id & 0x7FFFFFFF  # the second key is an int4


@contextlib.contextmanager
def _plan_lock(plan_id: int) -> Iterator[bool]:
    """Whether this process may run the plan (no live run holds it), held until exit."""
    if connection.vendor != "postgresql":
        yield True  # in-process tasks (embedded mode): no other worker to tell apart
        return
    key = [LOCK_NAMESPACE, lock_key(plan_id)]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        mine = cursor.fetchone()[0]
    try:
        yield mine
    finally:
        if mine:
            with contextlib.suppress(DatabaseError), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)  # gone with a lost link


def _requeue_orphan(plan_id: int) -> bool:
    """With the plan's lock held: a RUNNING plan has no live run, so it is queued again."""
    from dispatch.models import Plan

    if connection.vendor != "postgresql":
        return False  # nothing tells a dead run from a live one: the sweeper fails it later
    requeued = Plan.objects.filter(pk=plan_id, state=Plan.State.RUNNING).update(
        state=Plan.State.QUEUED, progress=0, message=gettext("Waiting to start.")
    )
    return bool(requeued)


@shared_task(name="dispatch.run_plan")
def run_plan_task(plan_id: int) -> None:
    from dispatch.services import planning  # planning enqueues this task: import at call time

    with _plan_lock(plan_id) as mine:
        if not mine:
            return  # another worker is optimising it now
        _requeue_orphan(plan_id)
        planning.run_plan(plan_id)


@shared_task(name="dispatch.requeue_waiting_plans")
def requeue_waiting_plans_task() -> int:
    """Run again the plans whose worker died; enqueue again the plans still queued after a
    while; fail the ones stuck running far past their budget."""
    from dispatch.models import Plan
    from dispatch.services import planning
    from flexserve.background import enqueue

    orphans = []
    for plan_id in Plan.objects.filter(state=Plan.State.RUNNING).values_list("pk", flat=True):
        with _plan_lock(plan_id) as free:
            if free and _requeue_orphan(plan_id):
                orphans.append(plan_id)
    for plan_id in orphans:
        with transaction.atomic():
            enqueue(run_plan_task, plan_id)
    return len(orphans) + planning.plans_requeue()


@shared_task(name="dispatch.discard_stale_urgent")
def discard_stale_urgent_task() -> int:
    """Delete the draft urgent jobs whose proposals were abandoned or superseded."""
    from dispatch.services import urgent

    return urgent.urgent_discard_stale()

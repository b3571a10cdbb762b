"""Starting a plan (queued for the background) and the sweeper for stuck runs."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dispatch.models import Plan, WorkRules
from flexserve import policy
from flexserve.background import enqueue
from flexserve.errors import Invalid
from flexserve.policy import Perm

MAX_PERIOD_DAYS = 7


def start_plan(
    actor,
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    seconds: int | None = None,
    seed: int = 0,
    max_iterations: int | None = None,
) -> Plan:
    """Queue an optimisation of ``first_day``..``last_day`` (at most a week); returns the plan.

    ``max_iterations`` (total over the period) stops the search on iterations, so the same seed
    gives the same plan whatever the machine's load; ``seconds`` then only caps the run.
    """
    policy.require(actor, Perm.DISPATCH_PLAN)
    if last_day < first_day:
        raise Invalid(fields={"last_day": [_("The last day is before the first day.")]})
    if (last_day - first_day).days >= MAX_PERIOD_DAYS:
        raise Invalid(fields={"last_day": [_("A plan covers at most one week.")]})
    if seconds is None:
        seconds = WorkRules.current().plan_seconds
    if not 1 <= int(seconds) <= 600:
        raise Invalid(fields={"seconds": [_("Optimise for 1 to 600 seconds.")]})
    if max_iterations is not None and int(max_iterations) < 1:
        raise Invalid(fields={"max_iterations": [_("Optimise for at least one iteration.")]})
    with transaction.atomic():
        plan = Plan.objects.create(
            kind=Plan.Kind.PERIOD,
            state=Plan.State.QUEUED,
            first_day=first_day,
            last_day=last_day,
            seconds=int(seconds),
            seed=int(seed),
            # No column of its own: the limit travels with the row to whichever process runs it.
            stats={"max_iterations": int(max_iterations)} if max_iterations else {},
            created_by=actor,
            message=gettext("Waiting to start."),
        )
        from dispatch import tasks  # tasks import this package

        enqueue(tasks.run_plan_task, plan.pk)
    return plan


STUCK_QUEUED = datetime.timedelta(minutes=2)


def plans_requeue() -> int:
    """Enqueue again plans still queued after a while (the broker was down at start), and fail
    plans left running far longer than their time budget (the worker died)."""
    from dispatch import tasks

    now = timezone.now()
    waiting = list(
        Plan.objects.filter(state=Plan.State.QUEUED, created_at__lt=now - STUCK_QUEUED).values_list(
            "pk", flat=True
        )
    )
    for plan_id in waiting:
        with transaction.atomic():
            enqueue(tasks.run_plan_task, plan_id)
    for plan in Plan.objects.filter(state=Plan.State.RUNNING):
        limit = datetime.timedelta(seconds=plan.seconds * 3 + 600)
        if plan.created_at < now - limit:
            Plan.objects.filter(pk=plan.pk, state=Plan.State.RUNNING).update(
                state=Plan.State.FAILED, message=gettext("The optimisation stopped unexpectedly.")
            )
    return len(waiting)

"""Publishing a ready plan: its routes become the working plan of its days."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dispatch.models import Job, JobState, Plan, Stop
from dispatch.services.planning.placement import (
    PLACEABLE_STATES,
    _place,
    _placed_event,
    _save_placements,
    _unplace,
    _unplaced_event,
)
from flexserve import policy
from flexserve.errors import Conflict
from flexserve.policy import Perm


def published_plan_for(day: datetime.date) -> Plan | None:
    """The working plan of ``day``: the most recently published plan covering it."""
    return (
        Plan.objects.filter(state=Plan.State.PUBLISHED, first_day__lte=day, last_day__gte=day)
        .order_by("-published_at", "-pk")
        .first()
    )


@transaction.atomic
def publish_plan(actor, plan_id: int) -> Plan:
    """Make a READY plan the working plan of its days: jobs get staff, day and start."""
    policy.require(actor, Perm.DISPATCH_PLAN)
    plan = policy.get_visible(actor, Plan, plan_id, for_update=True)
    if plan.state != Plan.State.READY:
        raise Conflict(
            _("Only a plan that is ready can be published (this one is %(state)s)."),
            state=plan.get_state_display(),
        )
    overlapping = Plan.objects.filter(
        first_day__lte=plan.last_day, last_day__gte=plan.first_day
    ).exclude(pk=plan.pk)
    newer = overlapping.filter(published_at__gt=plan.created_at).order_by("-published_at").first()
    if newer is not None:
        raise Conflict(
            _(
                "A newer plan for these days was published at %(at)s, after this one was made; "
                "optimise again."
            ),
            at=timezone.localtime(newer.published_at).strftime("%Y-%m-%d %H:%M"),
        )
    now = timezone.now()
    stops = list(
        Stop.objects.filter(route__plan=plan)
        .select_related("route")
        .order_by("route__day", "route__staff_id", "seq")
    )
    placed_ids = {s.job_id for s in stops}
    jobs = {
        j.pk: j
        for j in Job.objects.select_for_update()
        .filter(Q(pk__in=placed_ids) | _planned_on(plan.first_day, plan.last_day))
        .order_by("pk")
    }
    placed, unplaced, events = [], [], []
    for stop in stops:
        job = jobs[stop.job_id]
        if job.state not in PLACEABLE_STATES:
            continue  # done, cancelled or started since the plan was made: leave it alone
        if job.window_start is not None and not job.window_start <= stop.start <= job.window_end:
            raise Conflict(
                _("Job %(job)s was rescheduled after this plan was made; optimise again."),
                job=job.pk,
            )
        if _place(job, stop.route.staff_id, stop.route.day, stop.start):
            placed.append(job)
            events.append(_placed_event(job, actor, plan))
    for job in jobs.values():
        if job.pk not in placed_ids and job.state == JobState.PLANNED:
            _unplace(job)
            unplaced.append(job)
            events.append(_unplaced_event(job, actor, plan))
    _save_placements(
        placed, unplaced, events
    )  # a city week places thousands: a few bulk statements
    # Plans inside these days are replaced; a longer one overlapping them stays published for
    # its other days (this newer plan wins on the shared days: see published_plan_for).
    Plan.objects.filter(
        state=Plan.State.PUBLISHED, first_day__gte=plan.first_day, last_day__lte=plan.last_day
    ).exclude(pk=plan.pk).update(state=Plan.State.SUPERSEDED)
    plan.state, plan.published_by, plan.published_at = Plan.State.PUBLISHED, actor, now
    plan.message = gettext("Published.")
    plan.save(update_fields=["state", "published_by", "published_at", "message"])
    return plan


def _planned_on(first: datetime.date, last: datetime.date) -> Q:
    return Q(state=JobState.PLANNED, planned_day__gte=first, planned_day__lte=last)

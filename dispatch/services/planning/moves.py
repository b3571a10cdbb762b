"""Moving a job by hand on a ready or published plan, re-timing the changed routes."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dispatch import bridge
from dispatch.models import Job, JobEvent, JobKind, JobState, Plan, Route, Stop, Unplaced
from dispatch.roster import RosterDay, roster
from dispatch.services.planning.placement import PLACEABLE_STATES, _set_planned, _set_unplanned
from flexserve import policy
from flexserve.errors import Conflict, Invalid
from flexserve.policy import Perm

MANUAL_REASON = "manual"  # Unplaced.reason of a job taken off the plan by hand


@transaction.atomic
def move_job(
    actor,
    plan_id: int,
    job_id: int,
    *,
    staff_id: int | None,
    day: datetime.date | None,
    position: int,
) -> Plan:
    """Move a job to ``staff_id`` on ``day`` at ``position`` (0 = first), or off the plan
    (``staff_id`` None). Invalid, changing nothing, when a route would break a rule."""
    policy.require(actor, Perm.DISPATCH_PLAN)
    plan = policy.get_visible(actor, Plan, plan_id, for_update=True)
    if plan.state not in (Plan.State.READY, Plan.State.PUBLISHED):
        raise Conflict(
            _("Only a ready or published plan can be changed (this one is %(state)s)."),
            state=plan.get_state_display(),
        )
    job = policy.get_visible(
        actor,
        Job,
        job_id,
        for_update=True,
        qs=Job.objects.select_related("shop", "service_item__skill"),
    )
    if job.state not in PLACEABLE_STATES:
        raise Invalid(fields={"job": [_("Only a job waiting for its visit can be moved.")]})
    current = Stop.objects.filter(route__plan=plan, job=job).select_related("route").first()
    old_route = current.route if current else None

    target = None
    target_day = None
    if staff_id is not None:
        if day is None:
            if plan.first_day != plan.last_day:
                raise Invalid(fields={"day": [_("Choose the day.")]})
            day = plan.first_day
        if not plan.first_day <= day <= plan.last_day:
            raise Invalid(fields={"day": [_("The day is outside the plan.")]})
        days = roster(day, day, user_ids=[staff_id])
        if not days:
            raise Invalid(fields={"staff_id": [_("This staff member does not work on that day.")]})
        target_day = days[0]
        if job.kind == JobKind.ROUTINE and not job.earliest_on <= day <= job.latest_on:
            raise Invalid(
                fields={
                    "day": [
                        _("This routine visit may only be done from %(first)s to %(last)s.")
                        % {"first": job.earliest_on, "last": job.latest_on}
                    ]
                }
            )
        target = Route.objects.filter(plan=plan, staff_id=staff_id, day=day).first()

    # Work out every affected route first; write only when all of them fit.
    changes: list[tuple[Route | None, RosterDay | None, list[Job]]] = []
    if old_route is not None and old_route != target:
        rest = [s.job for s in _stops(old_route) if s.job_id != job.pk]
        old_day = _roster_day(old_route)
        changes.append((old_route, old_day, rest))
    if target_day is not None:
        seq = [s.job for s in _stops(target)] if target else []
        seq = [j for j in seq if j.pk != job.pk]
        seq.insert(max(0, min(position, len(seq))), job)
        changes.append((target, target_day, seq))
    fits = []
    for _route, roster_day, seq in changes:
        if roster_day is None:  # the old route's staff no longer works that day: drop the route
            fits.append(None)
            continue
        result = bridge.fit_day(roster_day, seq, keep_order=True)
        if not result.ok:
            raise Invalid(
                fields={
                    "position": [
                        result.message(name=roster_day.name, max_visits=roster_day.max_visits)
                    ]
                },
                message=_("The move breaks a rule: %(why)s"),
                why=result.message(name=roster_day.name, max_visits=roster_day.max_visits),
            )
        fits.append(result)

    published = plan.state == Plan.State.PUBLISHED
    for (route, roster_day, seq), result in zip(changes, fits, strict=True):
        _rewrite_route(plan, route, roster_day, seq, result, actor, published, moved=job)
    Unplaced.objects.filter(plan=plan, job=job).delete()
    if staff_id is None:
        Unplaced.objects.create(plan=plan, job=job, reason=MANUAL_REASON)
        if published and job.state == JobState.PLANNED:
            _set_unplanned(job, actor, plan)
    _refresh_stats(plan)
    return plan


def _stops(route: Route | None) -> list[Stop]:
    if route is None:
        return []
    return list(route.stops.select_related("job__shop", "job__service_item__skill").order_by("seq"))


def _roster_day(route: Route) -> RosterDay | None:
    days = roster(route.day, route.day, user_ids=[route.staff_id])
    return days[0] if days else None


def _rewrite_route(plan, route, roster_day, seq, result, actor, published, *, moved) -> None:
    """Replace a route's stops and times with ``result`` (a route left empty is deleted)."""
    if route is not None:
        route.stops.all().delete()
    if result is None or not seq:
        if route is not None:
            route.delete()
        return
    lunch = result.lunch
    fields = {
        "shift_start": roster_day.start,
        "shift_end": roster_day.end,
        "departure": result.departure,
        "arrival": result.arrival,
        "break_start": lunch[0] if lunch else None,
        "break_end": lunch[1] if lunch else None,
        "travel_s": result.travel_s,
        "distance_m": result.distance_m,
        "max_visits": roster_day.max_visits,
    }
    if route is None:
        route = Route.objects.create(
            plan=plan, staff_id=roster_day.user_id, day=roster_day.day, **fields
        )
    else:
        for name, value in fields.items():
            setattr(route, name, value)
        route.save()
    by_id = {j.pk: j for j in seq}
    Stop.objects.bulk_create(
        [
            Stop(route=route, job_id=job_id, seq=seq_no, arrival=arrival, start=start, end=end)
            for seq_no, (job_id, arrival, start, end) in enumerate(result.stops)
        ]
    )
    if not published:
        return
    for job_id, _arrival, start, _end in result.stops:
        job = by_id[job_id]
        if job.pk == moved.pk:
            job = moved
        if job.state not in PLACEABLE_STATES:
            continue
        kind = JobEvent.Kind.MOVED if job.pk == moved.pk else JobEvent.Kind.PLANNED
        _set_planned(job, roster_day.user_id, roster_day.day, start, actor, plan, event=kind)


def _refresh_stats(plan: Plan) -> None:
    routes = list(Route.objects.filter(plan=plan).values("travel_s", "distance_m"))
    placed = Stop.objects.filter(route__plan=plan).count()
    unplaced = list(Unplaced.objects.filter(plan=plan).values_list("job__kind", flat=True))
    stats = dict(plan.stats or {})
    stats.update(
        placed=placed,
        unplaced=len(unplaced),
        required_unplaced=sum(kind != JobKind.ROUTINE for kind in unplaced),
        routes=len(routes),
        travel_s=sum(r["travel_s"] for r in routes),
        distance_m=sum(r["distance_m"] for r in routes),
        moved_by_hand=stats.get("moved_by_hand", 0) + 1,
    )
    plan.stats = stats
    plan.save(update_fields=["stats"])

"""Reads of the dispatch board: one day's routes, stops and unplaced jobs; recent plans.

    b = board(dispatcher, day)                 # the published plan of the day, or None
    b = board(dispatcher, day, plan_id=7)      # a given plan (ready, replan proposal …)

A day's board costs a handful of queries whatever the number of routes (routes + stops with
their jobs and shops in two, staff homes in one, unplaced, open count, recent plans).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q
from django.utils.translation import gettext_lazy as _

from dispatch.models import Job, JobKind, JobState, Plan, Route, StaffProfile, Stop, Unplaced
from dispatch.roster import local_dt
from dispatch.services.planning import MANUAL_REASON, published_plan_for
from flexserve import policy
from flexserve.policy import Perm

REASON_LABELS = {
    **dict(Unplaced.Reason.choices),
    MANUAL_REASON: _("Taken off the plan by hand"),
}


@dataclass
class BoardStop:
    stop: Stop
    job: Job
    shop_name: str
    lat: float
    lng: float
    kind: str
    window_start: datetime.datetime | None
    window_end: datetime.datetime | None
    state: str


@dataclass
class BoardRoute:
    route: Route
    staff_name: str
    stops: list[BoardStop]
    lunch: tuple[datetime.datetime, datetime.datetime] | None
    home: tuple[float, float] | None


@dataclass
class Board:
    day: datetime.date
    plan: Plan | None
    routes: list[BoardRoute] = field(default_factory=list)
    unplaced: list[tuple[Job, str]] = field(default_factory=list)  # failed: with the reason
    later: list[Job] = field(default_factory=list)  # routine visits due after the day: not failed
    open_jobs_count: int = 0
    plans: list[Plan] = field(default_factory=list)
    stats: dict = field(default_factory=dict)


def reason_label(reason: str) -> str:
    return str(REASON_LABELS.get(reason, reason))


def _of_day(day: datetime.date) -> Q:
    """Jobs belonging to ``day``: fixed ones in a window that day, routine ones allowed on it."""
    start = local_dt(day, datetime.time())
    end = local_dt(day + datetime.timedelta(days=1), datetime.time())
    return Q(window_start__gte=start, window_start__lt=end) | Q(
        kind=JobKind.ROUTINE, earliest_on__lte=day, latest_on__gte=day
    )


def board(actor, day: datetime.date, *, plan_id: int | None = None) -> Board:
    """The dispatch board of ``day``: the given plan's routes, else the published plan's."""
    policy.require(actor, Perm.DISPATCH_VIEW)
    if plan_id is not None:
        plan = policy.get_visible(actor, Plan, plan_id)
    else:
        plan = published_plan_for(day)
    out = Board(day=day, plan=plan, stats=dict(plan.stats) if plan else {})
    out.plans = list(
        policy.visible(actor, Plan.objects.filter(first_day__lte=day, last_day__gte=day)).order_by(
            "-created_at", "-pk"
        )[:10]
    )
    jobs = policy.visible(actor, Job.objects.all())
    out.open_jobs_count = jobs.filter(_of_day(day), state=JobState.OPEN).count()
    if plan is None:
        return out
    stops = Stop.objects.select_related("job__shop", "job__service_item").order_by("seq")
    routes = list(
        Route.objects.filter(plan=plan, day=day)
        .select_related("staff")
        .prefetch_related(Prefetch("stops", queryset=stops))
        .order_by("staff__username")
    )
    homes = {
        p.user_id: (float(p.home_latitude), float(p.home_longitude))
        for p in StaffProfile.objects.filter(user_id__in=[r.staff_id for r in routes])
    }
    for route in routes:
        out.routes.append(
            BoardRoute(
                route=route,
                staff_name=str(route.staff),
                stops=[
                    BoardStop(
                        stop=s,
                        job=s.job,
                        shop_name=s.job.shop.name,
                        lat=float(s.job.shop.latitude),
                        lng=float(s.job.shop.longitude),
                        kind=s.job.kind,
                        window_start=s.job.window_start,
                        window_end=s.job.window_end,
                        state=s.job.state,
                    )
                    for s in route.stops.all()
                ],
                lunch=(route.break_start, route.break_end) if route.break_start else None,
                home=homes.get(route.staff_id),
            )
        )
    unplaced = (
        Unplaced.objects.filter(plan=plan, job__in=jobs.filter(_of_day(day)))
        .select_related("job__shop", "job__service_item")
        .order_by("job_id")
    )
    for u in unplaced:
        if due_later(u.job, day):
            out.later.append(u.job)
        else:
            out.unplaced.append((u.job, reason_label(u.reason)))
    return out


def due_later(job: Job, day: datetime.date) -> bool:
    """A routine visit due after ``day``: left out of ``day`` it waits for a later day of its
    range rather than failing (the optimiser takes it early only when that is cheap)."""
    return job.kind == JobKind.ROUTINE and job.due_on is not None and job.due_on > day


def plans(actor, *, limit: int = 20) -> list[Plan]:
    """The most recent plans, newest first."""
    policy.require(actor, Perm.DISPATCH_VIEW)
    return list(
        policy.visible(actor, Plan.objects.select_related("created_by", "published_by")).order_by(
            "-created_at", "-pk"
        )[:limit]
    )

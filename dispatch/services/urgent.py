"""Urgent visits: a service request becomes a job, and a proposal puts it into a day's routes.

    day, start, end = urgent_default_window()                   # today, or the next working day
    job = urgent_job_from_request(dispatcher, request.pk)       # one active urgent job per request
    plan = propose_insertion(dispatcher, job.pk)                # Plan(kind=REPLAN, state=READY)
    plan.changes                                                # what changes, before publishing
    publish_plan(dispatcher, plan.pk)                           # like any other plan

The proposal starts from the published plan of the job's day and, today, the visit reports:
visits checked in (done or under way) keep their times, a staff member is at their last
checked-in shop (or at home), and only one route changes
(``engines.routing.replan.insert_urgent``).

A job whose proposals were never published is a draft: asking again re-times the same job and
supersedes its earlier proposals, and ``urgent_discard_stale`` (before each proposal, and every
few minutes from beat) deletes the drafts left behind, so an abandoned proposal leaves no job
waiting for the next optimisation.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.models import ServiceItem
from dispatch import bridge
from dispatch.models import (
    ACTIVE_STATES,
    Job,
    JobEvent,
    JobKind,
    JobState,
    Plan,
    Route,
    Stop,
    Unplaced,
    VisitReport,
    WorkRules,
)
from dispatch.roster import local_dt, roster, serves
from dispatch.services import planning
from engines.routing import BreakVisit, Solution, Visit
from engines.routing import Route as EngineRoute
from engines.routing.replan import LiveState, StaffProgress, check_live, insert_urgent
from flexserve import policy
from flexserve.errors import Invalid
from flexserve.policy import Perm
from servicedesk.models import ServiceRequest

URGENT_LEAD = datetime.timedelta(minutes=30)
URGENT_PRIORITY = 2
REPLAN_LIMIT_S = 1.0
URGENT_SEARCH_DAYS = 14  # how far the default looks for the next working day
# A draft urgent job (never published) without a proposal ready to publish made this recently is
# abandoned: it is deleted rather than left for the next optimisation to plan.
URGENT_DRAFT_TTL = datetime.timedelta(hours=2)


def urgent_default_window(
    now: datetime.datetime | None = None,
) -> tuple[datetime.date, datetime.datetime, datetime.datetime]:
    """The day and start window an urgent visit gets unless the dispatcher chooses: from half an
    hour from now to the day's latest end when someone still works today, else the next working
    day (from its first shift's start)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rules = WorkRules.current()
    earliest = now + URGENT_LEAD
    days = roster(today, today + datetime.timedelta(days=URGENT_SEARCH_DAYS))
    for day in sorted({d.day for d in days}):
        shifts = [d for d in days if d.day == day]
        start = min(d.start for d in shifts)
        if day == today:
            if max(d.end for d in shifts) <= earliest:
                continue  # today's shifts are over (or about to be)
            start = max(start, earliest)
        return day, start, max(start, local_dt(day, rules.latest_end))
    return today, earliest, max(earliest, local_dt(today, rules.latest_end))


def _ever_published(job: Job) -> bool:
    """Whether a published plan ever gave the job a place (a draft has never been planned)."""
    return job.events.filter(kind__in=[JobEvent.Kind.PLANNED, JobEvent.Kind.MOVED]).exists()


def _supersede_proposals(job: Job) -> None:
    Plan.objects.filter(kind=Plan.Kind.REPLAN, urgent_job=job, state=Plan.State.READY).update(
        state=Plan.State.SUPERSEDED
    )


def _window(
    window_start: datetime.datetime | None,
    window_end: datetime.datetime | None,
    now: datetime.datetime,
) -> tuple[datetime.datetime, datetime.datetime]:
    """The window asked for, completed from the default; Invalid when it cannot be served."""
    if window_start is None and window_end is None:
        return urgent_default_window(now)[1:]
    rules = WorkRules.current()
    if window_start is None:
        day = timezone.localdate(window_end)
        window_start = max(now + URGENT_LEAD, local_dt(day, rules.earliest_start))
    if window_end is None:
        window_end = local_dt(timezone.localdate(window_start), rules.latest_end)
    if timezone.localdate(window_start) != timezone.localdate(window_end):
        raise Invalid(fields={"window_end": [_("The window must start and end on the same day.")]})
    if window_end < window_start:
        raise Invalid(fields={"window_end": [_("The end of the window comes before its start.")]})
    if window_end < now:
        raise Invalid(
            fields={"window_end": [_("The window has already passed; choose a later day or time.")]}
        )
    return window_start, window_end


@transaction.atomic
def urgent_job_from_request(
    actor,
    request_id: int,
    *,
    service_item_id: int | None = None,
    window_start: datetime.datetime | None = None,
    window_end: datetime.datetime | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> Job:
    """The request's active urgent job: created once; asked again with a window, a draft (never
    published) takes the new window, item and note. Without a window: ``urgent_default_window``.
    """
    policy.require(actor, Perm.DISPATCH_PLAN)
    request = policy.get_visible(actor, ServiceRequest, request_id, for_update=True)
    now = now or timezone.now()
    item = None
    if service_item_id is not None:
        item = ServiceItem.objects.filter(pk=service_item_id).select_related("skill").first()
        if item is None:
            raise Invalid(fields={"service_item_id": [_("Choose a service item.")]})
    existing = (
        Job.objects.select_for_update()
        .filter(request=request, kind=JobKind.URGENT, state__in=ACTIVE_STATES)
        .order_by("-pk")
        .first()
    )
    if existing is not None:
        return _retimed(actor, existing, item, window_start, window_end, note, now)
    if item is None:
        needed = request.request_type.skills.values_list("pk", flat=True)
        item = ServiceItem.objects.filter(skill__in=needed).order_by(
            "code"
        ).first() or ServiceItem.objects.get(code="routine_visit")
    start, end = _window(window_start, window_end, now)
    job = Job.objects.create(
        shop=request.shop,
        kind=JobKind.URGENT,
        state=JobState.OPEN,
        service_item=item,
        duration_min=item.duration_min,
        window_start=start,
        window_end=end,
        priority=URGENT_PRIORITY,
        note=note or request.title[:300],
        request=request,
        created_by=actor,
    )
    JobEvent.objects.create(
        job=job, kind=JobEvent.Kind.CREATED, actor=actor, data={"request": request.pk}
    )
    return job


def _retimed(actor, job: Job, item, window_start, window_end, note: str, now) -> Job:
    """The existing urgent job, with the new window, item and note when it is still a draft."""
    asked = window_start is not None or window_end is not None
    if not asked and item is None and not note:
        return job
    start, end = (
        _window(window_start, window_end, now) if asked else (job.window_start, job.window_end)
    )
    new_item = item or job.service_item
    unchanged = (start, end, new_item.pk, note or job.note) == (
        job.window_start,
        job.window_end,
        job.service_item_id,
        job.note,
    )
    if unchanged:
        return job
    if job.state != JobState.OPEN or _ever_published(job):
        raise Invalid(
            fields={
                "day": [
                    _(
                        "This urgent visit is already planned; move it on the board instead "
                        "of changing its day or window here."
                    )
                ]
            }
        )
    job.window_start, job.window_end = start, end
    job.service_item, job.duration_min = new_item, new_item.duration_min
    job.note = note or job.note
    job.version += 1
    job.save(
        update_fields=[
            "window_start",
            "window_end",
            "service_item",
            "duration_min",
            "note",
            "version",
            "updated_at",
        ]
    )
    JobEvent.objects.create(
        job=job,
        kind=JobEvent.Kind.RESCHEDULED,
        actor=actor,
        data={"window_start": start.isoformat(), "window_end": end.isoformat()},
    )
    _supersede_proposals(job)  # they were made for the old window
    return job


@transaction.atomic
def urgent_discard_stale(*, now: datetime.datetime | None = None, keep: int | None = None) -> int:
    """Delete the draft urgent jobs left behind (never published, still waiting): past their
    window, or without a proposal that is ready to publish and younger than
    ``URGENT_DRAFT_TTL`` (abandoned, superseded by a newer plan of the day). Returns how many."""
    now = now or timezone.now()
    drafts = (
        Job.objects.select_for_update()
        .filter(kind=JobKind.URGENT, state=JobState.OPEN, created_at__lt=now - URGENT_LEAD)
        .exclude(events__kind__in=[JobEvent.Kind.PLANNED, JobEvent.Kind.MOVED])
        .exclude(pk=keep)
        .order_by("pk")
    )
    gone = 0
    for job in drafts:
        if job.window_end >= now and _has_live_proposal(job, now):
            continue
        _supersede_proposals(job)
        job.delete()  # its events, and its stops and rows in plans never published
        gone += 1
    return gone


def _has_live_proposal(job: Job, now: datetime.datetime) -> bool:
    """A READY proposal for the job made within the TTL, with no plan of its day published
    since (that would make publishing it refused)."""
    for proposal in Plan.objects.filter(
        kind=Plan.Kind.REPLAN,
        urgent_job=job,
        state=Plan.State.READY,
        created_at__gte=now - URGENT_DRAFT_TTL,
    ):
        newer = Plan.objects.filter(
            Q(first_day__lte=proposal.last_day, last_day__gte=proposal.first_day),
            published_at__gt=proposal.created_at,
        )
        if not newer.exists():
            return True
    return False


@transaction.atomic
def propose_insertion(actor, job_id: int, *, now: datetime.datetime | None = None) -> Plan:
    """A READY replan of today with the urgent job placed on the route where it costs least."""
    policy.require(actor, Perm.DISPATCH_PLAN)
    job = policy.get_visible(
        actor,
        Job,
        job_id,
        for_update=True,
        qs=Job.objects.select_related("shop", "service_item__skill"),
    )
    if job.kind != JobKind.URGENT or job.state not in planning.PLACEABLE_STATES:
        raise Invalid(fields={"job": [_("Only an urgent job still waiting can be inserted.")]})
    now = now or timezone.now()
    if job.window_end < now:
        raise Invalid(
            fields={"window_end": [_("The window has already passed; choose a later day or time.")]}
        )
    urgent_discard_stale(now=now, keep=job.pk)
    _supersede_proposals(job)  # the newest proposal is the one to publish
    today = timezone.localdate(job.window_start)
    published = planning.published_plan_for(today)
    routes = (
        list(
            Route.objects.filter(plan=published, day=today)
            .select_related("staff")
            .prefetch_related("stops__job__shop", "stops__job__service_item__skill")
        )
        if published
        else []
    )
    days = roster(today, today)
    on_roster = {d.user_id for d in days}
    routes = [r for r in routes if r.staff_id in on_roster]
    route_jobs = [s.job for r in routes for s in r.stops.all() if s.job_id != job.pk]
    jobs = [*route_jobs, job]
    component = planning.Component({d.user_id for d in days}, jobs)
    staff_tags, job_tags = planning.territory_tags(component, days)
    clock = bridge.Clock(today)
    model = bridge.period_model(
        days, jobs, clock, first=today, last=today, staff_tags=staff_tags, job_tags=job_tags
    )
    engine = {j.id: j for j in model.problem.jobs}
    solution = _published_solution(routes, clock)
    state = _live_state(routes, model, clock, max(now, clock.origin))  # a later day: from 00:00
    plan = Plan.objects.create(
        kind=Plan.Kind.REPLAN,
        state=Plan.State.READY,
        first_day=today,
        last_day=today,
        seconds=1,
        urgent_job=job,
        created_by=actor,
        progress=100,
    )
    if not any(serves(d, job.shop) for d in days):
        proposal = None
        changed_id, reason, detail = None, Unplaced.Reason.NO_STAFF, ""
    else:
        proposal = insert_urgent(
            model.problem, solution, state, engine[str(job.pk)], time_limit_s=REPLAN_LIMIT_S
        )
        changed_id, reason, detail = proposal.staff_day_id, proposal.reason, proposal.detail
    violations = len(check_live(proposal.problem, proposal.solution, state)) if proposal else 0
    if violations:
        raise RuntimeError(f"the proposal breaks {violations} rules: {detail}")

    changes = []
    by_sd = {f"{r.staff_id}:{r.day.isoformat()}": r for r in routes}
    for route in routes:
        sd_id = f"{route.staff_id}:{route.day.isoformat()}"
        if sd_id != changed_id:
            _copy_route(route, plan)
    if changed_id is not None:
        new_route = next(r for r in proposal.solution.routes if r.staff_day_id == changed_id)
        old = by_sd.get(changed_id)
        stored = _store_route(plan, model, new_route)
        before = [s.job_id for s in old.stops.all()] if old else []
        after = [int(v.job_id) for v in new_route.visits]
        old_start = {s.job_id: s.start for s in old.stops.all()} if old else {}
        new_start = {int(v.job_id): clock.at(v.start) for v in new_route.visits}
        changes.append(
            {
                "staff_id": stored.staff_id,
                "staff": model.days[changed_id].name,
                "before": before,
                "after": after,
                "added": [j for j in after if j not in before],
                "removed": [j for j in before if j not in after],
                "retimed": sum(
                    1 for j, t in new_start.items() if j in old_start and old_start[j] != t
                ),
                "extra_travel_s": stored.travel_s - (old.travel_s if old else 0),
            }
        )
        for job_id in changes[0]["removed"]:
            Unplaced.objects.create(plan=plan, job_id=job_id, reason=Unplaced.Reason.NOT_WORTH)
    else:
        Unplaced.objects.create(plan=plan, job=job, reason=reason or Unplaced.Reason.CAPACITY)
    plan.changes = changes
    plan.stats = {
        "jobs": len(jobs),
        "placed": Stop.objects.filter(route__plan=plan).count(),
        "unplaced": Unplaced.objects.filter(plan=plan).count(),
        "routes": Route.objects.filter(plan=plan).count(),
        "violations": violations,
        "runtime_s": round(proposal.runtime_s, 3) if proposal else 0,
        "based_on": published.pk if published else None,
    }
    on_day = date_format(today, "DATE_FORMAT")
    plan.message = (
        gettext("Visit %(shop)s on %(staff)s's route on %(day)s.")
        % {"shop": job.shop.name, "staff": changes[0]["staff"], "day": on_day}
        if changes
        else gettext("No route on %(day)s has room for the visit to %(shop)s.")
        % {"shop": job.shop.name, "day": on_day}
    )
    plan.save(update_fields=["changes", "stats", "message"])
    return plan


def _published_solution(routes: list[Route], clock: bridge.Clock) -> Solution:
    engine_routes = []
    for r in routes:
        visits = tuple(
            Visit(
                str(s.job_id),
                clock.seconds(s.arrival),
                clock.seconds(s.start),
                clock.seconds(s.end),
            )
            for s in r.stops.all()
        )
        breaks = (
            (BreakVisit(0, clock.seconds(r.break_start), clock.seconds(r.break_end)),)
            if r.break_start
            else ()
        )
        departure = clock.seconds(r.departure or r.shift_start)
        arrival = clock.seconds(r.arrival or r.shift_end)
        engine_routes.append(
            EngineRoute(
                f"{r.staff_id}:{r.day.isoformat()}",
                visits,
                breaks,
                distance=r.distance_m,
                duration=arrival - departure,
                departure=departure,
                arrival=arrival,
            )
        )
    return Solution(
        tuple(engine_routes),
        (),
        distance=sum(r.distance for r in engine_routes),
        duration=sum(r.duration for r in engine_routes),
        runtime_s=0.0,
        solver="published",
    )


def _live_state(routes: list[Route], model: bridge.PeriodModel, clock, now) -> LiveState:
    """Visits checked in are fixed (with their recorded times); the staff member stands at the
    last checked-in shop, free when that visit ended (or will end)."""
    reports = {
        r.job_id: r
        for r in VisitReport.objects.filter(
            job_id__in=[s.job_id for route in routes for s in route.stops.all()]
        )
    }
    engine = {j.id: j for j in model.problem.jobs}
    now_s = clock.seconds(now)
    progress = []
    for route in routes:
        done = []
        for stop in route.stops.all():
            report = reports.get(stop.job_id)
            if report is None:
                continue
            began = clock.seconds(report.checked_in_at)
            planned = clock.seconds(stop.end) - clock.seconds(stop.start)
            end = (
                clock.seconds(report.checked_out_at)
                if report.checked_out_at
                else max(now_s, began + planned)
            )
            done.append(Visit(str(stop.job_id), began, began, max(end, began)))
        if not done:
            continue
        done.sort(key=lambda v: v.start)
        taken = ()
        if route.break_start and clock.seconds(route.break_start) <= now_s:
            taken = (
                BreakVisit(0, clock.seconds(route.break_start), clock.seconds(route.break_end)),
            )
        progress.append(
            StaffProgress(
                staff_day_id=f"{route.staff_id}:{route.day.isoformat()}",
                done=tuple(done),
                breaks_done=taken,
                location=engine[done[-1].job_id].location,
                free_at=done[-1].end,
                departure=clock.seconds(route.departure or route.shift_start),
            )
        )
    return LiveState(now=now_s, progress=tuple(progress))


def _copy_route(route: Route, plan: Plan) -> Route:
    stops = list(route.stops.all())
    route.pk = None
    route.plan = plan
    route.save()
    Stop.objects.bulk_create(
        [
            Stop(
                route=route, job_id=s.job_id, seq=s.seq, arrival=s.arrival, start=s.start, end=s.end
            )
            for s in stops
        ]
    )
    return route


def _store_route(plan: Plan, model: bridge.PeriodModel, er: EngineRoute) -> Route:
    _, duration = model.problem.travel.matrices(model.problem.locations)
    route, stops = model.route_rows(plan, er, duration)
    route.save()
    for stop in stops:
        stop.route = route
    Stop.objects.bulk_create(stops)
    return route

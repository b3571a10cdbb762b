"""Benchmark: a city week at full size, planned through the app's own path (issue 14).

The city: the demo generator (``demo.city``) at 50,000 shops around Hefei, 155 staff of whom 150
visit shops (account managers and service staff, each with their grids), classified by the
default segment rules; field profiles as the demo makes them (08:30–17:30, Monday to Friday,
home at the middle of their territory). The week: routine visits from the class service plans
(``routine.generate_routine`` for one week), bookings reserved on a staff day that still fits them
(``bridge.fit_day``, as the booking page checks) and urgent visits with a window from mid-morning
to the end of the working day, about 8,000 jobs in all. Ordinary shops are served online and
potential ones monthly here (``ServicePlan.visits_per_month`` 0 and 1, the setting a manager
edits): at the default plans a 50,000-shop city would owe 18,000 visits a week to staff who can
make 10,500.

Timed (``city_week_8000_s``): ``planning.start_plan`` as the board's button calls it (the task
runs in-process, synchronously, as the bench child runs tasks), then ``publish_plan``, then every
published route re-judged by ``engines.routing.checker`` against the plan's engine problem. The
city's generation is timed apart (``city_week_generate_s``).
"""

from __future__ import annotations

import datetime
import random
import threading
import time

DATABASE = "postgresql"
SHOPS = 50_000
STAFF = 155  # admin, 2 managers, 2 dispatchers and 150 field staff (demo.territory.staff_plan)
SEED = 20261125
MONDAY = datetime.date(2026, 11, 23)  # the demo's fixed day: a Monday
PLAN_SECONDS = 420
VISITS_PER_MONTH = {"core": 4, "key": 2, "potential": 1, "ordinary": 0}
BOOKINGS_PER_DAY = 80
URGENT_PER_DAY = 30
URGENT_ITEMS = ("equipment_check", "licence_assist", "policy_briefing")
TARGETS = {"city_week_8000_s": (600, "<"), "city_week_8000_violations": (0, "<=")}
NOTES = {
    "city_week_8000_s": "start_plan (board's button; task in-process) → READY, publish, checker "
    "on every published route; PostgreSQL; city generation excluded",
    "city_week_8000_violations": "rules broken by the published routes (engines.routing.checker)",
    "city_week_8000_jobs": "jobs of the week: routine by class frequency, bookings, urgent",
    "city_week_8000_served": "jobs on a published route",
    "city_week_8000_unassigned_required": "bookings and urgent visits left without a route",
    "city_week_8000_areas": "independent areas the plan was split into",
    "city_week_generate_s": "50,000 shops, 150 field staff and the week's jobs (not timed above)",
}


def _say(line: str) -> None:
    print(f"  {line}", flush=True)


def generate() -> dict[str, int]:
    """The city and its week of jobs; returns counts by kind."""
    from django.db.models import Count

    from customers.models import ServicePlan
    from demo import city
    from demo import dispatch as field_work
    from dispatch.models import Job, JobKind, WorkRules
    from dispatch.services import routine

    options = city.Options(
        shops=SHOPS, staff=STAFF, weeks=0, request_weeks=0, seed=SEED, until=MONDAY
    )
    city.build(options, progress=lambda name, n: _say(f"city: {name} {n:,}"))
    for segment, visits in VISITS_PER_MONTH.items():
        ServicePlan.objects.filter(segment=segment).update(visits_per_month=visits)
    WorkRules.current()
    admin = field_work._admin()
    _say(f"service staff covering a neighbouring grid: {_cover_neighbours()}")
    profiles = field_work._profiles()
    _say(f"field staff profiles: {len(profiles)}")
    result = routine.generate_routine(admin, first_day=MONDAY, weeks=1)
    _say(f"routine visits: {result.created:,} {result.by_segment}")
    bookings = _bookings(admin)
    _say(f"bookings: {bookings:,}")
    urgent = _urgent(admin)
    _say(f"urgent visits: {urgent:,}")
    counts = dict(Job.objects.values_list("kind").annotate(n=Count("id")).order_by())
    return {kind: counts.get(kind, 0) for kind in JobKind.values}


def _cover_neighbours() -> int:
    """Each service staff member also serves the grid after their last one, as colleagues cover
    for each other: territories overlap, so the whole city is one component for the planner
    (the demo's own blocks happen to line up at 150 field staff)."""
    from accounts.models import Role
    from customers.models import Grid

    grids = list(Grid.objects.order_by("pk").values_list("pk", flat=True))
    through = Grid.staff.through
    last: dict[int, int] = {}
    for grid_id, user_id in through.objects.filter(user__role=Role.SERVICE_STAFF).values_list(
        "grid_id", "user_id"
    ):
        last[user_id] = max(last.get(user_id, grid_id), grid_id)
    position = {grid_id: index for index, grid_id in enumerate(grids)}
    extra = [
        through(grid_id=grids[position[grid_id] + 1], user_id=user_id)
        for user_id, grid_id in last.items()
        if position[grid_id] + 1 < len(grids)
    ]
    through.objects.bulk_create(extra, ignore_conflicts=True)
    return len(extra)


def _week() -> list[datetime.date]:
    return [MONDAY + datetime.timedelta(days=k) for k in range(5)]


def _bookings(actor) -> int:
    """``BOOKINGS_PER_DAY`` a day, each reserved on a serving staff day that still fits it."""
    from demo.dispatch import reserve_bookings

    slots = tuple(datetime.time(h, m) for h in range(9, 16) for m in (0, 30))
    rng = random.Random(f"{SEED}:bookings")
    return reserve_bookings(rng, _week(), BOOKINGS_PER_DAY, slots)


def _urgent(actor) -> int:
    """``URGENT_PER_DAY`` a day: from a mid-morning hour to the latest end (the urgent default
    window's shape), on shops some field staff serve."""
    from django.utils import timezone

    from customers.models import ServiceItem, Shop
    from dispatch.models import Job, JobEvent, JobKind, WorkRules
    from dispatch.roster import local_dt, roster, serves

    rng = random.Random(f"{SEED}:urgent")
    rules = WorkRules.current()
    items = list(ServiceItem.objects.filter(code__in=URGENT_ITEMS).select_related("skill"))
    staff = {rd.user_id: rd for rd in roster(MONDAY, MONDAY)}
    shops = list(Shop.objects.filter(status=Shop.Status.ACTIVE).order_by("pk"))
    made = []
    for day in _week():
        while sum(j.window_start.date() == day for j in made) < URGENT_PER_DAY:
            shop, item = rng.choice(shops), rng.choice(items)
            skill = item.skill.code if item.skill else None
            if not any(
                serves(rd, shop) and (skill is None or skill in rd.skills) for rd in staff.values()
            ):
                continue  # nobody could come: such a request goes to the phone, not the plan
            start = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(rng.randint(9, 13), 0))
            )
            made.append(
                Job(
                    shop=shop,
                    kind=JobKind.URGENT,
                    service_item=item,
                    duration_min=item.duration_min,
                    window_start=start,
                    window_end=local_dt(day, rules.latest_end),
                    priority=2,
                    created_by=actor,
                )
            )
    Job.objects.bulk_create(made, batch_size=1000)
    JobEvent.objects.bulk_create(
        (JobEvent(job_id=j.pk, kind=JobEvent.Kind.CREATED, actor=actor) for j in made),
        batch_size=1000,
    )
    return len(made)


def judge(plan) -> dict[str, int]:
    """Every published route of ``plan`` rebuilt from its rows and judged by the engine's checker
    (times, travel, windows, days, skills, lunch, most visits), plus territory; and every job of
    the week accounted for: on one route, or reported unplaced."""
    from dispatch import bridge
    from dispatch.models import JobKind, Route, Unplaced
    from dispatch.roster import roster, serves
    from dispatch.services.planning import run as planning_run
    from engines.routing import check

    days = {(d.user_id, d.day): d for d in roster(plan.first_day, plan.last_day)}
    clock = bridge.Clock(plan.first_day)
    jobs = {j.pk: j for j in planning_run._period_jobs(plan.first_day, plan.last_day)}
    routes = list(
        Route.objects.filter(plan=plan).prefetch_related("stops").order_by("day", "staff_id")
    )
    violations = 0
    served: list[int] = []
    for route in routes:
        rd = days[(route.staff_id, route.day)]
        stops = list(route.stops.all())
        route_jobs = [jobs[s.job_id] for s in stops]
        served += [s.job_id for s in stops]
        model = bridge.period_model(
            [rd], route_jobs, clock, first=plan.first_day, last=plan.last_day
        )
        broken = check(model.problem, _published(route, stops, clock))
        broken += [j for j in route_jobs if not serves(rd, j.shop)]  # territory
        if broken:
            _say(f"route {route.staff_id} {route.day}: {broken[:3]}")
        violations += len(broken)
    unplaced = set(Unplaced.objects.filter(plan=plan).values_list("job_id", flat=True))
    twice = len(served) - len(set(served)) + len(set(served) & unplaced)
    lost = len(set(jobs) - set(served) - unplaced)
    required_left = sum(jobs[pk].kind != JobKind.ROUTINE for pk in set(jobs) - set(served))
    return {
        "routes": len(routes),
        "violations": violations + twice + lost,
        "served": len(set(served)),
        "unassigned_required": required_left,
    }


def _published(route, stops, clock):
    """The engine ``Solution`` of one stored route (its own rows, not the solver's answer)."""
    from engines.routing import BreakVisit, Solution, Visit
    from engines.routing import Route as EngineRoute

    seconds = clock.seconds
    visits = tuple(
        Visit(str(s.job_id), seconds(s.arrival), seconds(s.start), seconds(s.end))
        for s in sorted(stops, key=lambda s: s.seq)
    )
    breaks = ()
    if route.break_start:
        breaks = (BreakVisit(0, seconds(route.break_start), seconds(route.break_end)),)
    departure, arrival = seconds(route.departure), seconds(route.arrival)
    engine_route = EngineRoute(
        f"{route.staff_id}:{route.day.isoformat()}",
        visits,
        breaks,
        distance=route.distance_m,
        duration=arrival - departure,
        departure=departure,
        arrival=arrival,
    )
    return Solution(
        (engine_route,), (), engine_route.distance, engine_route.duration, 0.0, "published"
    )


def plan_week(seconds: int = PLAN_SECONDS):
    """The board's path: start_plan (its task runs in-process), publish; returns the plan."""
    from demo import dispatch as field_work
    from dispatch.models import Plan
    from dispatch.services import planning

    admin = field_work._admin()
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(stop,), daemon=True)
    watcher.start()
    try:
        plan = planning.start_plan(
            admin, first_day=MONDAY, last_day=MONDAY + datetime.timedelta(days=4), seconds=seconds
        )
    finally:
        stop.set()
        watcher.join()
    plan.refresh_from_db()
    if plan.state == Plan.State.QUEUED:  # a worker of its own would take it: run it here
        planning.run_plan(plan.pk)
        plan.refresh_from_db()
    _say(f"plan {plan.state}: {plan.message} ({plan.stats.get('runtime_s')} s)")
    if plan.state != Plan.State.READY:
        raise RuntimeError(f"the plan ended {plan.state}: {plan.message}")
    planning.publish_plan(admin, plan.pk)
    plan.refresh_from_db()
    return plan


def _watch(stop: threading.Event, every_s: float = 10.0) -> None:
    """Print the running plan's progress as the board shows it (its own connection: the run
    writes each update in its own commit)."""
    from django.db import connection

    from dispatch.models import Plan

    seen = None
    try:
        while not stop.wait(every_s):
            row = Plan.objects.order_by("-pk").values_list("state", "progress", "message").first()
            if row and row != seen:
                seen = row
                _say(f"progress: {row[0]} {row[1]} % · {row[2]}")
    finally:
        connection.close()


def run() -> dict[str, float]:
    started = time.perf_counter()
    counts = generate()
    generate_s = time.perf_counter() - started
    _say(f"generated in {generate_s:.1f} s: {counts}")
    started = time.perf_counter()
    plan = plan_week()
    published = time.perf_counter()
    verdict = judge(plan)
    total_s = time.perf_counter() - started
    _say(
        f"planned and published in {published - started:.1f} s, judged in "
        f"{time.perf_counter() - published:.1f} s: {verdict}"
    )
    return {
        "city_week_8000_s": round(total_s, 2),
        "city_week_8000_violations": verdict["violations"],
        "city_week_8000_jobs": sum(counts.values()),
        "city_week_8000_served": verdict["served"],
        "city_week_8000_unassigned_required": verdict["unassigned_required"],
        "city_week_8000_areas": plan.stats.get("components", 0),
        "city_week_generate_s": round(generate_s, 2),
    }

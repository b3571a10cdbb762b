"""Running a plan: split the period into components (and large ones into areas, ``areas.py``),
solve each, store routes and stops."""

from __future__ import annotations

import datetime
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext

from dispatch import bridge
from dispatch.models import Job, JobKind, Plan, Route, Stop, Unplaced
from dispatch.roster import RosterDay, roster, serves
from dispatch.services.planning.areas import Component, split_component
from dispatch.services.planning.placement import PLACEABLE_STATES
from engines.routing import check, solve

logger = logging.getLogger(__name__)

MIN_COMPONENT_S = 0.1
# Searches also stop after this many iterations per second of budget: on small components the
# iteration count, not the clock, ends the search, so the same seed gives the same plan.
ITERATIONS_PER_S = 1000
# Past this share of a shift a route costs extra, so the work spreads between the staff of an
# area instead of filling some days to the last visit while others stay nearly empty.
BALANCE_SHARE = 0.6
PROGRESS_EVERY_S = 1.0


def run_plan(plan_id: int) -> None:
    """Optimise a queued plan (the task body); the plan ends READY or FAILED, never RUNNING."""
    claimed = Plan.objects.filter(pk=plan_id, state=Plan.State.QUEUED).update(
        state=Plan.State.RUNNING, progress=0, message=gettext("Optimising…")
    )
    if not claimed:
        return  # already run (a task delivered twice) or gone
    plan = Plan.objects.get(pk=plan_id)
    try:
        _run(plan)
    except Exception as error:
        logger.exception("plan %s failed", plan_id)
        Plan.objects.filter(pk=plan_id).update(
            state=Plan.State.FAILED,
            message=(gettext("Optimisation failed: %(error)s") % {"error": error})[:300],
        )


class _Progress:
    """Writes Plan.progress with a cheap UPDATE, at most about once a second."""

    def __init__(self, plan: Plan, total_jobs: int):
        self.plan_id = plan.pk
        self.total = max(total_jobs, 1)
        self.done = 0
        self.last_write = 0.0
        self.last_value = -1

    def callback(self, size: int, budget_s: float, index: int, count: int):
        def report(elapsed_s: float, _best_cost: float) -> None:
            share = min(1.0, elapsed_s / budget_s) if budget_s > 0 else 1.0
            self.write(self.done + size * share, index, count)

        return report

    def write(self, jobs_done: float, index: int, count: int, *, force: bool = False) -> None:
        value = min(99, int(95 * jobs_done / self.total))
        now = time.monotonic()
        if not force and (value == self.last_value or now - self.last_write < PROGRESS_EVERY_S):
            return
        self.last_write, self.last_value = now, value
        Plan.objects.filter(pk=self.plan_id).update(
            progress=value,
            message=gettext("Optimising area %(index)s of %(count)s…")
            % {"index": index, "count": count},
        )


def _period_jobs(first: datetime.date, last: datetime.date) -> list[Job]:
    """Active jobs of the period: fixed ones on its days, routine ones allowed on one of them."""
    start = bridge.local_midnight(first)
    end = bridge.local_midnight(last + datetime.timedelta(days=1))
    fixed = Q(kind__in=[JobKind.BOOKING, JobKind.URGENT], window_start__gte=start)
    fixed &= Q(window_start__lt=end)
    routine = Q(kind=JobKind.ROUTINE, earliest_on__lte=last, latest_on__gte=first)
    return list(
        Job.objects.filter(fixed | routine, state__in=PLACEABLE_STATES, shop__status="active")
        .select_related("shop", "service_item__skill")
        .order_by("pk")
    )


def _components(days: list[RosterDay], jobs: list[Job]) -> tuple[list[Component], list[Job]]:
    """Independent parts of the period, and the jobs nobody on the roster serves."""
    one_day_each: dict[int, RosterDay] = {}
    for day in days:
        one_day_each.setdefault(day.user_id, day)  # grids and user are the same every day
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    eligible: dict[int, set[int]] = {}
    orphans = []
    for job in jobs:
        staff = {uid for uid, day in one_day_each.items() if serves(day, job.shop)}
        if not staff:
            orphans.append(job)
            continue
        eligible[job.pk] = staff
        grid = f"g{job.shop.grid_id}"
        for uid in staff:
            parent[find(f"u{uid}")] = find(grid)
    groups: dict[str, Component] = {}
    for job in jobs:
        if job.pk not in eligible:
            continue
        root = find(f"g{job.shop.grid_id}")
        component = groups.setdefault(root, Component(set(), []))
        component.jobs.append(job)
        component.staff_ids |= eligible[job.pk]
    ordered = sorted(groups.values(), key=lambda c: min(j.pk for j in c.jobs))
    return ordered, orphans


def territory_tags(
    component: Component, days: list[RosterDay]
) -> tuple[dict[int, frozenset[str]], dict[int, frozenset[str]]]:
    """Extra skills that keep each job to the staff serving its shop, only when needed: one tag
    per distinct set of eligible staff (usually one per grid) inside this component."""
    one_day_each = {d.user_id: d for d in days if d.user_id in component.staff_ids}
    eligible = {
        job.pk: frozenset(uid for uid, day in one_day_each.items() if serves(day, job.shop))
        for job in component.jobs
    }
    everyone = frozenset(one_day_each)
    if all(staff == everyone for staff in eligible.values()):
        return {}, {}
    tag_of: dict[frozenset[int], str] = {}
    for staff in sorted(set(eligible.values()), key=sorted):
        tag_of[staff] = f"territory:{len(tag_of)}"
    staff_tags: dict[int, set[str]] = defaultdict(set)
    for staff, tag in tag_of.items():
        for uid in staff:
            staff_tags[uid].add(tag)
    job_tags = {pk: frozenset({tag_of[staff]}) for pk, staff in eligible.items()}
    return {uid: frozenset(tags) for uid, tags in staff_tags.items()}, job_tags


@dataclass
class _Solved:
    model: bridge.PeriodModel
    solution: object


def _run(plan: Plan) -> None:
    began = time.perf_counter()
    first, last = plan.first_day, plan.last_day
    days = roster(first, last)
    jobs = _period_jobs(first, last)
    components, orphans = _components(days, jobs)
    components = [area for c in components for area in split_component(c, days)]
    clock = bridge.Clock(first)
    progress = _Progress(plan, len(jobs))
    placeable = max(1, sum(len(c.jobs) for c in components))
    iterations = plan.stats.get("max_iterations")
    solved: list[_Solved] = []
    violations = 0
    for index, component in enumerate(components, start=1):
        comp_days = [d for d in days if d.user_id in component.staff_ids]
        staff_tags, job_tags = territory_tags(component, comp_days)
        model = bridge.period_model(
            comp_days,
            component.jobs,
            clock,
            first=first,
            last=last,
            staff_tags=staff_tags,
            job_tags=job_tags,
        )
        budget = max(MIN_COMPONENT_S, plan.seconds * len(component.jobs) / placeable)
        if iterations:  # the limit set at start: its share, the seconds only cap it
            max_iterations = max(1, iterations * len(component.jobs) // placeable)
        else:
            max_iterations = max(100, int(ITERATIONS_PER_S * budget))
        solution = solve(
            model.problem,
            time_limit_s=budget,
            seed=plan.seed,
            objective="duration",
            balance=BALANCE_SHARE,
            progress=progress.callback(len(component.jobs), budget, index, len(components)),
            max_iterations=max_iterations,
        )
        broken = check(model.problem, solution)
        if broken:
            violations += len(broken)
            logger.error("plan %s: engine answer breaks rules: %s", plan.pk, broken[:5])
            raise RuntimeError(
                f"{len(broken)} rule violations in area {index}: {broken[0].kind} "
                f"({broken[0].detail})"
            )
        solved.append(_Solved(model, solution))
        progress.done += len(component.jobs)
        progress.write(progress.done, index, len(components), force=True)
    _store(plan, solved, orphans, jobs, began, violations, iterations)


def _store(
    plan,
    solved: list[_Solved],
    orphans,
    jobs,
    began: float,
    violations: int,
    iterations: int | None = None,
) -> None:
    """Write the routes, stops and unplaced jobs, then mark the plan READY (one transaction)."""
    routes: list[Route] = []
    stops_of: list[list[Stop]] = []
    unplaced: list[Unplaced] = [
        Unplaced(plan=plan, job=job, reason=Unplaced.Reason.NO_STAFF) for job in orphans
    ]
    travel_total = distance_total = 0
    for item in solved:
        model, solution = item.model, item.solution
        _, duration = model.problem.travel.matrices(model.problem.locations)
        for er in solution.routes:
            if not er.visits:
                continue
            route, stops = model.route_rows(plan, er, duration)
            routes.append(route)
            stops_of.append(stops)
            travel_total += route.travel_s
            distance_total += int(er.distance)
        for u in solution.unassigned:
            reason = u.reason if u.reason in Unplaced.Reason.values else "time_limit"
            unplaced.append(Unplaced(plan=plan, job=model.jobs[u.job_id], reason=reason))
    placed = sum(len(s) for s in stops_of)
    required_unplaced = sum(u.job.kind != JobKind.ROUTINE for u in unplaced)
    # Routine visits due after the period were only candidates (taken early when cheap): left
    # out, they wait for their day; they are not failures and not jobs of this period.
    later = sum(
        u.job.kind == JobKind.ROUTINE and u.job.due_on is not None and u.job.due_on > plan.last_day
        for u in unplaced
    )
    stats = {
        "jobs": len(jobs) - later,
        "placed": placed,
        "unplaced": len(unplaced) - later,
        "later": later,
        "required_unplaced": required_unplaced,
        "no_staff": len(orphans),
        "routes": len(routes),
        "components": len(solved),
        "travel_s": travel_total,
        "distance_m": distance_total,
        "runtime_s": round(time.perf_counter() - began, 2),
        "violations": violations,
    }
    if iterations:
        stats["max_iterations"] = iterations
    with transaction.atomic():
        Route.objects.filter(plan=plan).delete()
        Unplaced.objects.filter(plan=plan).delete()
        created = Route.objects.bulk_create(routes)
        for route, stops in zip(created, stops_of, strict=True):
            for stop in stops:
                stop.route = route
        Stop.objects.bulk_create([s for stops in stops_of for s in stops])
        Unplaced.objects.bulk_create(unplaced)
        Plan.objects.filter(pk=plan.pk).update(
            state=Plan.State.READY,
            progress=100,
            stats=stats,
            message=_run_message(placed, len(jobs) - later, len(routes), later),
        )


def _run_message(placed: int, jobs: int, routes: int, later: int) -> str:
    """The run's line: jobs of the period placed, and the routine visits left for later days."""
    values = {"placed": placed, "jobs": jobs, "routes": routes, "later": later}
    if later:
        return (
            gettext(
                "%(placed)s of %(jobs)s jobs placed on %(routes)s routes; %(later)s routine visits "
                "due later wait for their day."
            )
            % values
        )
    return gettext("%(placed)s of %(jobs)s jobs placed on %(routes)s routes.") % values

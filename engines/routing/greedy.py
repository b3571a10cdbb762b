"""A cheapest-feasible-insertion baseline, and the schedule rules of ``model`` as a function.

    solution = solve_greedy(problem, objective="duration")    # deterministic, no time limit
    route = schedule(sd, jobs_in_order, distance, duration)     # earliest times, breaks placed

Jobs are taken one by one (required first, then optional by penalty, tightest windows first) and
each goes where it adds the least travel (of the objective's matrix) among the positions where
the whole route stays feasible; an optional job is left out when that cost (plus its service
under the "duration" objective) exceeds its penalty.
A position is first screened with bounds that ignore breaks (earliest end of the previous stop,
latest start of the next one; breaks only delay, so these are necessary), then the route is
rescheduled by the model's rules to confirm it.

``schedule`` is shared with the anchors (``engines.routing.anchors``), which use it to turn
another solver's visiting order into times by our rules; with ``strict=False`` it always returns
a route, starting late or returning late where it must, for ``check`` to count the damage.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engines.routing.model import Job, Problem, Route, Solution, StaffDay, Unassigned
from engines.routing.schedule import (
    Timed,
    best_schedule,
    earliest_start,
    near_placements,
    walk,
)

SOLVER_NAME = "greedy-insertion"
OBJECTIVES = ("duration", "distance")


def solve_greedy(
    problem: Problem,
    *,
    objective: str = "duration",
    matrices: tuple[list[list[int]], list[list[int]]] | None = None,
) -> Solution:
    """Routes built by cheapest feasible insertion; every route passes ``check``.

    ``matrices``: the problem's (distance, duration) as nested lists, when the caller has them."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    began = time.perf_counter()
    if matrices is None:
        distance, duration = problem.travel.matrices(problem.locations)
        matrices = (np.asarray(distance).tolist(), np.asarray(duration).tolist())
    travel = _Lists(*matrices)
    cost_rows = travel.distance if objective == "distance" else travel.duration
    routes = [_Building(sd) for sd in problem.staff_days]

    unassigned: dict[str, str] = {}
    for job in sorted(problem.jobs, key=_insertion_order):
        reason = _why_nobody(job, problem.staff_days, travel)
        if reason is not None:
            unassigned[job.id] = reason
            continue
        # under "duration" the service lengthens the route too: it is part of the price
        price_floor = job.duration if objective == "duration" else 0
        if not _insert(job, routes, travel, cost_rows, price_floor):
            unassigned[job.id] = "capacity" if job.required else "not_worth"

    done = []
    for r in routes:
        if r.jobs:
            route = schedule(r.sd, r.jobs, travel.distance, travel.duration, hint=r.gaps)
            if route is None:
                raise AssertionError(f"{r.sd.id}: a route feasible when built no longer is")
            done.append(route)
    return Solution(
        routes=tuple(done),
        unassigned=tuple(
            Unassigned(job.id, unassigned[job.id]) for job in problem.jobs if job.id in unassigned
        ),
        distance=sum(r.distance for r in done),
        duration=sum(r.duration for r in done),
        runtime_s=time.perf_counter() - began,
        solver=SOLVER_NAME,
    )


@dataclass(frozen=True)
class _Lists:
    """Matrices as nested lists: element access from Python is far cheaper than numpy's."""

    distance: list[list[int]]
    duration: list[list[int]]


def _insertion_order(job: Job) -> tuple:
    slack = sum(w.end - w.start for w in job.windows)
    return (not job.required, -job.penalty, slack, job.id)


def _why_nobody(job: Job, staff_days: Sequence[StaffDay], travel: _Lists) -> str | None:
    """The reason no staff-day could do ``job`` even alone, or None."""
    on_day = [sd for sd in staff_days if job.days is None or sd.day in job.days]
    if not on_day:
        return "no_day"
    skilled = [sd for sd in on_day if job.skills <= sd.skills]
    if not skilled:
        return "no_skill"
    sized = [
        sd
        for sd in skilled
        if (sd.capacity is None or job.demand <= sd.capacity) and sd.max_jobs != 0
    ]
    if not sized:
        return "capacity"
    if all(_feasible_gaps(sd, [job], (), travel) is None for sd in sized):
        return "no_window"
    return None


class _Building:
    """A staff-day's route under construction, with the bounds that screen insertions."""

    def __init__(self, sd: StaffDay):
        self.sd = sd
        self.jobs: list[Job] = []
        self.gaps: tuple[int, ...] = (0,) * len(sd.breaks)
        self.load = 0
        self.earliest_end: list[int] = []  # per visit, breaks ignored: a lower bound
        self.latest_start: list[int] = []  # per visit, breaks ignored: an upper bound

    def stops(self) -> list[int]:
        return [self.sd.start, *(job.location for job in self.jobs), self.sd.end]

    def refresh(self, duration: list[list[int]]) -> None:
        sd, jobs = self.sd, self.jobs
        self.earliest_end = []
        here, free_at = sd.start, sd.shift.start
        for job in jobs:
            start = earliest_start(job, free_at + duration[here][job.location])
            free_at = (start if start is not None else free_at) + job.duration
            self.earliest_end.append(free_at)
            here = job.location
        self.latest_start = [0] * len(jobs)
        there, must_leave_by = sd.end, sd.shift.end
        for k in range(len(jobs) - 1, -1, -1):
            job = jobs[k]
            bound = must_leave_by - duration[job.location][there] - job.duration
            latest = max((min(w.end, bound) for w in job.windows if w.start <= bound), default=-1)
            self.latest_start[k] = latest
            there, must_leave_by = job.location, latest


def _insert(job: Job, routes: list[_Building], travel: _Lists, cost_rows, price_floor: int) -> bool:
    """Put ``job`` at its cheapest feasible position; False when there is none worth taking
    (an optional job whose added cost plus ``price_floor`` exceeds its penalty)."""
    duration = travel.duration
    here = job.location
    candidates: list[tuple[int, int, int]] = []
    for r_index, r in enumerate(routes):
        sd = r.sd
        if not sd.can_serve(job):
            continue
        if sd.max_jobs is not None and len(r.jobs) >= sd.max_jobs:
            continue
        if sd.capacity is not None and r.load + job.demand > sd.capacity:
            continue
        stops = r.stops()
        for p in range(len(stops) - 1):
            a, b = stops[p], stops[p + 1]
            ready = (r.earliest_end[p - 1] if p else sd.shift.start) + duration[a][here]
            start = earliest_start(job, ready)
            if start is None:
                continue
            next_ready = start + job.duration + duration[here][b]
            limit = r.latest_start[p] if p < len(r.jobs) else sd.shift.end
            if next_ready > limit:
                continue
            added = cost_rows[a][here] + cost_rows[here][b] - cost_rows[a][b]
            candidates.append((added, r_index, p))
    candidates.sort()
    for added, r_index, p in candidates:
        if not job.required and added + price_floor > job.penalty:
            return False  # cheaper positions were all infeasible; the rest cost even more
        r = routes[r_index]
        trial = [*r.jobs[:p], job, *r.jobs[p:]]
        hint = tuple(g + 1 if g > p else g for g in r.gaps)  # breaks keep their neighbours
        gaps = _feasible_gaps(r.sd, trial, hint, travel)
        if gaps is None:
            continue
        r.jobs, r.gaps, r.load = trial, gaps, r.load + job.demand
        r.refresh(duration)
        return True
    return False


def _feasible_gaps(sd, seq, hint, travel: _Lists) -> tuple[int, ...] | None:
    """A break placement under which ``seq`` is feasible, or None."""
    distance, duration = travel.distance, travel.duration
    start = sd.shift.start
    # gaps=(): the breaks are left out
    if walk(sd, seq, (), start, distance, duration, build=False) is not None:
        return None  # breaks only delay: infeasible without them, infeasible with them
    for gaps in near_placements(len(sd.breaks), len(seq), hint):
        if walk(sd, seq, gaps, start, distance, duration, build=False) is None:
            return gaps
    return None


def schedule(
    sd: StaffDay,
    seq: Sequence[Job],
    distance,
    duration,
    *,
    hint: tuple[int, ...] = (),
    strict: bool = True,
) -> Route | None:
    """Times for visiting ``seq`` in order by the rules of ``engines.routing.model``.

    The break placement (``hint`` first, then the others) returning earliest wins, then the
    latest departure that keeps that return (waiting at home costs no route duration). With
    ``strict`` None when no placement is feasible; otherwise the placement breaking the fewest
    rules (then returning earliest) scheduled anyway, late starts and returns included, for
    ``check`` to judge.
    """
    best = best_schedule(
        sd, seq, near_placements(len(sd.breaks), len(seq), hint), distance, duration
    )
    if isinstance(best, Timed):
        return best.route(sd.id)
    if strict:
        return None
    forced = (
        walk(sd, seq, gaps, sd.shift.start, distance, duration, strict=False)
        for gaps in near_placements(len(sd.breaks), len(seq), hint)
    )
    return min(
        (timed.route(sd.id) for timed in forced),
        key=lambda route: (_broken_rules(sd, seq, route), route.arrival),
    )


def _broken_rules(sd: StaffDay, seq: Sequence[Job], route: Route) -> int:
    """How many late starts (visits, breaks) and late returns a forced schedule has."""
    late_visits = sum(
        not any(w.start <= v.start <= w.end for w in job.windows)
        for job, v in zip(seq, route.visits, strict=True)
    )
    late_breaks = sum(b.start > sd.breaks[b.break_index].window.end for b in route.breaks)
    return late_visits + late_breaks + (route.arrival > sd.shift.end)


__all__ = ["schedule", "solve_greedy"]

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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np

from engines.routing.model import (
    BreakVisit,
    Job,
    Problem,
    Route,
    Solution,
    StaffDay,
    Unassigned,
    Visit,
)

SOLVER_NAME = "greedy-insertion"
OBJECTIVES = ("duration", "distance")


def solve_greedy(problem: Problem, *, objective: str = "duration") -> Solution:
    """Routes built by cheapest feasible insertion; every route passes ``check``."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    began = time.perf_counter()
    distance, duration = problem.travel.matrices(problem.locations)
    travel = _Lists(np.asarray(distance).tolist(), np.asarray(duration).tolist())
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
            start = _earliest_start(job, free_at + duration[here][job.location])
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


def _earliest_start(job: Job, ready: int) -> int | None:
    if len(job.windows) == 1:  # the common case, kept cheap
        (window,) = job.windows
        start = ready if ready > window.start else window.start
        return start if start <= window.end else None
    starts = (max(ready, w.start) for w in job.windows)
    return min((s for s, w in zip(starts, job.windows, strict=True) if s <= w.end), default=None)


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
            start = _earliest_start(job, ready)
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
    duration = travel.duration
    if _first_failure(sd, seq, (), duration, breaks=False) >= 0:
        return None  # breaks only delay: infeasible without them, infeasible with them
    for gaps in _placements(len(sd.breaks), len(seq), hint):
        failure = _first_failure(sd, seq, gaps, duration)
        if failure < 0:
            return gaps
    return None


def _first_failure(sd, seq, gaps, duration, *, breaks: bool = True) -> int:
    """Like ``_timeline`` from the shift start, strict, building nothing: the gap or visit
    index where the schedule first fails (len(seq) for the return), or -1 when it holds."""
    in_gap: dict[int, list] = {}
    if breaks:
        for k in sorted(range(len(gaps)), key=lambda k: sd.breaks[k].window.start):
            in_gap.setdefault(gaps[k], []).append(sd.breaks[k])
    here, free_at = sd.start, sd.shift.start
    last = len(seq)
    for g in range(last + 1):
        target = seq[g].location if g < last else sd.end
        cursor, paused = free_at, 0
        for spec in in_gap.get(g, ()):
            begin = max(cursor, spec.window.start)
            if begin > spec.window.end:
                return g
            cursor, paused = begin + spec.duration, paused + spec.duration
        arrival = max(free_at + duration[here][target] + paused, cursor)
        if g == last:
            return g if arrival > sd.shift.end else -1
        job = seq[g]
        start = _earliest_start(job, arrival)
        if start is None:
            return g
        here, free_at = target, start + job.duration
    return -1


def _placements(n_breaks: int, n_visits: int, hint: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """``hint`` first, then every placement (breaks in window order), nearest to the hint first."""
    usable = len(hint) == n_breaks and all(0 <= g <= n_visits for g in hint)
    if usable:
        yield hint
    if n_breaks == 0:
        if not usable:
            yield ()
        return
    every = combinations_with_replacement(range(n_visits + 1), n_breaks)
    centre = hint if usable else (0,) * n_breaks
    near = sorted(every, key=lambda g: (sum(abs(x - c) for x, c in zip(g, centre, strict=True)), g))
    for gaps in near:
        if gaps != hint:
            yield gaps


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
    best: Route | None = None
    best_gaps: tuple[int, ...] = ()
    for gaps in _placements(len(sd.breaks), len(seq), hint):
        route = _timeline(sd, seq, gaps, sd.shift.start, distance, duration, True)
        if route is not None and (best is None or route.arrival < best.arrival):
            best, best_gaps = route, gaps
    if best is None:
        if strict:
            return None
        forced = (
            _timeline(sd, seq, gaps, sd.shift.start, distance, duration, False)
            for gaps in _placements(len(sd.breaks), len(seq), hint)
        )
        return min(forced, key=lambda route: (_broken_rules(sd, seq, route), route.arrival))
    low, high = sd.shift.start, best.arrival
    while low < high:
        middle = (low + high + 1) // 2
        trial = _timeline(sd, seq, best_gaps, middle, distance, duration, True)
        if trial is not None and trial.arrival == best.arrival:
            low = middle
        else:
            high = middle - 1
    return _timeline(sd, seq, best_gaps, low, distance, duration, True)


def _broken_rules(sd: StaffDay, seq: Sequence[Job], route: Route) -> int:
    """How many late starts (visits, breaks) and late returns a forced schedule has."""
    late_visits = sum(
        not any(w.start <= v.start <= w.end for w in job.windows)
        for job, v in zip(seq, route.visits, strict=True)
    )
    late_breaks = sum(b.start > sd.breaks[b.break_index].window.end for b in route.breaks)
    return late_visits + late_breaks + (route.arrival > sd.shift.end)


def _timeline(sd, seq, gaps, departure, distance, duration, strict) -> Route | None:
    """Earliest schedule leaving at ``departure`` with break k in gap ``gaps[k]`` (gap g lies
    before visit g, gap len(seq) before the return). Not strict: never fails, times run late."""
    in_gap: dict[int, list[int]] = {}
    for k in sorted(range(len(gaps)), key=lambda k: sd.breaks[k].window.start):
        in_gap.setdefault(gaps[k], []).append(k)
    visits: list[Visit] = []
    breaks: list[BreakVisit] = []
    here, free_at, travelled = sd.start, departure, 0
    for g in range(len(seq) + 1):
        target = seq[g].location if g < len(seq) else sd.end
        cursor, paused = free_at, 0
        for k in in_gap.get(g, ()):
            spec = sd.breaks[k]
            begin = max(cursor, spec.window.start)
            if begin > spec.window.end and strict:
                return None
            breaks.append(BreakVisit(k, begin, begin + spec.duration))
            cursor, paused = begin + spec.duration, paused + spec.duration
        arrival = max(free_at + int(duration[here][target]) + paused, cursor)
        travelled += int(distance[here][target])
        if g == len(seq):
            if arrival > sd.shift.end and strict:
                return None
            return Route(
                staff_day_id=sd.id,
                visits=tuple(visits),
                breaks=tuple(breaks),
                distance=travelled,
                duration=arrival - departure,
                departure=departure,
                arrival=arrival,
            )
        job = seq[g]
        start = _earliest_start(job, arrival)
        if start is None:
            if strict:
                return None
            start = max(arrival, min(w.start for w in job.windows))
        visits.append(Visit(job.id, arrival, start, start + job.duration))
        here, free_at = target, start + job.duration
    raise AssertionError("unreachable")


__all__ = ["schedule", "solve_greedy"]

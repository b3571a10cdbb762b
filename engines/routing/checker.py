"""Independent feasibility check of a ``Solution`` against its ``Problem``.

Shares no code with the solver (and never imports pyvrp): it takes the reported times and
recomputes what the matrices and the schedule convention in ``engines.routing.model`` allow.

    violations = check(problem, solution)   # [] when every route is feasible

Kinds: "window", "shift", "break", "skill", "capacity", "max_jobs", "day", "duplicate",
"missing_required", "travel" (times or totals inconsistent with the matrices), "unknown" (an id
that is not in the problem).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from engines.routing.model import REASONS, BreakVisit, Problem, Route, Solution, StaffDay

KINDS = (
    "window",
    "shift",
    "break",
    "skill",
    "capacity",
    "max_jobs",
    "day",
    "duplicate",
    "missing_required",
    "travel",
    "unknown",
)


@dataclass(frozen=True)
class Violation:
    kind: str
    staff_day_id: str | None
    job_id: str | None
    detail: str


def check(problem: Problem, solution: Solution) -> list[Violation]:
    """Every broken rule of ``solution``; an empty list means feasible."""
    distance, duration = problem.travel.matrices(problem.locations)
    jobs = {job.id: job for job in problem.jobs}
    staff_days = {sd.id: sd for sd in problem.staff_days}
    out: list[Violation] = []

    for sd_id, count in Counter(route.staff_day_id for route in solution.routes).items():
        if count > 1:
            out.append(Violation("duplicate", sd_id, None, f"{count} routes for one staff-day"))
    for route in solution.routes:
        sd = staff_days.get(route.staff_day_id)
        if sd is None:
            out.append(Violation("unknown", route.staff_day_id, None, "no such staff-day"))
            continue
        out.extend(_check_route(route, sd, jobs, distance, duration))

    seen = Counter(v.job_id for route in solution.routes for v in route.visits)
    seen.update(u.job_id for u in solution.unassigned)
    for job_id, count in seen.items():
        if job_id not in jobs:
            out.append(Violation("unknown", None, job_id, "no such job"))
        elif count > 1:
            out.append(Violation("duplicate", None, job_id, f"placed or reported {count} times"))
    for job in problem.jobs:
        if job.required and job.id not in seen:
            out.append(Violation("missing_required", None, job.id, "neither served nor reported"))
    for u in solution.unassigned:
        if u.reason not in REASONS:
            out.append(Violation("unknown", None, u.job_id, f"unknown reason {u.reason!r}"))

    if solution.distance != sum(r.distance for r in solution.routes):
        out.append(Violation("travel", None, None, "solution distance is not the routes' sum"))
    if solution.duration != sum(r.duration for r in solution.routes):
        out.append(Violation("travel", None, None, "solution duration is not the routes' sum"))
    return out


def _check_route(route: Route, sd: StaffDay, jobs, distance, duration) -> list[Violation]:
    out: list[Violation] = []

    def flag(kind: str, job_id: str | None, detail: str) -> None:
        out.append(Violation(kind, sd.id, job_id, detail))

    known = [v for v in route.visits if v.job_id in jobs]
    for v in route.visits:
        if v.job_id not in jobs:
            flag("unknown", v.job_id, "no such job")

    if route.departure < sd.shift.start:
        flag("shift", None, f"departs {route.departure} before shift start {sd.shift.start}")
    if route.arrival > sd.shift.end:
        flag("shift", None, f"returns {route.arrival} after shift end {sd.shift.end}")

    out.extend(_check_breaks(route, sd))

    # Legs: start location → visits → end location, each with the breaks that fall in its gap.
    legs_distance = 0
    prev_location, prev_end = sd.start, route.departure
    stops = [(jobs[v.job_id].location, v) for v in known] + [(sd.end, None)]
    for location, visit in stops:
        ready_at = visit.start if visit is not None else route.arrival
        in_gap = [b for b in route.breaks if b.start >= prev_end and b.end <= ready_at]
        expected = prev_end + int(duration[prev_location, location])
        expected += sum(b.end - b.start for b in in_gap)
        expected = max([expected, *(b.end for b in in_gap)])
        legs_distance += int(distance[prev_location, location])
        if visit is None:
            if route.arrival != expected:
                flag("travel", None, f"returns at {route.arrival}, the matrix gives {expected}")
            break
        job = jobs[visit.job_id]
        if visit.arrival != expected:
            flag("travel", job.id, f"arrives at {visit.arrival}, the matrix gives {expected}")
        if visit.start < visit.arrival:
            flag("travel", job.id, f"starts {visit.start} before arriving {visit.arrival}")
        if visit.end != visit.start + job.duration:
            flag("travel", job.id, f"ends {visit.end}, not start + {job.duration}")
        if not any(w.start <= visit.start <= w.end for w in job.windows):
            flag("window", job.id, f"starts {visit.start} outside every window")
        if not job.skills <= sd.skills:
            flag("skill", job.id, f"needs {sorted(job.skills - sd.skills)}")
        if job.days is not None and sd.day not in job.days:
            flag("day", job.id, f"day {sd.day} not in {sorted(job.days)}")
        prev_location, prev_end = location, visit.end

    if route.distance != legs_distance:
        flag("travel", None, f"distance {route.distance}, the matrix gives {legs_distance}")
    if route.duration != route.arrival - route.departure:
        flag("travel", None, "duration is not arrival - departure")

    load = sum(jobs[v.job_id].demand for v in known)
    if sd.capacity is not None and load > sd.capacity:
        flag("capacity", None, f"load {load} > capacity {sd.capacity}")
    if sd.max_jobs is not None and len(route.visits) > sd.max_jobs:
        flag("max_jobs", None, f"{len(route.visits)} visits > max_jobs {sd.max_jobs}")
    return out


def _check_breaks(route: Route, sd: StaffDay) -> list[Violation]:
    out: list[Violation] = []

    def flag(detail: str) -> None:
        out.append(Violation("break", sd.id, None, detail))

    taken = Counter(b.break_index for b in route.breaks)
    for index in range(len(sd.breaks)):
        if route.visits and taken[index] != 1:
            flag(f"break {index} taken {taken[index]} times on a working route")
    for b in route.breaks:
        if not 0 <= b.break_index < len(sd.breaks):
            flag(f"break index {b.break_index} does not exist")
            continue
        spec = sd.breaks[b.break_index]
        if not spec.window.start <= b.start <= spec.window.end:
            flag(f"break {b.break_index} starts {b.start} outside its window")
        if b.end - b.start != spec.duration:
            flag(f"break {b.break_index} lasts {b.end - b.start}, not {spec.duration}")
        if b.start < route.departure or b.end > route.arrival:
            flag(f"break {b.break_index} outside the route")
        for v in route.visits:
            if b.start < v.end and v.start < b.end:
                flag(f"break {b.break_index} overlaps visit {v.job_id}")
    ordered: list[BreakVisit] = sorted(route.breaks, key=lambda b: b.start)
    for first, second in zip(ordered, ordered[1:], strict=False):
        if second.start < first.end:
            flag("breaks overlap each other")
    return out


__all__ = ["KINDS", "Violation", "check"]

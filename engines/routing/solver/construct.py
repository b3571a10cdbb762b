"""A fast proof that the staff can serve every required job: routes built by a sequential
nearest-neighbour rule (Solomon 1987, weights 0.4 drive, 0.4 time to the start, 0.2 urgency),
one staff-day after the other, numpy over the open jobs at each step (~0.1 s at 1,000 jobs).

    routes = construct(problem, windows_by_job, duration)  # or None

The routes ((staff-day, [(job, window index)]) per staff-day used) when they serve every
required job the triage kept, else None; optional jobs are left out. The routes keep every rule
a route without breaks must keep (windows, shift end, capacity, max_jobs, skills, days), so
PyVRP's model then has a feasible solution holding all of them: the solver may make them
required clients. With breaks owed it proves nothing (None): such problems start warm from the
greedy's routes, which prove it instead.
"""

from __future__ import annotations

import numpy as np

from engines.routing.model import Job, Problem, StaffDay

_NEVER = np.iinfo(np.int64).max // 4


Built = list[tuple[StaffDay, list[tuple[Job, int]]]]


def construct(problem: Problem, windows_by_job: dict, duration: np.ndarray) -> Built | None:
    """Nearest-neighbour routes serving every required job in ``windows_by_job`` (using only
    those windows), or None when they do not."""
    if any(sd.breaks for sd in problem.staff_days):
        return None
    jobs = [job for job in problem.jobs if job.required and job.id in windows_by_job]
    if not jobs:
        return []
    loc = np.array([job.location for job in jobs], dtype=np.int64)
    service = np.array([job.duration for job in jobs], dtype=np.int64)
    demand = np.array([job.demand for job in jobs], dtype=np.int64)
    width = max(len(windows_by_job[job.id]) for job in jobs)
    early = np.full((len(jobs), width), _NEVER, dtype=np.int64)
    late = np.full((len(jobs), width), -1, dtype=np.int64)
    for i, job in enumerate(jobs):
        for k, w in enumerate(windows_by_job[job.id]):
            early[i, k], late[i, k] = job.windows[w].start, job.windows[w].end
    remaining = np.ones(len(jobs), dtype=bool)
    built: Built = []
    allowed: dict[tuple, np.ndarray] = {}
    into: dict[int, np.ndarray] = {}
    for sd in problem.staff_days:
        key = (sd.skills, sd.day)
        if key not in allowed:
            allowed[key] = np.array([sd.can_serve(job) for job in jobs], dtype=bool)
        if sd.end not in into:
            into[sd.end] = duration[loc, sd.end]
        home = into[sd.end]
        capacity = _NEVER if sd.capacity is None else sd.capacity
        max_jobs = len(jobs) if sd.max_jobs is None else sd.max_jobs
        # this staff-day's candidates only: each step works on what is still open
        cand = np.flatnonzero(remaining & allowed[key] & (demand <= capacity))
        c_loc, c_service, c_demand = loc[cand], service[cand], demand[cand]
        c_early, c_late, c_home = early[cand], late[cand], home[cand]
        open_ = np.ones(len(cand), dtype=bool)
        now, here, load = sd.shift.start, sd.start, 0
        route: list[tuple[Job, int]] = []
        for _ in range(max_jobs if len(cand) else 0):
            drive = duration[here, c_loc]
            arrival = now + drive
            starts = np.maximum(arrival[:, None], c_early)
            starts[starts > c_late] = _NEVER
            start = starts.min(axis=1) if width > 1 else starts[:, 0]
            ok = open_ & (start + c_service + c_home <= sd.shift.end)
            ok &= c_demand <= capacity - load  # start + ... is huge when no window fits
            if not ok.any():
                break
            if width > 1:
                urgency = np.where(starts < _NEVER, c_late - arrival[:, None], _NEVER).min(axis=1)
            else:
                urgency = c_late[:, 0] - arrival
            score = 0.4 * drive + 0.4 * (start - now) + 0.2 * urgency
            score[~ok] = np.inf
            j = int(np.argmin(score))
            i = int(cand[j])
            window = windows_by_job[jobs[i].id][int(np.argmin(starts[j]))]
            route.append((jobs[i], window))
            now, here, load = int(start[j] + c_service[j]), int(c_loc[j]), load + int(c_demand[j])
            remaining[i] = open_[j] = False
        if route:
            built.append((sd, route))
        if not remaining.any():
            return built
    return None


__all__ = ["construct"]

"""The warm start: greedy routes, with every required job the greedy left out forced in where
that gives up the least, as a PyVRP solution.

Forcing in: for each such job, every staff-day that may do it and every position in its route;
optional jobs are given up, cheapest first among those before the first failing stop, then the
required job that fails, until the route holds by the model's rules. The placements ejecting
fewest required jobs, then losing the least penalty, are tried in turn: the ejected required
jobs must each find another route (giving up optional jobs only), or the next is tried.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyvrp import Route as PyvrpRoute
from pyvrp import Solution as PyvrpSolution

from engines.routing.model import Job, Problem, Route, Solution, StaffDay
from engines.routing.schedule import Timed, best_schedule, near_placements
from engines.routing.solver.encode import Encoded, break_key


def place_required(
    problem: Problem, greedy: Solution, windows_by_job: dict, distance, duration
) -> list[Route]:
    """The greedy routes with each required job it left out (and the triage kept) forced in."""
    jobs = {job.id: job for job in problem.jobs}
    routes = {r.staff_day_id: [jobs[v.job_id] for v in r.visits] for r in greedy.routes}
    timed: dict[str, Timed] = {}
    missing = [
        jobs[u.job_id]
        for u in greedy.unassigned
        if jobs[u.job_id].required and u.job_id in windows_by_job
    ]
    for job in missing:
        tried = []
        for sd in problem.staff_days:
            if not sd.can_serve(job):
                continue
            seq = routes.get(sd.id, [])
            for position in range(len(seq) + 1):
                trial = [*seq[:position], job, *seq[position:]]
                found = _force(sd, trial, job, distance, duration, eject_required=True)
                if found is not None:
                    tried.append((found[0], len(tried), sd, found[1], found[2]))
        tried.sort(key=lambda t: (len(t[4]), t[0], t[1]))
        for _, _, sd, schedule, ejected in tried[:EJECTION_TRIES]:
            moved = _place_elsewhere(problem, ejected, sd, routes, distance, duration)
            if moved is not None:
                routes.update(moved[0])
                timed.update(moved[1])
                routes[sd.id] = [jobs[v.job_id] for v in schedule.visits]
                timed[sd.id] = schedule
                break
    staff_days = {sd.id: sd for sd in problem.staff_days}
    out = []
    for r in greedy.routes:
        if r.staff_day_id not in timed:
            out.append(r)
    for sd_id, t in timed.items():
        if t.visits:
            out.append(t.route(sd_id))
    order = {sd.id: i for i, sd in enumerate(problem.staff_days)}
    del staff_days
    return sorted(out, key=lambda r: order[r.staff_day_id])


EJECTION_TRIES = 8  # placements of a left-out required job tried with their ejections


def _place_elsewhere(problem, ejected, not_on, routes, distance, duration):
    """Each of the ``ejected`` required jobs placed on another route, giving up optional jobs
    only: (new job lists, their schedules), or None when one finds no place."""
    routes = dict(routes)
    timed: dict[str, Timed] = {}
    for job in ejected:
        best = None
        for sd in problem.staff_days:
            if sd.id == not_on.id or not sd.can_serve(job):
                continue
            seq = routes.get(sd.id, [])
            for position in range(len(seq) + 1):
                trial = [*seq[:position], job, *seq[position:]]
                found = _force(sd, trial, job, distance, duration, eject_required=False)
                if found is not None and (best is None or found[0] < best[0]):
                    best = (found[0], sd, found[1])
        if best is None:
            return None
        _, sd, schedule = best
        jobs = {j.id: j for j in routes.get(sd.id, [])} | {job.id: job}
        routes[sd.id] = [jobs[v.job_id] for v in schedule.visits]
        timed[sd.id] = schedule
    return routes, timed


def _force(sd: StaffDay, seq: list[Job], keep: Job, distance, duration, *, eject_required: bool):
    """((penalty lost, return), schedule, required jobs ejected) once jobs other than ``keep``
    are given up (optional ones first, cheapest, before the first failing stop; then, with
    ``eject_required``, the required job that fails), or None."""
    seq = list(seq)
    lost = 0
    ejected: list[Job] = []
    while True:
        upto = len(seq)
        within = (sd.max_jobs is None or len(seq) <= sd.max_jobs) and (
            sd.capacity is None or sum(j.demand for j in seq) <= sd.capacity
        )
        if within:
            placements = near_placements(len(sd.breaks), len(seq), ())
            result = best_schedule(sd, seq, placements, distance, duration)
            if isinstance(result, Timed):
                return (len(ejected), lost, result.arrival), result, ejected
            upto = result.position
        optional = [i for i, j in enumerate(seq[: upto + 1]) if not j.required and j is not keep]
        if optional:
            drop = min(optional, key=lambda i: (seq[i].penalty, i))
            lost += seq.pop(drop).penalty
            continue
        if not eject_required:
            return None
        required = [i for i, j in enumerate(seq[: upto + 1]) if j is not keep]
        if not required:
            return None
        ejected.append(seq.pop(max(required)))


def warm_start(problem: Problem, encoded: Encoded, routes: Sequence[Route]):
    """The greedy routes as a PyVRP solution. Each break rides on a visit ("a break, then this
    visit"): the one after it if PyVRP agrees, else the nearest one that works; failing
    that, optional jobs are given up (cheapest first), then the break."""
    staff_days = {sd.id: sd for sd in problem.staff_days}
    jobs = {job.id: job for job in problem.jobs}
    pv_routes = []
    for route in routes:
        sd = staff_days[route.staff_day_id]
        items: list[tuple[Job, int]] = []
        for v in route.visits:
            job = jobs[v.job_id]
            window = next(
                (
                    w
                    for w, tw in enumerate(job.windows)
                    if tw.start <= v.start <= tw.end and (job.id, w) in encoded.client_of
                ),
                None,
            )
            if window is not None:
                items.append((job, window))
        breaks = [
            (sum(v.start < b.start for v in route.visits), break_key(sd.breaks[b.break_index]))
            for b in sorted(route.breaks, key=lambda b: b.start)
        ]
        vehicle_type = encoded.vehicle_type[sd.id]
        while True:
            pv_route = _with_breaks(encoded, items, breaks, vehicle_type)
            if pv_route is not None:
                break
            optional = [i for i, (job, _) in enumerate(items) if not job.required]
            if not optional:
                pv_route = _pv_route(encoded, items, {}, vehicle_type)
                break
            drop = min(optional, key=lambda i: (items[i][0].penalty, i))
            items.pop(drop)
            breaks = [(gap - (gap > drop), spec) for gap, spec in breaks]
        if items:
            pv_routes.append(pv_route)
    return PyvrpSolution(encoded.data, pv_routes)


def _with_breaks(encoded: Encoded, items, breaks, vehicle_type: int):
    """A PyVRP-feasible route of ``items`` with each of ``breaks`` (gap, kind) carried by a
    visit, nearest the gap first; None when there is none."""
    carriers: dict[int, tuple] = {}
    for gap, spec in breaks:
        order = sorted(range(len(items)), key=lambda i: (abs(i - gap), -i))
        for i in order:
            job, window = items[i]
            if i in carriers or (job.id, window, spec) not in encoded.client_of:
                continue
            trial = {**carriers, i: spec}
            if _pv_route(encoded, items, trial, vehicle_type).is_feasible():
                carriers = trial
                break
        else:
            return None
    return _pv_route(encoded, items, carriers, vehicle_type)


def _pv_route(encoded: Encoded, items, carriers: dict[int, tuple], vehicle_type: int):
    visits = [
        encoded.client_of[(job.id, window, carriers[i]) if i in carriers else (job.id, window)]
        for i, (job, window) in enumerate(items)
    ]
    return PyvrpRoute(encoded.data, visits, vehicle_type)

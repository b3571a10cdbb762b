"""Solve a ``Problem`` with PyVRP 0.14 and turn its answer into checked ``Route`` schedules.

    solution = solve(problem, time_limit_s=2.0, seed=0, objective="duration")

Encodings of what PyVRP lacks (each backed by ``check`` in the tests):
- Every job is an optional PyVRP client. Required jobs carry a prize larger than any solution's
  total cost (``_big_prize``), so the solver only leaves one out when it cannot be served; that
  keeps the model feasible when the staff cannot do all the work, and the job is reported.
- Several windows: one client per window in a mutually exclusive client group (at most one is
  served), all with the job's prize.
- Skills and days: one routing profile per (skill set, day); edges into jobs that profile's staff
  may not serve take longer than any shift, so using them is infeasible.
- Breaks: a client per (staff-day, break) with the break window and duration, on a "hub" location
  only that staff-day's profile can reach. Entering it from i costs ``t(i, h)`` (h: the medoid of
  all locations), leaving it to j costs ``max_i t(i, j) − t(i, h)``, so a → break → b is charged at
  least ``t(a, b)`` and never less than the true drive; times in PyVRP are therefore never
  earlier than in reality and every schedule PyVRP finds feasible is feasible here (earliest-start
  schedules only get earlier when travel shrinks). The final times are recomputed with the true
  matrix by ``_fit_route``, which also moves breaks to the gap that returns earliest.
- max_jobs: a load dimension in which every job weighs 1; capacity is a second one.
- Every route is rescheduled here with the true matrix, and a route that still fails (only when
  PyVRP returns an infeasible answer) loses jobs until it passes; those are reported.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement

import numpy as np
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType
from pyvrp import solve as pyvrp_solve
from pyvrp.constants import MAX_VALUE
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

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

SOLVER_NAME = "pyvrp-0.14.1"
OBJECTIVES = ("duration", "distance")
PROGRESS_INTERVAL_S = 0.25


def solve(
    problem: Problem,
    *,
    time_limit_s: float,
    seed: int = 0,
    objective: str = "duration",
    progress: Callable[[float, float], None] | None = None,
    max_iterations: int | None = None,
) -> Solution:
    """Routes for ``problem`` within ``time_limit_s`` seconds.

    Same ``seed`` and ``max_iterations`` give the same routes as long as the time limit is not
    what stops the search (with only a time limit the result depends on machine speed).
    ``progress(elapsed_s, best_cost)`` is called about every 0.25 s and once at the end.
    """
    if objective not in OBJECTIVES:
        raise ValueError(f"objective must be one of {OBJECTIVES}")
    if time_limit_s <= 0:
        raise ValueError("time_limit_s must be > 0")
    began = time.perf_counter()
    distance, duration = problem.travel.matrices(problem.locations)
    distance = np.asarray(distance, dtype=np.int64)
    duration = np.asarray(duration, dtype=np.int64)

    unassigned: dict[str, str] = {}
    windows_by_job: dict[str, list[int]] = {}
    for job in problem.jobs:
        reason, windows = _triage(job, problem.staff_days, duration)
        if reason is None:
            windows_by_job[job.id] = windows
        else:
            unassigned[job.id] = reason

    routes: list[Route] = []
    jobs = {job.id: job for job in problem.jobs}
    if windows_by_job and problem.staff_days:
        encoded = _encode(problem, windows_by_job, distance, duration, objective)
        stop = _Stop(time_limit_s, max_iterations, progress, began)
        result = pyvrp_solve(encoded.data, stop, seed=seed, collect_stats=False, display=False)
        feasible = result.best.is_feasible()
        served: set[str] = set()
        for pv_route in result.best.routes():
            sd = encoded.vehicles[pv_route.vehicle_type()].pop(0)
            seq: list[Job] = []
            gaps: list[int] = [0] * len(sd.breaks)
            for activity in pv_route.schedule():
                if not activity.is_client():
                    continue
                kind, ref = encoded.clients[activity.idx]
                if kind == "job":
                    seq.append(jobs[ref])
                else:
                    gaps[ref] = len(seq)
            route, dropped = _fit_route(sd, seq, tuple(gaps), distance, duration)
            if route is not None:
                routes.append(route)
                served.update(v.job_id for v in route.visits)
            for job, reason in dropped:
                unassigned[job.id] = reason if feasible else "time_limit"
        for job_id in windows_by_job:
            if job_id not in served and job_id not in unassigned:
                unassigned[job_id] = "capacity" if jobs[job_id].required else "not_worth"
    elif windows_by_job:
        unassigned.update(dict.fromkeys(windows_by_job, "no_skill"))

    order = {sd.id: i for i, sd in enumerate(problem.staff_days)}
    routes.sort(key=lambda r: order[r.staff_day_id])
    solution = Solution(
        routes=tuple(routes),
        unassigned=tuple(
            Unassigned(job.id, unassigned[job.id]) for job in problem.jobs if job.id in unassigned
        ),
        distance=sum(r.distance for r in routes),
        duration=sum(r.duration for r in routes),
        runtime_s=time.perf_counter() - began,
        solver=SOLVER_NAME,
    )
    if progress is not None:
        progress(solution.runtime_s, float(_objective_cost(solution, problem, objective)))
    return solution


def _objective_cost(solution: Solution, problem: Problem, objective: str) -> int:
    left_out = {u.job_id for u in solution.unassigned}
    penalties = sum(job.penalty for job in problem.jobs if job.id in left_out)
    return (solution.duration if objective == "duration" else solution.distance) + penalties


class _Stop:
    """MaxRuntime (and optionally MaxIterations) that also reports progress."""

    def __init__(self, time_limit_s, max_iterations, progress, began):
        criteria = [MaxRuntime(time_limit_s)]
        if max_iterations is not None:
            criteria.append(MaxIterations(max_iterations))
        self._stop = MultipleCriteria(criteria)
        self._progress = progress
        self._began = began
        self._last_report = -PROGRESS_INTERVAL_S

    def __call__(self, best_cost: float) -> bool:
        if self._progress is not None:
            elapsed = time.perf_counter() - self._began
            if elapsed - self._last_report >= PROGRESS_INTERVAL_S:
                self._last_report = elapsed
                self._progress(elapsed, float(best_cost))
        return self._stop(best_cost)


# --- triage: jobs no staff-day could ever do are reported before solving ------------------------


def _triage(job: Job, staff_days: Sequence[StaffDay], duration) -> tuple[str | None, list[int]]:
    """(reason, fitting window indices): a reason when no staff-day can do the job alone."""
    on_day = [sd for sd in staff_days if job.days is None or sd.day in job.days]
    if not on_day:
        return "no_day", []
    skilled = [sd for sd in on_day if job.skills <= sd.skills]
    if not skilled:
        return "no_skill", []
    sized = [
        sd
        for sd in skilled
        if (sd.capacity is None or job.demand <= sd.capacity) and sd.max_jobs != 0
    ]
    if not sized:
        return "capacity", []
    fitting = [
        i for i, w in enumerate(job.windows) if any(_fits(job, w, sd, duration) for sd in sized)
    ]
    if not fitting:
        return "no_window", []
    return None, fitting


def _fits(job: Job, window, sd: StaffDay, duration) -> bool:
    arrival = sd.shift.start + int(duration[sd.start, job.location])
    start = max(arrival, window.start)
    back = start + job.duration + int(duration[job.location, sd.end])
    return start <= window.end and back <= sd.shift.end


# --- encoding into PyVRP --------------------------------------------------------------------------


@dataclass
class _Encoded:
    data: ProblemData
    clients: list[tuple[str, object]]  # per PyVRP client: ("job", job_id) or ("break", index)
    vehicles: list[list[StaffDay]]  # per PyVRP vehicle type: the staff-days it stands for


def _encode(problem, windows_by_job, distance, duration, objective) -> _Encoded:
    jobs = [job for job in problem.jobs if job.id in windows_by_job]
    staff_days = problem.staff_days
    depot_locations = sorted({loc for sd in staff_days for loc in (sd.start, sd.end)})
    depot_index = {loc: i for i, loc in enumerate(depot_locations)}

    # Problem location index behind each PyVRP location; break hubs are appended afterwards.
    origin: list[int] = list(depot_locations)
    clients: list[tuple[str, object]] = []
    pv_clients: list[Client] = []
    groups: list[ClientGroup] = []
    client_job: list[Job] = []

    use_demand = any(sd.capacity is not None for sd in staff_days) and any(j.demand for j in jobs)
    use_count = any(sd.max_jobs is not None for sd in staff_days)

    def load(job: Job | None) -> list[int]:
        dims = []
        if use_demand:
            dims.append(job.demand if job else 0)
        if use_count:
            dims.append(1 if job else 0)
        return dims

    big = _big_prize(problem, distance, duration)
    for job in jobs:
        fitting = windows_by_job[job.id]
        group = None
        if len(fitting) > 1:
            group = len(groups)
            groups.append(ClientGroup(required=False, name=job.id))
        for w_index in fitting:
            window = job.windows[w_index]
            if group is not None:
                groups[group].add_client(len(pv_clients))
            origin.append(job.location)
            pv_clients.append(
                Client(
                    location=len(origin) - 1,
                    delivery=load(job),
                    service_duration=job.duration,
                    tw_early=window.start,
                    tw_late=window.end,
                    prize=big if job.required else job.penalty,
                    required=False,
                    group=group,
                    name=job.id,
                )
            )
            clients.append(("job", job.id))
            client_job.append(job)
    n_real = len(origin)

    hub = _medoid(duration, sorted(set(origin)))
    break_owner: list[int] = []  # per break client: staff-day position
    for s, sd in enumerate(staff_days):
        for b_index, brk in enumerate(sd.breaks):
            origin.append(hub)
            pv_clients.append(
                Client(
                    location=len(origin) - 1,
                    delivery=load(None),
                    service_duration=brk.duration,
                    tw_early=brk.window.start,
                    tw_late=brk.window.end,
                    # Optional so an impossible break cannot make the whole model infeasible;
                    # the prize makes skipping it worse than any detour.
                    prize=big,
                    required=False,
                    name=f"{sd.id}:break{b_index}",
                )
            )
            clients.append(("break", b_index))
            break_owner.append(s)

    real = np.asarray(origin[:n_real])
    # "Prohibitive" edges: a duration longer than any shift makes the route infeasible. Not
    # MAX_VALUE: time warp that large times PyVRP's penalty weight overflows int64 and the local
    # search stops converging.
    horizon = max(sd.shift.end for sd in staff_days) - min(sd.shift.start for sd in staff_days)
    forbid = {
        "duration": horizon + int(duration.max(initial=0)) + 1,
        "distance": _big_prize(problem, distance, duration),
    }
    base = {}
    for name, matrix in (("distance", distance), ("duration", duration)):
        full = np.full((len(origin), len(origin)), forbid[name], dtype=np.int64)
        full[:n_real, :n_real] = np.minimum(matrix[np.ix_(real, real)], MAX_VALUE)
        np.fill_diagonal(full, 0)
        into_hub = np.minimum(matrix[real, hub], MAX_VALUE)
        out_of_hub = np.maximum(0, (full[:n_real, :n_real] - into_hub[:, None]).max(axis=0))
        base[name] = (full, into_hub, out_of_hub)

    # Profiles and vehicle types. Staff-days with breaks get their own profile (only they may
    # reach their break hub); the others share one per (skills, day) and one vehicle type per
    # identical staff-day.
    profile_keys: dict[object, int] = {}
    profile_owner: list[tuple[frozenset, int, int | None]] = []
    vehicle_keys: dict[object, int] = {}
    vehicles: list[list[StaffDay]] = []
    vehicle_types: list[VehicleType] = []
    total_demand = sum(job.demand for job in jobs)
    for s, sd in enumerate(staff_days):
        p_key = ("own", s) if sd.breaks else ("shared", sd.skills, sd.day)
        if p_key not in profile_keys:
            profile_keys[p_key] = len(profile_owner)
            profile_owner.append((sd.skills, sd.day, s if sd.breaks else None))
        v_key = (
            ("own", s)
            if sd.breaks
            else (sd.skills, sd.day, sd.shift, sd.start, sd.end, sd.capacity, sd.max_jobs)
        )
        if v_key in vehicle_keys:
            vehicles[vehicle_keys[v_key]].append(sd)
            continue
        vehicle_keys[v_key] = len(vehicles)
        vehicles.append([sd])
        capacity = []
        if use_demand:
            capacity.append(total_demand if sd.capacity is None else sd.capacity)
        if use_count:
            capacity.append(len(jobs) + len(sd.breaks) if sd.max_jobs is None else sd.max_jobs)
        vehicle_types.append(
            VehicleType(
                capacity=capacity,
                start_depot=depot_index[sd.start],
                end_depot=depot_index[sd.end],
                tw_early=sd.shift.start,
                tw_late=sd.shift.end,
                unit_distance_cost=1 if objective == "distance" else 0,
                unit_duration_cost=1 if objective == "duration" else 0,
                profile=profile_keys[p_key],
                name=sd.id,
            )
        )
    for v_index, group_of in enumerate(vehicles):
        vehicle_types[v_index] = vehicle_types[v_index].replace(num_available=len(group_of))

    n_depots = len(depot_locations)
    distances, durations = [], []
    for skills, day, owner in profile_owner:
        forbidden = [
            n_depots + c
            for c, job in enumerate(client_job)
            if not (job.skills <= skills and (job.days is None or day in job.days))
        ]
        own_hubs = [
            n_real + k for k, s in enumerate(break_owner) if owner is not None and s == owner
        ]
        pair = []
        for name in ("distance", "duration"):
            full, into_hub, out_of_hub = base[name]
            matrix = full.copy()
            for h in own_hubs:
                matrix[:n_real, h] = into_hub
                matrix[h, :n_real] = out_of_hub
                matrix[h, own_hubs] = 0
            matrix[:, forbidden] = forbid[name]
            matrix[forbidden, forbidden] = 0
            pair.append(matrix)
        distances.append(pair[0])
        durations.append(pair[1])

    locations = [Location(*map(float, problem.locations[o])) for o in origin]
    data = ProblemData(
        locations=locations,
        clients=pv_clients,
        depots=[Depot(location=i) for i in range(n_depots)],
        vehicle_types=vehicle_types,
        distance_matrices=distances,
        duration_matrices=durations,
        groups=groups,
    )
    return _Encoded(data=data, clients=clients, vehicles=[list(v) for v in vehicles])


def _big_prize(problem: Problem, distance, duration) -> int:
    """More than any solution's total cost, so serving a required job always pays."""
    longest = int(max(distance.max(initial=0), duration.max(initial=0)))
    shifts = sum(sd.shift.end - sd.shift.start for sd in problem.staff_days)
    legs = (
        len(problem.jobs)
        + 2 * len(problem.staff_days)
        + sum(len(sd.breaks) for sd in problem.staff_days)
    )
    penalties = sum(job.penalty for job in problem.jobs)
    return min(legs * 2 * longest + shifts + penalties + 1, MAX_VALUE // 4)


def _medoid(duration, candidates: list[int]) -> int:
    sub = duration[np.ix_(candidates, candidates)]
    return candidates[int(np.argmin(sub.sum(axis=0) + sub.sum(axis=1)))]


# --- schedules with the true matrices ------------------------------------------------------------


@dataclass(frozen=True)
class _Failure:
    position: int  # index of the visit that fails; len(seq) for the return
    kind: str  # "window", "break", "shift"


def _timeline(sd: StaffDay, seq, gaps, departure, distance, duration) -> Route | _Failure:
    """The earliest schedule of ``seq`` leaving at ``departure``, break k taken in gap gaps[k]
    (gap g lies before visit g; gap len(seq) before the return)."""
    in_gap: dict[int, list[int]] = defaultdict(list)
    for k in sorted(range(len(gaps)), key=lambda k: sd.breaks[k].window.start):
        in_gap[gaps[k]].append(k)
    visits: list[Visit] = []
    breaks: list[BreakVisit] = []
    location, free_at, travelled = sd.start, departure, 0
    for g in range(len(seq) + 1):
        target = seq[g].location if g < len(seq) else sd.end
        cursor, paused = free_at, 0
        for k in in_gap.get(g, ()):
            spec = sd.breaks[k]
            begin = max(cursor, spec.window.start)
            if begin > spec.window.end:
                return _Failure(g, "break")
            breaks.append(BreakVisit(k, begin, begin + spec.duration))
            cursor, paused = begin + spec.duration, paused + spec.duration
        arrival = max(free_at + int(duration[location, target]) + paused, cursor)
        travelled += int(distance[location, target])
        if g == len(seq):
            if arrival > sd.shift.end:
                return _Failure(g, "shift")
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
        start = next(
            (
                max(arrival, w.start)
                for w in sorted(job.windows, key=lambda w: w.start)
                if max(arrival, w.start) <= w.end
            ),
            None,
        )
        if start is None:
            return _Failure(g, "window")
        visits.append(Visit(job.id, arrival, start, start + job.duration))
        location, free_at = target, start + job.duration
    raise AssertionError("unreachable")


def _placements(n_breaks: int, n_visits: int, hint: tuple[int, ...]):
    yield hint
    if n_breaks <= 2:
        yield from combinations_with_replacement(range(n_visits + 1), n_breaks)


def _best_timeline(sd, seq, hint, distance, duration) -> Route | _Failure:
    """Break placement returning earliest, then the latest departure that keeps that return."""
    best: Route | None = None
    worst_failure = _Failure(-1, "window")
    for gaps in _placements(len(sd.breaks), len(seq), hint):
        if len(gaps) != len(sd.breaks) or any(g > len(seq) for g in gaps):
            continue
        result = _timeline(sd, seq, gaps, sd.shift.start, distance, duration)
        if isinstance(result, _Failure):
            if result.position > worst_failure.position:
                worst_failure = result
        elif best is None or result.arrival < best.arrival:
            best, best_gaps = result, gaps
    if best is None:
        return worst_failure

    # Leave as late as possible without returning later: waiting at the start costs no duration.
    low, high = sd.shift.start, best.arrival
    while low < high:
        middle = (low + high + 1) // 2
        trial = _timeline(sd, seq, best_gaps, middle, distance, duration)
        if isinstance(trial, Route) and trial.arrival == best.arrival:
            low = middle
        else:
            high = middle - 1
    return _timeline(sd, seq, best_gaps, low, distance, duration)


def _fit_route(sd, seq, hint, distance, duration) -> tuple[Route | None, list[tuple[Job, str]]]:
    """A feasible route for ``seq`` (breaks placed), dropping jobs that cannot be kept."""
    seq = list(seq)
    dropped: list[tuple[Job, str]] = []
    while sd.max_jobs is not None and len(seq) > sd.max_jobs:
        dropped.append((seq.pop(), "capacity"))
    while sd.capacity is not None and sum(job.demand for job in seq) > sd.capacity:
        heavy = max(i for i, job in enumerate(seq) if job.demand > 0)
        dropped.append((seq.pop(heavy), "capacity"))
    while seq:
        result = _best_timeline(sd, seq, hint, distance, duration)
        if isinstance(result, Route):
            return result, dropped
        reason = "break" if result.kind == "break" else "capacity"
        dropped.append((seq.pop(min(result.position, len(seq) - 1)), reason))
        hint = ()
    return None, dropped
